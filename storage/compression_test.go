package storage

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/sstable/codec"
)

// fileCodecs returns the codecs of the compressed data blocks of each live
// SSTable, as "lz4" (or "none" for a file with no compressed block).
func fileCodecs(t *testing.T, fs vfs.FS, tb *Table) []string {
	t.Helper()
	var out []string
	for _, f := range tb.Files() {
		r, err := sstable.Open(fs, f.Path, sstable.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[codec.ID]bool{}
		it := r.Blocks(mutation.Key{Token: math.MinInt64})
		for it.Next() {
			seen[it.Block().Codec()] = true
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		var names []string
		for id := codec.None; id <= codec.Deflate; id++ {
			if seen[id] && (id != codec.None || len(seen) == 1) {
				names = append(names, id.String())
			}
		}
		out = append(out, strings.Join(names, "+"))
	}
	return out
}

// compressibleMut is a row of a value that compresses well.
func compressibleMut(p, c int, ts int64) *mutation.Mutation {
	return rowMut(p, c, ts, strings.Repeat(fmt.Sprintf("value %d of row %d; ", p, c), 20))
}

func checkCompressible(t *testing.T, tb *Table, parts, rows int, ts int64) {
	t.Helper()
	for p := 0; p < parts; p++ {
		var want strings.Builder
		for c := 0; c < rows; c++ {
			fmt.Fprintf(&want, "%d=%s ", c, compressibleMut(p, c, ts).Partition.Rows[0].Cells[0].Value)
		}
		if got := readVals(t, tb, p); got != want.String() {
			t.Fatalf("partition %d: got %.80q..., want %.80q...", p, got, want.String())
		}
	}
}

// TestCodecsRoundTrip: each compressor writes its blocks through flushes
// and a compaction, and reads back what was written, before and after a
// reopen.
func TestCodecsRoundTrip(t *testing.T) {
	for _, opts := range []TableOptions{
		{}, // the default: lz4
		{Compression: "snappy"},
		{Compression: "LZ4Compressor", LZ4High: true, CompressionLevel: 12, ChunkLengthKB: 4},
		{Compression: "zstd", CompressionLevel: 9},
		{Compression: "org.apache.cassandra.io.compress.DeflateCompressor", ChunkLengthKB: 64},
		{Compression: "NoopCompressor"},
		{Compression: "zstd", MinCompressRatio: 1000}, // nothing shrinks that much: stored raw
	} {
		wantCodec, _ := codec.Parse(opts.WithDefaults().Compression)
		if opts.MinCompressRatio > 0 {
			wantCodec = codec.None
		}
		t.Run(fmt.Sprintf("%s/%d", opts.Compression, opts.CompressionLevel), func(t *testing.T) {
			fs := vfs.NewMem()
			e := openTest(t, fs, nil)
			tb, err := e.CreateTable(testTable, opts)
			if err != nil {
				t.Fatal(err)
			}
			const parts, rows = 20, 30
			for round := 0; round < 2; round++ {
				for p := 0; p < parts; p++ {
					for c := 0; c < rows; c++ {
						if err := e.Apply(compressibleMut(p, c, int64(round+1))); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := tb.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if got := fileCodecs(t, fs, tb); len(got) != 2 || got[0] != wantCodec.String() || got[1] != wantCodec.String() {
				t.Fatalf("after flushes: codecs %v, want two files of %v", got, wantCodec)
			}
			checkCompressible(t, tb, parts, rows, 2)
			if err := tb.Compact(); err != nil {
				t.Fatal(err)
			}
			if got := fileCodecs(t, fs, tb); len(got) != 1 || got[0] != wantCodec.String() {
				t.Fatalf("after compaction: codecs %v, want one file of %v", got, wantCodec)
			}
			checkCompressible(t, tb, parts, rows, 2)
			if err := tb.Verify(); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e = openTest(t, fs, nil)
			defer e.Close()
			checkCompressible(t, e.Table(testTable), parts, rows, 2)
		})
	}
}

// TestAlterCompressionRecompress: a table written with snappy, altered to
// zstd, reads the same throughout; new flushes write zstd beside the old
// snappy files, and Recompress leaves only zstd files.
func TestAlterCompressionRecompress(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	defer e.Close()
	tb, err := e.CreateTable(testTable, TableOptions{Compression: "SnappyCompressor"})
	if err != nil {
		t.Fatal(err)
	}
	const parts, rows = 10, 20
	write := func(p0 int, ts int64) {
		for p := p0; p < p0+parts/2; p++ {
			for c := 0; c < rows; c++ {
				if err := e.Apply(compressibleMut(p, c, ts)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 1)
	checkCompressible(t, tb, parts/2, rows, 1)
	if err := e.AlterTable(testTable, TableOptions{Compression: "ZstdCompressor", CompressionLevel: 5}); err != nil {
		t.Fatal(err)
	}
	write(parts/2, 1)
	checkCompressible(t, tb, parts, rows, 1)
	if got, want := strings.Join(fileCodecs(t, fs, tb), ","), "snappy,zstd"; got != want {
		t.Fatalf("after ALTER and a flush: codecs %s, want %s", got, want)
	}
	// The zstd file was written at level 5 in 16 KiB blocks, as the table
	// says: only the snappy one is rewritten.
	n, current, err := tb.Recompress()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || current != 1 {
		t.Fatalf("Recompress rewrote %d files and left %d, want 1 and 1", n, current)
	}
	if got, want := strings.Join(fileCodecs(t, fs, tb), ","), "zstd,zstd"; got != want {
		t.Fatalf("after Recompress: codecs %s, want %s", got, want)
	}
	checkCompressible(t, tb, parts, rows, 1)
	if err := tb.Verify(); err != nil {
		t.Fatal(err)
	}
}

// TestRecompressSkipsCurrent: Recompress rewrites only the files whose
// recorded options differ from the table's: none when all are current,
// then each file once the codec, the level or the chunk length changes.
func TestRecompressSkipsCurrent(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	defer e.Close()
	opts := TableOptions{Compression: "ZstdCompressor", CompressionLevel: 3, ChunkLengthKB: 4}
	tb, err := e.CreateTable(testTable, opts)
	if err != nil {
		t.Fatal(err)
	}
	for f := 0; f < 3; f++ {
		for p := 0; p < 5; p++ {
			if err := e.Apply(compressibleMut(f*5+p, 0, 1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	files := func() []uint64 {
		var nums []uint64
		for _, f := range tb.Files() {
			nums = append(nums, f.Num)
		}
		return nums
	}
	recompress := func(wantN, wantCurrent int) {
		t.Helper()
		before := files()
		n, current, err := tb.Recompress()
		if err != nil {
			t.Fatal(err)
		}
		if n != wantN || current != wantCurrent {
			t.Fatalf("Recompress rewrote %d files and left %d, want %d and %d", n, current, wantN, wantCurrent)
		}
		if after := files(); wantN == 0 && fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("files %v became %v though nothing was rewritten", before, after)
		}
		checkCompressible(t, tb, 15, 1, 1)
	}
	recompress(0, 3)
	// The level written when none is named is 3: the same options.
	opts.CompressionLevel = 0
	if err := e.AlterTable(testTable, opts); err != nil {
		t.Fatal(err)
	}
	recompress(0, 3)
	for _, change := range []func(o *TableOptions){
		func(o *TableOptions) { o.CompressionLevel = 9 },
		func(o *TableOptions) { o.ChunkLengthKB = 16 },
		func(o *TableOptions) { o.MinCompressRatio = 1.1 },
		func(o *TableOptions) { o.Compression = "SnappyCompressor" },
	} {
		change(&opts)
		if err := e.AlterTable(testTable, opts); err != nil {
			t.Fatal(err)
		}
		recompress(3, 0)
		recompress(0, 3)
	}
	if got, want := strings.Join(fileCodecs(t, fs, tb), ","), "snappy,snappy,snappy"; got != want {
		t.Fatalf("codecs %s, want %s", got, want)
	}
}
