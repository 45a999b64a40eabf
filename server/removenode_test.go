package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cluster"
	"wcdb/ring"
)

// TestRemoveNodeAndReplace takes dead nodes off a four-node cluster while
// a client writes at QUORUM (RF 3): removenode of one (its ranges fetched
// by their new owners from the surviving replicas), then a new node
// replacing another (its tokens, its ranges' data). After each, every
// acknowledged row is readable at ONE through each node alone.
func TestRemoveNodeAndReplace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five nodes")
	}
	tc := startNodes(t, 4, nil)
	n1 := tc.nodes[0]
	nodes := slices.Clone(tc.nodes)
	s := clusterSession(t, n1, gocql.Quorum)
	keyspaces := []string{"rf3"}
	mustExec(t, s,
		"CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE rf3.t (k int PRIMARY KEY, v text)")
	load := startLoad(s, keyspaces, 0)
	waitFor(t, "rows written", 20*time.Second, func() bool {
		load.mu.Lock()
		defer load.mu.Unlock()
		return len(load.ok["rf3"]) >= 500
	})
	for _, n := range nodes {
		if err := n.engine.FlushAll(); err != nil {
			t.Fatal(err)
		}
	}
	sees := func(n *Node, ids ...string) bool {
		r := n.cl.m.Load().Ring()
		if r.NumNodes() != len(ids) || n.cl.m.Load().FutureRing() != r {
			return false
		}
		for _, id := range ids {
			if _, ok := r.Node(ring.NodeID(id)); !ok {
				return false
			}
		}
		return true
	}

	// Node 4 dies for good; node 1 removes it.
	dead := nodes[3]
	deadID := dead.HostID()
	dead.Close()
	tc.nodes[3] = nil
	waitFor(t, "node 1 to see node 4 down", 10*time.Second, func() bool { return aliveOf(n1) == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	r, err := n1.cl.removenode(ctx, deadID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("removenode in %v: %+v", time.Since(start), r)
	if r.State != "removed" || r.Node != deadID {
		t.Fatalf("removal status %+v", r)
	}
	nodes = nodes[:3]
	ids := []string{nodes[0].HostID(), nodes[1].HostID(), nodes[2].HostID()}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to see node 4 off the ring", i+1), 10*time.Second, func() bool { return sees(n, ids...) })
	}
	time.Sleep(200 * time.Millisecond)
	load.mu.Lock()
	acked := slices.Clone(load.ok["rf3"])
	load.mu.Unlock()
	for _, n := range nodes {
		checkEveryRow(t, n, "rf3", acked, 1_000_000)
	}

	// Node 3 dies; node 5 takes its place.
	dead = nodes[2]
	deadTokens := dead.cl.m.Load().Local().Tokens
	dead.Close()
	tc.nodes[2] = nil
	waitFor(t, "node 1 to see node 3 down", 10*time.Second, func() bool { return aliveOf(n1) == 2 })
	start = time.Now()
	n5 := tc.add(t, 5, func(_ int, cfg *Config) { cfg.ReplaceAddress = "127.0.0.3" })
	nodes[2] = n5
	t.Logf("replacement NORMAL in %v", time.Since(start))
	if got := n5.cl.m.Load().Local(); got.Status != cluster.StatusNormal || !slices.Equal(got.Tokens, deadTokens) {
		t.Fatalf("replacement: %v with %d tokens, want NORMAL with the dead node's %d", got.Status, len(got.Tokens), len(deadTokens))
	}
	ids = []string{nodes[0].HostID(), nodes[1].HostID(), n5.HostID()}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to see node 5 in node 3's place", i+1), 10*time.Second, func() bool { return sees(n, ids...) })
	}
	time.Sleep(200 * time.Millisecond)
	load.finish()
	for _, err := range load.errs {
		t.Errorf("a write failed: %v", err)
	}
	for _, n := range nodes {
		checkEveryRow(t, n, "rf3", load.ok["rf3"], len(load.unknown["rf3"]))
	}
}
