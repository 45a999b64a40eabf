package query

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
)

// intList returns a serialized list<int> of n elements.
func intList(n int) []byte {
	b := make([]byte, 0, 4+8*n)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i := range n {
		b = binary.BigEndian.AppendUint32(b, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(i))
	}
	return b
}

// TestLargeCollectionMemory replays an attack on the node: one 8 MB
// list<int> of a million elements bound to an INSERT took the node from
// 112 to 566 MB before the write was refused (the mutation is over the
// commit log's 16 MiB). The executor allocated 711 MB for it (89 times the
// value), 361 MB at once; the decoded elements, the cells and the
// mutation's encoding are now each sized once.
func TestLargeCollectionMemory(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, l list<int>)"); err != nil {
		t.Fatal(err)
	}
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, l) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	insert := func(k int32, n int) (allocated, peak uint64, err error) {
		v := intList(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var high atomic.Uint64
		done := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > high.Load() {
					high.Store(m.HeapAlloc)
				}
				select {
				case <-done:
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		_, err = h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One,
			Timestamp: mutation.NoTimestamp, Values: [][]byte{int32Value(k), v}})
		close(done)
		<-sampled
		runtime.ReadMemStats(&after)
		t.Logf("INSERT of a %d-element list<int> (%.1f MB): allocated %.0f MB (%.1fx), heap peak +%.0f MB (sampled), err %v",
			n, float64(len(v))/(1<<20), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20),
			float64(after.TotalAlloc-before.TotalAlloc)/float64(len(v)), float64(high.Load()-min(high.Load(), before.HeapAlloc))/(1<<20), err)
		return after.TotalAlloc - before.TotalAlloc, high.Load(), err
	}
	// A million elements: refused by the commit log, as before, for a
	// fraction of the memory.
	const n = 1 << 20
	allocated, _, err := insert(1, n)
	if err == nil {
		t.Fatalf("a %d-element list was written; want it refused as over the commit log's record size", n)
	}
	if limit := uint64(20 * (4 + 8*n)); allocated > limit && !raceDetector {
		t.Errorf("allocated %d bytes for a %d-byte value, want at most 20x", allocated, 4+8*n)
	}
	// A quarter of it fits, and reads back.
	if _, _, err := insert(2, n/4); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.rowsOf("SELECT k FROM t WHERE k = 2", 0); got != "k\n2\n" {
		t.Errorf("got\n%s", got)
	}
	sel, err := h.x.Prepare(h.s, "SELECT l FROM t WHERE k = 2")
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.x.Execute(context.Background(), h.s, sel, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Rows[0][0], intList(n/4); string(got) != string(want) {
		t.Errorf("list read back: %d bytes, want %d", len(got), len(want))
	}
}
