package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestRebuildNewDatacenter adds a datacenter as Cassandra users do: the
// new nodes join while no keyspace replicates there (nothing to fetch),
// the keyspace's replication is altered to name it, and rebuild streams
// each new node's ranges from the old datacenter: it then holds every row
// itself.
func TestRebuildNewDatacenter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nodes")
	}
	tc := startNodes(t, 2, func(_ int, cfg *Config) { cfg.DataCenter = "dc1" })
	n1 := tc.nodes[0]
	s := clusterSession(t, n1, gocql.LocalQuorum)
	mustExec(t, s,
		"CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	for k := range 300 {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	n3 := tc.add(t, 3, func(_ int, cfg *Config) { cfg.DataCenter = "dc2" })
	if _, ok := localRead(t, n3, "ks", "t", 7); ok {
		t.Fatal("the new datacenter holds data before the keyspace replicates there")
	}
	mustExec(t, s, "ALTER KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}")
	waitFor(t, "node 3 to take the new replication", 5*time.Second, func() bool {
		ks := n3.exec.Catalog().Keyspace("ks")
		return ks != nil && ks.Replication["dc2"] == "1"
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := n3.cl.rebuild(ctx, "dc3"); err == nil {
		t.Fatal("rebuild from a datacenter that does not exist: no error")
	}
	n, err := n3.cl.rebuild(ctx, "dc1")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild received %d bytes", n)
	for k := range 300 {
		if v, ok := localRead(t, n3, "ks", "t", k); !ok || v != fmt.Sprint("v", k) {
			t.Fatalf("after rebuild node 3 holds row %d as %q, %v", k, v, ok)
		}
	}
}
