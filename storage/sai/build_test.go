package sai

import (
	"encoding/binary"
	"testing"
	"time"

	"wcdb/memtable"
	"wcdb/mutation"
)

func applyRow(t *testing.T, s *Set, m *memtable.Memtable, p int, v string) {
	t.Helper()
	kb := binary.BigEndian.AppendUint32(nil, uint32(p))
	r := mutation.NewRow([]byte{1})
	r.Liveness = mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}
	r.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
	mu := &mutation.Mutation{Partition: mutation.Partition{Key: mutation.Key{Token: int64(p), Bytes: kb}, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
	v2, err := mutation.DecodeView(mutation.AppendMutation(nil, mu))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(&v2); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(m, &v2); err != nil {
		t.Fatal(err)
	}
}

func colIndex(name string, gate <-chan struct{}) Def {
	return Def{Name: name, Target: name, Terms: func(_ []byte, r *mutation.Row, emit func([]byte)) {
		if gate != nil {
			<-gate
		}
		for i := range r.Cells {
			if r.Cells[i].Column == 1 {
				emit(r.Cells[i].Value)
			}
		}
	}}
}

// TestSearchWhileIndexingMemtable searches a new index while CREATE INDEX
// is still indexing a memtable's existing rows (the memtable already has
// an index of another one): the search must still find them.
func TestSearchWhileIndexingMemtable(t *testing.T) {
	s := NewSet(Options{})
	defer s.Close()
	m := memtable.New()
	a := colIndex("a", nil)
	s.SetDefs([]Def{a}, []*memtable.Memtable{m})()
	for p := 0; p < 10; p++ {
		applyRow(t, s, m, p, "x")
	}
	gate := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.SetDefs([]Def{a, colIndex("b", gate)}, []*memtable.Memtable{m})()
	}()
	// Wait until b is defined (its memtable indexing blocked on gate).
	for deadline := time.Now().Add(5 * time.Second); (*s.defs.Load())["b"] == nil; {
		if time.Now().After(deadline) {
			t.Fatal("SetDefs did not define b")
		}
		time.Sleep(time.Millisecond)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(gate) // a search that indexes for itself needs Terms too
	}()
	hits, err := s.Search("b", Eq([]byte("x")), []*memtable.Memtable{m}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if len(hits) != 10 {
		t.Fatalf("search during CREATE INDEX found %d rows, want 10", len(hits))
	}
	if hits, _ := s.Search("b", Eq([]byte("x")), []*memtable.Memtable{m}, nil, nil, nil); len(hits) != 10 {
		t.Fatalf("search after CREATE INDEX found %d rows, want 10", len(hits))
	}
}
