package storage

import (
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

func TestTableMetrics(t *testing.T) {
	e := openTest(t, vfs.NewMem(), func(o *Options) { o.DisableAutoCompaction = true })
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Key 1 in two SSTables, key 2 in one and the memtable.
	for _, round := range [][]int{{1, 2}, {1}} {
		for _, p := range round {
			if err := e.Apply(rowMut(p, 1, 1, "v")); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Apply(rowMut(2, 2, 2, "w")); err != nil {
		t.Fatal(err)
	}
	m := tb.Metrics()
	if got := m.WriteLatency.Snapshot().Count; got != 4 {
		t.Errorf("writes timed: got %d, want 4", got)
	}
	var st ReadStats
	if _, err := tb.ReadCounted(Query{Key: pk(1)}, &st); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.ReadFunc(Query{Key: pk(2)}, func(*mutation.Row) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Scan(ScanQuery{}, func(*mutation.Partition) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if got := m.ReadLatency.Snapshot().Count; got != 2 {
		t.Errorf("reads timed: got %d, want 2", got)
	}
	if got := m.RangeLatency.Snapshot().Count; got != 1 {
		t.Errorf("scans timed: got %d, want 1", got)
	}
	// Read 1 looks into both files; read 2 into the first, which holds
	// key 2, and into the second only on a bloom false positive.
	spr := m.SSTablesPerRead.Snapshot()
	if spr.Count != 2 || spr.Sum-uint64(m.BloomFalsePositives.Load()) != 3 {
		t.Errorf("SSTables per read: %d reads, %d files, %d false positives; want 2 reads, 3 files holding the key",
			spr.Count, spr.Sum, m.BloomFalsePositives.Load())
	}
	if got := m.TombstonesPerRead.Snapshot().Count; got != 1 {
		t.Errorf("tombstone counts: got %d reads, want 1 (the counted one)", got)
	}
	s := tb.Status()
	var size int64
	for _, f := range tb.Files() {
		size += f.Meta.FileSize
	}
	if s.LiveSSTables != 2 || s.LiveBytes != size || s.MemtableBytes <= 0 {
		t.Errorf("status %+v, want 2 SSTables of %d bytes and a memtable", s, size)
	}
}
