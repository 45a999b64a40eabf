package mutation

import (
	"fmt"
	"testing"
)

// benchRow is a typical row: a marker and ten live cells of 16 to 64 bytes,
// one of them a collection element.
func benchRow() Row {
	r := NewRow([]byte("clustering"))
	r.Liveness = Liveness{Timestamp: 1_700_000_000_000_000, ExpiresAt: NoDeletionTime}
	for i := range 10 {
		c := Cell{Column: uint32(i), Timestamp: r.Liveness.Timestamp, LocalDeletionTime: NoDeletionTime,
			Value: make([]byte, 16+4*i)}
		if i == 9 {
			c.Path = []byte("elem")
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

func benchMutation(rows int) Mutation {
	m := Mutation{Table: TableID{1}}
	m.Partition = Partition{Key: Key{Token: 42, Bytes: []byte("partition-key")}, Deletion: Live}
	for i := range rows {
		r := benchRow()
		r.Clustering = fmt.Appendf(nil, "c%06d", i)
		m.Partition.Rows = append(m.Partition.Rows, r)
	}
	return m
}

func BenchmarkDecodeRow(b *testing.B) {
	r := benchRow()
	enc := AppendRow(nil, &r)
	var out Row
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeRow(enc, r.Clustering, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanRow(b *testing.B) {
	r := benchRow()
	enc := AppendRow(nil, &r)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScanRow(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRowHasDeletions(b *testing.B) {
	r := benchRow()
	enc := AppendRow(nil, &r)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if RowHasDeletions(enc) {
			b.Fatal("deletions reported")
		}
	}
}

func BenchmarkDecodeMutation(b *testing.B) {
	m := benchMutation(20)
	enc := AppendMutation(nil, &m)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMutation(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeView(b *testing.B) {
	m := benchMutation(20)
	enc := AppendMutation(nil, &m)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := DecodeView(enc); err != nil {
			b.Fatal(err)
		}
	}
}
