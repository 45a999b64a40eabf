package main

import (
	"crypto/rand"
	"crypto/tls"
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
	"wcdb/server"
)

// A local cluster started with --tls: DIR/tls holds what wcdb tls gen
// makes (a CA, certificates for the nine addresses a local cluster may
// use), gossip.key (the gossip encryption key) and cqlshrc (for
// cqlsh-lite --ssl); every node runs with DIR/nodeI/wcdb.yaml, which turns
// on client TLS, internode mutual TLS and gossip encryption. The cluster
// commands reach the nodes through the same certificates.

// clusterTLSDir is where a --tls cluster keeps its certificates.
func clusterTLSDir(dir string) string { return filepath.Join(dir, "tls") }

// nodeConfigPath is node i's configuration file of a --tls cluster.
func nodeConfigPath(dir string, n clusterNode) string { return filepath.Join(dir, n.Name, "wcdb.yaml") }

// setupClusterTLS makes the cluster's certificates and key unless they
// exist (a cluster that grows keeps its CA), and every node's
// configuration file.
func setupClusterTLS(dir string, st *clusterState) error {
	td := clusterTLSDir(dir)
	if _, err := vfs.Default.Stat(filepath.Join(td, tlsgen.CAFile)); errors.Is(err, fs.ErrNotExist) {
		first, err := netip.ParseAddr(st.Nodes[0].Address)
		if err != nil {
			return err
		}
		var ips []string
		for a, i := first, 0; i < maxClusterNodes; a, i = a.Next(), i+1 {
			ips = append(ips, a.String())
		}
		if _, err := tlsgen.Generate(vfs.Default, td, tlsgen.Options{Nodes: maxClusterNodes, IPs: ips}); err != nil {
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

// useClusterTLS makes the cluster commands reach a --tls cluster: CQL
// probes over TLS, admin calls with the admin certificate.
func useClusterTLS(dir string) error {
	td := clusterTLSDir(dir)
	cert, err := tlsgen.LoadKeystore(vfs.Default, filepath.Join(td, tlsgen.ClientFile))
	if err != nil {
		return err
	}
	pool, err := tlsgen.LoadTruststore(vfs.Default, filepath.Join(td, tlsgen.CAFile))
	if err != nil {
		return err
	}
	cqlTLS = server.PeerTLS(cert, pool, false)
	os.Setenv("WCDB_ADMIN_KEYSTORE", filepath.Join(td, tlsgen.AdminFile))
	os.Setenv("WCDB_ADMIN_TRUSTSTORE", filepath.Join(td, tlsgen.CAFile))
	return nil
}

// cqlTLS, when set, is the TLS cqlAnswers speaks (a --tls cluster).
var cqlTLS *tls.Config
