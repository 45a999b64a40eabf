package merge

import (
	"testing"

	"wcdb/mutation"
)

func cell(col uint32, ts int64, v string) mutation.Cell {
	return mutation.Cell{Column: col, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
}

// versionedWrite is one statement's update of row "r" in a table whose
// column 2 and 3 keep versions.
func versionedWrite(ts int64, cells ...mutation.Cell) mutation.Mutation {
	pb := NewBuilder(mutation.Key{Bytes: []byte("k")})
	pb.Versioned = func(col uint32) bool { return col == 2 || col == 3 }
	r := pb.Row([]byte("r"))
	r.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	r.Cells = append(r.Cells, cells...)
	return pb.Finish(mutation.TableID{})
}

func TestBuilderVersions(t *testing.T) {
	del := mutation.Cell{Column: 3, Flags: mutation.CellTombstone, Timestamp: 5, LocalDeletionTime: 100}
	m := versionedWrite(5, cell(1, 5, "plain"), cell(2, 5, "v"), del)
	cells := m.Partition.Rows[0].Cells
	if len(cells) != 4 {
		t.Fatalf("got %d cells, want 4", len(cells))
	}
	if c := cells[0]; c.Flags != 0 || c.Path != nil {
		t.Errorf("an unversioned column's cell became %+v", c)
	}
	if c := cells[1]; !c.IsVersion() || string(c.Path) != string(mutation.VersionPath(5)) {
		t.Errorf("got %+v, want the version at 5", c)
	}
	if c := cells[2]; !c.IsColumnDeletion() || c.Timestamp != 5 || c.LocalDeletionTime != 100 {
		t.Errorf("got %+v, want a column deletion at 5", c)
	}
	if c := cells[3]; c.Flags != mutation.CellTombstone || c.Timestamp != 5 || c.Path != nil {
		t.Errorf("got %+v, want the tombstone at 5 kept (for a plain cell from before versions)", c)
	}
}

// TestBatchKeepsVersions: a batch's writes of one cell at different
// timestamps are versions, all kept; a deletion among them shadows the
// older ones only.
func TestBatchKeepsVersions(t *testing.T) {
	var bp Partition
	bp.M.Partition = mutation.Partition{Key: mutation.Key{Bytes: []byte("k")}, Deletion: mutation.Live}
	for _, m := range []mutation.Mutation{
		versionedWrite(7, cell(2, 7, "seven")),
		versionedWrite(3, cell(2, 3, "three")),
		versionedWrite(5, cell(2, 5, "five")),
	} {
		bp.Add(&m.Partition)
	}
	got := bp.Finish().Partition.Rows[0].Cells
	want := []string{"seven", "five", "three"}
	if len(got) != len(want) {
		t.Fatalf("got %d cells, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i].Value) != want[i] || !got[i].IsVersion() {
			t.Errorf("cell %d: got %+v, want version %q", i, got[i], want[i])
		}
	}

	var bp2 Partition
	bp2.M.Partition = mutation.Partition{Key: mutation.Key{Bytes: []byte("k")}, Deletion: mutation.Live}
	for _, m := range []mutation.Mutation{
		versionedWrite(7, cell(2, 7, "seven")),
		versionedWrite(3, cell(2, 3, "three")),
		versionedWrite(5, mutation.Cell{Column: 2, Flags: mutation.CellTombstone, Timestamp: 5, LocalDeletionTime: 9}),
	} {
		bp2.Add(&m.Partition)
	}
	got = bp2.Finish().Partition.Rows[0].Cells
	// The tombstone stays beside the column deletion: it deletes a plain
	// cell from before the table had versions.
	if len(got) != 3 || !got[0].IsColumnDeletion() || got[1].Flags != mutation.CellTombstone || got[1].Timestamp != 5 ||
		string(got[2].Value) != "seven" {
		t.Errorf("got %+v, want the column deletion and the tombstone at 5, and the version at 7", got)
	}
}
