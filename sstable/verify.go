package sstable

import (
	"bytes"

	"wcdb/mutation"
)

// Verify reads every block of the table from the file (bypassing the
// cache) and checks checksums, the order of partition keys and of
// clusterings, that the summary, partition index and row indexes agree with
// the data, that the bloom filter admits every key, and the stats block's
// partition count, key bounds and data size. Problems are reported as errors
// wrapping ErrCorrupt.
func (r *Reader) Verify() error {
	v := verifier{r: r, blocks: make(map[uint64]uint64)}
	return v.run()
}

type verifier struct {
	r      *Reader
	blocks map[uint64]uint64 // data block offset -> payload length
	n      int64
	prev   mutation.Key
}

func (v *verifier) run() error {
	r := v.r
	// Index entries are verified one behind, so that walking an entry's
	// block for unindexed partitions knows where the next indexed one is.
	var e, prev indexEntry
	var prevOff uint64
	havePrev := false
	for si, s := range r.summary {
		ib, err := r.readBlock(s.h, "index", false)
		if err != nil {
			return err
		}
		if ib.n == 0 {
			return corruptf(r.path, int64(s.h.off), "empty index block")
		}
		for i := 0; i < ib.n; i++ {
			if !decodeIndexEntry(ib.entry(i), &e) {
				return corruptf(r.path, int64(s.h.off), "malformed index entry %d", i)
			}
			if i == 0 && !e.key.Equal(s.key) {
				return corruptf(r.path, int64(s.h.off), "summary entry %d disagrees with its index block", si)
			}
			if havePrev {
				if err := v.entry(&prev, prevOff, &e); err != nil {
					return err
				}
			}
			prev, prevOff, havePrev = e, s.h.off, true
			prev.key.Bytes = append([]byte(nil), e.key.Bytes...)
		}
	}
	if havePrev {
		if err := v.entry(&prev, prevOff, nil); err != nil {
			return err
		}
	}
	if v.n != r.meta.Partitions {
		return corruptf(r.path, -1, "table holds %d partitions, stats say %d", v.n, r.meta.Partitions)
	}
	if v.n > 0 && !v.prev.Equal(r.meta.MaxKey) {
		return corruptf(r.path, -1, "last key disagrees with stats")
	}
	var size uint64
	for _, n := range v.blocks {
		size += n + trailerSize
	}
	if size != uint64(r.meta.DataSize) {
		return corruptf(r.path, -1, "index reaches %d bytes of data blocks, stats say %d", size, r.meta.DataSize)
	}
	return nil
}

// entry verifies the indexed partition e (from the index block at off) and
// the unindexed ones after it in its block, up to next, the next indexed
// partition (nil at the end).
func (v *verifier) entry(e *indexEntry, off uint64, next *indexEntry) error {
	r := v.r
	if err := v.key(e.key, int64(off)); err != nil {
		return err
	}
	if err := v.partition(e); err != nil {
		return err
	}
	if e.end == 0 {
		return nil
	}
	b, err := v.block(e.data)
	if err != nil {
		return err
	}
	for i := int(e.end); i < b.n; {
		f, ok, err := r.inBlock(b, e.data, i)
		if err != nil {
			return err
		}
		if !ok {
			return corruptf(r.path, int64(e.data.off), "entry %d after partition is not a partition start", i)
		}
		if next != nil && f.key.Equal(next.key) {
			break
		}
		if err := v.key(f.key, int64(e.data.off)); err != nil {
			return err
		}
		if err := v.partition(&f); err != nil {
			return err
		}
		i = int(f.end)
	}
	return nil
}

// key checks the next partition key in table order.
func (v *verifier) key(k mutation.Key, off int64) error {
	r := v.r
	if v.n > 0 && k.Compare(v.prev) <= 0 {
		return corruptf(r.path, off, "partition key (%d, %x) out of key order", k.Token, k.Bytes)
	}
	if !r.MayContain(k) {
		return corruptf(r.path, off, "bloom filter rejects partition key (%d, %x)", k.Token, k.Bytes)
	}
	if v.n == 0 && !k.Equal(r.meta.MinKey) {
		return corruptf(r.path, -1, "first key disagrees with stats")
	}
	v.prev = mutation.Key{Token: k.Token, Bytes: append(v.prev.Bytes[:0], k.Bytes...)}
	v.n++
	return nil
}

func (v *verifier) block(h handle) (*block, error) {
	if n, ok := v.blocks[h.off]; ok && n != h.n {
		return nil, corruptf(v.r.path, int64(h.off), "data block referenced with lengths %d and %d", n, h.n)
	}
	b, err := v.r.readBlock(h, "data", false)
	if err != nil {
		return nil, err
	}
	v.blocks[h.off] = h.n
	return b, nil
}

func (v *verifier) partition(e *indexEntry) error {
	r := v.r
	p, err := r.partition(e, false)
	if err != nil {
		return err
	}
	v.blocks[e.data.off] = e.data.n
	var prev []byte
	first := true
	rows := func(b *block, h handle, lo, hi int) error {
		for i := lo; i < hi; i++ {
			c, _, ok := decodeRow(b.entry(i))
			if !ok {
				return corruptf(r.path, int64(h.off), "malformed row entry %d", i)
			}
			if !first && bytes.Compare(c, prev) <= 0 {
				return corruptf(r.path, int64(h.off), "row entry %d out of clustering order", i)
			}
			prev, first = c, false
		}
		// What follows the partition in its last block must be another one.
		if hi < b.n {
			if _, _, ok := decodePartitionStart(b.entry(hi)); !ok {
				return corruptf(r.path, int64(h.off), "entry %d after partition is not a partition start", hi)
			}
		}
		return nil
	}
	if e.end != 0 {
		return rows(p.blk, e.data, int(e.hdr)+1, int(e.end))
	}
	ri, err := r.readBlock(e.rowIndex, "row index", false)
	if err != nil {
		return err
	}
	if ri.n == 0 {
		return corruptf(r.path, int64(e.rowIndex.off), "empty row index")
	}
	var re rowIndexEntry
	for j := 0; j < ri.n; j++ {
		if !decodeRowIndexEntry(ri.entry(j), &re) {
			return corruptf(r.path, int64(e.rowIndex.off), "malformed row index entry %d", j)
		}
		b, err := v.block(re.data)
		if err != nil {
			return err
		}
		lo, hi := re.lo, re.hi
		switch {
		case hi > uint64(b.n),
			j == 0 && re.data == e.data && lo != e.hdr+1,
			j == 0 && re.data != e.data && (lo != 0 || e.hdr+1 != uint64(p.blk.n)),
			j > 0 && lo != 0,
			j < ri.n-1 && hi != uint64(b.n):
			return corruptf(r.path, int64(e.rowIndex.off), "row index entry %d range [%d, %d) disagrees with the data", j, lo, hi)
		}
		if c, ok := rowClustering(b.entry(int(lo))); !ok || !bytes.Equal(c, re.first) {
			return corruptf(r.path, int64(e.rowIndex.off), "row index entry %d first clustering disagrees with the data", j)
		}
		end := int(hi)
		if j < ri.n-1 {
			end = b.n // the partition continues: no successor check
		}
		if err := rows(b, re.data, int(lo), end); err != nil {
			return err
		}
	}
	return nil
}
