package server

import (
	"crypto/tls"
	"crypto/x509"

	"wcdb/server/config"
)

// The configuration's types and functions, from package server/config,
// under the names callers of this package know them by.
type (
	Config            = config.Config
	CommitLogConfig   = config.CommitLogConfig
	StorageConfig     = config.StorageConfig
	RepairConfig      = config.RepairConfig
	NativeConfig      = config.NativeConfig
	AuthConfig        = config.AuthConfig
	EncryptionOptions = config.EncryptionOptions
	ByteSize          = config.ByteSize
	Rate              = config.Rate
	Duration          = config.Duration
)

// DefaultConfig returns the defaults (config.DefaultConfig).
func DefaultConfig() Config { return config.DefaultConfig() }

// LoadConfig reads a YAML file over the defaults (config.LoadConfig).
func LoadConfig(path string) (Config, error) { return config.LoadConfig(path) }

// SplitList splits a comma-separated list (config.SplitList).
func SplitList(s string) []string { return config.SplitList(s) }

// ParseByteSize reads a size (config.ParseByteSize).
func ParseByteSize(s string) (ByteSize, error) { return config.ParseByteSize(s) }

// PeerTLS is the client side of internode mutual TLS (config.PeerTLS).
func PeerTLS(cert tls.Certificate, pool *x509.CertPool, verifyName bool) *tls.Config {
	return config.PeerTLS(cert, pool, verifyName)
}
