package storage

import (
	"encoding/binary"
	"fmt"
	"testing"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
)

var testTable = mutation.TableID{1, 2, 3}

func pk(i int) mutation.Key {
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return mutation.Key{Token: ring.Murmur3(b), Bytes: b}
}

func ck(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

func cellv(col uint32, ts int64, v string) mutation.Cell {
	return mutation.Cell{Column: col, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}
}

func rowMut(p, c int, ts int64, v string) *mutation.Mutation {
	r := mutation.NewRow(ck(c))
	r.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	r.Cells = []mutation.Cell{cellv(1, ts, v)}
	return &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live, Rows: []mutation.Row{r}}}
}

func openTest(t testing.TB, fs vfs.FS, mod func(*Options)) *Engine {
	t.Helper()
	o := DefaultOptions("/db")
	o.FS = fs
	if mod != nil {
		mod(&o)
	}
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func readVals(t testing.TB, tb *Table, p int) string {
	t.Helper()
	part, err := tb.Read(Query{Key: pk(p)})
	if err != nil {
		t.Fatal(err)
	}
	if part == nil {
		return "<none>"
	}
	s := ""
	for _, r := range part.Rows {
		s += fmt.Sprintf("%d=", binary.BigEndian.Uint32(r.Clustering))
		for _, c := range r.Cells {
			s += string(c.Value)
		}
		s += " "
	}
	return s
}

func TestApplyFlushReopen(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.CommitLogSync = commitlog.Batch })
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := e.Apply(rowMut(1, i, int64(i+1), fmt.Sprint("a", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	// Newer values in the memtable shadow the flushed ones.
	for i := 0; i < 10; i += 2 {
		if err := e.Apply(rowMut(1, i, int64(100+i), fmt.Sprint("b", i))); err != nil {
			t.Fatal(err)
		}
	}
	want := "0=b0 1=a1 2=b2 3=a3 4=b4 5=a5 6=b6 7=a7 8=b8 9=a9 "
	if got := readVals(t, tb, 1); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := len(tb.Files()); got != 1 {
		t.Fatalf("got %d files, want 1", got)
	}
	// A crash: the batch-mode acknowledged writes come back from the log.
	e2 := openTest(t, fs.Crash(), nil)
	defer e2.Close()
	if got := readVals(t, e2.Table(testTable), 1); got != want {
		t.Fatalf("after crash: got %q, want %q", got, want)
	}
	e.Close()
}

func TestDeletesAndSlices(t *testing.T) {
	e := openTest(t, vfs.NewMem(), nil)
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{})
	for i := 0; i < 10; i++ {
		e.Apply(rowMut(1, i, 10, fmt.Sprint(i)))
	}
	tb.Flush()
	// Range delete [3, 6) at ts 10 shadows the rows written at 10.
	rt := mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Live,
		RangeTombstones: []mutation.RangeTombstone{{Start: ck(3), End: ck(6), Deletion: mutation.Deletion{Timestamp: 10, LocalDeletionTime: 1}}}}}
	if err := e.Apply(&rt); err != nil {
		t.Fatal(err)
	}
	// Row delete of 8.
	rd := mutation.NewRow(ck(8))
	rd.Deletion = mutation.Deletion{Timestamp: 11, LocalDeletionTime: 1}
	e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Live, Rows: []mutation.Row{rd}}})
	if got, want := readVals(t, tb, 1), "0=0 1=1 2=2 6=6 7=7 9=9 "; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	p, err := tb.Read(Query{Key: pk(1), Start: ck(1), End: ck(8), Reverse: true, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint32
	for _, r := range p.Rows {
		got = append(got, binary.BigEndian.Uint32(r.Clustering))
	}
	if fmt.Sprint(got) != "[7 6 2]" {
		t.Fatalf("reverse slice: got %v, want [7 6 2]", got)
	}
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	if got, want := readVals(t, tb, 1), "0=0 1=1 2=2 6=6 7=7 9=9 "; got != want {
		t.Fatalf("after compaction: got %q, want %q", got, want)
	}
	// Partition delete.
	e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1), Deletion: mutation.Deletion{Timestamp: 50, LocalDeletionTime: 1}}})
	if got := readVals(t, tb, 1); got != "<none>" {
		t.Fatalf("after partition delete: got %q", got)
	}
}
