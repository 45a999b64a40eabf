package storage

import (
	"fmt"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// benchTable loads parts partitions of rows rows each (10 cells of 100
// bytes per row), flushed into files SSTables, and returns the table.
func benchTable(b *testing.B, parts, rows, files int) *Table {
	return benchTableMem(b, parts, rows, files, false)
}

// benchTableMem is benchTable that, if memLast, leaves the last file's
// share of rows in the memtable.
func benchTableMem(b *testing.B, parts, rows, files int, memLast bool) *Table {
	b.Helper()
	e := openTest(b, vfs.NewMem(), func(o *Options) { o.DisableAutoCompaction = true })
	b.Cleanup(func() { e.Close() })
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 100)
	per := rows / files
	for f := range files {
		for r := f * per; r < (f+1)*per; r++ {
			for p := range parts {
				row := mutation.NewRow(ck(r))
				row.Liveness = mutation.Liveness{Timestamp: int64(r + 1), ExpiresAt: mutation.NoDeletionTime}
				for c := range 10 {
					row.Cells = append(row.Cells, mutation.Cell{Column: uint32(c), Timestamp: int64(r + 1),
						LocalDeletionTime: mutation.NoDeletionTime, Value: val})
				}
				m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(p), Deletion: mutation.Live, Rows: []mutation.Row{row}}}
				if err := e.Apply(m); err != nil {
					b.Fatal(err)
				}
			}
		}
		if memLast && f == files-1 {
			break
		}
		if err := tb.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	return tb
}

// BenchmarkReadNewest50 reads the newest 50 rows of a 10,000-row partition
// spread over 4 SSTables, as the engine benchmark's slice workload does.
func BenchmarkReadNewest50(b *testing.B) {
	tb := benchTable(b, 2, 10_000, 4)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, err := tb.Read(Query{Key: pk(i % 2), Reverse: true, Limit: 50})
		if err != nil || p == nil || len(p.Rows) != 50 {
			b.Fatalf("got %v, %v", p, err)
		}
	}
}

// BenchmarkReadPoint reads single-row partitions.
func BenchmarkReadPoint(b *testing.B) {
	tb := benchTable(b, 10_000, 1, 1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, err := tb.Read(Query{Key: pk(i % 10_000)})
		if err != nil || p == nil || len(p.Rows) != 1 {
			b.Fatal(fmt.Sprint(p, err))
		}
	}
}

// BenchmarkReadFuncNewest50 is BenchmarkReadNewest50 streaming the rows.
func BenchmarkReadFuncNewest50(b *testing.B) {
	tb := benchTable(b, 2, 10_000, 4)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := 0
		if _, err := tb.ReadFunc(Query{Key: pk(i % 2), Reverse: true, Limit: 50}, func(*mutation.Row) bool { n++; return true }); err != nil || n != 50 {
			b.Fatalf("got %d rows, %v", n, err)
		}
	}
}

// BenchmarkReadNewest50Mem is BenchmarkReadNewest50 with the newest rows in
// the memtable and the older ones in 3 SSTables, as a timeline partition
// being written to is.
func BenchmarkReadNewest50Mem(b *testing.B) {
	tb := benchTableMem(b, 2, 10_000, 4, true)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p, err := tb.Read(Query{Key: pk(i % 2), Reverse: true, Limit: 50, Columns: []uint32{1, 2}})
		if err != nil || p == nil || len(p.Rows) != 50 || len(p.Rows[0].Cells) != 2 {
			b.Fatalf("got %v, %v", p, err)
		}
	}
}
