package pgdb

// The timeline workload's driver (bench/timeline) for PostgreSQL.
//
// Tables (byte-order collation for the ids, as the records' table):
//
//	users     (user_id text PRIMARY KEY, name text)
//	followers (user_id text, follower text, PRIMARY KEY (user_id, follower))
//	posts     (author text, post_id bigint, body text, PRIMARY KEY (author, post_id))
//	timeline  (user_id text, post_id bigint, author text, body text)
//	          with a unique index on (user_id, post_id DESC)
//
// Post ids are bench/timeline's PostID, a bigint that orders as the
// timeuuids do on wcdb. A follow is one statement (the user's row and its
// followers rows, ON CONFLICT DO NOTHING: an upsert, as CQL's INSERT). A
// post is one statement too, the fan-out done by the server:
//
//	WITH p AS (INSERT INTO posts ...) INSERT INTO timeline SELECT follower, ... FROM followers WHERE user_id = $1
//
// and a timeline read is a range scan of the index:
//
//	SELECT post_id, author, body FROM timeline WHERE user_id = $1 ORDER BY post_id DESC LIMIT $2

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"wcdb/bench/timeline"
)

// TimelineDB is the timeline workload's database.
type TimelineDB struct{ db *DB }

var timelineSchema = []string{
	`CREATE TABLE IF NOT EXISTS users (user_id text COLLATE "C" PRIMARY KEY, name text)`,
	`CREATE TABLE IF NOT EXISTS followers (user_id text COLLATE "C", follower text COLLATE "C", PRIMARY KEY (user_id, follower))`,
	`CREATE TABLE IF NOT EXISTS posts (author text COLLATE "C", post_id bigint, body text, PRIMARY KEY (author, post_id))`,
	`CREATE TABLE IF NOT EXISTS timeline (user_id text COLLATE "C", post_id bigint, author text, body text)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS timeline_user_post ON timeline (user_id, post_id DESC)`,
}

const (
	tlFollow = `WITH u AS (INSERT INTO users (user_id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING)
INSERT INTO followers (user_id, follower) SELECT f, $1 FROM unnest($2::text[]) AS f ON CONFLICT DO NOTHING`
	tlPost = `WITH p AS (INSERT INTO posts (author, post_id, body) VALUES ($1, $2, $3))
INSERT INTO timeline (user_id, post_id, author, body) SELECT follower, $2, $1, $3 FROM followers WHERE user_id = $1`
	tlRead = `SELECT post_id, author, body FROM timeline WHERE user_id = $1 ORDER BY post_id DESC LIMIT $2`
)

// OpenTimeline connects and creates the tables if missing (cfg.Fresh:
// drops them first); cfg.Table and cfg.Fields are not used.
func OpenTimeline(ctx context.Context, cfg Config) (*TimelineDB, error) {
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgdb: dsn: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("pgdb: connect: %w", err)
	}
	stmts := timelineSchema
	if cfg.Fresh {
		stmts = append([]string{"DROP TABLE IF EXISTS users, followers, posts, timeline"}, stmts...)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("pgdb: %s: %w", s, err)
		}
	}
	return &TimelineDB{db: &DB{cfg: cfg, connCfg: cc, setup: conn}}, nil
}

// AfterLoad analyzes the tables, as after any bulk load: without
// statistics the planner may sort a bitmap scan's rows rather than read
// the index in order.
func (t *TimelineDB) AfterLoad(ctx context.Context) error {
	if _, err := t.db.setup.Exec(ctx, "ANALYZE users, followers, posts, timeline"); err != nil {
		return fmt.Errorf("pgdb: analyze: %w", err)
	}
	return nil
}

// Facts reports the server's version and durability settings.
func (t *TimelineDB) Facts(ctx context.Context) map[string]string {
	f := t.db.Facts(ctx)
	f["driver"] = "pgx (connection per worker, prepared statements; fan-out by INSERT ... SELECT on the server)"
	return f
}

// Settings describes where the benchmark connects, without the password.
func (t *TimelineDB) Settings() map[string]string {
	s := t.db.Settings()
	delete(s, "table")
	return s
}

// Client opens a connection for one worker.
func (t *TimelineDB) Client(ctx context.Context) (timeline.Client, error) {
	conn, err := pgx.ConnectConfig(ctx, t.db.connCfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: connect: %w", err)
	}
	return &timelineClient{c: client{db: t.db, conn: conn}}, nil
}

// Close closes the setup connection.
func (t *TimelineDB) Close() error { return t.db.Close() }

type timelineClient struct{ c client }

func (tc *timelineClient) Follow(ctx context.Context, user string, followees []string) error {
	if err := tc.c.ready(ctx); err != nil {
		return err
	}
	_, err := tc.c.conn.Exec(ctx, tlFollow, user, followees)
	return wrap(err)
}

func (tc *timelineClient) Post(ctx context.Context, author string, id timeline.PostID, body string) (int, error) {
	if err := tc.c.ready(ctx); err != nil {
		return 0, err
	}
	tag, err := tc.c.conn.Exec(ctx, tlPost, author, int64(id), body)
	if err != nil {
		return 0, wrap(err)
	}
	return int(tag.RowsAffected()), nil
}

func (tc *timelineClient) Timeline(ctx context.Context, user string, limit int) (int, timeline.PostID, error) {
	if err := tc.c.ready(ctx); err != nil {
		return 0, 0, err
	}
	rows, err := tc.c.conn.Query(ctx, tlRead, user, limit)
	if err != nil {
		return 0, 0, wrap(err)
	}
	var (
		id           int64
		author, body string
		n            int
		first        timeline.PostID
	)
	for rows.Next() {
		if err := rows.Scan(&id, &author, &body); err != nil {
			rows.Close()
			return n, first, wrap(err)
		}
		if n == 0 {
			first = timeline.PostID(id)
		}
		n++
	}
	rows.Close()
	return n, first, wrap(rows.Err())
}

func (tc *timelineClient) Close() error { return tc.c.Close() }
