package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"wcdb/bench/lwt"
	"wcdb/bench/ycsb/cqldb"
)

const benchLWTUsage = `usage: wcdb bench lwt [flags]

Measures lightweight transactions and counters beside plain writes against
wcdb or Cassandra (CQL), phase by phase: write (UPDATE at --consistency),
lwt (UPDATE ... IF v = ? on keys of each worker's own: uncontended
compare-and-sets), contention (the same, every worker on one key: most find
the value changed, CAS-NOT-APPLIED), counter (UPDATE ... SET c = c + 1).
Prints latency per operation type, throughput and the server's CPU per
operation; --json FILE writes everything.

`

// LWT runs wcdb bench lwt with args (its flags) and returns the exit
// status.
func LWT(args []string, stdout, stderr io.Writer) int {
	d := lwt.DefaultConfig()
	fs := flag.NewFlagSet("wcdb bench lwt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchLWTUsage)
		fs.PrintDefaults()
	}
	cfg := d
	phases := fs.String("phases", strings.Join(d.Phases, ","), "phases in order: write, lwt, contention, counter")
	fs.IntVar(&cfg.Threads, "threads", d.Threads, "workers of write, lwt and counter, each on keys of its own")
	fs.IntVar(&cfg.KeysPerThread, "keys", d.KeysPerThread, "keys per worker")
	fs.IntVar(&cfg.ContentionThreads, "contention-threads", d.ContentionThreads, "workers racing on the one key of the contention phase")
	fs.Int64Var(&cfg.Operations, "operations", d.Operations, "operations per phase (0: until --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "cap on each phase's time (0: none)")
	fs.StringVar(&cfg.Serial, "serial-consistency", d.Serial, "the Paxos level: SERIAL or LOCAL_SERIAL")
	fs.DurationVar(&cfg.OpTimeout, "op-timeout", d.OpTimeout, "timeout of each operation (0: none)")
	fs.Uint64Var(&cfg.Seed, "seed", d.Seed, "random seed")
	fresh := fs.Bool("fresh", false, "drop the tables before running")
	bf := addBenchFlags(fs, "replication factor of the keyspace when created")
	bf.cd.Keyspace, bf.cd.Consistency = "lwt", "QUORUM"
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	cfg.Phases = splitList(*phases)
	var err error
	cfg.ServerPIDs, cfg.Progress, err = bf.setup(stderr)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cd := bf.cd
	cd.Hosts, cd.Fresh = splitList(*bf.hosts), *fresh
	if cfg.OpTimeout > 0 {
		cd.Timeout = cfg.OpTimeout
	}
	openCtx, cancel := context.WithTimeout(ctx, time.Minute)
	s, err := cqldb.OpenSession(openCtx, cd, lwt.Tables(cfg.Phases), []string{"reg", "counts"})
	cancel()
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	defer s.Close()
	cfg.Label = *bf.label
	cfg.DBSettings = map[string]string{
		"hosts": strings.Join(cd.Hosts, ","), "port": strconv.Itoa(cd.Port), "consistency": cd.Consistency,
		"rf": strconv.Itoa(cd.RF), "connections_per_host": strconv.Itoa(cd.Connections), "keyspace": cd.Keyspace,
	}
	res, runErr := lwt.Run(ctx, s, cfg)
	if res == nil {
		fmt.Fprintln(stderr, "wcdb:", runErr)
		return 1
	}
	var failed int64
	for _, ph := range res.Phases {
		failed += ph.Failed
	}
	return finish(stdout, stderr, res, failed, runErr, *bf.json)
}
