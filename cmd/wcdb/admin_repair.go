package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"wcdb/internal/units"
	"wcdb/server"
)

// repairPoll is how often wcdb admin repair asks for its repair's progress
// (a variable for tests).
var repairPoll = time.Second

// adminRepairCmd runs wcdb admin repair [flags] [KEYSPACE [TABLE...]]: it
// starts the repair on the node, then prints its progress until it ends;
// the exit status is 1 if any range failed.
func adminRepairCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "status" {
		return adminRepairStatusCmd(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "schedule" {
		return adminRepairScheduleCmd(args[1:], stdout, stderr)
	}
	var pr, local, asJSON bool
	var st, et string
	var jobs int
	addr, rest, code, ok := adminArgs("repair", "the node that coordinates the repair (it repairs the ranges it replicates)",
		args, 0, 1<<10, "[KEYSPACE [TABLE...]]", stderr, func(fs *flag.FlagSet) {
			fs.BoolVar(&pr, "pr", false, "repair only the ranges the node is the first replica of (run it on every node)")
			fs.BoolVar(&local, "local", false, "repair among the replicas of the node's datacenter only")
			fs.StringVar(&st, "st", "", "repair only the tokens after this one (with -et)")
			fs.StringVar(&et, "et", "", "repair only the tokens up to this one (with -st)")
			fs.IntVar(&jobs, "j", 1, "ranges repaired at once, 1 to 4")
			fs.BoolVar(&asJSON, "json", false, "print the finished repair as JSON (server.AdminRepair)")
		})
	if !ok {
		return code
	}
	req := server.AdminRepairRequest{PrimaryRange: pr, Local: local, Jobs: jobs}
	if len(rest) > 0 {
		req.Keyspace = rest[0]
		req.Tables = rest[1:]
	}
	for _, tok := range []struct {
		flag, v string
		dst     **int64
	}{{"-st", st, &req.StartToken}, {"-et", et, &req.EndToken}} {
		if tok.v == "" {
			continue
		}
		n, err := strconv.ParseInt(tok.v, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "wcdb: %s %q is not a token\n", tok.flag, tok.v)
			return 2
		}
		*tok.dst = &n
	}
	body, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	b, err := adminCall(ctx, addr, []string{"repair", "start", string(body)})
	cancel()
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	var r server.AdminRepair
	if !decodeAnswer(stderr, addr, b, "a repair", &r) {
		return 1
	}
	// With --json, stdout has the JSON alone: progress goes to stderr.
	progress := stdout
	if asJSON {
		progress = stderr
	}
	fmt.Fprintf(progress, "%s: repair %s of %d tables, %d ranges\n", addr, r.ID, r.Tables, r.Ranges)
	last := -1
	for r.State == "running" {
		time.Sleep(repairPoll)
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		b, err := adminCall(ctx, addr, []string{"repair", "status", r.ID})
		cancel()
		if err != nil {
			fmt.Fprintln(stderr, "wcdb: asking for the repair's progress:", err)
			continue
		}
		var rs []server.AdminRepair
		if !decodeAnswer(stderr, addr, b, "repair status", &rs) || len(rs) != 1 {
			return 1
		}
		r = rs[0]
		if done := r.RangesDone + r.RangesFailed; done != last && r.State == "running" {
			fmt.Fprintln(progress, repairProgress(&r))
			last = done
		}
	}
	if asJSON {
		out, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(out))
	} else {
		fmt.Fprintln(stdout, repairProgress(&r))
	}
	if r.State != "done" {
		for _, e := range r.Errors {
			fmt.Fprintln(stderr, "wcdb: repair:", e)
		}
		fmt.Fprintf(stderr, "wcdb: repair %s failed: %d of %d ranges; run it again\n", r.ID, r.RangesFailed, r.Ranges)
		return 1
	}
	return 0
}

// repairProgress is one line: a bar, ranges, what differed and moved.
func repairProgress(r *server.AdminRepair) string {
	const width = 30
	done := r.RangesDone + r.RangesFailed
	fill := width
	if r.Ranges > 0 {
		fill = done * width / r.Ranges
	}
	failed := ""
	if r.RangesFailed > 0 {
		failed = fmt.Sprintf(" (%d failed)", r.RangesFailed)
	}
	return fmt.Sprintf("[%s%s] %d/%d ranges%s, %d partitions differed, %d pulled, %d pushed, %s streamed, %s of trees, %.1fs %s",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, r.Ranges, failed, r.Differing, r.Pulled, r.Pushed,
		units.Bytes(r.StreamBytes), units.Bytes(r.TreeBytes), r.DurationSeconds, r.State)
}

// adminRepairStatusCmd lists the node's repairs, running and recent.
func adminRepairStatusCmd(args []string, stdout, stderr io.Writer) int {
	var rs []server.AdminRepair
	_, asJSON, code, ok := adminQuery("repair status", "at most a repair ID", 1, []string{"repair", "status"}, "repair status",
		"[]server.AdminRepair", &rs, args, stdout, stderr)
	if !ok || asJSON {
		return code
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKeyspace\tState\tRanges\tFailed\tDiffering\tStreamed\tStarted\tSeconds")
	for _, r := range rs {
		ks := r.Request.Keyspace
		if ks == "" {
			ks = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%s\t%s\t%.1f\n", r.ID, ks, r.State, r.RangesDone+r.RangesFailed, r.Ranges,
			r.RangesFailed, r.Differing, units.Bytes(r.StreamBytes), r.Started.Format(time.RFC3339), r.DurationSeconds)
	}
	tw.Flush()
	return 0
}

// adminQuery runs a read-only admin request: --host, --json, up to max
// arguments appended to req; the answer decoded into v (what names it
// for errors, typ for --json's help). With --json it prints the answer
// and asJSON is true; ok false means code is the exit status to return.
func adminQuery(name, argsWhat string, max int, req []string, what, typ string, v any,
	args []string, stdout, stderr io.Writer) (addr string, asJSON bool, code int, ok bool) {
	addr, rest, code, ok := adminArgs(name, "the node to ask", args, 0, max, argsWhat, stderr,
		func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print the answer as JSON ("+typ+")") })
	if !ok {
		return addr, false, code, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, append(req, rest...))
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return addr, false, 1, false
	}
	if !decodeAnswer(stderr, addr, b, what, v) {
		return addr, false, 1, false
	}
	if asJSON {
		out, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintln(stdout, string(out))
	}
	return addr, asJSON, 0, true
}

// adminRepairScheduleCmd shows where the node's repair scheduler stands,
// table by table.
func adminRepairScheduleCmd(args []string, stdout, stderr io.Writer) int {
	var ts []server.AdminRepairSchedule
	addr, asJSON, code, ok := adminQuery("repair schedule", "no arguments", 0, []string{"repair", "schedule"}, "the repair schedule",
		"[]server.AdminRepairSchedule", &ts, args, stdout, stderr)
	if !ok || asJSON {
		return code
	}
	if len(ts) == 0 {
		fmt.Fprintf(stdout, "%s: no table scheduled (repair.scheduler off, or no keyspace with replicas elsewhere)\n", addr)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Table\tInterval\tPrimary ranges\tRepaired within interval\tOldest\tFailing")
	for _, t := range ts {
		oldest := "never"
		if t.OldestSeconds >= 0 {
			oldest = (time.Duration(t.OldestSeconds) * time.Second).String()
		}
		interval := "not scheduled (gc_grace_seconds 0)"
		if t.IntervalSeconds > 0 {
			interval = (time.Duration(t.IntervalSeconds) * time.Second).String()
		}
		fmt.Fprintf(tw, "%s.%s\t%s\t%d\t%d\t%s\t%d\n", t.Keyspace, t.Table, interval, t.Ranges, t.Repaired, oldest, t.Failing)
	}
	tw.Flush()
	return 0
}
