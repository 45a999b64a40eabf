package server

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestVersionsFigures measures, on one node through gocql, the figures of
// docs/VERSIONS.md: write throughput of a table keeping 3 versions against
// a plain one; bytes on disk after 10 overwrites of every row with
// max_versions 1, 3 and 10, after a major compaction; latency of
// versions(col, 3) and of an AS OF read against a plain read. A
// measurement, not a check: run it alone with WCDB_VERSIONS_FIGURES=1.
func TestVersionsFigures(t *testing.T) {
	if os.Getenv("WCDB_VERSIONS_FIGURES") != "1" {
		t.Skip("a measurement: set WCDB_VERSIONS_FIGURES=1")
	}
	n := compatNode(t)
	s := compatSession(t, n, func(c *gocql.ClusterConfig) { c.NumConns = 2 })
	mustExec(t, s, "CREATE KEYSPACE fig WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	const rows, overwrites, workers = 2000, 10, 16
	// 100-byte values that differ per write and do not compress away.
	value := func(k, round int) string {
		h := fnv.New128a()
		fmt.Fprintf(h, "%d/%d", k, round)
		sum := h.Sum(nil)
		return strings.Repeat(hex.EncodeToString(sum), 4)[:100]
	}
	// write writes every row of table overwrites times (timestamps
	// growing), from workers goroutines, and returns writes per second.
	write := func(table string) float64 {
		var wg sync.WaitGroup
		start := time.Now()
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for round := range overwrites {
					for k := w; k < rows; k += workers {
						if err := s.Query(fmt.Sprintf("INSERT INTO fig.%s (k, v) VALUES (?, ?) USING TIMESTAMP ?", table),
							k, value(k, round), int64(round+1)*1000).Exec(); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		return float64(rows*overwrites) / time.Since(start).Seconds()
	}
	diskBytes := func(table string) int64 {
		compactAll(t, "fig", table, n)
		var b int64
		for _, f := range n.engine.Table(n.exec.Catalog().Table("fig", table).ID).Files() {
			b += f.Meta.FileSize
		}
		return b
	}
	for _, tb := range []struct{ name, with string }{
		{"plain", ""},
		{"v1", " WITH cell_versions = {'max_versions': '1'}"},
		{"v3", " WITH cell_versions = {'max_versions': '3'}"},
		{"v10", " WITH cell_versions = {'max_versions': '10'}"},
		{"plain2", ""}, // the first again: how much the machine's load moves the rates
	} {
		mustExec(t, s, "CREATE TABLE fig."+tb.name+" (k int PRIMARY KEY, v text)"+tb.with)
		rate := write(tb.name)
		t.Logf("%-5s writes: %.0f/s; after %d overwrites of %d rows and a major compaction: %d bytes on disk",
			tb.name, rate, overwrites, rows, diskBytes(tb.name))
	}
	// Read latency: one row at a time, sequentially.
	latency := func(q string, args func(k int) []any) (p50, p99 time.Duration) {
		var ds []time.Duration
		for i := range 2000 {
			start := time.Now()
			sc := s.Query(q, args(i%rows)...).Iter().Scanner()
			for sc.Next() {
			}
			if err := sc.Err(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2], ds[len(ds)*99/100]
	}
	key := func(k int) []any { return []any{k} }
	for _, r := range []struct {
		what, q string
		args    func(int) []any
	}{
		{"plain table, SELECT v", "SELECT v FROM fig.plain WHERE k = ?", key},
		{"v3 table, SELECT v", "SELECT v FROM fig.v3 WHERE k = ?", key},
		{"v3 table, versions(v, 3)", "SELECT versions(v, 3) FROM fig.v3 WHERE k = ?", key},
		{"v3 table, AS OF", "SELECT v FROM fig.v3 AS OF TIMESTAMP ? WHERE k = ?", func(k int) []any { return []any{int64(9000), k} }},
	} {
		p50, p99 := latency(r.q, r.args)
		t.Logf("%-26s p50 %v p99 %v", r.what, p50, p99)
	}
}
