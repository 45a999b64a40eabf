package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// This file tests what the engine tells its owner of disk failures (the
// node applies commit_failure_policy and disk_failure_policy there) and
// that it carries on once the disk works again, losing nothing it
// acknowledged.

// failures records what Options.CommitFailure and DiskFailure are told.
type failures struct {
	mu     sync.Mutex
	commit []error
	disk   []diskFailure
}

type diskFailure struct {
	op, dir string
	err     error
}

func (f *failures) set(o *Options) {
	o.CommitFailure = func(err error) {
		f.mu.Lock()
		f.commit = append(f.commit, err)
		f.mu.Unlock()
	}
	o.DiskFailure = func(op, dir string, err error) {
		f.mu.Lock()
		f.disk = append(f.disk, diskFailure{op, dir, err})
		f.mu.Unlock()
	}
}

func (f *failures) get() ([]error, []diskFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commit), slices.Clone(f.disk)
}

// full is an ErrorFS injector: while armed, the operations its match
// picks fail with err (ENOSPC: a full disk).
type full struct {
	armed atomic.Bool
	err   error
	match func(op vfs.Op) bool
}

func (f *full) MaybeError(op vfs.Op) error {
	if f.armed.Load() && op.Kind.Mutating() && f.match(op) {
		return f.err
	}
	return nil
}

func inCommitLog(op vfs.Op) bool { return strings.Contains(op.Path, "/commitlog/") }
func isSSTable(op vfs.Op) bool   { return strings.Contains(op.Path, ".sst") }

// fullDisk opens an engine, with mod's options, whose SSTable writes fail
// with ENOSPC while the injector is armed, and a table of it; told
// records the failures the engine reports.
func fullDisk(t *testing.T, mod func(*Options)) (mem *vfs.MemFS, inj *full, told *failures, e *Engine, tb *Table) {
	mem = vfs.NewMem()
	inj = &full{err: syscall.ENOSPC, match: isSSTable}
	told = &failures{}
	e = openTest(t, vfs.NewErrorFS(mem, inj), func(o *Options) {
		if mod != nil {
			mod(o)
		}
		told.set(o)
	})
	t.Cleanup(func() { e.Close() })
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return mem, inj, told, e, tb
}

// TestCommitFailureRecovers fills the disk under the commit log: Apply
// fails with ENOSPC, CommitFailure is told with the segment's path, and
// once the disk has room Apply works again with no reopen; after a power
// loss every acknowledged write is there.
func TestCommitFailureRecovers(t *testing.T) {
	for _, mode := range []commitlog.SyncMode{commitlog.Batch, commitlog.Periodic} {
		t.Run(mode.String(), func(t *testing.T) {
			mem := vfs.NewMem()
			inj := &full{err: syscall.ENOSPC, match: inCommitLog}
			var told failures
			e := openTest(t, vfs.NewErrorFS(mem, inj), func(o *Options) {
				o.CommitLogSync = mode
				told.set(o)
			})
			tb, err := e.CreateTable(testTable, TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var acked []int
			for i := range 5 {
				if err := e.Apply(rowMut(i, i, 1, "before")); err != nil {
					t.Fatal(err)
				}
				acked = append(acked, i)
			}
			inj.armed.Store(true)
			if mode == commitlog.Periodic {
				// Acknowledged at once: its write fails behind it.
				if err := e.Apply(rowMut(5, 5, 1, "before")); err != nil {
					t.Fatal(err)
				}
				acked = append(acked, 5)
				waitUntil(t, "CommitFailure to be told", func() bool { c, _ := told.get(); return len(c) > 0 })
			}
			if err := e.Apply(rowMut(6, 6, 1, "refused")); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Apply with the disk full: got %v, want ENOSPC", err)
			}
			// The commit log's goroutine tells CommitFailure; the refused
			// Apply may return first.
			waitUntil(t, "CommitFailure to be told", func() bool { c, _ := told.get(); return len(c) > 0 })
			commit, disk := told.get()
			if len(commit) == 0 || !errors.Is(commit[0], syscall.ENOSPC) || !strings.Contains(commit[0].Error(), "/db/commitlog/CommitLog-") {
				t.Fatalf("CommitFailure told %v, want ENOSPC naming the segment", commit)
			}
			if len(disk) > 0 {
				t.Fatalf("DiskFailure told %v for a commit log failure", disk)
			}
			if p, _ := tb.Read(Query{Key: pk(6)}); p != nil {
				t.Fatalf("a refused write is readable")
			}

			inj.armed.Store(false)
			for i := 7; i < 12; i++ {
				if err := e.Apply(rowMut(i, i, 1, "after")); err != nil {
					t.Fatalf("Apply once the disk has room: %v", err)
				}
				acked = append(acked, i)
			}
			if err := e.SyncLog(); err != nil {
				t.Fatal(err)
			}
			checkAcked(t, mem.Crash(), acked)
			e.Close()
		})
	}
}

// TestDiskFailureFlush fills the disk under a background flush:
// DiskFailure is told (flush, the table's directory, ENOSPC); writers wait
// once MaxFlushingMemtables memtables are waiting (memory stays bounded
// while the disk is full), the flush is tried again by itself, and once
// the disk has room it succeeds and the writes go on, none lost.
func TestDiskFailureFlush(t *testing.T) {
	mem, inj, told, e, tb := fullDisk(t, func(o *Options) {
		o.CommitLogSync = commitlog.Batch
		o.MemtableFlushSize = 4 << 10
	})
	inj.armed.Store(true)
	const rows = 500 // about 25 memtables' worth
	var acked atomic.Int64
	done := make(chan error, 1)
	go func() {
		for i := range rows {
			if err := e.Apply(rowMut(i, i, 1, strings.Repeat("x", 200))); err != nil {
				done <- fmt.Errorf("Apply %d: %w", i, err)
				return
			}
			acked.Store(int64(i + 1))
		}
		done <- nil
	}()
	waitUntil(t, "a flush to fail", func() bool { _, d := told.get(); return len(d) > 0 })
	_, disk := told.get()
	if d := disk[0]; d.op != OpFlush || d.dir != tb.dir || !errors.Is(d.err, syscall.ENOSPC) {
		t.Fatalf("DiskFailure told %s in %s: %v; want flush in %s: ENOSPC", d.op, d.dir, d.err, tb.dir)
	}
	// The writer stalls behind the memtables waiting for flush.
	waitUntil(t, "the writer to stall", func() bool { return e.Metrics().WriteStalls.Load() > 0 && e.Metrics().Stalled.Load() == 1 })
	if n := acked.Load(); n == rows {
		t.Fatalf("all %d writes went through with the disk full", n)
	}
	// Two frozen memtables and the active one, each a write past the flush
	// size at most (a memtable counts its first 256 KiB slab whole).
	if got, limit := tb.Status().MemtableBytes, int64(3*(256<<10+8<<10)); got > limit {
		t.Errorf("memtables hold %d bytes with the disk full, want at most %d", got, limit)
	}
	inj.armed.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the writes did not go on once the disk had room (%d acknowledged)", acked.Load())
	}
	if n := e.Metrics().Stalled.Load(); n != 0 {
		t.Errorf("%d writers stalled once the writes went on, want 0", n)
	}
	if len(tb.Files()) == 0 {
		t.Fatal("no SSTable after the flushes were tried again")
	}
	if err := tb.Verify(); err != nil {
		t.Fatal(err)
	}
	all := make([]int, rows)
	for i := range all {
		all[i] = i
		if got := readVals(t, tb, i); got == "<none>" {
			t.Fatalf("row %d lost", i)
		}
	}
	checkAcked(t, mem.Crash(), all)
}

// TestFlushRetried: a background flush that failed is tried again by
// itself, with nothing else asking.
func TestFlushRetried(t *testing.T) {
	_, inj, told, e, tb := fullDisk(t, nil)
	for i := range 10 {
		if err := e.Apply(rowMut(i, i, 1, "v")); err != nil {
			t.Fatal(err)
		}
	}
	inj.armed.Store(true)
	e.bg.requestFlush(tb)
	waitUntil(t, "the flush to fail", func() bool { _, d := told.get(); return len(d) > 0 })
	inj.armed.Store(false)
	start := time.Now()
	waitUntil(t, "the flush tried again", func() bool { return len(tb.Files()) > 0 })
	if d := time.Since(start); d > 2*flushRetryMin {
		t.Errorf("flush tried again after %v, want about %v", d, flushRetryMin)
	}
}

// TestDiskFailureCompaction fills the disk under a compaction: DiskFailure
// is told, and the inputs stay inputs (an I/O error is not corruption): the
// compaction succeeds once the disk has room.
func TestDiskFailureCompaction(t *testing.T) {
	_, inj, told, e, tb := fullDisk(t, func(o *Options) { o.DisableAutoCompaction = true })
	for round := range 3 {
		for i := range 10 {
			if err := e.Apply(rowMut(i, round, 1, fmt.Sprint("v", round))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	inj.armed.Store(true)
	if err := tb.Compact(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Compact with the disk full: got %v, want ENOSPC", err)
	}
	_, disk := told.get()
	if len(disk) != 1 || disk[0].op != OpCompaction || !errors.Is(disk[0].err, syscall.ENOSPC) {
		t.Fatalf("DiskFailure told %v, want one compaction failure with ENOSPC", disk)
	}
	inj.armed.Store(false)
	if err := tb.Compact(); err != nil {
		t.Fatalf("Compact once the disk has room: %v", err)
	}
	if n := len(tb.Files()); n != 1 {
		t.Fatalf("got %d files after the compaction, want 1", n)
	}
	if got, want := readVals(t, tb, 3), "0=v0 1=v1 2=v2 "; got != want {
		t.Fatalf("partition 3: got %q, want %q", got, want)
	}
}

// TestDiskFailureImport fills the disk under a streamed import, of
// partitions and of a whole file: the import fails with ENOSPC and
// DiskFailure is told (import, the table's directory), as for a flush; the
// table is unchanged and imports work again once the disk has room.
func TestDiskFailureImport(t *testing.T) {
	_, inj, told, _, tb := fullDisk(t, nil)
	row := mutation.NewRow(ck(1))
	row.Cells = []mutation.Cell{cellv(1, 5, "value")}
	enc := mutation.AppendRow(nil, &row)
	importRows := func() error {
		im, err := tb.NewImport()
		if err != nil {
			return err
		}
		defer im.Abort()
		for i := range 20 {
			if err := im.StartPartition(mutation.Key{Token: int64(i), Bytes: ck(i)}, nil); err != nil {
				return err
			}
			if err := im.AddRow(ck(1), enc); err != nil {
				return err
			}
			if err := im.FinishPartition(); err != nil {
				return err
			}
		}
		_, err = im.Commit()
		return err
	}
	importFile := func() error {
		fi, err := tb.NewFileImport()
		if err != nil {
			return err
		}
		defer fi.Abort()
		if err := fi.Write([]byte("not reached")); err != nil {
			return err
		}
		_, err = fi.Commit(nil)
		return err
	}
	for _, imp := range []struct {
		name string
		run  func() error
	}{{"partitions", importRows}, {"whole file", importFile}} {
		inj.armed.Store(true)
		err := imp.run()
		inj.armed.Store(false)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("import of %s with the disk full: got %v, want ENOSPC", imp.name, err)
		}
		_, disk := told.get()
		if len(disk) == 0 {
			t.Fatalf("import of %s: DiskFailure not told", imp.name)
		}
		if d := disk[len(disk)-1]; d.op != OpImport || d.dir != tb.dir || !errors.Is(d.err, syscall.ENOSPC) {
			t.Fatalf("import of %s: DiskFailure told %s in %s: %v; want import in %s: ENOSPC", imp.name, d.op, d.dir, d.err, tb.dir)
		}
		if n := len(tb.Files()); n != 0 {
			t.Fatalf("import of %s: %d files after a failed import, want 0", imp.name, n)
		}
	}
	if err := importRows(); err != nil {
		t.Fatalf("import once the disk has room: %v", err)
	}
	n := 0
	if _, err := tb.Scan(ScanQuery{}, func(*mutation.Partition) bool { n++; return true }); err != nil || n != 20 {
		t.Fatalf("after the import: %d partitions, %v; want 20", n, err)
	}
}

// TestDiskFailureRead fails SSTable reads with EIO: the read fails and
// DiskFailure is told; a corrupt file is not a disk failure.
func TestDiskFailureRead(t *testing.T) {
	mem := vfs.NewMem()
	var armed atomic.Bool
	inj := vfs.InjectorFunc(func(op vfs.Op) error {
		if armed.Load() && op.Kind == vfs.OpReadAt && isSSTable(op) {
			return syscall.EIO
		}
		return nil
	})
	var told failures
	e := openTest(t, vfs.NewErrorFS(mem, inj), func(o *Options) {
		o.BlockCacheSize = 1 // read from the file every time
		told.set(o)
	})
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{})
	for i := range 10 {
		if err := e.Apply(rowMut(i, i, 1, "v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	if _, err := tb.Read(Query{Key: pk(3)}); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Read with the disk failing: got %v, want EIO", err)
	}
	if _, err := tb.Scan(ScanQuery{}, func(*mutation.Partition) bool { return true }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Scan with the disk failing: got %v, want EIO", err)
	}
	armed.Store(false)
	_, disk := told.get()
	if len(disk) != 2 || disk[0].op != OpRead || disk[0].dir != tb.dir || !errors.Is(disk[0].err, syscall.EIO) {
		t.Fatalf("DiskFailure told %v, want two read failures with EIO", disk)
	}
	if got := readVals(t, tb, 3); got != "3=v " {
		t.Fatalf("read once the disk works: got %q", got)
	}

	// A corrupt file fails reads without being a disk failure.
	path := tb.Files()[0].Path
	f, err := mem.OpenReadWrite(path)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := f.Size()
	buf := make([]byte, size)
	f.ReadAt(buf, 0)
	for i := 0; i < len(buf)/2; i++ {
		buf[i] ^= 0xff
	}
	f.Write(buf[:len(buf)/2])
	f.Close()
	corruptSeen := false
	for i := range 10 {
		if _, err := tb.Read(Query{Key: pk(i)}); err != nil {
			corruptSeen = true
		}
	}
	if _, disk := told.get(); !corruptSeen || len(disk) != 2 {
		t.Fatalf("after corrupting %s: a read failed %v, DiskFailure told %v; want a failed read and no more disk failures", filepath.Base(path), corruptSeen, disk)
	}
}

// TestENOSPCEveryWrite runs a workload that retries what fails, with its
// i-th mutating file operation failing with ENOSPC, for i = 0, 1, ...
// until no error is injected. Every error, returned or told to
// CommitFailure or DiskFailure, is the injected ENOSPC; the workload
// completes; and after a power loss every acknowledged write is there.
func TestENOSPCEveryWrite(t *testing.T) {
	for i := int64(0); ; i++ {
		if i > 5000 {
			t.Fatal("workload never ran without an injected error")
		}
		mem := vfs.NewMem()
		efs := vfs.NewErrorFS(mem, vfs.WritesOnly(vfs.OnIndexErr(i, syscall.ENOSPC)))
		var told failures
		o := faultOptions(efs)
		told.set(&o)
		acked, err := retryingWorkload(o)
		if err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("op %d: error not injected: %v", i, err)
		}
		commit, disk := told.get()
		for _, e := range commit {
			if !errors.Is(e, syscall.ENOSPC) {
				t.Fatalf("op %d: CommitFailure told %v", i, e)
			}
		}
		for _, d := range disk {
			if !errors.Is(d.err, syscall.ENOSPC) {
				t.Fatalf("op %d: DiskFailure told %s: %v", i, d.op, d.err)
			}
		}
		checkAcked(t, mem.Crash(), acked)
		if efs.Injected() == 0 {
			t.Logf("the workload ran without an injected error once %d mutating operations could all run", i)
			return
		}
	}
}

// retryingWorkload opens an engine, writes, flushes and compacts, retrying
// each step that fails with ENOSPC, and closes; it returns the writes
// acknowledged and the error it gave up on.
func retryingWorkload(o Options) (acked []int, err error) {
	retry := func(op func() error) error {
		var err error
		for range 5 {
			if err = op(); err == nil || !errors.Is(err, syscall.ENOSPC) {
				return err
			}
		}
		return err
	}
	var e *Engine
	if err := retry(func() (err error) { e, err = Open(o); return err }); err != nil {
		return nil, err
	}
	defer func() {
		if cerr := e.Close(); err == nil {
			err = cerr
		}
	}()
	var tb *Table
	if err := retry(func() (err error) {
		if tb = e.Table(testTable); tb == nil {
			tb, err = e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
		}
		return err
	}); err != nil {
		return nil, err
	}
	for i := range 24 {
		if err := retry(func() error { return e.Apply(rowMut(i%5, i, int64(i+1), fmt.Sprint("v", i))) }); err != nil {
			return acked, err
		}
		acked = append(acked, i)
		if i%8 == 7 {
			if err := retry(tb.Flush); err != nil {
				return acked, err
			}
		}
	}
	return acked, retry(tb.Compact)
}

// checkAcked opens the engine's files (a crashed copy) and checks that
// every acknowledged write of rowMut(i%5, i, ...) or rowMut(i, i, ...) is
// there.
func checkAcked(t *testing.T, fs *vfs.MemFS, acked []int) {
	t.Helper()
	e, err := Open(faultOptions(fs))
	if err != nil {
		t.Fatalf("reopen: %v", err)
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
		found := false
		for _, p := range []int{i, i % 5} {
			part, err := tb.Read(Query{Key: pk(p), Start: ck(i), End: ck(i + 1)})
			if err != nil {
				t.Fatal(err)
			}
			found = found || part != nil && len(part.Rows) == 1
		}
		if !found {
			t.Fatalf("acknowledged write %d lost", i)
		}
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
