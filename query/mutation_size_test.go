package query

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
)

// TestOversizedMutation: with the node's defaults, a bound list of a
// million ints (8 MB as a value, a million cells, over the commit log's
// 16 MiB) is refused before it is expanded, for next to no memory; a
// quarter of it is written.
func TestOversizedMutation(t *testing.T) {
	h := newQH(t)
	h.x.cfg.Guardrails = DefaultGuardrails()
	h.x.cfg.Guardrails.CollectionSizeWarnThreshold = 0
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, l list<int>)"); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, v []byte) error {
		p, err := h.x.Prepare(h.s, q)
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One,
			Timestamp: mutation.NoTimestamp, Values: [][]byte{v}})
		return err
	}
	huge := intList(1 << 20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := exec("INSERT INTO t (k, l) VALUES (1, ?)", huge)
	runtime.ReadMemStats(&after)
	if kind, _ := ErrorKindOf(err); kind != KindInvalid || !strings.HasPrefix(err.Error(), "Rejected an oversized mutation (") {
		t.Fatalf("a million-element list: got %v, want Invalid: Rejected an oversized mutation", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%v; allocated %d KB for an %d KB value", err, allocated>>10, len(huge)>>10)
	if allocated > 1<<20 && !raceDetector {
		t.Errorf("refusing it allocated %d bytes, want it refused before expanding", allocated)
	}
	if err := exec("UPDATE t SET l = l + ? WHERE k = 2", huge); err == nil || !strings.Contains(err.Error(), "oversized mutation") {
		t.Errorf("appending it: %v", err)
	}
	if err := exec("INSERT INTO t (k, l) VALUES (3, ?)", intList(1<<18)); err != nil {
		t.Errorf("a quarter of it: %v", err)
	}
}
