package memtable

import (
	"encoding/binary"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"wcdb/mutation"
)

// benchRow returns a row of cols cells of size bytes each.
func benchRow(c []byte, cols, size int) mutation.Row {
	r := mutation.NewRow(c)
	v := make([]byte, size)
	for i := range v {
		v[i] = 'x'
	}
	for f := 0; f < cols; f++ {
		r.Cells = append(r.Cells, mutation.Cell{Column: uint32(f), Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: v})
	}
	return r
}

// benchKey is partition i's key, with a well-spread token as Murmur3 gives.
func benchKey(i int) mutation.Key {
	return mutation.Key{Token: int64(uint64(i) * 0x9e3779b97f4a7c15), Bytes: binary.BigEndian.AppendUint64([]byte("user"), uint64(i))}
}

// fill applies n one-row partitions of a 1-cell, size-byte row (YCSB-like
// point data when size is large, many small objects when it is small) and
// returns the memtable.
func fill(tb testing.TB, n, size int) *Memtable {
	m := New()
	r := benchRow(nil, 1, size)
	var enc []byte
	for i := 0; i < n; i++ {
		mu := mutation.Mutation{Partition: mutation.Partition{Key: benchKey(i), Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, err := mutation.DecodeView(enc)
		if err != nil {
			tb.Fatal(err)
		}
		if err := m.Apply(&v); err != nil {
			tb.Fatal(err)
		}
	}
	return m
}

// BenchmarkInsert measures Apply of a new one-row partition (a 100-byte
// value) and, per op, the allocations it makes.
func BenchmarkInsert(b *testing.B) {
	m := New()
	r := benchRow(nil, 1, 100)
	var enc []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		mu := mutation.Mutation{Partition: mutation.Partition{Key: benchKey(i), Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, _ := mutation.DecodeView(enc)
		if err := m.Apply(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertWide measures Apply of new rows into 1,000 wide
// partitions (a timeline's shape).
func BenchmarkInsertWide(b *testing.B) {
	m := New()
	var enc []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := benchRow(binary.BigEndian.AppendUint64(nil, uint64(i)), 2, 40)
		mu := mutation.Mutation{Partition: mutation.Partition{Key: benchKey(i % 1000), Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, _ := mutation.DecodeView(enc)
		if err := m.Apply(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertWideFront is BenchmarkInsertWide with each row before
// the partition's others: a DESC timeline's newest post.
func BenchmarkInsertWideFront(b *testing.B) {
	m := New()
	var enc []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := benchRow(binary.BigEndian.AppendUint64(nil, ^uint64(i)), 2, 40)
		mu := mutation.Mutation{Partition: mutation.Partition{Key: benchKey(i % 1000), Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, _ := mutation.DecodeView(enc)
		if err := m.Apply(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate measures Apply to an existing row (a merge).
func BenchmarkUpdate(b *testing.B) {
	const n = 10000
	m := fill(b, n, 100)
	r := benchRow(nil, 1, 100)
	var enc []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Cells[0].Timestamp = int64(i + 2)
		mu := mutation.Mutation{Partition: mutation.Partition{Key: benchKey(i % n), Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, _ := mutation.DecodeView(enc)
		if err := m.Apply(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures a point read of a random key: Get and the
// partition's one row.
func BenchmarkGet(b *testing.B) {
	const n = 200000
	m := fill(b, n, 100)
	keys := make([]mutation.Key, 1<<16)
	rng := rand.New(rand.NewSource(1))
	for i := range keys {
		keys[i] = benchKey(rng.Intn(n))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := m.Get(keys[i&(len(keys)-1)])
		it := p.Rows(nil, nil, false)
		if !it.Next() || len(it.Row()) == 0 {
			b.Fatal("row missing")
		}
	}
}

// BenchmarkScan measures iterating over every partition and row.
func BenchmarkScan(b *testing.B) {
	const n = 200000
	m := fill(b, n, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it := m.Iter(nil, nil)
		rows := 0
		for it.Next() {
			ri := it.Partition().Rows(nil, nil, false)
			for ri.Next() {
				rows++
			}
		}
		if rows != n {
			b.Fatalf("got %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}

// BenchmarkGC measures a forced collection with a memtable of 200,000
// small one-row partitions live (about 64 MiB as the memtable accounted
// before its arena: the cost such a memtable adds to every GC cycle), and
// reports the heap objects the memtable holds.
func BenchmarkGC(b *testing.B) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	m := fill(b, 200000, 40)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		runtime.GC()
		total += time.Since(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/GC")
	b.ReportMetric(float64(ms.HeapObjects-base.HeapObjects), "objects")
	b.ReportMetric(float64(m.Size())/(1<<20), "sizeMiB")
	b.ReportMetric(float64(ms.HeapInuse-base.HeapInuse)/(1<<20), "heapMiB")
	runtime.KeepAlive(m)
}
