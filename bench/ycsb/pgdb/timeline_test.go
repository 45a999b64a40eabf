package pgdb

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"wcdb/bench/ycsb/internal/ycsbtest"
)

// TestTimeline runs the timeline workload's checks against the PostgreSQL
// server at $WCDB_BENCH_PG_DSN, in a schema of its own (timeline_test,
// dropped before and after).
func TestTimeline(t *testing.T) {
	dsn := os.Getenv("WCDB_BENCH_PG_DSN")
	if dsn == "" {
		t.Skip("WCDB_BENCH_PG_DSN not set (e.g. postgres://ycsb:ycsb@127.0.0.1:5432/ycsb): no PostgreSQL to test against")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range []string{"DROP SCHEMA IF EXISTS timeline_test CASCADE", "CREATE SCHEMA timeline_test"} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA timeline_test CASCADE"); err != nil {
			t.Error(err)
		}
	}()
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	cfg := DefaultConfig()
	cfg.DSN = dsn + sep + "search_path=timeline_test"
	cfg.Fresh = true
	db, err := OpenTimeline(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ycsbtest.RunTimeline(t, db, "postgres")
	rows, err := conn.Query(ctx, "EXPLAIN SELECT post_id, author, body FROM timeline_test.timeline WHERE user_id = 'u1' ORDER BY post_id DESC LIMIT 50")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if plan := strings.Join(lines, "\n"); !strings.Contains(plan, "Limit") || !strings.Contains(plan, "timeline_user_post") {
		t.Errorf("timeline read plan:\n%s\nwant a limit over the index timeline_user_post", plan)
	}
}
