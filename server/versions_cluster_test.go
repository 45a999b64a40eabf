package server

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/storage"
)

// localVersions reads, from n's own storage, the timestamps of the
// versions of column col in partition k of vrf3.t, newest first.
func localVersions(t *testing.T, n *Node, k, col string) []int64 {
	t.Helper()
	tb := n.exec.Catalog().Table("vrf3", "t")
	_, key, err := n.exec.PartitionKey("vrf3", "t", k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.engine.Table(tb.ID).Read(storage.Query{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var ts []int64
	if p != nil {
		for _, r := range p.Rows {
			for _, c := range r.Cells {
				if c.Column == tb.Column(col).ID && c.IsVersion() {
					ts = append(ts, c.Timestamp)
				}
			}
		}
	}
	return ts
}

// TestVersionsRepairedReplica: three nodes, RF 3, a table keeping 3
// versions. Node 3 is down (no hints) while a cell gets versions 3 to 5
// and another cell's history is deleted up to a time. Back, node 3 is
// brought up to date by read repair (a read at ALL, partition p1) and by
// repair (partition p2); alone it then answers the same versions as the
// others, with the rule applied (versions 1 and 2 pushed out).
func TestVersionsRepairedReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	noHints := func(_ int, cfg *Config) { cfg.HintedHandoff = false }
	tc := startNodes(t, 3, noHints)
	n1 := tc.nodes[0]
	s := clusterSession(t, n1, gocql.Quorum)
	mustExec(t, s,
		"CREATE KEYSPACE vrf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE vrf3.t (k text PRIMARY KEY, v text, w text) WITH cell_versions = {'max_versions': '3'}")
	write := func(k, col string, ts int) {
		t.Helper()
		mustExec(t, s, fmt.Sprintf("UPDATE vrf3.t USING TIMESTAMP %d SET %s = '%s%d' WHERE k = '%s'", ts, col, col, ts, k))
	}
	for _, k := range []string{"p1", "p2"} {
		write(k, "v", 1)
		write(k, "v", 2)
		write(k, "w", 1)
		write(k, "w", 2)
	}
	tc.nodes[2].Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	for _, k := range []string{"p1", "p2"} {
		for ts := 3; ts <= 5; ts++ {
			write(k, "v", ts)
		}
		write(k, "w", 3)
		mustExec(t, s, fmt.Sprintf("DELETE w FROM vrf3.t USING TIMESTAMP 2 WHERE k = '%s'", k))
	}
	n3 := tc.add(t, 3, noHints)
	waitFor(t, "node 1 to see node 3 back", 10*time.Second, func() bool { return aliveOf(n1) == 3 })

	wantV := map[int64]string{3: "v3", 4: "v4", 5: "v5"}
	wantW := map[int64]string{3: "w3"}
	read := func(s *gocql.Session, k string) (v, w map[int64]string) {
		t.Helper()
		if err := s.Query("SELECT versions(v), versions(w) FROM vrf3.t WHERE k = ?", k).Scan(&v, &w); err != nil {
			t.Fatal(err)
		}
		return v, w
	}
	// A read at ALL sees the difference, answers the merged versions and
	// repairs node 3.
	all := clusterSession(t, n1, gocql.All)
	// The coordinator's view of node 3 may lag gossip's: wait until a
	// read at ALL (of another partition) is possible.
	waitFor(t, "reads at ALL", 10*time.Second, func() bool {
		return all.Query("SELECT k FROM vrf3.t WHERE k = 'none'").Exec() == nil
	})
	if got := localVersions(t, n3, "p1", "v"); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("node 3 holds versions %v of p1's v before the read, want [2 1]", got)
	}
	if v, w := read(all, "p1"); !maps.Equal(v, wantV) || !maps.Equal(w, wantW) {
		t.Fatalf("read at ALL: versions(v) %v, versions(w) %v; want %v, %v", v, w, wantV, wantW)
	}
	waitFor(t, "read repair of node 3", 10*time.Second, func() bool {
		return slices.Equal(localVersions(t, n3, "p1", "v"), []int64{5, 4, 3}) &&
			slices.Equal(localVersions(t, n3, "p1", "w"), []int64{3})
	})
	if got := localVersions(t, n3, "p2", "v"); !slices.Equal(got, []int64{2, 1}) {
		t.Fatalf("node 3 holds versions %v of p2's v before the repair, want [2 1]", got)
	}
	r := runRepair(t, n3, AdminRepairRequest{Keyspace: "vrf3"})
	if r.State != "done" || r.RangesFailed > 0 {
		t.Fatalf("repair %s: %v", r.State, r.Errors)
	}
	// Compaction on the nodes that had everything changes no answer.
	compactAll(t, "vrf3", "t", tc.nodes[0], tc.nodes[1])

	for i := range 2 {
		tc.nodes[i].Close()
		tc.nodes[i] = nil
	}
	alone := clusterSessionWith(t, n3, gocql.One, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter(n3.cfg.ListenAddress)
	})
	for _, k := range []string{"p1", "p2"} {
		if v, w := read(alone, k); !maps.Equal(v, wantV) || !maps.Equal(w, wantW) {
			t.Errorf("node 3 alone, %s: versions(v) %v, versions(w) %v; want %v, %v", k, v, w, wantV, wantW)
		}
	}
	compactAll(t, "vrf3", "t", n3)
	for _, k := range []string{"p1", "p2"} {
		if v, w := read(alone, k); !maps.Equal(v, wantV) || !maps.Equal(w, wantW) {
			t.Errorf("node 3 alone, compacted, %s: versions(v) %v, versions(w) %v; want %v, %v", k, v, w, wantV, wantW)
		}
	}
}
