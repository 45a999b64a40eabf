package streaming

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that only moves when a throttle sleeps on it.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) elapsed(start time.Time) time.Duration { return c.now().Sub(start) }

const mib = 1 << 20

func near(a, b time.Duration) bool { return (a - b).Abs() <= time.Microsecond }

func TestThrottlePacing(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	start := c.now()
	th := newThrottle(mib, c.now, c.sleep)
	ctx := context.Background()
	// 8 frames of 256 KiB at 1 MiB/s from an empty bucket: 2 s, each frame
	// paying for itself.
	for range 8 {
		if err := th.Wait(ctx, 256<<10); err != nil {
			t.Fatal(err)
		}
	}
	if el := c.elapsed(start); !near(el, 2*time.Second) {
		t.Fatalf("8 × 256 KiB at 1 MiB/s took %v, want 2s", el)
	}
	for _, d := range c.sleeps {
		if !near(d, 250*time.Millisecond) {
			t.Fatalf("sleeps %v, want 250ms each", c.sleeps)
		}
	}
	// An idle second fills the bucket: the next MiB passes at once, and
	// then the rate holds again.
	c.advance(5 * time.Second)
	c.sleeps = nil
	if err := th.Wait(ctx, mib); err != nil || len(c.sleeps) != 0 {
		t.Fatalf("a full bucket made a 1 MiB frame wait %v", c.sleeps)
	}
	th.Wait(ctx, mib/2)
	if len(c.sleeps) != 1 || !near(c.sleeps[0], 500*time.Millisecond) {
		t.Fatalf("after the burst: sleeps %v, want [500ms]", c.sleeps)
	}
	// SetRate takes effect at the next frame.
	th.SetRate(4 * mib)
	c.sleeps = nil
	start = c.now()
	for range 8 {
		th.Wait(ctx, mib)
	}
	if el := c.elapsed(start); !near(el, 2*time.Second) {
		t.Fatalf("8 MiB at 4 MiB/s took %v, want 2s", el)
	}
	// A frame larger than a second's worth passes, after paying for it.
	c.sleeps = nil
	th.Wait(ctx, 10*mib)
	if !slices.EqualFunc(c.sleeps, []time.Duration{2500 * time.Millisecond}, near) {
		t.Fatalf("10 MiB at 4 MiB/s: sleeps %v, want [2.5s]", c.sleeps)
	}
	// Unlimited.
	th.SetRate(0)
	c.sleeps = nil
	for range 100 {
		th.Wait(ctx, 64*mib)
	}
	if len(c.sleeps) != 0 || th.Rate() != 0 {
		t.Fatalf("unlimited throttle slept %v", c.sleeps)
	}
	th.SetRate(-5)
	if th.Rate() != 0 {
		t.Fatalf("negative rate kept as %d", th.Rate())
	}
	var none *Throttle
	if err := none.Wait(ctx, mib); err != nil || none.Rate() != 0 {
		t.Fatal("nil throttle limits")
	}
}

// TestThrottleShared: concurrent senders queue behind each other. The clock
// stands still, so the waits are what each reservation owes: n, 2n, … in
// some order.
func TestThrottleShared(t *testing.T) {
	c := &fakeClock{t: time.Unix(0, 0)}
	th := newThrottle(mib, c.now, func(ctx context.Context, d time.Duration) error {
		c.mu.Lock()
		c.sleeps = append(c.sleeps, d)
		c.mu.Unlock()
		return nil
	})
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th.Wait(context.Background(), mib/4)
		}()
	}
	wg.Wait()
	slices.Sort(c.sleeps)
	for i, d := range c.sleeps {
		if want := time.Duration(i+1) * 250 * time.Millisecond; !near(d, want) {
			t.Fatalf("waits %v: wait %d is %v, want %v", c.sleeps, i, d, want)
		}
	}
	if len(c.sleeps) != n {
		t.Fatalf("%d waits, want %d", len(c.sleeps), n)
	}
}

func TestThrottleContext(t *testing.T) {
	th := NewThrottle(1) // a byte per second: any frame waits long
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := th.Wait(ctx, 1<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if NewThrottle(DefaultThroughput).Rate() != 24<<20 {
		t.Fatal("DefaultThroughput is not 24 MiB/s")
	}
}
