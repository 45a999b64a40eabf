package sstable

import (
	"math"
	"math/rand"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// TestLayout checks that the parts Layout reports add up to the file, and
// that the data blocks' stored and decompressed sizes are consistent with
// their compression.
func TestLayout(t *testing.T) {
	for _, comp := range []Compression{Snappy, None} {
		fs := vfs.NewMem()
		parts := genTable(rand.New(rand.NewSource(3)), 300)
		meta := writeTable(t, fs, "/t.sst", parts, WriterOptions{BlockSize: 1 << 10, SummaryInterval: 16, Compression: comp})
		r, err := Open(fs, "/t.sst", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l, err := r.Layout()
		if err != nil {
			t.Fatal(err)
		}
		if sum := l.Data + l.Index + l.Summary + l.Bloom + l.Stats + l.Footer; sum != meta.FileSize || l.Data != meta.DataSize {
			t.Errorf("compression %d: layout %+v sums to %d, want file size %d", comp, l, sum, meta.FileSize)
		}
		if l.IndexBlocks == 0 || l.BloomHashes == 0 || l.BloomBits == 0 {
			t.Errorf("compression %d: layout %+v", comp, l)
		}
		var stored int64
		compressed := 0
		it := r.Blocks(mutation.Key{Token: math.MinInt64})
		for it.Next() {
			b := it.Block()
			stored += int64(len(b.Stored()))
			if b.Compressed() {
				compressed++
				if len(b.Stored())-trailerSize >= b.Size() {
					t.Errorf("a compressed block of %d bytes stored in %d", b.Size(), len(b.Stored()))
				}
			} else if len(b.Stored())-trailerSize != b.Size() {
				t.Errorf("an uncompressed block of %d bytes stored in %d", b.Size(), len(b.Stored()))
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if stored != meta.DataSize {
			t.Errorf("compression %d: blocks store %d bytes, want %d", comp, stored, meta.DataSize)
		}
		if (compressed > 0) != (comp == Snappy) {
			t.Errorf("compression %d: %d blocks compressed", comp, compressed)
		}
		r.Close()
	}
}
