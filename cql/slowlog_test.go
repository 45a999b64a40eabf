package cql

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/testutil"
)

// TestRequestLogs: with a threshold every request passes, a query, an
// execution and a batch are logged at WARN with their statement and
// consistency level, no more than slowLogBurst a second; a schema change
// is logged at INFO; with the threshold off, nothing slow is logged.
func TestRequestLogs(t *testing.T) {
	var logs testutil.SyncBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.SlowQueryLogTimeout = time.Nanosecond
	srv, addr := startServer(t, cfg, realExecutor(t))
	var second atomic.Int64 // the frozen clock, unix seconds
	second.Store(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC).Unix())
	srv.slow.now = func() time.Time { return time.Unix(second.Load(), 0) }
	s, err := gocqlSession(t, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Query("INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'a')").Consistency(gocql.Quorum).Exec(); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("SELECT v FROM ks.t WHERE k = ?", 1).Exec(); err != nil { // prepared by gocql
		t.Fatal(err)
	}
	b := s.NewBatch(gocql.LoggedBatch)
	b.Query("INSERT INTO ks.t (k, c, v) VALUES (2, 1, 'b')")
	if err := s.ExecuteBatch(b); err != nil {
		t.Fatal(err)
	}
	if err := s.Query("CREATE TABLE ks.u (k int PRIMARY KEY)").Exec(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, w := range []string{
		`level=WARN msg="slow query (slow_query_log_timeout)"`,
		`statement="INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'a')" consistency=QUORUM`,
		`statement="SELECT v FROM ks.t WHERE k = ?"`,
		`statement="BATCH of 1 statements, the first: INSERT INTO ks.t (k, c, v) VALUES (2, 1, 'b')"`,
		`level=INFO msg="schema change" change=CREATED target=TABLE keyspace=ks name=u user="(no login)"`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("the log lacks %s:\n%s", w, out)
		}
	}
	// A burst within the same second: slowLogBurst lines in all; the next
	// second's first line counts those left out.
	for range 3 * slowLogBurst {
		s.Query("SELECT v FROM ks.t WHERE k = 1").Exec()
	}
	if n := strings.Count(logs.String(), "slow query"); n != slowLogBurst {
		t.Errorf("%d slow query lines in one second, want %d", n, slowLogBurst)
	}
	second.Add(1)
	s.Query("SELECT v FROM ks.t WHERE k = 1").Exec()
	if !strings.Contains(logs.String(), "slow_queries_not_logged=") {
		t.Errorf("the next second's line does not count the ones left out:\n%s", logs.String())
	}
}

// TestSlowLogOff: with no threshold, nothing is logged as slow.
func TestSlowLogOff(t *testing.T) {
	var logs testutil.SyncBuffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	_, addr := startServer(t, cfg, realExecutor(t))
	s, err := gocqlSession(t, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Query("SELECT v FROM ks.t WHERE k = 1").Exec(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "slow query") {
		t.Errorf("logged with no threshold:\n%s", logs.String())
	}
}
