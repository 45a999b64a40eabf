package storage

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// Raw reads are what replicas digest (replication.PartitionDigest is a hash
// of mutation.AppendMutation of the raw partition, which these tests compare
// directly: storage may not import replication). The same writes must read
// back as the same bytes however often and in whatever grouping they were
// applied, and wherever they sit: memtable, SSTables, compacted.

// canonEngine is an engine on an in-memory FS with its own clock, flushing
// and compacting only when told.
type canonEngine struct {
	fs    vfs.FS
	clock *atomic.Int64
	e     *Engine
	tb    *Table
}

func newCanonEngine(t *testing.T, now int64) *canonEngine {
	t.Helper()
	c := &canonEngine{fs: vfs.NewMem(), clock: new(atomic.Int64)}
	c.clock.Store(now)
	c.open(t)
	tb, err := c.e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	c.tb = tb
	return c
}

func (c *canonEngine) open(t *testing.T) {
	t.Helper()
	c.e = openTest(t, c.fs, func(o *Options) {
		o.Now = func() time.Time { return time.Unix(c.clock.Load(), 0) }
		o.DisableAutoCompaction = true
		o.MemtableFlushSize = 1 << 40
		o.CommitLogSync = commitlog.Batch
		o.BlockSize = 256
	})
	c.tb = c.e.Table(testTable)
}

func (c *canonEngine) restart(t *testing.T) {
	t.Helper()
	if err := c.e.Close(); err != nil {
		t.Fatal(err)
	}
	c.open(t)
}

func (c *canonEngine) apply(t *testing.T, m *mutation.Mutation) {
	t.Helper()
	if err := c.e.Apply(m); err != nil {
		t.Fatal(err)
	}
}

// rawBytes reads q raw and returns its encoding, the bytes a digest hashes
// (nil partition: nil).
func rawBytes(t *testing.T, tb *Table, q Query) []byte {
	t.Helper()
	q.Raw = true
	p, err := tb.Read(q)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		return nil
	}
	return mutation.AppendMutation(nil, &mutation.Mutation{Table: testTable, Partition: *p})
}

func describe(b []byte) string {
	if b == nil {
		return "(none)"
	}
	m, err := mutation.DecodeMutation(b)
	if err != nil {
		return err.Error()
	}
	p := &m.Partition
	var sb strings.Builder
	fmt.Fprintf(&sb, "deletion %+v range tombstones %+v static %+v\n", p.Deletion, p.RangeTombstones, p.Static)
	for _, r := range p.Rows {
		fmt.Fprintf(&sb, "  row %x marker %+v deletion %+v cells %+v\n", r.Clustering, r.Liveness, r.Deletion, r.Cells)
	}
	return sb.String()
}

// describeAll describes concatenated mutation encodings.
func describeAll(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		v, err := mutation.DecodeView(b)
		if err != nil {
			return sb.String() + err.Error()
		}
		// The view's rows run to the end of b: re-encode to find its length.
		m, err := mutation.DecodeMutation(b)
		if err != nil {
			return sb.String() + err.Error()
		}
		n := len(mutation.AppendMutation(nil, &m))
		if n > len(b) {
			n = len(b)
		}
		fmt.Fprintf(&sb, "partition %x: %s", v.Key.Bytes, describe(b[:n]))
		b = b[n:]
	}
	return sb.String()
}

// TestRawReadRowDeletionOverCellTombstone is the reported case: a row
// deletion at 10 and a cell tombstone at 5 in one row. Applied once and
// applied twice (and again after a flush, so that memtable and SSTable
// versions merge) it must read raw, and so digest, alike; the shadowed
// tombstone is left out, the row deletion and a newer cell are kept.
func TestRawReadRowDeletionOverCellTombstone(t *testing.T) {
	const now = 1_000_000
	r := mutation.NewRow(ck(1))
	r.Deletion = mutation.Deletion{Timestamp: 10, LocalDeletionTime: now}
	r.Cells = []mutation.Cell{{Column: 1, Flags: mutation.CellTombstone, Timestamp: 5, LocalDeletionTime: now}}
	m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Live, Rows: []mutation.Row{r}}}

	once := newCanonEngine(t, now)
	defer once.e.Close()
	once.apply(t, m)
	want := rawBytes(t, once.tb, Query{Key: pk(1)})

	twice := newCanonEngine(t, now)
	defer twice.e.Close()
	twice.apply(t, m)
	twice.apply(t, m)
	if got := rawBytes(t, twice.tb, Query{Key: pk(1)}); !bytes.Equal(got, want) {
		t.Fatalf("applied twice:\n%s\napplied once:\n%s", describe(got), describe(want))
	}
	if err := twice.tb.Flush(); err != nil {
		t.Fatal(err)
	}
	twice.apply(t, m)
	if got := rawBytes(t, twice.tb, Query{Key: pk(1)}); !bytes.Equal(got, want) {
		t.Fatalf("in an SSTable and the memtable:\n%s\napplied once:\n%s", describe(got), describe(want))
	}
	if err := twice.tb.Compact(); err != nil {
		t.Fatal(err)
	}
	if got := rawBytes(t, twice.tb, Query{Key: pk(1)}); !bytes.Equal(got, want) {
		t.Fatalf("compacted:\n%s\napplied once:\n%s", describe(got), describe(want))
	}
	got, err := mutation.DecodeMutation(want)
	if err != nil {
		t.Fatal(err)
	}
	if rows := got.Partition.Rows; len(rows) != 1 || rows[0].Deletion.Timestamp != 10 || len(rows[0].Cells) != 0 {
		t.Fatalf("got %s, want the row deletion at 10 alone", describe(want))
	}

	// A cell newer than the row deletion is not shadowed: it stays.
	newer := mutation.NewRow(ck(1))
	newer.Cells = []mutation.Cell{cellv(2, 11, "new")}
	m2 := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Live, Rows: []mutation.Row{newer}}}
	once.apply(t, m2)
	twice.apply(t, m2)
	a, b := rawBytes(t, once.tb, Query{Key: pk(1)}), rawBytes(t, twice.tb, Query{Key: pk(1)})
	if !bytes.Equal(a, b) {
		t.Fatalf("with a newer cell: applied once:\n%s\ntwice, flushed and compacted:\n%s", describe(a), describe(b))
	}
	got, _ = mutation.DecodeMutation(a)
	if rows := got.Partition.Rows; len(rows) != 1 || len(rows[0].Cells) != 1 || string(rows[0].Cells[0].Value) != "new" {
		t.Fatalf("got %s, want the row deletion and the cell at 11", describe(a))
	}
}

// canonWorkload draws random writes at a fixed time now: cells (some
// expiring), cell tombstones, collection elements and column deletions,
// static cells, row markers, row deletions, range tombstones and partition
// deletions, to a few partitions of a few rows, so that deletions shadow
// writes often. Every write has its own timestamp; deletions sometimes take
// a write's (a deletion wins a tie). Two writes of one cell at one
// timestamp with different TTLs would read differently depending on
// whether a compaction turned the shorter-lived one into a tombstone first
// (as in Cassandra), so they are not drawn.
type canonWorkload struct {
	rng      *rand.Rand
	now      int64
	ts       int64
	writeTSs []int64
}

const (
	canonParts = 4
	canonRows  = 6
)

func (w *canonWorkload) newTS() int64 {
	w.ts += int64(w.rng.Intn(3) + 1)
	return w.ts
}

func (w *canonWorkload) writeTS() int64 {
	ts := w.newTS()
	w.writeTSs = append(w.writeTSs, ts)
	return ts
}

func (w *canonWorkload) delTS() int64 {
	if len(w.writeTSs) > 0 && w.rng.Intn(3) == 0 {
		return w.writeTSs[w.rng.Intn(len(w.writeTSs))]
	}
	// Often older than recent writes: shadowing nothing new.
	return max(1, w.newTS()-int64(w.rng.Intn(20)))
}

func (w *canonWorkload) del() mutation.Deletion {
	return mutation.Deletion{Timestamp: w.delTS(), LocalDeletionTime: w.now}
}

func (w *canonWorkload) cells(cols []uint32) []mutation.Cell {
	var cells []mutation.Cell
	ts := w.writeTS()
	for _, col := range cols {
		if col == 2 { // a collection
			if w.rng.Intn(3) == 0 {
				cells = append(cells, mutation.Cell{Column: 2, Flags: mutation.CellColumnDeletion, Timestamp: ts - 1, LocalDeletionTime: w.now})
			}
			for _, path := range []string{"a", "b"} {
				if w.rng.Intn(2) == 0 {
					c := cellv(2, ts, "e"+path)
					c.Path = []byte(path)
					cells = append(cells, c)
				}
			}
			continue
		}
		if w.rng.Intn(3) == 0 {
			continue
		}
		c := cellv(col, ts, fmt.Sprintf("v%d", ts))
		switch w.rng.Intn(5) {
		case 0:
			c = mutation.Cell{Column: col, Flags: mutation.CellTombstone, Timestamp: w.delTS(), LocalDeletionTime: w.now}
		case 1:
			ttl := int32(w.rng.Intn(30) + 1)
			c.Flags, c.TTL, c.LocalDeletionTime = mutation.CellExpiring, ttl, w.now+int64(ttl)
		}
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b mutation.Cell) int {
		if a.Column != b.Column {
			return int(a.Column) - int(b.Column)
		}
		if a.IsColumnDeletion() != b.IsColumnDeletion() {
			if a.IsColumnDeletion() {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Path, b.Path)
	})
	return cells
}

func (w *canonWorkload) row(c int) mutation.Row {
	r := mutation.NewRow(ck(c))
	if w.rng.Intn(2) == 0 {
		r.Liveness = mutation.Liveness{Timestamp: w.writeTS(), ExpiresAt: mutation.NoDeletionTime}
		if w.rng.Intn(4) == 0 {
			r.Liveness.TTL = int32(w.rng.Intn(30) + 1)
			r.Liveness.ExpiresAt = w.now + int64(r.Liveness.TTL)
		}
	}
	if w.rng.Intn(5) == 0 {
		// A row deletion and older data in one write, as a hint or a read
		// repair may carry: the reported case.
		r.Deletion = w.del()
	}
	r.Cells = w.cells([]uint32{0, 1, 2})
	return r
}

func (w *canonWorkload) mutation() *mutation.Mutation {
	p := mutation.Partition{Key: pk(w.rng.Intn(canonParts)), Deletion: mutation.Live}
	switch op := w.rng.Intn(20); {
	case op < 1:
		p.Deletion = w.del()
	case op < 3:
		for n := w.rng.Intn(2) + 1; n > 0; n-- {
			lo := w.rng.Intn(canonRows)
			rt := mutation.RangeTombstone{Start: ck(lo), End: ck(lo + 1 + w.rng.Intn(3)), Deletion: w.del()}
			if w.rng.Intn(4) == 0 {
				rt.End = nil
			}
			p.RangeTombstones = append(p.RangeTombstones, rt)
		}
	case op < 5:
		st := mutation.NewRow(nil)
		st.Cells = w.cells([]uint32{7})
		if len(st.Cells) > 0 {
			p.Static = &st
		}
	case op < 8: // row deletions
		for c := 0; c < canonRows; c++ {
			if w.rng.Intn(3) == 0 {
				r := mutation.NewRow(ck(c))
				r.Deletion = w.del()
				p.Rows = append(p.Rows, r)
			}
		}
	case op < 10: // cell tombstones
		r := mutation.NewRow(ck(w.rng.Intn(canonRows)))
		r.Cells = []mutation.Cell{{Column: uint32(w.rng.Intn(2)), Flags: mutation.CellTombstone, Timestamp: w.delTS(), LocalDeletionTime: w.now}}
		p.Rows = []mutation.Row{r}
	default:
		for c := 0; c < canonRows; c++ {
			if w.rng.Intn(3) == 0 {
				p.Rows = append(p.Rows, w.row(c))
			}
		}
	}
	return &mutation.Mutation{Table: testTable, Partition: p}
}

// splitMutation returns m as several mutations: the header parts and rows
// in random groups.
func splitMutation(rng *rand.Rand, m *mutation.Mutation) []*mutation.Mutation {
	empty := func() *mutation.Mutation {
		return &mutation.Mutation{Table: m.Table, Partition: mutation.Partition{Key: m.Partition.Key, Deletion: mutation.Live}}
	}
	var out []*mutation.Mutation
	p := &m.Partition
	if !p.Deletion.IsLive() {
		o := empty()
		o.Partition.Deletion = p.Deletion
		out = append(out, o)
	}
	for _, rt := range p.RangeTombstones {
		o := empty()
		o.Partition.RangeTombstones = []mutation.RangeTombstone{rt}
		out = append(out, o)
	}
	if p.Static != nil {
		o := empty()
		o.Partition.Static = p.Static
		out = append(out, o)
	}
	for _, r := range p.Rows {
		if len(out) == 0 || rng.Intn(2) == 0 || len(out[len(out)-1].Partition.Rows) == 0 {
			out = append(out, empty())
		}
		last := out[len(out)-1]
		last.Partition.Rows = append(last.Partition.Rows, r)
	}
	return out
}

// combine returns a and b (writes to one partition) as one mutation when
// that needs no reconciliation (no row, nor static row, in both).
func combine(a, b *mutation.Mutation) (*mutation.Mutation, bool) {
	pa, pb := &a.Partition, &b.Partition
	if !pa.Key.Equal(pb.Key) || pa.Static != nil && pb.Static != nil {
		return nil, false
	}
	for _, r := range pb.Rows {
		if slices.ContainsFunc(pa.Rows, func(o mutation.Row) bool { return bytes.Equal(o.Clustering, r.Clustering) }) {
			return nil, false
		}
	}
	c := &mutation.Mutation{Table: a.Table, Partition: mutation.Partition{Key: pa.Key, Deletion: pa.Deletion.Max(pb.Deletion),
		RangeTombstones: slices.Concat(pa.RangeTombstones, pb.RangeTombstones), Static: pa.Static,
		Rows: slices.Concat(pa.Rows, pb.Rows)}}
	if c.Partition.Static == nil {
		c.Partition.Static = pb.Static
	}
	slices.SortFunc(c.Partition.Rows, func(x, y mutation.Row) int { return bytes.Compare(x.Clustering, y.Clustering) })
	return c, true
}

// TestRawReadCanonical applies a random workload to one engine once, in
// order, all in its memtable, and to another each write one to three times,
// split or combined with others, shuffled, with flushes, compactions,
// restarts (commit log replay) and the clock moving past TTLs in between.
// Raw reads (whole partitions, slices, limits, reversed, and a raw scan)
// must be byte for byte equal, before and after the first engine is itself
// flushed and compacted; visible reads too.
func TestRawReadCanonical(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = 1
	}
	t.Logf("seed %d (rerun with -seed %d)", seed, seed)
	rounds := 25
	if testing.Short() {
		rounds = 5
	}
	for round := 0; round < rounds; round++ {
		canonRound(t, seed+int64(round))
	}
}

func canonRound(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	const start = 1_000_000
	w := &canonWorkload{rng: rng, now: start}
	var ms []*mutation.Mutation
	for n := rng.Intn(60) + 20; n > 0; n-- {
		ms = append(ms, w.mutation())
	}

	once := newCanonEngine(t, start)
	defer func() { once.e.Close() }()
	for _, m := range ms {
		once.apply(t, m)
	}

	// The other engine's writes: each one to three times, whole or split,
	// then shuffled, then neighbours to one partition sometimes combined.
	var again []*mutation.Mutation
	for _, m := range ms {
		for n := rng.Intn(3) + 1; n > 0; n-- {
			if rng.Intn(2) == 0 {
				again = append(again, splitMutation(rng, m)...)
			} else {
				again = append(again, m)
			}
		}
	}
	rng.Shuffle(len(again), func(i, j int) { again[i], again[j] = again[j], again[i] })
	for i := 0; i+1 < len(again); i++ {
		if rng.Intn(2) == 0 {
			if c, ok := combine(again[i], again[i+1]); ok {
				again = slices.Replace(again, i, i+2, c)
			}
		}
	}
	other := newCanonEngine(t, start)
	defer func() { other.e.Close() }()
	for _, m := range again {
		other.apply(t, m)
		switch op := rng.Intn(40); {
		case op < 3:
			if err := other.tb.Flush(); err != nil {
				t.Fatal(err)
			}
		case op < 5:
			if _, err := other.tb.compactOnce(nil); err != nil {
				t.Fatal(err)
			}
		case op < 6:
			if err := other.tb.Compact(); err != nil {
				t.Fatal(err)
			}
		case op < 7:
			other.restart(t)
		case op < 9:
			// Time passes: TTLs run out, and compactions turn expired
			// cells into tombstones.
			other.clock.Add(int64(rng.Intn(5)))
		}
	}
	// Both read at one time, when some TTLs have run out and some not.
	readAt := max(int64(start+15), other.clock.Load())
	once.clock.Store(readAt)
	other.clock.Store(readAt)

	compare := func(stage string) {
		t.Helper()
		for p := 0; p < canonParts; p++ {
			queries := []Query{{Key: pk(p)}, {Key: pk(p), Reverse: true}}
			for i := 0; i < 4; i++ {
				lo := rng.Intn(canonRows)
				q := Query{Key: pk(p), Start: ck(lo), End: ck(lo + 1 + rng.Intn(canonRows)), Reverse: rng.Intn(2) == 0}
				if rng.Intn(2) == 0 {
					q.Limit = rng.Intn(3) + 1
				}
				queries = append(queries, q)
			}
			for _, q := range queries {
				a, b := rawBytes(t, once.tb, q), rawBytes(t, other.tb, q)
				if !bytes.Equal(a, b) {
					t.Fatalf("seed %d %s: partition %d raw read %+v differs:\napplied once:\n%s\nrepeated, regrouped, flushed, compacted:\n%s",
						seed, stage, p, q, describe(a), describe(b))
				}
				va, err := once.tb.Read(q)
				if err != nil {
					t.Fatal(err)
				}
				vb, err := other.tb.Read(q)
				if err != nil {
					t.Fatal(err)
				}
				if fa, fb := formatPartition(va), formatPartition(vb); fa != fb {
					t.Fatalf("seed %d %s: partition %d read %+v differs:\napplied once:\n%s\nrepeated:\n%s", seed, stage, p, q, fa, fb)
				}
			}
		}
		pageSize := rng.Intn(4) + 1
		scan := func(c *canonEngine) []byte {
			var out []byte
			q := ScanQuery{Raw: true, Limit: pageSize}
			for pages := 0; ; pages++ {
				if pages > 1000 {
					t.Fatalf("seed %d: raw scan does not end", seed)
				}
				pos, err := c.tb.Scan(q, func(p *mutation.Partition) bool {
					out = mutation.AppendMutation(out, &mutation.Mutation{Table: testTable, Partition: *p})
					return true
				})
				if err != nil {
					t.Fatal(err)
				}
				if pos == nil {
					return out
				}
				q.After = pos
			}
		}
		if a, b := scan(once), scan(other); !bytes.Equal(a, b) {
			t.Fatalf("seed %d %s: raw scans differ:\napplied once:\n%s\nrepeated:\n%s", seed, stage, describeAll(a), describeAll(b))
		}
	}
	compare("memtable vs the rest")
	if err := once.tb.Flush(); err != nil {
		t.Fatal(err)
	}
	compare("flushed vs the rest")
	if err := once.tb.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := other.tb.Compact(); err != nil {
		t.Fatal(err)
	}
	compare("both compacted")
}
