// Package lwt measures lightweight transactions and counters beside plain
// writes, over CQL, with the YCSB harness's measurement (bench/ycsb's
// custom phases: latency from the intended start, throughput, errors by
// kind, server CPU per operation). Phases, in the order given:
//
//	write       UPDATE reg SET v = ? WHERE k = ?           (the statement's level)
//	lwt         UPDATE reg SET v = ? WHERE k = ? IF v = ?  each worker on keys of its own:
//	            every CAS applies, what an uncontended transaction costs
//	contention  the same on ONE key for every worker: most CAS find the value
//	            changed (CAS-NOT-APPLIED, learning the new one from the
//	            result) or time out in Paxos contention
//	counter     UPDATE counts SET c = c + 1 WHERE k = ?
package lwt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/gocql/gocql"

	"wcdb/bench/ycsb"
)

// Phase names.
const (
	PhaseWrite      = "write"
	PhaseLWT        = "lwt"
	PhaseContention = "contention"
	PhaseCounter    = "counter"
)

var allPhases = []string{PhaseWrite, PhaseLWT, PhaseContention, PhaseCounter}

// Config is a run.
type Config struct {
	Phases []string
	// Threads are the workers of write, lwt and counter, each with
	// KeysPerThread keys of its own; ContentionThreads race on one key.
	Threads, KeysPerThread, ContentionThreads int
	// Operations per phase (0: until Duration), Duration caps a phase.
	Operations int64
	Duration   time.Duration
	// Serial is the Paxos level (SERIAL or LOCAL_SERIAL); the commit and
	// the plain statements use the session's consistency.
	Serial     string
	OpTimeout  time.Duration
	Seed       uint64
	ServerPIDs []int
	Progress   io.Writer
	Interval   time.Duration
	// DBSettings and Label are recorded in the result.
	DBSettings map[string]string
	Label      string
}

// DefaultConfig returns the defaults: every phase, 8 threads of 100 keys,
// 16 on the contended key, 20,000 operations a phase.
func DefaultConfig() Config {
	return Config{Phases: slices.Clone(allPhases), Threads: 8, KeysPerThread: 100, ContentionThreads: 16,
		Operations: 20_000, Serial: "SERIAL", OpTimeout: 10 * time.Second, Seed: 1, Interval: time.Second}
}

// Validate reports settings that cannot run.
func (c Config) Validate() error {
	for _, p := range c.Phases {
		if !slices.Contains(allPhases, p) {
			return fmt.Errorf("lwt: unknown phase %q (want %v)", p, allPhases)
		}
	}
	switch {
	case len(c.Phases) == 0:
		return errors.New("lwt: no phase")
	case c.Threads < 1 || c.KeysPerThread < 1 || c.ContentionThreads < 1:
		return errors.New("lwt: threads, keys per thread and contention threads must be at least 1")
	case c.Operations < 0 || c.Duration < 0 || c.OpTimeout < 0:
		return errors.New("lwt: operations, duration and timeout must not be negative")
	case c.Operations == 0 && c.Duration == 0:
		return errors.New("lwt: give operations or a duration")
	case c.Serial != "SERIAL" && c.Serial != "LOCAL_SERIAL":
		return fmt.Errorf("lwt: serial consistency %q, want SERIAL or LOCAL_SERIAL", c.Serial)
	}
	return nil
}

// Tables returns the definitions of the tables the phases use (in the
// session's keyspace): reg for write, lwt and contention, counts for
// counter.
func Tables(phases []string) []string {
	var out []string
	if slices.ContainsFunc(phases, func(p string) bool { return p != PhaseCounter }) {
		out = append(out, "CREATE TABLE IF NOT EXISTS reg (k int PRIMARY KEY, v int)")
	}
	if slices.Contains(phases, PhaseCounter) {
		out = append(out, "CREATE TABLE IF NOT EXISTS counts (k int PRIMARY KEY, c counter)")
	}
	return out
}

// contendedKey is the key of the contention phase, apart from the
// workers' own.
const contendedKey = -1

// Run runs the phases on s (whose keyspace holds their Tables).
func Run(ctx context.Context, s *gocql.Session, cfg Config) (*ycsb.Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	serial := gocql.Serial
	if cfg.Serial == "LOCAL_SERIAL" {
		serial = gocql.LocalSerial
	}
	res := &ycsb.Result{
		Format:  ycsb.ResultFormat,
		Machine: ycsb.MachineFacts(),
		DBFacts: map[string]string{"driver": "gocql (token-aware, no retries)", "serial_consistency": cfg.Serial},
	}
	res.Settings = ycsb.Settings{DB: "wcdb", Label: cfg.Label, Driver: cfg.DBSettings, Workloads: cfg.Phases,
		Operations: cfg.Operations, DurationS: cfg.Duration.Seconds(), Threads: cfg.Threads,
		OpTimeoutS: cfg.OpTimeout.Seconds(), Seed: cfg.Seed, ServerPIDs: cfg.ServerPIDs, IntervalS: cfg.Interval.Seconds(),
		LatencyFrom: "actual start (no target rate)",
		Params: map[string]string{"keys_per_thread": strconv.Itoa(cfg.KeysPerThread),
			"contention_threads": strconv.Itoa(cfg.ContentionThreads), "serial_consistency": cfg.Serial}}
	res.Started = time.Now().UTC()
	ycfg := ycsb.Config{OpTimeout: cfg.OpTimeout, Seed: cfg.Seed, ServerPIDs: cfg.ServerPIDs, Progress: cfg.Progress, Interval: cfg.Interval}
	var err error
	for i, name := range cfg.Phases {
		threads, newWorker := cfg.Threads, func(ctx context.Context, i int, r *rand.Rand) (ycsb.Worker, error) {
			return newWorker(ctx, s, serial, name, i, cfg.KeysPerThread, r)
		}
		if name == PhaseContention {
			threads = cfg.ContentionThreads
		}
		p := ycsb.CustomPhase{Name: name, Workload: ycsb.Workload{Name: name, RequestDistribution: ycsb.Uniform},
			Duration: cfg.Duration, Index: i,
			Groups: []ycsb.Group{{Threads: threads, Operations: cfg.Operations, NewWorker: newWorker}}}
		var ph ycsb.Phase
		ph, err = ycsb.RunCustom(ctx, ycfg, p)
		res.Phases = append(res.Phases, ph)
		if err != nil {
			break
		}
	}
	res.Finished = time.Now().UTC()
	return res, err
}

// worker is one thread of a phase.
type worker struct {
	s      *gocql.Session
	serial gocql.SerialConsistency
	phase  string
	r      *rand.Rand
	keys   []int
	// known is the value the worker believes each key holds (lwt,
	// contention).
	known map[int]int
}

func newWorker(ctx context.Context, s *gocql.Session, serial gocql.SerialConsistency, phase string, i, perThread int, r *rand.Rand) (*worker, error) {
	w := &worker{s: s, serial: serial, phase: phase, r: r, known: map[int]int{}}
	if phase == PhaseContention {
		w.keys = []int{contendedKey}
	} else {
		for k := range perThread {
			w.keys = append(w.keys, i*perThread+k)
		}
	}
	if phase != PhaseLWT && phase != PhaseContention {
		return w, nil
	}
	// Learn the values the keys hold (an earlier phase or run wrote them).
	for _, k := range w.keys {
		var v int
		err := s.Query("SELECT v FROM reg WHERE k = ?", k).WithContext(ctx).Consistency(gocql.Consistency(serial)).Scan(&v)
		if err != nil && !errors.Is(err, gocql.ErrNotFound) {
			return nil, fmt.Errorf("lwt: reading key %d: %w", k, err)
		}
		if errors.Is(err, gocql.ErrNotFound) {
			// A row to compare with: a null v never equals a number.
			if err := s.Query("INSERT INTO reg (k, v) VALUES (?, 0) IF NOT EXISTS", k).WithContext(ctx).
				SerialConsistency(serial).Exec(); err != nil {
				return nil, fmt.Errorf("lwt: creating key %d: %w", k, err)
			}
			err = s.Query("SELECT v FROM reg WHERE k = ?", k).WithContext(ctx).Consistency(gocql.Consistency(serial)).Scan(&v)
			if err != nil {
				return nil, fmt.Errorf("lwt: reading key %d: %w", k, err)
			}
		}
		w.known[k] = v
	}
	return w, nil
}

func (w *worker) Do(ctx context.Context) ycsb.Outcome {
	k := w.keys[w.r.IntN(len(w.keys))]
	switch w.phase {
	case PhaseWrite:
		err := w.s.Query("UPDATE reg SET v = ? WHERE k = ?", w.r.IntN(1<<30), k).WithContext(ctx).Exec()
		return ycsb.Outcome{Op: ycsb.OpUpdate, Rows: 1, Err: err}
	case PhaseCounter:
		err := w.s.Query("UPDATE counts SET c = c + 1 WHERE k = ?", k).WithContext(ctx).Exec()
		return ycsb.Outcome{Op: ycsb.OpCounter, Rows: 1, Err: err}
	}
	expect := w.known[k]
	cur := map[string]any{}
	applied, err := w.s.Query("UPDATE reg SET v = ? WHERE k = ? IF v = ?", expect+1, k, expect).WithContext(ctx).
		SerialConsistency(w.serial).MapScanCAS(cur)
	switch {
	case err != nil:
		// The outcome is unknown: learn the value again before the next.
		var v int
		if w.s.Query("SELECT v FROM reg WHERE k = ?", k).WithContext(ctx).Consistency(gocql.Consistency(w.serial)).Scan(&v) == nil {
			w.known[k] = v
		}
		return ycsb.Outcome{Op: ycsb.OpCAS, Err: err}
	case applied:
		w.known[k] = expect + 1
		return ycsb.Outcome{Op: ycsb.OpCAS, Rows: 1}
	}
	if v, ok := cur["v"].(int); ok {
		w.known[k] = v
	}
	return ycsb.Outcome{Op: ycsb.OpCASNotApplied}
}

func (w *worker) Close() error { return nil }
