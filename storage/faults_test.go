package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"time"

	"wcdb/commitlog"
	"wcdb/compaction"
	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
	"wcdb/mutation"
	"wcdb/sstable"
)

func faultOptions(fs vfs.FS) Options {
	o := DefaultOptions("/db")
	o.FS = fs
	o.CommitLogSync = commitlog.Batch
	o.DisableAutoCompaction = true
	o.MemtableFlushSize = 1 << 40 // flushes only where the workload asks
	o.BlockSize = 256
	return o
}

// TestErrorInjection fails every file operation of a workload in turn
// (open, create, writes, flushes, compaction, close): each failure must
// surface as the injected error, never a panic, and reopening after a crash
// at that point must work and keep every acknowledged write.
func TestErrorInjection(t *testing.T) {
	var acked []int
	loop := vfstest.Loop{
		MaxOps: 5000,
		Run: func(fs vfs.FS) (err error) {
			acked = acked[:0]
			e, err := Open(faultOptions(fs))
			if err != nil {
				return err
			}
			defer func() {
				if cerr := e.Close(); err == nil {
					err = cerr
				}
			}()
			tb, err := e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
			if err != nil {
				return err
			}
			return writeFlushCompact(e, tb, 24, 8, &acked)
		},
		Check: func(t testing.TB, fs *vfs.MemFS, runErr error) {
			e, err := Open(faultOptions(fs.Crash()))
			if err != nil {
				t.Fatalf("reopen after %v: %v", runErr, err)
			}
			defer e.Close()
			tb := e.Table(testTable)
			if tb == nil {
				if len(acked) > 0 {
					t.Fatalf("table lost with %d acknowledged writes", len(acked))
				}
				return
			}
			if err := tb.Verify(); err != nil {
				t.Fatalf("verify: %v", err)
			}
			for _, i := range acked {
				p, err := tb.Read(Query{Key: pk(i % 5), Start: ck(i), End: ck(i + 1)})
				if err != nil {
					t.Fatal(err)
				}
				if p == nil || len(p.Rows) != 1 || string(p.Rows[0].Cells[0].Value) != fmt.Sprint("v", i) {
					t.Fatalf("acknowledged write %d lost (run error: %v)", i, runErr)
				}
			}
		},
	}
	runs := loop.Do(t)
	t.Logf("%d runs", runs)
}

// TestCorruptSSTable flips bytes of a flushed SSTable: reads return an error
// wrapping sstable.ErrCorrupt or the right data, never wrong data, and a
// compaction refuses the file.
func TestCorruptSSTable(t *testing.T) {
	const rows = 60
	var tried, detected int
	defer func() { t.Logf("%d offsets flipped, %d detected as corrupt", tried, detected) }()
	for off := int64(0); ; off += 7 {
		fs := vfs.NewMem()
		o := faultOptions(fs)
		o.BlockCacheSize = 1 // read from the file every time
		e, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := e.CreateTable(testTable, TableOptions{Compression: "none"})
		for i := 0; i < rows; i++ {
			if err := e.Apply(rowMut(i%3, i, 1, fmt.Sprint("value-", i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
		path := tb.Files()[0].Path
		size := tb.Files()[0].Meta.FileSize
		if off == 0 {
			t.Logf("table of %d bytes", size)
		}
		if off >= size {
			e.Close()
			break
		}
		e.Close()
		// Flip one byte.
		tried++
		buf, err := vfs.ReadFile(fs, path)
		if err != nil {
			t.Fatal(err)
		}
		buf[off] ^= 0x5a
		wf, _ := fs.Create(path)
		wf.Write(buf)
		wf.Sync()
		wf.Close()

		e, err = Open(o)
		if err != nil {
			if !errors.Is(err, sstable.ErrCorrupt) {
				t.Fatalf("offset %d: open: got %v, want ErrCorrupt", off, err)
			}
			detected++
			continue
		}
		tb = e.Table(testTable)
		sawCorrupt := false
		for i := 0; i < rows; i++ {
			p, err := tb.Read(Query{Key: pk(i % 3), Start: ck(i), End: ck(i + 1)})
			if err != nil {
				if !errors.Is(err, sstable.ErrCorrupt) {
					t.Fatalf("offset %d: read: got %v, want ErrCorrupt", off, err)
				}
				sawCorrupt = true
				continue
			}
			if p == nil || len(p.Rows) != 1 || string(p.Rows[0].Cells[0].Value) != fmt.Sprint("value-", i) {
				// A flip in a bloom filter may only make the key look absent
				// if the filter's checksum missed it, which it must not.
				t.Fatalf("offset %d: row %d: wrong data %+v", off, i, p)
			}
		}
		if err := tb.Compact(); err != nil && !errors.Is(err, sstable.ErrCorrupt) {
			t.Fatalf("offset %d: compaction: got %v, want nil or ErrCorrupt", off, err)
		} else if err != nil {
			sawCorrupt = true
		}
		if sawCorrupt {
			detected++
		}
		e.Close()
	}
}

// TestDeletedDataStaysDeleted: a tombstone compacted away after gc_grace
// must not let older data in another SSTable come back.
func TestDeletedDataStaysDeleted(t *testing.T) {
	now := int64(1_000_000)
	o := faultOptions(vfs.NewMem())
	o.Now = func() timeT { return unix(now) }
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{GCGraceSeconds: 10, CompactionOptions: map[string]string{"min_threshold": "2"}})
	// File 1: the old data. Files 2 and 3: the deletion and something else.
	e.Apply(rowMut(1, 1, 100, "old"))
	tb.Flush()
	del := mutation.NewRow(ck(1))
	del.Deletion = mutation.Deletion{Timestamp: 200, LocalDeletionTime: now}
	e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Live, Rows: []mutation.Row{del}}})
	tb.Flush()
	e.Apply(rowMut(2, 1, 300, "other"))
	tb.Flush()
	now += 100 // past gc_grace
	// Compact only the two newer files: the tombstone must stay, because
	// file 1 (outside the compaction) holds data it shadows.
	files := tb.Files()
	tb.compactMu.Lock()
	err = tb.runCompaction(&compactionTask{Inputs: []uint64{files[1].Num, files[2].Num}}, nil)
	tb.compactMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if got := readVals(t, tb, 1); got != "<none>" {
		t.Fatalf("deleted row came back after a partial compaction: %q", got)
	}
	// A major compaction may now drop both the tombstone and the data.
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	if got := readVals(t, tb, 1); got != "<none>" {
		t.Fatalf("deleted row came back after a major compaction: %q", got)
	}
	var rows int64
	for _, f := range tb.Files() {
		rows += f.Meta.Rows
	}
	if rows != 1 {
		t.Fatalf("got %d rows on disk after purge, want 1 (the other partition)", rows)
	}
}

type timeT = time.Time
type compactionTask = compaction.Task

func unix(s int64) time.Time { return time.Unix(s, 0) }

// TestCorruptCommitLog: a flipped byte in the middle of the commit log stops
// start-up with an error naming the file, unless told to skip.
func TestCorruptCommitLog(t *testing.T) {
	fs := vfs.NewMem()
	o := faultOptions(fs)
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	e.CreateTable(testTable, TableOptions{})
	for i := 0; i < 20; i++ {
		if err := e.Apply(rowMut(1, i, int64(i+1), "v")); err != nil {
			t.Fatal(err)
		}
	}
	crashed := fs.Crash() // no flush: the rows live only in the log
	e.Close()
	names, _ := crashed.List("/db/commitlog")
	seg := "/db/commitlog/" + names[len(names)-1]
	buf, _ := vfs.ReadFile(crashed, seg)
	buf[len(buf)/2] ^= 0xff
	f, _ := crashed.Create(seg)
	f.Write(buf)
	f.Sync()
	f.Close()

	o.FS = crashed
	if _, err := Open(o); !errors.Is(err, commitlog.ErrCorrupt) || !strings.Contains(err.Error(), seg) {
		t.Fatalf("got %v, want ErrCorrupt naming %s", err, seg)
	}
	o.SkipCorruptCommitLog = true
	e, err = Open(o)
	if err != nil {
		t.Fatalf("with SkipCorruptCommitLog: %v", err)
	}
	defer e.Close()
	p, _ := e.Table(testTable).Read(Query{Key: pk(1)})
	if p == nil || len(p.Rows) != 19 {
		t.Fatalf("got %v rows, want 19 (one record skipped)", p)
	}
}

// writeFlushCompact writes n rows (5 partitions), noting each acknowledged
// one in acked, flushes after every flushEvery, then compacts: a workload
// whose every step a fault may interrupt.
func writeFlushCompact(e *Engine, tb *Table, n, flushEvery int, acked *[]int) error {
	for i := 0; i < n; i++ {
		if err := e.Apply(rowMut(i%5, i, int64(i+1), fmt.Sprint("v", i))); err != nil {
			return err
		}
		*acked = append(*acked, i)
		if i%flushEvery == flushEvery-1 {
			if err := tb.Flush(); err != nil {
				return err
			}
		}
	}
	return tb.Compact()
}
