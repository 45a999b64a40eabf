package query

import (
	"runtime"
	"strings"
	"testing"
)

// TestPreparedBatchLinear: preparing a batch of N statements with markers
// allocates in proportion to N (each statement's analyzer once held the
// whole batch's markers: 16 KiB of text took 7.6 MB, a 1 MB batch tens of
// GB).
func TestPreparedBatchLinear(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	alloc := func(n int) uint64 {
		var b strings.Builder
		b.WriteString("BEGIN UNLOGGED BATCH ")
		for range n {
			b.WriteString("INSERT INTO ks.t (k, v) VALUES (?, ?); ")
		}
		b.WriteString("APPLY BATCH")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		p, err := e.x.Prepare(&Session{}, b.String())
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Bind) != 2*n {
			t.Fatalf("%d markers, want %d", len(p.Bind), 2*n)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(500), alloc(4000)
	ratio := float64(large) / float64(small)
	t.Logf("prepare of a batch: 500 statements %d KiB, 4000 statements %d KiB (%.1f×; linear 8×, quadratic 64×)",
		small>>10, large>>10, ratio)
	if ratio > 16 {
		t.Errorf("8× the statements allocate %.1f× as much: not linear", ratio)
	}
}
