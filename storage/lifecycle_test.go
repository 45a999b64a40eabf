package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

func TestTableLifecycle(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	other := mutation.TableID{9}
	tb, err := e.CreateTable(testTable, TableOptions{Compaction: "LeveledCompactionStrategy", GCGraceSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateTable(testTable, TableOptions{}); !errors.Is(err, ErrTableExists) {
		t.Fatalf("second create: got %v, want ErrTableExists", err)
	}
	if _, err := e.CreateTable(other, TableOptions{Compaction: "NoSuchStrategy"}); err == nil {
		t.Fatal("unknown compaction strategy accepted")
	}
	if _, err := e.CreateTable(other, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		e.Apply(rowMut(1, i, 1, "v"))
	}
	if err := tb.Truncate(); err != nil {
		t.Fatal(err)
	}
	if got := readVals(t, tb, 1); got != "<none>" {
		t.Fatalf("after truncate: %q", got)
	}
	e.Apply(rowMut(1, 42, 2, "after"))
	// Restart: the catalog, options and truncation survive; the truncated
	// rows are not replayed from the commit log.
	e.Close()
	e = openTest(t, fs, nil)
	tb = e.Table(testTable)
	if tb == nil || e.Table(other) == nil {
		t.Fatal("tables lost on restart")
	}
	if tb.Options().Compaction != "LeveledCompactionStrategy" || tb.Options().GCGraceSeconds != 3600 {
		t.Fatalf("options lost: %+v", tb.Options())
	}
	if got := readVals(t, tb, 1); got != "42=after " {
		t.Fatalf("after restart: got %q, want only the row written after truncate", got)
	}
	if err := e.DropTable(testTable); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(rowMut(1, 1, 3, "x")); !errors.Is(err, ErrNoTable) {
		t.Fatalf("write to dropped table: got %v, want ErrNoTable", err)
	}
	e.Close()
	e = openTest(t, fs, nil)
	defer e.Close()
	if e.Table(testTable) != nil {
		t.Fatal("dropped table back after restart")
	}
	if _, err := fs.Stat(e.tableDir(testTable)); err == nil {
		t.Fatal("dropped table's directory still there")
	}
}

// TestConcurrentReadsDuringFlushAndCompaction reads while writers, flushes
// and compactions replace files; run with -race. Every read must see every
// row written before it started.
func TestConcurrentReadsDuringFlushAndCompaction(t *testing.T) {
	e := openTest(t, vfs.NewMem(), func(o *Options) {
		o.MemtableFlushSize = 8 << 10
		o.BlockSize = 512
	})
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
	const parts = 4
	var mu sync.Mutex
	written := make([]int, parts) // rows 0..written[p]-1 are acknowledged
	stop := make(chan struct{})
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for p := 0; p < parts; p++ {
					mu.Lock()
					n := written[p]
					mu.Unlock()
					part, err := tb.Read(Query{Key: pk(p)})
					if err != nil {
						errc <- err
						return
					}
					got := 0
					if part != nil {
						got = len(part.Rows)
					}
					if got < n {
						errc <- fmt.Errorf("partition %d: read %d rows, %d were acknowledged", p, got, n)
						return
					}
				}
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; i < 4000 && time.Now().Before(deadline); i++ {
		p := i % parts
		if err := e.Apply(rowMut(p, i/parts, int64(i+1), "some value to fill blocks")); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		written[p] = i/parts + 1
		mu.Unlock()
		if i%500 == 499 {
			if err := tb.Compact(); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if m := e.Metrics(); m.Flushes.Load() == 0 || m.Compactions.Load() == 0 {
		t.Fatalf("test did not exercise flushes (%d) and compactions (%d)", m.Flushes.Load(), m.Compactions.Load())
	}
}

// TestAlterTable switches a table's compaction strategy and compression
// and checks that the change is used, survives a restart, and leaves the
// data readable.
func TestAlterTable(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	id := testTable
	tab, err := e.CreateTable(id, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := e.Apply(rowMut(i, 0, 1, "v")); err != nil {
			t.Fatal(err)
		}
		if err := tab.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	want := TableOptions{Compaction: "LeveledCompactionStrategy", Compression: "none", BloomFPChance: 0.1, GCGraceSeconds: 60}
	if err := e.AlterTable(id, want); err != nil {
		t.Fatal(err)
	}
	if err := e.AlterTable(id, TableOptions{Compaction: "NoSuchStrategy"}); err == nil {
		t.Error("AlterTable with an unknown strategy: got no error")
	}
	if got := tab.Options(); got.Compaction != want.Compaction || got.Compression != "none" || got.GCGraceSeconds != 60 {
		t.Errorf("options after AlterTable: got %+v, want %+v", got, want)
	}
	if err := tab.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openTest(t, fs, nil)
	defer e.Close()
	tab = e.Table(id)
	if got := tab.Options(); got.Compaction != want.Compaction || got.BloomFPChance != 0.1 {
		t.Errorf("options after restart: got %+v, want %+v", got, want)
	}
	for i := range 5 {
		if got := readVals(t, tab, i); got != "0=v " {
			t.Errorf("partition %d after alter, compaction and restart: got %q, want \"0=v \"", i, got)
		}
	}
}

// TestDirectoryLocked checks that a second engine cannot open a directory
// in use, and that Close (or a crash) releases it.
func TestDirectoryLocked(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	o := DefaultOptions("/db")
	o.FS = fs
	if e2, err := Open(o); !errors.Is(err, vfs.ErrLocked) {
		if e2 != nil {
			e2.Close()
		}
		t.Fatalf("second Open of a directory in use: got %v, want ErrLocked", err)
	}
	crashed := fs.Crash() // a crashed process holds no lock
	openTest(t, crashed, nil).Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	openTest(t, fs, nil).Close()
}
