package redisdb

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"wcdb/bench/ycsb"
	"wcdb/bench/ycsb/internal/ycsbtest"
)

// TestWorkloads runs the load and every core workload against the Redis
// server at $WCDB_BENCH_REDIS_ADDR, in its logical database 9 (the
// benchmark's keys there are deleted first and after).
func TestWorkloads(t *testing.T) {
	addr := os.Getenv("WCDB_BENCH_REDIS_ADDR")
	if addr == "" {
		t.Skip("WCDB_BENCH_REDIS_ADDR not set (e.g. 127.0.0.1:6379): no Redis to test against")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.Addr = addr
	cfg.DB = 9
	cfg.PoolSize = 4
	cfg.Fresh = true
	db, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.empty(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	}()
	res := ycsbtest.RunAll(t, db, "redis")
	if res.DBFacts["appendfsync"] == "" {
		t.Errorf("got facts %v, want appendfsync", res.DBFacts)
	}
	n, err := db.rdb.ZCard(ctx, Index).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := res.Phases[6].RecordsAfter; n != want {
		t.Errorf("got %d indexed keys, want %d", n, want)
	}
	c, _ := db.Client(ctx)
	if got, err := c.Scan(ctx, "user", 10); err != nil || got != 10 {
		t.Errorf("scan from \"user\": got %d rows, %v; want 10, nil", got, err)
	}
	if err := c.Read(ctx, "nosuchkey"); !errors.Is(err, ycsb.ErrNotFound) {
		t.Errorf("read of a missing key: got %v, want not found", err)
	}
}
