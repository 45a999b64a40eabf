// Command wcdb is the wcdb node and its tools.
//
//	wcdb                        run a node with the defaults (./wcdb-data, CQL on 127.0.0.1:9042)
//	wcdb server [flags]         run a node (--config FILE and overriding flags)
//	wcdb bench engine [flags]   benchmark the storage engine against Pebble
//	wcdb bench ycsb [flags]     YCSB workloads against wcdb, PostgreSQL or Redis
//	wcdb bench timeline [flags] the timeline (fan-out) workload against the same
//	wcdb bench lwt [flags]      lightweight transactions and counters beside plain writes
//	wcdb bench report FILE...   a Markdown report with charts from their results
//	wcdb cluster up|down|status a local cluster of nodes on 127.0.0.1, 127.0.0.2, ...
//	wcdb admin status|getendpoints  ask a node about the ring (as nodetool)
//	wcdb tls gen [flags]        a CA and certificates for client and internode TLS
//	wcdb sstable dump|verify|metadata FILE  read SSTable files offline (as sstabledump)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"wcdb/bench/engine"
	"wcdb/server"
)

const usage = `usage: wcdb [command] [flags]

commands:
  (none)         run a node with the defaults: data in ./wcdb-data, CQL on
                 127.0.0.1:9042
  server         run a node (wcdb server -h for flags; --config FILE reads
                 a YAML configuration, see deploy/wcdb.example.yaml)
  bench engine   run YCSB-shaped workloads in-process against the storage
                 engine and Pebble (wcdb bench engine -h for flags)
  bench ycsb     run YCSB's core workloads over the network against wcdb,
                 Cassandra, PostgreSQL or Redis (wcdb bench ycsb -h for flags)
  bench timeline run the timeline workload (posts fanned out to followers'
                 timelines, timeline reads) against the same databases
  bench lwt      lightweight transactions (uncontended and on one key) and
                 counter increments beside plain writes, over CQL
                 (wcdb bench lwt -h for flags)
  bench report   turn results (--json of the above) into a Markdown
                 report with PNG charts (wcdb bench report -h for flags)
  cluster up     start a local cluster: N nodes on 127.0.0.1 to 127.0.0.N
                 with the default ports (wcdb cluster -h)
  cluster down   stop it (--wipe also deletes its data)
  cluster status its nodes' processes and ports, and the ring
  admin status   the ring as a node sees it, as nodetool status
                 (--host HOST[:7000], --keyspace KS, --json)
  admin getendpoints KEYSPACE TABLE KEY
                 the replicas of a partition, as nodetool getendpoints
  tls gen        make a CA and node, client and admin certificates for
                 client and internode TLS, as PEM files in ./wcdb-tls
                 (wcdb tls -h)
  sstable dump|verify|metadata FILE
                 read SSTable files offline, as Cassandra's sstabledump,
                 sstableverify and sstablemetadata (wcdb sstable -h)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return serve(nil, stdout, stderr)
	}
	switch args[0] {
	case "bench":
		if len(args) >= 2 && args[1] == "ycsb" {
			return benchYCSB(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "timeline" {
			return benchTimeline(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "lwt" {
			return benchLWT(args[2:], stdout, stderr)
		}
		if len(args) >= 2 && args[1] == "report" {
			return benchReport(args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "engine" {
			fmt.Fprint(stderr, "usage: wcdb bench engine|ycsb|timeline|lwt|report [flags]\n")
			return 2
		}
		return benchEngine(args[2:], stdout, stderr)
	case "server":
		return serve(args[1:], stdout, stderr)
	case "cluster":
		return cluster(args[1:], stdout, stderr)
	case "admin":
		return admin(args[1:], stdout, stderr)
	case "tls":
		return tlsCmd(args[1:], stdout, stderr)
	case "sstable":
		return sstableCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "wcdb: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func benchEngine(args []string, stdout, stderr io.Writer) int {
	d := engine.DefaultConfig()
	fs := flag.NewFlagSet("wcdb bench engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := d
	fs.StringVar(&cfg.Dir, "dir", d.Dir, "directory in which a temporary data directory is made")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the data directory")
	engines := fs.String("engines", strings.Join(d.Engines, ","), "engines to run, in order (wcdb, pebble; wcdb-query is wcdb through the query layer's prepared statements)")
	workloads := fs.String("workloads", strings.Join(d.Workloads, ","), "workloads (load, a, b, c, slice); a, b, c imply load")
	fs.Int64Var(&cfg.Records, "records", d.Records, "records to load")
	fs.Int64Var(&cfg.Operations, "operations", d.Operations, "operations per run workload")
	fs.IntVar(&cfg.Threads, "threads", d.Threads, "concurrent workers")
	fs.DurationVar(&cfg.Duration, "duration", 0, "cap on each workload's time (0: none)")
	fs.IntVar(&cfg.SlicePartitions, "slice-partitions", d.SlicePartitions, "partitions of the slice workload")
	fs.IntVar(&cfg.SliceRows, "slice-rows", d.SliceRows, "rows per slice partition")
	fs.IntVar(&cfg.SliceLimit, "slice-limit", d.SliceLimit, "newest rows read per slice")
	fs.Int64Var(&cfg.CacheSize, "cache", d.CacheSize, "block cache bytes (both engines)")
	fs.Int64Var(&cfg.MemtableSize, "memtable", d.MemtableSize, "memtable bytes (both engines)")
	fs.IntVar(&cfg.BlockSize, "block-size", d.BlockSize, "SSTable block bytes (both engines)")
	fs.StringVar(&cfg.Compression, "compression", d.Compression, "SSTable block compression (both engines): snappy, lz4, zstd, deflate or none (pebble: snappy, zstd, none)")
	fs.StringVar(&cfg.Values, "values", d.Values, "field values (both engines): random (incompressible bytes) or text (words of a fixed vocabulary, compressible as real text; deterministic by -seed)")
	fs.Uint64Var(&cfg.Seed, "seed", d.Seed, "random seed")
	fs.Int64Var(&cfg.MemoryLimit, "memory-limit", 0, "Go soft memory limit in bytes for the run (0: memtable + cache + 256 MiB; negative: none)")
	fs.IntVar(&cfg.Rounds, "rounds", d.Rounds, "times each engine runs the workloads (order reversed every other round; the summary gives medians)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile taken when the run's live heap was largest (sampled every 100 ms) to this file")
	asJSON := fs.Bool("json", false, "print one JSON object per engine and workload on stdout (the table goes to stderr)")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	cfg.Engines = server.SplitList(*engines)
	cfg.Workloads = server.SplitList(*workloads)
	cfg.Progress = stderr
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		stop := peakHeapProfile(*memProfile, 100*time.Millisecond)
		defer stop()
	}
	rep, err := engine.Run(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	tableOut := stdout
	if *asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		tableOut = stderr
	}
	if err := rep.WriteTable(tableOut); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	for _, r := range rep.Results {
		if r.NotFound > 0 {
			fmt.Fprintf(stderr, "wcdb: %s %s: %d reads missed loaded data\n", r.Engine, r.Workload, r.NotFound)
			return 1
		}
	}
	return 0
}

// peakHeapProfile samples the live heap every period and, whenever it is
// the largest seen, writes a heap profile to path (replacing the last). The
// returned function stops the sampling.
func peakHeapProfile(path string, period time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		var peak uint64
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc <= peak {
				continue
			}
			peak = ms.HeapAlloc
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// parseFlags parses args with fs, which takes no positional arguments,
// and returns the exit status if the command should stop there.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if code, stop := parseFlagsArgs(fs, args); stop {
		return code, stop
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wcdb: unexpected arguments %q\n", fs.Args())
		return 2, true
	}
	return 0, false
}

// parseFlagsArgs is parseFlags for commands that take arguments after
// their flags (fs.Args).
func parseFlagsArgs(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}
