package hints

import (
	"context"
	"reflect"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// TestVersionsRoundTrip: a hint carries a cell's versions (cell_versions)
// and a column deletion, across a restart, as they were written.
func TestVersionsRoundTrip(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	s := mustOpen(t, opts)
	version := func(ts int64, v string) mutation.Cell {
		return mutation.Cell{Column: 1, Flags: mutation.CellVersion, Path: mutation.VersionPath(ts), Timestamp: ts,
			LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
	}
	row := mutation.NewRow([]byte("ck"))
	row.Cells = []mutation.Cell{
		{Column: 1, Flags: mutation.CellColumnDeletion, Timestamp: 2, LocalDeletionTime: 100},
		version(6, "six"), version(5, "five"), version(3, "three"),
		{Column: 2, Flags: mutation.CellVersion | mutation.CellExpiring, Path: mutation.VersionPath(4), Timestamp: 4, TTL: 60, LocalDeletionTime: 160, Value: []byte("brief")},
	}
	want := &mutation.Mutation{Table: mutation.TableID{7}, Partition: mutation.Partition{
		Key: mutation.Key{Token: 42, Bytes: []byte("k")}, Deletion: mutation.Live, Rows: []mutation.Row{row}}}
	if err := s.Add("n2", want); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	s = mustOpen(t, opts)
	defer mustClose(t, s)
	var got []*mutation.Mutation
	if _, err := s.Replay(context.Background(), "n2", func(_ context.Context, batch []*mutation.Mutation) error {
		got = append(got, batch...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0].Partition.Rows, want.Partition.Rows) {
		t.Fatalf("replayed %+v, want %+v", got, want)
	}
}
