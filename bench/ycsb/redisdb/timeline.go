package redisdb

// The timeline workload's driver (bench/timeline) for Redis.
//
// Keys, all under the prefix TimelinePrefix:
//
//	tl:user:U       hash, the user (name)
//	tl:followers:U  set of U's followers
//	tl:posts:U      list of U's posts, newest first
//	tl:timeline:U   list of U's timeline, newest first
//
// A list entry is "post id|author|body" (the id decimal). A follow is one
// pipelined round trip (HSET, then a SADD per followee); a post reads the
// author's followers (SMEMBERS) and pushes the entry onto the author's
// posts and each follower's timeline in one pipeline (LPUSH); a timeline
// read is LRANGE 0 n-1. Lists are not trimmed: every database keeps every
// post. Posts pushed concurrently may land in a timeline slightly out of
// id order; a reader sees them newest-pushed first.

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"wcdb/bench/timeline"
)

// TimelinePrefix starts every key of the timeline workload.
const TimelinePrefix = "tl:"

// TimelineDB is the timeline workload's database: a go-redis pool.
type TimelineDB struct{ db *DB }

// OpenTimeline connects (cfg.Fresh: deletes every key under
// TimelinePrefix first).
func OpenTimeline(ctx context.Context, cfg Config) (*TimelineDB, error) {
	fresh := cfg.Fresh
	cfg.Fresh = false // Open's Fresh empties the records' keys, not these
	db, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t := &TimelineDB{db: db}
	if fresh {
		if err := t.empty(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return t, nil
}

// empty deletes the keys under TimelinePrefix, a SCAN batch at a time.
func (t *TimelineDB) empty(ctx context.Context) error {
	var cursor uint64
	for {
		keys, next, err := t.db.rdb.Scan(ctx, cursor, TimelinePrefix+"*", 1000).Result()
		if err != nil {
			return fmt.Errorf("redisdb: empty: %w", err)
		}
		if len(keys) > 0 {
			if err := t.db.rdb.Unlink(ctx, keys...).Err(); err != nil {
				return fmt.Errorf("redisdb: empty: %w", err)
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// Facts reports the server's version and persistence settings.
func (t *TimelineDB) Facts(ctx context.Context) map[string]string {
	f := t.db.Facts(ctx)
	f["driver"] = "go-redis (no retries; follows and fan-out pipelined)"
	return f
}

// Client returns a client on the shared pool.
func (t *TimelineDB) Client(context.Context) (timeline.Client, error) {
	return &timelineClient{rdb: t.db.rdb}, nil
}

// Close closes the pool.
func (t *TimelineDB) Close() error { return t.db.Close() }

type timelineClient struct {
	rdb *redis.Client
	sb  strings.Builder
}

func (c *timelineClient) Follow(ctx context.Context, user string, followees []string) error {
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, TimelinePrefix+"user:"+user, "name", user)
		for _, f := range followees {
			p.SAdd(ctx, TimelinePrefix+"followers:"+f, user)
		}
		return nil
	})
	return wrap(err)
}

func (c *timelineClient) Post(ctx context.Context, author string, id timeline.PostID, body string) (int, error) {
	followers, err := c.rdb.SMembers(ctx, TimelinePrefix+"followers:"+author).Result()
	if err != nil {
		return 0, wrap(err)
	}
	c.sb.Reset()
	c.sb.WriteString(strconv.FormatInt(int64(id), 10))
	c.sb.WriteByte('|')
	c.sb.WriteString(author)
	c.sb.WriteByte('|')
	c.sb.WriteString(body)
	entry := c.sb.String()
	_, err = c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, TimelinePrefix+"posts:"+author, entry)
		for _, f := range followers {
			p.LPush(ctx, TimelinePrefix+"timeline:"+f, entry)
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	return len(followers), nil
}

func (c *timelineClient) Timeline(ctx context.Context, user string, limit int) (int, timeline.PostID, error) {
	entries, err := c.rdb.LRange(ctx, TimelinePrefix+"timeline:"+user, 0, int64(limit-1)).Result()
	if err != nil || len(entries) == 0 {
		return 0, 0, wrap(err)
	}
	idText, _, _ := strings.Cut(entries[0], "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return len(entries), 0, fmt.Errorf("redisdb: timeline entry %q: %w", entries[0], err)
	}
	return len(entries), timeline.PostID(id), nil
}

func (c *timelineClient) Close() error { return nil }
