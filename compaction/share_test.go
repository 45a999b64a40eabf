package compaction

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// runShare simulates a second of background work in rows of 100 µs on the
// fake clock, a request arriving every busyEvery rows (0: none), and
// returns the share of the wall time the work ran.
func runShare(t *testing.T, s *Share, c *fakeClock, busyEvery int) float64 {
	t.Helper()
	var ran, paused time.Duration
	for i := 0; ran < time.Second; i++ {
		if busyEvery > 0 && i%busyEvery == 0 {
			s.Request()
		}
		c.Advance(100 * time.Microsecond)
		ran += 100 * time.Microsecond
		if d := s.next(); d > 0 {
			c.Advance(d)
			paused += d
		}
	}
	return ran.Seconds() / (ran + paused).Seconds()
}

func TestShareFullSpeedWhenIdle(t *testing.T) {
	c := newFakeClock()
	s := newShare(0.25, c)
	if got := runShare(t, s, c, 0); got != 1 {
		t.Fatalf("idle: ran %.3f of the time, want 1", got)
	}
	if n, _ := s.Paused(); n != 0 {
		t.Fatalf("idle: %d pauses, want none", n)
	}
}

func TestShareLimitsWorkWhileRequestsRun(t *testing.T) {
	for _, share := range []float64{0.1, 0.25, 0.5} {
		c := newFakeClock()
		s := newShare(share, c)
		if got := runShare(t, s, c, 3); math.Abs(got-share) > 0.02 {
			t.Errorf("share %v: ran %.3f of the time", share, got)
		}
	}
	// 0 and 1 turn pacing off.
	for _, share := range []float64{0, 1} {
		c := newFakeClock()
		if got := runShare(t, newShare(share, c), c, 3); got != 1 {
			t.Errorf("share %v: ran %.3f of the time, want 1", share, got)
		}
	}
}

func TestShareGrowsWithBacklog(t *testing.T) {
	for _, tc := range []struct {
		backlog int
		want    float64
	}{
		{0, 0.25},
		{backlogFloor, 0.25},
		{backlogFloor + backlogDoubles, 0.5},
		{backlogFloor + 2*backlogDoubles, 1},
		{1000, 1},
	} {
		c := newFakeClock()
		s := newShare(0.25, c)
		calls := 0
		s.SetBacklog(func() int { calls++; return tc.backlog })
		if got := runShare(t, s, c, 3); math.Abs(got-tc.want) > 0.02 {
			t.Errorf("backlog %d: ran %.3f of the time, want %v", tc.backlog, got, tc.want)
		}
		// Asked about once a second, not per slice.
		if calls < 1 || calls > 4 {
			t.Errorf("backlog %d: asked %d times in about a second", tc.backlog, calls)
		}
	}
}

func TestLimiterWaitPausesForShare(t *testing.T) {
	c := newFakeClock()
	s := newShare(0.5, c)
	l := newLimiter(0, c).WithShare(s) // unlimited bytes: only the share paces
	s.Request()
	c.Advance(shareSlice)
	done := goWait(context.Background(), l, 100)
	if d := c.waitTimer(t); d != shareSlice {
		t.Fatalf("paused %v, want %v (half of the time at share 0.5)", d, shareSlice)
	}
	c.advanceToNext()
	if err := result(t, done); err != nil {
		t.Fatal(err)
	}

	// A cancelled pause returns at once with ctx's error.
	s.Request()
	c.Advance(shareSlice)
	ctx, cancel := context.WithCancel(context.Background())
	done = goWait(ctx, l, 100)
	c.waitTimer(t)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pause returned %v", err)
	}

	// Within a slice, and with no request, Wait never pauses.
	c.Advance(shareSlice / 2)
	if err := l.Wait(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * shareSlice)
	if err := l.Wait(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	c.noTimer(t)
}

func TestNilShare(t *testing.T) {
	var s *Share
	s.Request()
	if err := s.Pace(context.Background()); err != nil || s.CPUShare() != 0 {
		t.Fatal("the nil Share paces")
	}
}

// BenchmarkLimiterWait is the per-row cost compaction pays: an unlimited
// limiter, with and without a Share (no request comes, so no pause).
func BenchmarkLimiterWait(b *testing.B) {
	for _, tc := range []struct {
		name  string
		share *Share
	}{{"no-share", nil}, {"share", NewShare(DefaultCPUShare)}} {
		b.Run(tc.name, func(b *testing.B) {
			l := NewLimiter(0).WithShare(tc.share)
			ctx := context.Background()
			for b.Loop() {
				if err := l.Wait(ctx, 100); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
