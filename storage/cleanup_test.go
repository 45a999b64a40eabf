package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
	"wcdb/mutation"
	"wcdb/storage/internal/sststats"
)

// cleanupNow is the engine's clock in the cleanup tests: raw reads turn
// cells expired by then into tombstones, so it must not move.
const cleanupNow = 1_000_000

// ownedQuarter owns a quarter of the ring in two ranges, as a node with
// vnodes does: the ring's first eighth, so that a file's first partitions
// are kept and its first dropped one comes later, and the eighth from 0.
func ownedQuarter(tok int64) bool {
	return tok < math.MinInt64+1<<61 || tok >= 0 && tok < 1<<61
}

func ownedPart(i int) bool { return ownedQuarter(pk(i).Token) }

func cleanupOptions(fs vfs.FS) Options {
	o := DefaultOptions("/db")
	o.FS = fs
	o.CommitLogSync = commitlog.Batch
	o.DisableAutoCompaction = true
	o.MemtableFlushSize = 1 << 40
	o.BlockSize = 512
	o.Now = func() time.Time { return time.Unix(cleanupNow, 0) }
	return o
}

// cleanupMut is a version of partition i written at ts: live rows and, by
// i, row and range deletions, cells expiring later or already expired, a
// static row, a partition deletion below ts, so that every kind of data
// and tombstone passes through cleanup.
func cleanupMut(i int, ts int64) *mutation.Mutation {
	p := mutation.Partition{Key: pk(i), Deletion: mutation.Live}
	for c := 0; c < 3; c++ {
		r := mutation.NewRow(ck(c + int(ts%5)))
		r.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
		r.Cells = []mutation.Cell{cellv(1, ts, fmt.Sprintf("p%d-c%d-ts%d-%s", i, c, ts, strings.Repeat("x", 60)))}
		p.Rows = append(p.Rows, r)
	}
	if i%4 == 1 {
		del := mutation.NewRow(ck(20))
		del.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: cleanupNow - 100}
		ttl := mutation.NewRow(ck(21))
		exp := int64(cleanupNow + 1000)
		if i%8 == 1 {
			exp = cleanupNow - 10 // expired: a tombstone to raw reads
		}
		ttl.Cells = []mutation.Cell{{Column: 2, Flags: mutation.CellExpiring, Timestamp: ts, TTL: 3600, LocalDeletionTime: exp, Value: []byte("ttl")}}
		p.Rows = append(p.Rows, del, ttl)
	}
	if i%5 == 2 {
		p.RangeTombstones = []mutation.RangeTombstone{{Start: ck(10), End: ck(15), Deletion: mutation.Deletion{Timestamp: ts, LocalDeletionTime: cleanupNow - 50}}}
	}
	if i%6 == 0 {
		st := mutation.NewRow(nil)
		st.Cells = []mutation.Cell{cellv(9, ts, fmt.Sprint("static-", i))}
		p.Static = &st
	}
	if i%7 == 3 {
		p.Deletion = mutation.Deletion{Timestamp: ts - 1, LocalDeletionTime: cleanupNow - 200}
	}
	return &mutation.Mutation{Table: testTable, Partition: p}
}

// partDelete deletes partition i at ts, leaving only the tombstone.
func partDelete(i int, ts int64) *mutation.Mutation {
	return &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(i),
		Deletion: mutation.Deletion{Timestamp: ts, LocalDeletionTime: cleanupNow - 300}}}
}

// cleanupLayout is the data of the main cleanup test: four SSTables and a
// memtable, and the partition ids written.
type cleanupLayout struct {
	ids          []int
	ownedOnly    uint64 // the file holding owned partitions only
	notOwnedOnly uint64 // the file holding no owned partition
}

// writeCleanupLayout writes: a file of parts mixed partitions; a file of
// newer versions and deletions of a third of them; a file of owned
// partitions only; one of partitions not owned only; and, unflushed,
// more partitions and versions.
func writeCleanupLayout(t testing.TB, e *Engine, tb *Table, parts int) cleanupLayout {
	t.Helper()
	var l cleanupLayout
	apply := func(m *mutation.Mutation) {
		t.Helper()
		if err := e.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
	flush := func() uint64 {
		t.Helper()
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
		fs := tb.Files()
		return fs[len(fs)-1].Num
	}
	for i := 0; i < parts; i++ {
		apply(cleanupMut(i, 100))
		l.ids = append(l.ids, i)
	}
	flush()
	for i := 0; i < parts; i += 3 {
		if i%9 == 0 {
			apply(partDelete(i, 200))
		} else {
			apply(cleanupMut(i, 200))
		}
	}
	flush()
	next := parts
	for n := 0; n < parts/8; next++ {
		if ownedPart(next) {
			apply(cleanupMut(next, 300))
			l.ids = append(l.ids, next)
			n++
		}
	}
	l.ownedOnly = flush()
	for n := 0; n < parts/8; next++ {
		if !ownedPart(next) {
			apply(cleanupMut(next, 300))
			l.ids = append(l.ids, next)
			n++
		}
	}
	l.notOwnedOnly = flush()
	for i := 0; i < parts; i += 4 {
		apply(cleanupMut(i, 400))
	}
	for n := 0; n < parts/4; n, next = n+1, next+1 {
		apply(cleanupMut(next, 400))
		l.ids = append(l.ids, next)
	}
	return l
}

// rawRead is partition i as a raw read returns it, encoded; "" if absent.
func rawRead(t testing.TB, tb *Table, i int) string {
	t.Helper()
	p, err := tb.Read(Query{Key: pk(i), Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		return ""
	}
	return string(mutation.AppendMutation(nil, &mutation.Mutation{Partition: *p}))
}

func rawReads(t testing.TB, tb *Table, ids []int) map[int]string {
	t.Helper()
	m := make(map[int]string, len(ids))
	for _, i := range ids {
		m[i] = rawRead(t, tb, i)
	}
	return m
}

// checkCleaned checks that every owned partition of want reads back as it
// was, raw, and every other one is gone from reads and scans.
func checkCleaned(t testing.TB, tb *Table, want map[int]string) {
	t.Helper()
	owned := 0
	for i, w := range want {
		got := rawRead(t, tb, i)
		if ownedPart(i) {
			if w != "" {
				owned++
			}
			if got != w {
				t.Fatalf("owned partition %d changed by cleanup:\n got %x\nwant %x", i, got, w)
			}
			continue
		}
		if got != "" {
			t.Fatalf("partition %d (token %d, not owned) still reads after cleanup", i, pk(i).Token)
		}
		if p, err := tb.Read(Query{Key: pk(i)}); err != nil || p != nil {
			t.Fatalf("partition %d (not owned): read %v, %v; want nothing", i, p, err)
		}
	}
	// Partitions outside want (written during cleanup) are not counted.
	n := 0
	_, err := tb.Scan(ScanQuery{Raw: true}, func(p *mutation.Partition) bool {
		if _, ok := want[int(binary.BigEndian.Uint32(p.Key.Bytes))]; !ok {
			return true
		}
		if !ownedQuarter(p.Key.Token) {
			t.Errorf("scan found partition %x, token %d not owned", p.Key.Bytes, p.Key.Token)
		}
		n++
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != owned {
		t.Fatalf("scan found %d partitions, want the %d owned ones", n, owned)
	}
	if err := tb.Verify(); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// checkDir checks that the table directory holds the live files and the
// manifest, nothing else: replaced files were deleted, no output left over.
func checkDir(t testing.TB, fs vfs.FS, tb *Table) {
	t.Helper()
	names, err := fs.List(tb.dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"MANIFEST"}
	for _, f := range tb.Files() {
		want = append(want, sstName(f.Num))
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("table directory holds %q, want %q", names, want)
	}
}

// checkStats recomputes each live file's statistics from its content: a
// rewritten file must carry those of what it holds, every version of its
// partitions counted (the copied prefix too).
func checkStats(t testing.TB, tb *Table) {
	t.Helper()
	s := tb.acquire(false)
	defer s.release()
	for _, f := range s.files {
		var acc sststats.Acc
		acc.Init()
		it := f.r.ScanUncached(nil, nil)
		for it.Next() {
			p := it.Partition()
			if err := acc.Header(p.Header()); err != nil {
				t.Fatal(err)
			}
			ri := p.Rows(nil, nil, false)
			for ri.Next() {
				if err := acc.Row(ri.Row()); err != nil {
					t.Fatal(err)
				}
			}
			if err := ri.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if acc.Stats != f.meta.Stats {
			t.Fatalf("file %d: statistics %+v, its content has %+v", f.num, f.meta.Stats, acc.Stats)
		}
	}
}

func filesSum(files []FileInfo) (bytes, parts int64) {
	for _, f := range files {
		bytes += f.Meta.FileSize
		parts += f.Meta.Partitions
	}
	return bytes, parts
}

// TestCleanup cleans a table of four files and a memtable down to a quarter
// of the ring: owned partitions read back identically, the others are gone
// (also after a restart and after a crash, so the commit log does not bring
// them back), files are rewritten, kept or removed as their content asks,
// and the bytes fall by the share dropped.
func TestCleanup(t *testing.T) {
	fs := vfs.NewMem()
	var logs []string
	var logMu sync.Mutex
	o := cleanupOptions(fs)
	o.Logf = func(format string, args ...any) {
		logMu.Lock()
		logs = append(logs, fmt.Sprintf(format, args...))
		logMu.Unlock()
	}
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l := writeCleanupLayout(t, e, tb, 400)
	want := rawReads(t, tb, l.ids)
	var ownedParts int
	for _, i := range l.ids {
		if ownedPart(i) && want[i] != "" {
			ownedParts++
		}
	}
	if ownedParts == 0 || ownedParts > len(l.ids)/2 {
		t.Fatalf("%d of %d partitions owned; the workload should own about a quarter", ownedParts, len(l.ids))
	}
	if tb.mem.Load().m.Len() == 0 {
		t.Fatal("workload left nothing in the memtable")
	}

	var before []FileInfo
	st, err := tb.Cleanup(context.Background(), func(tok int64) bool {
		if before == nil {
			before = tb.Files() // flushed and held by now
		}
		return ownedQuarter(tok)
	})
	if err != nil {
		t.Fatal(err)
	}
	after := tb.Files()
	bBefore, pBefore := filesSum(before)
	bAfter, pAfter := filesSum(after)
	t.Logf("%+v", st)
	if len(before) != 5 || st.Files != 5 || st.FilesRewritten != 3 || st.FilesDropped != 1 {
		t.Fatalf("got %d files before, stats %+v; want 5 files: 3 rewritten, 1 removed, 1 kept", len(before), st)
	}
	if st.BytesBefore != bBefore || st.BytesAfter != bAfter {
		t.Fatalf("stats say %d bytes to %d; the files held %d, now %d", st.BytesBefore, st.BytesAfter, bBefore, bAfter)
	}
	if st.PartitionsDropped != pBefore-pAfter || st.PartitionsDropped == 0 {
		t.Fatalf("stats say %d partitions dropped; the files held %d, now %d", st.PartitionsDropped, pBefore, pAfter)
	}
	keptShare := float64(pAfter) / float64(pBefore)
	byteShare := float64(bAfter) / float64(bBefore)
	if byteShare >= 0.5 || math.Abs(byteShare-keptShare) > 0.1 {
		t.Fatalf("bytes fell to %.2f of before, partitions to %.2f; want about the same, under half", byteShare, keptShare)
	}
	nums := map[uint64]bool{}
	for _, f := range after {
		nums[f.Num] = true
		if f.Level != 0 {
			t.Fatalf("file %d at level %d, want 0 as its input", f.Num, f.Level)
		}
	}
	if !nums[l.ownedOnly] || nums[l.notOwnedOnly] {
		t.Fatalf("live files %v: want %d (owned only) kept as is and %d (nothing owned) gone", nums, l.ownedOnly, l.notOwnedOnly)
	}
	if tb.mem.Load().m.Len() != 0 {
		t.Fatal("memtable not flushed by cleanup")
	}
	checkCleaned(t, tb, want)
	checkDir(t, fs, tb)
	checkStats(t, tb)
	if !slices.ContainsFunc(logs, func(s string) bool { return strings.HasPrefix(s, "storage: cleaned up table") }) {
		t.Fatalf("no cleanup line in the log: %q", logs)
	}

	// A second cleanup has nothing to do.
	st, err = tb.Cleanup(context.Background(), ownedQuarter)
	if err != nil {
		t.Fatal(err)
	}
	if st.FilesRewritten != 0 || st.FilesDropped != 0 || st.PartitionsDropped != 0 || st.BytesAfter != st.BytesBefore {
		t.Fatalf("second cleanup: %+v, want nothing done", st)
	}

	crashed := fs.Crash()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]vfs.FS{"restart": fs, "crash": crashed} {
		o.FS = f
		e, err := Open(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkCleaned(t, e.Table(testTable), want)
		e.Close()
	}
}

// TestCleanupHoldsFilesFromCompaction: while cleanup runs, compaction picks
// none of the files it holds, and picks them again once it is done; a
// second cleanup is refused; cleanup waits for a running compaction.
func TestCleanupHoldsFilesFromCompaction(t *testing.T) {
	e, err := Open(cleanupOptions(vfs.NewMem()))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
	for f := 0; f < 4; f++ {
		for i := 0; i < 50; i++ {
			if err := e.Apply(cleanupMut(i, int64(100+f))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	want := rawReads(t, tb, seq(50))

	// A running compaction (compactMu held) keeps cleanup waiting.
	tb.compactMu.Lock()
	var calls atomic.Int64
	var inner struct {
		did         bool
		compactErr  error
		cleanupErr  error
		compacting  int
		innerCalled bool
	}
	done := make(chan error, 1)
	go func() {
		_, err := tb.Cleanup(context.Background(), func(tok int64) bool {
			if calls.Add(1) == 1 {
				for _, ct := range tb.compactionTables() {
					if ct.Compacting {
						inner.compacting++
					}
				}
				inner.did, inner.compactErr = tb.compactOnce(nil)
				_, inner.cleanupErr = tb.Cleanup(context.Background(), func(int64) bool { inner.innerCalled = true; return true })
			}
			return ownedQuarter(tok)
		})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("cleanup read %d partitions while a compaction held the table", n)
	}
	tb.compactMu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if inner.compacting != 4 {
		t.Fatalf("%d of 4 files marked compacting during cleanup", inner.compacting)
	}
	if inner.did || inner.compactErr != nil {
		t.Fatalf("compaction during cleanup: did %v, err %v; want nothing picked", inner.did, inner.compactErr)
	}
	if inner.cleanupErr == nil || !strings.Contains(inner.cleanupErr.Error(), "another cleanup") || inner.innerCalled {
		t.Fatalf("second cleanup during the first: %v, want refused", inner.cleanupErr)
	}
	for _, ct := range tb.compactionTables() {
		if ct.Compacting {
			t.Fatalf("file %d still marked after cleanup", ct.ID)
		}
	}
	if did, err := tb.compactOnce(nil); !did || err != nil {
		t.Fatalf("compaction after cleanup: did %v, err %v; want the four files compacted", did, err)
	}
	checkCleaned(t, tb, want)
}

// seq returns 0, 1, …, n-1.
func seq(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// TestCleanupCancel cancels cleanup within the first file or at its last
// partition (nothing changes) and within the second (the first stays
// cleaned, the rest as it was): the table is intact, no output is left
// behind, and a cleanup run to the end afterwards finishes the work.
func TestCleanupCancel(t *testing.T) {
	const parts = 100
	for _, tc := range []struct {
		name     string
		cancelAt int64 // the owned call that cancels
		cleaned  int   // files cleaned before it
	}{
		{"first file", parts / 2, 0},
		{"end of first file", parts, 0},
		{"second file", parts + parts/2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			e, err := Open(cleanupOptions(fs))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			tb, _ := e.CreateTable(testTable, TableOptions{})
			for f := 0; f < 3; f++ {
				for i := 0; i < parts; i++ {
					if err := e.Apply(cleanupMut(i, int64(100+f))); err != nil {
						t.Fatal(err)
					}
				}
				if err := tb.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			want := rawReads(t, tb, seq(parts))
			before := tb.Files()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var calls int64
			st, err := tb.Cleanup(ctx, func(tok int64) bool {
				if calls++; calls == tc.cancelAt {
					cancel()
				}
				return ownedQuarter(tok)
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			after := tb.Files()
			wantCleaned := tc.cleaned
			if st.Files != wantCleaned || len(after) != len(before) {
				t.Fatalf("stats %+v, %d files of %d; want %d cleaned", st, len(after), len(before), wantCleaned)
			}
			for i := wantCleaned; i < len(before); i++ {
				if !slices.ContainsFunc(after, func(f FileInfo) bool { return f.Num == before[i].Num }) {
					t.Fatalf("file %d replaced though cleanup stopped before it", before[i].Num)
				}
			}
			for i, w := range want {
				// Not owned, a partition loses the cleaned file's version.
				if got := rawRead(t, tb, i); got != w && (ownedPart(i) || wantCleaned == 0) {
					t.Fatalf("partition %d changed by a cancelled cleanup", i)
				}
			}
			if err := tb.Verify(); err != nil {
				t.Fatal(err)
			}
			checkDir(t, fs, tb)
			checkStats(t, tb)
			for _, ct := range tb.compactionTables() {
				if ct.Compacting {
					t.Fatalf("file %d still marked after a cancelled cleanup", ct.ID)
				}
			}
			if _, err := tb.Cleanup(context.Background(), ownedQuarter); err != nil {
				t.Fatal(err)
			}
			checkCleaned(t, tb, want)
			checkDir(t, fs, tb)
		})
	}
}

// TestCleanupTruncated: a Truncate while cleanup runs leaves the table
// empty; cleanup skips the files it no longer finds and leaves no output.
func TestCleanupTruncated(t *testing.T) {
	fs := vfs.NewMem()
	e, err := Open(cleanupOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{})
	for f := 0; f < 2; f++ {
		for i := 0; i < 40; i++ {
			e.Apply(cleanupMut(i, int64(100+f)))
		}
		tb.Flush()
	}
	first := true
	st, err := tb.Cleanup(context.Background(), func(tok int64) bool {
		if first {
			first = false
			if err := tb.Truncate(); err != nil {
				t.Error(err)
			}
		}
		return ownedQuarter(tok)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 0 || len(tb.Files()) != 0 {
		t.Fatalf("stats %+v, %d files; want nothing cleaned and an empty table", st, len(tb.Files()))
	}
	checkDir(t, fs, tb)
}

// TestCleanupConcurrentReads reads every owned partition, raw, while
// cleanup (throttled, so that it takes a while) rewrites the files under
// the readers and writers add partitions, flushed and compacted in the
// background: no read may miss or alter an owned row.
func TestCleanupConcurrentReads(t *testing.T) {
	fs := vfs.NewMem()
	o := cleanupOptions(fs)
	o.DisableAutoCompaction = false
	o.CompactionThroughput = 200 << 10 // cleanup copies 60 KB: 0.3 s
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// Four files of a size to a compaction: the three below stay apart,
	// while the writers' small flushes are compacted as cleanup runs.
	tb, _ := e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "4"}})
	const parts = 600
	for f := 0; f < 3; f++ {
		for i := f * 100; i < parts; i++ {
			if err := e.Apply(cleanupMut(i, int64(100+f))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	want := rawReads(t, tb, seq(parts))
	var owned []int
	for i := range parts {
		if ownedPart(i) {
			owned = append(owned, i)
		}
	}

	stop := make(chan struct{})
	errc := make(chan error, 4)
	var reads atomic.Int64
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := r; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := owned[n%len(owned)]
				p, err := tb.Read(Query{Key: pk(i), Raw: true})
				if err != nil {
					errc <- err
					return
				}
				got := ""
				if p != nil {
					got = string(mutation.AppendMutation(nil, &mutation.Mutation{Partition: *p}))
				}
				if got != want[i] {
					errc <- fmt.Errorf("owned partition %d read differently during cleanup", i)
					return
				}
				reads.Add(1)
			}
		}()
	}
	// New partitions, flushed (a small memtable) and compacted meanwhile.
	var acked atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 10_000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.Apply(rowMut(i, 1, 500, strings.Repeat("w", 200))); err != nil {
				errc <- err
				return
			}
			acked.Store(int64(i))
			if i%20 == 19 {
				if err := tb.Flush(); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	start, compactions := reads.Load(), e.Metrics().Compactions.Load()
	st, err := tb.Cleanup(context.Background(), ownedQuarter)
	during := reads.Load() - start
	compactions = e.Metrics().Compactions.Load() - compactions
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	t.Logf("%+v; during cleanup %d reads, %d compactions; %d partitions written", st, during, compactions, acked.Load()-9_999)
	if st.FilesRewritten < 3 || during == 0 {
		t.Fatalf("test did not overlap reads (%d) with rewrites (%+v)", during, st)
	}
	checkCleaned(t, tb, want)
	for i := 10_000; i <= int(acked.Load()); i++ {
		if !ownedPart(i) {
			continue
		}
		if p, err := tb.Read(Query{Key: pk(i)}); err != nil || p == nil {
			t.Fatalf("partition %d written during cleanup: %v, %v", i, p, err)
		}
	}
}

// TestCleanupErrorInjection fails every file operation of a workload that
// opens the engine, writes, and cleans up, in turn: every failure surfaces
// as the injected error, and after a crash at that point each owned
// partition reads as before and, once cleanup returned, no other does.
func TestCleanupErrorInjection(t *testing.T) {
	const parts = 24
	ids := seq(parts + 8)
	// The setup: two files and data only in the commit log (replayed and
	// flushed by the workload's Open).
	setup := func(t testing.TB, fs *vfs.MemFS) {
		e, err := Open(faultOptionsAt(fs))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := e.CreateTable(testTable, TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for f := 0; f < 3; f++ {
			for i := f; i < parts; i += 2 {
				if err := e.Apply(cleanupMut(i, int64(100+f))); err != nil {
					t.Fatal(err)
				}
			}
			if f < 2 {
				if err := tb.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// writes are the workload's own: partitions parts.. in the memtable.
	writes := func(e *Engine, acked *[]int) error {
		for i := parts; i < parts+8; i++ {
			if err := e.Apply(cleanupMut(i, 500)); err != nil {
				return err
			}
			*acked = append(*acked, i)
		}
		return nil
	}
	// The expected raw reads, from a run without faults.
	ref := vfs.NewMem()
	setup(t, ref)
	e, err := Open(faultOptionsAt(ref))
	if err != nil {
		t.Fatal(err)
	}
	if err := writes(e, new([]int)); err != nil {
		t.Fatal(err)
	}
	want := rawReads(t, e.Table(testTable), ids)
	e.Close()

	var acked []int
	var cleaned bool
	loop := vfstest.Loop{Setup: setup, MaxOps: 5000}
	loop.Run = func(fs vfs.FS) (err error) {
		acked, cleaned = acked[:0], false
		e, err := Open(faultOptionsAt(fs))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := e.Close(); err == nil {
				err = cerr
			}
		}()
		if err := writes(e, &acked); err != nil {
			return err
		}
		if _, err := e.Table(testTable).Cleanup(context.Background(), ownedQuarter); err != nil {
			return err
		}
		cleaned = true
		return nil
	}
	loop.Check = func(t testing.TB, fs *vfs.MemFS, runErr error) {
		e, err := Open(faultOptionsAt(fs.Crash()))
		if err != nil {
			t.Fatalf("reopen after %v: %v", runErr, err)
		}
		defer e.Close()
		tb := e.Table(testTable)
		if err := tb.Verify(); err != nil {
			t.Fatalf("verify: %v", err)
		}
		for _, i := range ids {
			got := rawRead(t, tb, i)
			written := i < parts || slices.Contains(acked, i)
			switch {
			case !written:
				// Unacknowledged: may or may not have reached the log.
			case ownedPart(i) && got != want[i]:
				t.Fatalf("owned partition %d: got %x, want %x (cleaned %v)", i, got, want[i], cleaned)
			case !ownedPart(i) && cleaned && got != "":
				t.Fatalf("partition %d, not owned, reads after a finished cleanup", i)
			}
		}
	}
	runs := loop.Do(t)
	t.Logf("%d runs", runs)
}

// faultOptionsAt is faultOptions with the cleanup tests' fixed clock.
func faultOptionsAt(fs vfs.FS) Options {
	o := faultOptions(fs)
	o.Now = func() time.Time { return time.Unix(cleanupNow, 0) }
	return o
}
