package localnode

import (
	"bytes"
	"context"
	"fmt"
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
