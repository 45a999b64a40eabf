package mutation

import (
	"bytes"
	"errors"
	"math/rand"
	"reflect"
	"testing"
)

func live(col uint32, ts int64, v string) Cell {
	return Cell{Column: col, Timestamp: ts, LocalDeletionTime: NoDeletionTime, Value: []byte(v)}
}

func tomb(col uint32, ts, ldt int64) Cell {
	return Cell{Column: col, Flags: CellTombstone, Timestamp: ts, LocalDeletionTime: ldt}
}

func expiring(col uint32, ts int64, ttl int32, at int64, v string) Cell {
	return Cell{Column: col, Flags: CellExpiring, Timestamp: ts, TTL: ttl, LocalDeletionTime: at, Value: []byte(v)}
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name string
		a, b Cell
		want int // 0 = a, 1 = b
	}{
		{"higher timestamp wins", live(1, 10, "a"), live(1, 11, "b"), 1},
		{"higher timestamp beats tombstone", live(1, 12, "a"), tomb(1, 11, 5), 0},
		{"tie: tombstone beats live", live(1, 10, "z"), tomb(1, 10, 5), 1},
		{"tie: expiring beats live", live(1, 10, "z"), expiring(1, 10, 60, 100, "a"), 1},
		{"tie: tombstone beats expiring", expiring(1, 10, 60, 100, "a"), tomb(1, 10, 5), 1},
		{"tie: later deletion time wins", tomb(1, 10, 5), tomb(1, 10, 6), 1},
		{"tie: greater value wins", live(1, 10, "b"), live(1, 10, "a"), 0},
		{"tie: greater value wins, reversed", live(1, 10, "a"), live(1, 10, "b"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reconcile(&tt.a, &tt.b)
			want := &tt.a
			if tt.want == 1 {
				want = &tt.b
			}
			if got != want {
				t.Fatalf("got %+v, want %+v", *got, *want)
			}
			// Reconciliation is symmetric.
			if got2 := Reconcile(&tt.b, &tt.a); got2 != want {
				t.Fatalf("reversed: got %+v, want %+v", *got2, *want)
			}
		})
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, rng.Intn(n+1))
	rng.Read(b)
	return b
}

func randDeletion(rng *rand.Rand) Deletion {
	if rng.Intn(3) == 0 {
		return Deletion{Timestamp: rng.Int63n(1 << 50), LocalDeletionTime: rng.Int63n(1 << 31)}
	}
	return Live
}

func randRow(rng *rand.Rand, clustering []byte) Row {
	r := NewRow(clustering)
	if rng.Intn(2) == 0 {
		r.Liveness = Liveness{Timestamp: rng.Int63n(1 << 50), ExpiresAt: NoDeletionTime}
		if rng.Intn(3) == 0 {
			r.Liveness.TTL = int32(rng.Intn(1000) + 1)
			r.Liveness.ExpiresAt = rng.Int63n(1 << 31)
		}
	}
	r.Deletion = randDeletion(rng)
	n := rng.Intn(5)
	for i := 0; i < n; i++ {
		col := uint32(i*3 + rng.Intn(3))
		var c Cell
		switch rng.Intn(4) {
		case 0:
			c = tomb(col, rng.Int63n(1<<50), rng.Int63n(1<<31))
		case 1:
			c = expiring(col, rng.Int63n(1<<50), 7, rng.Int63n(1<<31), string(randBytes(rng, 20)))
		case 2:
			c = live(col, rng.Int63n(1<<50), string(randBytes(rng, 20)))
			c.Path = append([]byte{byte(i)}, randBytes(rng, 4)...)
		default:
			c = live(col, rng.Int63n(1<<50), string(randBytes(rng, 20)))
			if len(c.Value) == 0 {
				c.Value = []byte{} // decodes as an empty, non-nil value
			}
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

func normalizeRow(r *Row) {
	if len(r.Cells) == 0 {
		r.Cells = nil
	}
	for i := range r.Cells {
		if len(r.Cells[i].Path) == 0 {
			r.Cells[i].Path = nil
		}
		if r.Cells[i].Value == nil && !r.Cells[i].IsTombstone() {
			r.Cells[i].Value = []byte{}
		}
	}
}

func TestRowRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		want := randRow(rng, []byte{byte(i)})
		enc := AppendRow(nil, &want)
		var got Row
		if err := DecodeRow(enc, want.Clustering, &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		normalizeRow(&want)
		normalizeRow(&got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

func TestMutationRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 500; i++ {
		var m Mutation
		rng.Read(m.Table[:])
		m.Partition.Key = Key{Token: rng.Int63() - rng.Int63(), Bytes: randBytes(rng, 30)}
		m.Partition.Deletion = randDeletion(rng)
		for j := rng.Intn(3); j > 0; j-- {
			rt := RangeTombstone{Start: randBytes(rng, 5), Deletion: Deletion{Timestamp: 5, LocalDeletionTime: 6}}
			if rng.Intn(2) == 0 {
				rt.End = append(append([]byte{}, rt.Start...), 0xff)
			}
			m.Partition.RangeTombstones = append(m.Partition.RangeTombstones, rt)
		}
		if rng.Intn(2) == 0 {
			s := randRow(rng, nil)
			m.Partition.Static = &s
		}
		for j := rng.Intn(4); j > 0; j-- {
			m.Partition.Rows = append(m.Partition.Rows, randRow(rng, []byte{byte(j), 1}))
		}
		enc := AppendMutation([]byte("prefix"), &m)
		if got, want := mutationSize(&m), len(enc)-len("prefix"); got != want {
			t.Fatalf("mutationSize = %d, want the encoding's %d", got, want)
		}
		got, err := DecodeMutation(enc[len("prefix"):])
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if got.Table != m.Table || !got.Partition.Key.Equal(m.Partition.Key) || got.Partition.Deletion != m.Partition.Deletion {
			t.Fatalf("got %+v, want %+v", got, m)
		}
		if len(got.Partition.Rows) != len(m.Partition.Rows) || len(got.Partition.RangeTombstones) != len(m.Partition.RangeTombstones) {
			t.Fatalf("got %d rows %d tombstones, want %d, %d", len(got.Partition.Rows), len(got.Partition.RangeTombstones), len(m.Partition.Rows), len(m.Partition.RangeTombstones))
		}
		for j := range m.Partition.RangeTombstones {
			g, w := got.Partition.RangeTombstones[j], m.Partition.RangeTombstones[j]
			if !bytes.Equal(g.Start, w.Start) || (g.End == nil) != (w.End == nil) || !bytes.Equal(g.End, w.End) || g.Deletion != w.Deletion {
				t.Fatalf("range tombstone %d: got %+v, want %+v", j, g, w)
			}
		}
		for j := range m.Partition.Rows {
			g, w := got.Partition.Rows[j], m.Partition.Rows[j]
			normalizeRow(&g)
			normalizeRow(&w)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("row %d: got %+v, want %+v", j, g, w)
			}
		}
		if (got.Partition.Static == nil) != (m.Partition.Static == nil) {
			t.Fatalf("static: got %v, want %v", got.Partition.Static, m.Partition.Static)
		}
		// Every strict prefix of the encoding is refused, never mis-decoded.
		for cut := 0; cut < len(enc)-len("prefix"); cut += 1 + cut/4 {
			if _, err := DecodeMutation(enc[len("prefix") : len("prefix")+cut]); err == nil {
				// A prefix may only decode if it is the whole mutation, which it is not.
				t.Fatalf("prefix of %d bytes decoded", cut)
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		}
	}
}

func TestMergeRowsShadows(t *testing.T) {
	a := NewRow([]byte("c"))
	a.Liveness = Liveness{Timestamp: 10, ExpiresAt: NoDeletionTime}
	a.Cells = []Cell{live(1, 10, "x"), live(2, 10, "y"), live(3, 30, "z")}
	b := NewRow([]byte("c"))
	b.Deletion = Deletion{Timestamp: 20, LocalDeletionTime: 100}
	b.Cells = []Cell{live(2, 25, "w")}
	var got Row
	MergeRows(&got, &a, &b)
	if !got.Liveness.IsEmpty() {
		t.Fatalf("row marker at 10 survived a row deletion at 20: %+v", got.Liveness)
	}
	want := []Cell{live(2, 25, "w"), live(3, 30, "z")}
	if !reflect.DeepEqual(got.Cells, want) {
		t.Fatalf("got %+v, want %+v", got.Cells, want)
	}
	if got.Deletion.Timestamp != 20 {
		t.Fatalf("got deletion %+v, want ts 20", got.Deletion)
	}
}

func TestColumnDeletion(t *testing.T) {
	// A collection overwritten at ts 20: elements from 10 vanish, the new
	// element at 20 stays (Cassandra writes the deletion at ts-1).
	a := NewRow([]byte("c"))
	a.Cells = []Cell{
		{Column: 4, Path: []byte("a"), Timestamp: 10, LocalDeletionTime: NoDeletionTime, Value: []byte{}},
		{Column: 4, Path: []byte("b"), Timestamp: 10, LocalDeletionTime: NoDeletionTime, Value: []byte{}},
	}
	b := NewRow([]byte("c"))
	b.Cells = []Cell{
		{Column: 4, Flags: CellColumnDeletion, Timestamp: 19, LocalDeletionTime: 7},
		{Column: 4, Path: []byte("c"), Timestamp: 20, LocalDeletionTime: NoDeletionTime, Value: []byte{}},
	}
	var got Row
	MergeRows(&got, &a, &b)
	if !got.Visible(Live, 0) {
		t.Fatal("row not visible")
	}
	if len(got.Cells) != 1 || string(got.Cells[0].Path) != "c" {
		t.Fatalf("got %+v, want only element c", got.Cells)
	}
}

func TestVisible(t *testing.T) {
	r := NewRow([]byte("c"))
	r.Cells = []Cell{live(1, 10, "a"), expiring(2, 10, 5, 100, "b"), tomb(3, 10, 1)}
	r2 := r
	r2.Cells = append([]Cell(nil), r.Cells...)
	if !r.Visible(Live, 99) || len(r.Cells) != 2 {
		t.Fatalf("at 99: got %+v, want 2 cells", r.Cells)
	}
	if !r2.Visible(Live, 100) || len(r2.Cells) != 1 {
		t.Fatalf("at 100 (expired): got %+v, want 1 cell", r2.Cells)
	}
	r3 := NewRow([]byte("c"))
	r3.Cells = []Cell{live(1, 10, "a")}
	if r3.Visible(Deletion{Timestamp: 10, LocalDeletionTime: 1}, 0) {
		t.Fatal("row shadowed by a deletion at the same timestamp is visible")
	}
}

func TestRangeTombstoneCovers(t *testing.T) {
	rt := RangeTombstone{Start: []byte("b"), End: PrefixEnd([]byte("b"))}
	for _, c := range []string{"b", "b\x00", "bzzz"} {
		if !rt.Covers([]byte(c)) {
			t.Errorf("%q not covered", c)
		}
	}
	for _, c := range []string{"", "a", "c", "a\xff"} {
		if rt.Covers([]byte(c)) {
			t.Errorf("%q covered", c)
		}
	}
	if got := PrefixEnd([]byte{1, 0xff, 0xff}); !bytes.Equal(got, []byte{2}) {
		t.Errorf("PrefixEnd: got %x, want 02", got)
	}
	if got := PrefixEnd([]byte{0xff}); got != nil {
		t.Errorf("PrefixEnd(ff): got %x, want nil", got)
	}
}

func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewSource(3))
	r := randRow(rng, nil)
	m := Mutation{Partition: Partition{Key: Key{Bytes: []byte("k")}, Rows: []Row{r}}}
	f.Add(AppendMutation(nil, &m))
	f.Add(AppendRow(nil, &r))
	f.Fuzz(func(t *testing.T, b []byte) {
		var row Row
		_ = DecodeRow(b, nil, &row)
		var h Header
		_ = DecodeHeader(b, &h)
		if m, err := DecodeMutation(b); err == nil {
			// What decodes re-encodes to something that decodes the same.
			again, err := DecodeMutation(AppendMutation(nil, &m))
			if err != nil || len(again.Partition.Rows) != len(m.Partition.Rows) {
				t.Fatalf("re-decode: %v", err)
			}
		}
	})
}

// TestScanRow checks ScanRow's summary against the decoded row's, and that
// it rejects every truncation of an encoding.
func TestScanRow(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 3000; i++ {
		r := randRow(rng, nil)
		if rng.Intn(4) == 0 && len(r.Cells) > 0 {
			c := &r.Cells[rng.Intn(len(r.Cells))]
			*c = Cell{Flags: CellColumnDeletion, Column: c.Column, Timestamp: c.Timestamp, LocalDeletionTime: rng.Int63n(1 << 31)}
		}
		b := AppendRow(nil, &r)
		var d Row
		if err := DecodeRow(b, nil, &d); err != nil {
			t.Fatal(err)
		}
		var want RowSummary
		ts := func(v int64) {
			if want.Timestamps == 0 || v < want.MinTimestamp {
				want.MinTimestamp = v
			}
			if want.Timestamps == 0 || v > want.MaxTimestamp {
				want.MaxTimestamp = v
			}
			want.Timestamps++
		}
		dt := func(v int64) {
			if !want.HasDeletionTimes || v > want.MaxDeletionTime {
				want.MaxDeletionTime = v
			}
			want.HasDeletionTimes = true
		}
		if !d.Liveness.IsEmpty() {
			ts(d.Liveness.Timestamp)
			if d.Liveness.ExpiresAt != NoDeletionTime {
				dt(d.Liveness.ExpiresAt)
			} else {
				want.NeverExpires = true
			}
		}
		if !d.Deletion.IsLive() {
			ts(d.Deletion.Timestamp)
			dt(d.Deletion.LocalDeletionTime)
			want.Tombstones++
		}
		for _, c := range d.Cells {
			ts(c.Timestamp)
			if c.IsTombstone() {
				want.Tombstones++
			}
			if c.LocalDeletionTime != NoDeletionTime {
				dt(c.LocalDeletionTime)
			} else {
				want.NeverExpires = true
			}
		}
		got, err := ScanRow(b)
		if err != nil || got != want {
			t.Fatalf("row %d: ScanRow = %+v, %v; decoded row gives %+v", i, got, err, want)
		}
		for n := 0; n < len(b); n++ {
			if _, err := ScanRow(b[:n]); err == nil {
				t.Fatalf("row %d: ScanRow of %d of %d bytes: no error", i, n, len(b))
			}
		}
	}
}
