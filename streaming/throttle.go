package streaming

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultThroughput is Cassandra's default stream_throughput_outbound:
// 24 MiB/s for all outgoing streams of a node.
const DefaultThroughput = 24 << 20

// Throttle limits the bytes per second of the streams that share it: one per
// node, for all its outgoing sessions (Cassandra's
// stream_throughput_outbound). It is a token bucket holding at most one
// second's worth of bytes. A frame takes what the bucket holds and books the
// rest against the time ahead: it waits until that is paid for, and frames
// after it queue behind. So frames of any size pass, concurrent senders
// share the rate, and the long-run rate is the one set. Its methods are safe
// for concurrent use; a nil *Throttle does not limit.
type Throttle struct {
	rate  atomic.Int64
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu struct {
		sync.Mutex
		// avail is the bucket's content at time at; at is after now while
		// frames are booked ahead (and avail is then 0).
		avail   float64
		at      time.Time
		started bool
	}
}

// NewThrottle returns a throttle of bytesPerSec (0 or less: unlimited).
func NewThrottle(bytesPerSec int64) *Throttle {
	return newThrottle(bytesPerSec, time.Now, sleepCtx)
}

// newThrottle is NewThrottle with the clock and the sleep it waits with
// (tests give a fake clock whose sleep advances it).
func newThrottle(bytesPerSec int64, now func() time.Time, sleep func(context.Context, time.Duration) error) *Throttle {
	t := &Throttle{now: now, sleep: sleep}
	t.SetRate(bytesPerSec)
	return t
}

// SetRate changes the rate, in bytes per second (0 or less: unlimited). It
// takes effect at the next Wait: frames already booked keep their time.
func (t *Throttle) SetRate(bytesPerSec int64) {
	t.rate.Store(max(bytesPerSec, 0))
}

// Rate returns the rate in bytes per second; 0 is unlimited.
func (t *Throttle) Rate() int64 {
	if t == nil {
		return 0
	}
	return t.rate.Load()
}

// Wait blocks until n more bytes may be sent, or ctx is done.
func (t *Throttle) Wait(ctx context.Context, n int) error {
	if t == nil {
		return nil
	}
	rate := t.rate.Load()
	if rate <= 0 {
		return nil
	}
	r := float64(rate)
	t.mu.Lock()
	now := t.now()
	if !t.mu.started {
		t.mu.started, t.mu.at = true, now
	}
	if el := now.Sub(t.mu.at); el > 0 {
		t.mu.avail += el.Seconds() * r
		t.mu.at = now
	}
	t.mu.avail = min(t.mu.avail, r) // one second's worth; the rate may have been lowered
	use := min(t.mu.avail, float64(n))
	t.mu.avail -= use
	if rest := float64(n) - use; rest > 0 {
		t.mu.at = t.mu.at.Add(time.Duration(rest / r * float64(time.Second)))
	}
	d := t.mu.at.Sub(now)
	t.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return t.sleep(ctx, d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
