package storage

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/compaction"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// ttlMut writes one expiring cell (and an expiring row marker) at ts.
func ttlMut(p int, ts, now int64, ttl int32) *mutation.Mutation {
	m := rowMut(p, 0, ts, "v")
	r := &m.Partition.Rows[0]
	r.Liveness = mutation.Liveness{Timestamp: ts, TTL: ttl, ExpiresAt: now + int64(ttl)}
	r.Cells[0].Flags = mutation.CellExpiring
	r.Cells[0].TTL = ttl
	r.Cells[0].LocalDeletionTime = now + int64(ttl)
	return m
}

// TestFullyExpiredFilesDropped checks Cassandra's rule for deleting whole
// SSTables without compacting them: a file whose data has all expired past
// gc_grace goes once nothing older that it could shadow is alive; a file
// that also holds live data, or that shadows older live data, stays.
func TestFullyExpiredFilesDropped(t *testing.T) {
	var clock atomic.Int64
	clock.Store(1_000_000)
	e := openTest(t, vfs.NewMem(), func(o *Options) {
		o.Now = func() time.Time { return time.Unix(clock.Load(), 0) }
		o.DisableAutoCompaction = true
	})
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{GCGraceSeconds: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Load()
	flushOne := func(m *mutation.Mutation) {
		t.Helper()
		if err := e.Apply(m); err != nil {
			t.Fatal(err)
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Each file holds one partition, so files overlap only when they hold
	// the same one.
	flushOne(rowMut(1, 0, 10, "live"))  // 1: live
	flushOne(ttlMut(1, 20, now, 60))    // 2: expires; newer than 1's live row, which it shadows
	flushOne(ttlMut(2, 30, now, 60))    // 3: expires; older than everything alive beside it
	flushOne(rowMut(2, 1, 40, "live2")) // 4: live
	flushOne(ttlMut(3, 60, now, 60))    // 5: expires; newer than 6's live data
	flushOne(rowMut(3, 1, 50, "live3")) // 6: live
	clock.Add(120)                      // every TTL has run out; gc_grace is 0

	// Data in a memtable older than an expired file keeps the file.
	if err := e.Apply(rowMut(7, 0, 1, "ancient")); err != nil {
		t.Fatal(err)
	}
	if ids := compaction.FullyExpired(tb.compactionTables(), clock.Load(), tb.memMinTimestamp()); len(ids) != 0 {
		t.Errorf("with older data in the memtable: got %v fully expired, want none", ids)
	}
	if err := tb.Flush(); err != nil { // 7: live, overlaps nothing
		t.Fatal(err)
	}
	did, err := tb.compactOnce(nil)
	if err != nil || !did {
		t.Fatalf("compactOnce: did %v, err %v; want the expired file dropped", did, err)
	}
	var got []uint64
	for _, f := range tb.Files() {
		got = append(got, f.Num)
	}
	// Only 3 may go: dropping 2 would resurrect 1's row (an expired cell
	// shadows older data as a tombstone does), and 5 is newer than live
	// data beside it, which Cassandra's rule conservatively keeps.
	if want := []uint64{1, 2, 4, 5, 6, 7}; !slices.Equal(got, want) {
		t.Fatalf("files after dropping expired ones: got %v, want %v", got, want)
	}
	for p, want := range map[int]string{1: "<none>", 2: "1=live2 ", 3: "1=live3 ", 7: "0=ancient "} {
		if v := readVals(t, tb, p); v != want {
			t.Errorf("partition %d: got %q, want %q", p, v, want)
		}
	}
	if ids := compaction.FullyExpired(tb.compactionTables(), clock.Load(), tb.memMinTimestamp()); len(ids) != 0 {
		t.Errorf("after the drop: got %v fully expired, want none", ids)
	}
}
