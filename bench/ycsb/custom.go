package ycsb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Custom phases: a workload whose operations the caller supplies (the
// timeline workload, bench/timeline), measured exactly as the core
// workloads are: histograms of latency from the intended start and of
// service time, a time series, errors by kind, CPU per operation.

// Outcome is what one operation of a custom workload did.
type Outcome struct {
	// Op is the operation type it is recorded as.
	Op Op
	// Rows counts rows read or written, summed per type in OpResult.Rows.
	Rows int
	Err  error
	// Done says that the worker has no work left: the call did nothing,
	// nothing is recorded, and the worker stops.
	Done bool
}

// Worker does a custom workload's operations, one per call of Do, from
// one goroutine. Do's context carries the operation timeout.
type Worker interface {
	Do(ctx context.Context) Outcome
	Close() error
}

// Group is a set of workers doing one kind of work at a shared rate.
type Group struct {
	// Threads is the number of workers.
	Threads int
	// Target is the group's intended rate, operations per second over its
	// workers; 0: as fast as they go.
	Target float64
	// Operations is the group's operation count, split evenly among its
	// workers; 0: until the phase's duration, or until a worker is done.
	Operations int64
	// Background workers do not hold the phase open: once every other
	// worker has ended they stop too, between two operations (a load
	// kept up while the other groups are measured).
	Background bool
	// NewWorker returns worker i (0 <= i < Threads) of the group; r is the
	// worker's own random source, seeded from the phase, group and i.
	NewWorker func(ctx context.Context, i int, r *rand.Rand) (Worker, error)
}

// CustomPhase is one phase of a custom workload. It ends when every
// worker of every group that is not in the background has ended: by its
// operation quota, by Done, or at Duration.
type CustomPhase struct {
	Name string
	// Workload is recorded in the phase's result.
	Workload Workload
	Groups   []Group
	// Duration caps the phase; 0: none.
	Duration time.Duration
	// Index numbers the phase within its run (it seeds the workers).
	Index int
}

// MachineFacts describes the machine the client runs on, as a Result
// records it.
func MachineFacts() Machine { return machineFacts() }

// RunCustom runs one custom phase. Of cfg it uses Interval, Clock,
// OpTimeout, Seed, ServerPIDs and Progress. If ctx ends it returns what
// was measured so far with ctx's error.
func RunCustom(ctx context.Context, cfg Config, p CustomPhase) (Phase, error) {
	cfg = cfg.withDefaults()
	ph := Phase{Name: p.Name, Workload: p.Workload}
	if len(p.Groups) == 0 {
		return ph, errors.New("ycsb: custom phase without workers")
	}
	foreground := false
	for _, g := range p.Groups {
		foreground = foreground || !g.Background
		if g.Threads < 1 || g.Target < 0 || g.Operations < 0 || g.NewWorker == nil {
			return ph, fmt.Errorf("ycsb: %s: a group needs threads, a worker constructor, and no negative rate or count", p.Name)
		}
		ph.Threads += g.Threads
		ph.TargetOpsPerS += g.Target
	}
	if !foreground {
		return ph, fmt.Errorf("ycsb: %s: every group is in the background", p.Name)
	}
	clock := cfg.Clock

	type slot struct {
		w          Worker
		rec        *recorder
		pacer      *pacer
		quota      int64
		background bool
	}
	var slots []*slot
	defer func() {
		for _, s := range slots {
			s.w.Close()
		}
	}()
	var recs []*recorder
	var paceRate []float64
	for gi, g := range p.Groups {
		for i := range g.Threads {
			r := rand.New(rand.NewPCG(cfg.Seed, uint64(p.Index)<<40|uint64(gi)<<20|uint64(i)))
			w, err := g.NewWorker(ctx, i, r)
			if err != nil {
				return ph, fmt.Errorf("ycsb: %s: worker %d: %w", p.Name, i, err)
			}
			q := int64(-1)
			if g.Operations > 0 {
				q = g.Operations / int64(g.Threads)
				if int64(i) < g.Operations%int64(g.Threads) {
					q++
				}
			}
			s := &slot{w: w, rec: newRecorder(), quota: q, background: g.Background}
			slots = append(slots, s)
			recs = append(recs, s.rec)
			paceRate = append(paceRate, g.Target/float64(g.Threads))
		}
	}

	col := newCollector(cfg, p.Name, recs)
	cpu0 := sampleCPU(cfg.ServerPIDs)
	start := clock.Now()
	ph.Started = start.UTC()
	var deadline time.Time
	if p.Duration > 0 {
		deadline = start.Add(p.Duration)
	}
	go col.run(start)
	var timedOut, done atomic.Bool
	// Background workers wait for their schedule on bg, canceled once the
	// others have ended; their operations run on ctx, so none is cut short.
	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	var wg, fg sync.WaitGroup
	for i, s := range slots {
		offset := time.Duration(0)
		if rate := paceRate[i]; rate > 0 {
			// Offset the workers' schedules so that they do not start in step.
			offset = time.Duration(float64(time.Second) / rate * float64(i) / float64(len(slots)))
		}
		s.pacer = newPacer(clock, paceRate[i], start.Add(offset))
		waitCtx := ctx
		if s.background {
			waitCtx = bg
		} else {
			fg.Add(1)
		}
		wg.Go(func() {
			if !s.background {
				defer fg.Done()
			}
			for n := int64(0); s.quota < 0 || n < s.quota; n++ {
				intended, ok := s.pacer.wait(waitCtx, deadline)
				if !ok {
					if ctx.Err() == nil && !s.background {
						timedOut.Store(true)
					}
					return
				}
				if s.background && bg.Err() != nil {
					return
				}
				octx, cancel := ctx, context.CancelFunc(func() {})
				if cfg.OpTimeout > 0 {
					octx, cancel = context.WithTimeout(ctx, cfg.OpTimeout)
				}
				began := clock.Now()
				out := s.w.Do(octx)
				end := clock.Now()
				cancel()
				if out.Done {
					done.Store(true)
					return
				}
				s.rec.record(out.Op, intended, began, end, out.Err, out.Rows, true)
			}
		})
	}
	fg.Wait()
	stopBackground()
	wg.Wait()
	end := clock.Now()
	cpu1 := sampleCPU(cfg.ServerPIDs)
	total, series := col.stop(end)

	ph.ElapsedS = end.Sub(start).Seconds()
	ph.TimeSeries = series
	ph.OK, ph.Failed = total.txOK, total.txFailed
	if ph.ElapsedS > 0 {
		ph.ThroughputOpsPerS = float64(ph.OK) / ph.ElapsedS
	}
	ph.Ops = map[string]*OpResult{}
	ph.Errors = map[string]int64{}
	for k := range numKinds {
		ph.Errors[k.String()] = 0
	}
	for op, st := range total.ops {
		if st == nil {
			continue
		}
		r := opResult(Op(op), st)
		r.Rows = st.rows
		ph.Ops[Op(op).String()] = r
		for k, n := range st.errs {
			ph.Errors[ErrorKind(k).String()] += n
		}
	}
	if c, err := cpuBetween(cpu0, cpu1, ph.OK+ph.Failed); err == nil {
		ph.CPU = &c
	} else {
		ph.CPUError = err.Error()
	}
	switch {
	case ctx.Err() != nil:
		ph.StoppedBy = "canceled"
	case timedOut.Load():
		ph.StoppedBy = "duration"
	case done.Load():
		ph.StoppedBy = "done"
	default:
		ph.StoppedBy = "operations"
	}
	return ph, ctx.Err()
}
