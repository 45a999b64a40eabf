package mutation

import (
	"bytes"
	"flag"
	"math/rand"
	"testing"
)

var counterSeed = flag.Int64("counter-seed", 0, "seed of TestCounterMergeProperties (0: random)")

func cid(i byte) (id [CounterIDLen]byte) {
	id[CounterIDLen-1] = i
	return id
}

func ccell(ts int64, shards ...Shard) Cell {
	return Cell{Column: 1, Flags: CellCounter, Timestamp: ts, LocalDeletionTime: NoDeletionTime,
		Value: AppendCounterContext(nil, shards...)}
}

func total(t *testing.T, c *Cell) int64 {
	t.Helper()
	v, err := CounterTotal(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCounterContextEncoding(t *testing.T) {
	b := AppendCounterContext(nil, Shard{ID: cid(1), Clock: 3, Value: -2})
	id := cid(1)
	want := append([]byte{1}, id[:]...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe)
	if !bytes.Equal(b, want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1],
		AppendCounterContext(nil, Shard{ID: cid(2)}, Shard{ID: cid(1)}),
		AppendCounterContext(nil, Shard{ID: cid(1)}, Shard{ID: cid(1)})} {
		if _, err := CounterTotal(bad); err == nil {
			t.Errorf("CounterTotal(%x): no error", bad)
		}
	}
}

func TestReconcileCounters(t *testing.T) {
	a := ccell(10, Shard{ID: cid(1), Clock: 2, Value: 5}, Shard{ID: cid(2), Clock: 1, Value: 1})
	b := ccell(20, Shard{ID: cid(1), Clock: 1, Value: 3}, Shard{ID: cid(3), Clock: 4, Value: 10})
	m := Reconcile(&a, &b)
	if got := total(t, m); got != 16 {
		t.Errorf("merged total: got %d, want 16 (5+1+10)", got)
	}
	if m.Timestamp != 20 || m.Flags != CellCounter {
		t.Errorf("merged cell: ts %d flags %x, want 20 and counter", m.Timestamp, m.Flags)
	}
	if m2 := Reconcile(&b, &a); !cellsEqual(m, m2) {
		t.Errorf("not commutative: %+v vs %+v", m, m2)
	}
	if m3 := Reconcile(m, &a); m3 != m {
		t.Errorf("merging a merge with one of its parts should return it unchanged")
	}
	// Equal clocks: the greater value, whatever the order.
	x := ccell(1, Shard{ID: cid(1), Clock: 2, Value: 5})
	y := ccell(1, Shard{ID: cid(1), Clock: 2, Value: 7})
	if got := total(t, Reconcile(&x, &y)); got != 7 {
		t.Errorf("equal clocks: got %d, want 7", got)
	}
	// A tombstone wins whatever the timestamps.
	tb := tomb(1, 5, 100)
	if got := Reconcile(&b, &tb); got != &tb {
		t.Errorf("a later counter cell beat a tombstone: %+v", got)
	}
	if got := Reconcile(&tb, &b); got != &tb {
		t.Errorf("a later counter cell beat a tombstone: %+v", got)
	}
}

func cellsEqual(a, b *Cell) bool {
	return a.Column == b.Column && a.Flags == b.Flags && a.Timestamp == b.Timestamp &&
		a.LocalDeletionTime == b.LocalDeletionTime && bytes.Equal(a.Path, b.Path) && bytes.Equal(a.Value, b.Value)
}

// TestCounterMergeProperties: Reconcile on counter cells and tombstones is
// commutative, associative and idempotent, and MergeRows of rows of such
// cells gives the same bytes whatever the grouping.
func TestCounterMergeProperties(t *testing.T) {
	seed := *counterSeed
	if seed == 0 {
		seed = rand.Int63()
	}
	t.Logf("seed %d (-counter-seed to replay)", seed)
	rng := rand.New(rand.NewSource(seed))
	gen := func() Cell {
		if rng.Intn(8) == 0 {
			return tomb(1, int64(rng.Intn(30)), int64(rng.Intn(3)))
		}
		var shards []Shard
		for id := byte(0); id < 5; id++ {
			if rng.Intn(2) == 0 {
				clock := int64(rng.Intn(4))
				// A node's shard value is a function of its clock, except
				// for a few conflicting ones, which merge by value.
				v := int64(id)*100 + clock*7
				if rng.Intn(10) == 0 {
					v += int64(rng.Intn(3))
				}
				shards = append(shards, Shard{ID: cid(id), Clock: clock, Value: v})
			}
		}
		return ccell(int64(rng.Intn(30)), shards...)
	}
	for i := range 5000 {
		a, b, c := gen(), gen(), gen()
		ab := Reconcile(&a, &b)
		ba := Reconcile(&b, &a)
		if !cellsEqual(ab, ba) {
			t.Fatalf("case %d: not commutative:\n a %+v\n b %+v\n ab %+v\n ba %+v", i, a, b, ab, ba)
		}
		if aa := Reconcile(&a, &a); !cellsEqual(aa, &a) {
			t.Fatalf("case %d: not idempotent: %+v", i, aa)
		}
		if x := Reconcile(ab, &a); !cellsEqual(x, ab) {
			t.Fatalf("case %d: merging again changed the merge", i)
		}
		l := Reconcile(Reconcile(&a, &b), &c)
		r := Reconcile(&a, Reconcile(&b, &c))
		if !cellsEqual(l, r) {
			t.Fatalf("case %d: not associative:\n (ab)c %+v\n a(bc) %+v", i, l, r)
		}
		// Rows through MergeRows and the encoding.
		row := func(cs ...Cell) Row {
			r := NewRow([]byte{1})
			r.Cells = cs
			return r
		}
		var m1, m2, t1, t2 Row
		ra, rb, rc := row(a), row(b), row(c)
		MergeRows(&t1, &ra, &rb)
		MergeRows(&m1, &t1, &rc)
		MergeRows(&t2, &rb, &rc)
		MergeRows(&m2, &ra, &t2)
		e1, e2 := AppendRow(nil, &m1), AppendRow(nil, &m2)
		if !bytes.Equal(e1, e2) {
			t.Fatalf("case %d: row merges differ: %x vs %x", i, e1, e2)
		}
		var d Row
		if err := DecodeRow(e1, []byte{1}, &d); err != nil || len(d.Cells) != 1 || !cellsEqual(&d.Cells[0], l) {
			t.Fatalf("case %d: round trip: %v %+v, want %+v", i, err, d.Cells, l)
		}
	}
}

func TestCounterUpdateEncodes(t *testing.T) {
	r := NewRow([]byte{1})
	r.Cells = []Cell{CounterUpdateCell(3, 0, -7)}
	var d Row
	if err := DecodeRow(AppendRow(nil, &r), []byte{1}, &d); err != nil {
		t.Fatal(err)
	}
	if v, err := d.Cells[0].CounterDelta(); err != nil || v != -7 {
		t.Fatalf("delta: got %d %v, want -7", v, err)
	}
	m := Mutation{Partition: Partition{Deletion: Live, Rows: []Row{r}}}
	if !m.HasCounterUpdates() {
		t.Fatal("HasCounterUpdates: false, want true")
	}
}

func TestCounterUpdatesAddUp(t *testing.T) {
	a, b := CounterUpdateCell(1, 1, 5), CounterUpdateCell(1, 2, -2)
	if v, err := Reconcile(&a, &b).CounterDelta(); err != nil || v != 3 {
		t.Fatalf("got %d %v, want 3", v, err)
	}
}

// TestRowDeletionBeforeCounterMerge: a counter cell a row deletion shadows
// does not merge into a later one (its shards would escape the deletion
// under the later timestamp), whichever version holds the deletion.
func TestRowDeletionBeforeCounterMerge(t *testing.T) {
	old := NewRow([]byte{1})
	old.Cells = []Cell{ccell(10, Shard{ID: cid(1), Clock: 5, Value: 50})}
	upd := NewRow([]byte{1})
	upd.Deletion = Deletion{Timestamp: 20, LocalDeletionTime: 1}
	upd.Cells = []Cell{ccell(30, Shard{ID: cid(1), Clock: 1, Value: 1})}
	for _, order := range [][2]*Row{{&old, &upd}, {&upd, &old}} {
		var m Row
		MergeRows(&m, order[0], order[1])
		if len(m.Cells) != 1 || total(t, &m.Cells[0]) != 1 {
			t.Errorf("got %+v, want the later increment alone (1)", m.Cells)
		}
	}
}
