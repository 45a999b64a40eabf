package paging

import (
	"testing"

	"wcdb/mutation"
	"wcdb/query/qerr"
)

// FuzzPagingState: any bytes decode to a state that encodes back to them,
// or to a protocol error.
func FuzzPagingState(f *testing.F) {
	id := mutation.TableID{1}
	f.Add(Encode(id, State{Pos: Position{KeyIdx: 2, Key: []byte("k"), Clustering: []byte{3, 1}, InPart: 4}, LimitLeft: 7}))
	f.Add(Encode(id, State{Pos: Position{Key: []byte("k"), PartDone: true}, LimitLeft: -1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Decode(id, b)
		if err != nil {
			if e, ok := err.(*qerr.Error); !ok || e.Kind != qerr.KindProtocol {
				t.Fatalf("got %v", err)
			}
			return
		}
		again := Encode(id, st)
		if string(again) != string(b) {
			t.Fatalf("round trip: %x, want %x", again, b)
		}
	})
}
