package compaction

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manual clock. Each NewTimer is announced on created, so a
// test knows a waiter has blocked before it advances time.
type fakeClock struct {
	created chan time.Duration
	mu      struct {
		sync.Mutex
		now    time.Time
		timers []*fakeTimer
	}
}

type fakeTimer struct {
	at      time.Time
	c       chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock {
	c := &fakeClock{created: make(chan time.Duration, 16)}
	c.mu.now = time.Unix(1000, 0)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.now
}

func (c *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	t := &fakeTimer{at: c.mu.now.Add(d), c: make(chan time.Time, 1)}
	c.mu.timers = append(c.mu.timers, t)
	c.mu.Unlock()
	c.created <- d
	return t.c, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves time forward and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.now = c.mu.now.Add(d)
	live := c.mu.timers[:0]
	for _, t := range c.mu.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.mu.now):
			t.c <- c.mu.now
		default:
			live = append(live, t)
		}
	}
	c.mu.timers = live
}

// live returns how many timers are pending: neither fired nor stopped.
func (c *fakeClock) live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.mu.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

// advanceToNext moves time to the earliest pending timer and fires it.
func (c *fakeClock) advanceToNext() {
	c.mu.Lock()
	var next time.Time
	for _, t := range c.mu.timers {
		if !t.stopped && (next.IsZero() || t.at.Before(next)) {
			next = t.at
		}
	}
	d := next.Sub(c.mu.now)
	c.mu.Unlock()
	if !next.IsZero() {
		c.Advance(d)
	}
}

// waitTimer returns the duration of the next timer a waiter starts.
func (c *fakeClock) waitTimer(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.created:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no waiter blocked")
		return 0
	}
}

// noTimer checks that no waiter started a timer.
func (c *fakeClock) noTimer(t *testing.T) {
	t.Helper()
	select {
	case d := <-c.created:
		t.Fatalf("unexpected wait of %v", d)
	default:
	}
}

// goWait runs l.Wait(ctx, n) in a goroutine and returns its result channel.
func goWait(ctx context.Context, l *Limiter, n int) chan error {
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, n) }()
	return done
}

func result(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("waiter not released")
		return nil
	}
}

func blocked(t *testing.T, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("waiter released early: %v", err)
	default:
	}
}

func TestLimiterBurstAndWait(t *testing.T) {
	c := newFakeClock()
	l := newLimiter(1000, c) // bucket: 100 bytes
	ctx := context.Background()

	// The bucket starts full: its burst passes at once.
	if err := l.Wait(ctx, 100); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)

	// 500 more bytes at 1000 B/s: half a second.
	done := goWait(ctx, l, 500)
	if got, want := c.waitTimer(t), 500*time.Millisecond; got != want {
		t.Fatalf("wait: got %v, want %v", got, want)
	}
	c.Advance(499 * time.Millisecond)
	blocked(t, done)
	c.Advance(time.Millisecond)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}

	// Time refills the bucket, but no more than the burst.
	c.Advance(time.Hour)
	if err := l.Wait(ctx, 100); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)
	done = goWait(ctx, l, 1)
	if got, want := c.waitTimer(t), time.Millisecond; got != want {
		t.Fatalf("wait after burst: got %v, want %v", got, want)
	}
	c.Advance(time.Millisecond)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterQueue(t *testing.T) {
	c := newFakeClock()
	l := newLimiter(1000, c)
	ctx := context.Background()
	if err := l.Wait(ctx, 100); err != nil {
		t.Fatal(err)
	}
	// Waiters queue in arrival order, each paying for those before it.
	first := goWait(ctx, l, 300)
	if got, want := c.waitTimer(t), 300*time.Millisecond; got != want {
		t.Fatalf("first wait: got %v, want %v", got, want)
	}
	second := goWait(ctx, l, 200)
	if got, want := c.waitTimer(t), 500*time.Millisecond; got != want {
		t.Fatalf("second wait: got %v, want %v", got, want)
	}
	c.Advance(300 * time.Millisecond)
	if err := result(t, first); err != nil {
		t.Fatal(err)
	}
	blocked(t, second)
	c.Advance(200 * time.Millisecond)
	if err := result(t, second); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterCancel(t *testing.T) {
	c := newFakeClock()
	l := newLimiter(1000, c)
	if err := l.Wait(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := goWait(ctx, l, 500)
	c.waitTimer(t)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: got %v, want %v", err, context.Canceled)
	}
	// The cancelled bytes are given back: 100 ms refill the whole burst.
	c.Advance(100 * time.Millisecond)
	if err := l.Wait(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)

	// A context already done fails before taking anything.
	if err := l.Wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on done context: got %v, want %v", err, context.Canceled)
	}
}

func TestLimiterSetRate(t *testing.T) {
	c := newFakeClock()
	l := newLimiter(1000, c)
	ctx := context.Background()
	if err := l.Wait(ctx, 100); err != nil {
		t.Fatal(err)
	}
	done := goWait(ctx, l, 1000)
	if got, want := c.waitTimer(t), time.Second; got != want {
		t.Fatalf("wait: got %v, want %v", got, want)
	}
	// Half the debt is paid at the old rate; the rest at ten times it.
	c.Advance(500 * time.Millisecond)
	l.SetRate(10000)
	if got, want := c.waitTimer(t), 50*time.Millisecond; got != want {
		t.Fatalf("wait after SetRate: got %v, want %v", got, want)
	}
	if got := l.Rate(); got != 10000 {
		t.Fatalf("Rate: got %d, want 10000", got)
	}
	c.Advance(50 * time.Millisecond)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}

	// Unlimited releases blocked waiters and admits anything.
	done = goWait(ctx, l, 1<<30)
	c.waitTimer(t)
	l.SetRate(0)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(ctx, 1<<30); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)

	// Back to a limit, with a full bucket.
	l.SetRate(1000)
	if err := l.Wait(ctx, 100); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)
	done = goWait(ctx, l, 1)
	c.waitTimer(t)
	c.Advance(time.Millisecond)
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	l := NewLimiter(0)
	for range 100 {
		if err := l.Wait(context.Background(), 1<<30); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.Rate(); got != 0 {
		t.Fatalf("Rate: got %d, want 0", got)
	}
}

// TestLimiterConcurrent checks the rate under concurrent use: 1 MiB at
// 4 MiB/s, less the 0.4 MiB burst, takes 150 ms, and at no moment has more
// than the burst plus the rate times the time passed gone through. Time
// moves only while every worker is blocked, to the next timer due, so the
// result does not depend on how fast the machine runs the workers.
func TestLimiterConcurrent(t *testing.T) {
	const rate, workers, waits, size = 4 << 20, 8, 4, 32 << 10
	c := newFakeClock()
	l := newLimiter(rate, c)
	start := c.Now()
	var admitted atomic.Int64
	finished := make(chan struct{}, workers)
	for range workers {
		go func() {
			defer func() { finished <- struct{}{} }()
			for range waits {
				if err := l.Wait(context.Background(), size); err != nil {
					t.Error(err)
					return
				}
				admitted.Add(size)
			}
		}()
	}
	setRate := make(chan struct{})
	go func() { l.SetRate(rate); close(setRate) }() // wakes waiters mid-wait
	burst := rate * burstWindow.Seconds()
	for active := workers; active > 0; {
		select {
		case <-c.created:
		case <-finished:
			active--
		case <-time.After(10 * time.Second):
			t.Fatal("workers neither blocked nor finished")
		}
		// Every worker still running is blocked on a timer, so each one's
		// bytes so far are counted.
		if active > 0 && c.live() == active {
			elapsed := c.Now().Sub(start)
			if got, limit := float64(admitted.Load()), burst+rate*elapsed.Seconds(); got > limit+1 {
				t.Fatalf("after %v: %.0f bytes through, want at most %.0f", elapsed, got, limit)
			}
			c.advanceToNext()
		}
	}
	<-setRate
	if got, want := admitted.Load(), int64(workers*waits*size); got != want {
		t.Fatalf("admitted %d bytes, want %d", got, want)
	}
	want := time.Duration((workers*waits*size - burst) / rate * float64(time.Second))
	if got := c.Now().Sub(start); got < want || got > want+time.Microsecond {
		t.Errorf("1 MiB at 4 MiB/s took %v, want %v", got, want)
	}
}

func TestLimiterHugeDebt(t *testing.T) {
	c := newFakeClock()
	l := newLimiter(1, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := goWait(ctx, l, 1<<62)
	if got := c.waitTimer(t); got != maxWait {
		t.Fatalf("wait: got %v, want the cap %v", got, maxWait)
	}
	c.Advance(maxWait)
	if got := c.waitTimer(t); got != maxWait {
		t.Fatalf("second wait: got %v, want %v", got, maxWait)
	}
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
}
