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

	"wcdb/bench/timeline"
	"wcdb/bench/ycsb/cqldb"
	"wcdb/bench/ycsb/pgdb"
	"wcdb/bench/ycsb/redisdb"
)

const benchTimelineUsage = `usage: wcdb bench timeline [flags]

Runs the timeline workload (a Twitter-like home timeline: a skewed follow
graph, posts fanned out to every follower's timeline partition, reads of
the newest posts) against wcdb or Cassandra (CQL), PostgreSQL or Redis.
Phases: load (timeline-follows, timeline-posts), timeline (the mix of
--post-proportion posts and timeline reads) and timeline-reads (reads as
fast as --threads workers go while --post-threads others post at
--post-rate/s). Measured as wcdb bench ycsb measures; --json FILE writes
the same result format.

`

// Timeline runs wcdb bench timeline with args (its flags) and returns the
// exit status.
func Timeline(args []string, stdout, stderr io.Writer) int {
	d := timeline.DefaultConfig()
	fs := flag.NewFlagSet("wcdb bench timeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchTimelineUsage)
		fs.PrintDefaults()
	}
	cfg := d
	dbName := fs.String("db", "wcdb", "database: wcdb or cassandra (CQL), postgres, redis")
	phases := fs.String("phases", strings.Join(d.Phases, ","), "phases in order: load, timeline, timeline-reads")
	fs.Int64Var(&cfg.Users, "users", d.Users, "users (without load: users already there)")
	fs.IntVar(&cfg.Follows, "follows", d.Follows, "users each user follows, drawn zipfian (a few users have most followers)")
	fs.Float64Var(&cfg.Skew, "skew", d.Skew, "zipfian exponent of the follow graph and of the readers")
	fs.Int64Var(&cfg.InitialPosts, "initial-posts", d.InitialPosts, "posts the load writes (authors uniform)")
	fs.IntVar(&cfg.BodyLength, "body-length", d.BodyLength, "bytes per post")
	fs.IntVar(&cfg.TimelineLimit, "timeline-limit", d.TimelineLimit, "newest posts a timeline read fetches")
	fs.Float64Var(&cfg.PostProportion, "post-proportion", d.PostProportion, "share of posts in the timeline phase")
	fs.Int64Var(&cfg.Operations, "operations", d.Operations, "operations per run phase (timeline-reads: reads; 0: until --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "cap on each run phase's time (0: none)")
	fs.IntVar(&cfg.Threads, "threads", d.Threads, "workers, each with its own client (timeline-reads: the readers)")
	fs.Float64Var(&cfg.Target, "target", 0, "intended ops/s of the timeline phase (0: as fast as possible)")
	fs.Float64Var(&cfg.PostRate, "post-rate", d.PostRate, "posts/s during timeline-reads (0: reads alone)")
	fs.IntVar(&cfg.PostThreads, "post-threads", d.PostThreads, "workers posting during timeline-reads")
	fs.DurationVar(&cfg.OpTimeout, "op-timeout", d.OpTimeout, "timeout of each operation (0: none)")
	fs.Uint64Var(&cfg.Seed, "seed", d.Seed, "random seed (the follow graph depends on it)")
	fresh := fs.Bool("fresh", false, "drop the tables (Redis: delete the keys under "+redisdb.TimelinePrefix+") before running")

	bf := addBenchFlags(fs, "replication factor of the keyspace when created")
	cd, pd, rd := &bf.cd, &bf.pd, &bf.rd
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
	db, settings, code, err := openDB(ctx, *dbName, openers[timeline.DB]{
		cql: func(ctx context.Context) (timeline.DB, map[string]string, error) {
			cd.Hosts, cd.Fresh = splitList(*bf.hosts), *fresh
			if cfg.OpTimeout > 0 {
				cd.Timeout = cfg.OpTimeout
			}
			c, err := cqldb.OpenTimeline(ctx, *cd)
			return c, map[string]string{
				"hosts": strings.Join(cd.Hosts, ","), "port": strconv.Itoa(cd.Port), "consistency": cd.Consistency,
				"rf": strconv.Itoa(cd.RF), "connections_per_host": strconv.Itoa(cd.Connections), "keyspace": cd.Keyspace,
				"post":     fmt.Sprintf("read the followers partition, then unlogged batches of %d (%d in flight)", cqldb.FanoutBatch, cqldb.FanoutParallel),
				"timeline": "SELECT ... FROM timeline WHERE user_id = ? LIMIT n (clustering order post_id DESC, TimeWindowCompactionStrategy)",
			}, err
		},
		postgres: func(ctx context.Context) (timeline.DB, map[string]string, error) {
			pd.Fresh = *fresh
			p, err := pgdb.OpenTimeline(ctx, *pd)
			if err != nil {
				return nil, nil, err
			}
			set := p.Settings()
			set["post"] = "one statement: INSERT INTO posts, INSERT INTO timeline SELECT ... FROM followers"
			set["timeline"] = "index (user_id, post_id DESC) range scan, LIMIT n"
			return p, set, nil
		},
		redis: func(ctx context.Context) (timeline.DB, map[string]string, error) {
			rd.PoolSize, rd.Fresh = cfg.Threads+cfg.PostThreads, *fresh
			r, err := redisdb.OpenTimeline(ctx, *rd)
			return r, map[string]string{
				"addr": rd.Addr, "db": strconv.Itoa(rd.DB), "pool": strconv.Itoa(rd.PoolSize),
				"post":     "SMEMBERS followers, then LPUSH to each timeline list (pipelined)",
				"timeline": "LRANGE 0 n-1 of the timeline list",
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

	res, runErr := timeline.Run(ctx, db, cfg)
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
