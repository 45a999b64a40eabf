package compaction

import (
	"context"
	"math"
	"sync"
	"time"
)

// burstWindow sizes the limiter's bucket: a tenth of a second of throughput,
// enough to pass one merge block without waiting, small enough that the
// disk sees a steady rate rather than bursts.
const burstWindow = 100 * time.Millisecond

// maxWait bounds one sleep of a waiter; a longer debt takes several.
const maxWait = time.Minute

// Limiter throttles compaction I/O to a rate in bytes per second, like
// Cassandra's compaction_throughput, with a token bucket holding
// burstWindow's worth of bytes. A request larger than the bucket is admitted
// at once and paid for by the waits of whoever comes next, so any size works
// and waiters are served in arrival order. A Limiter is safe for concurrent
// use; SetRate takes effect on waiters already blocked.
type Limiter struct {
	clock clock
	share *Share // paces Wait by CPU too; nil: no pacing
	mu    struct {
		sync.Mutex
		rate   float64 // bytes per second; 0 means unlimited
		burst  float64
		tokens float64 // below zero while waiters owe
		// refilled counts every token ever added; a waiter is released when
		// it passes the value its debt was due at.
		refilled float64
		last     time.Time
		changed  chan struct{} // closed by SetRate to wake waiters
	}
}

// NewLimiter returns a limiter of bytesPerSec; 0 (or less) means unlimited.
func NewLimiter(bytesPerSec int64) *Limiter { return newLimiter(bytesPerSec, realClock{}) }

func newLimiter(bytesPerSec int64, c clock) *Limiter {
	l := &Limiter{clock: c}
	l.mu.last = c.Now()
	l.mu.changed = make(chan struct{})
	l.setRateLocked(bytesPerSec)
	return l
}

// WithShare makes Wait pace its callers by s as well as by bytes (see
// Share); nil turns pacing off. Call it before the limiter is used.
func (l *Limiter) WithShare(s *Share) *Limiter {
	l.share = s
	return l
}

// Rate returns the limit in bytes per second, 0 when unlimited.
func (l *Limiter) Rate() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(l.mu.rate)
}

// SetRate changes the limit to bytesPerSec; 0 (or less) means unlimited.
// Blocked waiters recompute their wait at the new rate.
func (l *Limiter) SetRate(bytesPerSec int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refillLocked()
	l.setRateLocked(bytesPerSec)
	close(l.mu.changed)
	l.mu.changed = make(chan struct{})
}

func (l *Limiter) setRateLocked(bytesPerSec int64) {
	wasUnlimited := l.mu.rate == 0
	l.mu.rate = float64(max(bytesPerSec, 0))
	l.mu.burst = max(1, l.mu.rate*burstWindow.Seconds())
	if wasUnlimited {
		l.mu.tokens = l.mu.burst
	}
	l.mu.tokens = min(l.mu.tokens, l.mu.burst)
}

// refillLocked adds the tokens earned since the last call, up to the burst.
func (l *Limiter) refillLocked() {
	now := l.clock.Now()
	if dt := now.Sub(l.mu.last); dt > 0 {
		l.mu.last = now
		if l.mu.rate > 0 {
			if add := min(dt.Seconds()*l.mu.rate, l.mu.burst-l.mu.tokens); add > 0 {
				l.mu.tokens += add
				l.mu.refilled += add
			}
		}
	}
}

// Wait blocks until n more bytes may be read or written, and the Share's
// pause (if any) is over, or ctx is done. A cancelled wait returns ctx's
// error and gives its bytes back.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := l.share.Pace(ctx); err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	l.mu.Lock()
	l.refillLocked()
	if l.mu.rate == 0 {
		l.mu.Unlock()
		return nil
	}
	l.mu.tokens -= float64(n)
	due := l.mu.refilled - l.mu.tokens
	for {
		// A thousandth of a byte absorbs float rounding between the wait
		// computed and the refill earned.
		owed := due - l.mu.refilled
		if l.mu.rate == 0 || owed < 1e-3 {
			l.mu.Unlock()
			return nil
		}
		// Capped so that an absurd debt cannot overflow the Duration; the
		// loop simply waits again.
		d := time.Duration(math.Ceil(min(owed/l.mu.rate, maxWait.Seconds()) * float64(time.Second)))
		changed := l.mu.changed
		l.mu.Unlock()

		timer, stop := l.clock.NewTimer(d)
		select {
		case <-ctx.Done():
			stop()
			l.mu.Lock()
			l.refillLocked()
			l.mu.tokens = min(l.mu.tokens+float64(n), l.mu.burst)
			l.mu.Unlock()
			return ctx.Err()
		case <-timer:
		case <-changed:
			stop()
		}
		l.mu.Lock()
		l.refillLocked()
	}
}

// clock is time as the limiter sees it, replaced in tests.
type clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once d has passed, and a
	// function that stops the timer.
	NewTimer(d time.Duration) (<-chan time.Time, func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
