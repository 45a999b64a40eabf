package memtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"testing"

	"wcdb/mutation"
)

// TestArenaLargeValues stores keys and rows larger than a chunk and many
// small ones around them, so that allocations straddle chunk growth and
// the chunks of their own, and reads every one back.
func TestArenaLargeValues(t *testing.T) {
	m := New()
	rng := rand.New(rand.NewSource(3))
	want := map[string][]byte{}
	var applied int64
	for i := 0; i < 300; i++ {
		size := rng.Intn(200)
		if i%50 == 7 {
			size = maxChunk + rng.Intn(maxChunk) // a chunk of its own
		} else if i%10 == 3 {
			size = maxChunk/8 + rng.Intn(maxChunk/8) // forces a new chunk
		}
		v := make([]byte, size)
		rng.Read(v)
		kb := []byte(fmt.Sprintf("p%03d", i%40))
		if i == 100 {
			kb = bytes.Repeat([]byte{'K'}, maxChunk/2) // a key over a quarter of a chunk
		}
		k := mutation.Key{Token: int64(i % 40), Bytes: kb}
		r := mutation.NewRow(ck(i))
		r.Cells = []mutation.Cell{cell(1, 1, string(v))}
		mu := mutation.Mutation{Partition: mutation.Partition{Key: k, Rows: []mutation.Row{r}}}
		enc := mutation.AppendMutation(nil, &mu)
		applied += int64(len(enc))
		apply(t, m, mu)
		want[string(kb)+"/"+string(ck(i))] = v
	}
	if m.Size() < applied {
		t.Fatalf("Size %d is less than the %d bytes applied", m.Size(), applied)
	}
	got := 0
	it := m.Iter(nil, nil)
	for it.Next() {
		p := it.Partition()
		ri := p.Rows(nil, nil, false)
		for ri.Next() {
			var r mutation.Row
			if err := mutation.DecodeRow(ri.Row(), ri.Clustering(), &r); err != nil {
				t.Fatal(err)
			}
			w, ok := want[string(p.Key().Bytes)+"/"+string(ri.Clustering())]
			if !ok || !bytes.Equal(r.Cells[0].Value, w) {
				t.Fatalf("partition %.10q row %x: got %d bytes, want %d (present %v)", p.Key().Bytes, ri.Clustering(), len(r.Cells[0].Value), len(w), ok)
			}
			got++
		}
	}
	if got != len(want) || m.Rows() != int64(len(want)) {
		t.Fatalf("read %d rows, Rows() = %d, want %d", got, m.Rows(), len(want))
	}
}

// TestRowBounds checks bounded and reverse row iteration of wide
// partitions against a sorted model.
func TestRowBounds(t *testing.T) {
	m := New()
	rng := rand.New(rand.NewSource(5))
	model := map[int][]int{} // partition -> clusterings
	seen := map[[2]int]bool{}
	for i := 0; i < 5000; i++ {
		p, c := rng.Intn(4), rng.Intn(3000)
		r := mutation.NewRow(ck(c))
		r.Cells = []mutation.Cell{cell(1, int64(i), "v")}
		apply(t, m, mutation.Mutation{Partition: mutation.Partition{Key: key(p), Rows: []mutation.Row{r}}})
		if !seen[[2]int{p, c}] {
			seen[[2]int{p, c}] = true
			model[p] = append(model[p], c)
		}
	}
	for p, cs := range model {
		sort.Ints(cs)
		part := m.Get(key(p))
		for q := 0; q < 50; q++ {
			lo, hi := rng.Intn(3100), rng.Intn(3100)
			var start, end []byte
			if q%5 != 0 {
				start = ck(lo)
			}
			if q%7 != 0 {
				end = ck(hi)
			}
			var want []int
			for _, c := range cs {
				if (start == nil || c >= lo) && (end == nil || c < hi) {
					want = append(want, c)
				}
			}
			reverse := q%2 == 1
			if reverse {
				for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
					want[i], want[j] = want[j], want[i]
				}
			}
			var got []int
			ri := part.Rows(start, end, reverse)
			for ri.Next() {
				got = append(got, int(binary.BigEndian.Uint32(ri.Clustering())))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("partition %d [%v, %v) reverse %v: got %d rows, want %d", p, start, end, reverse, len(got), len(want))
			}
		}
	}
}

// TestNoHeapObjectsPerRow: the memtable's rows and nodes are not Go heap
// objects, so filling it leaves the heap's object count (what the garbage
// collector marks) about where it was.
func TestNoHeapObjectsPerRow(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := fill(t, 100000, 40)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if d := int64(after.HeapObjects) - int64(before.HeapObjects); d > 2000 {
		t.Fatalf("100,000 partitions added %d heap objects, want a few hundred at most", d)
	}
	runtime.KeepAlive(m)
}
