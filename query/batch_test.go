package query

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
)

// singlePartitionBatch returns a protocol batch of n inserts into one
// partition of t (k int, c int, v int, PRIMARY KEY (k, c)).
func singlePartitionBatch(t testing.TB, h *qh, n int) []BatchEntry {
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (0, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]BatchEntry, n)
	for i := range entries {
		entries[i] = BatchEntry{Prepared: p, Values: [][]byte{int32Value(int32(i)), int32Value(int32(i))}}
	}
	return entries
}

// TestLargeSinglePartitionBatch replays an attack on the node: a batch of
// 50,000 inserts into one partition (which Cassandra accepts: its batch
// size thresholds leave single-partition batches alone) took CPU time
// quadratic in its statements (executor alone: 5k 1.2 s, 20k 10 s, 50k
// 57 s; through the node, 50k ran into WriteTimeout after 75 s). It must
// succeed within a request's deadline, in time linear in its size.
func TestLargeSinglePartitionBatch(t *testing.T) {
	sizes := []int{5000, 20000, 50000}
	took := make([]time.Duration, len(sizes))
	for i, n := range sizes {
		h := newQH(t)
		if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
			t.Fatal(err)
		}
		entries := singlePartitionBatch(t, h, n)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		_, err := h.x.Batch(ctx, h.s, ast.UnloggedBatch, entries, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
		took[i] = time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		if got, _ := h.rowsOf("SELECT count(*) FROM t WHERE k = 0", 0); got != "count\n"+strconv.Itoa(n)+"\n" {
			t.Fatalf("batch of %d: got\n%s", n, got)
		}
		t.Logf("single-partition batch of %d inserts: %v", n, took[i])
	}
	// Linear: 10x the statements, 10x the time; quadratic would be 100x.
	// The bound is generous for a loaded machine and the race detector.
	if ratio := float64(took[2]) / float64(took[0]); ratio > 35 {
		t.Errorf("50k statements took %.0fx the time of 5k (%v vs %v), want about 10x", ratio, took[2], took[0])
	}
}

// TestBatchStopsAtDeadline checks that a batch whose deadline passes while
// its statements are evaluated stops there, writing nothing.
func TestBatchStopsAtDeadline(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	entries := singlePartitionBatch(t, h, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.x.Batch(ctx, h.s, ast.UnloggedBatch, entries, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the context's error", err)
	}
	if got, _ := h.rowsOf("SELECT count(*) FROM t", 0); got != "count\n0\n" {
		t.Errorf("after a cancelled batch: got\n%s", got)
	}
}

// TestBatchMergesRowVersions checks that statements of a batch writing the
// same rows merge as reconciliation would, whatever their order.
func TestBatchMergesRowVersions(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, s int static, v int, w int, l set<int>, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	h.mustExec(`BEGIN BATCH
		INSERT INTO t (k, c, v) VALUES (1, 2, 10) USING TIMESTAMP 10;
		UPDATE t USING TIMESTAMP 20 SET w = 20, l = l + {1} WHERE k = 1 AND c = 2;
		DELETE FROM t USING TIMESTAMP 15 WHERE k = 1 AND c = 2;
		UPDATE t USING TIMESTAMP 30 SET l = l + {2, 3}, s = 1 WHERE k = 1 AND c = 2;
		UPDATE t USING TIMESTAMP 25 SET v = 25 WHERE k = 1 AND c = 1;
		UPDATE t USING TIMESTAMP 5 SET s = 2 WHERE k = 1;
		UPDATE t USING TIMESTAMP 26 SET v = 26 WHERE k = 1 AND c = 1;
		DELETE l[3] FROM t USING TIMESTAMP 31 WHERE k = 1 AND c = 2;
	APPLY BATCH`)
	want := "k | c | s | l | v | w\n1 | 1 | 1 | null | 26 | null\n1 | 2 | 1 | {1, 2} | null | 20\n"
	if got, _ := h.rowsOf("SELECT k, c, s, l, v, w FROM t", 0); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
