package sstable

import (
	"bytes"
	"errors"
	"fmt"

	"wcdb/internal/bin"
	"wcdb/mutation"
)

// Block is a data block of a table as stored (payload, compression type,
// checksum), with its entries decompressed and summarised: what streaming
// copies between tables of the same format without decoding and re-encoding
// the entries (Writer.AddBlock). The stored bytes are the format's data
// block, so a block keeps its compression whatever the receiving writer's
// options.
type Block struct {
	stored []byte
	b      block
	sum    BlockSummary
}

// BlockSummary describes a block's entries.
type BlockSummary struct {
	// Partitions and Rows count the partition-start and row entries.
	Partitions, Rows int
	// FirstToken and LastToken are the tokens of the first and last
	// partition start (zero when Partitions is 0).
	FirstToken, LastToken int64
	// Continues is set when the block opens with rows of a partition begun
	// in an earlier block.
	Continues bool
}

// BlockEntry is one entry of a block: a partition start (Partition set; Key
// and Header) or a row (Clustering and Row). Its slices alias the block.
type BlockEntry struct {
	Partition       bool
	Key             mutation.Key
	Header          []byte
	Clustering, Row []byte
}

// OpenBlock checks a stored data block's checksum, decompresses it and
// validates its offset table and entry tags; damage fails with an error
// wrapping ErrCorrupt. The block aliases stored.
func OpenBlock(stored []byte) (*Block, error) {
	b := new(Block)
	if err := b.open(stored, nil); err != nil {
		return nil, corruptf("stored block", -1, "%v", err)
	}
	return b, nil
}

// Reset makes b the block stored (as OpenBlock), reusing the buffer b
// decompressed into before.
func (b *Block) Reset(stored []byte) error {
	var buf []byte
	if len(b.b.data) > 0 && (len(b.stored) == 0 || &b.b.data[0] != &b.stored[0]) {
		buf = b.b.data[:0]
	}
	if err := b.open(stored, buf); err != nil {
		*b = Block{}
		return corruptf("stored block", -1, "%v", err)
	}
	return nil
}

// open fills b from stored, decompressing into buf when it is large enough.
// Its errors are damage, for the caller to mark as such.
func (b *Block) open(stored, buf []byte) error {
	data, err := unframeTo(buf, stored)
	if err != nil {
		return fmt.Errorf("data block: %v", err)
	}
	pb, ok := parseBlock(data)
	if !ok {
		return errors.New("data block: malformed offset table")
	}
	b.stored, b.b = stored, *pb
	b.sum = BlockSummary{}
	for i := 0; i < b.b.n; i++ {
		e := b.b.entry(i)
		switch {
		case len(e) > 0 && e[0] == tagRow:
			if i == 0 {
				b.sum.Continues = true
			}
			b.sum.Rows++
		case len(e) >= 9 && e[0] == tagPartition:
			d := bin.NewDecoder(e[1:])
			tok := int64(d.Uint64BE())
			if b.sum.Partitions == 0 {
				b.sum.FirstToken = tok
			}
			b.sum.LastToken = tok
			b.sum.Partitions++
		default:
			return fmt.Errorf("data block: malformed entry %d", i)
		}
	}
	return nil
}

// Stored returns the block's bytes as stored.
func (b *Block) Stored() []byte { return b.stored }

// Len returns the number of entries.
func (b *Block) Len() int { return b.b.n }

// Summary describes the block's entries.
func (b *Block) Summary() BlockSummary { return b.sum }

// Entry decodes entry i into e.
func (b *Block) Entry(i int, e *BlockEntry) error {
	raw := b.b.entry(i)
	var ok bool
	if e.Partition = raw[0] == tagPartition; e.Partition {
		e.Key, e.Header, ok = decodePartitionStart(raw)
		e.Clustering, e.Row = nil, nil
	} else {
		e.Clustering, e.Row, ok = decodeRow(raw)
		e.Key, e.Header = mutation.Key{}, nil
	}
	if !ok {
		return corruptf("stored block", -1, "data block: malformed entry %d", i)
	}
	return nil
}

// BlockIter walks a table's data blocks in key order, reading each from the
// file (never through the cache: it is for a single pass, as a compaction).
type BlockIter struct {
	pi      PartitionIter // walks the partition index
	queue   []handle      // data blocks found, not yet returned
	started bool
	last    uint64 // offset of the last block returned
	stored  []byte
	buf     []byte
	blk     Block
	err     error
}

// Blocks returns an iterator over the data blocks that hold the partitions
// with keys >= start, in key order: the first may also hold partitions
// before start (and rows of a partition begun before it).
func (r *Reader) Blocks(start mutation.Key) *BlockIter {
	it := &BlockIter{}
	it.pi = *r.ScanUncached(&start, nil)
	return it
}

// Next moves to the next block, reporting false at the end or on error.
func (it *BlockIter) Next() bool {
	for it.err == nil {
		if len(it.queue) > 0 {
			h := it.queue[0]
			it.queue = it.queue[1:]
			// Index entries and row indexes name blocks in file order,
			// a block possibly more than once.
			if it.started && h.off <= it.last {
				continue
			}
			it.started, it.last = true, h.off
			it.err = it.read(h)
			return it.err == nil
		}
		var e indexEntry
		if !it.pi.nextIndexed(&e) {
			if it.pi.err != nil {
				it.err = it.pi.err
			}
			if it.pi.done {
				return false
			}
			continue
		}
		it.queue = append(it.queue[:0], e.data)
		if e.end == 0 {
			it.err = it.rowBlocks(e.rowIndex)
		}
	}
	return false
}

// rowBlocks queues the data blocks a row index names.
func (it *BlockIter) rowBlocks(h handle) error {
	r := it.pi.r
	ri, err := r.readBlock(h, "row index", false)
	if err != nil {
		return err
	}
	var e rowIndexEntry
	for i := 0; i < ri.n; i++ {
		if !decodeRowIndexEntry(ri.entry(i), &e) {
			return corruptf(r.path, int64(h.off), "malformed row index entry %d", i)
		}
		it.queue = append(it.queue, e.data)
	}
	return nil
}

// read loads the data block at h into it.blk.
func (it *BlockIter) read(h handle) error {
	r := it.pi.r
	if err := r.checkHandle(h, "data"); err != nil {
		return err
	}
	n := int(h.n + trailerSize)
	if cap(it.stored) < n {
		it.stored = make([]byte, n)
	}
	it.stored = it.stored[:n]
	if _, err := r.f.ReadAt(it.stored, int64(h.off)); err != nil {
		return fmt.Errorf("sstable: read %s at %d: %w", r.path, h.off, err)
	}
	r.blockReads.Add(1)
	if err := it.blk.open(it.stored, it.buf); err != nil {
		return corruptf(r.path, int64(h.off), "%v", err)
	}
	if len(it.blk.b.data) > 0 && &it.blk.b.data[0] != &it.stored[0] {
		it.buf = it.blk.b.data[:0] // a decompression buffer, reused next time
	}
	return nil
}

// Block returns the current block; it is valid until the next call of Next.
func (it *BlockIter) Block() *Block { return &it.blk }

// Close releases the iterator and returns the iteration error, if any.
func (it *BlockIter) Close() error {
	it.pi.Close()
	it.queue, it.stored, it.buf = nil, nil, nil
	return it.err
}

// AddBlock appends a data block of another table of this format (from a
// BlockIter, or OpenBlock of its stored bytes) as it is stored: its entries
// are added as StartPartition, AddRow and FinishPartition would add them (a
// partition start ends the partition before it), so keys and clusterings
// are checked, indexed and filtered as usual, but they are neither encoded
// nor compressed again. A block that opens with rows continues the open
// partition; one that opens with a partition start needs none open. The
// block's last partition stays open. The open data block is cut first.
func (w *Writer) AddBlock(b *Block) error {
	if err := w.check(); err != nil {
		return err
	}
	switch {
	case b.b.n == 0:
		return errors.New("sstable: AddBlock of an empty block")
	case b.sum.Continues && !w.inPart:
		return errors.New("sstable: AddBlock of a block continuing a partition, outside a partition")
	case !b.sum.Continues && w.inPart:
		return errors.New("sstable: AddBlock of a block starting a partition, inside a partition")
	}
	if err := w.flushData(); err != nil {
		return w.fail(err)
	}
	w.copying, w.copyEnd, w.copied = b, false, true
	defer func() { w.copying = nil }()
	var e BlockEntry
	for i := 0; i < b.b.n; i++ {
		err := b.Entry(i, &e)
		switch {
		case err != nil:
		case !e.Partition:
			err = w.AddRow(e.Clustering, e.Row)
		case w.inPart:
			if err = w.FinishPartition(); err != nil {
				break
			}
			fallthrough
		default:
			err = w.StartPartition(e.Key, e.Header)
		}
		if err != nil {
			return w.fail(err)
		}
	}
	w.copyEnd = true
	if err := w.flushData(); err != nil {
		return w.fail(err)
	}
	return nil
}

// writeData writes the contents of the open data block: framed, or, when
// the block is AddBlock's, its stored bytes once they are known to hold the
// same contents.
func (w *Writer) writeData(contents []byte) (handle, error) {
	b := w.copying
	if b == nil {
		return w.writeBlock(contents)
	}
	if !w.copyEnd {
		// The format never has a multi-block partition's rows and a later
		// partition start in one block: FinishPartition cuts the block.
		return handle{}, errors.New("sstable: AddBlock: block holds rows of a partition begun earlier, then a partition start")
	}
	if !bytes.Equal(contents, b.b.data) {
		return handle{}, errors.New("sstable: AddBlock: block entries do not encode as stored")
	}
	if _, err := w.bw.Write(b.stored); err != nil {
		return handle{}, fmt.Errorf("sstable: write %s: %w", w.tmp, err)
	}
	h := handle{off: w.off, n: uint64(len(b.stored) - trailerSize)}
	w.off += uint64(len(b.stored))
	return h, nil
}
