package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
)

// TLS as the real cqlsh sets it up: --ssl (or [connection] ssl = true in
// the cqlshrc) turns it on; the cqlshrc's [ssl] section gives certfile
// (the CA that signs the node's certificate, checked unless validate =
// false), usercert and userkey (a client certificate, for nodes that
// require one); $SSL_CERTFILE and $SSL_VALIDATE override the file. The
// node's name is not checked against its certificate, as cqlsh does not.

// sslSettings are the shell's TLS settings.
type sslSettings struct {
	enabled           bool
	certfile          string
	validate          bool
	usercert, userkey string
}

// defaultCqlshrc is the cqlshrc read without --cqlshrc: cqlsh's
// ~/.cassandra/cqlshrc, else ~/.cqlshrc.
func defaultCqlshrc() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	p := filepath.Join(home, ".cassandra", "cqlshrc")
	if _, err := vfs.Default.Stat(p); err == nil {
		return p
	}
	return filepath.Join(home, ".cqlshrc")
}

// readCqlshrc reads an INI file: [section] headers, key = value (or
// key: value) lines, ; and # comments. A missing file is empty.
func readCqlshrc(path string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if path == "" {
		return out, nil
	}
	b, err := vfs.ReadFile(vfs.Default, path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
			continue
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("%s:%d: not key = value: %q", path, n, line)
		}
		if out[section] == nil {
			out[section] = map[string]string{}
		}
		out[section][strings.ToLower(strings.TrimSpace(line[:i]))] = strings.TrimSpace(line[i+1:])
	}
	return out, sc.Err()
}

// sslFrom gathers the TLS settings from the cqlshrc, the environment and
// --ssl.
func sslFrom(rc map[string]map[string]string, flag bool) (sslSettings, error) {
	s := sslSettings{enabled: flag || isTrue(rc["connection"]["ssl"]), validate: true}
	sec := rc["ssl"]
	s.certfile, s.usercert, s.userkey = expandHome(sec["certfile"]), expandHome(sec["usercert"]), expandHome(sec["userkey"])
	if v, ok := sec["validate"]; ok {
		s.validate = isTrue(v)
	}
	if v := os.Getenv("SSL_CERTFILE"); v != "" {
		s.certfile = v
	}
	if v := os.Getenv("SSL_VALIDATE"); v != "" {
		s.validate = isTrue(v)
	}
	switch {
	case !s.enabled:
	case s.validate && s.certfile == "":
		return s, errors.New("--ssl validates the node's certificate: give the CA as certfile in the [ssl] section of the cqlshrc (or $SSL_CERTFILE), or set validate = false")
	case (s.usercert == "") != (s.userkey == ""):
		return s, errors.New("usercert and userkey of the cqlshrc's [ssl] section go together")
	}
	return s, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// tlsConfig is the TLS of the connection, nil when off.
func (s sslSettings) tlsConfig() (*tls.Config, error) {
	if !s.enabled {
		return nil, nil
	}
	// crypto/tls's own check would also check the name: the chain is
	// checked below instead (or, with validate = false, not at all).
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	if s.usercert != "" {
		certPEM, err := vfs.ReadFile(vfs.Default, s.usercert)
		if err != nil {
			return nil, fmt.Errorf("usercert: %w", err)
		}
		keyPEM, err := vfs.ReadFile(vfs.Default, s.userkey)
		if err != nil {
			return nil, fmt.Errorf("userkey: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("usercert and userkey: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if !s.validate {
		return cfg, nil
	}
	ca, err := vfs.ReadFile(vfs.Default, s.certfile)
	if err != nil {
		return nil, fmt.Errorf("certfile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("certfile %s: no PEM certificate", s.certfile)
	}
	cfg.VerifyPeerCertificate = tlsgen.VerifyChain(pool, x509.ExtKeyUsageServerAuth)
	return cfg, nil
}
