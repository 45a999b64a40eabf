package compaction

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCPUShare is the share of a core compaction gets while foreground
// requests run (compaction_cpu_share). On the 2-core machines of issue 21 a
// quarter keeps the tail of reads flat while a load's compactions still
// finish within minutes of it.
const DefaultCPUShare = 0.25

// Pacing constants. A slice short against the p99 target (10 ms) bounds how
// long requests queue behind compaction; the backlog is looked at seldom
// because its callback walks every table.
const (
	shareSlice     = 2 * time.Millisecond
	shareMaxRan    = 4 * shareSlice // caps the pause after a long stall
	backlogEvery   = time.Second
	backlogFloor   = 16 // live SSTables of a table with pending work
	backlogDoubles = 8  // more SSTables that double the share
)

// Share paces background work to a share of a core while foreground
// requests run, so a burst of compaction does not queue requests behind it
// on a small machine: Cassandra's compaction_throughput, by CPU rather than
// MB/s. Work calls Pace often (per row); after each slice of shareSlice it
// sleeps so that it ran for share of the wall time, if a request arrived
// (Request) during the slice. With no request it runs at full speed. So
// that compaction never starves, the share doubles for every backlogDoubles
// live SSTables beyond backlogFloor that Backlog reports, up to a whole
// core (no pause). Pacing is global: concurrent workers (a compaction and
// a cleanup) share the same slices and pauses. A Share is safe for
// concurrent use; the nil Share never pauses.
type Share struct {
	clock    clock
	requests atomic.Uint64
	share    atomic.Uint64 // float64 bits; <= 0 or >= 1: no pacing
	mu       struct {
		sync.Mutex
		backlog    func() int
		sliceStart time.Time
		seen       uint64
		checkedAt  time.Time
		boost      float64
		pauses     int64
		paused     time.Duration
	}
}

// NewShare returns a Share of a core; 0 (or less, or 1 and more) means no
// pacing.
func NewShare(share float64) *Share { return newShare(share, realClock{}) }

func newShare(share float64, c clock) *Share {
	s := &Share{clock: c}
	s.SetShare(share)
	s.mu.boost = 1
	s.mu.sliceStart = c.Now()
	return s
}

// SetShare changes the share of a core; it takes effect at the next slice.
func (s *Share) SetShare(share float64) {
	if math.IsNaN(share) {
		share = 0
	}
	s.share.Store(math.Float64bits(share))
}

// CPUShare returns the configured share (without the backlog's boost).
func (s *Share) CPUShare() float64 {
	if s == nil {
		return 0
	}
	return math.Float64frombits(s.share.Load())
}

// SetBacklog sets the callback that reports how far behind background work
// is: the most live SSTables of a table whose strategy has work waiting.
func (s *Share) SetBacklog(backlog func() int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.backlog = backlog
	s.mu.checkedAt = time.Time{}
}

// Request notes a foreground request; the protocol server calls it as each
// request starts. It costs one atomic add.
func (s *Share) Request() {
	if s != nil {
		s.requests.Add(1)
	}
}

// Paused returns how many pauses Pace made and their total length, for
// tests and tools.
func (s *Share) Paused() (n int64, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.pauses, s.mu.paused
}

// Pace is called by background work between units of work (rows); it
// returns at once while the current slice lasts, or pauses as described on
// Share. A cancelled pause returns ctx's error.
func (s *Share) Pace(ctx context.Context) error {
	if s == nil {
		return nil
	}
	if share := s.CPUShare(); share <= 0 || share >= 1 {
		return nil // pacing off: no lock per row
	}
	d := s.next()
	if d <= 0 {
		return nil
	}
	timer, stop := s.clock.NewTimer(d)
	select {
	case <-ctx.Done():
		stop()
		return ctx.Err()
	case <-timer:
		return nil
	}
}

// next ends the slice when it has lasted shareSlice and returns the pause
// that follows it (0: none).
func (s *Share) next() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	ran := now.Sub(s.mu.sliceStart)
	if ran < shareSlice {
		return 0
	}
	seen := s.requests.Load()
	active := seen != s.mu.seen
	s.mu.seen = seen
	share := s.CPUShare()
	if !active || share <= 0 || share >= 1 {
		s.mu.sliceStart = now
		return 0
	}
	if s.mu.backlog != nil && now.Sub(s.mu.checkedAt) >= backlogEvery {
		s.mu.checkedAt = now
		b := s.mu.backlog()
		s.mu.boost = math.Exp2(float64(max(b-backlogFloor, 0)) / backlogDoubles)
	}
	share *= s.mu.boost
	if share >= 1 {
		s.mu.sliceStart = now
		return 0
	}
	ran = min(ran, shareMaxRan)
	pause := time.Duration(float64(ran) * (1 - share) / share)
	s.mu.sliceStart = now.Add(pause)
	s.mu.pauses++
	s.mu.paused += pause
	return pause
}
