package main

// wcdb cluster: a local cluster of wcdb server processes, one loopback
// address each; internal/localcluster runs it. This file holds the
// commands' flags and the admin client the cluster reaches nodes with.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"wcdb/internal/localcluster"
	"wcdb/server"
	"wcdb/streaming"
)

const clusterUsage = `usage: wcdb cluster up --nodes N [--dcs 1|2] [--dir DIR] [--tls] [flags]
       wcdb cluster down [--dir DIR] [--wipe]
       wcdb cluster status [--dir DIR]
       wcdb cluster remove --node I [--dir DIR] [--force]

commands (a local cluster: node I listens on 127.0.0.I with the default
ports, its data and log in DIR/nodeI; DIR is ./wcdb-cluster unless given):
  up       start N nodes (at most 9), node 1 first, each once the one
           before serves CQL; with --dcs 2, odd nodes are in dc1 and even
           ones in dc2 (wcdb cluster up -h for flags); the nodes share the
           machine's cores: each runs with GOMAXPROCS = cores / N, rounded
           up (unless GOMAXPROCS is set); --tls secures the cluster:
           certificates and a gossip key made in DIR/tls (wcdb tls gen),
           TLS for clients, mutual TLS between nodes, encrypted gossip
           (cqlsh-lite --ssl --cqlshrc DIR/tls/cqlshrc connects)
  down     stop the nodes (SIGTERM, SIGKILL after --timeout); the data
           stays unless --wipe
  status   each node's process and CQL port, and the ring as a running
           node sees it (wcdb admin status)
  remove   decommission node I: it streams its ranges to the nodes taking
           them over and leaves; its process exits and its data is deleted

Growing and shrinking: up --nodes N on a running cluster of fewer nodes
starts the missing ones one at a time, each fetching the data of the
ranges it takes before it serves (a progress bar shows the streams);
remove --node I shrinks it (node1, every node's seed, stays).
`

// cluster runs wcdb cluster up|down|status|remove.
func cluster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	switch args[0] {
	case "up":
		return clusterUp(args[1:], stdout, stderr)
	case "down":
		return clusterDown(args[1:], stdout, stderr)
	case "status":
		return clusterStatus(args[1:], stdout, stderr)
	case "remove":
		return clusterRemove(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, clusterUsage)
		return 0
	}
	fmt.Fprintf(stderr, "wcdb: unknown cluster command %q\n\n%s", args[0], clusterUsage)
	return 2
}

// hideFlags makes fs's help leave out the named flags (knobs for tests).
func hideFlags(fs *flag.FlagSet, head string, hidden ...string) {
	fs.Usage = func() {
		shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		shown.SetOutput(fs.Output())
		fs.VisitAll(func(f *flag.Flag) {
			if !slices.Contains(hidden, f.Name) {
				shown.Var(f.Value, f.Name, f.Usage)
				shown.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		fmt.Fprint(fs.Output(), head)
		shown.PrintDefaults()
	}
}

func clusterUp(args []string, stdout, stderr io.Writer) int {
	o := localcluster.DefaultUpOptions()
	fs := flag.NewFlagSet("wcdb cluster up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Nodes, "nodes", 0, "how many nodes (1-9); node I listens on 127.0.0.I")
	fs.IntVar(&o.DCs, "dcs", o.DCs, "datacenters: 1 (all nodes in datacenter1) or 2 (odd nodes in dc1, even nodes in dc2)")
	fs.StringVar(&o.Dir, "dir", o.Dir, "the cluster's directory: DIR/nodeI holds node I's data, log and pid file")
	fs.IntVar(&o.NumTokens, "num-tokens", o.NumTokens, "vnode tokens per node")
	fs.StringVar(&o.Binary, "binary", "", "the wcdb binary the nodes run (default: this one)")
	fs.DurationVar(&o.Wait, "wait", o.Wait, "how long each node may take to serve CQL")
	// Hidden: tests run clusters beside the default ports and 127.0.0.1.
	fs.IntVar(&o.CQLPort, "cql-port", o.CQLPort, "CQL port of every node")
	fs.IntVar(&o.GossipPort, "gossip-port", o.GossipPort, "gossip port of every node")
	fs.IntVar(&o.InternodePort, "internode-port", o.InternodePort, "internode port of every node")
	fs.StringVar(&o.FirstAddress, "first-address", o.FirstAddress, "node 1's address; the others follow it")
	fs.BoolVar(&o.TLS, "tls", false, "client TLS, internode mutual TLS and gossip encryption, with certificates and a key made in DIR/tls")
	hideFlags(fs, "usage: wcdb cluster up --nodes N [flags]\n", "cql-port", "gossip-port", "internode-port", "first-address")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	return clusterExit(localcluster.Up(o, clusterAdmin{stderr}, stdout), stderr)
}

func clusterDown(args []string, stdout, stderr io.Writer) int {
	o := localcluster.DownOptions{}
	fs := flag.NewFlagSet("wcdb cluster down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Dir, "dir", localcluster.DefaultDir, "the cluster's directory")
	fs.BoolVar(&o.Wipe, "wipe", false, "delete the cluster's directory (data, logs) once the nodes are stopped")
	fs.DurationVar(&o.Timeout, "timeout", localcluster.DefaultStopTimeout, "how long the nodes may take to stop (flushing memtables) before they are killed")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	return clusterExit(localcluster.Down(o, stdout, stderr), stderr)
}

func clusterStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb cluster status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", localcluster.DefaultDir, "the cluster's directory")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	return clusterExit(localcluster.Status(*dir, clusterAdmin{stderr}, stdout, stderr), stderr)
}

// clusterRemove decommissions node I of a local cluster: it hands its
// ranges over and leaves, its process exits, and its data is deleted;
// cluster up --nodes N starts it again as a new node.
func clusterRemove(args []string, stdout, stderr io.Writer) int {
	o := localcluster.RemoveOptions{}
	fs := flag.NewFlagSet("wcdb cluster remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Dir, "dir", localcluster.DefaultDir, "the cluster's directory")
	fs.IntVar(&o.Node, "node", 0, "the node to decommission (I of nodeI)")
	fs.BoolVar(&o.Force, "force", false, "decommission even if fewer live nodes than a keyspace's replication factor remain")
	fs.DurationVar(&o.Wait, "wait", 30*time.Second, "how long the node's process may take to exit once it has left")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	return clusterExit(localcluster.Remove(o, clusterAdmin{stderr}, stdout, stderr), stderr)
}

// exitCode is a failure already reported, with the status to exit with.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// clusterExit reports err, one "wcdb:" line per joined error, and returns
// the exit status: 2 for a usage error.
func clusterExit(err error, stderr io.Writer) int {
	var code exitCode
	var usage *localcluster.UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &usage):
		printErrors(stderr, err)
		return 2
	}
	printErrors(stderr, err)
	return 1
}

func printErrors(w io.Writer, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			printErrors(w, e)
		}
		return
	}
	fmt.Fprintln(w, "wcdb:", err)
}

// clusterAdmin is the admin client of the cluster commands (wcdb admin's,
// in process).
type clusterAdmin struct{ stderr io.Writer }

func (clusterAdmin) Ring(ctx context.Context, addr string) (string, error) {
	b, err := adminCall(ctx, addr, []string{"status"})
	var ring server.AdminStatus
	if err == nil {
		err = json.Unmarshal(b, &ring)
	}
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := writeStatus(&buf, &ring); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func (clusterAdmin) Receiving(ctx context.Context, addr string) (localcluster.Streams, error) {
	raw, err := adminCall(ctx, addr, []string{"netstats"})
	if err != nil {
		return localcluster.Streams{}, err
	}
	var ns server.AdminNetstats
	if err := json.Unmarshal(raw, &ns); err != nil {
		return localcluster.Streams{}, err
	}
	s := localcluster.Streams{Mode: ns.Mode, Sessions: len(ns.Sessions)}
	for _, ss := range ns.Sessions {
		if ss.Direction != streaming.Receiving {
			continue
		}
		s.Files += ss.FilesTotal
		s.FilesDone += ss.FilesDone
		s.Bytes += ss.BytesTotal
		s.BytesDone += ss.BytesDone
		s.BytesStreamed += ss.BytesStreamed
		if ss.State == streaming.Running {
			s.Running++
			s.Rate += ss.Rate
		}
	}
	return s, nil
}

func (a clusterAdmin) Decommission(addr string, force bool, out io.Writer) error {
	args := []string{"--host", addr}
	if force {
		args = append(args, "--force")
	}
	if code := adminDecommissionCmd(args, out, a.stderr); code != 0 {
		return exitCode(code)
	}
	return nil
}
