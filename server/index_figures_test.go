package server

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestIndexFigures measures docs/INDEXES.md's figures: for N rows (1M by
// default) whose column v has 1,000 distinct values, the write throughput
// of a table with an SAI index on v against one without (in one run,
// alternating), and the latency of v = ? through the index against the
// same query with ALLOW FILTERING on the table without. Long: it runs only
// with WCDB_INDEX_FIGURES=1 (WCDB_INDEX_ROWS sets N).
func TestIndexFigures(t *testing.T) {
	if os.Getenv("WCDB_INDEX_FIGURES") != "1" {
		t.Skip("set WCDB_INDEX_FIGURES=1 to measure")
	}
	rows := 1_000_000
	if s := os.Getenv("WCDB_INDEX_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE fig WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE fig.plain (k int PRIMARY KEY, v int)",
		"CREATE TABLE fig.indexed (k int PRIMARY KEY, v int)",
		"CREATE CUSTOM INDEX fig_v ON fig.indexed (v) USING 'StorageAttachedIndex'")
	const writers, phases = 16, 8
	var took [2]time.Duration
	for ph := 0; ph < phases; ph++ {
		lo, hi := rows*ph/phases, rows*(ph+1)/phases
		for ti, table := range []string{"plain", "indexed"} {
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					q := "INSERT INTO fig." + table + " (k, v) VALUES (?, ?)"
					for k := lo + w; k < hi; k += writers {
						if err := s.Query(q, k, k%1000).Exec(); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			took[ti] += time.Since(start)
		}
	}
	plainRate, idxRate := float64(rows)/took[0].Seconds(), float64(rows)/took[1].Seconds()
	t.Logf("writes: %d rows, %d writers: without index %.0f rows/s, with SAI index %.0f rows/s (%.2fx)",
		rows, writers, plainRate, idxRate, idxRate/plainRate)
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	query := func(q string, v int) time.Duration {
		start := time.Now()
		it := s.Query(q, v).PageSize(5000).Iter()
		var k, got int
		for it.Scan(&k) {
			got++
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if got != rows/1000 {
			t.Fatalf("%s [%d]: %d rows, want %d", q, v, got, rows/1000)
		}
		return time.Since(start)
	}
	median := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	var idx, scan []time.Duration
	for i := 0; i < 21; i++ {
		idx = append(idx, query("SELECT k FROM fig.indexed WHERE v = ?", i*37%1000))
	}
	for i := 0; i < 3; i++ {
		scan = append(scan, query("SELECT k FROM fig.plain WHERE v = ? ALLOW FILTERING", i*37%1000))
	}
	mi, ms := median(idx), median(scan)
	t.Logf("v = ? (%d rows of %d): through the index %v (median of %d), ALLOW FILTERING scan %v (median of %d): %.0fx faster",
		rows/1000, rows, mi, len(idx), ms, len(scan), float64(ms)/float64(mi))
}
