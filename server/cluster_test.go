package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/query"
	"wcdb/replication"
	"wcdb/schema"
)

// clusterCQLPort is the CQL port of the in-process clusters' nodes, each on
// its own loopback address: drivers reach every node at the port they were
// given.
const clusterCQLPort = 29042

func clusterConfig(dir string, i int, seeds ...string) Config {
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(dir, fmt.Sprintf("node%d", i))
	cfg.ListenAddress = fmt.Sprintf("127.0.0.%d", i)
	cfg.CQLPort = clusterCQLPort
	cfg.GossipPort, cfg.InternodePort = 0, 0
	cfg.GossipProfile = "local"
	cfg.RingDelay = Duration(100 * time.Millisecond)
	cfg.Seeds = seeds
	cfg.CommitLog.Sync = "batch"
	return cfg
}

func startConfigured(t *testing.T, cfg Config) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// aliveOf counts the nodes n sees alive on its ring.
func aliveOf(n *Node) int {
	alive := 0
	m := n.cl.Ring()
	for _, nd := range m.Nodes() {
		if n.cl.Alive(nd.ID) {
			alive++
		}
	}
	return alive
}

func clusterSession(t *testing.T, n *Node, cl gocql.Consistency) *gocql.Session {
	return clusterSessionWith(t, n, cl, nil)
}

// clusterSessionWith is clusterSession with a change to the configuration.
func clusterSessionWith(t *testing.T, n *Node, cl gocql.Consistency, mod func(*gocql.ClusterConfig)) *gocql.Session {
	t.Helper()
	host, _, _ := net.SplitHostPort(n.Addr().String())
	c := gocql.NewCluster(host)
	c.Port = clusterCQLPort
	c.ProtoVersion = 4
	c.Consistency = cl
	c.Timeout = 10 * time.Second
	c.ConnectTimeout = 5 * time.Second
	c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	if mod != nil {
		mod(c)
	}
	s, err := c.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// localRead reads a row from a node's own replica, bypassing the
// coordinator: what it returns is on that node.
func localRead(t *testing.T, n *Node, keyspace, table string, k int) (string, bool) {
	t.Helper()
	_, key, err := n.exec.PartitionKey(keyspace, table, strconv.Itoa(k))
	if err != nil {
		t.Fatal(err)
	}
	tbl := n.exec.Catalog().Table(keyspace, table)
	p, err := n.cl.local.Read(context.Background(), replication.ReadCommand{Table: tbl.ID, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || len(p.Rows) == 0 {
		return "", false
	}
	col := tbl.Column("v")
	for i := range p.Rows[0].Cells {
		c := &p.Rows[0].Cells[i]
		if c.Column == col.ID && !c.IsTombstone() {
			return string(c.Value), true
		}
	}
	return "", false
}

// TestThreeNodeCluster forms a cluster of three in-process nodes and
// checks what a user of it sees: peers in system.peers, DDL on one node
// reaching all (gocql's schema agreement wait ends quickly), writes at
// QUORUM on every replica, Unavailable at ALL with a node down, hints
// replayed when it is back.
func TestThreeNodeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	dir := t.TempDir()
	n1 := startConfigured(t, clusterConfig(dir, 1))
	nodes := []*Node{n1}
	t.Cleanup(func() {
		for _, n := range nodes {
			if n != nil {
				n.Close()
			}
		}
	})
	for i := 2; i <= 3; i++ {
		nodes = append(nodes, startConfigured(t, clusterConfig(dir, i, n1.GossipAddr())))
	}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to see 3 nodes", i+1), 10*time.Second, func() bool { return aliveOf(n) == 3 })
	}
	s := clusterSession(t, n1, gocql.Quorum)

	// system.peers on node 1 lists the two others, with their tokens.
	only1 := clusterSessionWith(t, n1, gocql.One, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter("127.0.0.1")
	})
	waitFor(t, "system.peers to list 2 nodes", 5*time.Second, func() bool {
		var n int
		return only1.Query("SELECT count(*) FROM system.peers").Scan(&n) == nil && n == 2
	})
	iter := only1.Query("SELECT peer, data_center, rack, tokens, host_id FROM system.peers").Iter()
	var peer net.IP
	var dc, rack string
	var tokens []string
	var hostID gocql.UUID
	var peers []string
	for iter.Scan(&peer, &dc, &rack, &tokens, &hostID) {
		if dc != "datacenter1" || rack != "rack1" || len(tokens) != 16 {
			t.Errorf("peer %s: dc %q rack %q, %d tokens", peer, dc, rack, len(tokens))
		}
		peers = append(peers, peer.String())
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(peers)
	if fmt.Sprint(peers) != "[127.0.0.2 127.0.0.3]" {
		t.Fatalf("system.peers: %v", peers)
	}

	// DDL on node 1: gocql waits for schema agreement after each.
	start := time.Now()
	mustExec(t, s, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	t.Logf("two DDL statements with schema agreement: %v", time.Since(start))
	for i, n := range nodes {
		if n.exec.SchemaVersion() != n1.exec.SchemaVersion() {
			t.Fatalf("node %d has another schema version", i+1)
		}
	}
	for k := 0; k < 100; k++ {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	// QUORUM writes reach every live replica (the third answers just after).
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to hold every row", i+1), 5*time.Second, func() bool {
			for k := 0; k < 100; k++ {
				if v, ok := localRead(t, n, "ks", "t", k); !ok || v != fmt.Sprint("v", k) {
					return false
				}
			}
			return true
		})
	}
	// Read from another coordinator.
	s2 := clusterSession(t, nodes[1], gocql.Quorum)
	var v string
	if err := s2.Query("SELECT v FROM ks.t WHERE k = 42").Scan(&v); err != nil || v != "v42" {
		t.Fatalf("read on node 2: %q, %v", v, err)
	}

	// A scan of the whole ring merges every node's ranges.
	var count int
	if err := s.Query("SELECT count(*) FROM ks.t").Scan(&count); err != nil || count != 100 {
		t.Fatalf("count(*) over the ring at QUORUM: %d, %v", count, err)
	}
	iter = s.Query("SELECT k FROM ks.t").PageSize(7).Iter()
	seen := map[int]bool{}
	var k int
	for iter.Scan(&k) {
		seen[k] = true
	}
	if err := iter.Close(); err != nil || len(seen) != 100 {
		t.Fatalf("paged scan over the ring: %d distinct keys, %v", len(seen), err)
	}

	// Drivers registered for events hear of node 3 going down and up.
	events := listenEvents(t, n1.Addr().String())

	// Node 3 stops: QUORUM goes on, ALL is unavailable, hints pile up.
	cfg3 := nodes[2].cfg
	cfg3.CQLPort = clusterCQLPort
	if err := nodes[2].Close(); err != nil {
		t.Fatal(err)
	}
	nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	events.expect(t, fmt.Sprintf("STATUS_CHANGE DOWN 127.0.0.3:%d", clusterCQLPort), 5*time.Second)
	for k := 100; k < 200; k++ {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec(); err != nil {
			t.Fatalf("QUORUM write with a node down: %v", err)
		}
	}
	err := s.Query("INSERT INTO ks.t (k, v) VALUES (1000, 'x')").Consistency(gocql.All).Exec()
	var unavailable *gocql.RequestErrUnavailable
	if !errors.As(err, &unavailable) || unavailable.Required != 3 || unavailable.Alive != 2 {
		t.Fatalf("ALL write with a node down: %v, want Unavailable (required 3, alive 2)", err)
	}
	var hinted int
	for _, n := range nodes[:2] {
		if c, _ := n.cl.hints.Pending(string(dataDirHostID(t, cfg3))); c > 0 {
			hinted += c
		}
	}
	if hinted == 0 {
		t.Fatal("no hints for the node that is down")
	}

	// DDL with a node down: system.peers shows node 3, down, with the
	// local schema version, so that gocql's schema agreement (which would
	// wait for it up to a minute, null or not) ends at once.
	start = time.Now()
	mustExec(t, s, "CREATE TABLE ks.down (k int PRIMARY KEY)")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("DDL through gocql with a node down took %v, want under 1s", took)
	} else {
		t.Logf("DDL through gocql with a node down: %v", took)
	}
	// TRUNCATE needs every node, as Cassandra's.
	err = s.Query("TRUNCATE ks.down").Exec()
	if !errors.As(err, &unavailable) || unavailable.Required != 3 || unavailable.Alive != 2 {
		t.Fatalf("TRUNCATE with a node down: %v, want Unavailable (required 3, alive 2)", err)
	}

	// Node 3 comes back: hints replay, and it holds the rows written
	// while it was down.
	cfg3.GossipPort, cfg3.InternodePort = 0, 0
	nodes[2] = startConfigured(t, cfg3)
	n3 := nodes[2]
	waitFor(t, "node 1 to see node 3 up", 10*time.Second, func() bool { return aliveOf(n1) == 3 })
	events.expect(t, fmt.Sprintf("STATUS_CHANGE UP 127.0.0.3:%d", clusterCQLPort), 5*time.Second)
	waitFor(t, "hints to replay on node 3", 20*time.Second, func() bool {
		for k := 100; k < 200; k++ {
			if _, ok := localRead(t, n3, "ks", "t", k); !ok {
				return false
			}
		}
		return true
	})
	if err := s.Query("INSERT INTO ks.t (k, v) VALUES (1000, 'x')").Consistency(gocql.All).Exec(); err != nil {
		t.Fatalf("ALL write with every node up: %v", err)
	}
	// The executor of node 3 reads at ALL too.
	r, err := n3.exec.Query(context.Background(), &query.Session{}, "SELECT v FROM ks.t WHERE k = 150",
		&query.Options{Consistency: replication.All})
	if err != nil || len(r.Rows) != 1 {
		t.Fatalf("ALL read on node 3: %v, %v", r, err)
	}

	// TRUNCATE empties the table on every replica, not only on the
	// coordinator.
	mustExec(t, s, "TRUNCATE ks.t")
	for i, n := range nodes {
		for _, k := range []int{1, 42, 150, 1000} {
			if _, ok := localRead(t, n, "ks", "t", k); ok {
				t.Fatalf("after TRUNCATE node %d still holds row %d", i+1, k)
			}
		}
	}
}

// dataDirHostID reads the host id a node's data directory keeps.
func dataDirHostID(t *testing.T, cfg Config) string {
	t.Helper()
	id, err := loadHostID(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	return schema.UUID(id).String()
}

// eventListener is a bare native-protocol connection registered for
// TOPOLOGY_CHANGE and STATUS_CHANGE events, as a driver's control
// connection is.
type eventListener struct {
	c      net.Conn
	events chan string
}

func listenEvents(t *testing.T, addr string) *eventListener {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	frame := func(stream int16, op byte, body []byte) []byte {
		f := []byte{0x04, 0, byte(stream >> 8), byte(stream), op, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(f[5:], uint32(len(body)))
		return append(f, body...)
	}
	str := func(b []byte, s string) []byte {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		return append(b, s...)
	}
	startup := str(str([]byte{0, 1}, "CQL_VERSION"), "3.0.0")
	register := str(str([]byte{0, 2}, "TOPOLOGY_CHANGE"), "STATUS_CHANGE")
	l := &eventListener{c: c, events: make(chan string, 16)}
	read := func() (int16, byte, []byte, error) {
		var h [9]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return 0, 0, nil, err
		}
		body := make([]byte, binary.BigEndian.Uint32(h[5:]))
		_, err := io.ReadFull(c, body)
		return int16(binary.BigEndian.Uint16(h[2:])), h[4], body, err
	}
	for i, req := range [][]byte{frame(1, 0x01, startup), frame(2, 0x0B, register)} {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, op, _, err := read(); err != nil || op != 0x02 {
			t.Fatalf("request %d: opcode %#x, %v; want READY", i, op, err)
		}
	}
	go func() {
		defer close(l.events)
		for {
			stream, op, body, err := read()
			if err != nil {
				return
			}
			if stream != -1 || op != 0x0C {
				continue
			}
			// [string type][string change][inet: byte n, n bytes, int port]
			var parts []string
			for range 2 {
				n := int(binary.BigEndian.Uint16(body))
				parts = append(parts, string(body[2:2+n]))
				body = body[2+n:]
			}
			ip := net.IP(body[1 : 1+body[0]])
			port := binary.BigEndian.Uint32(body[1+body[0]:])
			l.events <- fmt.Sprintf("%s %s %s", parts[0], parts[1], net.JoinHostPort(ip.String(), strconv.Itoa(int(port))))
		}
	}()
	return l
}

// expect waits for an event, skipping others.
func (l *eventListener) expect(t *testing.T, want string, limit time.Duration) {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var seen []string
	for {
		select {
		case ev, ok := <-l.events:
			if !ok {
				t.Fatalf("event connection closed waiting for %q (saw %q)", want, seen)
			}
			if ev == want {
				return
			}
			seen = append(seen, ev)
		case <-timer.C:
			t.Fatalf("no %q event within %v (saw %q)", want, limit, seen)
		}
	}
}
