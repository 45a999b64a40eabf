package sstable

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable/codec"
)

type testRow struct{ c, v []byte }

type testPart struct {
	key    mutation.Key
	header []byte
	rows   []testRow
}

func (p *testPart) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "(%d,%q) header=%q rows=%d", p.key.Token, p.key.Bytes, p.header, len(p.rows))
	return b.String()
}

// genTable returns n random partitions in key order; some share a token,
// some have no rows, a few span many blocks.
func genTable(rng *rand.Rand, n int) []testPart {
	seen := map[string]bool{}
	var parts []testPart
	for len(parts) < n {
		tok := rng.Int63n(1000) - 500
		kb := []byte(fmt.Sprintf("k%d", rng.Intn(10*n+10)))
		id := fmt.Sprintf("%d/%s", tok, kb)
		if seen[id] {
			continue
		}
		seen[id] = true
		p := testPart{key: mutation.Key{Token: tok, Bytes: kb}, header: make([]byte, rng.Intn(40))}
		rng.Read(p.header)
		nrows := rng.Intn(8)
		switch rng.Intn(10) {
		case 0:
			nrows = 0
		case 1:
			nrows = 50 + rng.Intn(300)
		}
		cs := map[string]bool{}
		for len(p.rows) < nrows {
			c := make([]byte, 1+rng.Intn(6))
			rng.Read(c)
			if cs[string(c)] {
				continue
			}
			cs[string(c)] = true
			v := bytes.Repeat([]byte{byte(rng.Intn(256))}, rng.Intn(60))
			p.rows = append(p.rows, testRow{c: c, v: v})
		}
		sort.Slice(p.rows, func(i, j int) bool { return bytes.Compare(p.rows[i].c, p.rows[j].c) < 0 })
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].key.Compare(parts[j].key) < 0 })
	return parts
}

var testStats = Stats{MinTimestamp: -5, MaxTimestamp: 1 << 50, MaxLocalDeletionTime: 77, MaxTombstoneTime: 66, Rows: 12345, Tombstones: 3}

func writeTable(t testing.TB, fs vfs.FS, path string, parts []testPart, opts WriterOptions) Meta {
	t.Helper()
	w, err := NewWriter(fs, path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range parts {
		p := &parts[i]
		if err := w.StartPartition(p.key, p.header); err != nil {
			t.Fatal(err)
		}
		for _, r := range p.rows {
			if err := w.AddRow(r.c, r.v); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.FinishPartition(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Finish(testStats)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// collectRows reads a slice of p into memory.
func collectRows(p *Partition, start, end []byte, reverse bool) ([]testRow, error) {
	it := p.Rows(start, end, reverse)
	var rows []testRow
	for it.Next() {
		rows = append(rows, testRow{c: bytes.Clone(it.Clustering()), v: bytes.Clone(it.Row())})
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return rows, nil
}

// modelRows is the expected result of a slice.
func modelRows(rows []testRow, start, end []byte, reverse bool) []testRow {
	var out []testRow
	for _, r := range rows {
		if (start == nil || bytes.Compare(r.c, start) >= 0) && (end == nil || bytes.Compare(r.c, end) < 0) {
			out = append(out, r)
		}
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func rowsEqual(a, b []testRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].c, b[i].c) || !bytes.Equal(a[i].v, b[i].v) {
			return false
		}
	}
	return true
}

func scanAll(r *Reader, start, end *mutation.Key) ([]testPart, error) {
	it := r.Scan(start, end)
	var out []testPart
	for it.Next() {
		p := it.Partition()
		rows, err := collectRows(p, nil, nil, false)
		if err != nil {
			it.Close()
			return nil, err
		}
		k := p.Key()
		out = append(out, testPart{key: mutation.Key{Token: k.Token, Bytes: bytes.Clone(k.Bytes)}, header: bytes.Clone(p.Header()), rows: rows})
	}
	return out, it.Close()
}

func partsEqual(a, b []testPart) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].key.Equal(b[i].key) || !bytes.Equal(a[i].header, b[i].header) || !rowsEqual(a[i].rows, b[i].rows) {
			return false
		}
	}
	return true
}

func randBound(rng *rand.Rand, rows []testRow) []byte {
	switch {
	case rng.Intn(4) == 0:
		return nil
	case len(rows) > 0 && rng.Intn(2) == 0:
		return rows[rng.Intn(len(rows))].c
	}
	b := make([]byte, 1+rng.Intn(3))
	rng.Read(b)
	return b
}

func TestRoundTrip(t *testing.T) {
	configs := []WriterOptions{
		{},
		{BlockSize: 64, SummaryInterval: 1, Compression: None},
		{BlockSize: 300, SummaryInterval: 3},
		{BlockSize: 1, SummaryInterval: 2, Compression: None},
		{BlockSize: 4096, SummaryInterval: 16, BloomFPChance: 0.2},
		{BlockSize: 300, SummaryInterval: 3, Compression: LZ4},
		{BlockSize: 4096, SummaryInterval: 16, Compression: LZ4, LZ4High: true, CompressionLevel: 12},
		{BlockSize: 300, SummaryInterval: 3, Compression: Zstd},
		{BlockSize: 4096, SummaryInterval: 16, Compression: Zstd, CompressionLevel: 19},
		{BlockSize: 300, SummaryInterval: 3, Compression: Zstd, CompressionLevel: -5},
		{BlockSize: 300, SummaryInterval: 3, Compression: Deflate},
		{BlockSize: 4096, SummaryInterval: 16, Compression: Deflate, CompressionLevel: 9},
		{BlockSize: 4096, SummaryInterval: 16, Compression: Zstd, MinCompressRatio: 1e9}, // every block raw
	}
	for ci, opts := range configs {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(ci)))
			fs := vfs.NewMem()
			parts := genTable(rng, 150)
			m := writeTable(t, fs, "/t.sst", parts, opts)
			if _, err := fs.Stat("/t.sst.tmp"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("temp file after Finish: got %v, want not exist", err)
			}
			r, err := Open(fs, "/t.sst", ReaderOptions{Cache: NewCache(1 << 20)})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			checkMeta(t, r.Meta(), m, parts)
			if err := r.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := scanAll(r, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !partsEqual(got, parts) {
				t.Fatalf("full scan differs: got %d partitions, want %d", len(got), len(parts))
			}
			for i := range parts {
				p := &parts[i]
				gp, err := r.Get(p.key)
				if err != nil || gp == nil {
					t.Fatalf("Get %v: got %v, %v", p, gp, err)
				}
				if !gp.Key().Equal(p.key) || !bytes.Equal(gp.Header(), p.header) {
					t.Fatalf("Get %v: got key %v header %q", p, gp.Key(), gp.Header())
				}
				for k := 0; k < 6; k++ {
					start, end := randBound(rng, p.rows), randBound(rng, p.rows)
					rev := rng.Intn(2) == 0
					got, err := collectRows(gp, start, end, rev)
					if err != nil {
						t.Fatal(err)
					}
					if want := modelRows(p.rows, start, end, rev); !rowsEqual(got, want) {
						t.Fatalf("%v rows [%x, %x) reverse=%v: got %d rows, want %d", p, start, end, rev, len(got), len(want))
					}
				}
				// Absent neighbours: same token with other bytes, other tokens.
				for _, k := range []mutation.Key{
					{Token: p.key.Token, Bytes: append(bytes.Clone(p.key.Bytes), 0)},
					{Token: p.key.Token, Bytes: p.key.Bytes[:len(p.key.Bytes)-1]},
					{Token: p.key.Token + 1000, Bytes: p.key.Bytes},
					{Token: p.key.Token - 1000, Bytes: p.key.Bytes},
				} {
					if slices.ContainsFunc(parts, func(q testPart) bool { return q.key.Equal(k) }) {
						continue // the generator made this neighbour too
					}
					if gp, err := r.Get(k); err != nil || gp != nil {
						t.Fatalf("Get absent %v: got %v, %v; want nil, nil", k, gp, err)
					}
				}
			}
			for k := 0; k < 50; k++ {
				var start, end *mutation.Key
				lo, hi := 0, len(parts)
				if rng.Intn(4) != 0 {
					i := rng.Intn(len(parts))
					start = &mutation.Key{Token: parts[i].key.Token, Bytes: parts[i].key.Bytes[:rng.Intn(len(parts[i].key.Bytes)+1)]}
					lo = sort.Search(len(parts), func(j int) bool { return parts[j].key.Compare(*start) >= 0 })
				}
				if rng.Intn(4) != 0 {
					i := rng.Intn(len(parts))
					end = &mutation.Key{Token: parts[i].key.Token, Bytes: parts[i].key.Bytes[:rng.Intn(len(parts[i].key.Bytes)+1)]}
					hi = sort.Search(len(parts), func(j int) bool { return parts[j].key.Compare(*end) >= 0 })
				}
				want := []testPart{}
				if lo < hi {
					want = parts[lo:hi]
				}
				got, err := scanAll(r, start, end)
				if err != nil {
					t.Fatal(err)
				}
				if !partsEqual(got, want) {
					t.Fatalf("scan [%v, %v): got %d partitions, want %d", start, end, len(got), len(want))
				}
			}
		})
	}
}

func checkMeta(t *testing.T, got, fromWriter Meta, parts []testPart) {
	t.Helper()
	want := fromWriter
	if want.Stats != testStats || want.Partitions != int64(len(parts)) || want.FormatVersion != FormatVersion {
		t.Fatalf("writer meta: got %+v", want)
	}
	if len(parts) > 0 && (!want.MinKey.Equal(parts[0].key) || !want.MaxKey.Equal(parts[len(parts)-1].key)) {
		t.Fatalf("writer meta keys: got %v..%v, want %v..%v", want.MinKey, want.MaxKey, parts[0].key, parts[len(parts)-1].key)
	}
	if got.Stats != want.Stats || got.Partitions != want.Partitions || !got.MinKey.Equal(want.MinKey) ||
		!got.MaxKey.Equal(want.MaxKey) || got.FileSize != want.FileSize || got.DataSize != want.DataSize ||
		got.FormatVersion != want.FormatVersion {
		t.Fatalf("reader meta: got %+v, want %+v", got, want)
	}
}

func TestEmptyTable(t *testing.T) {
	fs := vfs.NewMem()
	m := writeTable(t, fs, "/e.sst", nil, WriterOptions{})
	r, err := Open(fs, "/e.sst", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkMeta(t, r.Meta(), m, nil)
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	if p, err := r.Get(mutation.Key{Token: 1}); p != nil || err != nil {
		t.Fatalf("Get: got %v, %v; want nil, nil", p, err)
	}
	if got, err := scanAll(r, nil, nil); len(got) != 0 || err != nil {
		t.Fatalf("Scan: got %d, %v; want 0, nil", len(got), err)
	}
}

func TestWriterMisuse(t *testing.T) {
	fs := vfs.NewMem()
	k := func(tok int64, b string) mutation.Key { return mutation.Key{Token: tok, Bytes: []byte(b)} }
	steps := []struct {
		name string
		run  func(w *Writer) error
	}{
		{"row outside partition", func(w *Writer) error { return w.AddRow([]byte("a"), nil) }},
		{"finish partition outside", func(w *Writer) error { return w.FinishPartition() }},
		{"equal keys", func(w *Writer) error {
			w.StartPartition(k(1, "a"), nil)
			w.FinishPartition()
			return w.StartPartition(k(1, "a"), nil)
		}},
		{"descending token", func(w *Writer) error {
			w.StartPartition(k(2, "a"), nil)
			w.FinishPartition()
			return w.StartPartition(k(1, "z"), nil)
		}},
		{"descending bytes", func(w *Writer) error {
			w.StartPartition(k(2, "b"), nil)
			w.FinishPartition()
			return w.StartPartition(k(2, "a"), nil)
		}},
		{"equal clustering", func(w *Writer) error {
			w.StartPartition(k(1, "a"), nil)
			w.AddRow([]byte("x"), nil)
			return w.AddRow([]byte("x"), nil)
		}},
		{"descending clustering", func(w *Writer) error {
			w.StartPartition(k(1, "a"), nil)
			w.AddRow([]byte("x"), nil)
			return w.AddRow([]byte("w"), nil)
		}},
		{"nested partition", func(w *Writer) error {
			w.StartPartition(k(1, "a"), nil)
			return w.StartPartition(k(2, "a"), nil)
		}},
		{"finish inside partition", func(w *Writer) error {
			w.StartPartition(k(1, "a"), nil)
			_, err := w.Finish(Stats{})
			return err
		}},
	}
	for _, s := range steps {
		w, err := NewWriter(fs, "/m.sst", WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.run(w); err == nil || !strings.HasPrefix(err.Error(), "sstable: ") {
			t.Errorf("%s: got error %v, want an sstable error", s.name, err)
		}
		w.Abort()
		if _, err := fs.Stat("/m.sst.tmp"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: temp file after Abort: got %v, want not exist", s.name, err)
		}
		if _, err := fs.Stat("/m.sst"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: table published after Abort: got %v, want not exist", s.name, err)
		}
	}
	if _, err := NewWriter(fs, "/x.sst", WriterOptions{BloomFPChance: 1.5}); err == nil {
		t.Errorf("BloomFPChance 1.5: got nil error")
	}
}

// TestPublishIsAtomic checks that a crash before Finish leaves no table, and
// one after leaves the whole table.
func TestPublishIsAtomic(t *testing.T) {
	fs := vfs.NewMem()
	parts := genTable(rand.New(rand.NewSource(1)), 20)
	w, err := NewWriter(fs, "/a.sst", WriterOptions{BlockSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := range parts {
		w.StartPartition(parts[i].key, parts[i].header)
		w.FinishPartition()
		parts[i].rows = nil
	}
	if _, err := fs.Crash().Stat("/a.sst"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("table before Finish: got %v, want not exist", err)
	}
	if _, err := w.Finish(testStats); err != nil {
		t.Fatal(err)
	}
	cfs := fs.Crash()
	r, err := Open(cfs, "/a.sst", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	if got, err := scanAll(r, nil, nil); err != nil || !partsEqual(got, parts) {
		t.Fatalf("after crash: got %d partitions (%v), want %d", len(got), err, len(parts))
	}
}

// TestWriteErrors fails each file operation of a write in turn: the writer
// must report the injected error and leave no table and no temp file.
func TestWriteErrors(t *testing.T) {
	parts := genTable(rand.New(rand.NewSource(2)), 30)
	for i := int64(0); ; i++ {
		mem := vfs.NewMem()
		fs := vfs.NewErrorFS(mem, vfs.OnIndex(i))
		err := func() error {
			w, err := NewWriter(fs, "/w.sst", WriterOptions{BlockSize: 200, SummaryInterval: 4})
			if err != nil {
				return err
			}
			for _, p := range parts {
				if err := w.StartPartition(p.key, p.header); err != nil {
					w.Abort()
					return err
				}
				for _, r := range p.rows {
					if err := w.AddRow(r.c, r.v); err != nil {
						w.Abort()
						return err
					}
				}
				if err := w.FinishPartition(); err != nil {
					w.Abort()
					return err
				}
			}
			_, err = w.Finish(testStats)
			return err
		}()
		if err == nil {
			if i < 5 {
				t.Fatalf("workload succeeded with error injected at op %d: too few operations", i)
			}
			r, err := Open(mem, "/w.sst", ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := scanAll(r, nil, nil)
			r.Close()
			if err != nil || !partsEqual(got, parts) {
				t.Fatalf("after %d injections: got %d partitions (%v), want %d", i, len(got), err, len(parts))
			}
			return
		}
		if !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("op %d: got error %v, want an injected one", i, err)
		}
		names, _ := mem.List("/")
		for _, n := range names {
			// The only operation that may leave something is a failed
			// directory sync after the rename (the table is complete then).
			if n == "w.sst" && strings.Contains(err.Error(), "sync dir") {
				continue
			}
			t.Fatalf("op %d (%v): file %q left behind", i, err, n)
		}
	}
}

func TestBloomFalsePositiveRate(t *testing.T) {
	fs := vfs.NewMem()
	rng := rand.New(rand.NewSource(3))
	const n = 20000
	parts := make([]testPart, n)
	for i := range parts {
		var kb [8]byte
		binary.BigEndian.PutUint64(kb[:], uint64(i))
		parts[i].key = mutation.Key{Token: rng.Int63(), Bytes: kb[:]}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].key.Compare(parts[j].key) < 0 })
	for _, fp := range []float64{0.01, 0.1} {
		writeTable(t, fs, "/b.sst", parts, WriterOptions{BloomFPChance: fp})
		r, err := Open(fs, "/b.sst", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if !r.MayContain(p.key) {
				t.Fatalf("bloom rejects present key %v", p.key)
			}
		}
		const probes = 50000
		fps := 0
		for i := 0; i < probes; i++ {
			var kb [8]byte
			binary.BigEndian.PutUint64(kb[:], uint64(n+i))
			if r.MayContain(mutation.Key{Token: rng.Int63(), Bytes: kb[:]}) {
				fps++
			}
		}
		r.Close()
		rate := float64(fps) / probes
		if rate > fp*1.5 || rate < fp/3 {
			t.Errorf("false-positive rate for target %v: got %v", fp, rate)
		}
	}
}

// TestBigPartitionSliceReadsFewBlocks checks that slicing the end of a
// 200k-row partition, forward and reverse, reads O(1) blocks.
func TestBigPartitionSliceReadsFewBlocks(t *testing.T) {
	fs := vfs.NewMem()
	const nrows = 200000
	key := mutation.Key{Token: 42, Bytes: []byte("big")}
	w, err := NewWriter(fs, "/big.sst", WriterOptions{BlockSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	w.StartPartition(mutation.Key{Token: 1, Bytes: []byte("before")}, []byte("h0"))
	w.AddRow([]byte("x"), []byte("y"))
	w.FinishPartition()
	if err := w.StartPartition(key, []byte("hdr")); err != nil {
		t.Fatal(err)
	}
	ck := func(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }
	row := bytes.Repeat([]byte("r"), 40)
	for i := 0; i < nrows; i++ {
		if err := w.AddRow(ck(i), row); err != nil {
			t.Fatal(err)
		}
	}
	w.FinishPartition()
	w.StartPartition(mutation.Key{Token: 99, Bytes: []byte("after")}, []byte("h2"))
	w.AddRow([]byte("x"), []byte("y"))
	w.FinishPartition()
	if _, err := w.Finish(testStats); err != nil {
		t.Fatal(err)
	}
	r, err := Open(fs, "/big.sst", ReaderOptions{}) // no cache: every block access is a read
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, reverse := range []bool{false, true} {
		before := r.blockReads.Load()
		p, err := r.Get(key)
		if err != nil || p == nil {
			t.Fatalf("Get: %v, %v", p, err)
		}
		if p.ent.end != 0 {
			t.Fatal("big partition has no row index")
		}
		it := p.Rows(ck(nrows-60), ck(nrows-10), reverse)
		n := 0
		for it.Next() {
			want := nrows - 60 + n
			if reverse {
				want = nrows - 11 - n
			}
			if got := binary.BigEndian.Uint32(it.Clustering()); got != uint32(want) || !bytes.Equal(it.Row(), row) {
				t.Fatalf("reverse=%v row %d: got clustering %d, want %d", reverse, n, got, want)
			}
			n++
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if n != 50 {
			t.Fatalf("reverse=%v: got %d rows, want 50", reverse, n)
		}
		// index + start block + row index + at most two data blocks.
		if reads := r.blockReads.Load() - before; reads > 5 {
			t.Fatalf("reverse=%v: got %d block reads for a 50-row slice, want <= 5", reverse, reads)
		}
	}
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestCacheLRU(t *testing.T) {
	c := NewCache(3 * (100 + entryOverhead))
	mk := func() *block { return &block{data: make([]byte, 100)} }
	for i := uint64(0); i < 3; i++ {
		c.add(cacheKey{1, i}, mk())
	}
	if c.get(cacheKey{1, 0}) == nil { // 0 becomes most recent
		t.Fatal("block 0 missing")
	}
	c.add(cacheKey{1, 3}, mk()) // evicts 1
	if c.get(cacheKey{1, 1}) != nil {
		t.Error("block 1: got cached, want evicted")
	}
	for _, i := range []uint64{0, 2, 3} {
		if c.get(cacheKey{1, i}) == nil {
			t.Errorf("block %d: got evicted, want cached", i)
		}
	}
	if c.get(cacheKey{2, 0}) != nil {
		t.Error("other file's block 0: got a hit")
	}
	s := c.Stats()
	if s.Hits != 4 || s.Misses != 2 || s.Blocks != 3 || s.Size != 3*(100+entryOverhead) {
		t.Errorf("stats: got %+v, want 4 hits, 2 misses, 3 blocks", s)
	}
	c.add(cacheKey{1, 9}, &block{data: make([]byte, 1000)}) // larger than the cache
	if c.get(cacheKey{1, 9}) != nil {
		t.Error("oversized block: got cached")
	}
}

// TestConcurrentReaders runs Gets, slices and scans from several goroutines
// over two readers sharing a small cache (run with -race).
func TestConcurrentReaders(t *testing.T) {
	fs := vfs.NewMem()
	rng := rand.New(rand.NewSource(4))
	parts := genTable(rng, 200)
	writeTable(t, fs, "/c1.sst", parts, WriterOptions{BlockSize: 256, SummaryInterval: 8})
	writeTable(t, fs, "/c2.sst", parts, WriterOptions{BlockSize: 1024, SummaryInterval: 8, Compression: None})
	cache := NewCache(16 << 10)
	var readers []*Reader
	for i, name := range []string{"/c1.sst", "/c2.sst"} {
		r, err := Open(fs, name, ReaderOptions{Cache: cache, FileNum: uint64(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		readers = append(readers, r)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for k := 0; k < 300; k++ {
				r := readers[rng.Intn(2)]
				p := &parts[rng.Intn(len(parts))]
				gp, err := r.Get(p.key)
				if err != nil || gp == nil {
					errs <- fmt.Errorf("Get %v: %v, %v", p, gp, err)
					return
				}
				rows, err := collectRows(gp, nil, nil, k%2 == 0)
				if err != nil || !rowsEqual(rows, modelRows(p.rows, nil, nil, k%2 == 0)) {
					errs <- fmt.Errorf("rows of %v differ (%v)", p, err)
					return
				}
			}
			if got, err := scanAll(readers[seed%2], nil, nil); err != nil || !partsEqual(got, parts) {
				errs <- fmt.Errorf("scan differs (%v)", err)
			}
		}(int64(g))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := cache.Stats(); s.Hits == 0 || s.Misses == 0 || s.Size > 16<<10 {
		t.Errorf("cache stats: got %+v, want hits, misses and size <= 16 KiB", s)
	}
}

// TestCacheSharded checks a cache large enough to be sharded: it never holds
// more than its capacity and serves what it holds.
func TestCacheSharded(t *testing.T) {
	const capacity = 64 << 20
	c := NewCache(capacity)
	if len(c.shards) < 2 {
		t.Fatalf("got %d shards, want several", len(c.shards))
	}
	const blockLen = 16 << 10
	for i := uint64(0); i < 2*capacity/blockLen; i++ {
		c.add(cacheKey{i % 3, i}, &block{data: make([]byte, blockLen)})
		if s := c.Stats(); s.Size > capacity {
			t.Fatalf("after %d adds: holds %d bytes, over the capacity %d", i+1, s.Size, capacity)
		}
	}
	last := uint64(2*capacity/blockLen - 1)
	if c.get(cacheKey{last % 3, last}) == nil {
		t.Error("most recent block: got evicted")
	}
	if c.get(cacheKey{0, 0}) != nil {
		t.Error("oldest block: got cached, want evicted")
	}
	if s := c.Stats(); s.Size < capacity*3/4 {
		t.Errorf("holds %d bytes, want most of the capacity %d in use", s.Size, capacity)
	}
}

// TestScanUncached checks that a compaction-style scan reads every
// partition without filling the cache.
func TestScanUncached(t *testing.T) {
	fs := vfs.NewMem()
	parts := genTable(rand.New(rand.NewSource(9)), 100)
	writeTable(t, fs, "/u.sst", parts, WriterOptions{BlockSize: 256, SummaryInterval: 4})
	cache := NewCache(1 << 20)
	r, err := Open(fs, "/u.sst", ReaderOptions{Cache: cache, FileNum: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it := r.ScanUncached(nil, nil)
	n := 0
	for it.Next() {
		rows := it.Partition().Rows(nil, nil, false)
		for rows.Next() {
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if n != len(parts) {
		t.Errorf("scanned %d partitions, want %d", n, len(parts))
	}
	if s := cache.Stats(); s.Blocks != 0 {
		t.Errorf("cache holds %d blocks after an uncached scan, want 0", s.Blocks)
	}
}

// TestReadsVersion2: tables of format versions 2 (snappy blocks, written
// before the other codecs) and 3 (no compression record) open and read as
// before, and say they do not record their codec options.
func TestReadsVersion2(t *testing.T) {
	fs := vfs.NewMem()
	parts := genTable(rand.New(rand.NewSource(3)), 40)
	for _, v := range []uint32{2, 3} {
		path := fmt.Sprintf("/v%d.sst", v)
		writeTable(t, fs, path, parts, WriterOptions{BlockSize: 256, Compression: Snappy, version: v})
		r, err := Open(fs, path, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if m := r.Meta(); m.FormatVersion != v || m.Codec != nil {
			t.Fatalf("version %d: got FormatVersion %d, Codec %+v; want %d, nil", v, m.FormatVersion, m.Codec, v)
		}
		if err := r.Verify(); err != nil {
			t.Fatal(err)
		}
		got, err := scanAll(r, nil, nil)
		if err != nil || !partsEqual(got, parts) {
			t.Fatalf("version %d: scan: got %d partitions, %v; want %d", v, len(got), err, len(parts))
		}
	}
}

// TestCodecParamsRecorded: a table records the options its blocks were
// written with, resolved, and reads them back at Open.
func TestCodecParamsRecorded(t *testing.T) {
	fs := vfs.NewMem()
	parts := genTable(rand.New(rand.NewSource(4)), 10)
	for i, c := range []struct {
		opts WriterOptions
		want CodecParams
	}{
		{WriterOptions{}, CodecParams{Codec: codec.Snappy, BlockSize: 16 << 10}},
		{WriterOptions{Compression: Zstd, BlockSize: 4 << 10}, CodecParams{Codec: codec.Zstd, BlockSize: 4 << 10, Level: 3}},
		{WriterOptions{Compression: Zstd, CompressionLevel: -7, MinCompressRatio: 1.5},
			CodecParams{Codec: codec.Zstd, BlockSize: 16 << 10, Level: -7, MinCompressRatio: 1.5}},
		{WriterOptions{Compression: LZ4, CompressionLevel: 12}, CodecParams{Codec: codec.LZ4, BlockSize: 16 << 10}},
		{WriterOptions{Compression: LZ4, LZ4High: true}, CodecParams{Codec: codec.LZ4, BlockSize: 16 << 10, Level: 9, LZ4High: true}},
		{WriterOptions{Compression: Deflate, BlockSize: 64 << 10}, CodecParams{Codec: codec.Deflate, BlockSize: 64 << 10, Level: 5}},
		{WriterOptions{Compression: None, CompressionLevel: 4}, CodecParams{Codec: codec.None, BlockSize: 16 << 10}},
	} {
		if got, err := c.opts.CodecParams(); err != nil || got != c.want {
			t.Errorf("%+v: CodecParams: got %+v, %v; want %+v", c.opts, got, err, c.want)
		}
		path := fmt.Sprintf("/%d.sst", i)
		if m := writeTable(t, fs, path, parts, c.opts); m.Codec == nil || *m.Codec != c.want {
			t.Errorf("%+v: Finish's Meta.Codec: got %+v, want %+v", c.opts, m.Codec, c.want)
		}
		r, err := Open(fs, path, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m := r.Meta(); m.Codec == nil || *m.Codec != c.want || m.FormatVersion != 4 {
			t.Errorf("%+v: Open's Meta: got codec %+v, version %d; want %+v, 4", c.opts, m.Codec, m.FormatVersion, c.want)
		}
		r.Close()
	}
}
