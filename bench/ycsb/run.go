package ycsb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one benchmark run. Zero fields take DefaultConfig's values,
// except Operations, Duration, Target and LoadTarget, for which zero means
// none.
type Config struct {
	// DBName names the database in the result (wcdb, cassandra, postgres,
	// redis); DBSettings are the driver's settings worth recording (hosts,
	// consistency, ...), without secrets.
	DBName string
	// Label is Settings.Label.
	Label      string
	DBSettings map[string]string

	// Workloads are the phases, run in this order: "load" (first if at
	// all) and a-f.
	Workloads []string
	// Records is how many records the load inserts, or, without a load
	// phase, how many are already there.
	Records int64
	// Operations is each run phase's operation count (read-modify-write
	// counting once), split evenly among the workers; 0: until Duration.
	Operations int64
	// Duration caps each run phase (not the load); 0: none.
	Duration time.Duration
	// Threads is the number of workers, each with its own Client.
	Threads int
	// Target is the run phases' intended rate, operations per second over
	// all workers; 0: as fast as they go. LoadTarget is the load's.
	Target, LoadTarget float64

	Fields, FieldLength int
	// MaxScanLength bounds workload e's scans (lengths are uniform in
	// [1, MaxScanLength]).
	MaxScanLength int
	// OpTimeout bounds each operation (its context); 0: none.
	OpTimeout time.Duration
	Seed      uint64

	// ServerPIDs, if set, are the server's processes: their CPU time (with
	// their descendants') is measured as well as the machine's.
	ServerPIDs []int
	// Progress, if set, receives a line per Interval while a phase runs.
	Progress io.Writer
	// Interval is the time series' and the progress lines' period.
	Interval time.Duration
	// Clock, if set, replaces the real clock (tests).
	Clock Clock
}

// DefaultConfig returns the defaults: YCSB's record shape and scan length,
// 100,000 records and operations, 8 threads.
func DefaultConfig() Config {
	return Config{
		Workloads:     []string{"load", "a", "b", "c", "f", "d", "e"},
		Records:       100_000,
		Operations:    100_000,
		Threads:       8,
		Fields:        10,
		FieldLength:   100,
		MaxScanLength: 100,
		OpTimeout:     10 * time.Second,
		Seed:          1,
		Interval:      time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Workloads) == 0 {
		c.Workloads = d.Workloads
	}
	if c.Records == 0 {
		c.Records = d.Records
	}
	if c.Threads == 0 {
		c.Threads = d.Threads
	}
	if c.Fields == 0 {
		c.Fields = d.Fields
	}
	if c.FieldLength == 0 {
		c.FieldLength = d.FieldLength
	}
	if c.MaxScanLength == 0 {
		c.MaxScanLength = d.MaxScanLength
	}
	if c.Interval == 0 {
		c.Interval = d.Interval
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	return c
}

// Validate reports settings that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Records < 1:
		return fmt.Errorf("ycsb: records %d, want at least 1", c.Records)
	case c.Threads < 1:
		return fmt.Errorf("ycsb: threads %d, want at least 1", c.Threads)
	case c.Operations < 0 || c.Duration < 0 || c.Target < 0 || c.LoadTarget < 0 || c.OpTimeout < 0:
		return errors.New("ycsb: operations, duration, targets and timeout must not be negative")
	case c.Fields < 1 || c.Fields > 100:
		return fmt.Errorf("ycsb: fields %d, want 1-100", c.Fields)
	case c.FieldLength < 1 || c.FieldLength > 64<<10:
		return fmt.Errorf("ycsb: field length %d, want 1-65536", c.FieldLength)
	case c.MaxScanLength < 1:
		return fmt.Errorf("ycsb: max scan length %d, want at least 1", c.MaxScanLength)
	}
	for i, name := range c.Workloads {
		w, err := LookupWorkload(name)
		if err != nil {
			return err
		}
		if w.Name == "load" && i > 0 {
			return errors.New("ycsb: load must be the first phase")
		}
		if w.Name != "load" && c.Operations == 0 && c.Duration == 0 {
			return fmt.Errorf("ycsb: workload %s needs operations or a duration", w.Name)
		}
	}
	return nil
}

// FieldName returns the name of field i: field0, field1, ...
func FieldName(i int) string { return "field" + strconv.Itoa(i) }

// Run runs the phases against db and returns their results. If ctx ends,
// it returns the phases finished so far (the interrupted one included)
// with ctx's error.
func Run(ctx context.Context, db DB, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	res := &Result{
		Format:   ResultFormat,
		Settings: settingsOf(cfg),
		Machine:  machineFacts(),
		DBFacts:  db.Facts(ctx),
	}
	res.Started = time.Now().UTC()
	b := &bench{cfg: cfg, db: db, values: newValueSource(cfg.Seed), records: cfg.Records}
	for i := range cfg.Fields {
		b.fieldNames = append(b.fieldNames, FieldName(i))
	}
	var err error
	for i, name := range cfg.Workloads {
		w, _ := LookupWorkload(name)
		var ph Phase
		ph, err = b.runPhase(ctx, i, w)
		res.Phases = append(res.Phases, ph)
		if err != nil {
			break
		}
	}
	res.Finished = time.Now().UTC()
	return res, err
}

type bench struct {
	cfg        Config
	db         DB
	values     *valueSource
	fieldNames []string
	records    int64 // records that exist (or were attempted) before the next phase
}

// phaseRun is what a phase's workers share.
type phaseRun struct {
	w        Workload
	load     bool
	loadNext atomic.Int64 // load: next sequence number
	ack      *ackCounter
	keys     func() keyChooser
	ops      opChooser
	deadline time.Time
	timedOut atomic.Bool
}

func (b *bench) runPhase(ctx context.Context, index int, w Workload) (Phase, error) {
	cfg := b.cfg
	clock := cfg.Clock
	pr := &phaseRun{w: w, load: w.Name == "load", ops: newOpChooser(w)}
	ph := Phase{Name: w.Name, Workload: w, Threads: cfg.Threads, RecordsBefore: b.records}
	target := cfg.Target
	var quota []int64 // per worker; nil: until the deadline
	if pr.load {
		ph.RecordsBefore = 0
		target = cfg.LoadTarget
	} else {
		pr.ack = newAckCounter(b.records)
		if err := b.chooseKeys(pr); err != nil {
			return ph, err
		}
		if cfg.Operations > 0 {
			quota = make([]int64, cfg.Threads)
			for i := range quota {
				quota[i] = cfg.Operations / int64(cfg.Threads)
				if int64(i) < cfg.Operations%int64(cfg.Threads) {
					quota[i]++
				}
			}
		}
	}
	ph.TargetOpsPerS = target

	clients := make([]Client, cfg.Threads)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		c, err := b.db.Client(ctx)
		if err != nil {
			return ph, fmt.Errorf("ycsb: %s: client %d: %w", w.Name, i, err)
		}
		clients[i] = c
	}

	recs := make([]*recorder, cfg.Threads)
	for i := range recs {
		recs[i] = newRecorder()
	}
	col := newCollector(cfg, w.Name, recs)
	cpu0 := sampleCPU(cfg.ServerPIDs)
	start := clock.Now()
	ph.Started = start.UTC()
	if !pr.load && cfg.Duration > 0 {
		pr.deadline = start.Add(cfg.Duration)
	}
	go col.run(start)

	var wg sync.WaitGroup
	perWorker := target / float64(cfg.Threads)
	for i := range cfg.Threads {
		wk := &worker{
			id: i, cl: clients[i], rec: recs[i], pr: pr, b: b, clock: clock,
			r:      rand.New(rand.NewPCG(cfg.Seed, uint64(index)<<32|uint64(i))),
			fields: make([]Field, cfg.Fields),
		}
		// Offset the workers' schedules so that their operations do not
		// start in step.
		offset := time.Duration(0)
		if perWorker > 0 {
			offset = time.Duration(float64(time.Second) / perWorker * float64(i) / float64(cfg.Threads))
		}
		wk.pacer = newPacer(clock, perWorker, start.Add(offset))
		if pr.keys != nil {
			wk.keys = pr.keys()
		}
		var q int64 = -1
		if quota != nil {
			q = quota[i]
		}
		wg.Go(func() { wk.run(ctx, q) })
	}
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
	for op, st := range total.ops {
		if st != nil {
			ph.Ops[Op(op).String()] = opResult(Op(op), st)
		}
	}
	ph.Errors = map[string]int64{}
	for k := range numKinds {
		ph.Errors[k.String()] = 0
	}
	for _, st := range total.ops {
		if st != nil {
			for k, n := range st.errs {
				ph.Errors[ErrorKind(k).String()] += n
			}
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
	case pr.timedOut.Load():
		ph.StoppedBy = "duration"
	case pr.load:
		ph.StoppedBy = "records"
	default:
		ph.StoppedBy = "operations"
	}
	if pr.load {
		b.records = min(pr.loadNext.Load(), cfg.Records) // workers claim one past the end
	} else {
		b.records = pr.ack.claimed()
	}
	ph.RecordsAfter = b.records
	return ph, ctx.Err()
}

// chooseKeys sets the phase's key chooser per the request distribution,
// as YCSB's CoreWorkload.init: zipfian over the records plus twice the
// expected inserts (without an operation count, the record count stands
// in for it), uniform over the records there at the start, latest from a
// zipfian whose zeta is computed once here and extended per worker.
func (b *bench) chooseKeys(pr *phaseRun) error {
	n := b.records
	switch pr.w.RequestDistribution {
	case Zipfian:
		ops := b.cfg.Operations
		if ops == 0 {
			ops = n
		}
		expectedNew := int64(float64(ops) * pr.w.InsertProportion * 2)
		c := boundedChooser{c: newScrambledZipfian(n + expectedNew), ack: pr.ack}
		pr.keys = func() keyChooser { return c }
	case Uniform:
		c := boundedChooser{c: uniform{n}, ack: pr.ack}
		pr.keys = func() keyChooser { return c }
	case Latest:
		base := newZipfian(n, ZipfianConstant, zeta(0, n, ZipfianConstant, 0))
		pr.keys = func() keyChooser {
			z := *base
			return newLatest(pr.ack, &z)
		}
	default:
		return fmt.Errorf("ycsb: unknown request distribution %q", pr.w.RequestDistribution)
	}
	return nil
}

type worker struct {
	id     int
	cl     Client
	rec    *recorder
	pr     *phaseRun
	b      *bench
	clock  Clock
	r      *rand.Rand
	pacer  *pacer
	keys   keyChooser
	fields []Field
}

// run does up to quota operations (negative: no limit) until the load is
// done, the deadline passes or ctx ends.
func (w *worker) run(ctx context.Context, quota int64) {
	for i := int64(0); quota < 0 || i < quota; i++ {
		intended, ok := w.pacer.wait(ctx, w.pr.deadline)
		if !ok {
			if ctx.Err() == nil {
				w.pr.timedOut.Store(true)
			}
			return
		}
		if w.pr.load {
			seq := w.pr.loadNext.Add(1) - 1
			if seq >= w.b.cfg.Records {
				return
			}
			w.insert(ctx, seq, intended)
			continue
		}
		w.one(ctx, w.pr.ops.next(w.r), intended)
	}
}

func (w *worker) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if w.b.cfg.OpTimeout > 0 {
		return context.WithTimeout(ctx, w.b.cfg.OpTimeout)
	}
	return ctx, func() {}
}

func (w *worker) allFields() []Field {
	for i := range w.fields {
		w.fields[i] = Field{Name: w.b.fieldNames[i], Value: w.b.values.value(w.r, w.b.cfg.FieldLength)}
	}
	return w.fields
}

// oneField returns a field chosen uniformly with a new value (YCSB's
// writeallfields=false).
func (w *worker) oneField() []Field {
	i := w.r.IntN(len(w.b.fieldNames))
	w.fields[0] = Field{Name: w.b.fieldNames[i], Value: w.b.values.value(w.r, w.b.cfg.FieldLength)}
	return w.fields[:1]
}

func (w *worker) insert(ctx context.Context, seq int64, intended time.Time) {
	key, fields := KeyName(seq), w.allFields()
	octx, cancel := w.opContext(ctx)
	start := w.clock.Now()
	err := w.cl.Insert(octx, key, fields)
	end := w.clock.Now()
	cancel()
	w.rec.record(OpInsert, intended, start, end, err, 0, true)
}

func (w *worker) one(ctx context.Context, op Op, intended time.Time) {
	var seq int64
	if op == OpInsert {
		seq = w.pr.ack.claim()
	} else {
		seq = w.keys.next(w.r)
	}
	key := KeyName(seq)
	octx, cancel := w.opContext(ctx)
	defer cancel()
	start := w.clock.Now()
	switch op {
	case OpRead:
		err := w.cl.Read(octx, key)
		w.rec.record(op, intended, start, w.clock.Now(), err, 0, true)
	case OpUpdate:
		err := w.cl.Update(octx, key, w.oneField())
		w.rec.record(op, intended, start, w.clock.Now(), err, 0, true)
	case OpInsert:
		err := w.cl.Insert(octx, key, w.allFields())
		end := w.clock.Now()
		// Acknowledged whatever the outcome, as YCSB: a failed insert must
		// not stop the counter for every insert after it.
		w.pr.ack.acknowledge(seq)
		w.rec.record(op, intended, start, end, err, 0, true)
	case OpScan:
		n, err := w.cl.Scan(octx, key, scanLength(w.r, w.b.cfg.MaxScanLength))
		w.rec.record(op, intended, start, w.clock.Now(), err, n, true)
	case OpReadModifyWrite:
		// As YCSB: the read and the update are recorded as READ and
		// UPDATE too, their latency from the transaction's intended start.
		err := w.cl.Read(octx, key)
		mid := w.clock.Now()
		w.rec.record(OpRead, intended, start, mid, err, 0, false)
		if err == nil {
			err = w.cl.Update(octx, key, w.oneField())
			end := w.clock.Now()
			w.rec.record(OpUpdate, intended, mid, end, err, 0, false)
		}
		w.rec.record(op, intended, start, w.clock.Now(), err, 0, true)
	}
}

// collector drains the workers' recorders once an interval into a time
// series point and the phase's totals, and prints a progress line.
type collector struct {
	cfg   Config
	name  string
	recs  []*recorder
	total opSet
	tick  opSet
	done  chan time.Time
	out   chan collected
	// Written by run only.
	series      []Point
	start, last time.Time
}

type collected struct {
	total  *opSet
	series []Point
}

func newCollector(cfg Config, name string, recs []*recorder) *collector {
	return &collector{cfg: cfg, name: name, recs: recs, done: make(chan time.Time), out: make(chan collected)}
}

// run collects until stop; the time series follows the given clock,
// ticks come from real time.
func (c *collector) run(start time.Time) {
	c.start, c.last = start, start
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.collect(c.cfg.Clock.Now(), true)
		case end := <-c.done:
			c.collect(end, false)
			c.out <- collected{&c.total, c.series}
			return
		}
	}
}

// stop makes a last collection at end and returns the totals and series.
func (c *collector) stop(end time.Time) (*opSet, []Point) {
	c.done <- end
	r := <-c.out
	return r.total, r.series
}

func (c *collector) collect(now time.Time, progress bool) {
	for _, r := range c.recs {
		r.drain(&c.tick)
	}
	iv := now.Sub(c.last).Seconds()
	if progress || c.tick.txOK+c.tick.txFailed > 0 {
		p := Point{TS: now.Sub(c.start).Seconds(), IntervalS: iv, OK: c.tick.txOK, Failed: c.tick.txFailed, PerOp: map[string]PointOp{}}
		if iv > 0 {
			p.OpsPerS = float64(p.OK) / iv
		}
		for op, st := range c.tick.ops {
			if st == nil || st.ok()+st.errors() == 0 {
				continue
			}
			p.PerOp[Op(op).String()] = PointOp{
				OK: st.ok(), Failed: st.errors(),
				P50Us: us(st.lat.ValueAtQuantile(50)), P99Us: us(st.lat.ValueAtQuantile(99)), MaxUs: us(st.lat.Max()),
			}
		}
		c.series = append(c.series, p)
		c.total.merge(&c.tick)
		c.tick.reset()
		if progress && c.cfg.Progress != nil {
			c.printProgress(p)
		}
	}
	c.last = now
}

func (c *collector) printProgress(p Point) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "ycsb %s %4.0fs: %8.0f ops/s, %d ops", c.name, p.TS, p.OpsPerS, c.total.txOK+c.total.txFailed)
	sep := ", p99 so far"
	for op, st := range c.total.ops {
		if st != nil && st.ok() > 0 {
			fmt.Fprintf(&sb, "%s %s %s", sep, Op(op), fmtDuration(st.lat.ValueAtQuantile(99)))
			sep = ","
		}
	}
	var errs [numKinds]int64
	var n int64
	for _, st := range c.total.ops {
		if st != nil {
			for k, e := range st.errs {
				errs[k] += e
				n += e
			}
		}
	}
	fmt.Fprintf(&sb, "; errors %d", n)
	if n > 0 {
		sep := " ("
		for k, e := range errs {
			if e > 0 {
				fmt.Fprintf(&sb, "%s%s %d", sep, ErrorKind(k), e)
				sep = ", "
			}
		}
		sb.WriteString(")")
	}
	sb.WriteString("\n")
	io.WriteString(c.cfg.Progress, sb.String())
}

// fmtDuration prints nanoseconds as µs or ms with three figures.
func fmtDuration(ns int64) string {
	switch {
	case ns < 1e6:
		return fmt.Sprintf("%.0fµs", float64(ns)/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.2fs", float64(ns)/1e9)
}

func opResult(op Op, st *opStats) *OpResult {
	r := &OpResult{
		Count:   st.ok(),
		Errors:  map[string]int64{},
		Latency: summarize(st.lat, true),
		Service: summarize(st.svc, true),
	}
	for k, n := range st.errs {
		r.Errors[ErrorKind(k).String()] = n
	}
	if st.failed.TotalCount() > 0 {
		s := summarize(st.failed, false)
		r.FailedLatency = &s
	}
	if op == OpScan {
		r.Rows = st.rows
	}
	return r
}
