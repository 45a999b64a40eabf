package storage

import (
	"errors"
	"sync"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// deletedRows writes rows 0..n-1 of partition p, then deletes each (row
// deletions at a later timestamp).
func deletedRows(t *testing.T, e *Engine, p, n int) {
	t.Helper()
	for c := range n {
		if err := e.Apply(rowMut(p, c, 10, "v")); err != nil {
			t.Fatal(err)
		}
		r := mutation.NewRow(ck(c))
		r.Deletion = mutation.Deletion{Timestamp: 20, LocalDeletionTime: 1000}
		if err := e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live, Rows: []mutation.Row{r}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadCountsTombstones checks what reads count (ReadStats) and that
// MaxTombstones aborts them, point reads and scans, from memtables and
// SSTables alike.
func TestReadCountsTombstones(t *testing.T) {
	now := time.Unix(2000, 0)
	e := openTest(t, vfs.NewMem(), func(o *Options) {
		o.CommitLogSync = commitlog.Batch
		o.DisableAutoCompaction = true
		o.Now = func() time.Time { return now }
	})
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Partition 1: 50 deleted rows, 5 live ones.
	deletedRows(t, e, 1, 50)
	for c := 100; c < 105; c++ {
		if err := e.Apply(rowMut(1, c, 10, "live")); err != nil {
			t.Fatal(err)
		}
	}
	// Partition 2: a cell tombstone, an expired cell, a range tombstone
	// and a partition deletion older than its live row.
	r := mutation.NewRow(ck(1))
	r.Liveness = mutation.Liveness{Timestamp: 30, ExpiresAt: mutation.NoDeletionTime}
	r.Cells = []mutation.Cell{
		{Column: 1, Flags: mutation.CellTombstone, Timestamp: 30, LocalDeletionTime: 1000},
		{Column: 2, Flags: mutation.CellExpiring, Timestamp: 30, TTL: 10, LocalDeletionTime: 1010, Value: []byte("x")},
		cellv(3, 30, "y"),
	}
	if err := e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(2),
		Deletion:        mutation.Deletion{Timestamp: 5, LocalDeletionTime: 1000},
		RangeTombstones: []mutation.RangeTombstone{{Start: ck(5), End: ck(9), Deletion: mutation.Deletion{Timestamp: 6, LocalDeletionTime: 1000}}},
		Rows:            []mutation.Row{r}}}); err != nil {
		t.Fatal(err)
	}
	for _, flushed := range []bool{false, true} {
		if flushed {
			if err := tb.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		var st ReadStats
		if _, err := tb.ReadCounted(Query{Key: pk(1)}, &st); err != nil || st != (ReadStats{LiveRows: 5, Tombstones: 50}) {
			t.Errorf("flushed %v: partition 1: got %+v, %v; want 5 live rows, 50 tombstones", flushed, st, err)
		}
		st = ReadStats{}
		if _, err := tb.ReadCounted(Query{Key: pk(1), Start: ck(10)}, &st); err != nil || st != (ReadStats{LiveRows: 5, Tombstones: 40}) {
			t.Errorf("flushed %v: partition 1 from row 10: got %+v, %v; want 5 live rows, 40 tombstones", flushed, st, err)
		}
		st = ReadStats{}
		if _, err := tb.ReadCounted(Query{Key: pk(2)}, &st); err != nil || st != (ReadStats{LiveRows: 1, Tombstones: 4}) {
			t.Errorf("flushed %v: partition 2: got %+v, %v; want 1 live row, 4 tombstones", flushed, st, err)
		}
		st = ReadStats{}
		if _, err := tb.ReadCounted(Query{Key: pk(2), Start: ck(10)}, &st); err != nil || st != (ReadStats{LiveRows: 0, Tombstones: 1}) {
			t.Errorf("flushed %v: partition 2 past the range tombstone: got %+v, %v; want the partition deletion only", flushed, st, err)
		}
		// The limit: 50 is fine, 49 is not.
		if _, err := tb.Read(Query{Key: pk(1), MaxTombstones: 50}); err != nil {
			t.Errorf("flushed %v: 50 tombstones under a limit of 50: %v", flushed, err)
		}
		if _, err := tb.Read(Query{Key: pk(1), MaxTombstones: 49}); !errors.Is(err, ErrTombstoneOverwhelming) {
			t.Errorf("flushed %v: 50 tombstones over a limit of 49: got %v, want ErrTombstoneOverwhelming", flushed, err)
		}
		// A scan counts over its partitions.
		st = ReadStats{}
		if _, err := tb.Scan(ScanQuery{Stats: &st}, func(*mutation.Partition) bool { return true }); err != nil || st != (ReadStats{LiveRows: 6, Tombstones: 54}) {
			t.Errorf("flushed %v: scan: got %+v, %v; want 6 live rows, 54 tombstones", flushed, st, err)
		}
		if _, err := tb.Scan(ScanQuery{MaxTombstones: 53}, func(*mutation.Partition) bool { return true }); !errors.Is(err, ErrTombstoneOverwhelming) {
			t.Errorf("flushed %v: scan over the limit: got %v, want ErrTombstoneOverwhelming", flushed, err)
		}
	}
}

// TestScanOfDeletedPartitionsAborts: a scan through deleted partitions
// returns nothing for them, and stops at the limit rather than going
// through them all.
func TestScanOfDeletedPartitionsAborts(t *testing.T) {
	e := openTest(t, vfs.NewMem(), func(o *Options) { o.DisableAutoCompaction = true })
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range 500 {
		if err := e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p),
			Deletion: mutation.Deletion{Timestamp: 5, LocalDeletionTime: 1000}}}); err != nil {
			t.Fatal(err)
		}
	}
	var st ReadStats
	n := 0
	_, err = tb.Scan(ScanQuery{Stats: &st, MaxTombstones: 100}, func(*mutation.Partition) bool { n++; return true })
	if !errors.Is(err, ErrTombstoneOverwhelming) || n != 0 || st.Tombstones != 101 {
		t.Errorf("got %v after %d partitions and %d tombstones; want ErrTombstoneOverwhelming at the 101st", err, n, st.Tombstones)
	}
}

// TestCompactionReportsLargePartitions: a compaction reports each
// partition it writes over LargePartitionWarningThreshold, and only those.
func TestCompactionReportsLargePartitions(t *testing.T) {
	type report struct {
		key  string
		size int64
	}
	var mu sync.Mutex
	var got []report
	e := openTest(t, vfs.NewMem(), func(o *Options) {
		o.DisableAutoCompaction = true
		o.LargePartitionWarningThreshold = 10 << 10
		o.LargePartition = func(table mutation.TableID, key mutation.Key, size int64, sstable string) {
			mu.Lock()
			defer mu.Unlock()
			if table != testTable || sstable == "" {
				t.Errorf("reported table %x, sstable %q", table, sstable)
			}
			got = append(got, report{string(key.Bytes), size})
		}
	})
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	value := string(make([]byte, 1000))
	for round := range 2 {
		for c := range 10 {
			// Partition 1: 20 rows of 1000 bytes; partition 2: 2.
			if err := e.Apply(rowMut(1, round*10+c, 10, value)); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Apply(rowMut(2, round, 10, value)); err != nil {
			t.Fatal(err)
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].key != string(pk(1).Bytes) || got[0].size < 20000 || got[0].size > 21000 {
		t.Errorf("reported %+v, want partition 1 alone, about 20 KB", got)
	}
}
