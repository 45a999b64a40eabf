package streaming

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
)

var testTable = mutation.TableID{0xab, 1}

// openEngine opens a storage engine in a fresh temporary directory, closed
// when the test ends, with testTable created. Blocks are small (1 KiB), so
// that partitions span blocks, unless mod says otherwise.
func openEngine(t testing.TB, mod ...func(*storage.Options)) (*storage.Engine, *storage.Table) {
	t.Helper()
	o := storage.DefaultOptions(t.TempDir())
	o.DisableAutoCompaction = true
	o.BlockSize = 1 << 10
	for _, m := range mod {
		m(&o)
	}
	e, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	tb, err := e.CreateTable(testTable, storage.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e, tb
}

func pkey(i int) mutation.Key {
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return mutation.Key{Token: ring.Murmur3(b), Bytes: b}
}

func ckey(i int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(i)) }

const (
	now     = 1_700_000_000 // local time (s) in the data below
	expired = 1_000_000     // an expiry long past
	future  = 4_000_000_000 // an expiry far ahead
)

// writeMix writes partitions [from, to) of tb with rows of live cells,
// TTL'd cells (expired and not), cell and row tombstones, range
// tombstones, static rows and partition deletions, rowsPer rows each.
func writeMix(t testing.TB, tb *storage.Table, from, to, rowsPer int, ts int64) {
	t.Helper()
	for i := from; i < to; i++ {
		p := mutation.Partition{Key: pkey(i), Deletion: mutation.Live}
		for c := 0; c < rowsPer; c++ {
			r := mutation.NewRow(ckey(c))
			r.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
			r.Cells = []mutation.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime,
				Value: fmt.Appendf(nil, "value-%d-%d-%s", i, c, strings.Repeat("x", (i*7+c)%40))}}
			switch (i + c) % 7 {
			case 1:
				exp := int64(future)
				if c%2 == 0 {
					exp = expired
				}
				r.Cells = append(r.Cells, mutation.Cell{Column: 2, Flags: mutation.CellExpiring, Timestamp: ts, TTL: 60,
					LocalDeletionTime: exp, Value: []byte("ttl")})
			case 2:
				r.Cells = append(r.Cells, mutation.Cell{Column: 2, Flags: mutation.CellTombstone, Timestamp: ts, LocalDeletionTime: now})
			case 3:
				r = mutation.NewRow(ckey(c))
				r.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: now}
			}
			p.Rows = append(p.Rows, r)
		}
		switch i % 11 {
		case 0:
			st := mutation.NewRow(nil)
			st.Cells = []mutation.Cell{{Column: 9, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("static")}}
			p.Static = &st
		case 1:
			p.RangeTombstones = []mutation.RangeTombstone{{Start: ckey(2), End: ckey(4), Deletion: mutation.Deletion{Timestamp: ts - 1, LocalDeletionTime: now}}}
		case 2:
			p.Deletion = mutation.Deletion{Timestamp: ts - 1, LocalDeletionTime: now}
		}
		if err := tb.Apply(&mutation.Mutation{Table: tb.ID(), Partition: p}); err != nil {
			t.Fatal(err)
		}
	}
}

// fill writes n partitions to tb over three flushed files (overlapping:
// later writes update some of the earlier partitions) and its memtable.
func fill(t testing.TB, tb *storage.Table, n int) {
	t.Helper()
	writeMix(t, tb, 0, n/2, 4, 100)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	writeMix(t, tb, n/2, n, 4, 100)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	writeMix(t, tb, n/3, n/3+n/4, 2, 200)
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	writeMix(t, tb, n-n/10, n+n/10, 3, 300) // left in the memtable
}

// dump lists the partitions of tb whose token keep accepts, as raw reads
// see them (canonical: tombstones and expired cells included), one line
// each.
func dump(t testing.TB, tb *storage.Table, keep func(int64) bool) []string {
	t.Helper()
	var out []string
	_, err := tb.Scan(storage.ScanQuery{Raw: true}, func(p *mutation.Partition) bool {
		if keep == nil || keep(p.Key.Token) {
			out = append(out, fmt.Sprintf("%d %x %x", p.Key.Token, p.Key.Bytes, mutation.AppendMutation(nil, &mutation.Mutation{Partition: *p})))
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func inRanges(rs []ring.Range) func(int64) bool {
	return func(tok int64) bool {
		for _, r := range rs {
			if r.Contains(tok) {
				return true
			}
		}
		return false
	}
}

// sameLines fails the test unless got and want hold the same lines.
func sameLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d partitions, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: partition %d differs:\n got %.200s\nwant %.200s", what, i, got[i], want[i])
		}
	}
}

// collect runs a sending session of req from tb and returns copies of its
// frames.
func collect(t testing.TB, tb *storage.Table, req Request, chunk int) ([][]byte, SendStats) {
	t.Helper()
	var frames [][]byte
	st, err := sendSession(context.Background(), tb, req, nil, nil, func(f []byte) error {
		frames = append(frames, append([]byte(nil), f...))
		return nil
	}, chunk)
	if err != nil {
		t.Fatal(err)
	}
	return frames, st
}

// replay returns a next function over frames, then io.EOF.
func replay(frames [][]byte) func() ([]byte, error) {
	i := 0
	return func() ([]byte, error) {
		if i == len(frames) {
			return nil, io.EOF
		}
		i++
		return frames[i-1], nil
	}
}

// kinds returns the kind of each frame, as a string.
func kinds(frames [][]byte) string {
	var sb strings.Builder
	for _, f := range frames {
		sb.WriteByte(f[1])
	}
	return sb.String()
}

func fileCount(tb *storage.Table) int { return len(tb.Files()) }
