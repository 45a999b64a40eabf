package replication

import (
	"slices"
	"testing"

	"wcdb/mutation"
)

// TestVisibleAppliesVersions: replicas' raw answers reconciled may hold
// more versions than the table keeps; the coordinator ranks them before
// dropping the expired ones, which count. Replica a has the version at 8
// (expired: a tombstone at its path), b missed it and still has 5.
func TestVisibleAppliesVersions(t *testing.T) {
	version := func(ts int64) mutation.Cell {
		return mutation.Cell{Column: 1, Flags: mutation.CellVersion, Path: mutation.VersionPath(ts), Timestamp: ts,
			LocalDeletionTime: mutation.NoDeletionTime, Value: []byte{byte(ts)}}
	}
	expired := version(8)
	expired.Flags, expired.Value, expired.LocalDeletionTime = mutation.CellVersion|mutation.CellTombstone, nil, 50
	part := func(cells ...mutation.Cell) *mutation.Partition {
		r := mutation.NewRow([]byte{1})
		r.Cells = cells
		return &mutation.Partition{Key: mutation.Key{Bytes: []byte("k")}, Deletion: mutation.Live, Rows: []mutation.Row{r}}
	}
	merged := reconcile([]*mutation.Partition{part(expired, version(7), version(6)), part(version(7), version(6), version(5))}, false)
	versionsOf := func(p *mutation.Partition) []int64 {
		var ts []int64
		for _, c := range p.Rows[0].Cells {
			ts = append(ts, c.Timestamp)
		}
		return ts
	}
	if got := versionsOf(visible(merged, nil, 0, 100, mutation.VersionRule{MaxVersions: 3})); !slices.Equal(got, []int64{7, 6}) {
		t.Errorf("with max_versions 3: versions %v, want [7 6]", got)
	}
	if got := versionsOf(visible(merged, nil, 0, 100, mutation.VersionRule{})); !slices.Equal(got, []int64{7, 6, 5}) {
		t.Errorf("without a rule: versions %v, want [7 6 5]", got)
	}
}
