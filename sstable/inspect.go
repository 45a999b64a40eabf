package sstable

import (
	"encoding/binary"
	"fmt"

	"wcdb/sstable/codec"
)

// Layout is where a table's bytes go, for tools (wcdb sstable metadata).
// Block sizes include their 5-byte trailers.
type Layout struct {
	FileSize int64 `json:"file"`
	// Data is the data blocks (Meta.DataSize); Index the partition-index
	// and row-index blocks, which the writer interleaves with them.
	Data  int64 `json:"data"`
	Index int64 `json:"index"`
	// Summary, Bloom and Stats are the three blocks the footer names.
	Summary int64 `json:"summary"`
	Bloom   int64 `json:"bloom_filter"`
	Stats   int64 `json:"stats"`
	Footer  int64 `json:"footer"`
	// IndexBlocks counts the partition-index blocks (one per summary
	// entry).
	IndexBlocks int `json:"index_blocks"`
	// BloomBits and BloomHashes are the filter's m and k.
	BloomBits   uint64 `json:"bloom_bits"`
	BloomHashes uint64 `json:"bloom_hashes"`
}

// Layout reports where the table's bytes go. It reads the footer again;
// the rest is known since Open.
func (r *Reader) Layout() (Layout, error) {
	var foot [footerSize]byte
	if _, err := r.f.ReadAt(foot[:], int64(r.dataEnd)); err != nil {
		return Layout{}, fmt.Errorf("sstable: read footer of %s: %w", r.path, err)
	}
	block := func(i int) int64 { return int64(binary.LittleEndian.Uint64(foot[16*i+8:])) + trailerSize }
	l := Layout{
		FileSize:    r.meta.FileSize,
		Data:        r.meta.DataSize,
		Summary:     block(0),
		Bloom:       block(1),
		Stats:       block(2),
		Footer:      footerSize,
		IndexBlocks: len(r.summary),
		BloomBits:   uint64(r.bloom.Cap()),
		BloomHashes: uint64(r.bloom.K()),
	}
	l.Index = int64(r.dataEnd) - l.Data - l.Summary - l.Bloom - l.Stats
	return l, nil
}

// Compressed reports whether the block is stored compressed.
func (b *Block) Compressed() bool { return b.stored[len(b.stored)-trailerSize] != compNone }

// Codec returns the codec the block is stored with (codec.None when it is
// stored as is).
func (b *Block) Codec() codec.ID { return codec.ID(b.stored[len(b.stored)-trailerSize]) }

// Size is the size of the block's contents once decompressed (entries and
// offset table); len(Stored()) is what it takes in the file.
func (b *Block) Size() int { return len(b.b.data) }
