package engine

import (
	"math"
	"math/bits"
	"time"
)

// Histogram buckets durations logarithmically: values below 64 ns have a
// bucket each; above, each power of two is split into 32 buckets, so a
// reported quantile is within about 1.6% of the true value (the bucket's
// midpoint is reported). Recording is a few instructions and never
// allocates. A Histogram is not safe for concurrent use: give each worker
// its own and Merge them.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	min    uint64
	max    uint64
}

const (
	subBits     = 5
	subCount    = 1 << subBits // buckets per power of two
	linearMax   = 2 * subCount // values below are exact
	histBuckets = linearMax + (64-subBits-1)*subCount
)

func bucketOf(v uint64) int {
	if v < linearMax {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	top := v >> shift // in [subCount, 2*subCount)
	return linearMax + (shift-1)*subCount + int(top-subCount)
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < linearMax {
		return uint64(i), uint64(i)
	}
	shift := (i-linearMax)/subCount + 1
	top := uint64((i-linearMax)%subCount + subCount)
	lo = top << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
}

// Merge adds o's observations to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the value below which a fraction q of the observations
// lie (0 for an empty histogram).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return time.Duration(h.max)
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			mid := lo + (hi-lo)/2
			return time.Duration(min(max(mid, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
