package sai

import (
	"encoding/binary"
	"testing"
	"time"

	"wcdb/internal/vfs"
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

// TestDroppedIndexWritesNoComponent drops an index while an SSTable is
// being written: the writer's observer, made before the drop, must not
// leave a component of the dropped index (nothing would remove it).
func TestDroppedIndexWritesNoComponent(t *testing.T) {
	fs := vfs.NewMem()
	if err := fs.MkdirAll("/t", 0o755); err != nil {
		t.Fatal(err)
	}
	s := NewSet(Options{FS: fs})
	defer s.Close()
	a, b := colIndex("a", nil), colIndex("b", nil)
	s.SetDefs([]Def{a, b}, nil)()
	o := s.Observe("/t/00000001.sst")
	key := mutation.Key{Token: 1, Bytes: []byte{1}}
	if err := o.StartPartition(key, []byte{0}); err != nil {
		t.Fatal(err)
	}
	s.SetDefs([]Def{a}, nil)() // DROP INDEX b
	if err := o.Finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(ComponentPath("/t/00000001.sst", "b")); err == nil {
		t.Fatalf("the dropped index's component was written")
	}
	if _, err := fs.Stat(ComponentPath("/t/00000001.sst", "a")); err != nil {
		t.Fatalf("the live index's component: %v", err)
	}
}

// TestBadIndexNameIgnored: a name that is not letters, digits and
// underscores (from an older schema, say) would put component files
// outside the table's directory; the set ignores such an index.
func TestBadIndexNameIgnored(t *testing.T) {
	s := NewSet(Options{})
	defer s.Close()
	s.SetDefs([]Def{colIndex("../x", nil), colIndex("ok_1", nil)}, nil)()
	if _, err := s.Search("../x", Eq([]byte("x")), nil, nil, nil, nil); err == nil {
		t.Fatal("the index named ../x was defined")
	}
	if _, err := s.Search("ok_1", Eq([]byte("x")), nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if o := s.Observe("/t/1.sst"); o == nil || len(o.(*fileObserver).defs) != 1 {
		t.Fatalf("observer of %v", o)
	}
}
