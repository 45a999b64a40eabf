// Package engine benchmarks the storage engine in-process with YCSB-shaped
// work, against Pebble in the same run and with equivalent settings: the
// same memtable size, block cache size, block size, compression (snappy
// unless Config.Compression says otherwise), a
// bloom filter of about 1% false positives, and a write-ahead log written
// on every write but not synced per write.
//
// Workloads (YCSB core, records of Fields fields of FieldLength bytes,
// random or, with Values "text", compressible text; keys "user"+FNV-hash
// of the insert sequence number):
//
//	load   insert Records records
//	a      50% reads, 50% updates of one field, zipfian
//	b      95% reads, 5% updates, zipfian
//	c      reads only, zipfian
//	slice  load SlicePartitions partitions of SliceRows rows ("slice-load"),
//	       then read the newest SliceLimit rows of a zipfian partition
//
// Engines run one after the other, each in a fresh directory; a/b/c run
// against the records loaded by load. With Rounds > 1 the whole sequence
// repeats, the engine order reversed every other round so that neither
// engine always runs on a machine warmed (or tired) by the other, and the
// summary gives each engine's median per workload.
package engine

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Engine names.
const (
	WCDB   = "wcdb"
	Pebble = "pebble"
	// Query is our engine reached through the query layer's prepared
	// statements (not run by default): its ratio to WCDB is what the query
	// layer costs.
	Query = "wcdb-query"
)

// Workloads lists the workload names in the order they run.
var Workloads = []string{"load", "a", "b", "c", "slice"}

// Config is one benchmark run. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Dir is where a temporary directory for the engines' data is made.
	Dir string
	// Keep leaves the data directory in place.
	Keep bool
	// Engines to run, of WCDB, Pebble and Query, in this order.
	Engines []string
	// Workloads to run, of Workloads (run in that order whatever the order
	// here); a, b and c imply load.
	Workloads []string

	Records    int64
	Operations int64
	// Threads is the number of concurrent workers.
	Threads int
	// Duration caps each workload (load included); 0 means no cap.
	Duration time.Duration

	Fields, FieldLength int

	SlicePartitions int
	SliceRows       int
	SliceLimit      int

	// CacheSize, MemtableSize and BlockSize are given to both engines.
	CacheSize    int64
	MemtableSize int64
	BlockSize    int
	// Compression of SSTable blocks, for both engines: snappy (the
	// default), lz4, zstd, deflate or none (Pebble has snappy, zstd and
	// none).
	Compression string
	// Values is what field values hold, for both engines: RandomValues
	// (the default; incompressible) or TextValues (words, compressible,
	// so that space amp shows what each codec saves). Both are the same
	// for a given Seed.
	Values string

	Seed uint64
	// Rounds is how many times every engine runs the workloads (default 1).
	Rounds int
	// MemoryLimit is the Go runtime's soft memory limit for the run
	// (debug.SetMemoryLimit), as a server sets it from its memory budget:
	// without one the garbage collector lets the heap grow to twice the
	// live data, and memtables and the block cache are live data. Zero
	// means MemtableSize + CacheSize + 256 MiB, the budget the engine is
	// held to; negative means no limit.
	MemoryLimit int64
	// Progress, if set, receives a line per finished workload.
	Progress io.Writer
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Dir:             os.TempDir(),
		Engines:         []string{WCDB, Pebble},
		Workloads:       Workloads,
		Records:         1_000_000,
		Operations:      1_000_000,
		Threads:         2,
		Fields:          10,
		FieldLength:     100,
		SlicePartitions: 20,
		SliceRows:       10_000,
		SliceLimit:      50,
		CacheSize:       64 << 20,
		MemtableSize:    64 << 20,
		BlockSize:       16 << 10,
		Compression:     "snappy",
		Values:          RandomValues,
		Seed:            1,
		Rounds:          1,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Dir == "" {
		c.Dir = d.Dir
	}
	if len(c.Engines) == 0 {
		c.Engines = d.Engines
	}
	if len(c.Workloads) == 0 {
		c.Workloads = d.Workloads
	}
	setDefault(&c.Records, d.Records)
	setDefault(&c.Operations, d.Operations)
	setDefault(&c.Threads, d.Threads)
	setDefault(&c.Fields, d.Fields)
	setDefault(&c.FieldLength, d.FieldLength)
	setDefault(&c.SlicePartitions, d.SlicePartitions)
	setDefault(&c.SliceRows, d.SliceRows)
	setDefault(&c.SliceLimit, d.SliceLimit)
	setDefault(&c.CacheSize, d.CacheSize)
	setDefault(&c.MemtableSize, d.MemtableSize)
	setDefault(&c.BlockSize, d.BlockSize)
	setDefault(&c.Rounds, d.Rounds)
	setDefault(&c.Values, d.Values)
	if c.MemoryLimit == 0 {
		c.MemoryLimit = c.MemtableSize + c.CacheSize + 256<<20
	}
	return c
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	for _, e := range c.Engines {
		if e != WCDB && e != Pebble && e != Query {
			return fmt.Errorf("bench: unknown engine %q (want %s, %s or %s)", e, WCDB, Pebble, Query)
		}
	}
	for _, w := range c.Workloads {
		if !slices.Contains(Workloads, w) {
			return fmt.Errorf("bench: unknown workload %q (want one of %v)", w, Workloads)
		}
	}
	switch {
	case c.Values != "" && c.Values != RandomValues && c.Values != TextValues:
		return fmt.Errorf("bench: unknown values %q (want %s or %s)", c.Values, RandomValues, TextValues)
	case c.Records < 0 || c.Operations < 0:
		return fmt.Errorf("bench: negative records or operations")
	case c.Rounds < 0:
		return fmt.Errorf("bench: rounds %d is negative", c.Rounds)
	case c.Threads < 0:
		return fmt.Errorf("bench: threads %d is negative", c.Threads)
	case c.Duration < 0:
		return fmt.Errorf("bench: duration %v is negative", c.Duration)
	case c.Fields < 0 || c.Fields > 16 || c.FieldLength < 0 || c.FieldLength > 1<<16:
		return fmt.Errorf("bench: want 1..16 fields of 1..65536 bytes, got %d of %d", c.Fields, c.FieldLength)
	case c.SlicePartitions < 0 || c.SliceRows < 0 || c.SliceLimit < 0:
		return fmt.Errorf("bench: negative slice setting")
	case c.CacheSize < 0 || c.MemtableSize < 0 || c.BlockSize < 0:
		return fmt.Errorf("bench: negative cache, memtable or block size")
	}
	return nil
}

// Result is one engine's outcome on one workload.
type Result struct {
	Engine   string `json:"engine"`
	Workload string `json:"workload"`
	// Round counts from 0 (see Config.Rounds).
	Round   int     `json:"round"`
	Ops     int64   `json:"ops"`
	OpsPerS float64 `json:"ops_per_sec"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	// NotFound counts reads of loaded keys that missed (or slices that
	// came back short); any is a bug.
	NotFound int64   `json:"not_found"`
	Seconds  float64 `json:"seconds"`
	// WriteAmp is the engine's write amplification so far (SSTable bytes
	// written over user bytes written, write-ahead log excluded).
	WriteAmp float64 `json:"write_amp"`
	// SpaceAmp is the live SSTables' bytes over user bytes written, when
	// the workload ended (after load's settle: what compression saved).
	SpaceAmp float64 `json:"space_amp"`
	// PeakRSS is the process's VmHWM when the workload ended; see
	// Report.PeakRSSPerEngine.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// StartRSS is the process's VmRSS when the engine started, after the
	// reset: memory earlier engines left resident (Pebble's cgo-allocated
	// cache and memtables, which glibc keeps after free), which PeakRSS
	// includes but the Go memory limit does not see.
	StartRSS int64 `json:"start_rss_bytes"`
	// CPUusPerOp is the process's CPU time (user and system, background
	// flushes and compactions included) from the end of the engine's
	// previous workload to the end of this one, per operation. Unlike
	// ops/s it barely moves with other work on the machine.
	CPUusPerOp float64 `json:"cpu_us_per_op"`
}

// Report is a run's results.
type Report struct {
	Results []Result
	// PeakRSSPerEngine tells whether the peak RSS was reset before each
	// engine started (Linux's clear_refs); if not, a later engine's peak
	// includes the earlier ones'.
	PeakRSSPerEngine bool
	Config           Config
}

// Run runs the benchmark.
func Run(cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, w := range cfg.Workloads {
		want[w] = true
	}
	if want["a"] || want["b"] || want["c"] {
		want["load"] = true
	}
	root, err := os.MkdirTemp(cfg.Dir, "wcdb-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if !cfg.Keep {
		defer os.RemoveAll(root)
	}
	rep := &Report{Config: cfg, PeakRSSPerEngine: true}
	if cfg.MemoryLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(cfg.MemoryLimit))
	}
	vs := newValueSource(cfg.Seed, cfg.Values)
	for round := range cfg.Rounds {
		order := slices.Clone(cfg.Engines)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			if err := runEngine(cfg, name, round, filepath.Join(root, fmt.Sprintf("%s-%d", name, round)), vs, want, rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// runEngine runs the wanted workloads on a fresh instance of one engine in
// dir, and removes dir afterwards unless the run keeps its data.
func runEngine(cfg Config, name string, round int, dir string, vs *valueSource, want map[string]bool, rep *Report) error {
	// Give the previous engine's memory back before measuring the next.
	runtime.GC()
	debug.FreeOSMemory()
	if !resetPeakRSS() {
		rep.PeakRSSPerEngine = false
	}
	startRSS := procStatus("VmRSS:")
	scfg := storeConfig{dir: dir, cacheSize: cfg.CacheSize,
		memtableSize: cfg.MemtableSize, blockSize: cfg.BlockSize, fields: cfg.Fields, compression: cfg.Compression}
	var st store
	var err error
	switch name {
	case WCDB:
		st, err = openWCDB(scfg)
	case Query:
		st, err = openQuery(scfg)
	default:
		st, err = openPebble(scfg)
	}
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, st: st, engine: name, round: round, vs: vs, startRSS: startRSS}
	err = b.runAll(want, rep)
	if cerr := st.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bench: %s: %w", name, err)
	}
	if !cfg.Keep {
		// Later rounds should not share the page cache with this one's files.
		return os.RemoveAll(dir)
	}
	return nil
}

// bench runs the workloads against one engine.
type bench struct {
	cfg    Config
	st     store
	engine string
	round  int
	vs     *valueSource
	// startRSS is the process's VmRSS when the engine started.
	startRSS int64
	loaded   int64 // records loaded
}

func (b *bench) runAll(want map[string]bool, rep *Report) error {
	cpu0 := processCPU()
	add := func(r Result, err error) error {
		if err != nil {
			return err
		}
		cpu := processCPU()
		if r.Ops > 0 {
			r.CPUusPerOp = float64((cpu - cpu0).Microseconds()) / float64(r.Ops)
		}
		cpu0 = cpu
		r.Round = b.round
		r.WriteAmp = b.st.writeAmp()
		r.SpaceAmp = b.st.spaceAmp()
		r.PeakRSS = procStatus("VmHWM:")
		r.StartRSS = b.startRSS
		rep.Results = append(rep.Results, r)
		if b.cfg.Progress != nil {
			fmt.Fprintf(b.cfg.Progress, "round %d %-7s %-10s %9d ops %10.0f ops/s p50 %8.1fµs p99 %8.1fµs not found %d\n",
				r.Round, r.Engine, r.Workload, r.Ops, r.OpsPerS, r.P50us, r.P99us, r.NotFound)
		}
		return nil
	}
	if want["load"] {
		r, err := b.load()
		if err := add(r, err); err != nil {
			return err
		}
		b.loaded = r.Ops
		// Both engines start the read workloads with their memtables
		// flushed and no compaction pending (bounded: a minute at most).
		if err := b.st.settle(time.Minute); err != nil {
			return err
		}
	}
	for _, w := range []string{"a", "b", "c"} {
		if want[w] {
			if err := add(b.mixed(w)); err != nil {
				return err
			}
		}
	}
	if want["slice"] {
		if err := add(b.sliceLoad()); err != nil {
			return err
		}
		if err := b.st.settle(time.Minute); err != nil {
			return err
		}
		if err := add(b.sliceRead()); err != nil {
			return err
		}
	}
	return nil
}

// worker is one goroutine's state.
type worker struct {
	rng      *rand.Rand
	hist     Histogram
	notFound int64
	key      []byte
	fields   [][]byte
}

// drive runs op for i = 0..total-1 on cfg.Threads workers, timing each,
// until done or the duration cap.
func (b *bench) drive(workload string, total int64, op func(w *worker, i int64) (found bool, err error)) (Result, error) {
	var next atomic.Int64
	var stop atomic.Bool
	if b.cfg.Duration > 0 {
		t := time.AfterFunc(b.cfg.Duration, func() { stop.Store(true) })
		defer t.Stop()
	}
	workers := make([]*worker, b.cfg.Threads)
	errs := make([]error, b.cfg.Threads)
	var wg sync.WaitGroup
	start := time.Now()
	for t := range workers {
		w := &worker{rng: rand.New(rand.NewPCG(b.cfg.Seed, uint64(t)^nameSeed(workload))),
			fields: make([][]byte, b.cfg.Fields)}
		workers[t] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				t0 := time.Now()
				found, err := op(w, i)
				w.hist.Record(time.Since(t0))
				if err != nil {
					errs[t] = fmt.Errorf("%s op %d: %w", workload, i, err)
					stop.Store(true)
					return
				}
				if !found {
					w.notFound++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	var h Histogram
	r := Result{Engine: b.engine, Workload: workload, Seconds: elapsed.Seconds()}
	for _, w := range workers {
		h.Merge(&w.hist)
		r.NotFound += w.notFound
	}
	r.Ops = int64(h.Count())
	r.OpsPerS = float64(r.Ops) / elapsed.Seconds()
	r.P50us = float64(h.Quantile(0.50)) / 1e3
	r.P99us = float64(h.Quantile(0.99)) / 1e3
	return r, nil
}

// nameSeed gives each workload its own random streams.
func nameSeed(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func (b *bench) fillFields(w *worker) [][]byte {
	for i := range w.fields {
		w.fields[i] = b.vs.value(w.rng, b.cfg.FieldLength)
	}
	return w.fields
}

func (b *bench) load() (Result, error) {
	return b.drive("load", b.cfg.Records, func(w *worker, i int64) (bool, error) {
		w.key = recordKey(w.key, i)
		return true, b.st.insert(w.key, b.fillFields(w))
	})
}

func (b *bench) mixed(name string) (Result, error) {
	if b.loaded == 0 {
		return Result{Engine: b.engine, Workload: name}, nil
	}
	reads := workloadMix[name]
	z := newScrambledZipfian(b.loaded)
	return b.drive(name, b.cfg.Operations, func(w *worker, _ int64) (bool, error) {
		w.key = recordKey(w.key, z.next(w.rng))
		if w.rng.Float64() < reads {
			return b.st.read(w.key)
		}
		return true, b.st.update(w.key, w.rng.IntN(b.cfg.Fields), b.vs.value(w.rng, b.cfg.FieldLength))
	})
}

func partitionKey(dst []byte, p int) []byte {
	dst = append(dst[:0], "slice"...)
	s := strconv.Itoa(p)
	dst = append(dst, "000000"[:max(0, 6-len(s))]...) // fixed width: no key is another's prefix
	return append(dst, s...)
}

func (b *bench) sliceLoad() (Result, error) {
	parts := int64(b.cfg.SlicePartitions)
	return b.drive("slice-load", parts*int64(b.cfg.SliceRows), func(w *worker, i int64) (bool, error) {
		// Fill the partitions side by side, each in increasing seq order.
		w.key = partitionKey(w.key, int(i%parts))
		return true, b.st.insertRow(w.key, uint64(i/parts), b.fillFields(w))
	})
}

func (b *bench) sliceRead() (Result, error) {
	if b.cfg.SlicePartitions == 0 || b.cfg.SliceRows == 0 {
		return Result{Engine: b.engine, Workload: "slice"}, nil
	}
	z := newScrambledZipfian(int64(b.cfg.SlicePartitions))
	want := min(b.cfg.SliceLimit, b.cfg.SliceRows)
	return b.drive("slice", b.cfg.Operations, func(w *worker, _ int64) (bool, error) {
		w.key = partitionKey(w.key, int(z.next(w.rng)))
		n, err := b.st.readNewest(w.key, b.cfg.SliceLimit)
		return n == want, err
	})
}

// procStatus returns a size line of /proc/self/status (VmHWM: the peak
// resident set size, VmRSS: the current one) in bytes, or 0 when it cannot
// be read.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte(field)); ok {
			v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))
			kb, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// processCPU returns the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux 4.0 and later).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
