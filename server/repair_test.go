package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// runRepair starts a repair on n and waits for it to end.
func runRepair(t *testing.T, n *Node, req AdminRepairRequest) AdminRepair {
	t.Helper()
	body, _ := json.Marshal(req)
	b, err := n.cl.repairAdmin([]string{"repair", "start", string(body)})
	if err != nil {
		t.Fatal(err)
	}
	var r AdminRepair
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var rs []AdminRepair
	waitFor(t, "the repair to end", 60*time.Second, func() bool {
		b, err := n.cl.repairAdmin([]string{"repair", "status", r.ID})
		if err != nil {
			t.Fatal(err)
		}
		rs = nil
		if err := json.Unmarshal(b, &rs); err != nil || len(rs) != 1 {
			t.Fatalf("status: %s, %v", b, err)
		}
		return rs[0].State != "running"
	})
	return rs[0]
}

// TestRepairBringsBackAReplica: node 3 misses writes and deletes while
// down (no hints); repaired from node 3, it then answers alone exactly
// the live rows; a second repair finds nothing to exchange.
func TestRepairBringsBackAReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	noHints := func(_ int, cfg *Config) { cfg.HintedHandoff = false }
	tc := startNodes(t, 3, noHints)
	n1 := tc.nodes[0]
	s := clusterSession(t, n1, gocql.Quorum)
	mustExec(t, s,
		"CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE rf3.t (k int PRIMARY KEY, v text)",
		"CREATE KEYSPACE rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE rf1.t (k int PRIMARY KEY, v text)")
	const before = 500
	for k := range before {
		mustExec(t, s, fmt.Sprintf("INSERT INTO rf3.t (k, v) VALUES (%d, 'v%d')", k, k))
	}
	tc.nodes[2].Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	const rows, deletes = 2000, 200
	for k := before; k < rows; k++ {
		mustExec(t, s, fmt.Sprintf("INSERT INTO rf3.t (k, v) VALUES (%d, 'v%d')", k, k))
	}
	deleted := map[int]bool{}
	for k := 0; k < rows; k += rows / deletes {
		mustExec(t, s, fmt.Sprintf("DELETE FROM rf3.t WHERE k = %d", k))
		deleted[k] = true
	}
	n3 := tc.add(t, 3, noHints)
	waitFor(t, "node 1 to see node 3 back", 10*time.Second, func() bool { return aliveOf(n1) == 3 })

	r := runRepair(t, n3, AdminRepairRequest{Keyspace: "rf3"})
	t.Logf("repair: %+v", r)
	if r.State != "done" || r.RangesFailed > 0 {
		t.Fatalf("repair %s: %v", r.State, r.Errors)
	}
	// Node 3 lacks the rows written while it was down, and the deletes of
	// the rows it had.
	if want := int64(rows - before + before/(rows/deletes)); r.Differing != want || r.Pulled != want {
		t.Errorf("repair found %d differing partitions and pulled %d, want %d", r.Differing, r.Pulled, want)
	}

	// Node 3 alone answers exactly the live rows.
	for i := range 2 {
		tc.nodes[i].Close()
		tc.nodes[i] = nil
	}
	alone := clusterSessionWith(t, n3, gocql.One, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter(n3.cfg.ListenAddress)
	})
	var got []int
	iter := alone.Query("SELECT k FROM rf3.t").Iter()
	var k int
	for iter.Scan(&k) {
		got = append(got, k)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	var want []int
	for k := range rows {
		if !deleted[k] {
			want = append(want, k)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("node 3 alone: %d rows, want %d", len(got), len(want))
	}
}

// TestRepairOfIdenticalReplicas: replicas that agree exchange their trees'
// roots and nothing else; a keyspace at RF 1 has nothing to repair.
func TestRepairOfIdenticalReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	tc := startNodes(t, 3, nil)
	s := clusterSession(t, tc.nodes[0], gocql.All)
	mustExec(t, s,
		"CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE rf3.t (k int PRIMARY KEY, v text)",
		"CREATE KEYSPACE rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE rf1.t (k int PRIMARY KEY, v text)")
	var data int
	for k := range 1000 {
		v := fmt.Sprintf("value %d with some length to it", k)
		data += len(v)
		mustExec(t, s, fmt.Sprintf("INSERT INTO rf3.t (k, v) VALUES (%d, '%s')", k, v))
	}
	r := runRepair(t, tc.nodes[1], AdminRepairRequest{Keyspace: "rf3", Jobs: 2})
	t.Logf("repair: %+v", r)
	if r.State != "done" || r.Differing != 0 || r.StreamBytes != 0 || r.Pulled+r.Pushed != 0 {
		t.Fatalf("repair of identical replicas: %+v", r)
	}
	// Each range's session: a prepare each way to each of two peers and
	// a finish; no hashes below the roots, no listings.
	if perSession := r.TreeBytes / int64(2*r.Ranges); perSession > 100 {
		t.Errorf("identical replicas exchanged %d bytes of trees a session, want only the roots (at most 100)", perSession)
	}
	r1 := runRepair(t, tc.nodes[1], AdminRepairRequest{Keyspace: "rf1"})
	if r1.State != "done" || r1.Ranges != 0 {
		t.Errorf("repair of an RF 1 keyspace: %+v", r1)
	}
	// -pr on every node covers each range once.
	total := 0
	for _, n := range tc.nodes {
		total += runRepair(t, n, AdminRepairRequest{Keyspace: "rf3", PrimaryRange: true}).Ranges
	}
	if all := r.Ranges; total != all {
		t.Errorf("-pr on every node repaired %d ranges, a full repair on one %d", total, all)
	}
}
