package sstable

import (
	"bytes"

	"wcdb/internal/bin"
	"wcdb/mutation"
)

// Partition is one partition of a table: its key, opaque header and rows.
// The slices it returns alias cached blocks and must not be modified.
type Partition struct {
	r       *Reader
	key     mutation.Key
	header  []byte
	blk     *block // block holding the start entry
	ent     indexEntry
	noCache bool
	// it is the first iterator Rows hands out, in the partition's own
	// allocation (a point read takes just one).
	it     RowIter
	itUsed bool
}

// Key returns the partition key.
func (p *Partition) Key() mutation.Key { return p.key }

// Header returns the partition's opaque header.
func (p *Partition) Header() []byte { return p.header }

// Rows returns an iterator over the rows with start <= clustering < end in
// ascending order, or descending if reverse; a nil bound is open. Only the
// data blocks holding the slice are read (through the row index for a
// partition spanning several blocks).
func (p *Partition) Rows(start, end []byte, reverse bool) *RowIter {
	if !p.itUsed {
		p.itUsed = true
		p.it = RowIter{p: p, start: start, end: end, reverse: reverse}
		return &p.it
	}
	return &RowIter{p: p, start: start, end: end, reverse: reverse}
}

// RowIter iterates over rows of a partition. Clustering and Row are valid
// until the next call to Next, and alias cached blocks (no copy).
type RowIter struct {
	p          *Partition
	start, end []byte
	reverse    bool

	state int    // 0 before the first block, 1 iterating, 2 done
	ri    *block // row index, nil for a single-block partition
	j     int    // current row-index entry
	jStop int    // last row-index entry to visit (inclusive, in direction)
	bh    handle // current block, for error offsets
	b     *block
	i     int // next entry; forward: i < stop, reverse: i >= stop
	stop  int

	clustering, row []byte
	err             error
}

// Next advances to the next row, reporting whether there is one.
func (it *RowIter) Next() bool {
	for it.err == nil && it.state != 2 {
		if it.b != nil {
			if !it.reverse && it.i < it.stop || it.reverse && it.i >= it.stop {
				c, row, ok := decodeRow(it.b.entry(it.i))
				if !ok {
					it.err = corruptf(it.p.r.path, int64(it.bh.off), "malformed row entry %d", it.i)
					break
				}
				if it.reverse {
					it.i--
				} else {
					it.i++
				}
				it.clustering, it.row = c, row
				return true
			}
			it.b = nil
		}
		it.nextBlock()
	}
	it.clustering, it.row = nil, nil
	return false
}

// nextBlock positions the iterator on the next block of the slice, or sets
// state 2 when there is none.
func (it *RowIter) nextBlock() {
	p := it.p
	if it.state == 0 {
		it.state = 1
		if p.ent.end != 0 {
			it.bh = p.ent.data
			it.setRange(p.blk, p.ent.hdr+1, p.ent.end)
			return
		}
		ri, err := p.r.readBlock(p.ent.rowIndex, "row index", !p.noCache)
		if err != nil {
			it.err = err
			return
		}
		if ri.n == 0 {
			it.err = corruptf(p.r.path, int64(p.ent.rowIndex.off), "empty row index")
			return
		}
		it.ri = ri
		lo, hi := 0, ri.n-1
		if it.start != nil {
			if lo, err = it.searchRowIndex(it.start, true); err != nil {
				it.err = err
				return
			}
			lo = max(lo, 0)
		}
		if it.end != nil {
			if hi, err = it.searchRowIndex(it.end, false); err != nil {
				it.err = err
				return
			}
		}
		if hi < lo {
			it.state = 2
			return
		}
		if it.reverse {
			it.j, it.jStop = hi, lo
		} else {
			it.j, it.jStop = lo, hi
		}
	} else {
		if it.ri == nil || it.j == it.jStop {
			it.state = 2
			return
		}
		if it.reverse {
			it.j--
		} else {
			it.j++
		}
	}
	var e rowIndexEntry
	if !decodeRowIndexEntry(it.ri.entry(it.j), &e) {
		it.err = corruptf(p.r.path, int64(p.ent.rowIndex.off), "malformed row index entry %d", it.j)
		return
	}
	b, err := p.r.readBlock(e.data, "data", !p.noCache)
	if err != nil {
		it.err = err
		return
	}
	it.bh = e.data
	it.setRange(b, e.lo, e.hi)
}

// searchRowIndex returns the last row-index entry whose first clustering is
// <= key (inclusive) or < key (!inclusive), or -1.
func (it *RowIter) searchRowIndex(key []byte, inclusive bool) (int, error) {
	var e rowIndexEntry
	lo, hi := 0, it.ri.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if !decodeRowIndexEntry(it.ri.entry(mid), &e) {
			return 0, corruptf(it.p.r.path, int64(it.p.ent.rowIndex.off), "malformed row index entry %d", mid)
		}
		c := bytes.Compare(e.first, key)
		if c < 0 || inclusive && c == 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - 1, nil
}

// setRange positions the iterator on the rows of b in entries [lo, hi)
// that fall within the slice bounds.
func (it *RowIter) setRange(b *block, lo, hi uint64) {
	if lo > hi || hi > uint64(b.n) {
		it.err = corruptf(it.p.r.path, int64(it.bh.off), "row range [%d, %d) outside block of %d entries", lo, hi, b.n)
		return
	}
	a, z := int(lo), int(hi)
	var err error
	if it.start != nil {
		if a, err = it.seekRow(b, a, z, it.start); err != nil {
			it.err = err
			return
		}
	}
	if it.end != nil {
		if z, err = it.seekRow(b, a, z, it.end); err != nil {
			it.err = err
			return
		}
	}
	it.b = b
	if it.reverse {
		it.i, it.stop = z-1, a
	} else {
		it.i, it.stop = a, z
	}
}

// seekRow returns the first entry in [lo, hi) of b whose clustering is >= key.
func (it *RowIter) seekRow(b *block, lo, hi int, key []byte) (int, error) {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c, ok := rowClustering(b.entry(mid))
		if !ok {
			return 0, corruptf(it.p.r.path, int64(it.bh.off), "malformed row entry %d", mid)
		}
		if bytes.Compare(c, key) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// Clustering returns the current row's clustering key.
func (it *RowIter) Clustering() []byte { return it.clustering }

// Row returns the current row's opaque bytes.
func (it *RowIter) Row() []byte { return it.row }

// Err returns the error that stopped the iteration, if any.
func (it *RowIter) Err() error { return it.err }

// Close releases the iterator. It returns the iteration error, if any.
func (it *RowIter) Close() error {
	it.state = 2
	it.b, it.ri = nil, nil
	return it.err
}

// PartitionIter iterates over the partitions of a key range: those of the
// sparse partition index, and after each the unindexed ones that follow it
// in its data block.
type PartitionIter struct {
	r          *Reader
	start, end *mutation.Key
	si         int    // summary position of ib
	ib         *block // current index block
	ei         int    // next entry of ib
	p          *Partition
	err        error
	done       bool
	noCache    bool

	// The data block being walked for unindexed partitions: entry bi next,
	// up to the next indexed partition (stop, if hasStop) should it start
	// in this block.
	blk     *block
	bh      handle
	bi      int
	stop    mutation.Key
	hasStop bool
}

// Next advances to the next partition, reporting whether there is one.
func (it *PartitionIter) Next() bool {
	it.p = nil
	for !it.done && it.err == nil {
		var e indexEntry
		walked := it.blk != nil
		if walked {
			if it.bi >= it.blk.n {
				it.blk = nil
				continue
			}
			f, ok, err := it.r.inBlock(it.blk, it.bh, it.bi)
			if err != nil {
				it.err = err
				break
			}
			if !ok || it.hasStop && f.key.Equal(it.stop) {
				it.blk = nil
				continue
			}
			it.bi = int(f.end)
			e = f
		} else if !it.nextIndexed(&e) {
			continue
		}
		if it.end != nil && e.key.Compare(*it.end) >= 0 {
			it.done = true
			break
		}
		var p *Partition
		var err error
		if walked {
			// An unindexed partition is in the block being walked: no need
			// to read it again (without the cache, a compaction would read
			// every block once per partition in it).
			p, err = it.r.partitionIn(it.blk, &e, !it.noCache)
		} else {
			p, err = it.r.partition(&e, !it.noCache)
		}
		if err != nil {
			it.err = err
			break
		}
		if !walked && e.end != 0 && int(e.end) < p.blk.n {
			it.blk, it.bh, it.bi = p.blk, e.data, int(e.end)
			it.stop, it.hasStop = it.peekIndexed()
		}
		if it.start != nil && e.key.Compare(*it.start) < 0 {
			continue
		}
		it.p = p
		return true
	}
	return false
}

// nextIndexed decodes the next partition-index entry into e, reporting
// false when it moved on to another index block or finished instead.
func (it *PartitionIter) nextIndexed(e *indexEntry) bool {
	if it.ib == nil {
		if it.si >= len(it.r.summary) {
			it.done = true
			return false
		}
		h := it.r.summary[it.si].h
		ib, err := it.r.readBlock(h, "index", !it.noCache)
		if err != nil {
			it.err = err
			return false
		}
		it.ib, it.ei = ib, 0
		if it.start != nil {
			// Start at the last entry <= start: the partitions after it in
			// its block may be >= start.
			i, err := it.r.seekIndex(ib, *it.start, h.off)
			if err != nil {
				it.err = err
				return false
			}
			if i > 0 {
				if i == ib.n {
					i--
				} else if c, _ := compareKeyEntry(*it.start, ib.entry(i)); c != 0 {
					i--
				}
			}
			it.ei = i
		}
	}
	if it.ei >= it.ib.n {
		it.ib = nil
		it.si++
		return false
	}
	if !decodeIndexEntry(it.ib.entry(it.ei), e) {
		it.err = corruptf(it.r.path, int64(it.r.summary[it.si].h.off), "malformed index entry %d", it.ei)
		return false
	}
	it.ei++
	return true
}

// peekIndexed returns the key of the next partition-index entry, if any.
func (it *PartitionIter) peekIndexed() (mutation.Key, bool) {
	switch {
	case it.ei < it.ib.n:
		d := bin.NewDecoder(it.ib.entry(it.ei))
		return mutation.Key{Token: int64(d.Uint64BE()), Bytes: d.Bytes()}, true
	case it.si+1 < len(it.r.summary):
		return it.r.summary[it.si+1].key, true
	}
	return mutation.Key{}, false
}

// Partition returns the current partition. It stays usable after Next.
func (it *PartitionIter) Partition() *Partition { return it.p }

// Err returns the error that stopped the iteration, if any.
func (it *PartitionIter) Err() error { return it.err }

// Close releases the iterator. It returns the iteration error, if any.
func (it *PartitionIter) Close() error {
	it.done = true
	it.ib, it.p, it.blk = nil, nil, nil
	return it.err
}
