package mutation

import "testing"

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
