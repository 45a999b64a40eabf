package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"wcdb/query"
	"wcdb/replication"
	"wcdb/ring"
)

// TestDecommissionHandsHintsOver: the hints a leaving node keeps for a node
// that is down go to another node, and reach the down node when it is
// back.
func TestDecommissionHandsHintsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes")
	}
	tc := startNodes(t, 4, nil)
	nodes := tc.nodes
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n2, n4 := nodes[1], nodes[3]
	exec := func(n *Node, stmt string) {
		t.Helper()
		if _, err := n.exec.Query(ctx, &query.Session{}, stmt, &query.Options{Consistency: replication.One}); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	exec(n2, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	exec(n2, "CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	waitFor(t, "every node to have the table", 5*time.Second, func() bool {
		return !slices.ContainsFunc(nodes, func(n *Node) bool { return n.exec.Catalog().Table("ks", "t") == nil })
	})

	cfg4 := n4.cfg
	id4 := ring.NodeID(n4.HostID())
	n4.Close()
	nodes[3] = nil
	waitFor(t, "node 2 to see node 4 down", 10*time.Second, func() bool { return aliveOf(n2) == 3 })
	// Writes coordinated by node 2 while node 4 is down: node 2 keeps the
	// hints of the rows node 4 replicates.
	var toNode4 []int
	st := replication.SimpleStrategy{RF: 3}
	for k := range 60 {
		exec(n2, fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (%d, 'v%d')", k, k))
		_, key, err := n2.exec.PartitionKey("ks", "t", fmt.Sprint(k))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(st.Replicas(n2.cl.m.Load().Ring(), key.Token), id4) {
			toNode4 = append(toNode4, k)
		}
	}
	if n, _ := n2.cl.hints.Pending(string(id4)); n != len(toNode4) || n == 0 {
		t.Fatalf("node 2 keeps %d hints for node 4, want %d", n, len(toNode4))
	}
	if err := n2.Decommission(ctx, true); err != nil {
		t.Fatal(err)
	}
	n2.Close()
	nodes[1] = nil
	held := 0
	for _, n := range []*Node{nodes[0], nodes[2]} {
		c, _ := n.cl.hints.Pending(string(id4))
		held += c
	}
	if held != len(toNode4) {
		t.Fatalf("after the decommission nodes 1 and 3 keep %d hints for node 4, want %d", held, len(toNode4))
	}
	cfg4.GossipPort, cfg4.InternodePort = 0, 0
	nodes[3] = startConfigured(t, cfg4)
	waitFor(t, "the hints to reach node 4", 20*time.Second, func() bool {
		for _, k := range toNode4 {
			if v, ok := localRead(t, nodes[3], "ks", "t", k); !ok || v != fmt.Sprint("v", k) {
				return false
			}
		}
		return true
	})
}
