// Package redisdb is the YCSB driver for Redis, over go-redis.
//
// A record is a hash at its key (HSET key field0 v0 ...), as in YCSB's
// Redis binding. For scans, every inserted key is also a member of a
// sorted set, Index ("_indices", the binding's name), with score 0; a scan
// reads up to n members from the key on in byte order (ZRANGE _indices
// [key + BYLEX LIMIT 0 n) and then their hashes. Differences from YCSB's
// binding, both in Redis's favour or neutral: the binding scores members
// by Java's String.hashCode of the key and ranges by score, an order that
// is neither the keys' nor PostgreSQL's; ordering by the key bytes makes
// Redis's scans cover the same records as PostgreSQL's. And an insert's
// HSET and ZADD go in one pipelined round trip, a scan's HGETALLs in
// another, where the binding makes a round trip per command.
//
// A read of a missing key (an empty HGETALL) fails as not found. Updates
// and inserts are upserts. The client neither retries nor pipelines across
// workers: a pool of one connection per worker.
package redisdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"wcdb/bench/ycsb"
)

// Index is the sorted set of all keys, for scans.
const Index = "_indices"

// Config is how to reach the server.
type Config struct {
	Addr     string
	Password string
	// DB is the logical database (SELECT n).
	DB int
	// PoolSize is the number of connections: one per worker.
	PoolSize int
	// Fresh deletes the keys listed in Index, and Index, before the run;
	// nothing else in the database is touched.
	Fresh bool
}

// DefaultConfig returns the defaults: 127.0.0.1:6379, database 0.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:6379", PoolSize: 8}
}

// DB is a go-redis client shared by the workers.
type DB struct {
	cfg Config
	rdb *redis.Client
}

// Open connects (and empties the benchmark's keys if cfg.Fresh).
func Open(ctx context.Context, cfg Config) (*DB, error) {
	rdb := redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB,
		PoolSize:         max(cfg.PoolSize, 1),
		MaxRetries:       -1, // count failures; do not hide them
		PipelinePoolSize: -1, // pipelines share the one pool
		DisableIdentity:  true,
	})
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redisdb: connect %s: %w", cfg.Addr, err)
	}
	db := &DB{cfg: cfg, rdb: rdb}
	if cfg.Fresh {
		if err := db.empty(ctx); err != nil {
			rdb.Close()
			return nil, err
		}
	}
	return db, nil
}

// empty deletes the indexed keys, a batch at a time, then the index.
func (db *DB) empty(ctx context.Context) error {
	for {
		keys, err := db.rdb.ZRange(ctx, Index, 0, 9999).Result()
		if err != nil {
			return fmt.Errorf("redisdb: empty: %w", err)
		}
		if len(keys) == 0 {
			return nil
		}
		members := make([]any, len(keys))
		for i, k := range keys {
			members[i] = k
		}
		if _, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, keys...)
			p.ZRem(ctx, Index, members...)
			return nil
		}); err != nil {
			return fmt.Errorf("redisdb: empty: %w", err)
		}
	}
}

// Facts reports the server's version and persistence settings.
func (db *DB) Facts(ctx context.Context) map[string]string {
	f := map[string]string{"driver": "go-redis (no retries; insert and scan pipelined)"}
	if info, err := db.rdb.Info(ctx, "server").Result(); err == nil {
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				f["redis_version"] = v
			}
		}
	}
	for _, k := range []string{"appendonly", "appendfsync", "save", "maxmemory", "io-threads"} {
		if m, err := db.rdb.ConfigGet(ctx, k).Result(); err == nil {
			if v, ok := m[k]; ok {
				f[k] = v
			}
		}
	}
	return f
}

// Client returns a client on the shared pool.
func (db *DB) Client(context.Context) (ycsb.Client, error) { return &client{rdb: db.rdb}, nil }

// Close closes the pool.
func (db *DB) Close() error { return db.rdb.Close() }

type client struct {
	rdb  *redis.Client
	args []any
}

func (c *client) Insert(ctx context.Context, key string, fields []ycsb.Field) error {
	c.args = c.args[:0]
	for _, f := range fields {
		c.args = append(c.args, f.Name, f.Value)
	}
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, c.args...)
		p.ZAdd(ctx, Index, redis.Z{Member: key})
		return nil
	})
	return wrap(err)
}

func (c *client) Read(ctx context.Context, key string) error {
	m, err := c.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return wrap(err)
	}
	if len(m) == 0 {
		return fmt.Errorf("%w: %s", ycsb.ErrNotFound, key)
	}
	return nil
}

func (c *client) Update(ctx context.Context, key string, fields []ycsb.Field) error {
	c.args = c.args[:0]
	for _, f := range fields {
		c.args = append(c.args, f.Name, f.Value)
	}
	return wrap(c.rdb.HSet(ctx, key, c.args...).Err())
}

func (c *client) Scan(ctx context.Context, key string, n int) (int, error) {
	keys, err := c.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: Index, Start: "[" + key, Stop: "+", ByLex: true, Count: int64(n)}).Result()
	if err != nil || len(keys) == 0 {
		return 0, wrap(err)
	}
	cmds, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.HGetAll(ctx, k)
		}
		return nil
	})
	if err != nil {
		return 0, wrap(err)
	}
	rows := 0
	for _, cmd := range cmds {
		if m, err := cmd.(*redis.MapStringStringCmd).Result(); err == nil && len(m) > 0 {
			rows++
		}
	}
	return rows, nil
}

func (c *client) Close() error { return nil }

// wrap marks go-redis's errors with their ycsb kind: a pool timeout is a
// timeout; a closed client or a server still loading its data is
// unavailable. Network timeouts and refused connections are classified by
// ycsb.Classify.
func wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.ErrPoolTimeout):
		return fmt.Errorf("%w: %w", ycsb.ErrTimeout, err)
	case errors.Is(err, redis.ErrClosed), redis.IsLoadingError(err):
		return fmt.Errorf("%w: %w", ycsb.ErrUnavailable, err)
	}
	return err
}
