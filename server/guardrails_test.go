package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gocql/gocql"

	"wcdb/internal/testutil"
	"wcdb/query"
	"wcdb/replication"
)

// TestGuardrailsWired starts a node with small thresholds and checks that
// each guardrail setting reaches what applies it: batch size and
// collection size in the executor, tombstones in the replica's reads (the
// warning with the table's and key's names), large partitions in
// compaction (logged at WARN with keyspace, table and key).
func TestGuardrailsWired(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.CommitLog.Sync = "batch"
	cfg.BatchSizeWarnThreshold, cfg.BatchSizeFailThreshold = 1<<10, 2<<10
	cfg.TombstoneWarnThreshold, cfg.TombstoneFailureThreshold = 10, 50
	cfg.CollectionSizeWarnThreshold, cfg.CollectionSizeFailThreshold = 100, 1000
	cfg.CompactionLargePartitionWarningThreshold = 4 << 10
	var logs testutil.SyncBuffer
	n, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	x, s, ctx := n.Executor(), &query.Session{Keyspace: "ks"}, context.Background()
	run := func(q string) (*query.Result, error) { return x.Query(ctx, s, q, nil) }
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int, c int, v text, l list<int>, PRIMARY KEY (k, c))",
	} {
		if _, err := run(q); err != nil {
			t.Fatal(err)
		}
	}
	// Batch size: 1.5 KiB over two partitions warns, 3 KiB fails.
	v := strings.Repeat("v", 700)
	res, err := run(fmt.Sprintf("BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 1, '%s'); INSERT INTO t (k, c, v) VALUES (2, 1, '%s') APPLY BATCH", v, v))
	if err != nil || len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "Batch for [ks.t] is of size") {
		t.Errorf("1.5 KiB batch: %v, warnings %q", err, res.Warnings)
	}
	v = strings.Repeat("v", 1500)
	if _, err := run(fmt.Sprintf("BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 1, '%s'); INSERT INTO t (k, c, v) VALUES (2, 1, '%s') APPLY BATCH", v, v)); err == nil || err.Error() != "Batch too large" {
		t.Errorf("3 KiB batch: got %v, want Batch too large", err)
	}
	// Collection size: 13 elements (108 bytes) warn, 130 fail.
	res, err = run("INSERT INTO t (k, c, l) VALUES (3, 1, [1,2,3,4,5,6,7,8,9,10,11,12,13])")
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "collection l of size 108B") {
		t.Errorf("13-element list: %v, warnings %q", err, res.Warnings)
	}
	if _, err := run("INSERT INTO t (k, c, l) VALUES (3, 1, [" + strings.Repeat("1,", 129) + "1])"); err == nil || !strings.Contains(err.Error(), "failure threshold") {
		t.Errorf("130-element list: got %v, want the failure threshold", err)
	}
	// Tombstones: 20 deleted rows warn, 60 fail.
	for c := range 60 {
		if _, err := run(fmt.Sprintf("DELETE FROM t WHERE k = 4 AND c = %d", c)); err != nil {
			t.Fatal(err)
		}
		if c == 19 {
			res, err := run("SELECT * FROM t WHERE k = 4")
			if err != nil || len(res.Warnings) != 1 || res.Warnings[0] != "Read 0 live rows and 20 tombstone cells in ks.t, partition 4 (see tombstone_warn_threshold)" {
				t.Errorf("20 tombstones: %v, warnings %q", err, res.Warnings)
			}
		}
	}
	_, err = run("SELECT * FROM t WHERE k = 4")
	var rf *replication.ReadFailureError
	if !errors.As(err, &rf) {
		t.Errorf("60 tombstones: got %v, want ReadFailure", err)
	}
	// Through a driver: warnings with the result, ReadFailure as such.
	cs := connect(t, n, "ks")
	defer cs.Close()
	iter := cs.Query("INSERT INTO t (k, c, l) VALUES (6, 1, [1,2,3,4,5,6,7,8,9,10,11,12,13])").Iter()
	if w := iter.Warnings(); len(w) != 1 || !strings.Contains(w[0], "collection l of size 108B") {
		t.Errorf("gocql: collection warnings %q", w)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	for c := range 15 {
		if err := cs.Query("DELETE FROM t WHERE k = 7 AND c = ?", c).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	iter = cs.Query("SELECT * FROM t WHERE k = 7").Iter()
	if w := iter.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "Read 0 live rows and 15 tombstone cells in ks.t, partition 7") {
		t.Errorf("gocql: tombstone warnings %q", w)
	}
	if err := iter.Close(); err != nil {
		t.Fatal(err)
	}
	var rfe *gocql.RequestErrReadFailure
	if err := cs.Query("SELECT * FROM t WHERE k = 4").Exec(); !errors.As(err, &rfe) || rfe.NumFailures != 1 {
		t.Errorf("gocql: 60 tombstones: got %v (%T), want a ReadFailure", err, err)
	}
	// A large partition, compacted.
	for c := range 10 {
		if _, err := run(fmt.Sprintf("INSERT INTO t (k, c, v) VALUES (5, %d, '%s')", c, strings.Repeat("x", 1000))); err != nil {
			t.Fatal(err)
		}
	}
	tb := n.engine.Table(x.Catalog().Table("ks", "t").ID)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := run("INSERT INTO t (k, c, v) VALUES (5, 100, 'x')"); err != nil {
		t.Fatal(err)
	}
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	for _, want := range []string{
		"level=WARN msg=\"writing large partition ks/t:5 ",
		"keyspace=ks table=t key=5",
		"level=WARN msg=\"read over tombstone_warn_threshold\" read=\"ks.t, partition 4\"",
		"level=WARN msg=\"read aborted: too many tombstones",
		"level=ERROR msg=\"batch refused: over batch_size_fail_threshold\"",
		"level=WARN msg=\"Batch for [ks.t] is of size",
		"level=WARN msg=\"collection over collection_size_warn_threshold\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the log has no %q", want)
		}
	}
	if strings.Contains(got, "large partition ks/t:1 ") || strings.Contains(got, "large partition ks/t:4 ") {
		t.Errorf("small partitions reported large:\n%s", got)
	}
}
