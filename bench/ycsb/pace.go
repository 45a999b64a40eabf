package ycsb

import (
	"context"
	"time"
)

// Clock tells time and sleeps; tests substitute a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// pacer gives one worker's operations their intended start times: with a
// rate, start + offset + i/rate for the i-th operation; without one, the
// moment the worker is ready. A worker behind its schedule does not skip
// operations or shift the schedule: the backlog is what the latency
// measured from the intended start shows.
type pacer struct {
	clock    Clock
	interval time.Duration // 0: no schedule
	next     time.Time
}

// newPacer returns a pacer for rate operations per second (0: none) whose
// schedule begins at start.
func newPacer(clock Clock, rate float64, start time.Time) *pacer {
	p := &pacer{clock: clock, next: start}
	if rate > 0 {
		p.interval = max(time.Duration(float64(time.Second)/rate), 1)
	}
	return p
}

// wait returns the intended start of the next operation, having slept
// until then if it lies ahead. It returns false, without sleeping past it,
// if the intended start is not before deadline (zero: none) or ctx ends.
func (p *pacer) wait(ctx context.Context, deadline time.Time) (time.Time, bool) {
	if p.interval == 0 {
		now := p.clock.Now()
		return now, (deadline.IsZero() || now.Before(deadline)) && ctx.Err() == nil
	}
	at := p.next
	p.next = at.Add(p.interval)
	if !deadline.IsZero() && !at.Before(deadline) {
		return at, false
	}
	if d := at.Sub(p.clock.Now()); d > 0 {
		p.clock.Sleep(ctx, d)
	}
	return at, ctx.Err() == nil
}
