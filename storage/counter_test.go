package storage

import (
	"bytes"
	"testing"
	"time"

	"wcdb/mutation"
)

// TestCountersAcrossMemtableAndSSTables: counter shards written by three
// leaders, spread over several SSTables and the memtable (some applied
// twice, as a hint replays them), read back as their merge, the same
// before and after a compaction and a restart; the engine's SSTables
// verify.
func TestCountersAcrossMemtableAndSSTables(t *testing.T) {
	c := newCanonEngine(t, time.Now().Unix())
	key := mutation.Key{Token: 1, Bytes: []byte("k")}
	id := func(i byte) (x [mutation.CounterIDLen]byte) {
		x[0] = i
		return x
	}
	write := func(node byte, clock, value, ts int64) {
		r := mutation.NewRow([]byte{1})
		r.Cells = []mutation.Cell{mutation.CounterCell(2, ts, mutation.Shard{ID: id(node), Clock: clock, Value: value})}
		c.apply(t, &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key, Deletion: mutation.Live, Rows: []mutation.Row{r}}})
	}
	// Node n's k-th increment of 1 leaves its shard at clock k, value k;
	// node 3 increments by 10.
	var ts int64 = 1000
	for round := int64(1); round <= 4; round++ {
		for n := byte(1); n <= 3; n++ {
			ts++
			v := round
			if n == 3 {
				v *= 10
			}
			write(n, round, v, ts)
			if round%2 == 0 {
				write(n, round, v, ts) // replayed
			}
		}
		if round < 4 {
			if err := c.tb.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An old shard arriving late changes nothing.
	write(1, 2, 2, 1)
	const want = 4 + 4 + 40
	read := func(what string) []byte {
		t.Helper()
		p, err := c.tb.Read(Query{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if p == nil || len(p.Rows) != 1 || len(p.Rows[0].Cells) != 1 {
			t.Fatalf("%s: got %+v, want one row of one cell", what, p)
		}
		got, err := mutation.CounterTotal(p.Rows[0].Cells[0].Value)
		if err != nil || got != want {
			t.Fatalf("%s: counter reads %d (%v), want %d", what, got, err, want)
		}
		return rawBytes(t, c.tb, Query{Key: key})
	}
	before := read("memtable and 3 SSTables")
	if err := c.tb.Compact(); err != nil {
		t.Fatal(err)
	}
	after := read("compacted")
	if !bytes.Equal(before, after) {
		t.Errorf("raw read changed with compaction:\n%s\n%s", describe(before), describe(after))
	}
	if err := c.tb.Flush(); err != nil {
		t.Fatal(err)
	}
	c.restart(t)
	read("after restart")
	if err := c.tb.Verify(); err != nil {
		t.Fatal(err)
	}
	// A counter tombstone wins over every shard, even later ones.
	r := mutation.NewRow([]byte{1})
	r.Cells = []mutation.Cell{{Column: 2, Flags: mutation.CellTombstone, Timestamp: 500, LocalDeletionTime: time.Now().Unix()}}
	c.apply(t, &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key, Deletion: mutation.Live, Rows: []mutation.Row{r}}})
	write(1, 9, 9, ts+10)
	if p, err := c.tb.Read(Query{Key: key}); err != nil || p != nil {
		t.Fatalf("deleted counter: got %+v, %v, want nothing", p, err)
	}
}
