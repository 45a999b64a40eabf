package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/repair"
	"wcdb/ring"
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

	// The repair's record: a SUCCESS row per range, under the repair's
	// parent row, coordinated by node 3 with nodes 1 and 2.
	hist, err := repairHistory(s, gocql.All, "rf3", "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != r.Ranges {
		t.Fatalf("repair_history has %d rows for rf3.t, want %d (one per range)", len(hist), r.Ranges)
	}
	var parent gocql.UUID
	for _, h := range hist {
		if h.status != "SUCCESS" || h.finished.Before(h.started) || len(h.participants) != 2 ||
			h.coordinator != n3.cfg.ListenAddress || h.parent == (gocql.UUID{}) {
			t.Fatalf("repair_history row %+v", h)
		}
		parent = h.parent
	}
	if parent.String() != r.HistoryID {
		t.Errorf("repair_history's parent_id %v, the repair's history_id %s", parent, r.HistoryID)
	}
	var ks string
	var tables, requested, succeeded []string
	var finished time.Time
	if err := s.Query(`SELECT keyspace_name, columnfamily_names, requested_ranges, successful_ranges, finished_at
		FROM system_distributed.parent_repair_history WHERE parent_id = ?`, parent).Consistency(gocql.All).
		Scan(&ks, &tables, &requested, &succeeded, &finished); err != nil {
		t.Fatal(err)
	}
	if ks != "rf3" || !slices.Equal(tables, []string{"t"}) || len(requested) != r.Ranges ||
		len(succeeded) != r.Ranges || finished.IsZero() {
		t.Errorf("parent_repair_history: %s %v, %d ranges requested, %d repaired, finished at %v", ks, tables,
			len(requested), len(succeeded), finished)
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

	// A repair with a replica down fails, and the history says why.
	tc.nodes[2].Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(tc.nodes[0]) == 2 })
	down := runRepair(t, tc.nodes[0], AdminRepairRequest{Keyspace: "rf3"})
	if down.State != "failed" || down.RangesFailed == 0 {
		t.Fatalf("repair with a replica down: %+v", down)
	}
	// Nodes 1 and 2 hold the rows (node 3 a hint): QUORUM reads both,
	// once the write at ONE has reached the second.
	s = clusterSession(t, tc.nodes[0], gocql.Quorum)
	var failed []repairRecord
	waitFor(t, "the failed ranges in repair_history", 10*time.Second, func() bool {
		failed = nil
		hist, err := repairHistory(s, gocql.Quorum, "rf3", "t")
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			if h.status == "FAILED" {
				failed = append(failed, h)
			}
		}
		return len(failed) == down.RangesFailed
	})
	for _, h := range failed {
		if !strings.Contains(h.message, "is down") || h.finished.IsZero() {
			t.Errorf("failed range recorded as %+v", h)
		}
	}
}

// repairRecord is a row of system_distributed.repair_history.
type repairRecord struct {
	id, parent        gocql.UUID
	status, message   string
	coordinator       string
	participants      []string
	started, finished time.Time
}

// repairHistory reads a table's rows of system_distributed.repair_history
// at cl. The rows are written at ONE: only ALL is sure to see them.
func repairHistory(s *gocql.Session, cl gocql.Consistency, ks, table string) ([]repairRecord, error) {
	iter := s.Query(`SELECT id, parent_id, status, exception_message, coordinator, participants_v2,
		started_at, finished_at FROM system_distributed.repair_history
		WHERE keyspace_name = ? AND columnfamily_name = ?`, ks, table).Consistency(cl).Iter()
	var out []repairRecord
	for {
		var r repairRecord
		var coord net.IP
		if !iter.Scan(&r.id, &r.parent, &r.status, &r.message, &coord, &r.participants, &r.started, &r.finished) {
			break
		}
		r.coordinator = coord.String()
		out = append(out, r)
	}
	return out, iter.Close()
}

// compactAll flushes and major-compacts a table on the nodes given.
func compactAll(t *testing.T, ks, table string, nodes ...*Node) {
	t.Helper()
	for _, n := range nodes {
		id := n.exec.Catalog().Table(ks, table).ID
		if err := n.engine.Table(id).Compact(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestZombieRows: node 3 misses a delete; gc_grace_seconds (1 s) passes
// and nodes 1 and 2 compact. With tombstone_gc timeout (Cassandra's rule)
// the tombstone is gone from them, and the row node 3 still holds comes
// back: the resurrection Cassandra is known for. With tombstone_gc repair
// the tombstone stays until a repair has given it to node 3; compacted
// everywhere after that, the row is gone for good.
func TestZombieRows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	noHints := func(_ int, cfg *Config) { cfg.HintedHandoff = false }
	tc := startNodes(t, 3, noHints)
	n1, n2 := tc.nodes[0], tc.nodes[1]
	s := clusterSession(t, n1, gocql.All)
	mustExec(t, s,
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.timeout (k int PRIMARY KEY, v text) WITH gc_grace_seconds = 1",
		"CREATE TABLE ks.repair (k int PRIMARY KEY, v text) WITH gc_grace_seconds = 1 AND tombstone_gc = {'mode': 'repair'} AND propagation_delay_in_seconds = 0")
	for _, tbl := range []string{"timeout", "repair"} {
		mustExec(t, s, fmt.Sprintf("INSERT INTO ks.%s (k, v) VALUES (1, 'zombie')", tbl))
	}
	compactAll(t, "ks", "timeout", tc.nodes...) // the row in an SSTable everywhere
	compactAll(t, "ks", "repair", tc.nodes...)
	tc.nodes[2].Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	q := clusterSession(t, n1, gocql.Quorum)
	for _, tbl := range []string{"timeout", "repair"} {
		mustExec(t, q, fmt.Sprintf("DELETE FROM ks.%s WHERE k = 1", tbl))
	}
	time.Sleep(2100 * time.Millisecond) // past gc_grace_seconds
	compactAll(t, "ks", "timeout", n1, n2)
	compactAll(t, "ks", "repair", n1, n2)
	n3 := tc.add(t, 3, noHints)
	for _, n := range []*Node{n1, n2, n3} { // reads at ALL, through any of them
		waitFor(t, "every node to see node 3 back", 10*time.Second, func() bool { return aliveOf(n) == 3 })
	}
	count := func(tbl string) int {
		var n int
		if err := s.Query("SELECT count(*) FROM ks." + tbl + " WHERE k = 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("timeout"); n != 1 {
		t.Errorf("tombstone_gc timeout: the deleted row is not back (%d rows): the test shows no resurrection", n)
	} else {
		t.Log("tombstone_gc timeout: the deleted row came back from node 3, as in Cassandra without a repair within gc_grace_seconds")
	}
	if n := count("repair"); n != 0 {
		t.Fatalf("tombstone_gc repair: the deleted row is back before any repair (%d rows)", n)
	}
	if r := runRepair(t, n3, AdminRepairRequest{Keyspace: "ks", Tables: []string{"repair"}}); r.State != "done" {
		t.Fatalf("repair: %+v", r)
	}
	time.Sleep(1100 * time.Millisecond) // the deletion is before the repair's start
	compactAll(t, "ks", "repair", n1, n2, n3)
	for _, n := range []*Node{n1, n2, n3} {
		id := n.exec.Catalog().Table("ks", "repair").ID
		var tombstones int64
		for _, f := range n.engine.Table(id).Files() {
			tombstones += f.Meta.Tombstones
		}
		if tombstones != 0 {
			h, _ := n.cl.repairHorizon(id, 0)
			t.Errorf("%s (node 3: %v) still holds %d tombstones after the repair and a compaction (repaired at %d)", n.HostID(), n == n3, tombstones, h)
		}
	}
	if n := count("repair"); n != 0 {
		t.Fatalf("tombstone_gc repair: the deleted row came back (%d rows)", n)
	}
}

// TestRepairScheduler: with no command, the nodes' schedulers repair a
// replica that missed writes while down (no hints); restarted, a node's
// scheduler finds its ranges repaired in its history.
func TestRepairScheduler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	mod := func(_ int, cfg *Config) {
		cfg.HintedHandoff = false
		cfg.Repair.InitialDelay = 0
		cfg.Repair.CheckInterval = Duration(100 * time.Millisecond)
		cfg.Repair.RetryAfter = Duration(500 * time.Millisecond)
		cfg.Repair.MinInterval = Duration(time.Second)
	}
	tc := startNodes(t, 3, mod)
	n1 := tc.nodes[0]
	s := clusterSession(t, n1, gocql.Quorum)
	// gc_grace_seconds 20: an interval of 18 s, a range due 9 s after its
	// last repair.
	mustExec(t, s,
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text) WITH gc_grace_seconds = 20")
	tc.nodes[2].Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	const rows = 300
	for k := range rows {
		mustExec(t, s, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v')", k))
	}
	n3 := tc.add(t, 3, mod)
	id := n3.exec.Catalog().Table("ks", "t").ID
	held := func() int {
		es, err := repair.Scan(context.Background(), n3.engine.Table(id), ring.Range{Start: ring.MinToken, End: ring.MinToken}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	waitFor(t, "the schedulers to repair node 3", 60*time.Second, func() bool { return held() == rows })

	n3.Close()
	tc.nodes[3] = nil
	n3 = tc.add(t, 3, mod)
	b, err := n3.cl.repairAdmin([]string{"repair", "schedule"})
	if err != nil {
		t.Fatal(err)
	}
	var st []repair.TableStatus
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(st, func(s repair.TableStatus) bool { return s.Keyspace == "ks" && s.Table == "t" })
	if i < 0 || st[i].Ranges == 0 || st[i].Repaired != st[i].Ranges || st[i].IntervalSeconds != 18 {
		t.Fatalf("node 3's schedule after a restart: %+v", st)
	}
	t.Logf("node 3's schedule after a restart: %+v", st[i])

	// The scheduler's ranges are in the history, without a parent (read
	// at ALL once node 1 reaches the restarted node 3).
	var hist []repairRecord
	waitFor(t, "repair_history at ALL", 20*time.Second, func() bool {
		hist, err = repairHistory(s, gocql.All, "ks", "t")
		return err == nil
	})
	ok := 0
	for _, h := range hist {
		if h.parent != (gocql.UUID{}) {
			t.Errorf("a scheduled repair recorded with parent %v", h.parent)
		}
		if h.status == "SUCCESS" {
			ok++
		}
	}
	if ok < st[i].Ranges {
		t.Errorf("repair_history has %d successful ranges of ks.t, node 3 alone repaired %d", ok, st[i].Ranges)
	}
}
