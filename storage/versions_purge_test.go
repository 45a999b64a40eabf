package storage

import (
	"slices"
	"testing"

	"wcdb/mutation"
)

// TestPurgeKeepsVersionRank: an expired version's tombstone past
// gc_grace stays while an older version of its cell stays in the row:
// the older one's rank counts it, and another SSTable may hold newer
// versions (which do not block the purge) that push the older one out of
// the newest N only together with it. The metamorphic config
// versions-short-gc-grace found this (seed 1796668932209114868).
func TestPurgeKeepsVersionRank(t *testing.T) {
	version := func(col uint32, ts int64, expired bool) mutation.Cell {
		c := mutation.Cell{Column: col, Flags: mutation.CellVersion, Path: mutation.VersionPath(ts), Timestamp: ts,
			LocalDeletionTime: mutation.NoDeletionTime, Value: []byte{byte(ts)}}
		if expired {
			c.Flags, c.Value, c.LocalDeletionTime = mutation.CellVersion|mutation.CellTombstone, nil, 10
		}
		return c
	}
	all := func(mutation.Deletion) bool { return true }
	for _, c := range []struct {
		name  string
		cells []mutation.Cell
		want  []int64
	}{
		{"older version stays", []mutation.Cell{version(1, 9, true), version(1, 5, false)}, []int64{9, 5}},
		{"only older tombstones", []mutation.Cell{version(1, 9, true), version(1, 7, true)}, nil},
		{"newer live, no older", []mutation.Cell{version(1, 12, false), version(1, 9, true)}, []int64{12}},
		{"older in another column", []mutation.Cell{version(1, 9, true), version(2, 5, false)}, []int64{5}},
		{"tombstone between", []mutation.Cell{version(1, 9, true), version(1, 7, true), version(1, 3, false)}, []int64{9, 7, 3}},
	} {
		r := mutation.NewRow([]byte{1})
		r.Cells = slices.Clone(c.cells)
		purgeRow(&r, 100, all)
		var got []int64
		for _, cell := range r.Cells {
			got = append(got, cell.Timestamp)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: kept %v, want %v", c.name, got, c.want)
		}
	}
}
