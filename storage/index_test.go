package storage

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
	"wcdb/mutation"
	"wcdb/storage/sai"
)

var indexSeed = flag.Int64("index-seed", 0, "seed of TestIndexAgreesWithModel (0: time)")

// valueIndex indexes column 1's live value.
var valueIndex = sai.Def{Name: "by_v", Target: "v", Terms: func(_ []byte, r *mutation.Row, emit func([]byte)) {
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Column == 1 && !c.IsTombstone() {
			emit(c.Value)
		}
	}
}}

// TestIndexAgreesWithModel runs random writes, deletes, flushes,
// compactions, restarts and a late CREATE INDEX against a map, and demands
// that index search plus re-check answers what a scan of the model does.
func TestIndexAgreesWithModel(t *testing.T) {
	seed := *indexSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (-index-seed to replay)", seed)
	rng := rand.New(rand.NewSource(seed))
	fs := vfs.NewMem()
	// Compactions run when the test says (Compact), so that the final
	// check of the directory sees none half done: an output's components
	// are written before the output is published.
	opts := func(o *Options) { o.MemtableFlushSize = 4 << 10; o.DisableAutoCompaction = true }
	e := openTest(t, fs, opts)
	defer func() { e.Close() }()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	model := map[[2]int]string{}
	indexed := false
	ts := int64(0)
	for op := 0; op < 600; op++ {
		ts++
		p, c := rng.Intn(20), rng.Intn(5)
		switch n := rng.Intn(100); {
		case n < 70:
			v := fmt.Sprintf("v%d", rng.Intn(8))
			if err := e.Apply(rowMut(p, c, ts, v)); err != nil {
				t.Fatal(err)
			}
			model[[2]int{p, c}] = v
		case n < 80:
			r := mutation.NewRow(ck(c))
			r.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: 1}
			m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live, Rows: []mutation.Row{r}}}
			if err := e.Apply(m); err != nil {
				t.Fatal(err)
			}
			delete(model, [2]int{p, c})
		case n < 86:
			if err := tb.Flush(); err != nil {
				t.Fatal(err)
			}
		case n < 90:
			if err := tb.Compact(); err != nil {
				t.Fatal(err)
			}
		case n < 93:
			e.Close()
			e = openTest(t, fs, opts)
			tb = e.Table(testTable)
			if indexed {
				tb.SetIndexes([]sai.Def{valueIndex})
			}
		case n < 95 && !indexed && op > 100:
			tb.SetIndexes([]sai.Def{valueIndex})
			indexed = true
		}
		if indexed && op%10 == 0 {
			checkIndex(t, tb, model, rng)
		}
	}
	if !indexed {
		tb.SetIndexes([]sai.Def{valueIndex})
	}
	if err := tb.Flush(); err != nil { // and wait for one in the background
		t.Fatal(err)
	}
	tb.sai.Wait()
	checkIndex(t, tb, model, rng)
	for _, st := range tb.IndexProgress() {
		if st.Err != nil {
			t.Fatalf("index build: %v", st.Err)
		}
	}
	// Every live SSTable has its component, and no other component is left.
	names, _ := fs.List(tb.dir)
	comps := map[string]bool{}
	for _, n := range names {
		if sst, ok := sai.IsComponent(n); ok {
			comps[sst] = true
		}
	}
	for _, f := range tb.Files() {
		if !comps[sstName(f.Num)] {
			t.Errorf("%s has no index component", sstName(f.Num))
		}
		delete(comps, sstName(f.Num))
	}
	if len(comps) > 0 {
		t.Errorf("components of dropped SSTables left: %v (dir %v)", comps, names)
	}
}

func checkIndex(t *testing.T, tb *Table, model map[[2]int]string, rng *rand.Rand) {
	t.Helper()
	lo, hi := fmt.Sprintf("v%d", rng.Intn(8)), fmt.Sprintf("v%d", rng.Intn(8))
	q := sai.Query{Lo: []byte(lo), Hi: []byte(hi)}
	if rng.Intn(2) == 0 {
		q = sai.Eq([]byte(lo))
	}
	var want []string
	for pc, v := range model {
		if q.Lo != nil && v >= string(q.Lo) && v <= string(q.Hi) {
			want = append(want, fmt.Sprint(pc[0], "/", pc[1], "=", v))
		}
	}
	sort.Strings(want)
	hits, err := tb.IndexSearch("by_v", q, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		part, err := tb.Read(Query{Key: h.Key, Start: h.Clustering, End: mutation.PrefixEnd(h.Clustering)})
		if err != nil {
			t.Fatal(err)
		}
		if part == nil {
			continue
		}
		for _, r := range part.Rows {
			for _, c := range r.Cells {
				v := string(c.Value)
				if c.Column == 1 && bytes.Equal(r.Clustering, h.Clustering) && v >= string(q.Lo) && v <= string(q.Hi) {
					got = append(got, fmt.Sprint(keyInt(h.Key), "/", keyInt(mutation.Key{Bytes: r.Clustering}), "=", v))
				}
			}
		}
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("query [%s, %s]: got %v, want %v", q.Lo, q.Hi, got, want)
	}
}

func keyInt(k mutation.Key) int {
	return int(k.Bytes[0])<<24 | int(k.Bytes[1])<<16 | int(k.Bytes[2])<<8 | int(k.Bytes[3])
}

// TestIndexErrorInjection fails every file operation of a workload that
// writes index components at flush and compaction: each failure surfaces
// as the injected error, and after a crash at that point the index, built
// again where its component is missing, finds every acknowledged write.
func TestIndexErrorInjection(t *testing.T) {
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
			tb.SetIndexes([]sai.Def{valueIndex})
			tb.sai.Wait() // nothing to build: keeps the workload's operations in one order
			return writeFlushCompact(e, tb, 16, 6, &acked)
		},
		Check: func(t testing.TB, fs *vfs.MemFS, runErr error) {
			e, err := Open(faultOptions(fs.Crash()))
			if err != nil {
				t.Fatalf("reopen after %v: %v", runErr, err)
			}
			defer e.Close()
			tb := e.Table(testTable)
			if tb == nil {
				return
			}
			tb.SetIndexes([]sai.Def{valueIndex})
			tb.sai.Wait()
			for _, i := range acked {
				hits, err := tb.IndexSearch("by_v", sai.Eq([]byte(fmt.Sprint("v", i))), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) != 1 || !hits[0].Key.Equal(pk(i%5)) || !bytes.Equal(hits[0].Clustering, ck(i)) {
					t.Fatalf("write %d: index hits %v (run error: %v)", i, hits, runErr)
				}
			}
		},
	}
	t.Logf("%d runs", loop.Do(t))
}

// TestIndexConcurrentFlush searches while writes and flushes go on: every
// write acknowledged before a search starts is among its hits, whether
// its memtable is being flushed, flushed or not (a search that took its
// view of the table before a flush indexes the flushed memtable itself).
func TestIndexConcurrentFlush(t *testing.T) {
	e := openTest(t, vfs.NewMem(), nil)
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tb.SetIndexes([]sai.Def{valueIndex})
	const writes = 400
	var acked atomic.Int64
	done := make(chan error, 2)
	go func() {
		for i := 0; i < writes; i++ {
			if err := e.Apply(rowMut(i, 0, 1, "x")); err != nil {
				done <- err
				return
			}
			acked.Store(int64(i + 1))
		}
		done <- nil
	}()
	go func() {
		for acked.Load() < writes {
			if err := tb.Flush(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for finished := 0; finished < 2; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished++
		default:
		}
		before := acked.Load()
		hits, err := tb.IndexSearch("by_v", sai.Eq([]byte("x")), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(hits)) < before {
			t.Fatalf("%d hits, %d writes acknowledged before the search", len(hits), before)
		}
	}
}

// TestIndexCountsInMemtableSize writes rows whose index terms far outweigh
// their data: the index is counted with its memtable, so the memtable is
// frozen for flush at the flush size rather than growing by its index
// unseen.
func TestIndexCountsInMemtableSize(t *testing.T) {
	const flushSize = 64 << 10
	e := openTest(t, vfs.NewMem(), func(o *Options) { o.MemtableFlushSize = flushSize })
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 40 distinct 32-byte terms per row.
	wide := sai.Def{Name: "wide", Target: "wide", Terms: func(pk []byte, r *mutation.Row, emit func([]byte)) {
		for i := 0; i < 40; i++ {
			emit([]byte(fmt.Sprintf("%08x%08d%016d", pk, len(r.Clustering), i)))
		}
	}}
	tb.SetIndexes([]sai.Def{wide})
	// The largest sizes seen: a write may switch to a new, empty memtable.
	var maxActive, maxIndex int64
	for i := 0; i < 400; i++ {
		if err := e.Apply(rowMut(i, 0, 1, "x")); err != nil {
			t.Fatal(err)
		}
		m := tb.mem.Load().m
		maxActive = max(maxActive, tb.memSize(m))
		maxIndex = max(maxIndex, tb.sai.MemSize(m))
	}
	if maxIndex == 0 {
		t.Fatalf("the active memtable's index counts no bytes")
	}
	// One write adds a few KB of index: the active memtable stays near
	// the flush size.
	if maxActive > 2*flushSize {
		t.Fatalf("active memtable reached %d bytes with its index, flush size %d", maxActive, flushSize)
	}
	if st := tb.Status(); st.MemtableBytes < tb.mem.Load().m.Size()+tb.sai.MemSize(tb.mem.Load().m) {
		t.Fatalf("status counts %d memtable bytes, less than the active memtable and its index", st.MemtableBytes)
	}
}

// TestIndexDropAndRecreate drops an index and creates it again at once:
// the removal of the dropped one's components must not remove those the
// new one builds, or a restart would find them missing.
func TestIndexDropAndRecreate(t *testing.T) {
	e := openTest(t, vfs.NewMem(), nil)
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if err := e.Apply(rowMut(i, 0, 1, "x")); err != nil {
			t.Fatal(err)
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 20; round++ {
		tb.SetIndexes([]sai.Def{valueIndex})
		tb.SetIndexes(nil)
		tb.SetIndexes([]sai.Def{valueIndex})
		tb.sai.Wait()
		for _, f := range tb.Files() {
			if _, err := e.fs.Stat(sai.ComponentPath(f.Path, valueIndex.Name)); err != nil {
				t.Fatalf("round %d: %s: %v", round, f.Path, err)
			}
		}
		tb.SetIndexes(nil)
		tb.sai.Wait()
	}
}

// TestIndexBuiltForFileImport: an SSTable received whole has no index
// component; one is built in the background at once, not by the first
// search, and the search finds the file's rows.
func TestIndexBuiltForFileImport(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true })
	defer e.Close()
	src, _ := e.CreateTable(testTable, TableOptions{})
	dst, _ := e.CreateTable(importTable, TableOptions{})
	dst.SetIndexes([]sai.Def{valueIndex})
	importMix(t, e, 20)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := copyWhole(t, src, dst, nil); err != nil {
		t.Fatal(err)
	}
	dst.sai.Wait()
	files := dst.Files()
	if len(files) != 1 {
		t.Fatalf("%d files imported", len(files))
	}
	if _, err := fs.Stat(sai.ComponentPath(files[0].Path, valueIndex.Name)); err != nil {
		t.Fatalf("no component built for the imported file: %v", err)
	}
	hits, err := dst.IndexSearch(valueIndex.Name, sai.Eq([]byte("v7")), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || !hits[0].Key.Equal(pk(7)) {
		t.Fatalf("hits %v", hits)
	}
}

// TestIndexStaticRow: a static row's terms are listed under the empty
// clustering, in the memtable, after flush, compaction, restart, and for
// an index created after the data (memtable and SSTables indexed then); an
// overwrite leaves the old term a stale candidate only.
func TestIndexStaticRow(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true })
	defer func() { e.Close() }()
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	static := func(p int, ts int64, v string) {
		s := mutation.NewRow(nil)
		s.Cells = []mutation.Cell{cellv(1, ts, v)}
		m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live, Static: &s}}
		if err := e.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, term string, want ...int) {
		t.Helper()
		hits, err := tb.IndexSearch(valueIndex.Name, sai.Eq([]byte(term)), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, h := range hits {
			if len(h.Clustering) != 0 {
				t.Fatalf("%s: hit %v has a clustering", when, h)
			}
			got = append(got, keyInt(h.Key))
		}
		sort.Ints(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %s lists partitions %v, want %v", when, term, got, want)
		}
	}
	static(1, 1, "s")
	static(2, 1, "s")
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	static(3, 1, "s")
	tb.SetIndexes([]sai.Def{valueIndex}) // after the data
	tb.sai.Wait()
	check("created late", "s", 1, 2, 3)
	static(4, 1, "s")
	check("memtable", "s", 1, 2, 3, 4)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	check("flushed", "s", 1, 2, 3, 4)
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	check("compacted", "s", 1, 2, 3, 4)
	static(1, 2, "t") // overwrite: "s" stays listed until compaction
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true })
	tb = e.Table(testTable)
	tb.SetIndexes([]sai.Def{valueIndex})
	tb.sai.Wait()
	check("restarted", "s", 2, 3, 4)
	check("restarted", "t", 1)
}
