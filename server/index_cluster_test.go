package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestIndexesOnThreeNodes: with RF 2 on three nodes, an index created on
// one node reaches the others with the schema; rows written before and
// after it, flushed on some nodes, then overwritten, are found through the
// index from every node at ONE, QUORUM and ALL, paged, exactly as the
// writes say (each replica answers from its own index; above ONE the
// coordinator reads the candidates again at the level).
func TestIndexesOnThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	c := startNodes(t, 3, nil)
	s := clusterSession(t, c.nodes[0], gocql.All)
	mustExec(t, s,
		"CREATE KEYSPACE ix3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TABLE ix3.t (k int, c int, v int, PRIMARY KEY (k, c))")
	model := map[[2]int]int{}
	write := func(from, to int) {
		for k := from; k < to; k++ {
			for cc := 0; cc < 3; cc++ {
				v := (k + cc) % 7
				if err := s.Query("INSERT INTO ix3.t (k, c, v) VALUES (?, ?, ?)", k, cc, v).Exec(); err != nil {
					t.Fatal(err)
				}
				model[[2]int{k, cc}] = v
			}
		}
	}
	write(0, 60)
	if err := c.nodes[1].engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "CREATE CUSTOM INDEX t_v ON ix3.t (v) USING 'StorageAttachedIndex'")
	// The index reaches the other nodes with the schema.
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.nodes {
		for {
			if tb := n.Executor().Catalog().Table("ix3", "t"); tb != nil && len(tb.Indexes) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s has not got the index", n.Addr())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	write(60, 100)
	if err := c.nodes[2].engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	// Overwrites: the old values stay in some indexes, the re-check drops them.
	for k := 0; k < 100; k += 9 {
		if err := s.Query("UPDATE ix3.t SET v = 100 WHERE k = ? AND c = 1", k).Exec(); err != nil {
			t.Fatal(err)
		}
		model[[2]int{k, 1}] = 100
	}
	for _, v := range []int{3, 100} {
		var want []string
		for kc, mv := range model {
			if mv == v {
				want = append(want, fmt.Sprintf("%d/%d", kc[0], kc[1]))
			}
		}
		slices.Sort(want)
		for i, n := range c.nodes {
			for _, cl := range []gocql.Consistency{gocql.One, gocql.Quorum, gocql.All} {
				sess := clusterSession(t, n, cl)
				got := indexQueryKeys(t, sess, 7, "SELECT k, c FROM ix3.t WHERE v = ?", v)
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("node %d at %v, v = %d: got %d rows %v, want %d", i, cl, v, len(got), got, len(want))
				}
			}
		}
	}
}
