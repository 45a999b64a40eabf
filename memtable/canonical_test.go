package memtable

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"wcdb/mutation"
)

// dump returns every partition's encoded header and rows, in order: what
// flush would write.
func dump(m *Memtable) string {
	var sb strings.Builder
	it := m.Iter(nil, nil)
	for it.Next() {
		p := it.Partition()
		fmt.Fprintf(&sb, "partition %x header %x\n", p.Key().Bytes, p.Header())
		ri := p.Rows(nil, nil, false)
		for ri.Next() {
			fmt.Fprintf(&sb, "  %x: %x\n", ri.Clustering(), ri.Row())
		}
	}
	return sb.String()
}

// TestApplyTwiceShadowedCellTombstone: a row deletion at 10 and a cell
// tombstone at 5 in one row, applied once, twice and three times, must be
// stored alike (the first application used to keep the shadowed tombstone,
// which the second's merge dropped), in a one-row partition and in one
// whose rows are in a skiplist.
func TestApplyTwiceShadowedCellTombstone(t *testing.T) {
	r := mutation.NewRow(ck(1))
	r.Deletion = mutation.Deletion{Timestamp: 10, LocalDeletionTime: 100}
	r.Cells = []mutation.Cell{{Column: 1, Flags: mutation.CellTombstone, Timestamp: 5, LocalDeletionTime: 100}}
	other := mutation.NewRow(ck(2))
	other.Cells = []mutation.Cell{cell(1, 3, "x")}
	for _, rows := range [][]mutation.Row{{r}, {r, other}} {
		mu := mutation.Mutation{Partition: mutation.Partition{Key: key(1), Deletion: mutation.Live, Rows: rows}}
		var dumps []string
		for n := 1; n <= 3; n++ {
			m := New()
			for i := 0; i < n; i++ {
				apply(t, m, mu)
			}
			dumps = append(dumps, dump(m))
		}
		if dumps[0] != dumps[1] || dumps[1] != dumps[2] {
			t.Fatalf("%d rows: applied once:\n%s\ntwice:\n%s\nthree times:\n%s", len(rows), dumps[0], dumps[1], dumps[2])
		}
		var got mutation.Row
		m := New()
		apply(t, m, mu)
		it := m.Get(key(1)).Rows(ck(1), ck(2), false)
		if !it.Next() {
			t.Fatal("row missing")
		}
		if err := mutation.DecodeRow(it.Row(), it.Clustering(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Deletion.Timestamp != 10 || len(got.Cells) != 0 {
			t.Fatalf("got %+v, want the row deletion at 10 and no cells", got)
		}
	}
}

// randMutation draws a write to one of a few partitions and rows, with
// timestamps from a small range so that deletions tie with and shadow
// writes. An expiring cell's TTL follows from its expiry (see
// mutation.canonGen).
func randMutation(rng *rand.Rand) mutation.Mutation {
	ts := func() int64 { return int64(rng.Intn(15) + 1) }
	del := func() mutation.Deletion {
		return mutation.Deletion{Timestamp: ts(), LocalDeletionTime: 100 + int64(rng.Intn(2))}
	}
	row := func(c []byte) mutation.Row {
		r := mutation.NewRow(c)
		if rng.Intn(2) == 0 {
			r.Liveness = mutation.Liveness{Timestamp: ts(), ExpiresAt: mutation.NoDeletionTime}
		}
		if c != nil && rng.Intn(4) == 0 {
			r.Deletion = del()
		}
		for col := uint32(0); col < 3; col++ {
			if col == 2 && rng.Intn(3) == 0 {
				r.Cells = append(r.Cells, mutation.Cell{Column: 2, Flags: mutation.CellColumnDeletion, Timestamp: ts(), LocalDeletionTime: 100})
			}
			paths := [][]byte{nil}
			if col == 2 {
				paths = [][]byte{{'a'}, {'b'}}
			}
			for _, p := range paths {
				var c mutation.Cell
				switch rng.Intn(5) {
				case 0, 1:
					continue
				case 2:
					c = mutation.Cell{Column: col, Flags: mutation.CellTombstone, Timestamp: ts(), LocalDeletionTime: 100}
				case 3:
					ttl := int32(rng.Intn(2) + 1)
					c = mutation.Cell{Column: col, Flags: mutation.CellExpiring, Timestamp: ts(), TTL: ttl, LocalDeletionTime: 100 + int64(ttl), Value: []byte("e")}
				default:
					c = cell(col, ts(), []string{"x", "y"}[rng.Intn(2)])
				}
				c.Path = p
				r.Cells = append(r.Cells, c)
			}
		}
		return r
	}
	p := mutation.Partition{Key: key(rng.Intn(3)), Deletion: mutation.Live}
	switch rng.Intn(10) {
	case 0:
		p.Deletion = del()
	case 1:
		for n := rng.Intn(3) + 1; n > 0; n-- {
			lo := rng.Intn(4)
			p.RangeTombstones = append(p.RangeTombstones, mutation.RangeTombstone{Start: ck(lo), End: ck(lo + 1 + rng.Intn(2)), Deletion: del()})
		}
	case 2:
		st := row(nil)
		p.Static = &st
	default:
		for c := 0; c < 4; c++ {
			if rng.Intn(3) == 0 {
				p.Rows = append(p.Rows, row(ck(c)))
			}
		}
	}
	return mutation.Mutation{Partition: p}
}

// split returns m as one mutation per part: the header, then each row.
func split(m mutation.Mutation) []mutation.Mutation {
	h := m
	h.Partition.Rows = nil
	out := []mutation.Mutation{h}
	for _, r := range m.Partition.Rows {
		one := mutation.Mutation{Partition: mutation.Partition{Key: m.Partition.Key, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
		out = append(out, one)
	}
	return out
}

// TestApplyCanonical applies random writes to one memtable once, in order,
// and to another in a shuffled order, each one to three times, sometimes
// split into its parts: both must hold the same bytes.
func TestApplyCanonical(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for round := 0; round < 300; round++ {
		var ms []mutation.Mutation
		for n := rng.Intn(30) + 1; n > 0; n-- {
			ms = append(ms, randMutation(rng))
		}
		once := New()
		for _, mu := range ms {
			apply(t, once, mu)
		}
		var again []mutation.Mutation
		for _, mu := range ms {
			for n := rng.Intn(3) + 1; n > 0; n-- {
				if rng.Intn(2) == 0 {
					again = append(again, split(mu)...)
				} else {
					again = append(again, mu)
				}
			}
		}
		rng.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
		other := New()
		for _, mu := range again {
			apply(t, other, mu)
		}
		if a, b := dump(once), dump(other); a != b {
			t.Fatalf("round %d: applied once:\n%s\nshuffled and repeated:\n%s", round, a, b)
		}
	}
}

func TestApplyRejectsCorruptRow(t *testing.T) {
	// RowHasDeletions reports a row it cannot parse, so the memtable decodes
	// it and rejects it instead of storing it unexamined.
	m := New()
	r := mutation.NewRow(ck(1))
	r.Cells = []mutation.Cell{cell(1, 1, "v")}
	enc := mutation.AppendMutation(nil, &mutation.Mutation{Partition: mutation.Partition{Key: key(1), Deletion: mutation.Live, Rows: []mutation.Row{r}}})
	// Corrupt the row inside a frame that still parses.
	v, err := mutation.DecodeView(enc)
	if err != nil {
		t.Fatal(err)
	}
	var rb []byte
	v.Rows(func(_, b []byte) error { rb = b; return nil })
	if !bytes.HasSuffix(enc, rb) {
		t.Fatal("row encoding is not the mutation's tail")
	}
	rb[len(rb)-2] = 0xff // the value's length byte: now longer than the row
	v, err = mutation.DecodeView(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(&v); err == nil {
		t.Fatal("a corrupt row was stored")
	}
}
