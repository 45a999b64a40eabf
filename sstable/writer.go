package sstable

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"path/filepath"

	"github.com/bits-and-blooms/bloom/v3"

	"wcdb/internal/bin"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable/codec"
)

// Compression selects how blocks are compressed. Each block records its
// codec (sstable/codec's ids), so a reader needs no option to read it.
type Compression uint8

const (
	// Snappy compresses blocks with snappy (the zero value's default).
	Snappy Compression = iota
	// None stores blocks uncompressed.
	None
	// LZ4 compresses blocks with LZ4 (fast, or high with LZ4High).
	LZ4
	// Zstd compresses blocks with zstd at CompressionLevel.
	Zstd
	// Deflate compresses blocks with deflate at CompressionLevel.
	Deflate
)

// Codec returns the codec id c stores blocks with.
func (c Compression) Codec() (codec.ID, error) {
	switch c {
	case Snappy:
		return codec.Snappy, nil
	case None:
		return codec.None, nil
	case LZ4:
		return codec.LZ4, nil
	case Zstd:
		return codec.Zstd, nil
	case Deflate:
		return codec.Deflate, nil
	}
	return 0, fmt.Errorf("sstable: unknown compression %d", c)
}

// CompressionOf returns the Compression that writes blocks with id.
func CompressionOf(id codec.ID) (Compression, error) {
	for c := Snappy; c <= Deflate; c++ {
		if got, _ := c.Codec(); got == id {
			return c, nil
		}
	}
	return 0, fmt.Errorf("sstable: unknown codec %d", id)
}

// WriterOptions configure a Writer. The zero value gives the defaults.
type WriterOptions struct {
	// BlockSize is the target uncompressed size of a data block; blocks are
	// cut after the entry that reaches it. Default 16 KiB.
	BlockSize int
	// Compression of blocks. Default Snappy.
	Compression Compression
	// CompressionLevel is zstd's or deflate's level, or with LZ4High the
	// LZ4 high compressor's (see codec.Options); 0 is the codec's default.
	CompressionLevel int
	// LZ4High selects LZ4's high-compression encoder.
	LZ4High bool
	// MinCompressRatio is Cassandra's min_compress_ratio: a block is stored
	// compressed only when its size divided by the compressed size is at
	// least this (and it is smaller). 0 keeps a compressed block when it
	// saves at least an eighth.
	MinCompressRatio float64
	// BloomFPChance is the bloom filter's target false-positive rate.
	// Default 0.01.
	BloomFPChance float64
	// SummaryInterval is the number of entries per partition-index block,
	// hence per in-memory summary entry. Default 128.
	SummaryInterval int
	// Observe, if set, is asked for an observer of each table written
	// (storage/sai builds its index components so); it may return nil.
	Observe func(path string) Observer

	// version is the format version written (FormatVersion when 0); tests
	// set an older one to make files of that version.
	version uint32
}

// CodecParams are the compression options a table's blocks were written
// with, resolved (see codec.Options.Resolved) so that options that write
// alike compare equal. Files of format version 4 on record them.
type CodecParams struct {
	Codec codec.ID
	// BlockSize is WriterOptions.BlockSize (chunk_length_in_kb).
	BlockSize int
	// Level and LZ4High are the encoder's resolved options.
	Level   int
	LZ4High bool
	// MinCompressRatio is WriterOptions.MinCompressRatio.
	MinCompressRatio float64
	// Copied is set when data blocks were added as stored (AddBlock:
	// streamed from another file), whose options the file cannot vouch
	// for: such a file never equals options a Writer is given.
	Copied bool
}

// String describes p as "zstd level 3, 16 KiB blocks".
func (p CodecParams) String() string {
	s := p.Codec.String()
	if p.LZ4High {
		s += " high"
	}
	if p.Level != 0 {
		s += fmt.Sprintf(" level %d", p.Level)
	}
	if p.BlockSize%1024 == 0 {
		s += fmt.Sprintf(", %d KiB blocks", p.BlockSize>>10)
	} else {
		s += fmt.Sprintf(", %d-byte blocks", p.BlockSize)
	}
	if p.MinCompressRatio != 0 {
		s += fmt.Sprintf(", min_compress_ratio %g", p.MinCompressRatio)
	}
	if p.Copied {
		s += ", and blocks copied from other files"
	}
	return s
}

// CodecParams returns the compression options a Writer with o records.
func (o WriterOptions) CodecParams() (CodecParams, error) {
	r, err := o.withDefaults()
	if err != nil {
		return CodecParams{}, err
	}
	id, _ := r.Compression.Codec() // checked by withDefaults
	co := codec.Options{Level: r.CompressionLevel, High: r.LZ4High}.Resolved(id)
	return CodecParams{Codec: id, BlockSize: r.BlockSize, Level: co.Level, LZ4High: co.High,
		MinCompressRatio: r.MinCompressRatio}, nil
}

func (o *WriterOptions) withDefaults() (WriterOptions, error) {
	r := *o
	if r.BlockSize == 0 {
		r.BlockSize = 16 << 10
	}
	if r.BloomFPChance == 0 {
		r.BloomFPChance = 0.01
	}
	if r.SummaryInterval == 0 {
		r.SummaryInterval = 128
	}
	if r.version == 0 {
		r.version = FormatVersion
	}
	switch {
	case r.BlockSize < 0:
		return r, fmt.Errorf("sstable: BlockSize %d is negative", r.BlockSize)
	case r.BloomFPChance <= 0 || r.BloomFPChance >= 1:
		return r, fmt.Errorf("sstable: BloomFPChance %v not in (0, 1)", r.BloomFPChance)
	case r.SummaryInterval < 0:
		return r, fmt.Errorf("sstable: SummaryInterval %d is negative", r.SummaryInterval)
	case r.MinCompressRatio < 0:
		return r, fmt.Errorf("sstable: MinCompressRatio %v is negative", r.MinCompressRatio)
	}
	if _, err := r.Compression.Codec(); err != nil {
		return r, err
	}
	return r, nil
}

// Stats are supplied by the caller at Finish and stored verbatim.
type Stats struct {
	MinTimestamp, MaxTimestamp int64
	// MaxLocalDeletionTime is Cassandra's: the latest local deletion time
	// of any cell, row marker or tombstone, counting live data that does
	// not expire as mutation.NoDeletionTime. Below gc_grace's horizon, the
	// whole file is expired or purgeable tombstones.
	MaxLocalDeletionTime int64
	// MaxTombstoneTime is the latest deletion time of a tombstone or
	// expiry time of a TTL'd cell or marker (MinInt64 if none): when it is
	// below gc_grace's horizon, every tombstone in the file is droppable.
	MaxTombstoneTime int64
	Rows, Tombstones int64
}

// Meta describes a finished table.
type Meta struct {
	Stats
	Partitions     int64
	MinKey, MaxKey mutation.Key
	// FileSize is the whole file; DataSize the data blocks as stored.
	FileSize, DataSize int64
	FormatVersion      uint32
	// Codec is what the blocks were written with; nil for files of format
	// versions 2 and 3, which do not record it.
	Codec *CodecParams
}

// writeBufferSize is how much the writer buffers before a write syscall.
const writeBufferSize = 256 << 10

// Observer sees the partitions and rows a Writer writes, to build a
// component beside the table from them. Finish is called once every row is
// written, before the table is published, and its error fails the table;
// Abort when the table is abandoned.
type Observer interface {
	StartPartition(key mutation.Key, header []byte) error
	AddRow(clustering, row []byte) error
	Finish() error
	Abort()
}

// Writer writes one SSTable. Partitions are added in ascending key order,
// rows within a partition in ascending clustering order. The table is
// written to path+".tmp" and appears at path only when Finish succeeds.
// A Writer is not safe for concurrent use.
type Writer struct {
	fs   vfs.FS
	path string
	tmp  string
	f    vfs.File
	bw   *bufio.Writer
	opts WriterOptions
	off  uint64 // bytes written
	err  error  // sticky
	done bool

	frameBuf []byte
	enc      *codec.Encoder
	data     blockBuilder // current data block
	index    blockBuilder // current partition-index block
	indexN   int
	summary  blockBuilder
	firstKey []byte // first key of the current index block, encoded

	// pending is the index entry of the first partition that started and
	// ended in the unflushed data block, if hasPending; it owns its key.
	pending    indexEntry
	hasPending bool

	// The partition being written.
	inPart     bool
	key        mutation.Key // owned copy
	hdrIdx     int          // start entry number in its block
	startH     handle       // block with the start entry, once flushed
	rowLo      int          // first row of this partition in the current block, or -1
	lastClust  []byte
	hasRow     bool
	rowIndex   blockBuilder
	pendingRow rowIndexEntry // row-index entry of the block being flushed
	firstBlock bool          // start entry is in the current block

	hashes  []uint64
	meta    Meta
	lastKey mutation.Key

	// copying is the block AddBlock is adding, copyEnd set once all its
	// entries are: the open data block is then written as that block.
	copying *Block
	copyEnd bool
	copied  bool // AddBlock was used

	obs Observer // nil unless WriterOptions.Observe gave one
}

// NewWriter creates path+".tmp" and returns a Writer for it.
func NewWriter(fs vfs.FS, path string, opts WriterOptions) (*Writer, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	id, _ := o.Compression.Codec() // checked by withDefaults
	enc, err := codec.NewEncoder(id, codec.Options{Level: o.CompressionLevel, High: o.LZ4High})
	if err != nil {
		return nil, fmt.Errorf("sstable: %w", err)
	}
	tmp := path + ".tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("sstable: create %s: %w", tmp, err)
	}
	// Blocks are small; one write syscall per block would dominate flushes.
	w := &Writer{fs: fs, path: path, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, writeBufferSize), opts: o, enc: enc}
	if o.Observe != nil {
		w.obs = o.Observe(path)
	}
	return w, nil
}

func (w *Writer) check() error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("sstable: writer already finished")
	}
	return nil
}

// StartPartition begins the partition key with the given opaque header.
// Keys must be strictly ascending.
func (w *Writer) StartPartition(key mutation.Key, header []byte) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.inPart {
		return errors.New("sstable: StartPartition inside a partition")
	}
	if w.meta.Partitions > 0 && key.Compare(w.lastKey) <= 0 {
		return fmt.Errorf("sstable: partition key (%d, %x) not after (%d, %x)",
			key.Token, key.Bytes, w.lastKey.Token, w.lastKey.Bytes)
	}
	w.inPart = true
	w.key = mutation.Key{Token: key.Token, Bytes: append(w.key.Bytes[:0], key.Bytes...)}
	w.hdrIdx = w.data.n()
	w.firstBlock = true
	w.rowLo = -1
	w.hasRow = false
	w.rowIndex.reset()

	w.data.startEntry()
	w.data.buf = append(w.data.buf, tagPartition)
	w.data.buf = appendKey(w.data.buf, key)
	w.data.buf = appendBytes(w.data.buf, header)
	if w.obs != nil {
		if err := w.obs.StartPartition(key, header); err != nil {
			return w.fail(err)
		}
	}
	return w.maybeFlush()
}

// AddRow adds a row to the current partition. Clustering keys must be
// strictly ascending (bytes.Compare) within the partition.
func (w *Writer) AddRow(clustering, row []byte) error {
	if err := w.check(); err != nil {
		return err
	}
	if !w.inPart {
		return errors.New("sstable: AddRow outside a partition")
	}
	if w.hasRow && bytes.Compare(clustering, w.lastClust) <= 0 {
		return fmt.Errorf("sstable: clustering %x not after %x in partition %x", clustering, w.lastClust, w.key.Bytes)
	}
	w.hasRow = true
	w.lastClust = append(w.lastClust[:0], clustering...)
	if w.rowLo < 0 {
		w.rowLo = w.data.n()
	}
	w.data.startEntry()
	w.data.buf = append(w.data.buf, tagRow)
	w.data.buf = appendBytes(w.data.buf, clustering)
	w.data.buf = appendBytes(w.data.buf, row)
	if w.obs != nil {
		if err := w.obs.AddRow(clustering, row); err != nil {
			return w.fail(err)
		}
	}
	return w.maybeFlush()
}

// FinishPartition ends the current partition.
func (w *Writer) FinishPartition() error {
	if err := w.check(); err != nil {
		return err
	}
	if !w.inPart {
		return errors.New("sstable: FinishPartition outside a partition")
	}
	if !w.firstBlock && w.rowLo >= 0 {
		// Multi-block partition with rows in the open block: cut the block so
		// that the row index can be completed and written now.
		if err := w.flushData(); err != nil {
			return w.fail(err)
		}
	}
	w.inPart = false
	w.meta.Partitions++
	if w.meta.Partitions == 1 {
		w.meta.MinKey = mutation.Key{Token: w.key.Token, Bytes: append([]byte(nil), w.key.Bytes...)}
	}
	w.lastKey = mutation.Key{Token: w.key.Token, Bytes: append(w.lastKey.Bytes[:0], w.key.Bytes...)}
	w.hashes = append(w.hashes, keyHash(w.key))

	if w.firstBlock {
		// Entirely in the open block: only the block's first such
		// partition is indexed, its entry completed at the flush.
		if !w.hasPending {
			w.hasPending = true
			w.pending = indexEntry{key: mutation.Key{Token: w.key.Token, Bytes: append(w.pending.key.Bytes[:0], w.key.Bytes...)},
				hdr: uint64(w.hdrIdx), end: uint64(w.data.n())}
		}
		return nil
	}
	e := indexEntry{key: w.key, data: w.startH, hdr: uint64(w.hdrIdx)}
	switch w.rowIndex.n() {
	case 0:
		e.end = uint64(w.hdrIdx) + 1
	case 1:
		var ri rowIndexEntry
		decodeRowIndexEntry(w.rowIndex.entry(0), &ri)
		if ri.data == w.startH {
			e.end = ri.hi
			break
		}
		fallthrough
	default:
		h, err := w.writeBlock(w.rowIndex.finish())
		if err != nil {
			return w.fail(err)
		}
		e.rowIndex = h
	}
	return w.addIndexEntry(&e)
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *Writer) maybeFlush() error {
	if w.copying != nil || w.data.size() < w.opts.BlockSize {
		return nil
	}
	return w.fail(w.flushData())
}

// writeBlock frames contents and appends it to the file.
func (w *Writer) writeBlock(contents []byte) (handle, error) {
	var err error
	if w.frameBuf, err = frame(w.frameBuf, contents, w.enc, w.opts.MinCompressRatio); err != nil {
		return handle{}, fmt.Errorf("sstable: compress block of %s: %w", w.tmp, err)
	}
	if _, err := w.bw.Write(w.frameBuf); err != nil {
		return handle{}, fmt.Errorf("sstable: write %s: %w", w.tmp, err)
	}
	h := handle{off: w.off, n: uint64(len(w.frameBuf) - trailerSize)}
	w.off += uint64(len(w.frameBuf))
	return h, nil
}

// flushData writes the open data block and completes what waited for its
// handle: index entries of partitions started in it, and the row index of
// the open partition.
func (w *Writer) flushData() error {
	if w.data.n() == 0 {
		return nil
	}
	n := w.data.n()
	if w.inPart && w.rowLo >= 0 {
		c, _ := rowClustering(w.data.entry(w.rowLo))
		// Build the row-index entry before finish() appends the offset table;
		// its handle is patched below.
		w.pendingRow = rowIndexEntry{first: append(w.pendingRow.first[:0], c...), lo: uint64(w.rowLo), hi: uint64(n)}
	}
	h, err := w.writeData(w.data.finish())
	if err != nil {
		return err
	}
	w.meta.DataSize += int64(h.n + trailerSize)
	w.data.reset()
	// Of the partitions that start and end in this block only the first
	// is indexed (see the format).
	if w.hasPending {
		w.hasPending = false
		w.pending.data = h
		if err := w.addIndexEntry(&w.pending); err != nil {
			return err
		}
	}
	if w.inPart {
		if w.firstBlock {
			w.startH = h
			w.firstBlock = false
		}
		if w.rowLo >= 0 {
			w.pendingRow.data = h
			w.rowIndex.startEntry()
			w.rowIndex.buf = appendRowIndexEntry(w.rowIndex.buf, &w.pendingRow)
		}
		w.rowLo = -1
	}
	return nil
}

func (w *Writer) addIndexEntry(e *indexEntry) error {
	if w.indexN == 0 {
		w.firstKey = appendKey(w.firstKey[:0], e.key)
	}
	w.index.startEntry()
	w.index.buf = appendIndexEntry(w.index.buf, e)
	w.indexN++
	if w.indexN >= w.opts.SummaryInterval {
		return w.flushIndex()
	}
	return nil
}

func (w *Writer) flushIndex() error {
	if w.indexN == 0 {
		return nil
	}
	h, err := w.writeBlock(w.index.finish())
	if err != nil {
		return err
	}
	w.index.reset()
	w.indexN = 0
	w.summary.startEntry()
	w.summary.buf = append(w.summary.buf, w.firstKey...)
	w.summary.buf = appendHandle(w.summary.buf, h)
	return nil
}

// Finish writes the index, bloom filter, stats and footer, syncs the file,
// and atomically publishes it at path. stats are stored verbatim. On error
// the temporary file is removed; the table is then absent from path unless
// only the final directory sync failed (the error says "sync dir").
func (w *Writer) Finish(stats Stats) (Meta, error) {
	if err := w.check(); err != nil {
		return Meta{}, err
	}
	if w.inPart {
		return Meta{}, errors.New("sstable: Finish inside a partition")
	}
	meta, err := w.finish(stats)
	if err != nil {
		w.fail(err)
		w.Abort()
		return Meta{}, err
	}
	w.done = true
	return meta, nil
}

func (w *Writer) finish(stats Stats) (Meta, error) {
	if err := w.flushData(); err != nil {
		return Meta{}, err
	}
	if err := w.flushIndex(); err != nil {
		return Meta{}, err
	}
	w.meta.Stats = stats
	w.meta.MaxKey = w.lastKey
	w.meta.FormatVersion = w.opts.version
	if w.opts.version >= 4 {
		cp, _ := w.opts.CodecParams() // the options were checked by NewWriter
		cp.Copied = w.copied
		w.meta.Codec = &cp
	}

	var hs [3]handle
	var err error
	if hs[0], err = w.writeBlock(w.summary.finish()); err != nil {
		return Meta{}, err
	}
	bf := bloom.NewWithEstimates(uint(max(len(w.hashes), 1)), w.opts.BloomFPChance)
	var hb [8]byte
	for _, h := range w.hashes {
		binary.LittleEndian.PutUint64(hb[:], h)
		bf.Add(hb[:])
	}
	bb := binary.AppendUvarint(nil, uint64(bf.Cap()))
	bb = binary.AppendUvarint(bb, uint64(bf.K()))
	for _, word := range bf.BitSet().Words() {
		bb = binary.LittleEndian.AppendUint64(bb, word)
	}
	if hs[1], err = w.writeBlock(bb); err != nil {
		return Meta{}, err
	}
	if hs[2], err = w.writeBlock(encodeStats(&w.meta)); err != nil {
		return Meta{}, err
	}
	var foot [footerSize]byte
	for i, h := range hs {
		binary.LittleEndian.PutUint64(foot[16*i:], h.off)
		binary.LittleEndian.PutUint64(foot[16*i+8:], h.n)
	}
	binary.LittleEndian.PutUint32(foot[48:], w.opts.version)
	binary.LittleEndian.PutUint64(foot[52:], magic)
	binary.LittleEndian.PutUint32(foot[60:], crc32.Checksum(foot[:60], crcTable))
	if _, err := w.bw.Write(foot[:]); err != nil {
		return Meta{}, fmt.Errorf("sstable: write %s: %w", w.tmp, err)
	}
	if err := w.bw.Flush(); err != nil {
		return Meta{}, fmt.Errorf("sstable: write %s: %w", w.tmp, err)
	}
	w.off += footerSize
	w.meta.FileSize = int64(w.off)
	if err := w.f.Sync(); err != nil {
		return Meta{}, fmt.Errorf("sstable: sync %s: %w", w.tmp, err)
	}
	err = w.f.Close()
	w.f = nil
	if err != nil {
		return Meta{}, fmt.Errorf("sstable: close %s: %w", w.tmp, err)
	}
	if w.obs != nil {
		if err := w.obs.Finish(); err != nil {
			return Meta{}, err
		}
	}
	if err := w.fs.Rename(w.tmp, w.path); err != nil {
		return Meta{}, fmt.Errorf("sstable: publish %s: %w", w.path, err)
	}
	if err := w.fs.SyncDir(filepath.Dir(w.path)); err != nil {
		return Meta{}, fmt.Errorf("sstable: sync dir of %s: %w", w.path, err)
	}
	return w.meta, nil
}

// Abort abandons the table and removes the temporary file. It is a no-op
// after a successful Finish.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.obs != nil {
		w.obs.Abort()
	}
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.fs.Remove(w.tmp)
}

func appendStatsKey(dst []byte, k mutation.Key) []byte {
	dst = binary.AppendVarint(dst, k.Token)
	return appendBytes(dst, k.Bytes)
}

func encodeStats(m *Meta) []byte {
	b := binary.AppendVarint(nil, m.MinTimestamp)
	b = binary.AppendVarint(b, m.MaxTimestamp)
	b = binary.AppendVarint(b, m.MaxLocalDeletionTime)
	b = binary.AppendVarint(b, m.MaxTombstoneTime)
	b = binary.AppendVarint(b, m.Rows)
	b = binary.AppendVarint(b, m.Tombstones)
	b = binary.AppendUvarint(b, uint64(m.Partitions))
	b = binary.AppendUvarint(b, uint64(m.DataSize))
	b = appendStatsKey(b, m.MinKey)
	b = appendStatsKey(b, m.MaxKey)
	if c := m.Codec; c != nil {
		b = append(b, byte(c.Codec))
		b = binary.AppendUvarint(b, uint64(c.BlockSize))
		b = binary.AppendVarint(b, int64(c.Level))
		var flags byte
		if c.LZ4High {
			flags |= statsLZ4High
		}
		if c.Copied {
			flags |= statsCopied
		}
		b = append(b, flags)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(c.MinCompressRatio))
	}
	return b
}

// The flags of the stats block's compression record.
const (
	statsLZ4High = 1 << iota // CodecParams.LZ4High
	statsCopied              // CodecParams.Copied
)

// decodeStats decodes a stats block of the given format version: from
// version 4 on it ends with the compression record, before it at MaxKey.
func decodeStats(b []byte, version uint32, m *Meta) bool {
	d := bin.NewDecoder(b)
	m.MinTimestamp = d.Varint()
	m.MaxTimestamp = d.Varint()
	m.MaxLocalDeletionTime = d.Varint()
	m.MaxTombstoneTime = d.Varint()
	m.Rows = d.Varint()
	m.Tombstones = d.Varint()
	p, ds := d.Uvarint(), d.Uvarint()
	m.MinKey.Token = d.Varint()
	m.MinKey.Bytes = append([]byte(nil), d.Bytes()...)
	m.MaxKey.Token = d.Varint()
	m.MaxKey.Bytes = append([]byte(nil), d.Bytes()...)
	m.Codec = nil
	if version >= 4 {
		c := &CodecParams{Codec: codec.ID(d.Byte())}
		bs, lvl := d.Uvarint(), d.Varint()
		flags := d.Byte()
		var ratio float64
		if rb := d.Take(8); len(rb) == 8 {
			ratio = math.Float64frombits(binary.LittleEndian.Uint64(rb))
		}
		if !c.Codec.Known() || bs > 1<<31 || lvl < math.MinInt32 || lvl > math.MaxInt32 || flags&^(statsLZ4High|statsCopied) != 0 ||
			!(ratio >= 0) {
			return false
		}
		c.BlockSize, c.Level, c.MinCompressRatio = int(bs), int(lvl), ratio
		c.LZ4High, c.Copied = flags&statsLZ4High != 0, flags&statsCopied != 0
		m.Codec = c
	}
	if !d.Done() || p > 1<<62 || ds > 1<<62 {
		return false
	}
	m.Partitions, m.DataSize = int64(p), int64(ds)
	return true
}
