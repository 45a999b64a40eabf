package engine

import (
	"math"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for v := 1; v <= 100000; v++ {
		h.Record(time.Duration(v))
	}
	if got, want := h.Count(), uint64(100000); got != want {
		t.Fatalf("Count = %d, want %d", got, want)
	}
	for _, tc := range []struct {
		q    float64
		want float64
	}{{0.5, 50000}, {0.99, 99000}, {0.999, 99900}, {1, 100000}, {0.00001, 1}} {
		got := float64(h.Quantile(tc.q))
		if math.Abs(got-tc.want)/tc.want > 0.02 {
			t.Errorf("Quantile(%v) = %v, want %v within 2%%", tc.q, got, tc.want)
		}
	}
}

func TestHistogramExactSmall(t *testing.T) {
	var h Histogram
	for _, v := range []time.Duration{3, 3, 7, 40} {
		h.Record(v)
	}
	if got := h.Quantile(0.5); got != 3 {
		t.Errorf("Quantile(0.5) = %v, want 3", got)
	}
	if got := h.Quantile(0.75); got != 7 {
		t.Errorf("Quantile(0.75) = %v, want 7", got)
	}
	if got := h.Quantile(1); got != 40 {
		t.Errorf("Quantile(1) = %v, want 40", got)
	}
}

func TestHistogramMergeAndEmpty(t *testing.T) {
	var a, b, empty Histogram
	if got := empty.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile = %v, want 0", got)
	}
	for range 99 {
		a.Record(time.Millisecond)
	}
	b.Record(time.Second)
	a.Merge(&b)
	a.Merge(&empty)
	if got, want := a.Count(), uint64(100); got != want {
		t.Fatalf("Count = %d, want %d", got, want)
	}
	if got := a.Quantile(0.99); math.Abs(float64(got-time.Millisecond)) > 0.02*float64(time.Millisecond) {
		t.Errorf("Quantile(0.99) = %v, want ~1ms", got)
	}
	if got := a.Quantile(1); got != time.Second {
		t.Errorf("Quantile(1) = %v, want 1s", got)
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value lies in its bucket's range, and buckets are monotonic.
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, 1<<40 + 12345, math.MaxUint64} {
		i := bucketOf(v)
		if i < prev {
			t.Errorf("bucketOf(%d) = %d < previous %d", v, i, prev)
		}
		prev = i
		if i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, want < %d", v, i, histBuckets)
		}
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Errorf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
	}
}
