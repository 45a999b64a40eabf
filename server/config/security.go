package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"wcdb/auth"
	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
)

// EncryptionOptions are client_encryption_options and
// server_encryption_options, in Cassandra 5's PEM form: a keystore is one
// PEM file holding the private key and the certificate chain (wcdb tls gen
// makes them), a truststore a PEM file of CA certificates.
type EncryptionOptions struct {
	// Enabled turns TLS on (client options; the server options use
	// InternodeEncryption).
	Enabled bool `yaml:"enabled"`
	// Optional (client options) accepts plaintext and TLS connections on
	// the same port, telling them apart by their first byte, as Cassandra 4
	// and 5 do: for moving clients to TLS one at a time.
	Optional bool `yaml:"optional"`
	// InternodeEncryption (server options) is none or all: all, every
	// connection to the internode port is mutual TLS and a caller without
	// a certificate signed by the truststore's CAs is refused in the
	// handshake. Cassandra's dc and rack (TLS between datacenters or
	// racks only) are refused: a port that takes plaintext from some
	// peers takes it from anyone.
	InternodeEncryption string `yaml:"internode_encryption"`
	// Keystore is the node's own key and certificate chain (PEM).
	Keystore string `yaml:"keystore"`
	// Truststore holds the CA certificates that sign the certificates
	// the node accepts from the other side (PEM).
	Truststore string `yaml:"truststore"`
	// RequireClientAuth (client options) makes clients present a
	// certificate signed by the truststore's CAs. The internode port
	// always does.
	RequireClientAuth bool `yaml:"require_client_auth"`
	// RequireEndpointVerification (server options) also checks that a
	// peer's certificate names the address the node dialed (its IP or
	// host name in the subject alternative names), not only that the
	// cluster's CA signed it.
	RequireEndpointVerification bool `yaml:"require_endpoint_verification"`
	// AcceptedProtocols are the TLS versions accepted: TLSv1.2, TLSv1.3.
	// Empty: both. Older versions are never accepted.
	AcceptedProtocols []string `yaml:"accepted_protocols"`
}

// internodeTLS reports whether the internode port uses TLS.
func (o *EncryptionOptions) internodeTLS() bool { return o.InternodeEncryption == "all" }

// validateClient checks client_encryption_options.
func (o *EncryptionOptions) validateClient() error {
	bad := func(setting, format string, args ...any) error {
		return fmt.Errorf("config: client_encryption_options.%s: %s", setting, fmt.Sprintf(format, args...))
	}
	if o.InternodeEncryption != "" {
		return bad("internode_encryption", "belongs in server_encryption_options")
	}
	if !o.Enabled {
		return nil
	}
	if o.Keystore == "" {
		return bad("keystore", "required when enabled (a PEM file with the node's key and certificate chain; wcdb tls gen makes one)")
	}
	if o.RequireClientAuth && o.Truststore == "" {
		return bad("truststore", "required with require_client_auth (the CAs that sign client certificates)")
	}
	if _, err := tlsVersions(o.AcceptedProtocols); err != nil {
		return bad("accepted_protocols", "%v", err)
	}
	return nil
}

// validateServer checks server_encryption_options.
func (o *EncryptionOptions) validateServer() error {
	bad := func(setting, format string, args ...any) error {
		return fmt.Errorf("config: server_encryption_options.%s: %s", setting, fmt.Sprintf(format, args...))
	}
	switch o.InternodeEncryption {
	case "", "none":
		return nil
	case "all":
	case "dc", "rack":
		return bad("internode_encryption", "%s is not supported: a port that accepts plaintext from some peers accepts it from anyone; use all", o.InternodeEncryption)
	default:
		return bad("internode_encryption", "%q is not none or all", o.InternodeEncryption)
	}
	if o.Enabled || o.Optional {
		return bad("enabled", "internode_encryption says whether the internode port uses TLS (optional is not offered there)")
	}
	if o.Keystore == "" {
		return bad("keystore", "required with internode_encryption: all")
	}
	if o.Truststore == "" {
		return bad("truststore", "required with internode_encryption: all (the cluster's CA)")
	}
	if _, err := tlsVersions(o.AcceptedProtocols); err != nil {
		return bad("accepted_protocols", "%v", err)
	}
	return nil
}

// tlsVersions maps accepted_protocols to the lowest and highest TLS
// versions.
func tlsVersions(names []string) ([2]uint16, error) {
	if len(names) == 0 {
		return [2]uint16{tls.VersionTLS12, tls.VersionTLS13}, nil
	}
	v := [2]uint16{0xffff, 0}
	for _, n := range names {
		var x uint16
		switch n {
		case "TLSv1.2":
			x = tls.VersionTLS12
		case "TLSv1.3":
			x = tls.VersionTLS13
		case "TLSv1", "TLSv1.1", "SSLv3":
			return v, fmt.Errorf("%s is not accepted: TLSv1.2 at least", n)
		default:
			return v, fmt.Errorf("%q is not TLSv1.2 or TLSv1.3", n)
		}
		v[0], v[1] = min(v[0], x), max(v[1], x)
	}
	return v, nil
}

// ClientTLS is the TLS configuration of the CQL port, or nil without
// client encryption.
func (o *EncryptionOptions) ClientTLS(fsys vfs.FS) (*tls.Config, error) {
	if !o.Enabled {
		return nil, nil
	}
	cert, err := tlsgen.LoadKeystore(fsys, o.Keystore)
	if err != nil {
		return nil, fmt.Errorf("client_encryption_options.keystore: %w", err)
	}
	vers, _ := tlsVersions(o.AcceptedProtocols)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: vers[0], MaxVersion: vers[1]}
	if o.Truststore != "" {
		pool, err := tlsgen.LoadTruststore(fsys, o.Truststore)
		if err != nil {
			return nil, fmt.Errorf("client_encryption_options.truststore: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if o.RequireClientAuth {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// InternodeTLSConfig is the TLS configuration of the internode port, as server
// and as client: both sides present their certificate and require the
// other's, signed by the truststore's CAs.
func (o *EncryptionOptions) InternodeTLSConfig(fsys vfs.FS) (server, client *tls.Config, err error) {
	if !o.internodeTLS() {
		return nil, nil, nil
	}
	cert, err := tlsgen.LoadKeystore(fsys, o.Keystore)
	if err != nil {
		return nil, nil, fmt.Errorf("server_encryption_options.keystore: %w", err)
	}
	pool, err := tlsgen.LoadTruststore(fsys, o.Truststore)
	if err != nil {
		return nil, nil, fmt.Errorf("server_encryption_options.truststore: %w", err)
	}
	vers, _ := tlsVersions(o.AcceptedProtocols)
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: vers[0], MaxVersion: vers[1]}
	client = PeerTLS(cert, pool, o.RequireEndpointVerification)
	client.MinVersion, client.MaxVersion = vers[0], vers[1]
	return server, client, nil
}

// PeerTLS is the client side of internode mutual TLS (nodes and wcdb
// admin): it presents cert and accepts a server whose chain pool's CAs
// sign; verifyName also requires the certificate to name the address
// dialed (the default checks the chain only, as Cassandra's
// require_endpoint_verification: false).
func PeerTLS(cert tls.Certificate, pool *x509.CertPool, verifyName bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}
	if verifyName {
		return cfg
	}
	// The chain is checked by VerifyChain: crypto/tls would also check
	// the name.
	cfg.InsecureSkipVerify = true
	cfg.VerifyPeerCertificate = tlsgen.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	return cfg
}

// GossipKeys decodes gossip_encryption_key (base64 keys, the first the
// one the node encrypts with), or WCDB_GOSSIP_ENCRYPTION_KEY when the
// setting is empty.
func (c *Config) GossipKeys() ([][]byte, error) {
	keys := c.GossipEncryptionKey
	if len(keys) == 0 {
		keys = SplitList(os.Getenv("WCDB_GOSSIP_ENCRYPTION_KEY"))
	}
	var out [][]byte
	for i, k := range keys {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil {
			return nil, fmt.Errorf("config: gossip_encryption_key: key %d is not base64: %v", i+1, err)
		}
		if n := len(b); n != 16 && n != 24 && n != 32 {
			return nil, fmt.Errorf("config: gossip_encryption_key: key %d is %d bytes, not 16, 24 or 32 (openssl rand -base64 32 makes one)", i+1, n)
		}
		if slices.ContainsFunc(out, func(o []byte) bool { return string(o) == string(b) }) {
			return nil, fmt.Errorf("config: gossip_encryption_key: key %d appears twice", i+1)
		}
		out = append(out, b)
	}
	return out, nil
}

// validateSecurity checks the addresses and the encryption settings.
func (c *Config) validateSecurity() error {
	bad := func(setting string, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", setting, fmt.Sprintf(format, args...))
	}
	if c.RPCAddress != "" && net.ParseIP(c.RPCAddress) == nil {
		return bad("rpc_address", "%q is not an IP address", c.RPCAddress)
	}
	if c.BroadcastRPCAddress != "" && (net.ParseIP(c.BroadcastRPCAddress) == nil || net.ParseIP(c.BroadcastRPCAddress).IsUnspecified()) {
		return bad("broadcast_rpc_address", "%q is not the IP address of an interface", c.BroadcastRPCAddress)
	}
	if c.RPCAddress != "" && net.ParseIP(c.RPCAddress).IsUnspecified() && c.BroadcastRPCAddress == "" {
		return bad("broadcast_rpc_address", "required when rpc_address is %s: the address drivers reach this node's CQL port at", c.RPCAddress)
	}
	if err := c.ClientEncryption.validateClient(); err != nil {
		return err
	}
	if err := c.ServerEncryption.validateServer(); err != nil {
		return err
	}
	_, err := c.GossipKeys()
	return err
}

// CQLListen is the address CQL listens on: rpc_address, or listen_address.
func (c *Config) CQLListen() string {
	if c.RPCAddress != "" {
		return c.RPCAddress
	}
	return c.ListenAddress
}

// AdvertisedRPC is the address drivers are told to reach the node's CQL
// port at (system.local and system.peers' rpc_address).
func (c *Config) AdvertisedRPC() string {
	switch {
	case c.BroadcastRPCAddress != "":
		return c.BroadcastRPCAddress
	case c.RPCAddress != "":
		return c.RPCAddress
	}
	return c.Advertised()
}

// validateAuth checks the auth section, taking Cassandra's class names
// with or without their package.
func (c *Config) validateAuth() error {
	bad := func(setting string, format string, args ...any) error {
		return fmt.Errorf("config: auth.%s: %s", setting, fmt.Sprintf(format, args...))
	}
	a := &c.Auth
	a.Authenticator = strings.TrimPrefix(a.Authenticator, "org.apache.cassandra.auth.")
	a.Authorizer = strings.TrimPrefix(a.Authorizer, "org.apache.cassandra.auth.")
	a.RoleManager = strings.TrimPrefix(a.RoleManager, "org.apache.cassandra.auth.")
	switch a.Authenticator {
	case "", "AllowAllAuthenticator", "PasswordAuthenticator":
	default:
		return bad("authenticator", "%q is not AllowAllAuthenticator or PasswordAuthenticator", a.Authenticator)
	}
	switch a.Authorizer {
	case "", "AllowAllAuthorizer":
	case "CassandraAuthorizer":
		if a.Authenticator != "PasswordAuthenticator" {
			return bad("authorizer", "CassandraAuthorizer needs authenticator: PasswordAuthenticator (permissions belong to logged-in roles)")
		}
	default:
		return bad("authorizer", "%q is not AllowAllAuthorizer or CassandraAuthorizer", a.Authorizer)
	}
	if a.RoleManager != "" && a.RoleManager != "CassandraRoleManager" {
		return bad("role_manager", "%q is not CassandraRoleManager", a.RoleManager)
	}
	if a.RolesValidity <= 0 {
		return bad("roles_validity", "must be positive")
	}
	if a.RolesUpdateInterval < 0 || a.RolesUpdateInterval > a.RolesValidity {
		return bad("roles_update_interval", "must be between 0 and roles_validity")
	}
	for u := range a.Users {
		if u == "" {
			return bad("users", "empty user name")
		}
	}
	return nil
}

// Superusers are the superusers a new cluster gets: auth.users, or
// "cassandra" with the password of superuser_password_file,
// WCDB_SUPERUSER_PASSWORD, or "cassandra".
func (c *Config) Superusers() (map[string]string, error) {
	if len(c.Auth.Users) > 0 {
		return c.Auth.Users, nil
	}
	pw := os.Getenv("WCDB_SUPERUSER_PASSWORD")
	if f := c.Auth.SuperuserPasswordFile; f != "" {
		b, err := vfs.ReadFile(vfs.Default, f)
		if err != nil {
			return nil, fmt.Errorf("config: auth.superuser_password_file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return nil, fmt.Errorf("config: auth.superuser_password_file: %s is empty", f)
		}
	}
	if pw == "" {
		pw = auth.DefaultSuperuser
	}
	return map[string]string{auth.DefaultSuperuser: pw}, nil
}

// flatAliases are the flat cassandra.yaml names of sectioned settings
// (DESIGN's configuration rule): pasted from a cassandra.yaml, they set
// the setting they name.
var flatAliases = map[string][2]string{
	"authenticator":         {"auth", "authenticator"},
	"authorizer":            {"auth", "authorizer"},
	"role_manager":          {"auth", "role_manager"},
	"roles_validity":        {"auth", "roles_validity"},
	"roles_update_interval": {"auth", "roles_update_interval"},

	"native_transport_max_request_data_in_flight":        {"native_transport", "max_request_data_in_flight"},
	"native_transport_max_concurrent_connections_per_ip": {"native_transport", "max_concurrent_connections_per_ip"},
	"slow_query_log_timeout":                             {"native_transport", "slow_query_log_timeout"},

	"log_format": {"logging", "format"},
	"log_level":  {"logging", "level"},

	"commit_failure_policy": {"commitlog", "failure_policy"},
	"disk_failure_policy":   {"storage", "disk_failure_policy"},
}

// applyAliases moves aliased flat settings of a YAML document into their
// sections; one set both ways is an error.
func applyAliases(doc map[string]any) error {
	for flat, to := range flatAliases {
		v, ok := doc[flat]
		if !ok {
			continue
		}
		sec, _ := doc[to[0]].(map[string]any)
		if sec == nil {
			if doc[to[0]] != nil {
				continue // setFields reports the section's error
			}
			sec = map[string]any{}
			doc[to[0]] = sec
		}
		if _, both := sec[to[1]]; both {
			return fmt.Errorf("%s and %s.%s both set", flat, to[0], to[1])
		}
		sec[to[1]] = v
		delete(doc, flat)
	}
	return nil
}
