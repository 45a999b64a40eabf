package query

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/sstable/codec"
	"wcdb/storage"
)

// diskCodecs returns, per live SSTable of ks.t, what its data blocks are
// stored with ("zstd", or "none" when no block is compressed) and the
// options it records, checking that no block is larger than the chunk
// length allows (the block is cut after the entry that reaches it).
func diskCodecs(e *ddlEnv, st *storage.Table) []string {
	e.t.Helper()
	var out []string
	for _, f := range st.Files() {
		r, err := sstable.Open(e.fs, f.Path, sstable.ReaderOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		p := r.Meta().Codec
		if p == nil {
			e.t.Fatalf("%s records no compression options", f.Path)
		}
		seen := map[codec.ID]int{}
		it := r.Blocks(mutation.Key{Token: math.MinInt64})
		for it.Next() {
			b := it.Block()
			seen[b.Codec()]++
			if b.Size() > p.BlockSize+1024 {
				e.t.Errorf("%s: a data block of %d bytes, for %d-byte chunks", f.Path, b.Size(), p.BlockSize)
			}
		}
		if err := it.Close(); err != nil {
			e.t.Fatal(err)
		}
		r.Close()
		blocks := "none"
		if len(seen) != 1 {
			blocks = fmt.Sprint(seen)
		}
		for id := range seen {
			if len(seen) == 1 && id != codec.None {
				blocks = id.String()
			}
		}
		out = append(out, blocks+" ("+p.String()+")")
	}
	return out
}

// TestCompressionThroughCQL: the compression CREATE and ALTER TABLE name
// is what DESCRIBE shows, in Cassandra 5's form, and what the SSTables'
// blocks are written with; recompress_sstables rewrites only the files in
// another compression.
func TestCompressionThroughCQL(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c)) WITH compression = " +
		"{'class': 'ZstdCompressor', 'chunk_length_in_kb': 4, 'compression_level': 3}")
	st := e.engine.Table(e.x.catalog.Table("ks", "t").ID)
	rows := 0
	write := func() {
		t.Helper()
		for i := 0; i < 60; i++ {
			e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (%d, %d, '%s')", rows%7, rows,
				strings.Repeat(fmt.Sprintf("row %d of a compressible value; ", rows), 8)))
			rows++
		}
		if err := st.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when, wantDescribe string, wantDisk ...string) {
		t.Helper()
		d := describeTable(e, "ks.t")
		if !strings.Contains(d, "\n    AND compression = "+wantDescribe+"\n") {
			t.Errorf("%s: DESCRIBE lacks compression = %s:\n%s", when, wantDescribe, d)
		}
		if got, want := strings.Join(diskCodecs(e, st), "; "), strings.Join(wantDisk, "; "); got != want {
			t.Errorf("%s: SSTables hold %s, want %s", when, got, want)
		}
		r := e.mustExec("SELECT count(*) FROM ks.t")
		if got := fmt.Sprintf("%x", r.Rows[0][0]); got != fmt.Sprintf("%016x", rows) {
			t.Errorf("%s: count(*) = %s, want %d", when, got, rows)
		}
	}
	const pkg = "org.apache.cassandra.io.compress."
	zstd4 := "{'chunk_length_in_kb': '4', 'class': '" + pkg + "ZstdCompressor', 'compression_level': '3'}"
	write()
	check("after CREATE", zstd4, "zstd (zstd level 3, 4 KiB blocks)")

	e.mustExec("ALTER TABLE ks.t WITH compression = {'class': 'SnappyCompressor'}")
	snappy := "{'chunk_length_in_kb': '16', 'class': '" + pkg + "SnappyCompressor'}"
	check("after ALTER", snappy, "zstd (zstd level 3, 4 KiB blocks)")
	write()
	check("after ALTER and a flush", snappy, "zstd (zstd level 3, 4 KiB blocks)", "snappy (snappy, 16 KiB blocks)")
	if n, current, err := st.Recompress(); err != nil || n != 1 || current != 1 {
		t.Fatalf("Recompress: rewrote %d, left %d, %v; want 1 and 1", n, current, err)
	}
	check("after recompress", snappy, "snappy (snappy, 16 KiB blocks)", "snappy (snappy, 16 KiB blocks)")
	e.restart()
	st = e.engine.Table(e.x.catalog.Table("ks", "t").ID)
	check("after a restart", snappy, "snappy (snappy, 16 KiB blocks)", "snappy (snappy, 16 KiB blocks)")

	e.mustExec("ALTER TABLE ks.t WITH compression = {'enabled': false}")
	write()
	check("after enabled: false", "{'enabled': 'false'}",
		"snappy (snappy, 16 KiB blocks)", "snappy (snappy, 16 KiB blocks)", "none (none, 16 KiB blocks)")

	e.mustExec("ALTER TABLE ks.t WITH compression = {'class': 'LZ4Compressor', 'lz4_compressor_type': 'high', 'chunk_length_in_kb': 8}")
	if n, current, err := st.Recompress(); err != nil || n != 3 || current != 0 {
		t.Fatalf("Recompress: rewrote %d, left %d, %v; want 3 and 0", n, current, err)
	}
	lz4 := "lz4 (lz4 high level 9, 8 KiB blocks)"
	check("after ALTER to LZ4 high", "{'chunk_length_in_kb': '8', 'class': '"+pkg+"LZ4Compressor', 'lz4_compressor_type': 'high'}",
		lz4, lz4, lz4)
}
