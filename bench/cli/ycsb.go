package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"wcdb/bench/ycsb"
	"wcdb/bench/ycsb/cqldb"
	"wcdb/bench/ycsb/pgdb"
	"wcdb/bench/ycsb/redisdb"
	"wcdb/internal/vfs"
)

const benchYCSBUsage = `usage: wcdb bench ycsb [flags]

Runs YCSB's core workloads (load, a-f) against wcdb or Cassandra (CQL),
PostgreSQL or Redis over the network, and prints latency per operation type
(p50 ... max, from the intended start under --target), throughput and the
server's CPU time per operation. --json FILE writes everything, time series
included. Interrupting (Ctrl-C) stops the current phase and still reports.

`

// YCSB runs wcdb bench ycsb with args (its flags) and returns the exit
// status.
func YCSB(args []string, stdout, stderr io.Writer) int {
	d := ycsb.DefaultConfig()
	fs := flag.NewFlagSet("wcdb bench ycsb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchYCSBUsage)
		fs.PrintDefaults()
	}
	cfg := d
	dbName := fs.String("db", "wcdb", "database: wcdb or cassandra (CQL), postgres, redis")
	workloads := fs.String("workloads", strings.Join(d.Workloads, ","), "phases in order: load (first, if given) and a-f")
	fs.Int64Var(&cfg.Records, "records", d.Records, "records the load inserts (without load: records already there)")
	fs.Int64Var(&cfg.Operations, "operations", d.Operations, "operations per run phase (0: until --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "cap on each run phase's time (0: none)")
	fs.IntVar(&cfg.Threads, "threads", d.Threads, "workers, each with its own client")
	fs.Float64Var(&cfg.Target, "target", 0, "intended ops/s of the run phases over all workers (0: as fast as possible)")
	peakFrom := fs.String("peak-from", "", "set --target to --peak-fraction of the throughput this earlier --json result measured in the one workload run here")
	peakFraction := fs.Float64("peak-fraction", 0.8, "share of the --peak-from throughput to target")
	fs.Float64Var(&cfg.LoadTarget, "load-target", 0, "intended ops/s of the load (0: as fast as possible)")
	fs.IntVar(&cfg.Fields, "fields", d.Fields, "fields per record")
	fs.IntVar(&cfg.FieldLength, "field-length", d.FieldLength, "bytes per field")
	fs.IntVar(&cfg.MaxScanLength, "max-scan-length", d.MaxScanLength, "longest scan of workload e (lengths uniform from 1)")
	fs.DurationVar(&cfg.OpTimeout, "op-timeout", d.OpTimeout, "timeout of each operation (0: none)")
	fs.Uint64Var(&cfg.Seed, "seed", d.Seed, "random seed")
	fresh := fs.Bool("fresh", false, "drop the table (Redis: delete the indexed keys) before running")

	bf := addBenchFlags(fs, "replication factor of the ycsb keyspace when created")
	cd, pd, rd := &bf.cd, &bf.pd, &bf.rd
	fs.StringVar(&pd.Table, "table", pd.Table, "PostgreSQL: table")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	cfg.Workloads = splitList(*workloads)
	if *peakFrom != "" {
		t, err := peakTarget(*peakFrom, cfg.Workloads, *peakFraction)
		if err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 2
		}
		cfg.Target = t
	}
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
	db, settings, code, err := openDB(ctx, *dbName, openers[ycsb.DB]{
		cql: func(ctx context.Context) (ycsb.DB, map[string]string, error) {
			cd.Hosts, cd.Fields, cd.Fresh = splitList(*bf.hosts), cfg.Fields, *fresh
			if cfg.OpTimeout > 0 {
				cd.Timeout = cfg.OpTimeout
			}
			c, err := cqldb.Open(ctx, *cd)
			return c, map[string]string{
				"hosts": strings.Join(cd.Hosts, ","), "port": strconv.Itoa(cd.Port), "consistency": cd.Consistency,
				"rf": strconv.Itoa(cd.RF), "connections_per_host": strconv.Itoa(cd.Connections),
				"keyspace": cd.Keyspace, "table": cd.Table, "routing": "token-aware, round robin fallback",
				"scan": "token(y_id) >= token(?) LIMIT n",
			}, err
		},
		postgres: func(ctx context.Context) (ycsb.DB, map[string]string, error) {
			pd.Fields, pd.Fresh = cfg.Fields, *fresh
			p, err := pgdb.Open(ctx, *pd)
			if err != nil {
				return nil, nil, err
			}
			set := p.Settings()
			set["scan"] = "y_id >= $1 ORDER BY y_id LIMIT n"
			return p, set, nil
		},
		redis: func(ctx context.Context) (ycsb.DB, map[string]string, error) {
			rd.PoolSize, rd.Fresh = cfg.Threads, *fresh
			r, err := redisdb.Open(ctx, *rd)
			return r, map[string]string{
				"addr": rd.Addr, "db": strconv.Itoa(rd.DB), "pool": strconv.Itoa(rd.PoolSize),
				"scan": "ZRANGE " + redisdb.Index + " [key + BYLEX LIMIT 0 n, then HGETALL each (pipelined)",
			}, err
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return code
	}
	cfg.DBSettings = settings
	defer db.Close()
	cfg.DBName, cfg.Label = *dbName, *bf.label

	res, runErr := ycsb.Run(ctx, db, cfg)
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

// peakTarget returns fraction of the throughput the result in path
// measured in the single workload of workloads.
func peakTarget(path string, workloads []string, fraction float64) (float64, error) {
	if len(workloads) != 1 || workloads[0] == "load" {
		return 0, fmt.Errorf("--peak-from: run exactly one workload (a-f), not %q", workloads)
	}
	if fraction <= 0 || fraction > 1 {
		return 0, fmt.Errorf("--peak-fraction %v: want (0, 1]", fraction)
	}
	b, err := vfs.ReadFile(vfs.Default, path)
	if err != nil {
		return 0, fmt.Errorf("--peak-from: %w", err)
	}
	var res ycsb.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, fmt.Errorf("--peak-from %s: %w", path, err)
	}
	for _, ph := range res.Phases {
		if ph.Name == workloads[0] && ph.TargetOpsPerS == 0 && ph.ThroughputOpsPerS > 0 {
			return fraction * ph.ThroughputOpsPerS, nil
		}
	}
	return 0, fmt.Errorf("--peak-from %s: no unthrottled phase %q with a throughput", path, workloads[0])
}
