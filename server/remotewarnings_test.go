package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gocql/gocql"
)

// TestRemoteTombstoneWarning checks that a replica's tombstone warning
// reaches a client connected to another node, as Cassandra relays its
// replicas' read-threshold warnings: two nodes, a partition whose only
// replica is the node the client is not connected to, and more deleted
// rows in it than tombstone_warn_threshold.
func TestRemoteTombstoneWarning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	tc := startNodes(t, 2, func(_ int, cfg *Config) {
		cfg.TombstoneWarnThreshold, cfg.TombstoneFailureThreshold = 10, 1000
	})
	n1, n2 := tc.nodes[0], tc.nodes[1]
	// Node 1 only: the driver must not route to the replica itself.
	s := clusterSessionWith(t, n1, gocql.One, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter("127.0.0.1")
	})
	mustExec(t, s, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c))")
	k := -1
	for i := range 100 {
		ep, err := n1.cl.endpoints("ks", "t", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(ep.HostIDs, []string{n2.HostID()}) {
			k = i
			break
		}
	}
	if k < 0 {
		t.Fatal("node 2 is the replica of none of keys 0-99")
	}
	for c := range 20 {
		if err := s.Query("DELETE FROM ks.t WHERE k = ? AND c = ?", k, c).Exec(); err != nil {
			t.Fatal(err)
		}
	}

	iter := s.Query("SELECT * FROM ks.t WHERE k = ?", k).Iter()
	want := fmt.Sprintf("Read 0 live rows and 20 tombstone cells in ks.t, partition %d (see tombstone_warn_threshold)", k)
	if w := iter.Warnings(); !slices.Equal(w, []string{want}) {
		t.Errorf("partition read: warnings %q, want [%q]", w, want)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	iter = s.Query("SELECT * FROM ks.t").Iter()
	if w := iter.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "Read 0 live rows and 20 tombstone cells in a range read of ks.t") {
		t.Errorf("range read: warnings %q, want one of 20 tombstones", w)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
}
