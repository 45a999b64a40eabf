package pgdb

import (
	"context"
	"os"
	"testing"
	"time"

	"wcdb/bench/ycsb/internal/ycsbtest"
)

// TestWorkloads runs the load and every core workload against the
// PostgreSQL server at $WCDB_BENCH_PG_DSN, in a table of its own
// (ycsb_test, dropped first).
func TestWorkloads(t *testing.T) {
	dsn := os.Getenv("WCDB_BENCH_PG_DSN")
	if dsn == "" {
		t.Skip("WCDB_BENCH_PG_DSN not set (e.g. postgres://ycsb:ycsb@127.0.0.1:5432/ycsb): no PostgreSQL to test against")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := DefaultConfig()
	cfg.DSN = dsn
	cfg.Table = "ycsb_test"
	cfg.Fresh = true
	db, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := db.setup.Exec(context.Background(), "DROP TABLE ycsb_test"); err != nil {
			t.Error(err)
		}
		db.Close()
	}()
	res := ycsbtest.RunAll(t, db, "postgres")
	if res.DBFacts["synchronous_commit"] == "" {
		t.Errorf("got facts %v, want synchronous_commit", res.DBFacts)
	}
	var count int64
	if err := db.setup.QueryRow(ctx, "SELECT count(*) FROM ycsb_test").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if want := res.Phases[6].RecordsAfter; count != want {
		t.Errorf("got %d rows, want %d", count, want)
	}
	// Scans follow the keys' byte order.
	c, err := db.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.Scan(ctx, "user", 10); err != nil || n != 10 {
		t.Errorf("scan from \"user\": got %d rows, %v; want 10, nil", n, err)
	}
	if err := c.Read(ctx, "nosuchkey"); err == nil {
		t.Errorf("read of a missing key: got nil, want not found")
	}
}
