package ycsb

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ResultFormat names the JSON layout of Result; it changes when a field
// changes meaning.
const ResultFormat = "wcdb-bench-ycsb/1"

// Result is a whole run, as written by WriteJSON. Durations are in
// microseconds (fields ending _us) or seconds (_s); rates per second.
type Result struct {
	Format   string    `json:"format"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Settings Settings  `json:"settings"`
	// DBFacts are what the database reports of itself (version, durability
	// settings such as PostgreSQL's synchronous_commit).
	DBFacts map[string]string `json:"db_facts"`
	Machine Machine           `json:"machine"`
	Phases  []Phase           `json:"phases"`
}

// Settings are the run's settings.
type Settings struct {
	DB string `json:"db"`
	// Label names the run's database column in reports when one database
	// is run more than one way (a wcdb cluster beside a single node);
	// empty: DB.
	Label             string            `json:"label,omitempty"`
	Driver            map[string]string `json:"driver,omitempty"`
	Workloads         []string          `json:"workloads"`
	Records           int64             `json:"records"`
	Operations        int64             `json:"operations"`
	DurationS         float64           `json:"duration_s"`
	Threads           int               `json:"threads"`
	TargetOpsPerS     float64           `json:"target_ops_s"`
	LoadTargetOpsPerS float64           `json:"load_target_ops_s"`
	Fields            int               `json:"fields"`
	FieldLength       int               `json:"field_length"`
	MaxScanLength     int               `json:"max_scan_length"`
	ZipfianConstant   float64           `json:"zipfian_constant"`
	OpTimeoutS        float64           `json:"op_timeout_s"`
	Seed              uint64            `json:"seed"`
	ServerPIDs        []int             `json:"server_pids,omitempty"`
	IntervalS         float64           `json:"interval_s"`
	// LatencyFrom says what latency is measured from.
	LatencyFrom string `json:"latency_from"`
	// Params are a custom workload's parameters (the timeline's users,
	// follows, mix, ...); absent for the core workloads.
	Params map[string]string `json:"params,omitempty"`
}

func settingsOf(c Config) Settings {
	from := "actual start (no target rate)"
	if c.Target > 0 || c.LoadTarget > 0 {
		from = "intended start (schedule of the target rate); service time from the actual start"
	}
	return Settings{
		DB: c.DBName, Label: c.Label, Driver: c.DBSettings, Workloads: c.Workloads,
		Records: c.Records, Operations: c.Operations, DurationS: c.Duration.Seconds(),
		Threads: c.Threads, TargetOpsPerS: c.Target, LoadTargetOpsPerS: c.LoadTarget,
		Fields: c.Fields, FieldLength: c.FieldLength, MaxScanLength: c.MaxScanLength,
		ZipfianConstant: ZipfianConstant, OpTimeoutS: c.OpTimeout.Seconds(), Seed: c.Seed,
		ServerPIDs: c.ServerPIDs, IntervalS: c.Interval.Seconds(), LatencyFrom: from,
	}
}

// Phase is one workload's run.
type Phase struct {
	Name     string    `json:"name"`
	Workload Workload  `json:"workload"`
	Started  time.Time `json:"started"`
	ElapsedS float64   `json:"elapsed_s"`
	Threads  int       `json:"threads"`
	// TargetOpsPerS is the intended rate (0: none).
	TargetOpsPerS float64 `json:"target_ops_s"`
	// RecordsBefore and RecordsAfter count records (insert sequence numbers
	// handed out, failed inserts included).
	RecordsBefore int64 `json:"records_before"`
	RecordsAfter  int64 `json:"records_after"`
	// OK and Failed count transactions (a read-modify-write once).
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
	// ThroughputOpsPerS is OK / ElapsedS.
	ThroughputOpsPerS float64 `json:"throughput_ops_s"`
	// StoppedBy is operations, duration, records (load) or canceled.
	StoppedBy string `json:"stopped_by"`
	// Ops has a result per operation type that occurred, keyed READ,
	// UPDATE, INSERT, SCAN, READ-MODIFY-WRITE.
	Ops map[string]*OpResult `json:"ops"`
	// Errors counts failed operations by kind (timeout, unavailable,
	// not_found, other) over all types (a failed read-modify-write's read
	// counted once as READ and once as READ-MODIFY-WRITE).
	Errors     map[string]int64 `json:"errors"`
	TimeSeries []Point          `json:"time_series"`
	CPU        *CPU             `json:"cpu,omitempty"`
	CPUError   string           `json:"cpu_error,omitempty"`
}

// OpResult is one operation type's figures in a phase.
type OpResult struct {
	// Count is the operations that succeeded; Errors those that failed, by
	// kind.
	Count  int64            `json:"count"`
	Errors map[string]int64 `json:"errors"`
	// Latency is measured from the intended start, Service from the actual
	// start, both of successful operations; FailedLatency is the failed
	// ones' latency.
	Latency       Summary  `json:"latency"`
	Service       Summary  `json:"service"`
	FailedLatency *Summary `json:"failed_latency,omitempty"`
	// Rows is the records returned by scans.
	Rows int64 `json:"rows,omitempty"`
}

// Point is one interval of a phase's time series.
type Point struct {
	// TS is the end of the interval, seconds from the phase's start.
	TS        float64 `json:"t_s"`
	IntervalS float64 `json:"interval_s"`
	// OK and Failed count transactions finished in the interval.
	OK      int64              `json:"ok"`
	Failed  int64              `json:"failed"`
	OpsPerS float64            `json:"ops_s"`
	PerOp   map[string]PointOp `json:"per_op"`
}

// PointOp is one operation type in an interval: latency of the
// operations that succeeded in it.
type PointOp struct {
	OK     int64   `json:"ok"`
	Failed int64   `json:"failed"`
	P50Us  float64 `json:"p50_us"`
	P99Us  float64 `json:"p99_us"`
	MaxUs  float64 `json:"max_us"`
}

// WriteJSON writes the result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}

// WriteJSONFile writes the result to a file.
func (r *Result) WriteJSONFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteText prints the result as a table per phase.
func (r *Result) WriteText(w io.Writer) error {
	s := r.Settings
	if len(s.Params) > 0 {
		var ps []string
		for _, k := range slices.Sorted(maps.Keys(s.Params)) {
			ps = append(ps, k+"="+s.Params[k])
		}
		fmt.Fprintf(w, "db %s; %s; %d threads", s.DB, strings.Join(ps, ", "), s.Threads)
	} else {
		fmt.Fprintf(w, "db %s; %d records of %d x %d B; %d threads", s.DB, s.Records, s.Fields, s.FieldLength, s.Threads)
	}
	if s.TargetOpsPerS > 0 {
		fmt.Fprintf(w, "; target %.0f ops/s", s.TargetOpsPerS)
	}
	fmt.Fprintln(w)
	for _, k := range slices.Sorted(maps.Keys(r.DBFacts)) {
		fmt.Fprintf(w, "  %s: %s\n", k, r.DBFacts[k])
	}
	m := r.Machine
	fmt.Fprintf(w, "machine: %d cores (%s), %.1f GiB, kernel %s, load %.2f at start\n",
		m.Cores, m.CPUModel, float64(m.MemoryBytes)/(1<<30), m.Kernel, m.LoadAverage)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\top\tok\tops/s\tmean µs\tp50 µs\tp95 µs\tp99 µs\tp99.9 µs\tmax µs\terrors\tserver CPU µs/op\t")
	for _, ph := range r.Phases {
		cpu := "-"
		if ph.CPU != nil {
			cpu = fmt.Sprintf("%.1f", ph.CPU.ServerUsPerOp)
			if ph.CPU.ServerProcessUsPerOp != nil {
				cpu += fmt.Sprintf(" (process %.1f)", *ph.CPU.ServerProcessUsPerOp)
			}
		}
		fmt.Fprintf(tw, "%s\tall\t%d\t%.0f\t\t\t\t\t\t\t%d\t%s\t\n", ph.Name, ph.OK, ph.ThroughputOpsPerS, ph.Failed, cpu)
		for _, op := range opNames {
			x, ok := ph.Ops[op]
			if !ok {
				continue
			}
			var errs int64
			for _, n := range x.Errors {
				errs += n
			}
			l := x.Latency
			fmt.Fprintf(tw, "\t%s\t%d\t\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t\t\n", op, x.Count, l.MeanUs, l.P50Us, l.P95Us, l.P99Us, l.P999Us, l.MaxUs, errs)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ph := range r.Phases {
		var kinds []string
		for _, k := range kindNames {
			if n := ph.Errors[k]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		if len(kinds) > 0 {
			fmt.Fprintf(w, "%s errors: %v\n", ph.Name, kinds)
		}
		if ph.CPU != nil {
			fmt.Fprintf(w, "%s: %.1fs, stopped by %s; machine %.0f%% busy, server %.2f CPU-s, client %.2f CPU-s (%.1f µs/op)\n",
				ph.Name, ph.ElapsedS, ph.StoppedBy, 100*ph.CPU.Utilization, ph.CPU.ServerS, ph.CPU.ClientS, ph.CPU.ClientUsPerOp)
		}
	}
	fmt.Fprintf(w, "latency from the %s; server CPU = machine busy - client, per operation\n", s.LatencyFrom)
	return nil
}
