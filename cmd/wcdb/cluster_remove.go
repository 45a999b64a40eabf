package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"wcdb/server"
	"wcdb/streaming"
)

// bootstrapBar shows a starting node's bootstrap: the streams it receives,
// as a progress line refreshed every couple of seconds.
type bootstrapBar struct {
	addr  string // the node's internode address
	out   io.Writer
	last  time.Time
	bytes int64
	shown bool
	mode  string
}

// poll refreshes the line at most every 2 s, and reports whether the node
// received data since the last refresh.
func (b *bootstrapBar) poll() bool {
	if b.out == nil || time.Since(b.last) < 2*time.Second {
		return false
	}
	b.last = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	raw, err := adminCall(ctx, b.addr, []string{"netstats"})
	if err != nil {
		return false
	}
	var ns server.AdminNetstats
	if json.Unmarshal(raw, &ns) != nil {
		return false
	}
	var files, filesDone, total, done, streamed int64
	var rate float64
	running := 0
	for _, s := range ns.Sessions {
		if s.Direction != streaming.Receiving {
			continue
		}
		files += s.FilesTotal
		filesDone += s.FilesDone
		total += s.BytesTotal
		done += s.BytesDone
		streamed += s.BytesStreamed
		if s.State == streaming.Running {
			running++
			rate += s.Rate
		}
	}
	moved := streamed > b.bytes || ns.Mode != b.mode
	b.bytes, b.mode = streamed, ns.Mode
	if len(ns.Sessions) == 0 {
		return moved
	}
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	const width = 30
	fill := min(width, int(pct/100*width))
	fmt.Fprintf(b.out, "\n  bootstrap [%s%s] %3.0f%%  %s of %s, %d/%d files, %d streams running, %s/s",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, humanBytes(done), humanBytes(total),
		filesDone, files, running, humanBytes(int64(rate)))
	b.shown = true
	return moved
}

// end finishes the progress output so that what follows starts a line.
func (b *bootstrapBar) end() {
	if b.shown {
		fmt.Fprint(b.out, "\n  ")
	}
}

// clusterRemove decommissions node I of a local cluster: it hands its
// ranges over and leaves, its process exits, and its data is deleted;
// cluster up --nodes N starts it again as a new node.
func clusterRemove(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb cluster remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dirFlag := fs.String("dir", defaultClusterDir, "the cluster's directory")
	node := fs.Int("node", 0, "the node to decommission (I of nodeI)")
	force := fs.Bool("force", false, "decommission even if fewer live nodes than a keyspace's replication factor remain")
	wait := fs.Duration("wait", 30*time.Second, "how long the node's process may take to exit once it has left")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	st, err := readClusterState(dir)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	switch {
	case *node < 1 || *node > len(st.Nodes):
		fmt.Fprintf(stderr, "wcdb: --node %d: the cluster has nodes 1-%d\n", *node, len(st.Nodes))
		return 2
	case *node == 1:
		fmt.Fprintln(stderr, "wcdb: node1 is every node's seed in a local cluster: it cannot be removed (remove another, or wcdb cluster down)")
		return 2
	case st.Nodes[*node-1].Removed:
		fmt.Fprintf(stderr, "wcdb: node%d was removed already\n", *node)
		return 1
	}
	i := *node - 1
	n := st.Nodes[i]
	running, err := runningNodes(dir)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	pid, ok := running[n.Name]
	if !ok {
		fmt.Fprintf(stderr, "wcdb: %s is not running: only a running node can hand its data over (start it with wcdb cluster up)\n", n.Name)
		return 1
	}
	dargs := []string{"--host", st.internodeAddress(i)}
	if *force {
		dargs = append(dargs, "--force")
	}
	if code := adminDecommissionCmd(dargs, stdout, stderr); code != 0 {
		return code
	}
	dataDir := filepath.Join(dir, n.Name, "data")
	deadline := time.Now().Add(*wait)
	for {
		if alive, ours := nodeProcess(pid, dataDir); !alive || !ours {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "wcdb: %s (pid %d) left the cluster but still runs after %s; killing it\n", n.Name, pid, *wait)
			syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(time.Second)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Remove(filepath.Join(dir, n.Name, "pid"))
	// A decommissioned node will not start with its old data: it goes, so
	// that cluster up can start the node afresh.
	if err := os.RemoveAll(dataDir); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	st.Nodes[i].Removed = true
	if err := writeClusterState(dir, st); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wcdb: %s removed: its data is deleted; wcdb cluster up --nodes %s starts it again as a new node\n",
		n.Name, strconv.Itoa(len(st.Nodes)))
	return 0
}
