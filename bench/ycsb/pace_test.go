package ycsb

import (
	"context"
	"testing"
	"time"
)

// fakeClock advances only when slept on or told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) {
	if d > 0 {
		c.t = c.t.Add(d)
	}
}

func TestPacerSchedule(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	start := clock.t
	p := newPacer(clock, 10, start)
	for i := range 5 {
		at, ok := p.wait(context.Background(), time.Time{})
		if want := start.Add(time.Duration(i) * 100 * time.Millisecond); !ok || !at.Equal(want) || !clock.t.Equal(want) {
			t.Fatalf("op %d: intended %v (ok %v), clock %v; want both %v", i, at.Sub(start), ok, clock.t.Sub(start), want.Sub(start))
		}
	}
	// Behind schedule: no sleep, and the schedule does not move.
	clock.t = start.Add(2 * time.Second)
	at, _ := p.wait(context.Background(), time.Time{})
	if want := start.Add(500 * time.Millisecond); !at.Equal(want) || !clock.t.Equal(start.Add(2*time.Second)) {
		t.Errorf("behind: intended %v, clock %v; want 500ms, 2s", at.Sub(start), clock.t.Sub(start))
	}
	// An intended start at or past the deadline ends the phase.
	if _, ok := p.wait(context.Background(), start.Add(600*time.Millisecond)); ok {
		t.Errorf("op intended at the deadline: got ok, want stop")
	}
	// No rate: the intended start is now.
	q := newPacer(clock, 0, start)
	if at, ok := q.wait(context.Background(), time.Time{}); !ok || !at.Equal(clock.t) {
		t.Errorf("no rate: intended %v, want now %v", at, clock.t)
	}
}

// stallClient serves reads in 1 ms of fake time, except the stallAt-th,
// which takes stall.
type stallClient struct {
	clock   *fakeClock
	n       int
	stallAt int
	stall   time.Duration
}

func (c *stallClient) Read(context.Context, string) error {
	d := time.Millisecond
	if c.n == c.stallAt {
		d = c.stall
	}
	c.n++
	c.clock.t = c.clock.t.Add(d)
	return nil
}
func (c *stallClient) Insert(context.Context, string, []Field) error { return nil }
func (c *stallClient) Update(context.Context, string, []Field) error { return nil }
func (c *stallClient) Scan(context.Context, string, int) (int, error) {
	return 0, nil
}
func (c *stallClient) Close() error { return nil }

// testWorker makes a workload-c worker on the fake clock.
func testWorker(clock *fakeClock, cl Client, rate float64) *worker {
	cfg := DefaultConfig()
	cfg.Records = 1000
	b := &bench{cfg: cfg, values: newValueSource(1), fieldNames: []string{"field0"}}
	pr := &phaseRun{w: CoreWorkloads["c"], ops: newOpChooser(CoreWorkloads["c"]), ack: newAckCounter(1000)}
	return &worker{
		cl: cl, rec: newRecorder(), pr: pr, b: b, clock: clock, r: newRand(),
		pacer: newPacer(clock, rate, clock.t), keys: uniform{1000}, fields: make([]Field, 1),
	}
}

// TestIntendedTimeLatency runs 20 reads at 10/s where the 4th stalls for
// a second: service time shows one slow read, latency from the intended
// start shows every read the stall delayed.
func TestIntendedTimeLatency(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	cl := &stallClient{clock: clock, stallAt: 3, stall: time.Second}
	w := testWorker(clock, cl, 10)
	w.run(context.Background(), 20)
	var set opSet
	w.rec.drain(&set)
	st := set.ops[OpRead]
	if st.ok() != 20 {
		t.Fatalf("got %d reads, want 20", st.ok())
	}
	slow := func(h interface{ ValueAtQuantile(float64) int64 }) int {
		// Count of values >= 100 ms, from the quantiles.
		n := 0
		for i := 1; i <= 20; i++ {
			if h.ValueAtQuantile(float64(i)*5) >= int64(100*time.Millisecond) {
				n++
			}
		}
		return n
	}
	// The stalled read was intended at 300 ms and ended at 1.3 s; reads
	// intended at 400 ms ... 1.2 s waited behind it (latency 1s - k*100ms
	// + their own 1 ms): ten reads of 100 ms or more in all.
	if got := slow(st.lat); got != 10 {
		t.Errorf("got %d reads of >= 100 ms latency, want 10", got)
	}
	if got := slow(st.svc); got != 1 {
		t.Errorf("got %d reads of >= 100 ms service time, want 1", got)
	}
	if got, want := time.Duration(st.lat.Max()), time.Second+time.Millisecond; got < want-time.Millisecond || got > want+time.Millisecond {
		t.Errorf("max latency %v, want about %v", got, want)
	}
	if got := time.Duration(st.svc.ValueAtQuantile(50)); got < 900*time.Microsecond || got > 1100*time.Microsecond {
		t.Errorf("median service time %v, want about 1ms", got)
	}
	// The worker kept to its schedule once caught up: the 20th read was
	// intended at 1.9 s and done 1 ms later.
	if got, want := clock.t.Sub(time.Unix(100, 0)), 1901*time.Millisecond; got != want {
		t.Errorf("finished at %v, want %v", got, want)
	}
}

// TestNoTargetLatencyIsServiceTime: without a schedule the stall shows in
// one read only, in both measures.
func TestNoTargetLatencyIsServiceTime(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	w := testWorker(clock, &stallClient{clock: clock, stallAt: 3, stall: time.Second}, 0)
	w.run(context.Background(), 20)
	var set opSet
	w.rec.drain(&set)
	st := set.ops[OpRead]
	if !st.lat.Equals(st.svc) {
		t.Errorf("latency and service time differ without a target (p50 %d vs %d)", st.lat.ValueAtQuantile(50), st.svc.ValueAtQuantile(50))
	}
}

// TestDeadlineStopsWorker: with a duration the worker stops at the first
// operation intended at or after the deadline.
func TestDeadlineStopsWorker(t *testing.T) {
	clock := &fakeClock{t: time.Unix(100, 0)}
	w := testWorker(clock, &stallClient{clock: clock, stallAt: -1}, 100)
	w.pr.deadline = clock.t.Add(time.Second)
	w.run(context.Background(), -1)
	var set opSet
	w.rec.drain(&set)
	if got := set.ops[OpRead].ok(); got != 100 {
		t.Errorf("got %d reads in 1 s at 100/s, want 100", got)
	}
	if !w.pr.timedOut.Load() {
		t.Errorf("phase not marked stopped by duration")
	}
}
