package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestHAProxyInFrontOfCluster runs Debian's haproxy in front of three
// nodes, checking their /readyz as deploy/haproxy.cfg does, with gocql
// pinned to the proxy: reads and writes at QUORUM go on once one node is
// stopped (the proxy takes it out of rotation and closes its sessions;
// the driver reconnects through the proxy).
func TestHAProxyInFrontOfCluster(t *testing.T) {
	haproxy := requireProgram(t, "haproxy", "WCDB_REQUIRE_HAPROXY")
	// One metrics port for the three nodes, each on its own address, as
	// in deploy/haproxy.cfg.
	mport := freePort(t)
	c := startNodes(t, 3, func(i int, cfg *Config) { cfg.Metrics.Port = mport })
	setup := clusterSession(t, c.nodes[0], gocql.All)
	mustExec(t, setup, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v int)")

	// The example's backend, with faster checks for the test.
	example, err := os.ReadFile("../deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(example), "option httpchk GET /readyz") {
		t.Fatal("deploy/haproxy.cfg does not check /readyz")
	}
	proxy := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfg := fmt.Sprintf(`defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    default-server check port %d inter 200ms fall 1 rise 1 on-marked-down shutdown-sessions
frontend cql
    bind %s
    default_backend wcdb
backend wcdb
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
`, mport, proxy)
	for i, n := range c.nodes {
		cfg += fmt.Sprintf("    server node%d %s\n", i+1, n.Addr())
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProgram(t, haproxy, "-db", "-f", path)
	waitFor(t, "haproxy to listen", 10*time.Second, func() bool {
		conn, err := net.Dial("tcp", proxy)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})

	host, port, _ := net.SplitHostPort(proxy)
	cc := gocql.NewCluster(host)
	cc.Port, _ = strconv.Atoi(port)
	cc.ProtoVersion = 4
	cc.Keyspace = "ks"
	cc.Consistency = gocql.Quorum
	cc.Timeout, cc.ConnectTimeout = 3*time.Second, 2*time.Second
	// Pinned to the proxy: no discovery of the nodes behind it.
	cc.DisableInitialHostLookup = true
	cc.HostFilter = gocql.WhiteListHostFilter(host)
	cc.Events.DisableTopologyEvents, cc.Events.DisableNodeStatusEvents = true, true
	cc.NumConns = 3
	cc.ReconnectInterval = 100 * time.Millisecond
	s, err := cc.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	roundTrip := func(k int) error {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, k*10).Exec(); err != nil {
			return err
		}
		var v int
		if err := s.Query("SELECT v FROM ks.t WHERE k = ?", k).Scan(&v); err != nil {
			return err
		}
		if v != k*10 {
			return fmt.Errorf("read %d for key %d, want %d", v, k, k*10)
		}
		return nil
	}
	for k := range 20 {
		if err := roundTrip(k); err != nil {
			t.Fatalf("through the proxy, all nodes up: %v", err)
		}
	}

	// Stop node 2; within a few seconds every request succeeds again.
	stopped := c.nodes[1]
	c.nodes[1] = nil
	if err := stopped.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	ok, failures, k := 0, 0, 100
	var lastErr error
	for ok < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("with node 2 stopped: %d round trips in a row succeeded by the deadline (%d failures; last: %v), want 50", ok, failures, lastErr)
		}
		k++
		if lastErr = roundTrip(k); lastErr != nil {
			ok = 0
			failures++
			time.Sleep(50 * time.Millisecond)
			continue
		}
		ok++
	}
	t.Logf("with node 2 stopped: %d requests failed before 50 in a row succeeded", failures)
}
