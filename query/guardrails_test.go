package query

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"wcdb/internal/localnode"
	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
)

func bigText(n int) string { return strings.Repeat("x", n) }

// TestBatchSizeGuardrail: a batch over several partitions is warned of
// past batch_size_warn_threshold and refused past
// batch_size_fail_threshold, with Cassandra's messages; a batch of one
// partition (of one table or several) is exempt whatever its size.
func TestBatchSizeGuardrail(t *testing.T) {
	h := newQH(t)
	h.x.cfg.Guardrails = DefaultGuardrails()
	for _, s := range []string{"CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))", "CREATE TABLE t2 (k int PRIMARY KEY, v text)"} {
		if err := h.createTable(s); err != nil {
			t.Fatal(err)
		}
	}
	ins, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	ins2, err := h.x.Prepare(h.s, "INSERT INTO t2 (k, v) VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	row := func(p *Prepared, k int32, v string, c ...int32) BatchEntry {
		vals := [][]byte{int32Value(k)}
		for _, c := range c {
			vals = append(vals, int32Value(c))
		}
		return BatchEntry{Prepared: p, Values: append(vals, []byte(v))}
	}
	opts := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		entries []BatchEntry
		warn    string
		fail    bool
	}{
		{name: "small, two partitions", entries: []BatchEntry{row(ins, 1, "a", 1), row(ins, 2, "b", 1)}},
		{name: "6 KB, two partitions",
			entries: []BatchEntry{row(ins, 1, bigText(3000), 1), row(ins, 2, bigText(3000), 1)},
			// Per partition 28, its row 20 and 5 of clustering key (an
			// int, as encoded), the cell 16 and its 3000.
			warn: "Batch for [ks.t] is of size 6138, exceeding specified threshold of 5120 by 1018."},
		{name: "6 KB, two tables, two partitions",
			entries: []BatchEntry{row(ins, 1, bigText(3000), 1), row(ins2, 2, bigText(3000))},
			warn:    "Batch for [ks.t, ks.t2] is of size 6133, exceeding specified threshold of 5120 by 1013."},
		{name: "60 KB, two partitions", entries: []BatchEntry{row(ins, 1, bigText(30000), 1), row(ins, 2, bigText(30000), 1)}, fail: true},
		{name: "60 KB, one partition", entries: []BatchEntry{row(ins, 3, bigText(30000), 1), row(ins, 3, bigText(30000), 2)}},
		{name: "60 KB, one key of two tables", entries: []BatchEntry{row(ins, 4, bigText(30000), 1), row(ins2, 4, bigText(30000))}},
	} {
		res, err := h.x.Batch(ctx, h.s, ast.UnloggedBatch, tc.entries, opts)
		switch {
		case tc.fail:
			if kind, _ := ErrorKindOf(err); kind != KindInvalid || err.Error() != "Batch too large" {
				t.Errorf("%s: got %v, want Invalid: Batch too large", tc.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.warn == "" && res.Warnings != nil:
			t.Errorf("%s: warnings %q, want none", tc.name, res.Warnings)
		case tc.warn != "" && (len(res.Warnings) != 1 || res.Warnings[0] != tc.warn):
			t.Errorf("%s: warnings %q, want %q", tc.name, res.Warnings, tc.warn)
		}
	}
	// The refused batch wrote nothing.
	if got, _ := h.rowsOf("SELECT k, c FROM t WHERE k IN (1, 2) AND c = 1", 0); got != "k | c\n1 | 1\n2 | 1\n" {
		t.Errorf("got\n%s", got)
	}
	if got, _ := h.rowsOf("SELECT k, v FROM t WHERE k = 1 AND c = 1", 0); strings.Contains(got, bigText(30000)) {
		t.Errorf("the refused batch was written")
	}
	// A BEGIN BATCH statement is checked alike.
	_, err = h.x.Query(ctx, h.s, "BEGIN UNLOGGED BATCH INSERT INTO t (k, c, v) VALUES (7, 1, '"+bigText(30000)+
		"'); INSERT INTO t (k, c, v) VALUES (8, 1, '"+bigText(30000)+"') APPLY BATCH", opts)
	if err == nil || err.Error() != "Batch too large" {
		t.Errorf("BEGIN BATCH of 60 KB over two partitions: got %v, want Batch too large", err)
	}
}

// TestCollectionSizeGuardrail: a collection value written over
// collection_size_warn_threshold is warned of; over
// collection_size_fail_threshold it is refused, before it is expanded
// into cells (the 8 MB list that took the node to 566 MB costs next to
// nothing).
func TestCollectionSizeGuardrail(t *testing.T) {
	h := newQH(t)
	h.x.cfg.Guardrails = DefaultGuardrails()
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, l list<int>, f frozen<set<int>>)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exec := func(q string, v []byte) (*Result, error) {
		p, err := h.x.Prepare(h.s, q)
		if err != nil {
			t.Fatal(err)
		}
		return h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: [][]byte{v}})
	}
	big := intList(150_000) // 1.14 MiB
	const warn = "Guardrail collection_size violated: Detected collection l of size 1200004B, this exceeds the warning threshold of 1MiB."
	for _, q := range []string{"INSERT INTO t (k, l) VALUES (1, ?)", "UPDATE t SET l = l + ? WHERE k = 2", "UPDATE t SET l = ? + l WHERE k = 3"} {
		res, err := exec(q, big)
		if err != nil || len(res.Warnings) != 1 || res.Warnings[0] != warn {
			t.Errorf("%s: got %v, warnings %q; want %q", q, err, res.Warnings, warn)
		}
	}
	if res, err := exec("INSERT INTO t (k, l) VALUES (4, ?)", intList(1000)); err != nil || res.Warnings != nil {
		t.Errorf("a small list: got %v, warnings %q", err, res.Warnings)
	}
	h.x.cfg.Guardrails.CollectionSizeFailThreshold = 1 << 20
	huge := intList(1 << 20) // 8 MB
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := exec("INSERT INTO t (k, l) VALUES (5, ?)", huge)
	runtime.ReadMemStats(&after)
	if kind, _ := ErrorKindOf(err); kind != KindInvalid ||
		err.Error() != "Guardrail collection_size violated: Detected collection l of size 8388612B, this exceeds the failure threshold of 1MiB." {
		t.Errorf("8 MB list: got %v, want Invalid over the failure threshold", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("8 MB list<int> refused by collection_size_fail_threshold: allocated %d KB", allocated>>10)
	if allocated > 1<<20 && !raceDetector {
		t.Errorf("refusing an 8 MB list allocated %d bytes, want it refused before decoding", allocated)
	}
	if _, err := exec("INSERT INTO t (k, f) VALUES (6, ?)", intList(200_000)); err == nil ||
		!strings.Contains(err.Error(), "Detected collection f of size") {
		t.Errorf("a frozen set over the threshold: got %v", err)
	}
}

// TestTombstoneGuardrailReachesClient: a SELECT whose read goes through
// more tombstones than tombstone_warn_threshold returns its rows with the
// replica's warning; past tombstone_failure_threshold it fails with
// ReadFailure. Replays a table of deleted rows read whole.
func TestTombstoneGuardrailReachesClient(t *testing.T) {
	h := newQH(t)
	h.x.cfg.Coordinator = replication.NewLocal(localnode.Replica{E: h.e, Guardrails: &localnode.Guardrails{
		TombstoneWarnThreshold: 1000, TombstoneFailureThreshold: 5000}}, "datacenter1")
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	del, err := h.x.Prepare(h.s, "DELETE FROM t WHERE k = ? AND c = ?")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deleteRows := func(k int32, from, to int) {
		var entries []BatchEntry
		for c := from; c < to; c++ {
			entries = append(entries, BatchEntry{Prepared: del, Values: [][]byte{int32Value(k), int32Value(int32(c))}})
		}
		if _, err := h.x.Batch(ctx, h.s, ast.UnloggedBatch, entries, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.mustExec("INSERT INTO t (k, c, v) VALUES (1, 100000, 1)")
	deleteRows(1, 0, 1500)
	res, err := h.x.Query(ctx, h.s, "SELECT * FROM t WHERE k = 1", nil)
	if err != nil || len(res.Rows) != 1 || len(res.Warnings) != 1 ||
		!strings.HasPrefix(res.Warnings[0], "Read 1 live rows and 1500 tombstone cells in table ") {
		t.Fatalf("1500 tombstones: got %v, %d rows, warnings %q", err, len(res.Rows), res.Warnings)
	}
	t.Logf("warning: %s", res.Warnings[0])
	deleteRows(1, 1500, 6000)
	_, err = h.x.Query(ctx, h.s, "SELECT * FROM t WHERE k = 1", nil)
	var rf *replication.ReadFailureError
	if !errors.As(err, &rf) || !errors.Is(err, replication.ErrTooManyTombstones) {
		t.Fatalf("6000 tombstones: got %v, want ReadFailure", err)
	}
	t.Logf("error: %v", err)
	// A scan (an aggregate here) is limited alike.
	if _, err := h.x.Query(ctx, h.s, "SELECT count(*) FROM t", nil); !errors.As(err, &rf) {
		t.Errorf("count(*) over 6000 tombstones: got %v, want ReadFailure", err)
	}
}

// TestRequestLoopsHonourDeadline: a SELECT that reads page after page (an
// aggregate, a filtering scan, an IN over many partitions) and a write to
// many partitions stop when the request's context is done.
func TestRequestLoopsHonourDeadline(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	ins, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	var entries []BatchEntry
	for i := range 3000 {
		entries = append(entries, BatchEntry{Prepared: ins, Values: [][]byte{int32Value(int32(i % 30)), int32Value(int32(i)), int32Value(1)}})
	}
	if _, err := h.x.Batch(context.Background(), h.s, ast.UnloggedBatch, entries, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, q := range []string{
		"SELECT count(*) FROM t",
		"SELECT * FROM t WHERE v = 2 ALLOW FILTERING",
		"SELECT * FROM t WHERE k IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)",
		"SELECT * FROM t WHERE k IN (0, 1, 2) ORDER BY c DESC",
		"SELECT * FROM t WHERE k = 1",
		"UPDATE t SET v = 3 WHERE k IN (0, 1, 2, 3) AND c = 1",
	} {
		if _, err := h.x.Query(ctx, h.s, q, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with its request cancelled: got %v, want the context's error", q, err)
		}
	}
}
