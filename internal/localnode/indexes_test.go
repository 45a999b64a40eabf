package localnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/storage/sai"
)

var xIndex = sai.Def{Name: "by_v", Target: "v", Terms: func(_ []byte, r *mutation.Row, emit func([]byte)) {
	for i := range r.Cells {
		if c := &r.Cells[i]; c.Column == 1 && !c.IsTombstone() {
			emit(c.Value)
		}
	}
}}

// TestReadIndexedPaging pages through an index read with small limits,
// cut at partition and row boundaries, with rows in memtables and
// SSTables: every matching row comes exactly once, in order.
func TestReadIndexedPaging(t *testing.T) {
	r := openReplica(t)
	tb := r.E.Table(tid)
	tb.SetIndexes([]sai.Def{xIndex})
	want, wantIn := 0, 0 // all, and with 2 <= c < 5
	for p := 0; p < 12; p++ {
		rows := make([]mutation.Row, 0, 6)
		for c := 0; c < 6; c++ {
			row := mutation.NewRow([]byte{byte(c)})
			row.Liveness = mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}
			v := "y"
			if (p+c)%3 != 0 {
				v = "x"
				want++
				if c >= 2 && c < 5 {
					wantIn++
				}
			}
			row.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
			rows = append(rows, row)
		}
		m := &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key(fmt.Sprint("p", p)), Deletion: mutation.Live, Rows: rows}}
		if err := r.Apply(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if p%4 == 3 {
			if err := tb.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, bounded := range []bool{false, true} {
		w := want
		cmd := replication.RangeCommand{Table: tid, Index: &replication.IndexQuery{Name: "by_v", Lo: []byte("x"), Hi: []byte("x")}}
		if bounded {
			w, cmd.Start, cmd.End = wantIn, []byte{2}, []byte{5}
		}
		checkIndexedPages(t, r, cmd, w)
	}
}

func checkIndexedPages(t *testing.T, r Replica, base replication.RangeCommand, want int) {
	t.Helper()
	for limit := 1; limit <= 8; limit++ {
		cmd := base
		cmd.Limit = limit
		seen := map[string]bool{}
		var last *replication.Position
		got := 0
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatalf("limit %d: no end after %d pages", limit, pages)
			}
			res, err := r.ReadRange(context.Background(), cmd)
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			for _, p := range res.Partitions {
				for _, row := range p.Rows {
					rows++
					id := fmt.Sprintf("%s/%d", p.Key.Bytes, row.Clustering[0])
					if base.Start != nil && (bytes.Compare(row.Clustering, base.Start) < 0 || bytes.Compare(row.Clustering, base.End) >= 0) {
						t.Fatalf("limit %d: row %s out of the clustering bounds", limit, id)
					}
					if seen[id] {
						t.Fatalf("limit %d: row %s returned twice", limit, id)
					}
					seen[id] = true
					pos := &replication.Position{Key: p.Key, Clustering: row.Clustering}
					if last != nil && comparePos(pos, last) <= 0 {
						t.Fatalf("limit %d: row %s out of order", limit, id)
					}
					last = pos
					if string(row.Cells[0].Value) == "x" {
						got++
					}
				}
			}
			if rows > limit {
				t.Fatalf("limit %d: a page of %d rows", limit, rows)
			}
			if res.Next == nil {
				break
			}
			cmd.After = res.Next
		}
		if got != want {
			t.Fatalf("limit %d: %d matching rows, want %d", limit, got, want)
		}
	}
}

func comparePos(a, b *replication.Position) int {
	if c := a.Key.Compare(b.Key); c != 0 {
		return c
	}
	return bytes.Compare(a.Clustering, b.Clustering)
}

// TestReadIndexedTombstoneGuardrails: an index read goes through the
// tombstones of the rows it reads as a range read does, and is held to
// tombstone_warn_threshold and tombstone_failure_threshold alike.
func TestReadIndexedTombstoneGuardrails(t *testing.T) {
	r := openReplica(t)
	r.Guardrails = &Guardrails{TombstoneWarnThreshold: 2, TombstoneFailureThreshold: 4}
	r.E.Table(tid).SetIndexes([]sai.Def{xIndex})
	put := func(c int, deleted bool) {
		row := mutation.NewRow([]byte{byte(c)})
		if deleted {
			row.Deletion = mutation.Deletion{Timestamp: 2, LocalDeletionTime: 1000}
		} else {
			row.Liveness = mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}
			row.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("x")}}
		}
		m := &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key("p"), Deletion: mutation.Live, Rows: []mutation.Row{row}}}
		if err := r.Apply(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	cmd := replication.RangeCommand{Table: tid, Index: &replication.IndexQuery{Name: "by_v", Lo: []byte("x"), Hi: []byte("x")}}
	for c := 0; c < 3; c++ {
		put(c, false)
		put(c, true)
	}
	ctx, w := replication.WithWarnings(context.Background())
	if _, err := r.ReadRange(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if got := w.List(); len(got) != 1 || !strings.Contains(got[0], "3 tombstone cells") {
		t.Errorf("warnings %q, want one for 3 tombstones", got)
	}
	for c := 3; c < 6; c++ {
		put(c, false)
		put(c, true)
	}
	if _, err := r.ReadRange(context.Background(), cmd); !errors.Is(err, replication.ErrTooManyTombstones) {
		t.Errorf("index read over 6 deleted rows: got %v, want ErrTooManyTombstones", err)
	}
	// Resuming inside the partition (the scan path) is held too.
	cmd.After = &replication.Position{Key: key("p"), Clustering: []byte{0}}
	if _, err := r.ReadRange(context.Background(), cmd); !errors.Is(err, replication.ErrTooManyTombstones) {
		t.Errorf("resumed index read over 5 deleted rows: got %v, want ErrTooManyTombstones", err)
	}
}
