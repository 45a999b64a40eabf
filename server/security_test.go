package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/messaging"
)

// genTLS makes a CA and certificates for n nodes in a new directory.
func genTLS(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tls")
	if _, err := tlsgen.Generate(vfs.Default, dir, tlsgen.Options{Nodes: n}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tlsSession connects gocql over TLS, checking the node's certificate
// against the CA in dir; with client, it presents the client certificate.
// login is user and password, if any.
func tlsSession(n *Node, dir string, client bool, login ...string) (*gocql.Session, error) {
	host, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.ProtoVersion = 4
	c.Consistency = gocql.Quorum
	c.Timeout, c.ConnectTimeout = 10*time.Second, 5*time.Second
	c.HostFilter = gocql.WhiteListHostFilter(host)
	c.SslOpts = &gocql.SslOptions{CaPath: filepath.Join(dir, tlsgen.CAFile), EnableHostVerification: true}
	if client {
		c.SslOpts.CertPath = filepath.Join(dir, tlsgen.ClientCertFile)
		c.SslOpts.KeyPath = filepath.Join(dir, tlsgen.ClientKeyFile)
	}
	if len(login) == 2 {
		c.Authenticator = gocql.PasswordAuthenticator{Username: login[0], Password: login[1]}
	}
	return c.CreateSession()
}

// testGossipKey is the gossip key of the secure test clusters.
var testGossipKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// secureConfig configures node i of a secure test cluster, for startNodes
// and add: internode mutual TLS and client TLS with the certificates of
// dir (genTLS), gossip encrypted with testGossipKey, passwords and roles
// with the superuser admin (password admin-pw). Node 3 also requires a
// client certificate.
func secureConfig(dir string) func(i int, cfg *Config) {
	return func(i int, cfg *Config) {
		node := filepath.Join(dir, tlsgen.NodeFile(i))
		ca := filepath.Join(dir, tlsgen.CAFile)
		cfg.ServerEncryption = EncryptionOptions{InternodeEncryption: "all", Keystore: node, Truststore: ca}
		cfg.ClientEncryption = EncryptionOptions{Enabled: true, Keystore: node, Truststore: ca, RequireClientAuth: i == 3}
		cfg.GossipEncryptionKey = []string{testGossipKey}
		cfg.Auth.Authenticator, cfg.Auth.Authorizer = "PasswordAuthenticator", "CassandraAuthorizer"
		cfg.Auth.Users = map[string]string{"admin": "admin-pw"}
	}
}

// plainSession connects gocql without TLS.
func plainSession(n *Node) (*gocql.Session, error) {
	host, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.ProtoVersion = 4
	c.Timeout, c.ConnectTimeout = 2*time.Second, 2*time.Second
	c.HostFilter = gocql.WhiteListHostFilter(host)
	c.DisableInitialHostLookup = true
	return c.CreateSession()
}

// TestSecureCluster: three nodes with internode mutual TLS, encrypted
// gossip, client TLS and roles form a cluster and serve QUORUM reads and
// writes; a fourth joins (streaming over TLS) and repairs;
// a caller without the cluster's certificate cannot call the internode
// port, a node without the gossip key cannot join, a client without TLS
// cannot connect, and one node requiring client certificates refuses a
// client without one.
func TestSecureCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	dir := genTLS(t, 4)
	other := genTLS(t, 1)
	secure := secureConfig(dir)
	tc := startNodes(t, 3, secure)

	s, err := tlsSession(tc.nodes[0], dir, false, "admin", "admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustExec(t, s,
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	for k := range 100 {
		mustExec(t, s, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v%d')", k, k))
	}
	var count int
	if err := s.Query("SELECT count(*) FROM ks.t").Consistency(gocql.All).Scan(&count); err != nil || count != 100 {
		t.Fatalf("count at ALL over TLS: %d, %v; want 100", count, err)
	}
	// A role made through node 1 logs in on node 2 and has its grant there.
	mustExec(t, s, "CREATE ROLE app WITH PASSWORD = 'app-pw' AND LOGIN = true", "GRANT SELECT ON ks.t TO app")
	var app *gocql.Session
	waitFor(t, "node 2 to know the role (roles_validity)", 10*time.Second, func() bool {
		app, err = tlsSession(tc.nodes[1], dir, false, "app", "app-pw")
		return err == nil
	})
	if err := app.Query("SELECT count(*) FROM ks.t").Scan(&count); err != nil || count != 100 {
		t.Errorf("app on node 2: %d, %v", count, err)
	}
	if err := app.Query("INSERT INTO ks.t (k, v) VALUES (1000, 'x')").Exec(); errCode(err) != gocql.ErrCodeUnauthorized {
		t.Errorf("app inserting on node 2: %v, want Unauthorized", err)
	}
	app.Close()

	// A fourth node joins: it streams the data of its ranges over mutual
	// TLS, and ALL (now counting its replicas) still sees every row.
	tc.add(t, 4, secure)
	waitFor(t, "node 1 to see node 4", 10*time.Second, func() bool { return aliveOf(tc.nodes[0]) == 4 })
	if err := s.Query("SELECT count(*) FROM ks.t").Consistency(gocql.All).Scan(&count); err != nil || count != 100 {
		t.Fatalf("count at ALL after node 4 joined: %d, %v; want 100", count, err)
	}
	// Repair runs over mutual TLS too.
	if r := runRepair(t, tc.nodes[3], AdminRepairRequest{Keyspace: "ks"}); r.State != "done" || r.Differing != 0 {
		t.Errorf("repair from node 4 over TLS: %+v", r)
	}

	// Clients: plaintext is refused; node 3 wants a client certificate.
	if ps, err := plainSession(tc.nodes[0]); err == nil {
		ps.Close()
		t.Error("a plaintext client connected to a TLS-only CQL port")
	}
	if cs, err := tlsSession(tc.nodes[2], dir, false, "admin", "admin-pw"); err == nil {
		cs.Close()
		t.Error("a client without a certificate connected to node 3, which requires one")
	}
	cs, err := tlsSession(tc.nodes[2], dir, true, "admin", "admin-pw")
	if err != nil {
		t.Fatalf("a client with its certificate, to node 3: %v", err)
	}
	cs.Close()

	// The internode port: a caller in plaintext, or with a certificate of
	// another CA, gets nothing; the admin certificate gets an answer.
	addr := tc.nodes[0].iln.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call := func(what string, tlsDir, file string) error {
		opts := messaging.DialOptions{Timeout: 2 * time.Second}
		if tlsDir != "" {
			cert, err := tlsgen.LoadKeystore(vfs.Default, filepath.Join(tlsDir, file))
			if err != nil {
				t.Fatal(err)
			}
			pool, err := tlsgen.LoadTruststore(vfs.Default, filepath.Join(dir, tlsgen.CAFile))
			if err != nil {
				t.Fatal(err)
			}
			opts.TLS = PeerTLS(cert, pool, false)
		}
		c, err := messaging.Dial(addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Admin(ctx, []string{"status"})
		t.Logf("%s: %v", what, err)
		return err
	}
	if call("plaintext", "", "") == nil {
		t.Error("a plaintext caller was answered on the internode port")
	}
	if call("another CA's node certificate", other, tlsgen.NodeFile(1)) == nil {
		t.Error("a caller with another CA's certificate was answered on the internode port")
	}
	if err := call("the admin certificate", dir, tlsgen.AdminFile); err != nil {
		t.Errorf("the admin certificate: %v", err)
	}

	// Gossip: a node without the key never joins.
	cfg := tc.config(5)
	cfg.ServerEncryption = EncryptionOptions{InternodeEncryption: "all",
		Keystore: filepath.Join(dir, tlsgen.NodeFile(3)), Truststore: filepath.Join(dir, tlsgen.CAFile)}
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	if n, err := Start(sctx, cfg, nil); err == nil {
		n.Close()
		t.Fatal("a node without the gossip key joined")
	} else if !strings.Contains(err.Error(), "gossip_encryption_key") {
		t.Errorf("a node without the gossip key: %v, want a hint at gossip_encryption_key", err)
	}
	if got := len(tc.nodes[0].cl.m.Load().Nodes()); got != 4 {
		t.Errorf("node 1 knows %d nodes, want 4", got)
	}

	// A node with the gossip key but no certificate reaches gossip, but
	// cannot call the others (it cannot even take the schema): it never
	// starts, and the ring never has its tokens.
	cfg = tc.config(5)
	cfg.GossipEncryptionKey = []string{testGossipKey}
	nctx, ncancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer ncancel()
	if n, err := Start(nctx, cfg, nil); err == nil {
		n.Close()
		t.Fatal("a node without a certificate joined a cluster with internode TLS")
	} else {
		t.Logf("a node with the gossip key and no certificate: %v", err)
	}
	if got := tc.nodes[0].cl.m.Load().Ring().NumNodes(); got != 4 {
		t.Errorf("node 1's ring has %d nodes, want 4", got)
	}
}

// TestRPCAddressApart: CQL on rpc_address, internode and gossip on
// listen_address; drivers are told rpc_address.
func TestRPCAddressApart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddress, cfg.RPCAddress = "127.0.0.5", "127.0.0.6"
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.GossipProfile = "local"
	n := startConfigured(t, cfg)
	defer n.Close()
	if host, _, _ := net.SplitHostPort(n.Addr().String()); host != "127.0.0.6" {
		t.Errorf("CQL listens on %s, want 127.0.0.6", n.Addr())
	}
	if host, _, _ := net.SplitHostPort(n.iln.Addr().String()); host != "127.0.0.5" {
		t.Errorf("internode listens on %s, want 127.0.0.5", n.iln.Addr())
	}
	if host, _, _ := net.SplitHostPort(n.GossipAddr()); host != "127.0.0.5" {
		t.Errorf("gossip on %s, want 127.0.0.5", n.GossipAddr())
	}
	s, err := plainSession(n)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rpc, listen := localAddresses(t, s); rpc != "127.0.0.6" || listen != "127.0.0.5" {
		t.Errorf("system.local: rpc_address %s, listen_address %s; want 127.0.0.6 and 127.0.0.5", rpc, listen)
	}
}

// TestOptionalClientTLS: with optional, plaintext and TLS clients share
// the CQL port.
func TestOptionalClientTLS(t *testing.T) {
	dir := genTLS(t, 1)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.GossipProfile = "local"
	cfg.ClientEncryption = EncryptionOptions{Enabled: true, Optional: true, Keystore: filepath.Join(dir, tlsgen.NodeFile(1))}
	n := startConfigured(t, cfg)
	defer n.Close()
	for _, secure := range []bool{false, true} {
		var s *gocql.Session
		var err error
		if secure {
			s, err = tlsSession(n, dir, false)
		} else {
			s, err = plainSession(n)
		}
		if err != nil {
			t.Fatalf("TLS %v: %v", secure, err)
		}
		var v string
		if err := s.Query("SELECT release_version FROM system.local").Scan(&v); err != nil {
			t.Errorf("TLS %v: %v", secure, err)
		}
		s.Close()
	}
}

func TestSecurityConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.ServerEncryption.InternodeEncryption = "dc" }, "internode_encryption: dc is not supported"},
		{func(c *Config) { c.ServerEncryption.InternodeEncryption = "all" }, "server_encryption_options.keystore: required"},
		{func(c *Config) { c.ClientEncryption.Enabled = true }, "client_encryption_options.keystore: required"},
		{func(c *Config) {
			c.ClientEncryption = EncryptionOptions{Enabled: true, Keystore: "k", AcceptedProtocols: []string{"TLSv1.1"}}
		}, "TLSv1.1 is not accepted"},
		{func(c *Config) { c.GossipEncryptionKey = []string{"c2hvcnQ="} }, "key 1 is 5 bytes"},
		{func(c *Config) { c.RPCAddress = "0.0.0.0" }, "broadcast_rpc_address: required"},
	} {
		cfg := DefaultConfig()
		tc.mod(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestPythonDriverTLS: the DataStax Python driver connects over TLS,
// checking the node's certificate and name, and with a client certificate
// when the node requires one; in plaintext, or without the certificate
// the node requires, it cannot.
func TestPythonDriverTLS(t *testing.T) {
	checkPythonDriver(t)
	dir := genTLS(t, 1)
	for _, require := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
		cfg.GossipProfile = "local"
		cfg.ClientEncryption = EncryptionOptions{Enabled: true, Keystore: filepath.Join(dir, tlsgen.NodeFile(1)),
			Truststore: filepath.Join(dir, tlsgen.CAFile), RequireClientAuth: require}
		n := startConfigured(t, cfg)
		host, port, _ := net.SplitHostPort(n.Addr().String())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		script, _ := filepath.Abs(filepath.Join("testdata", "python", "tls_connect.py"))
		cmd := exec.CommandContext(ctx, pythonDriver, script, host, port, filepath.Join(dir, tlsgen.CAFile),
			filepath.Join(dir, tlsgen.ClientCertFile), filepath.Join(dir, tlsgen.ClientKeyFile))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		n.Close()
		if err != nil {
			t.Fatalf("python: %v\n%s", err, stderr.String())
		}
		var r map[string]string
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatalf("python output %q: %v", stdout.String(), err)
		}
		t.Logf("require_client_auth %v: %v", require, r)
		want := map[string]bool{"plaintext": false, "tls": !require, "tls_client_cert": true}
		for k, ok := range want {
			if got := !strings.HasPrefix(r[k], "error") && r[k] != ""; got != ok {
				t.Errorf("require_client_auth %v, %s: %q, want connected %v", require, k, r[k], ok)
			}
		}
	}
}
