package cqldb

// The timeline workload's driver (bench/timeline) for wcdb and Cassandra.
//
// Tables, in the keyspace of Config.Keyspace:
//
//	users     (user_id text PRIMARY KEY, name text)
//	followers (user_id text, follower text, PRIMARY KEY (user_id, follower))
//	posts     (author text, post_id timeuuid, body text, PRIMARY KEY (author, post_id))
//	          WITH CLUSTERING ORDER BY (post_id DESC)
//	timeline  (user_id text, post_id timeuuid, author text, body text, PRIMARY KEY (user_id, post_id))
//	          WITH CLUSTERING ORDER BY (post_id DESC)
//	          AND compaction = {'class': 'TimeWindowCompactionStrategy', 1-hour windows}
//
// A follow writes the user's row and one followers row per followee in an
// unlogged batch. A post reads the author's followers partition, then
// writes the post to posts and to each follower's timeline in unlogged
// batches of FanoutBatch statements, up to FanoutParallel batches in
// flight at once. A timeline read is SELECT ... WHERE user_id = ? LIMIT n,
// the partition's newest rows by its clustering order.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/gocql/gocql"

	"wcdb/bench/timeline"
)

// Fan-out batching of a post's timeline writes.
const (
	FanoutBatch    = 64
	FanoutParallel = 8
)

// TimelineDB is the timeline workload's database: a gocql session.
type TimelineDB struct {
	db       *DB
	clockSeq uint16
	node     [6]byte
}

// timelineTables are the tables' definitions, in creation order.
var timelineTables = []struct{ name, def string }{
	{"users", "(user_id text PRIMARY KEY, name text)"},
	{"followers", "(user_id text, follower text, PRIMARY KEY (user_id, follower))"},
	{"posts", "(author text, post_id timeuuid, body text, PRIMARY KEY (author, post_id)) WITH CLUSTERING ORDER BY (post_id DESC)"},
	{"timeline", "(user_id text, post_id timeuuid, author text, body text, PRIMARY KEY (user_id, post_id)) WITH CLUSTERING ORDER BY (post_id DESC)" +
		" AND compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'HOURS', 'compaction_window_size': '1'}"},
}

// OpenTimeline connects, creates the keyspace and the tables if missing
// (cfg.Fresh: drops the tables first); cfg.Table and cfg.Fields are not
// used.
func OpenTimeline(ctx context.Context, cfg Config) (*TimelineDB, error) {
	var tables, names []string
	for _, t := range timelineTables {
		tables = append(tables, "CREATE TABLE IF NOT EXISTS "+t.name+" "+t.def)
		names = append(names, t.name)
	}
	s, err := OpenSession(ctx, cfg, tables, names)
	if err != nil {
		return nil, err
	}
	t := &TimelineDB{db: &DB{cfg: cfg, session: s}}
	// A random clock sequence and node, as a version 1 UUID generator
	// picks them, keep this client's timeuuids apart from any other's.
	var b [8]byte
	rand.Read(b[:])
	t.clockSeq = binary.BigEndian.Uint16(b[:])
	copy(t.node[:], b[2:])
	t.node[0] |= 1 // multicast bit: not a real MAC address
	return t, nil
}

// Facts reports the server's version as system.local has it.
func (t *TimelineDB) Facts(ctx context.Context) map[string]string {
	f := t.db.Facts(ctx)
	f["driver"] = fmt.Sprintf("gocql (token-aware, prepared, no retries; fan-out in unlogged batches of %d, %d in flight)", FanoutBatch, FanoutParallel)
	return f
}

// Client returns a client on the shared session.
func (t *TimelineDB) Client(context.Context) (timeline.Client, error) {
	return &timelineClient{t: t, s: t.db.session}, nil
}

// Close closes the session.
func (t *TimelineDB) Close() error { return t.db.Close() }

type timelineClient struct {
	t         *TimelineDB
	s         *gocql.Session
	followers []string
}

const (
	insUser     = "INSERT INTO users (user_id, name) VALUES (?, ?)"
	insFollower = "INSERT INTO followers (user_id, follower) VALUES (?, ?)"
	selFollower = "SELECT follower FROM followers WHERE user_id = ?"
	insPost     = "INSERT INTO posts (author, post_id, body) VALUES (?, ?, ?)"
	insTimeline = "INSERT INTO timeline (user_id, post_id, author, body) VALUES (?, ?, ?, ?)"
	selTimeline = "SELECT post_id, author, body FROM timeline WHERE user_id = ? LIMIT ?"
)

func (c *timelineClient) Follow(ctx context.Context, user string, followees []string) error {
	b := c.s.NewBatch(gocql.UnloggedBatch).WithContext(ctx)
	b.Query(insUser, user, user)
	for _, f := range followees {
		b.Query(insFollower, f, user)
	}
	return wrap(c.s.ExecuteBatch(b))
}

func (c *timelineClient) Post(ctx context.Context, author string, id timeline.PostID, body string) (int, error) {
	it := c.s.Query(selFollower, author).WithContext(ctx).PageSize(5000).Iter()
	c.followers = c.followers[:0]
	var f string
	for it.Scan(&f) {
		c.followers = append(c.followers, f)
	}
	if err := it.Close(); err != nil {
		return 0, wrap(err)
	}
	uuid := gocql.UUID(id.TimeUUID(c.t.clockSeq, c.t.node))
	batch := func(ctx context.Context, followers []string, withPost bool) error {
		b := c.s.NewBatch(gocql.UnloggedBatch).WithContext(ctx)
		if withPost {
			b.Query(insPost, author, uuid, body)
		}
		for _, f := range followers {
			b.Query(insTimeline, f, uuid, author, body)
		}
		return wrap(c.s.ExecuteBatch(b))
	}
	fs := c.followers
	first := fs[:min(len(fs), FanoutBatch-1)]
	if len(first) == len(fs) {
		return len(fs), batch(ctx, fs, true)
	}
	// A large fan-out: batches in parallel, the post with the first.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fails error
		sem   = make(chan struct{}, FanoutParallel)
	)
	run := func(part []string, withPost bool) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := batch(ctx, part, withPost); err != nil {
				mu.Lock()
				fails = errors.Join(fails, err)
				mu.Unlock()
			}
		})
	}
	run(first, true)
	for rest := fs[len(first):]; len(rest) > 0; {
		n := min(len(rest), FanoutBatch)
		run(rest[:n], false)
		rest = rest[n:]
	}
	wg.Wait()
	if fails != nil {
		return 0, fails
	}
	return len(fs), nil
}

func (c *timelineClient) Timeline(ctx context.Context, user string, limit int) (int, timeline.PostID, error) {
	// A page larger than the limit: the rows come in one page.
	it := c.s.Query(selTimeline, user, limit).WithContext(ctx).PageSize(limit + 1).Iter()
	var (
		id           gocql.UUID
		author, body string
		n            int
		first        timeline.PostID
	)
	for it.Scan(&id, &author, &body) {
		if n == 0 {
			first = timeline.PostIDOfUUID(id)
		}
		n++
	}
	return n, first, wrap(it.Close())
}

func (c *timelineClient) Close() error { return nil }
