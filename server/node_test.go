package server

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/query"
	"wcdb/replication"
)

func startNode(t *testing.T, dir string) *Node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	cfg.CommitLog.Sync = "batch"
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func connect(t *testing.T, n *Node, keyspace string) *gocql.Session {
	t.Helper()
	host, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port, _ = strconv.Atoi(port)
	c.ProtoVersion = 4
	c.Keyspace = keyspace
	c.Timeout = 5 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.DisableInitialHostLookup = false
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNodeServesGocqlAndRestarts starts a node, drives it with gocql
// (schema, writes, reads), restarts it on the same data directory and
// reads everything back.
func TestNodeServesGocqlAndRestarts(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	s := connect(t, n, "")
	for _, stmt := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.timeline (user text, at timeuuid, body text, PRIMARY KEY (user, at)) WITH CLUSTERING ORDER BY (at DESC)",
	} {
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var ids []gocql.UUID
	for i := range 20 {
		id := gocql.TimeUUID()
		ids = append(ids, id)
		if err := s.Query("INSERT INTO ks.timeline (user, at, body) VALUES (?, ?, ?)", "ann", id, "post "+strconv.Itoa(i)).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *gocql.Session) {
		t.Helper()
		iter := s.Query("SELECT at, body FROM ks.timeline WHERE user = ? LIMIT 5", "ann").Iter()
		var at gocql.UUID
		var body string
		i := 19
		for iter.Scan(&at, &body) {
			if at != ids[i] || body != "post "+strconv.Itoa(i) {
				t.Errorf("row %d: got (%v, %q), want (%v, %q)", 19-i, at, body, ids[i], "post "+strconv.Itoa(i))
			}
			i--
		}
		if err := iter.Close(); err != nil {
			t.Fatal(err)
		}
		if i != 14 {
			t.Errorf("got %d rows, want 5", 19-i)
		}
	}
	check(s)
	s.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, dir)
	defer n.Close()
	s = connect(t, n, "ks")
	defer s.Close()
	check(s)
}

// TestRPCPortIsTheServedOne: with cql_port 0 the node picks a free port,
// and system.local must name that one (drivers connect to what it says).
func TestRPCPortIsTheServedOne(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	res, err := n.Executor().Query(context.Background(), &query.Session{}, "SELECT rpc_port FROM system.local", &query.Options{Consistency: replication.One})
	if err != nil {
		t.Fatal(err)
	}
	want := n.Addr().(*net.TCPAddr).Port
	if len(res.Rows) != 1 || int(int32(binary.BigEndian.Uint32(res.Rows[0][0]))) != want {
		t.Fatalf("system.local rpc_port: got %v, want %d", res.Rows, want)
	}
}

// TestBroadcastAddress starts a node listening on every interface: drivers
// are told the broadcast address, and connect.
func TestBroadcastAddress(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddress, cfg.BroadcastAddress = "0.0.0.0", "127.0.0.1"
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	_, port, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster("127.0.0.1")
	c.Port, _ = strconv.Atoi(port)
	c.ProtoVersion = 4
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rpc, listen := localAddresses(t, s); rpc != "127.0.0.1" || listen != "127.0.0.1" {
		t.Fatalf("system.local: rpc_address %s, listen_address %s; want 127.0.0.1", rpc, listen)
	}
}

// localAddresses reads system.local's rpc_address and listen_address.
func localAddresses(t *testing.T, s *gocql.Session) (rpc, listen string) {
	t.Helper()
	var r, l net.IP
	if err := s.Query("SELECT rpc_address, listen_address FROM system.local").Scan(&r, &l); err != nil {
		t.Fatal(err)
	}
	return r.String(), l.String()
}

// TestNodeNativeGuardrails checks that native_transport's guardrails reach
// the CQL server: one connection per address, closed unless it logs in
// within the timeout.
func TestNodeNativeGuardrails(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	cfg.Native.MaxConcurrentConnectionsPerIP = 1
	cfg.Native.IdleUnauthenticatedTimeout = Duration(300 * time.Millisecond)
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	options := []byte{4, 0, 0, 1, 5, 0, 0, 0, 0} // OPTIONS on stream 1
	ask := func() (byte, error) {
		nc, err := net.DialTimeout("tcp", n.Addr().String(), 5*time.Second)
		if err != nil {
			return 0, err
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(options); err != nil {
			return 0, err
		}
		var hdr [9]byte
		if _, err := io.ReadFull(nc, hdr[:]); err != nil {
			return 0, err
		}
		return hdr[4], nil // the opcode
	}
	if op, err := ask(); err != nil || op != 0x06 {
		t.Fatalf("first connection: opcode %#x, %v; want SUPPORTED", op, err)
	}
	if op, err := ask(); err != nil || op != 0x00 {
		t.Fatalf("second connection from the address: opcode %#x, %v; want ERROR (Overloaded)", op, err)
	}
	// The first never sent STARTUP: it is closed, and the address has its
	// place back.
	deadline := time.Now().Add(5 * time.Second)
	for {
		op, err := ask()
		if err == nil && op == 0x06 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the unauthenticated connection kept its place: opcode %#x, %v", op, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
