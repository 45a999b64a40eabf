package localcluster

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
)

// A local cluster started with TLS: DIR/tls holds what wcdb tls gen
// makes (a CA, certificates for the nine addresses a local cluster may
// use), gossip.key (the gossip encryption key) and cqlshrc (for
// cqlsh-lite --ssl); every node runs with DIR/nodeI/wcdb.yaml, which turns
// on client TLS, internode mutual TLS and gossip encryption. The cluster
// commands reach the nodes through the same certificates.

// tlsDir is where a TLS cluster keeps its certificates.
func tlsDir(dir string) string { return filepath.Join(dir, "tls") }

// nodeConfigPath is node n's configuration file of a TLS cluster.
func nodeConfigPath(dir string, n Node) string { return filepath.Join(dir, n.Name, "wcdb.yaml") }

// setupTLS makes the cluster's certificates and key unless they exist (a
// cluster that grows keeps its CA), and every node's configuration file.
func setupTLS(dir string, st *State) error {
	td := tlsDir(dir)
	if _, err := vfs.Default.Stat(filepath.Join(td, tlsgen.CAFile)); errors.Is(err, fs.ErrNotExist) {
		first, err := netip.ParseAddr(st.Nodes[0].Address)
		if err != nil {
			return err
		}
		var ips []string
		for a, i := first, 0; i < MaxNodes; a, i = a.Next(), i+1 {
			ips = append(ips, a.String())
		}
		if _, err := tlsgen.Generate(vfs.Default, td, tlsgen.Options{Nodes: MaxNodes, IPs: ips}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	keyPath := filepath.Join(td, "gossip.key")
	key, err := vfs.ReadFile(vfs.Default, keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		key = []byte(base64.StdEncoding.EncodeToString(raw))
		if err := vfs.WriteFileAtomic(vfs.Default, keyPath, key); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	ca := filepath.Join(td, tlsgen.CAFile)
	rc := fmt.Sprintf("; cqlsh-lite --ssl --cqlshrc %s\n[ssl]\ncertfile = %s\nvalidate = true\nusercert = %s\nuserkey = %s\n",
		filepath.Join(td, "cqlshrc"), ca, filepath.Join(td, tlsgen.ClientCertFile), filepath.Join(td, tlsgen.ClientKeyFile))
	if err := vfs.WriteFileAtomic(vfs.Default, filepath.Join(td, "cqlshrc"), []byte(rc)); err != nil {
		return err
	}
	for i, n := range st.Nodes {
		ks := filepath.Join(td, tlsgen.NodeFile(i+1))
		cfg := fmt.Sprintf(`# written by wcdb cluster up --tls
client_encryption_options:
  enabled: true
  keystore: %[1]s
  truststore: %[2]s
server_encryption_options:
  internode_encryption: all
  keystore: %[1]s
  truststore: %[2]s
gossip_encryption_key: [%[3]s]
`, ks, ca, strings.TrimSpace(string(key)))
		if err := vfs.WriteFileAtomic(vfs.Default, nodeConfigPath(dir, n), []byte(cfg)); err != nil {
			return err
		}
	}
	return nil
}

// useTLS makes this process reach a TLS cluster: CQL probes over TLS,
// admin calls (the Admin's client) with the admin certificate, named by
// WCDB_ADMIN_KEYSTORE and WCDB_ADMIN_TRUSTSTORE.
func useTLS(dir string) error {
	td := tlsDir(dir)
	cert, err := tlsgen.LoadKeystore(vfs.Default, filepath.Join(td, tlsgen.ClientFile))
	if err != nil {
		return err
	}
	pool, err := tlsgen.LoadTruststore(vfs.Default, filepath.Join(td, tlsgen.CAFile))
	if err != nil {
		return err
	}
	// As the nodes' own peer TLS: the chain is checked against the
	// cluster's CA, not the name (the certificates name addresses).
	cqlTLS = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: true, VerifyPeerCertificate: tlsgen.VerifyChain(pool, x509.ExtKeyUsageServerAuth)}
	os.Setenv("WCDB_ADMIN_KEYSTORE", filepath.Join(td, tlsgen.AdminFile))
	os.Setenv("WCDB_ADMIN_TRUSTSTORE", filepath.Join(td, tlsgen.CAFile))
	return nil
}
