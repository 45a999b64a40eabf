package redisdb

import (
	"context"
	"os"
	"testing"
	"time"

	"wcdb/bench/ycsb/internal/ycsbtest"
)

// TestTimeline runs the timeline workload's checks against the Redis
// server at $WCDB_BENCH_REDIS_ADDR, in its logical database 9 (the keys
// under TimelinePrefix there are deleted first and after).
func TestTimeline(t *testing.T) {
	addr := os.Getenv("WCDB_BENCH_REDIS_ADDR")
	if addr == "" {
		t.Skip("WCDB_BENCH_REDIS_ADDR not set (e.g. 127.0.0.1:6379): no Redis to test against")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Addr = addr
	cfg.DB = 9
	cfg.PoolSize = 8
	cfg.Fresh = true
	db, err := OpenTimeline(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.empty(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	}()
	ycsbtest.RunTimeline(t, db, "redis")
}
