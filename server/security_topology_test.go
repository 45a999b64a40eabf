package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/messaging"
	"wcdb/ring"
)

// TestSecureClusterTopology: the topology changes of the plaintext cluster
// tests, with internode mutual TLS, encrypted gossip, client TLS and roles
// (secureConfig). Four nodes, RF 3: hints kept for a node that is down
// reach it when it is back; a node that died is removed by another, its
// ranges fetched from the surviving replicas; after a fifth node joined,
// the node that had the hints is decommissioned and streams its ranges
// away. Both are asked through the admin certificate, as wcdb admin does.
// After each, every replica holds its rows and a count at ALL sees them.
func TestSecureClusterTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five nodes")
	}
	dir := genTLS(t, 5)
	secure := secureConfig(dir)
	tc := startNodes(t, 4, secure)
	n1 := tc.nodes[0]
	// open connects to n alone, retrying: a role just made may not have
	// reached the replica a login reads, and a login (bcrypt) can outlast
	// the connect timeout on a loaded machine.
	open := func(n *Node, user, password string) *gocql.Session {
		t.Helper()
		var s *gocql.Session
		waitFor(t, fmt.Sprintf("%s to log in on %s", user, n.cfg.ListenAddress), 20*time.Second, func() bool {
			var err error
			s, err = tlsSession(n, dir, true, user, password)
			return err == nil
		})
		t.Cleanup(s.Close)
		return s
	}
	admin := open(n1, "admin", "admin-pw")
	// system_auth has RF 1, as Cassandra's: the superuser admin, set up
	// there at the first start, would be lost with the node removed below,
	// or unreadable while its one replica is down. Operators raise it; a
	// role created afterwards is on three replicas.
	mustExec(t, admin,
		"ALTER KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE ROLE ops WITH PASSWORD = 'ops-pw' AND LOGIN = true AND SUPERUSER = true",
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	s := open(n1, "ops", "ops-pw")
	const rows = 200
	insert := func(from, to int, cl gocql.Consistency) {
		t.Helper()
		for k := from; k < to; k++ {
			if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Consistency(cl).Exec(); err != nil {
				t.Fatalf("write %d at %v: %v", k, cl, err)
			}
		}
	}
	insert(0, rows/2, gocql.Quorum)

	// Hinted handoff: node 2 stops; writes coordinated by node 1, at
	// QUORUM and ONE, keep hints for it.
	n2 := tc.nodes[1]
	id2 := n2.HostID()
	cfg2 := n2.cfg
	n2.Close()
	tc.nodes[1] = nil
	waitFor(t, "node 1 to see node 2 down", 10*time.Second, func() bool { return aliveOf(n1) == 3 })
	insert(rows/2, rows*3/4, gocql.Quorum)
	insert(rows*3/4, rows, gocql.One)
	var toNode2 []int
	for k := rows / 2; k < rows; k++ {
		if slices.Contains(endpointsOf(t, n1, k), id2) {
			toNode2 = append(toNode2, k)
		}
	}
	if n, _ := n1.cl.hints.Pending(id2); n != len(toNode2) || n == 0 {
		t.Fatalf("node 1 keeps %d hints for node 2, want %d", n, len(toNode2))
	}
	cfg2.GossipPort, cfg2.InternodePort = 0, 0
	n2 = startConfigured(t, cfg2)
	tc.nodes[1] = n2
	start := time.Now()
	waitFor(t, "the hints to reach node 2 over TLS", 20*time.Second, func() bool {
		for _, k := range toNode2 {
			if v, ok := localRead(t, n2, "ks", "t", k); !ok || v != fmt.Sprint("v", k) {
				return false
			}
		}
		return true
	})
	t.Logf("%d hints delivered to node 2 %v after its restart", len(toNode2), time.Since(start))
	if n, _ := n1.cl.hints.Pending(id2); n != 0 {
		t.Errorf("node 1 still keeps %d hints for node 2", n)
	}
	// A client of node 2 alone, at ONE, sees every row.
	s2 := open(n2, "ops", "ops-pw")
	for k := range rows {
		var v string
		if err := s2.Query("SELECT v FROM ks.t WHERE k = ?", k).Consistency(gocql.One).Scan(&v); err != nil || v != fmt.Sprint("v", k) {
			t.Errorf("row %d at ONE through node 2: %q, %v", k, v, err)
		}
	}
	s2.Close()
	checkSecureRows(t, tc, s, rows)

	// Removenode: node 4 dies; node 3 removes it, and the new owners of
	// its ranges fetch them from the surviving replicas.
	dead := tc.nodes[3]
	deadID := dead.HostID()
	dead.Close()
	tc.nodes[3] = nil
	waitFor(t, "node 3 to see node 4 down", 10*time.Second, func() bool { return aliveOf(tc.nodes[2]) == 3 })
	start = time.Now()
	b, err := adminOverTLS(t, dir, tc.nodes[2], "removenode", deadID)
	if err != nil {
		t.Fatal(err)
	}
	var r AdminRemoval
	if err := json.Unmarshal(b, &r); err != nil || r.State != "removed" || r.Node != deadID {
		t.Fatalf("removenode: %s, %v; want node 4 removed", b, err)
	}
	t.Logf("node 4 removed in %v", time.Since(start))
	waitForRing(t, tc)
	checkSecureRows(t, tc, s, rows)

	// Decommission: node 5 joins (a node leaves only if three remain for
	// RF 3), then node 2 leaves, and its ranges, the hinted rows with
	// them, stream to their new owners.
	tc.add(t, 5, secure)
	waitForRing(t, tc)
	start = time.Now()
	if _, err := adminOverTLS(t, dir, n2, "decommission"); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 decommissioned in %v", time.Since(start))
	select {
	case <-n2.Done():
	default:
		t.Fatal("Done not closed after a decommission")
	}
	n2.Close()
	tc.nodes[1] = nil
	waitForRing(t, tc)
	checkSecureRows(t, tc, s, rows)
}

// endpointsOf returns the host ids of the replicas of row k of ks.t on
// n's ring.
func endpointsOf(t *testing.T, n *Node, k int) []string {
	t.Helper()
	ep, err := n.cl.endpoints("ks", "t", fmt.Sprint(k))
	if err != nil {
		t.Fatal(err)
	}
	return ep.HostIDs
}

// waitForRing waits until every node of tc sees the others, and only
// them, on its ring, with no range movement pending.
func waitForRing(t *testing.T, tc *testNodes) {
	t.Helper()
	var live []*Node
	for _, n := range tc.nodes {
		if n != nil {
			live = append(live, n)
		}
	}
	for _, n := range live {
		waitFor(t, fmt.Sprintf("node %s to see a ring of %d", n.cfg.ListenAddress, len(live)), 10*time.Second, func() bool {
			m := n.cl.m.Load()
			r := m.Ring()
			if r.NumNodes() != len(live) || m.FutureRing() != r {
				return false
			}
			for _, o := range live {
				if _, ok := r.Node(ring.NodeID(o.HostID())); !ok {
					return false
				}
			}
			return true
		})
	}
}

// checkSecureRows checks rows 0 to rows-1 of ks.t: each is held by every
// replica of the ring (read from its storage, before any read at ALL
// could repair it), and a count at ALL through s sees them all.
func checkSecureRows(t *testing.T, tc *testNodes, s *gocql.Session, rows int) {
	t.Helper()
	byID := map[string]*Node{}
	for _, n := range tc.nodes {
		if n != nil {
			byID[n.HostID()] = n
		}
	}
	var ref *Node // whose ring says where the rows belong
	for _, n := range byID {
		ref = n
	}
	// A QUORUM write reaches its last replica just after it is answered.
	waitFor(t, "every replica to hold its rows", 10*time.Second, func() bool {
		for k := range rows {
			for _, id := range endpointsOf(t, ref, k) {
				n := byID[id]
				if n == nil {
					t.Fatalf("row %d: replica %s is no live node", k, id)
				}
				if v, ok := localRead(t, n, "ks", "t", k); !ok || v != fmt.Sprint("v", k) {
					return false
				}
			}
		}
		return true
	})
	var count int
	if err := s.Query("SELECT count(*) FROM ks.t").Consistency(gocql.All).Scan(&count); err != nil || count != rows {
		t.Fatalf("count at ALL over %d nodes: %d, %v; want %d", len(byID), count, err, rows)
	}
}

// adminOverTLS sends an admin request to n's internode port with the
// admin certificate of dir, as wcdb admin does.
func adminOverTLS(t *testing.T, dir string, n *Node, args ...string) ([]byte, error) {
	t.Helper()
	cert, err := tlsgen.LoadKeystore(vfs.Default, filepath.Join(dir, tlsgen.AdminFile))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := tlsgen.LoadTruststore(vfs.Default, filepath.Join(dir, tlsgen.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := messaging.Dial(n.iln.Addr().String(), messaging.DialOptions{TLS: PeerTLS(cert, pool, false)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.Admin(ctx, args)
}
