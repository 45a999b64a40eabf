package server

import (
	"context"
	"math/big"
	"testing"

	"github.com/gocql/gocql"
)

// TestSizeEstimates: after 1,000 rows are flushed, system.size_estimates
// and system.table_estimates hold, per range of the node, a share of the
// table's partitions that adds up to them, over ranges that cover the
// whole ring (one node), as Spark's connector reads them.
func TestSizeEstimates(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE est WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE est.t (k int PRIMARY KEY, v text)")
	for i := range 1000 {
		if err := s.Query("INSERT INTO est.t (k, v) VALUES (?, 'some value')", i).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	tables, err := n.cl.recordSizeEstimates(context.Background())
	if err != nil || tables == 0 {
		t.Fatalf("recorded %d tables: %v", tables, err)
	}
	var start, end string
	var mean, count int64
	total, ranges := int64(0), 0
	width := new(big.Int)
	iter := s.Query("SELECT range_start, range_end, mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = 'est' AND table_name = 't'").Iter()
	for iter.Scan(&start, &end, &mean, &count) {
		ranges++
		total += count
		if mean <= 0 {
			t.Errorf("range (%s, %s]: mean partition size %d", start, end, mean)
		}
		a, _ := new(big.Int).SetString(start, 10)
		b, _ := new(big.Int).SetString(end, 10)
		w := new(big.Int).Sub(b, a)
		if w.Sign() <= 0 { // (start, MIN]: to the end of the ring
			w.Add(w, new(big.Int).Lsh(big.NewInt(1), 64))
		}
		width.Add(width, w)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if ranges < DefaultConfig().NumTokens || total < 990 || total > 1010 {
		t.Errorf("%d ranges with %d partitions in all; want at least %d ranges, about 1000", ranges, total, DefaultConfig().NumTokens)
	}
	if ring := new(big.Int).Lsh(big.NewInt(1), 64); width.Cmp(ring) != 0 {
		t.Errorf("the ranges cover %v tokens, want the whole ring, %v", width, ring)
	}
	var kind string
	iter = s.Query("SELECT range_type FROM system.table_estimates WHERE keyspace_name = 'est' AND table_name = 't'").Consistency(gocql.One).Iter()
	seen := map[string]int{}
	for iter.Scan(&kind) {
		seen[kind]++
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	if seen["primary"] != ranges || seen["local"] != ranges {
		t.Errorf("table_estimates ranges by type %v, want %d primary and %d local", seen, ranges, ranges)
	}
}
