// Package report turns benchmark results (bench/ycsb's JSON, "wcdb-bench-ycsb/1",
// which bench/timeline writes too) into a Markdown report and PNG charts:
// per workload and database the throughput, latency percentiles per
// operation, server CPU per operation and errors; wcdb's ratios against
// each other database; the machine, the settings and the durability each
// database ran with.
//
// Results are merged by database name (Settings.Label, else Settings.DB):
// the YCSB run and the timeline run of one database make one column. Where
// two results hold the same phase of the same database, the later one
// given is used. A phase run at a target rate is its own phase, named
// with TargetSuffix (workload A at 80% of its peak beside A flat out).
// Columns labelled apart from wcdb's (a cluster) are compared with the
// single node, not counted among the other databases.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"wcdb/bench/timeline"
	"wcdb/bench/ycsb"
)

// Input is one result and the file it came from.
type Input struct {
	Path   string
	Result *ycsb.Result
}

// ReadFiles reads results written by --json.
func ReadFiles(paths []string) ([]Input, error) {
	var in []Input
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		var r ycsb.Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("report: %s: %w", p, err)
		}
		if r.Format != ycsb.ResultFormat {
			return nil, fmt.Errorf("report: %s: format %q, want %q", p, r.Format, ycsb.ResultFormat)
		}
		if r.Settings.DB == "" {
			return nil, fmt.Errorf("report: %s: no database named in settings.db", p)
		}
		in = append(in, Input{Path: p, Result: &r})
	}
	return in, nil
}

// Options shape the report.
type Options struct {
	// Title heads the report.
	Title string
	// ChartsLink is the directory of the charts as the Markdown links them
	// (relative to the report); empty: no charts are linked.
	ChartsLink string
	// Commands are the commands that produced the results, shown
	// verbatim.
	Commands string
	// Notes are paragraphs added under the scope.
	Notes []string
	// Facts add to, or override, what the databases reported of
	// themselves, by database name (wcdb's commit log sync mode, which
	// the CQL driver cannot read).
	Facts map[string]map[string]string
}

// Subject is the database every other is compared with.
const Subject = "wcdb"

// TargetSuffix marks a phase run at a target rate.
const TargetSuffix = "-target"

// name is the column a result goes in.
func name(s ycsb.Settings) string {
	if s.Label != "" {
		return s.Label
	}
	return s.DB
}

// phaseKey is the phase a result's phase is reported as: a core workload
// run at a target rate apart from the same run flat out. (The timeline's
// phases keep their names: timeline-reads always paces its posts.)
func phaseKey(ph *ycsb.Phase) string {
	if _, core := ycsb.CoreWorkloads[ph.Name]; ph.TargetOpsPerS > 0 && core {
		return ph.Name + TargetSuffix
	}
	return ph.Name
}

// Report is the merged results.
type Report struct {
	opts   Options
	inputs []Input
	// dbs in column order: Subject first, then as given.
	dbs []string
	// phases in report order: load, a-f, the timeline's, then others as
	// given.
	phases []string
	cells  map[cellKey]*cell
	facts  map[string]map[string]string
	// variants are the columns of wcdb run another way (labelled).
	variants []string
}

// peers are the other databases wcdb is compared with.
func (r *Report) peers() []string {
	var out []string
	for _, db := range r.dbs[1:] {
		if !slices.Contains(r.variants, db) {
			out = append(out, db)
		}
	}
	return out
}

type cellKey struct{ db, phase string }

type cell struct {
	in *Input
	ph *ycsb.Phase
}

var phaseOrder = []string{"load", "a", "a" + TargetSuffix, "b", "c", "d", "e", "f",
	timeline.PhaseFollows, timeline.PhasePosts, timeline.PhaseMix, timeline.PhaseReads}

// New merges the inputs.
func New(inputs []Input, opts Options) (*Report, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("report: no results")
	}
	r := &Report{opts: opts, inputs: inputs, cells: map[cellKey]*cell{}, facts: map[string]map[string]string{}}
	var others []string
	for i := range inputs {
		in := &inputs[i]
		db := name(in.Result.Settings)
		if !slices.Contains(r.dbs, db) {
			r.dbs = append(r.dbs, db)
		}
		if r.facts[db] == nil {
			r.facts[db] = map[string]string{}
		}
		maps.Copy(r.facts[db], in.Result.DBFacts)
		for j := range in.Result.Phases {
			ph := &in.Result.Phases[j]
			k := phaseKey(ph)
			r.cells[cellKey{db, k}] = &cell{in: in, ph: ph}
			if !slices.Contains(phaseOrder, k) && !slices.Contains(others, k) {
				others = append(others, k)
			}
		}
		if in.Result.Settings.DB == Subject && db != Subject {
			if !slices.Contains(r.variants, db) {
				r.variants = append(r.variants, db)
			}
		}
	}
	for db, f := range opts.Facts {
		if r.facts[db] != nil {
			maps.Copy(r.facts[db], f)
		}
	}
	if i := slices.Index(r.dbs, Subject); i > 0 {
		r.dbs = slices.Insert(slices.Delete(r.dbs, i, i+1), 0, Subject)
	}
	for _, p := range append(slices.Clone(phaseOrder), others...) {
		for _, db := range r.dbs {
			if r.cells[cellKey{db, p}] != nil {
				r.phases = append(r.phases, p)
				break
			}
		}
	}
	return r, nil
}

// DBs returns the databases in column order.
func (r *Report) DBs() []string { return r.dbs }

// Phases returns the phases in report order.
func (r *Report) Phases() []string { return r.phases }

// headline is a phase's figure of merit: its throughput, except in
// timeline-reads, where it is the timeline reads' (the posts run beside
// them at a fixed rate).
func headline(ph *ycsb.Phase) (opsPerS float64, what string) {
	if ph.Name == timeline.PhaseReads {
		return opRate(ph, "TIMELINE"), "timeline reads/s"
	}
	return ph.ThroughputOpsPerS, "ops/s"
}

// headlineOp is the operation headline counts, or "" for all.
func headlineOp(phase string) string {
	if phase == timeline.PhaseReads {
		return "TIMELINE"
	}
	return ""
}

func opRate(ph *ycsb.Phase, op string) float64 {
	o := ph.Ops[op]
	if o == nil || ph.ElapsedS <= 0 {
		return 0
	}
	return float64(o.Count) / ph.ElapsedS
}

// serverCPU returns server CPU µs per operation: the server processes'
// own when they were traced, else the machine's busy time less the
// client's (measured says which).
func serverCPU(ph *ycsb.Phase) (us float64, process, ok bool) {
	switch {
	case ph.CPU == nil:
		return 0, false, false
	case ph.CPU.ServerProcessUsPerOp != nil:
		return *ph.CPU.ServerProcessUsPerOp, true, true
	}
	return ph.CPU.ServerUsPerOp, false, true
}

var phaseTitles = map[string]string{
	"load":                "Load: insert the records",
	"a":                   "Workload A: 50% read, 50% update, zipfian",
	"b":                   "Workload B: 95% read, 5% update, zipfian",
	"c":                   "Workload C: 100% read, zipfian",
	"d":                   "Workload D: 95% read, 5% insert, latest",
	"e":                   "Workload E: 95% scan, 5% insert, zipfian",
	"f":                   "Workload F: 50% read, 50% read-modify-write, zipfian",
	timeline.PhaseFollows: "Timeline load: users and their follows",
	timeline.PhasePosts:   "Timeline load: initial posts, fanned out",
	timeline.PhaseMix:     "Timeline: posts and timeline reads",
	timeline.PhaseReads:   "Timeline reads at a fixed post rate",
}

func phaseTitle(p string) string {
	if t, ok := phaseTitles[p]; ok {
		return t
	}
	if base, ok := strings.CutSuffix(p, TargetSuffix); ok {
		return phaseTitle(base) + ", at a target rate"
	}
	return "Phase " + p
}

// durabilityKeys are the facts that say what an acknowledged write means.
var durabilityKeys = []string{"commitlog_sync", "commitlog_sync_period", "synchronous_commit", "fsync", "wal_sync_method", "appendonly", "appendfsync", "save"}

var versionKeys = []string{"release_version", "server_version", "redis_version"}

// WriteMarkdown writes the report.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	title := r.opts.Title
	if title == "" {
		title = "wcdb benchmarks"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	b.WriteString("<!-- Generated by `wcdb bench report` from the results listed below; edit the inputs, not this file. -->\n\n")
	r.writeScope(&b)
	r.writeHeadline(&b)
	r.writeRatios(&b)
	r.writeMachine(&b)
	r.writeSettings(&b)
	if r.opts.Commands != "" {
		b.WriteString("## Commands\n\n```sh\n")
		b.WriteString(strings.TrimRight(r.opts.Commands, "\n"))
		b.WriteString("\n```\n\n")
	}
	for _, p := range r.phases {
		r.writePhase(&b, p)
	}
	b.WriteString("## Method\n\n")
	b.WriteString("- Throughput is successful operations (transactions: a read-modify-write counts once) divided by the phase's elapsed time; " +
		"in timeline-reads it is the timeline reads alone, the posts running beside them at the stated rate.\n")
	b.WriteString("- Latency is from the intended start when a target rate is set (so a stall shows in every operation it delayed), else from the actual start; " +
		"percentiles come from HdrHistograms (3 significant digits), µs.\n")
	b.WriteString("- Server CPU per operation is the CPU time of the server's processes and their descendants (from /proc) over the phase, divided by its operations (in the timeline phases, posts and reads alike); " +
		"figures marked * had no server PIDs and use the machine's busy time less the client's, which counts anything else running.\n")
	b.WriteString("- Client CPU per operation is the benchmark client's own (getrusage), drivers included: client and server share the machine's cores, " +
		"so a heavier driver leaves less CPU to its server.\n")
	b.WriteString("- Ratios are wcdb's figure divided by the other database's: throughput above 1 and server CPU per operation below 1 favour wcdb.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeScope(b *strings.Builder) {
	b.WriteString("## Scope\n\n")
	fmt.Fprintf(b, "Databases: %s, each a single server on the machine below (unless the notes say otherwise), driven over loopback by the same client, one after another.\n", strings.Join(r.dbs, ", "))
	b.WriteString("\n")
	for _, n := range r.opts.Notes {
		b.WriteString(strings.TrimSpace(n))
		b.WriteString("\n\n")
	}
	b.WriteString("Results:\n\n| file | database | phases | started (UTC) | load average at start |\n|---|---|---|---|---:|\n")
	for _, in := range r.inputs {
		res := in.Result
		var names []string
		for _, ph := range res.Phases {
			names = append(names, ph.Name)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %.2f |\n", path.Base(in.Path), name(res.Settings), strings.Join(names, ", "),
			res.Started.UTC().Format("2006-01-02 15:04:05"), res.Machine.LoadAverage)
	}
	b.WriteString("\n")
}

// ratio returns wcdb's figure over peer's in a phase, by what.
func (r *Report) ratio(phase, peer string, cpu bool) (float64, bool) {
	return r.ratioOf(Subject, phase, peer, cpu)
}

// ratioOf returns db's figure over peer's in a phase, by what.
func (r *Report) ratioOf(db, phase, peer string, cpu bool) (float64, bool) {
	s, p := r.cells[cellKey{db, phase}], r.cells[cellKey{peer, phase}]
	if s == nil || p == nil {
		return 0, false
	}
	if cpu {
		a, _, ok1 := serverCPU(s.ph)
		c, _, ok2 := serverCPU(p.ph)
		if !ok1 || !ok2 || c <= 0 {
			return 0, false
		}
		return a / c, true
	}
	a, _ := headline(s.ph)
	c, _ := headline(p.ph)
	if c <= 0 {
		return 0, false
	}
	return a / c, true
}

func fmtRatio(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f×", v)
}

// writeHeadline states the ratios the benchmark is judged by: wcdb's
// throughput against PostgreSQL's, and its server CPU per operation
// against Redis's, where those results are present.
func (r *Report) writeHeadline(b *strings.Builder) {
	var lines []string
	if slices.Contains(r.dbs, "postgres") {
		var parts []string
		for _, p := range []string{"load", "a", "b", "c"} {
			if v, ok := r.ratio(p, "postgres", false); ok {
				parts = append(parts, fmt.Sprintf("%s %s", p, fmtRatio(v, true)))
			}
		}
		if len(parts) > 0 {
			lines = append(lines, "wcdb ÷ PostgreSQL throughput: "+strings.Join(parts, ", "))
		}
		if v, ok := r.ratio(timeline.PhaseReads, "postgres", false); ok {
			lines = append(lines, fmt.Sprintf("wcdb ÷ PostgreSQL timeline reads/s at equal post rates: %s (%s)", fmtRatio(v, true), r.postRates()))
		}
	}
	if c := r.cells[cellKey{Subject, "a" + TargetSuffix}]; c != nil {
		if rd := c.ph.Ops["READ"]; rd != nil {
			line := fmt.Sprintf("p99 of wcdb reads under workload A at a target of %s ops/s", group(c.ph.TargetOpsPerS))
			if peak := r.cells[cellKey{Subject, "a"}]; peak != nil && peak.ph.ThroughputOpsPerS > 0 {
				line += fmt.Sprintf(" (%.0f%% of its peak, %s ops/s)", 100*c.ph.TargetOpsPerS/peak.ph.ThroughputOpsPerS, group(peak.ph.ThroughputOpsPerS))
			}
			line += fmt.Sprintf(": %.2f ms (throughput reached %s ops/s)", rd.Latency.P99Us/1000, group(c.ph.ThroughputOpsPerS))
			lines = append(lines, line)
		}
	}
	if slices.Contains(r.dbs, "redis") {
		var parts []string
		for _, x := range []struct{ phase, what string }{{"c", "reads (workload C)"}, {"load", "inserts (load)"}} {
			if v, ok := r.ratio(x.phase, "redis", true); ok {
				parts = append(parts, fmt.Sprintf("%s %s", x.what, fmtRatio(v, true)))
			}
		}
		if len(parts) > 0 {
			lines = append(lines, "wcdb ÷ Redis server CPU per operation: "+strings.Join(parts, ", "))
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("## Headline\n\n")
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", l)
	}
	b.WriteString("\n")
}

// postRates lists the post rate each database sustained in timeline-reads.
func (r *Report) postRates() string {
	var parts []string
	for _, db := range r.dbs {
		if c := r.cells[cellKey{db, timeline.PhaseReads}]; c != nil {
			parts = append(parts, fmt.Sprintf("%s %.1f", db, opRate(c.ph, "POST")))
		}
	}
	return "posts/s: " + strings.Join(parts, ", ")
}

func (r *Report) writeRatios(b *strings.Builder) {
	r.writeVariants(b)
	peers := r.peers()
	if len(peers) == 0 || r.dbs[0] != Subject {
		return
	}
	b.WriteString("## wcdb against the others\n\n")
	b.WriteString("Per workload, wcdb's throughput and server CPU per operation divided by each other database's.\n\n")
	b.WriteString("| workload |")
	sep := "|---|"
	for _, p := range peers {
		fmt.Fprintf(b, " throughput ÷ %s | server CPU/op ÷ %s |", p, p)
		sep += "---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, ph := range r.phases {
		if !slices.ContainsFunc(peers, func(p string) bool { _, ok := r.ratio(ph, p, false); return ok }) {
			continue
		}
		fmt.Fprintf(b, "| %s |", ph)
		for _, p := range peers {
			t, tok := r.ratio(ph, p, false)
			c, cok := r.ratio(ph, p, true)
			fmt.Fprintf(b, " %s | %s |", fmtRatio(t, tok), fmtRatio(c, cok))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if r.opts.ChartsLink != "" {
		fmt.Fprintf(b, "![wcdb throughput against the others](%s)\n\n", path.Join(r.opts.ChartsLink, RatioThroughputChart))
		fmt.Fprintf(b, "![wcdb server CPU per operation against the others](%s)\n\n", path.Join(r.opts.ChartsLink, RatioCPUChart))
	}
}

// writeVariants compares each other way of running wcdb (a cluster) with
// the single node.
func (r *Report) writeVariants(b *strings.Builder) {
	if len(r.variants) == 0 || r.dbs[0] != Subject {
		return
	}
	b.WriteString("## wcdb run other ways, against the single node\n\n")
	b.WriteString("Per workload, each variant's throughput and server CPU per operation (all of its processes) divided by the single node's.\n\n")
	b.WriteString("| workload |")
	sep := "|---|"
	for _, v := range r.variants {
		fmt.Fprintf(b, " throughput %s ÷ %s | server CPU/op %s ÷ %s |", v, Subject, v, Subject)
		sep += "---:|---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, ph := range r.phases {
		if !slices.ContainsFunc(r.variants, func(v string) bool { _, ok := r.ratioOf(v, ph, Subject, false); return ok }) {
			continue
		}
		fmt.Fprintf(b, "| %s |", ph)
		for _, v := range r.variants {
			t, tok := r.ratioOf(v, ph, Subject, false)
			c, cok := r.ratioOf(v, ph, Subject, true)
			fmt.Fprintf(b, " %s | %s |", fmtRatio(t, tok), fmtRatio(c, cok))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func (r *Report) writeMachine(b *strings.Builder) {
	b.WriteString("## Machine\n\n")
	seen := map[string]bool{}
	for _, in := range r.inputs {
		m := in.Result.Machine
		line := fmt.Sprintf("%s: %d cores (%s), %.1f GiB memory, %s/%s, kernel %s, %s, GOMAXPROCS %d",
			m.Hostname, m.Cores, orDash(m.CPUModel), float64(m.MemoryBytes)/(1<<30), m.OS, m.Arch, m.Kernel, m.GoVersion, m.GOMAXPROCS)
		if !seen[line] {
			seen[line] = true
			fmt.Fprintf(b, "- %s\n", line)
		}
	}
	if len(seen) > 1 {
		b.WriteString("\nThe results come from more than one machine: compare them with care.\n")
	}
	b.WriteString("\nThe client and the server share the machine. The load average in the results table above is the machine's at each run's start; " +
		"on a shared machine other work competes for the cores and shows in the figures.\n\n")
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func (r *Report) writeSettings(b *strings.Builder) {
	b.WriteString("## Settings\n\n")
	b.WriteString("| database | version | durability | file | phases | threads | records / users | operations per phase | duration cap | target ops/s | op timeout |\n")
	b.WriteString("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, in := range r.inputs {
		s := in.Result.Settings
		f := r.facts[name(s)]
		var version, dur []string
		for _, k := range versionKeys {
			if v, ok := f[k]; ok {
				version = append(version, v)
			}
		}
		for _, k := range durabilityKeys {
			if v, ok := f[k]; ok {
				if v == "" {
					v = `""`
				}
				dur = append(dur, k+"="+v)
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |\n", name(s), orDash(strings.Join(version, " ")), orDash(strings.Join(dur, ", ")),
			path.Base(in.Path), strings.Join(s.Workloads, ", "), s.Threads, group(float64(s.Records)), zeroDash(group(float64(s.Operations))),
			zeroDash(secs(s.DurationS)), zeroDash(group(s.TargetOpsPerS)), zeroDash(secs(s.OpTimeoutS)))
	}
	b.WriteString("\n")
	var ycsbShape, tl []*ycsb.Result
	for _, in := range r.inputs {
		if in.Result.Settings.Params["workload"] == "timeline" {
			tl = append(tl, in.Result)
		} else {
			ycsbShape = append(ycsbShape, in.Result)
		}
	}
	if len(ycsbShape) > 0 {
		s := ycsbShape[0].Settings
		fmt.Fprintf(b, "YCSB records: %d fields of %d bytes, keys \"user\" + hash (hashed inserts), zipfian constant %v, scans up to %d records.\n\n",
			s.Fields, s.FieldLength, s.ZipfianConstant, s.MaxScanLength)
	}
	if len(tl) > 0 {
		p := tl[0].Settings.Params
		b.WriteString("Timeline workload:\n\n| parameter | value |\n|---|---|\n")
		for _, k := range slices.Sorted(maps.Keys(p)) {
			if k != "workload" {
				fmt.Fprintf(b, "| %s | %s |\n", k, p[k])
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("What each database reported of itself, and the driver's settings:\n\n")
	for _, db := range r.dbs {
		f := r.facts[db]
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(f)) {
			kv = append(kv, fmt.Sprintf("%s=%s", k, quoteEmpty(f[k])))
		}
		fmt.Fprintf(b, "- %s: %s\n", db, strings.Join(kv, "; "))
		seen := map[string]bool{}
		for _, in := range r.inputs {
			s := in.Result.Settings
			if name(s) != db || len(s.Driver) == 0 {
				continue
			}
			var dv []string
			for _, k := range slices.Sorted(maps.Keys(s.Driver)) {
				dv = append(dv, fmt.Sprintf("%s=%s", k, s.Driver[k]))
			}
			line := strings.Join(dv, "; ")
			if !seen[line] {
				seen[line] = true
				fmt.Fprintf(b, "  - %s driver: %s\n", path.Base(in.Path), line)
			}
		}
	}
	b.WriteString("\n")
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func zeroDash(s string) string {
	if s == "0" || s == "0 s" {
		return "–"
	}
	return s
}

func secs(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + " s" }

// group formats v rounded to an integer with thousands separators.
func group(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(max(n, -n), 10)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if n < 0 {
		return "-" + string(out)
	}
	return string(out)
}

// fmtUs formats a latency in µs: three significant figures below 100,
// whole µs with separators above.
func fmtUs(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return group(v)
}

var opOrder = []string{"INSERT", "READ", "UPDATE", "SCAN", "READ-MODIFY-WRITE", "FOLLOW", "POST", "TIMELINE"}

func opsOf(ph *ycsb.Phase) []string {
	var out []string
	for _, o := range opOrder {
		if ph.Ops[o] != nil {
			out = append(out, o)
		}
	}
	for _, o := range slices.Sorted(maps.Keys(ph.Ops)) {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func errorsText(m map[string]int64) string {
	var parts []string
	var n int64
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
			n += m[k]
		}
	}
	if n == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func (r *Report) writePhase(b *strings.Builder, p string) {
	var anyPh *ycsb.Phase
	for _, db := range r.dbs {
		if c := r.cells[cellKey{db, p}]; c != nil {
			anyPh = c.ph
			break
		}
	}
	fmt.Fprintf(b, "## %s\n\n", phaseTitle(p))
	_, what := headline(anyPh)
	fmt.Fprintf(b, "Phase `%s`.", p)
	if p == timeline.PhaseReads {
		fmt.Fprintf(b, " Throughput is timeline reads/s; %s.", r.postRates())
	}
	b.WriteString("\n\n")
	fmt.Fprintf(b, "| database | %s | server CPU µs/op | client CPU µs/op | machine busy | elapsed | errors | op | count | p50 µs | p95 µs | p99 µs | p99.9 µs | max µs |\n", what)
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, db := range r.dbs {
		c := r.cells[cellKey{db, p}]
		if c == nil {
			continue
		}
		ph := c.ph
		tput, _ := headline(ph)
		cpu, client, busy := "–", "–", "–"
		if us, process, ok := serverCPU(ph); ok {
			cpu = fmt.Sprintf("%.1f", us)
			if !process {
				cpu += "*"
			}
			client = fmt.Sprintf("%.1f", ph.CPU.ClientUsPerOp)
			busy = fmt.Sprintf("%.0f%%", 100*ph.CPU.Utilization)
		}
		for i, op := range opsOf(ph) {
			o := ph.Ops[op]
			l := o.Latency
			lead := fmt.Sprintf("| %s | %s | %s | %s | %s | %.1f s | %s |", db, group(tput), cpu, client, busy, ph.ElapsedS, errorsText(ph.Errors))
			if i > 0 {
				lead = "| | | | | | | |"
			}
			fmt.Fprintf(b, "%s %s | %s | %s | %s | %s | %s | %s |\n", lead, op, group(float64(o.Count)),
				fmtUs(l.P50Us), fmtUs(l.P95Us), fmtUs(l.P99Us), fmtUs(l.P999Us), fmtUs(l.MaxUs))
		}
	}
	b.WriteString("\n")
	if r.opts.ChartsLink != "" {
		fmt.Fprintf(b, "![%s: throughput over time](%s)\n", p, path.Join(r.opts.ChartsLink, ThroughputChart(p)))
		fmt.Fprintf(b, "![%s: latency by percentile](%s)\n\n", p, path.Join(r.opts.ChartsLink, LatencyChart(p)))
	}
}
