package cas

import (
	"testing"

	"wcdb/mutation"
)

// TestStamp checks the timestamps of a transaction's update, as Paxos
// gives them: ts for cells and row markers, ts-1 for every deletion.
func TestStamp(t *testing.T) {
	del := mutation.Deletion{Timestamp: 7, LocalDeletionTime: 1}
	row := mutation.Row{Clustering: []byte{1}, Liveness: mutation.Liveness{Timestamp: 7, ExpiresAt: mutation.NoDeletionTime}, Deletion: del,
		Cells: []mutation.Cell{
			{Column: 1, Flags: mutation.CellColumnDeletion, Timestamp: 6},
			{Column: 1, Path: []byte{1}, Timestamp: 7, Value: []byte{1}},
			{Column: 2, Flags: mutation.CellTombstone, Timestamp: 7},
		}}
	static := mutation.Row{Clustering: []byte{}, Liveness: mutation.NoLiveness, Deletion: mutation.Live,
		Cells: []mutation.Cell{{Column: 3, Timestamp: 7, Value: []byte{2}}}}
	m := mutation.Mutation{Partition: mutation.Partition{Deletion: del, Static: &static, Rows: []mutation.Row{row},
		RangeTombstones: []mutation.RangeTombstone{{Start: []byte{0}, End: []byte{1}, Deletion: del}}}}
	Stamp(&m, 100)
	p := m.Partition
	r := p.Rows[0]
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"partition deletion", p.Deletion.Timestamp, 99},
		{"range tombstone", p.RangeTombstones[0].Deletion.Timestamp, 99},
		{"row deletion", r.Deletion.Timestamp, 99},
		{"row marker", r.Liveness.Timestamp, 100},
		{"collection deletion", r.Cells[0].Timestamp, 99},
		{"element", r.Cells[1].Timestamp, 100},
		{"cell tombstone", r.Cells[2].Timestamp, 100},
		{"static cell", p.Static.Cells[0].Timestamp, 100},
	} {
		if c.got != c.want {
			t.Errorf("%s: got timestamp %d, want %d", c.what, c.got, c.want)
		}
	}
	if !p.Static.Liveness.IsEmpty() || !p.Static.Deletion.IsLive() {
		t.Errorf("static row: empty marker and live deletion became %+v %+v", p.Static.Liveness, p.Static.Deletion)
	}
}
