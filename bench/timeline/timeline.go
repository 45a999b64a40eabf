// Package timeline is the benchmark of a Twitter-like home timeline, the
// use case a wide-column store is built for: users follow others, posting
// writes the post to its author's partition and fans it out to the
// timeline partition of each of the author's followers, and reading a
// timeline fetches its newest posts.
//
// The follow graph (Graph): Users users, each following Follows distinct
// others drawn from a zipfian of exponent Skew over the users, so that
// followers follow a power law: user 0 is followed by most users, user 100
// by a few percent, most users by few. Posts are by authors drawn
// uniformly (a post's fan-out is then Follows on average, the whole user
// base for user 0); the timelines read are drawn from a scrambled zipfian
// over the users (active readers are not the popular authors).
//
// Phases, in this order, each measured as bench/ycsb measures a core
// workload (histograms of latency from the intended start, time series,
// errors by kind, server CPU per operation):
//
//	timeline-follows  load: each user written with its follows (op FOLLOW, one per user)
//	timeline-posts    load: InitialPosts posts (op POST), as fast as they go
//	timeline          the mix: PostProportion posts, the rest timeline reads
//	                  of the newest TimelineLimit posts (op TIMELINE)
//	timeline-reads    timeline reads as fast as Threads workers go while
//	                  PostThreads others post at PostRate posts per second:
//	                  the databases' read throughput at equal post rates
//
// The load phases run with the load; "timeline" and "timeline-reads" run
// Operations operations (reads, in timeline-reads) or for Duration, as in
// bench/ycsb. A POST's rows are the timeline rows it wrote (its fan-out), a
// TIMELINE's the posts it read.
package timeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"wcdb/bench/ycsb"
)

// DB is a database under the timeline workload: it hands out a Client
// per worker.
type DB interface {
	Client(ctx context.Context) (Client, error)
	// Facts describes the database and its settings as they bear on the
	// figures (version, durability).
	Facts(ctx context.Context) map[string]string
	Close() error
}

// Client is one worker's connection. A Client is used by one goroutine
// at a time.
type Client interface {
	// Follow writes user and the user's follows: user follows each of
	// followees (user becomes one of their followers).
	Follow(ctx context.Context, user string, followees []string) error
	// Post writes a post to its author's posts and to the timeline of
	// each of the author's followers as the database has them, and
	// returns how many timeline rows it wrote.
	Post(ctx context.Context, author string, id PostID, body string) (int, error)
	// Timeline reads the newest limit posts of user's timeline, newest
	// first, and returns how many it read and the first one's id (zero
	// if none).
	Timeline(ctx context.Context, user string, limit int) (int, PostID, error)
	Close() error
}

// AfterLoader is a DB with work to do between the load and the run
// phases, unmeasured (PostgreSQL: ANALYZE, as after any bulk load, so
// that the planner knows the tables' sizes).
type AfterLoader interface {
	AfterLoad(ctx context.Context) error
}

// Phase names.
const (
	PhaseFollows = "timeline-follows"
	PhasePosts   = "timeline-posts"
	PhaseMix     = "timeline"
	PhaseReads   = "timeline-reads"
)

// Config is one run. Zero fields take DefaultConfig's values, except
// Operations and Duration (zero: none) and Target (zero: as fast as the
// workers go).
type Config struct {
	// DBName names the database in the result; DBSettings are the
	// driver's settings worth recording.
	DBName string
	// Label is ycsb.Settings.Label.
	Label      string
	DBSettings map[string]string

	// Phases are "load" (timeline-follows and timeline-posts), "timeline"
	// and "timeline-reads", run in this order.
	Phases []string

	Users        int64
	Follows      int
	Skew         float64
	InitialPosts int64
	BodyLength   int
	// TimelineLimit is how many posts a timeline read fetches.
	TimelineLimit int
	// PostProportion is the share of posts in the timeline phase.
	PostProportion float64

	// Operations is each run phase's operation count (timeline-reads:
	// its reads); Duration caps each run phase; one of them is needed.
	Operations int64
	Duration   time.Duration
	// Threads is the number of workers (timeline-reads: the readers).
	Threads int
	// Target is the timeline phase's intended rate; 0: none.
	Target float64
	// PostRate is timeline-reads' intended rate of posts, by PostThreads
	// workers of their own.
	PostRate    float64
	PostThreads int

	OpTimeout  time.Duration
	Seed       uint64
	ServerPIDs []int
	Progress   io.Writer
	Interval   time.Duration
	Clock      ycsb.Clock
}

// DefaultConfig returns the defaults: 10,000 users following 20 each, 3
// posts per user loaded, 140-byte posts, timelines of 50, 10% posts, 8
// workers, posts at 100/s beside the readers of timeline-reads.
func DefaultConfig() Config {
	return Config{
		Phases:         []string{"load", PhaseMix, PhaseReads},
		Users:          10_000,
		Follows:        20,
		Skew:           ycsb.ZipfianConstant,
		InitialPosts:   30_000,
		BodyLength:     140,
		TimelineLimit:  50,
		PostProportion: 0.1,
		Operations:     100_000,
		Threads:        8,
		PostRate:       100,
		PostThreads:    2,
		OpTimeout:      10 * time.Second,
		Seed:           1,
		Interval:       time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Phases) == 0 {
		c.Phases = d.Phases
	}
	if c.Users == 0 {
		c.Users = d.Users
	}
	if c.Follows == 0 {
		c.Follows = d.Follows
	}
	if c.Skew == 0 {
		c.Skew = d.Skew
	}
	if c.BodyLength == 0 {
		c.BodyLength = d.BodyLength
	}
	if c.TimelineLimit == 0 {
		c.TimelineLimit = d.TimelineLimit
	}
	if c.Threads == 0 {
		c.Threads = d.Threads
	}
	if c.PostThreads == 0 {
		c.PostThreads = d.PostThreads
	}
	if c.Interval == 0 {
		c.Interval = d.Interval
	}
	return c
}

// Validate reports settings that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Users < 2:
		return fmt.Errorf("timeline: users %d, want at least 2", c.Users)
	case c.Follows < 1 || int64(c.Follows) > c.Users/2:
		return fmt.Errorf("timeline: follows %d, want 1 to half the users (%d)", c.Follows, c.Users/2)
	case c.Skew <= 0:
		return fmt.Errorf("timeline: skew %v, want above 0", c.Skew)
	case c.InitialPosts < 0 || c.Operations < 0 || c.Duration < 0 || c.Target < 0 || c.PostRate < 0 || c.OpTimeout < 0:
		return errors.New("timeline: posts, operations, duration, rates and timeout must not be negative")
	case c.BodyLength < 1 || c.BodyLength > 64<<10:
		return fmt.Errorf("timeline: body length %d, want 1-65536", c.BodyLength)
	case c.TimelineLimit < 1:
		return fmt.Errorf("timeline: timeline limit %d, want at least 1", c.TimelineLimit)
	case c.PostProportion < 0 || c.PostProportion > 1:
		return fmt.Errorf("timeline: post proportion %v, want 0-1", c.PostProportion)
	case c.Threads < 1 || c.PostThreads < 1:
		return errors.New("timeline: threads and post threads must be at least 1")
	}
	last := -1
	for _, p := range c.Phases {
		i := slices.Index([]string{"load", PhaseMix, PhaseReads}, p)
		if i < 0 {
			return fmt.Errorf("timeline: unknown phase %q (want load, %s, %s)", p, PhaseMix, PhaseReads)
		}
		if i <= last {
			return fmt.Errorf("timeline: phases must be in the order load, %s, %s, each once", PhaseMix, PhaseReads)
		}
		last = i
		if p != "load" && c.Operations == 0 && c.Duration == 0 {
			return fmt.Errorf("timeline: phase %s needs operations or a duration", p)
		}
	}
	return nil
}

// Run runs the phases against db. If ctx ends, it returns the phases
// finished so far (the interrupted one included) with ctx's error.
func Run(ctx context.Context, db DB, cfg Config) (*ycsb.Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := NewGraph(cfg.Users, cfg.Follows, cfg.Skew, cfg.Seed)
	most, mean := g.FollowerStats()
	res := &ycsb.Result{
		Format:   ycsb.ResultFormat,
		Settings: settingsOf(cfg, most, mean),
		Machine:  ycsb.MachineFacts(),
		DBFacts:  db.Facts(ctx),
	}
	res.Started = time.Now().UTC()
	b := &bench{cfg: cfg, db: db, graph: g, body: bodySource(cfg.Seed)}
	ycfg := ycsb.Config{
		OpTimeout: cfg.OpTimeout, Seed: cfg.Seed, ServerPIDs: cfg.ServerPIDs,
		Progress: cfg.Progress, Interval: cfg.Interval, Clock: cfg.Clock,
	}
	var phases []ycsb.CustomPhase
	for _, p := range cfg.Phases {
		switch p {
		case "load":
			phases = append(phases, b.followsPhase(), b.postsPhase())
		case PhaseMix:
			phases = append(phases, b.mixPhase())
		case PhaseReads:
			phases = append(phases, b.readsPhase())
		}
	}
	var err error
	for i, p := range phases {
		if p.Name == PhasePosts && cfg.InitialPosts == 0 {
			continue
		}
		p.Index = i
		var ph ycsb.Phase
		ph, err = ycsb.RunCustom(ctx, ycfg, p)
		ph.RecordsBefore, ph.RecordsAfter = cfg.Users, cfg.Users
		res.Phases = append(res.Phases, ph)
		if err != nil {
			break
		}
		loaded := p.Name == PhasePosts || (p.Name == PhaseFollows && cfg.InitialPosts == 0)
		if al, ok := db.(AfterLoader); ok && loaded {
			if err = al.AfterLoad(ctx); err != nil {
				break
			}
		}
	}
	res.Finished = time.Now().UTC()
	return res, err
}

func settingsOf(c Config, most int64, mean float64) ycsb.Settings {
	from := "actual start (no target rate)"
	if c.Target > 0 || c.PostRate > 0 {
		from = "intended start where a rate is set (timeline with --target, the posts of timeline-reads), else the actual start"
	}
	phases := []string{}
	for _, p := range c.Phases {
		switch {
		case p == "load" && c.InitialPosts > 0:
			phases = append(phases, PhaseFollows, PhasePosts)
		case p == "load":
			phases = append(phases, PhaseFollows)
		default:
			phases = append(phases, p)
		}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return ycsb.Settings{
		DB: c.DBName, Label: c.Label, Driver: c.DBSettings, Workloads: phases, Records: c.Users,
		Operations: c.Operations, DurationS: c.Duration.Seconds(), Threads: c.Threads,
		TargetOpsPerS: c.Target, ZipfianConstant: c.Skew, OpTimeoutS: c.OpTimeout.Seconds(),
		Seed: c.Seed, ServerPIDs: c.ServerPIDs, IntervalS: c.Interval.Seconds(), LatencyFrom: from,
		Params: map[string]string{
			"workload":            "timeline",
			"users":               strconv.FormatInt(c.Users, 10),
			"follows_per_user":    strconv.Itoa(c.Follows),
			"follow_distribution": "zipfian over users, exponent " + f(c.Skew) + " (user 0 most followed)",
			"max_followers":       strconv.FormatInt(most, 10),
			"mean_followers":      f(mean),
			"initial_posts":       strconv.FormatInt(c.InitialPosts, 10),
			"author_distribution": "uniform",
			"reader_distribution": "scrambled zipfian, exponent " + f(c.Skew),
			"body_length":         strconv.Itoa(c.BodyLength),
			"timeline_limit":      strconv.Itoa(c.TimelineLimit),
			"post_proportion":     f(c.PostProportion),
			"post_rate":           f(c.PostRate),
			"post_threads":        strconv.Itoa(c.PostThreads),
		},
	}
}

type bench struct {
	cfg   Config
	db    DB
	graph *Graph
	ids   IDs
	body  string
}

// bodySource returns 64 KiB of printable bytes that post bodies are cut
// from.
func bodySource(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x706f7374))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(' ' + r.IntN(95))
	}
	return string(b)
}

// worker is one worker of any phase: do is its operation.
type worker struct {
	cl Client
	do func(ctx context.Context) ycsb.Outcome
}

func (w *worker) Do(ctx context.Context) ycsb.Outcome { return w.do(ctx) }
func (w *worker) Close() error                        { return w.cl.Close() }

// group returns a group of n workers whose operation mk makes from the
// worker's client and random source.
func (b *bench) group(n int, mk func(cl Client, r *rand.Rand) func(context.Context) ycsb.Outcome) ycsb.Group {
	return ycsb.Group{Threads: n, NewWorker: func(ctx context.Context, _ int, r *rand.Rand) (ycsb.Worker, error) {
		cl, err := b.db.Client(ctx)
		if err != nil {
			return nil, err
		}
		return &worker{cl: cl, do: mk(cl, r)}, nil
	}}
}

func (b *bench) post(ctx context.Context, cl Client, r *rand.Rand) ycsb.Outcome {
	author := UserName(r.Int64N(b.cfg.Users))
	off := r.IntN(len(b.body) - b.cfg.BodyLength + 1)
	n, err := cl.Post(ctx, author, b.ids.Next(), b.body[off:off+b.cfg.BodyLength])
	return ycsb.Outcome{Op: ycsb.OpPost, Rows: n, Err: err}
}

func (b *bench) read(ctx context.Context, cl Client, r *rand.Rand) ycsb.Outcome {
	user := UserName(Reader{b.graph}.Next(r))
	n, _, err := cl.Timeline(ctx, user, b.cfg.TimelineLimit)
	return ycsb.Outcome{Op: ycsb.OpTimeline, Rows: n, Err: err}
}

func (b *bench) followsPhase() ycsb.CustomPhase {
	var next atomic.Int64
	g := b.group(b.cfg.Threads, func(cl Client, _ *rand.Rand) func(context.Context) ycsb.Outcome {
		var names []string
		return func(ctx context.Context) ycsb.Outcome {
			u := next.Add(1) - 1
			if u >= b.cfg.Users {
				return ycsb.Outcome{Done: true}
			}
			names = names[:0]
			for _, f := range b.graph.Followees(u) {
				names = append(names, UserName(f))
			}
			err := cl.Follow(ctx, UserName(u), names)
			return ycsb.Outcome{Op: ycsb.OpFollow, Rows: len(names), Err: err}
		}
	})
	return ycsb.CustomPhase{Name: PhaseFollows, Workload: ycsb.Workload{Name: PhaseFollows, RequestDistribution: "sequential"}, Groups: []ycsb.Group{g}}
}

func (b *bench) postsPhase() ycsb.CustomPhase {
	g := b.group(b.cfg.Threads, func(cl Client, r *rand.Rand) func(context.Context) ycsb.Outcome {
		return func(ctx context.Context) ycsb.Outcome { return b.post(ctx, cl, r) }
	})
	g.Operations = b.cfg.InitialPosts
	return ycsb.CustomPhase{Name: PhasePosts, Workload: ycsb.Workload{Name: PhasePosts, RequestDistribution: ycsb.Uniform}, Groups: []ycsb.Group{g}}
}

func (b *bench) mixPhase() ycsb.CustomPhase {
	share := b.cfg.PostProportion
	g := b.group(b.cfg.Threads, func(cl Client, r *rand.Rand) func(context.Context) ycsb.Outcome {
		return func(ctx context.Context) ycsb.Outcome {
			if r.Float64() < share {
				return b.post(ctx, cl, r)
			}
			return b.read(ctx, cl, r)
		}
	})
	g.Operations, g.Target = b.cfg.Operations, b.cfg.Target
	return ycsb.CustomPhase{
		Name:     PhaseMix,
		Workload: ycsb.Workload{Name: PhaseMix, RequestDistribution: ycsb.Zipfian},
		Groups:   []ycsb.Group{g}, Duration: b.cfg.Duration,
	}
}

func (b *bench) readsPhase() ycsb.CustomPhase {
	readers := b.group(b.cfg.Threads, func(cl Client, r *rand.Rand) func(context.Context) ycsb.Outcome {
		return func(ctx context.Context) ycsb.Outcome { return b.read(ctx, cl, r) }
	})
	readers.Operations = b.cfg.Operations
	posters := b.group(b.cfg.PostThreads, func(cl Client, r *rand.Rand) func(context.Context) ycsb.Outcome {
		return func(ctx context.Context) ycsb.Outcome { return b.post(ctx, cl, r) }
	})
	posters.Target, posters.Background = b.cfg.PostRate, true
	groups := []ycsb.Group{readers}
	if b.cfg.PostRate > 0 {
		groups = append(groups, posters)
	}
	return ycsb.CustomPhase{
		Name:     PhaseReads,
		Workload: ycsb.Workload{Name: PhaseReads, RequestDistribution: ycsb.Zipfian},
		Groups:   groups, Duration: b.cfg.Duration,
	}
}
