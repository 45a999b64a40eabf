package sstable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"wcdb/internal/bin"
	"wcdb/internal/corrupt"
	"wcdb/mutation"
	"wcdb/sstable/codec"
)

// The SSTable file format, version 4.
//
// Version 3 is version 2 with more block codecs (types 2-4 below); version
// 4 is version 3 with the compression options recorded at the end of the
// stats block. Readers read all three; the writer writes 4, so that a node
// of an older version, which could not read the stats block (or decode the
// blocks), is streamed rows rather than whole blocks or files (streaming
// sends blocks only to a node of the file's version).
//
// A table is one file, a sequence of blocks followed by a fixed-size footer.
// Blocks of different kinds are interleaved: the writer streams data blocks
// and emits a row-index or partition-index block as soon as everything it
// points at is on disk, so nothing proportional to the table is held in
// memory except the bloom hashes (8 bytes per partition) and the summary.
//
//	[data 0][data 1][row index a][data 2][index 0][data 3] ... [index M-1]
//	[summary][bloom][stats][footer]
//
// Every block is framed the same way; its handle (offset, length) names the
// payload, the 5-byte trailer follows it:
//
//	+-----------------------+------+-------------------------------+
//	| payload (length n)    | type | crc32c(payload, type) uint32LE |
//	+-----------------------+------+-------------------------------+
//	type: the codec id (sstable/codec, whose comment draws each payload):
//	      0 = stored as is, 1 = snappy, 2 = lz4, 3 = zstd, 4 = deflate.
//	      Version 2 files hold only 0 and 1, and read unchanged. A block is stored as is when compressing does not
//	      reach WriterOptions.MinCompressRatio (or does not shrink it), so
//	      one file may mix type 0 with its codec; a reader needs nothing
//	      but the type byte.
//
// Data, partition-index, row-index and summary blocks decompress to a list
// of entries with an offset table, so an entry can be found by binary search
// and iterated in either direction without decoding its neighbours:
//
//	[entry 0][entry 1]...[entry n-1][off 0 u32LE]...[off n-1 u32LE][n u32LE]
//
// Data block entries (a block is cut after the entry that takes it past
// WriterOptions.BlockSize, so entries never straddle blocks):
//
//	partition start: 'P' | token int64BE | uvarint len | key bytes
//	                 | uvarint len | header
//	row:             'R' | uvarint len | clustering | uvarint len | row bytes
//
// Header and row bytes are mutation's encodings (mutation/encoding.go). A
// table with cell versions (cell_versions, mutation/versions.go) holds a
// cell's versions as cells of their own, flag 0x40, their path the
// version's timestamp (8 bytes, newest first); the file format is
// unchanged, but a reader from before cell versions refuses that flag
// as corrupt, so such a table is created only once every node runs a
// version that has them.
//
// A partition is its start entry followed by its rows, possibly continuing
// in later data blocks (not necessarily adjacent in the file).
//
// The partition index is sparse, so that it stays small beside the data
// it indexes (it competes with data blocks for the block cache): a
// partition has an entry if it is the first partition that starts and ends
// in its data block, or if it does not end in the block it starts in (it
// then needs a row index, or at least its own entry). Any other partition
// starts and ends in the data block of the entry before it, after that
// entry's partition: readers find it by walking the block's partition start
// entries from there. Entries are in key order; an index block holds
// WriterOptions.SummaryInterval entries:
//
//	token int64BE | uvarint len | key bytes
//	| uvarint off | uvarint n     handle of the data block with the start entry
//	| uvarint hdr                 entry number of the start entry in that block
//	| uvarint end                 if the partition fits in that block: one past
//	                              its last row entry; else 0
//	| uvarint off | uvarint n     if end == 0: handle of its row-index block
//
// Row-index entry, one per data block holding rows of a multi-block
// partition, in clustering order:
//
//	uvarint len | first clustering in the block
//	| uvarint off | uvarint n | uvarint lo | uvarint hi
//	                              block handle, entry range [lo, hi) of the rows
//
// Summary entry, one per partition-index block: the block's first key and
// handle (token int64BE | uvarint len | key | uvarint off | uvarint n).
//
// Bloom block (not entry-structured): uvarint m (bits) | uvarint k (hashes) |
// ceil(m/64) words uint64LE. Members are keyHash(key) as 8 bytes LE; keyHash
// is FNV-1a 64 over token (8 bytes BE) and key bytes, so keys sharing a token
// still filter apart.
//
// Stats block (not entry-structured), varints: MinTimestamp, MaxTimestamp,
// MaxLocalDeletionTime, MaxTombstoneTime, Rows, Tombstones (zigzag), Partitions, DataSize
// (uvarint), then MinKey and MaxKey (zigzag token, uvarint len, bytes).
// Version 4 appends the options the blocks were written with (CodecParams),
// so that a file can be told to match a table's compression without
// reading its blocks (recompress_sstables skips those that do):
//
//	codec id byte | uvarint block size | zigzag level | flags byte
//	| min_compress_ratio float64LE bits
//
//	codec id:   the codec of WriterOptions.Compression (a block may still be
//	            stored as is, type 0, when it does not shrink enough)
//	block size: WriterOptions.BlockSize, the data block target in bytes
//	level:      the codec's level with its default filled in (zstd 3,
//	            deflate 5, LZ4 high 9); 0 for a codec without levels
//	flags:      bit 0 = LZ4's high compressor; bit 1 = some data blocks
//	            were copied as stored from another file (Writer.AddBlock,
//	            streaming), so may have been written with other options;
//	            other bits are 0
//
// For example zstd at level 3 in 4 KiB blocks, no min_compress_ratio:
// 03 80 20 06 00 00 00 00 00 00 00 00 00. Versions 2 and 3 end at MaxKey.
//
// Footer, 64 bytes:
//
//	summary handle (off u64LE, n u64LE) | bloom handle | stats handle
//	| format version u32LE | magic u64LE | crc32c of the preceding 60 bytes u32LE

// FormatVersion is the version written in the footer of new tables.
const FormatVersion = 4

const (
	magic       = 0x3174737763626477 // "wdbcwst1" little-endian
	footerSize  = 64
	trailerSize = 5

	compNone = byte(codec.None)

	tagPartition = 'P'
	tagRow       = 'R'
)

// ErrCorrupt marks every error caused by a damaged or malformed file. Test
// for it with errors.Is.
var ErrCorrupt = corrupt.New("sstable: corrupt")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type handle struct {
	off, n uint64
}

func corruptf(path string, off int64, format string, args ...any) error {
	if off < 0 {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%w: %s: offset %d: %s", ErrCorrupt, path, off, fmt.Sprintf(format, args...))
}

// keyHash is the bloom filter member for key (see the format comment).
func keyHash(k mutation.Key) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	t := uint64(k.Token)
	for i := 56; i >= 0; i -= 8 {
		h ^= (t >> uint(i)) & 0xff
		h *= prime
	}
	for _, c := range k.Bytes {
		h ^= uint64(c)
		h *= prime
	}
	return h
}

// blockBuilder accumulates entries and their offsets.
type blockBuilder struct {
	buf     []byte
	offsets []uint32
}

func (b *blockBuilder) n() int { return len(b.offsets) }

func (b *blockBuilder) startEntry() { b.offsets = append(b.offsets, uint32(len(b.buf))) }

func (b *blockBuilder) size() int { return len(b.buf) + 4*len(b.offsets) + 4 }

// finish appends the offset table and returns the block contents.
func (b *blockBuilder) finish() []byte {
	for _, o := range b.offsets {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, o)
	}
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(b.offsets)))
	return b.buf
}

func (b *blockBuilder) reset() {
	b.buf = b.buf[:0]
	b.offsets = b.offsets[:0]
}

// entry returns the bytes of entry i while the block is being built.
func (b *blockBuilder) entry(i int) []byte {
	end := len(b.buf)
	if i+1 < len(b.offsets) {
		end = int(b.offsets[i+1])
	}
	return b.buf[b.offsets[i]:end]
}

// block is a decompressed, checksum-verified block whose offset table has
// been validated: entry i is data[offs[i]:offs[i+1]] with offs monotonic.
// Blocks are immutable and shared through the cache.
type block struct {
	data []byte // entries followed by the offset table
	n    int    // number of entries
	tab  int    // start of the offset table
}

func (b *block) entry(i int) []byte {
	start := binary.LittleEndian.Uint32(b.data[b.tab+4*i:])
	end := uint32(b.tab)
	if i+1 < b.n {
		end = binary.LittleEndian.Uint32(b.data[b.tab+4*i+4:])
	}
	return b.data[start:end]
}

// parseBlock validates the offset table of decompressed block data.
func parseBlock(data []byte) (*block, bool) {
	if len(data) < 4 {
		return nil, false
	}
	n := uint64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if n*4+4 > uint64(len(data)) {
		return nil, false
	}
	tab := len(data) - 4 - int(n)*4
	prev := uint32(0)
	for i := 0; i < int(n); i++ {
		o := binary.LittleEndian.Uint32(data[tab+4*i:])
		if o < prev || o > uint32(tab) {
			return nil, false
		}
		prev = o
	}
	if n > 0 && binary.LittleEndian.Uint32(data[tab:]) != 0 {
		return nil, false
	}
	return &block{data: data, n: int(n), tab: tab}, true
}

// frame compresses contents with enc (keeping the result only when it
// reaches minRatio, or saves an eighth if minRatio is 0) and frames it
// into dst.
func frame(dst, contents []byte, enc *codec.Encoder, minRatio float64) ([]byte, error) {
	typ := compNone
	dst = dst[:0]
	if enc.ID() != codec.None && len(contents) > 0 {
		c, err := enc.Encode(dst, contents)
		if err != nil {
			return nil, err
		}
		// Without a ratio, compression must save an eighth (as this
		// format always required of snappy): below that the CPU of decoding
		// buys too little.
		keep := len(c) <= len(contents)-len(contents)/8
		if minRatio > 0 {
			keep = len(c) < len(contents) && float64(len(contents)) >= minRatio*float64(len(c))
		}
		if keep {
			dst, typ = c, byte(enc.ID())
		} else {
			dst = c[:0]
		}
	}
	if typ == compNone {
		dst = append(dst, contents...)
	}
	dst = append(dst, typ)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst, crcTable)), nil
}

// unframe checks the trailer of raw (payload + trailer) and returns the
// decompressed contents. raw's payload may be returned when uncompressed.
func unframe(raw []byte) ([]byte, error) { return unframeTo(nil, raw) }

// unframeTo is unframe decompressing into dst when it is large enough.
func unframeTo(dst, raw []byte) ([]byte, error) {
	if len(raw) < trailerSize {
		return nil, errors.New("short block")
	}
	n := len(raw) - trailerSize
	want := binary.LittleEndian.Uint32(raw[n+1:])
	if got := crc32.Checksum(raw[:n+1], crcTable); got != want {
		return nil, fmt.Errorf("block checksum mismatch: got %08x, want %08x", got, want)
	}
	id := codec.ID(raw[n])
	if !id.Known() {
		return nil, fmt.Errorf("unknown compression type %d", raw[n])
	}
	out, err := codec.Decode(id, dst, raw[:n])
	if err != nil {
		return nil, fmt.Errorf("bad %s block", id)
	}
	return out, nil
}

// decodeHandle reads a block handle (uvarint off, uvarint n).
func decodeHandle(d *bin.Decoder) handle {
	return handle{off: d.Uvarint(), n: d.Uvarint()}
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendHandle(dst []byte, h handle) []byte {
	dst = binary.AppendUvarint(dst, h.off)
	return binary.AppendUvarint(dst, h.n)
}

func appendKey(dst []byte, k mutation.Key) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(k.Token))
	return appendBytes(dst, k.Bytes)
}

// compareKeyEntry compares k with the key at the front of an index or
// summary entry without allocating.
func compareKeyEntry(k mutation.Key, e []byte) (int, bool) {
	d := bin.NewDecoder(e)
	tok := int64(d.Uint64BE())
	kb := d.Bytes()
	if d.Failed() {
		return 0, false
	}
	return k.Compare(mutation.Key{Token: tok, Bytes: kb}), true
}

// indexEntry is a decoded partition-index entry.
type indexEntry struct {
	key      mutation.Key
	data     handle // block with the start entry
	hdr      uint64 // entry number of the start entry
	end      uint64 // one past the last row entry, or 0 with rowIndex set
	rowIndex handle
}

func appendIndexEntry(dst []byte, e *indexEntry) []byte {
	dst = appendKey(dst, e.key)
	dst = appendHandle(dst, e.data)
	dst = binary.AppendUvarint(dst, e.hdr)
	dst = binary.AppendUvarint(dst, e.end)
	if e.end == 0 {
		dst = appendHandle(dst, e.rowIndex)
	}
	return dst
}

func decodeIndexEntry(b []byte, e *indexEntry) bool {
	d := bin.NewDecoder(b)
	e.key.Token = int64(d.Uint64BE())
	e.key.Bytes = d.Bytes()
	e.data = decodeHandle(&d)
	e.hdr = d.Uvarint()
	e.end = d.Uvarint()
	e.rowIndex = handle{}
	if e.end == 0 {
		e.rowIndex = decodeHandle(&d)
	} else if e.end <= e.hdr {
		return false
	}
	return d.Done()
}

// rowIndexEntry is a decoded row-index entry.
type rowIndexEntry struct {
	first  []byte
	data   handle
	lo, hi uint64
}

func appendRowIndexEntry(dst []byte, e *rowIndexEntry) []byte {
	dst = appendBytes(dst, e.first)
	dst = appendHandle(dst, e.data)
	dst = binary.AppendUvarint(dst, e.lo)
	return binary.AppendUvarint(dst, e.hi)
}

func decodeRowIndexEntry(b []byte, e *rowIndexEntry) bool {
	d := bin.NewDecoder(b)
	e.first = d.Bytes()
	e.data = decodeHandle(&d)
	e.lo = d.Uvarint()
	e.hi = d.Uvarint()
	return d.Done() && e.lo < e.hi
}

// decodeRow splits a row entry; ok is false if it is not a well-formed row.
func decodeRow(e []byte) (clustering, row []byte, ok bool) {
	d := bin.NewDecoder(e)
	if d.Byte() != tagRow {
		return nil, nil, false
	}
	clustering = d.Bytes()
	row = d.Bytes()
	return clustering, row, d.Done()
}

// rowClustering decodes only the clustering of a row entry.
func rowClustering(e []byte) ([]byte, bool) {
	d := bin.NewDecoder(e)
	if d.Byte() != tagRow {
		return nil, false
	}
	c := d.Bytes()
	return c, !d.Failed()
}

func decodePartitionStart(e []byte) (key mutation.Key, header []byte, ok bool) {
	d := bin.NewDecoder(e)
	if d.Byte() != tagPartition {
		return mutation.Key{}, nil, false
	}
	key.Token = int64(d.Uint64BE())
	key.Bytes = d.Bytes()
	header = d.Bytes()
	return key, header, d.Done()
}

// partitionEnd returns the entry after the last row of the partition whose
// start entry is i, for a partition that ends in block b: the next
// partition start, or the end of the block.
func partitionEnd(b *block, i int) int {
	for i++; i < b.n; i++ {
		if e := b.entry(i); len(e) > 0 && e[0] == tagPartition {
			break
		}
	}
	return i
}
