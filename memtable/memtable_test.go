package memtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"testing"

	"wcdb/mutation"
)

func cell(col uint32, ts int64, v string) mutation.Cell {
	return mutation.Cell{Column: col, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
}

func apply(t testing.TB, m *Memtable, mu mutation.Mutation) {
	t.Helper()
	enc := mutation.AppendMutation(nil, &mu)
	v, err := mutation.DecodeView(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(&v); err != nil {
		t.Fatal(err)
	}
	// The memtable must not keep the caller's buffer.
	for i := range enc {
		enc[i] = 0xee
	}
}

func ck(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

func key(i int) mutation.Key {
	return mutation.Key{Token: int64(i % 7), Bytes: []byte(fmt.Sprintf("k%04d", i))}
}

func TestApplyAndRead(t *testing.T) {
	m := New()
	for i := 0; i < 100; i++ {
		r := mutation.NewRow(ck(i % 10))
		r.Cells = []mutation.Cell{cell(1, int64(i), fmt.Sprint(i))}
		apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: key(i % 5), Rows: []mutation.Row{r}}})
	}
	if m.Len() != 5 || m.Rows() != 10 {
		t.Fatalf("got %d partitions %d rows, want 5, 10", m.Len(), m.Rows())
	}
	// Partitions come out in (token, key) order.
	var keys []mutation.Key
	it := m.Iter(nil, nil)
	for it.Next() {
		keys = append(keys, it.Partition().Key())
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool { return keys[i].Compare(keys[j]) < 0 }) || len(keys) != 5 {
		t.Fatalf("partitions out of order: %v", keys)
	}
	// Partition 3 got i = 3, 8, ..., 98; row ck(i%10) holds the newest value.
	p := m.Get(key(3))
	if p == nil {
		t.Fatal("partition 3 missing")
	}
	var got []string
	ri := p.Rows(ck(3), ck(9), false)
	for ri.Next() {
		var r mutation.Row
		if err := mutation.DecodeRow(ri.Row(), ri.Clustering(), &r); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d=%s", binary.BigEndian.Uint32(ri.Clustering()), r.Cells[0].Value))
	}
	want := []string{"3=93", "8=98"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got = got[:0]
	ri = p.Rows(nil, nil, true)
	for ri.Next() {
		got = append(got, fmt.Sprint(binary.BigEndian.Uint32(ri.Clustering())))
	}
	if fmt.Sprint(got) != "[8 3]" {
		t.Fatalf("reverse: got %v, want [8 3]", got)
	}
	if m.Get(key(77)) != nil {
		t.Fatal("absent partition found")
	}
}

func TestHeaderMerge(t *testing.T) {
	m := New()
	k := key(1)
	apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: k, Deletion: mutation.Deletion{Timestamp: 5, LocalDeletionTime: 1}}})
	apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: k, Deletion: mutation.Live,
		RangeTombstones: []mutation.RangeTombstone{{Start: ck(1), End: ck(2), Deletion: mutation.Deletion{Timestamp: 9, LocalDeletionTime: 2}}}}})
	var h mutation.Header
	if err := mutation.DecodeHeader(m.Get(k).Header(), &h); err != nil {
		t.Fatal(err)
	}
	if h.Deletion.Timestamp != 5 || len(h.RangeTombstones) != 1 {
		t.Fatalf("got %+v, want deletion at 5 and one range tombstone", h)
	}
}

// TestConcurrentReaders runs readers against a writer; run with -race.
func TestConcurrentReaders(t *testing.T) {
	m := New()
	const n = 3000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for {
				select {
				case <-stop:
					return
				default:
				}
				it := m.Iter(nil, nil)
				var prev *mutation.Key
				for it.Next() {
					k := it.Partition().Key()
					if prev != nil && prev.Compare(k) >= 0 {
						panic("partitions out of order")
					}
					prev = &k
				}
				if p := m.Get(key(rng.Intn(50))); p != nil {
					var last []byte
					ri := p.Rows(nil, nil, rng.Intn(2) == 0)
					for ri.Next() {
						if last != nil && bytes.Equal(last, ri.Clustering()) {
							panic("row repeated")
						}
						last = ri.Clustering()
						var row mutation.Row
						if err := mutation.DecodeRow(ri.Row(), ri.Clustering(), &row); err != nil {
							panic(err)
						}
					}
				}
			}
		}(int64(r))
	}
	rng := rand.New(rand.NewSource(9))
	for i := 0; i < n; i++ {
		r := mutation.NewRow(ck(rng.Intn(200)))
		r.Cells = []mutation.Cell{cell(uint32(rng.Intn(3)), int64(i), "v")}
		apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: key(rng.Intn(50)), Rows: []mutation.Row{r}}})
	}
	close(stop)
	wg.Wait()
	if m.Size() <= 0 {
		t.Fatalf("size %d", m.Size())
	}
}

func BenchmarkApply(b *testing.B) {
	m := New()
	r := mutation.NewRow(nil)
	for f := 0; f < 10; f++ {
		r.Cells = append(r.Cells, cell(uint32(f), 1, string(bytes.Repeat([]byte{'x'}, 100))))
	}
	var enc []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		mu := mutation.Mutation{Partition: mutation.Partition{Key: mutation.Key{Token: int64(i * 7919), Bytes: ck(i)}, Rows: []mutation.Row{r}}}
		enc = mutation.AppendMutation(enc[:0], &mu)
		v, _ := mutation.DecodeView(enc)
		if err := m.Apply(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexGrowth writes enough partitions to resize the key index several
// times while readers look keys up, and checks every key is found by both
// the index and an ordered scan.
func TestIndexGrowth(t *testing.T) {
	m := New()
	const n = 5000
	keys := make([]mutation.Key, n)
	for i := range keys {
		b := []byte(fmt.Sprintf("key-%d", i))
		// Pairs of keys share a token, as colliding keys would.
		keys[i] = mutation.Key{Token: int64(uint64(i/2) * 0x9e3779b97f4a7c15), Bytes: b}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20000; i++ {
			k := keys[i%n]
			if p := m.Get(k); p != nil && !p.Key().Equal(k) {
				t.Errorf("Get(%s) returned %s", k.Bytes, p.Key().Bytes)
				return
			}
		}
	}()
	for _, k := range keys {
		mu := mutation.Mutation{Table: mutation.TableID{1}, Partition: mutation.Partition{Key: k, Deletion: mutation.Live,
			Rows: []mutation.Row{{Clustering: []byte{}, Liveness: mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}}}}}
		v, err := mutation.DecodeView(mutation.AppendMutation(nil, &mu))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Apply(&v); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	for _, k := range keys {
		if p := m.Get(k); p == nil || !p.Key().Equal(k) {
			t.Fatalf("Get(%s) = %v after all writes", k.Bytes, p)
		}
	}
	if got := m.Get(mutation.Key{Token: keys[2].Token, Bytes: []byte("other")}); got != nil {
		t.Fatalf("Get of an absent key with a present token: %v", got.Key())
	}
	if m.Len() != n {
		t.Fatalf("Len = %d, want %d", m.Len(), n)
	}
}

// TestRowsInsertedAtTheFront: rows written newest first (a DESC
// partition's, each before the others), mixed with rewrites of the first
// row and writes in the middle, read back in order with their newest
// values.
func TestRowsInsertedAtTheFront(t *testing.T) {
	m := New()
	want := map[int]string{}
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		c := 1_000_000 - i // before every row so far
		switch {
		case i%5 == 0 && i > 0:
			c = 1_000_000 - i + 1 // the first row again
		case i%7 == 0:
			c = 1_000_000 - rnd.Intn(i+1) // among the rows so far
		}
		v := fmt.Sprint(i)
		r := mutation.NewRow(ck(c))
		r.Cells = []mutation.Cell{cell(1, int64(i), v)}
		apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: key(1), Rows: []mutation.Row{r}}})
		want[c] = v
	}
	var cs []int
	for c := range want {
		cs = append(cs, c)
	}
	sort.Ints(cs)
	for _, reverse := range []bool{false, true} {
		var got, exp []string
		ri := m.Get(key(1)).Rows(nil, nil, reverse)
		for ri.Next() {
			var r mutation.Row
			if err := mutation.DecodeRow(ri.Row(), ri.Clustering(), &r); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d=%s", binary.BigEndian.Uint32(ri.Clustering()), r.Cells[0].Value))
		}
		for i := range cs {
			c := cs[i]
			if reverse {
				c = cs[len(cs)-1-i]
			}
			exp = append(exp, fmt.Sprintf("%d=%s", c, want[c]))
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Fatalf("reverse %v: got %d rows, want %d; first difference at %d", reverse, len(got), len(exp), firstDiff(got, exp))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
