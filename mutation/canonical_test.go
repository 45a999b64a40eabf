package mutation

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// The canonical form: whatever grouping, order and number of applications
// brought writes together, merging them gives the same bytes. Replicas
// digest those bytes, so any difference is a needless read repair.

// TestShadowedCellTombstoneMergedTwice is the case that broke digests: a
// row deletion at 10 and a cell tombstone at 5 in one row. Merged with
// itself the tombstone (shadowed) went away; stored once it stayed.
func TestShadowedCellTombstoneMergedTwice(t *testing.T) {
	r := NewRow([]byte("c"))
	r.Deletion = Deletion{Timestamp: 10, LocalDeletionTime: 100}
	r.Cells = []Cell{tomb(1, 5, 100)}
	if !r.Shadows(Live) {
		t.Fatal("Shadows(Live) = false for a row holding a cell tombstone its row deletion shadows")
	}
	canon := r
	canon.Cells = slices.Clone(r.Cells)
	canon.Shadow(Live)
	if len(canon.Cells) != 0 || canon.Deletion != r.Deletion {
		t.Fatalf("canonical form: got %+v, want the row deletion alone", canon)
	}
	if canon.Shadows(Live) {
		t.Fatal("Shadows(Live) = true for a canonical row")
	}
	want := AppendRow(nil, &canon)
	var once, twice Row
	MergeRows(&once, &r, &r)
	MergeRows(&twice, &once, &r)
	for name, got := range map[string]*Row{"merged with itself": &once, "merged again": &twice} {
		if enc := AppendRow(nil, got); !bytes.Equal(enc, want) {
			t.Errorf("%s: got %x, want %x", name, enc, want)
		}
	}
	if !RowHasDeletions(AppendRow(nil, &r)) {
		t.Error("RowHasDeletions = false for a row with a row deletion")
	}
	// A cell newer than the deletion is not shadowed and stays.
	r.Cells = []Cell{tomb(1, 5, 100), live(2, 11, "new")}
	MergeRows(&once, &r, &r)
	if len(once.Cells) != 1 || once.Cells[0].Column != 2 {
		t.Fatalf("got cells %+v, want only the cell at 11", once.Cells)
	}
}

// canonGen draws rows and headers from small domains, so that timestamps
// tie and deletions shadow often. Versions of one thing that only
// reconciliation's last resort could order are never drawn: an expiring
// cell's or marker's TTL follows from its expiry, as it does for writes
// made at one time (different TTLs at one timestamp and expiry tie).
type canonGen struct{ rng *rand.Rand }

func (g canonGen) ts() int64 { return int64(g.rng.Intn(12) + 1) }

func (g canonGen) deletion() Deletion {
	if g.rng.Intn(3) > 0 {
		return Live
	}
	return Deletion{Timestamp: g.ts(), LocalDeletionTime: 100 + int64(g.rng.Intn(2))}
}

func (g canonGen) row(clustering []byte) Row {
	r := NewRow(clustering)
	if g.rng.Intn(2) == 0 {
		r.Liveness = Liveness{Timestamp: g.ts(), ExpiresAt: NoDeletionTime}
		if g.rng.Intn(3) == 0 {
			r.Liveness.TTL = int32(g.rng.Intn(2) + 1)
			r.Liveness.ExpiresAt = 100 + int64(r.Liveness.TTL)
		}
	}
	r.Deletion = g.deletion()
	// Columns 0 and 1 are simple, 2 a collection.
	for col := uint32(0); col < 3; col++ {
		if col == 2 && g.rng.Intn(3) == 0 {
			r.Cells = append(r.Cells, Cell{Column: 2, Flags: CellColumnDeletion, Timestamp: g.ts(), LocalDeletionTime: 100})
		}
		paths := [][]byte{nil}
		if col == 2 {
			paths = [][]byte{[]byte("a"), []byte("b")}
		}
		for _, p := range paths {
			if g.rng.Intn(3) == 0 {
				continue
			}
			c := g.cell(col)
			c.Path = p
			r.Cells = append(r.Cells, c)
		}
	}
	return r
}

func (g canonGen) cell(col uint32) Cell {
	switch g.rng.Intn(4) {
	case 0:
		return tomb(col, g.ts(), 100+int64(g.rng.Intn(2)))
	case 1:
		ttl := int32(g.rng.Intn(2) + 1)
		return expiring(col, g.ts(), ttl, 100+int64(ttl), []string{"x", "y"}[g.rng.Intn(2)])
	default:
		return live(col, g.ts(), []string{"x", "y"}[g.rng.Intn(2)])
	}
}

func (g canonGen) header() Header {
	h := Header{Deletion: g.deletion()}
	bounds := [][]byte{{1}, {2}, {3}, nil}
	for n := g.rng.Intn(4); n > 0; n-- {
		i := g.rng.Intn(3)
		j := i + 1 + g.rng.Intn(len(bounds)-i-1)
		h.RangeTombstones = append(h.RangeTombstones, RangeTombstone{Start: bounds[i], End: bounds[j],
			Deletion: Deletion{Timestamp: g.ts(), LocalDeletionTime: 100 + int64(g.rng.Intn(2))}})
	}
	if g.rng.Intn(2) == 0 {
		st := g.row(nil)
		st.Deletion = Live // static rows have no row deletion
		h.Static = &st
	}
	return h
}

func merge(a, b Row) Row {
	var m Row
	MergeRows(&m, &a, &b)
	m.Cells = slices.Clone(m.Cells)
	return m
}

func shadowed(r Row, del Deletion) Row {
	r.Cells = slices.Clone(r.Cells)
	r.Shadow(del)
	return r
}

// TestMergeRowsCanonical: MergeRows is idempotent, commutative and
// associative on encodings, its result is Shadow(Live) of the plain union,
// and shadowing commutes with merging (dropping shadowed data early, as the
// memtable and compaction do, changes no later result).
func TestMergeRowsCanonical(t *testing.T) {
	g := canonGen{rand.New(rand.NewSource(7))}
	enc := func(r Row) []byte { return AppendRow(nil, &r) }
	for i := 0; i < 20000; i++ {
		a, b, c := g.row([]byte("k")), g.row([]byte("k")), g.row([]byte("k"))
		ab := merge(a, b)
		checks := []struct {
			name      string
			got, want Row
		}{
			{"a+a = canonical a", merge(a, a), shadowed(a, Live)},
			{"canonical a + a = canonical a", merge(shadowed(a, Live), a), shadowed(a, Live)},
			{"a+b = b+a", ab, merge(b, a)},
			{"(a+b)+c = a+(b+c)", merge(ab, c), merge(a, merge(b, c))},
			{"(a+b)+b = a+b", merge(ab, b), ab},
			{"canonical a + b = a+b", merge(shadowed(a, Live), b), ab},
		}
		// A deletion from outside the row, and one no newer that a
		// compaction or an earlier merge may already have applied.
		d := g.deletion()
		if !d.IsLive() {
			early := Deletion{Timestamp: d.Timestamp - int64(g.rng.Intn(3)), LocalDeletionTime: d.LocalDeletionTime}
			checks = append(checks, struct {
				name      string
				got, want Row
			}{"shadow(d, shadow(d' <= d, a) + b) = shadow(d, a+b)", shadowed(merge(shadowed(a, early), b), d), shadowed(ab, d)})
		}
		for _, ch := range checks {
			if got, want := enc(ch.got), enc(ch.want); !bytes.Equal(got, want) {
				t.Fatalf("case %d: %s:\na %+v\nb %+v\nc %+v\nd %+v\ngot  %+v\nwant %+v", i, ch.name, a, b, c, d, ch.got, ch.want)
			}
		}
		// Shadows agrees with Shadow, and RowHasDeletions with the row.
		if got, want := a.Shadows(d), !bytes.Equal(enc(shadowed(a, d)), enc(a)); got != want {
			t.Fatalf("case %d: Shadows(%+v) = %v, but Shadow changes the row: %v\nrow %+v", i, d, got, want, a)
		}
		hasDel := !a.Deletion.IsLive() || slices.ContainsFunc(a.Cells, func(c Cell) bool { return c.IsColumnDeletion() })
		if got := RowHasDeletions(enc(a)); got != hasDel {
			t.Fatalf("case %d: RowHasDeletions = %v, want %v for %+v", i, got, hasDel, a)
		}
		if !hasDel && a.Shadows(Live) {
			t.Fatalf("case %d: a row with no deletions shadows itself: %+v", i, a)
		}
	}
}

// TestMergeHeadersCanonical: the same for partition headers, including
// range tombstones given in any order and any number of times.
func TestMergeHeadersCanonical(t *testing.T) {
	g := canonGen{rand.New(rand.NewSource(8))}
	enc := func(h Header) []byte { return AppendHeader(nil, &h) }
	mh := func(a, b Header) Header { return MergeHeaders(&a, &b) }
	empty := Header{Deletion: Live}
	for i := 0; i < 20000; i++ {
		a, b, c := g.header(), g.header(), g.header()
		ab := mh(a, b)
		rev := a
		rev.RangeTombstones = slices.Clone(a.RangeTombstones)
		slices.Reverse(rev.RangeTombstones)
		rev.RangeTombstones = append(rev.RangeTombstones, a.RangeTombstones...)
		checks := []struct {
			name      string
			got, want Header
		}{
			{"a+a = canonical a", mh(a, a), a.Canonical()},
			{"a + empty = canonical a", mh(a, empty), a.Canonical()},
			{"a reordered, tombstones twice = a", rev.Canonical(), a.Canonical()},
			{"a+b = b+a", ab, mh(b, a)},
			{"(a+b)+c = a+(b+c)", mh(ab, c), mh(a, mh(b, c))},
			{"(a+b)+b = a+b", mh(ab, b), ab},
		}
		for _, ch := range checks {
			if got, want := enc(ch.got), enc(ch.want); !bytes.Equal(got, want) {
				t.Fatalf("case %d: %s:\na %+v\nb %+v\nc %+v\ngot  %+v\nwant %+v", i, ch.name, a, b, c, ch.got, ch.want)
			}
		}
		// Canonical leaves its argument alone.
		before := enc(a)
		_ = a.Canonical()
		if !bytes.Equal(enc(a), before) {
			t.Fatalf("case %d: Canonical modified its header", i)
		}
	}
}

// TestCanonicalKeepsUnshadowed: canonical forms never lose a cell newer
// than every deletion covering it, nor a deletion (other than a range
// tombstone the partition deletion makes redundant).
func TestCanonicalKeepsUnshadowed(t *testing.T) {
	h := Header{
		Deletion: Deletion{Timestamp: 10, LocalDeletionTime: 100},
		RangeTombstones: []RangeTombstone{
			{Start: []byte{2}, End: nil, Deletion: Deletion{Timestamp: 20, LocalDeletionTime: 100}},
			{Start: []byte{1}, End: []byte{2}, Deletion: Deletion{Timestamp: 10, LocalDeletionTime: 101}}, // redundant
			{Start: []byte{1}, End: []byte{3}, Deletion: Deletion{Timestamp: 11, LocalDeletionTime: 100}},
		},
	}
	st := NewRow(nil)
	st.Cells = []Cell{live(1, 10, "old"), live(2, 11, "new"), tomb(3, 12, 100)}
	h.Static = &st
	c := h.Canonical()
	if c.Deletion != h.Deletion {
		t.Fatalf("partition deletion: got %+v, want %+v", c.Deletion, h.Deletion)
	}
	want := []RangeTombstone{h.RangeTombstones[2], h.RangeTombstones[0]}
	if !slices.EqualFunc(c.RangeTombstones, want, func(a, b RangeTombstone) bool { return compareRangeTombstones(a, b) == 0 }) {
		t.Fatalf("range tombstones: got %+v, want %+v", c.RangeTombstones, want)
	}
	if c.Static == nil || len(c.Static.Cells) != 2 || c.Static.Cells[0].Column != 2 || c.Static.Cells[1].Column != 3 {
		t.Fatalf("static row: got %+v, want the cells at 11 and 12", c.Static)
	}
	if len(st.Cells) != 3 {
		t.Fatal("Canonical modified the static row it was given")
	}
}
