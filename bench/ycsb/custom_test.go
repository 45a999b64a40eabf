package ycsb

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// countWorker does OpPost until the shared budget runs out, failing every
// fifth operation, and reports two rows per operation.
type countWorker struct {
	left *atomic.Int64
	n    int
}

func (w *countWorker) Do(context.Context) Outcome {
	if w.left.Add(-1) < 0 {
		return Outcome{Done: true}
	}
	w.n++
	if w.n%5 == 0 {
		return Outcome{Op: OpPost, Err: ErrTimeout}
	}
	return Outcome{Op: OpPost, Rows: 2}
}

func (w *countWorker) Close() error { return nil }

type tickWorker struct{ op Op }

func (w tickWorker) Do(context.Context) Outcome { return Outcome{Op: w.op, Rows: 1} }
func (w tickWorker) Close() error               { return nil }

func TestRunCustomUntilDone(t *testing.T) {
	var left atomic.Int64
	left.Store(1000)
	cfg := DefaultConfig()
	ph, err := RunCustom(context.Background(), cfg, CustomPhase{
		Name: "x",
		Groups: []Group{{Threads: 4, NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) {
			return &countWorker{left: &left}, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	post := ph.Ops["POST"]
	if ph.OK+ph.Failed != 1000 || post == nil || post.Count != ph.OK || post.Errors["timeout"] != ph.Failed || ph.Errors["timeout"] != ph.Failed {
		t.Fatalf("got ok %d failed %d ops %+v, want 1000 in all, failures as timeouts", ph.OK, ph.Failed, post)
	}
	if post.Rows != 2*ph.OK {
		t.Errorf("got %d rows, want %d", post.Rows, 2*ph.OK)
	}
	if ph.StoppedBy != "done" || ph.Threads != 4 || ph.CPU == nil {
		t.Errorf("got stopped by %q, %d threads, cpu %v; want done, 4, figures", ph.StoppedBy, ph.Threads, ph.CPU)
	}
}

// TestRunCustomGroups: a paced group and an unpaced one share a phase
// that ends at its duration; each group's operations are its own type.
func TestRunCustomGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a second")
	}
	cfg := DefaultConfig()
	cfg.Interval = 200 * time.Millisecond
	ph, err := RunCustom(context.Background(), cfg, CustomPhase{
		Name:     "mixed",
		Duration: time.Second,
		Groups: []Group{
			{Threads: 2, Target: 100, NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return tickWorker{OpPost}, nil }},
			{Threads: 2, Operations: 500, NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return tickWorker{OpTimeline}, nil }},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := ph.Ops["POST"].Count; n < 90 || n > 101 {
		t.Errorf("got %d posts in 1 s at 100/s, want about 100", n)
	}
	if n := ph.Ops["TIMELINE"].Count; n != 500 {
		t.Errorf("got %d timeline reads, want 500", n)
	}
	if ph.StoppedBy != "duration" || ph.TargetOpsPerS != 100 || len(ph.TimeSeries) < 3 {
		t.Errorf("got stopped by %q, target %v, %d points; want duration, 100, several", ph.StoppedBy, ph.TargetOpsPerS, len(ph.TimeSeries))
	}
}

// TestRunCustomBackground: a background group without a quota stops
// once the foreground group is done.
func TestRunCustomBackground(t *testing.T) {
	var left atomic.Int64
	left.Store(300)
	cfg := DefaultConfig()
	ph, err := RunCustom(context.Background(), cfg, CustomPhase{
		Name: "bg",
		Groups: []Group{
			{Threads: 2, Target: 50, Background: true, NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return tickWorker{OpPost}, nil }},
			{Threads: 2, NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return &countWorker{left: &left}, nil }},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ph.StoppedBy != "done" || ph.ElapsedS > 5 {
		t.Errorf("got stopped by %q after %.1f s, want done at once", ph.StoppedBy, ph.ElapsedS)
	}
	if _, err := RunCustom(context.Background(), cfg, CustomPhase{Name: "all-bg", Groups: []Group{{Threads: 1, Background: true,
		NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return tickWorker{OpPost}, nil }}}}); err == nil {
		t.Errorf("only background groups: got nil, want an error")
	}
}

func TestRunCustomErrors(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := RunCustom(context.Background(), cfg, CustomPhase{Name: "none"}); err == nil {
		t.Errorf("no groups: got nil, want an error")
	}
	boom := errors.New("boom")
	_, err := RunCustom(context.Background(), cfg, CustomPhase{Name: "bad", Groups: []Group{{Threads: 1,
		NewWorker: func(context.Context, int, *rand.Rand) (Worker, error) { return nil, boom }}}})
	if !errors.Is(err, boom) {
		t.Errorf("failing constructor: got %v, want boom", err)
	}
}
