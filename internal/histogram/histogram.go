// Package histogram is a histogram cheap enough for every request: fixed
// power-of-two buckets counted with atomics, so Observe takes no lock and
// allocates nothing. Readers (a Prometheus scrape, wcdb admin) take a
// Snapshot at their own pace.
package histogram

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Buckets is the number of buckets. Bucket 0 counts the value 0; bucket i
// (1 ≤ i < Buckets) counts the values in (2^(i-2), 2^(i-1)], so that its
// upper bound is 2^(i-1); the last bucket also counts everything above.
// In microseconds the last bound is 2^30 µs, about 18 minutes.
const Buckets = 32

// Histogram counts values into power-of-two buckets and keeps their sum.
// The zero value is ready; its methods are safe for concurrent use.
type Histogram struct {
	counts [Buckets]atomic.Uint64
	sum    atomic.Uint64
}

// bucket returns the index of v's bucket.
func bucket(v uint64) int {
	if v == 0 {
		return 0
	}
	return min(bits.Len64(v-1)+1, Buckets-1)
}

// UpperBound returns bucket i's upper bound (inclusive); the last bucket
// has none, and returns its nominal one.
func UpperBound(i int) uint64 {
	if i == 0 {
		return 0
	}
	return 1 << (i - 1)
}

// Observe counts v.
func (h *Histogram) Observe(v uint64) {
	h.counts[bucket(v)].Add(1)
	h.sum.Add(v)
}

// ObserveDuration counts d in microseconds, rounded up (a read of 300 ns
// counts as 1 µs, not as nothing).
func (h *Histogram) ObserveDuration(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.Observe((uint64(d) + 999) / 1000)
}

// Since counts the time since start, in microseconds.
func (h *Histogram) Since(start time.Time) { h.ObserveDuration(time.Since(start)) }

// Snapshot is a histogram's counts at one moment.
type Snapshot struct {
	Counts [Buckets]uint64
	// Count is the number of values, Sum their sum.
	Count, Sum uint64
}

// Snapshot returns the current counts. Values observed meanwhile may be
// in some buckets and not yet in Sum: a reader sees at most that skew.
func (h *Histogram) Snapshot() Snapshot {
	var s Snapshot
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
		s.Count += s.Counts[i]
	}
	s.Sum = h.sum.Load()
	return s
}

// Quantile returns the upper bound of the bucket holding the q-quantile
// (0 ≤ q ≤ 1), or 0 for an empty snapshot: an estimate at most twice the
// true value, as coarse as the buckets.
func (s *Snapshot) Quantile(q float64) uint64 {
	if s.Count == 0 {
		return 0
	}
	rank := uint64(q * float64(s.Count))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.Counts {
		if seen += c; seen >= rank {
			return UpperBound(i)
		}
	}
	return UpperBound(Buckets - 1)
}

// Max returns the upper bound of the highest bucket with a value (0 for
// an empty snapshot).
func (s *Snapshot) Max() uint64 {
	for i := Buckets - 1; i > 0; i-- {
		if s.Counts[i] > 0 {
			return UpperBound(i)
		}
	}
	return 0
}
