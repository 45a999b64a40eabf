package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"wcdb/internal/units"
	"wcdb/server"
	"wcdb/streaming"
)

// adminNetstatsCmd prints a node's mode and streams, as nodetool netstats.
func adminNetstatsCmd(args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	addr, _, code, ok := adminArgs("netstats", "node to ask", args, 0, 0, "no arguments", stderr, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print the node's answer as JSON (server.AdminNetstats)")
	})
	if !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, []string{"netstats"})
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if *asJSON {
		return writeRaw(stdout, stderr, b)
	}
	var ns server.AdminNetstats
	if !decodeAnswer(stderr, addr, b, "netstats", &ns) {
		return 1
	}
	if err := writeNetstats(stdout, &ns); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}

func writeNetstats(w io.Writer, ns *server.AdminNetstats) error {
	limit := "unlimited"
	if ns.ThroughputOutbound > 0 {
		limit = units.Bytes(ns.ThroughputOutbound) + "/s"
	}
	fmt.Fprintf(w, "Mode: %s\nStream throughput outbound: %s\n", ns.Mode, limit)
	if len(ns.Sessions) == 0 {
		_, err := fmt.Fprintln(w, "Not sending or receiving any streams.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Session\tDirection\tPeer\tTable\tFiles\tBytes\tDone\tRate\tState")
	for _, s := range ns.Sessions {
		state := s.State.String()
		if s.State == streaming.Failed {
			state += ": " + s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s.%s\t%d/%d\t%s/%s\t%.0f%%\t%s/s\t%s\n", s.ID, s.Direction, s.Peer,
			s.Keyspace, s.Table, s.FilesDone, s.FilesTotal, units.Bytes(s.BytesDone), units.Bytes(s.BytesTotal),
			s.Percent(), units.Bytes(int64(s.Rate)), state)
	}
	return tw.Flush()
}

// adminSetStreamThroughputCmd changes a node's outbound stream cap at run
// time, in MiB/s as nodetool setstreamthroughput (0: unlimited).
func adminSetStreamThroughputCmd(args []string, stdout, stderr io.Writer) int {
	addr, rest, code, ok := adminArgs("setstreamthroughput", "node to change", args, 1, 1,
		"one argument: MiB per second (0: unlimited)", stderr, nil)
	if !ok {
		return code
	}
	mib, err := strconv.ParseFloat(rest[0], 64)
	if err != nil || mib < 0 {
		fmt.Fprintf(stderr, "wcdb: setstreamthroughput: %q is not a non-negative number of MiB/s\n", rest[0])
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := adminCall(ctx, addr, []string{"setstreamthroughput", strconv.FormatInt(int64(mib*(1<<20)), 10)}); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	fmt.Fprintf(stdout, "stream throughput outbound of %s: %s MiB/s\n", addr, rest[0])
	return 0
}

// adminDecommissionCmd asks a node to leave the cluster, handing its
// ranges over, and prints the streams' progress until it is gone.
func adminDecommissionCmd(args []string, stdout, stderr io.Writer) int {
	var force *bool
	addr, _, code, ok := adminArgs("decommission", "node to decommission", args, 0, 0, "no arguments", stderr, func(fs *flag.FlagSet) {
		force = fs.Bool("force", false, "decommission even if fewer live nodes than a keyspace's replication factor remain")
	})
	if !ok {
		return code
	}
	req := []string{"decommission"}
	if *force {
		req = append(req, "force")
	}
	fmt.Fprintf(stdout, "decommissioning %s: LEAVING, streaming its ranges to their new owners\n", addr)
	if _, err := longAdminCall(addr, req, stdout); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s left the cluster; its process exits\n", addr)
	return 0
}

// longAdminCall sends a request that moves data (decommission, removenode,
// rebuild: it may take hours) and prints the node's running streams every
// 2 s until the answer comes.
func longAdminCall(addr string, req []string, stdout io.Writer) ([]byte, error) {
	type answer struct {
		b   []byte
		err error
	}
	done := make(chan answer, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
		defer cancel()
		b, err := adminCall(ctx, addr, req)
		done <- answer{b, err}
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case a := <-done:
			return a.b, a.err
		case <-tick.C:
			printStreamProgress(stdout, addr)
		}
	}
}

// printStreamProgress prints one line per running stream of the node.
func printStreamProgress(w io.Writer, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, []string{"netstats"})
	if err != nil {
		return
	}
	var ns server.AdminNetstats
	if json.Unmarshal(b, &ns) != nil {
		return
	}
	for _, s := range ns.Sessions {
		if s.State == streaming.Running {
			fmt.Fprintln(w, "  "+s.String())
		}
	}
}

// adminRemoveNodeCmd removes a dead node from the ring (nodetool
// removenode): HOST_ID starts it and waits, printing the streams'
// progress; status shows the removal this node coordinates; force ends it
// without waiting for the streams.
func adminRemoveNodeCmd(args []string, stdout, stderr io.Writer) int {
	addr, rest, code, ok := adminArgs("removenode", "a live node to coordinate the removal", args, 1, 1,
		"one argument: HOST_ID (of a node that is down), status or force", stderr, nil)
	if !ok {
		return code
	}
	b, err := longAdminCall(addr, []string{"removenode", rest[0]}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	var r server.AdminRemoval
	if !decodeAnswer(stderr, addr, b, "a removal", &r) {
		return 1
	}
	if r.State == "" {
		fmt.Fprintln(stdout, "RemovalStatus: No removals in process.")
	} else {
		fmt.Fprintf(stdout, "RemovalStatus: %s %s (coordinated by %s)\n", r.State, r.Node, addr)
	}
	return 0
}

// adminRebuildCmd streams a node's ranges from another datacenter
// (nodetool rebuild).
func adminRebuildCmd(args []string, stdout, stderr io.Writer) int {
	addr, rest, code, ok := adminArgs("rebuild", "the node to rebuild", args, 1, 1, "one argument: the datacenter to stream from", stderr, nil)
	if !ok {
		return code
	}
	b, err := longAdminCall(addr, []string{"rebuild", rest[0]}, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	var n int64
	if !decodeAnswer(stderr, addr, b, "a byte count", &n) {
		return 1
	}
	fmt.Fprintf(stdout, "%s rebuilt from %s: %s received\n", addr, rest[0], units.Bytes(n))
	return 0
}

// adminCleanupCmd drops from a node's SSTables the ranges it no longer
// replicates (nodetool cleanup), and prints what each table lost.
func adminCleanupCmd(args []string, stdout, stderr io.Writer) int {
	addr, rest, code, ok := adminArgs("cleanup", "the node to clean up", args, 0, 2, "at most KEYSPACE and TABLE", stderr, nil)
	if !ok {
		return code
	}
	b, err := longAdminCall(addr, append([]string{"cleanup"}, rest...), stdout)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	var r server.AdminCleanup
	if !decodeAnswer(stderr, addr, b, "a cleanup", &r) {
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Table\tFiles\tRewritten\tDropped\tBefore\tAfter\tPartitions dropped")
	var before, after int64
	for _, t := range r.Tables {
		before += t.BytesBefore
		after += t.BytesAfter
		fmt.Fprintf(tw, "%s.%s\t%d\t%d\t%d\t%s\t%s\t%d\n", t.Keyspace, t.Table, t.Files, t.FilesRewritten, t.FilesDropped,
			units.Bytes(t.BytesBefore), units.Bytes(t.BytesAfter), t.PartitionsDropped)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%s: %s -> %s\n", addr, units.Bytes(before), units.Bytes(after))
	return 0
}

// adminArgs parses an admin command's --host, the flags more defines (if
// set) and its arguments (from min to max of them; what says what they
// are, for the error): it returns the node's internode address and the
// arguments, or ok false with the exit code.
func adminArgs(name, hostHelp string, args []string, min, max int, what string, stderr io.Writer,
	more func(fs *flag.FlagSet)) (addr string, rest []string, code int, ok bool) {
	fs := flag.NewFlagSet("wcdb admin "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "127.0.0.1", hostHelp+", host[:internode port] (port 7000 unless given)")
	if more != nil {
		more(fs)
	}
	if code, stop := parseFlagsArgs(fs, args); stop {
		return "", nil, code, false
	}
	if fs.NArg() < min || fs.NArg() > max {
		fmt.Fprintf(stderr, "wcdb: %s wants %s\n", name, what)
		return "", nil, 2, false
	}
	addr, err := internodeAddress(*host)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return "", nil, 2, false
	}
	return addr, fs.Args(), 0, true
}

// decodeAnswer decodes a node's JSON answer into v, saying so on stderr
// when it is not what was asked for.
func decodeAnswer(stderr io.Writer, addr string, b []byte, what string, v any) bool {
	if err := json.Unmarshal(b, v); err != nil {
		fmt.Fprintf(stderr, "wcdb: %s answered something other than %s: %v\n", addr, what, err)
		return false
	}
	return true
}
