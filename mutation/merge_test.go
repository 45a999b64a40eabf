package mutation

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// TestMergeHeadersIdempotent: a header merged with itself (a write applied
// twice, a hint replayed) is unchanged, so replicas' raw reads agree.
func TestMergeHeadersIdempotent(t *testing.T) {
	h := Header{Deletion: Deletion{Timestamp: 5, LocalDeletionTime: 1}, RangeTombstones: []RangeTombstone{
		{Start: []byte{1}, End: []byte{2}, Deletion: Deletion{Timestamp: 10, LocalDeletionTime: 2}},
		{Start: []byte{}, End: nil, Deletion: Deletion{Timestamp: 11, LocalDeletionTime: 3}},
	}}
	m := MergeHeaders(&h, &h)
	if len(m.RangeTombstones) != 2 {
		t.Fatalf("got %d range tombstones after merging a header with itself, want 2: %+v", len(m.RangeTombstones), m.RangeTombstones)
	}
	m2 := MergeHeaders(&m, &h)
	if len(m2.RangeTombstones) != 2 {
		t.Fatalf("got %d range tombstones after a third merge, want 2", len(m2.RangeTombstones))
	}
}

func TestVersionPathOrder(t *testing.T) {
	ts := []int64{math.MinInt64, -5, 0, 1, 1764583200000000, math.MaxInt64}
	for i := range ts {
		got, ok := VersionTimestamp(VersionPath(ts[i]))
		if !ok || got != ts[i] {
			t.Errorf("VersionTimestamp(VersionPath(%d)) = %d, %v", ts[i], got, ok)
		}
		if i > 0 && bytes.Compare(VersionPath(ts[i]), VersionPath(ts[i-1])) >= 0 {
			t.Errorf("path of %d does not sort before that of %d", ts[i], ts[i-1])
		}
	}
}

func TestApplyVersionsRanksPerColumn(t *testing.T) {
	v := func(col uint32, ts int64) Cell {
		return Cell{Column: col, Flags: CellVersion, Path: VersionPath(ts), Timestamp: ts, LocalDeletionTime: NoDeletionTime}
	}
	r := Row{Cells: []Cell{v(1, 9), v(1, 8), v(1, 7), {Column: 2, Timestamp: 1, LocalDeletionTime: NoDeletionTime}, v(3, 5), v(3, 4), v(3, 1)}}
	if !r.ApplyVersions(VersionRule{MaxVersions: 2, MaxAge: 3}, 6) {
		t.Fatal("nothing dropped")
	}
	var got []int64
	for _, c := range r.Cells {
		got = append(got, int64(c.Column)*100+c.Timestamp)
	}
	// Column 1 keeps its newest two; column 3 also loses what is older
	// than now-3; the plain cell of column 2 is left alone.
	if want := []int64{109, 108, 201, 305, 304}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNewestValueAndAsOf(t *testing.T) {
	v := func(ts int64) Cell {
		return Cell{Column: 1, Flags: CellVersion, Path: VersionPath(ts), Timestamp: ts, LocalDeletionTime: NoDeletionTime, Value: []byte{byte(ts)}}
	}
	plain := Cell{Column: 1, Timestamp: 4, LocalDeletionTime: NoDeletionTime, Value: []byte{4}}
	expired := v(9)
	expired.Flags |= CellTombstone
	// The plain cell (from before the table had versions) sorts first; the
	// newer of it and the newest live version is the value.
	for _, tc := range []struct {
		cells []Cell
		want  int
	}{
		{[]Cell{plain, v(7), v(3)}, 1},
		{[]Cell{plain, v(3)}, 0},
		{[]Cell{expired, v(7)}, 1},
		{[]Cell{plain}, 0},
		{[]Cell{expired}, -1},
		{nil, -1},
	} {
		if got := NewestValue(tc.cells); got != tc.want {
			t.Errorf("NewestValue(%+v) = %d, want %d", tc.cells, got, tc.want)
		}
	}
	r := Row{Liveness: Liveness{Timestamp: 8, ExpiresAt: NoDeletionTime}, Cells: []Cell{v(7), v(5), v(3)}}
	if !r.AsOf(5, 0) || len(r.Cells) != 2 || r.Cells[0].Timestamp != 5 || !r.Liveness.IsEmpty() {
		t.Errorf("AsOf(5): %+v, want versions 5 and 3, no marker", r)
	}
	if r.AsOf(2, 0) || len(r.Cells) != 0 {
		t.Errorf("AsOf(2): %+v, want nothing left", r)
	}
}
