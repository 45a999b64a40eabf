package histogram

import (
	"sync"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	for _, c := range []struct {
		v    uint64
		want int
	}{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 3}, {5, 4}, {8, 4}, {9, 5}, {1 << 29, 30}, {1<<29 + 1, 31}, {1 << 62, 31}} {
		if got := bucket(c.v); got != c.want {
			t.Errorf("bucket(%d) = %d, want %d", c.v, got, c.want)
		}
		if i := bucket(c.v); i < Buckets-1 && c.v > UpperBound(i) || i > 0 && c.v <= UpperBound(i-1) {
			t.Errorf("%d is in bucket %d, (%d, %d]", c.v, i, UpperBound(i-1), UpperBound(i))
		}
	}
}

func TestSnapshot(t *testing.T) {
	var h Histogram
	h.ObserveDuration(300 * time.Nanosecond) // 1 µs
	h.ObserveDuration(3 * time.Millisecond)
	for range 98 {
		h.Observe(10)
	}
	s := h.Snapshot()
	if s.Count != 100 || s.Sum != 1+3000+980 {
		t.Fatalf("count %d sum %d, want 100 and %d", s.Count, s.Sum, 1+3000+980)
	}
	if got := s.Quantile(0.5); got != 16 {
		t.Errorf("median %d, want 16", got)
	}
	if got := s.Quantile(1); got != 4096 {
		t.Errorf("max quantile %d, want 4096", got)
	}
	if got := s.Max(); got != 4096 {
		t.Errorf("Max %d, want 4096", got)
	}
	var empty Snapshot
	if empty.Quantile(0.99) != 0 || empty.Max() != 0 {
		t.Error("empty snapshot: want 0")
	}
}

func TestConcurrent(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Observe(uint64(g*1000 + i))
			}
		}()
	}
	wg.Wait()
	if s := h.Snapshot(); s.Count != 4000 || s.Sum != 4000*3999/2 {
		t.Fatalf("count %d sum %d", s.Count, s.Sum)
	}
}

func BenchmarkObserve(b *testing.B) {
	var h Histogram
	b.RunParallel(func(pb *testing.PB) {
		var v uint64
		for pb.Next() {
			h.Observe(v & 0xffff)
			v += 7
		}
	})
}
