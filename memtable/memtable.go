// Package memtable holds a table's recent writes in memory, sorted, until
// they are flushed to an SSTable.
//
// A Memtable has one writer at a time (Apply is serialized internally) and any
// number of concurrent readers that take no lock: partitions and rows live in
// skiplists whose nodes are never removed, and a row's encoded bytes are
// immutable once written — an update stores a new, merged encoding and swaps
// the pointer. Row bytes are carved out of large slabs so that a memtable of a
// million rows is a few thousand objects for the garbage collector, not
// millions.
package memtable

import (
	"bytes"
	"sync"
	"sync/atomic"

	"wcdb/mutation"
)

// slabSize is the size of the chunks row bytes are carved from; values larger
// than a quarter of it get their own allocation.
const slabSize = 256 << 10

// Per-object overheads counted in Size: skiplist node, pointers, headers
// (and for a partition its index entry and share of buckets).
const (
	partitionOverhead = 192
	rowOverhead       = 96
)

// Memtable is a sorted in-memory set of partitions.
type Memtable struct {
	parts *skiplist[mutation.Key, partition]
	// byKey finds partitions for point reads and for writes to existing
	// partitions; the skiplist keeps the order scans need.
	byKey *index
	size  atomic.Int64
	rows  atomic.Int64

	mu struct {
		sync.Mutex
		slab   []byte
		decA   mutation.Row
		decB   mutation.Row
		merged mutation.Row
		buf    []byte
		canon  []byte // canonicalRowLocked's result
	}
}

// partition holds its rows in a skiplist once it has two; a partition of
// one row (the common case for key-value use) keeps it in single, sparing
// the skiplist's allocations.
type partition struct {
	header atomic.Pointer[[]byte] // encoded mutation.Header; nil when empty
	single atomic.Pointer[rowEntry]
	rows   atomic.Pointer[skiplist[[]byte, []byte]]
}

// rowEntry is an immutable (clustering, encoded row) pair.
type rowEntry struct {
	clustering, row []byte
}

// New returns an empty memtable.
func New() *Memtable {
	return &Memtable{parts: newSkiplist[mutation.Key, partition](func(a, b mutation.Key) int { return a.Compare(b) }), byKey: newIndex()}
}

// Size returns the memory the memtable accounts for, in bytes.
func (m *Memtable) Size() int64 { return m.size.Load() }

// Len returns the number of partitions.
func (m *Memtable) Len() int { return int(m.parts.len.Load()) }

// Rows returns the number of distinct rows (static rows not counted).
func (m *Memtable) Rows() int64 { return m.rows.Load() }

// copyLocked copies b into the slab.
func (m *Memtable) copyLocked(b []byte) []byte {
	if len(b) > slabSize/4 {
		m.size.Add(int64(len(b)))
		return append([]byte(nil), b...)
	}
	if cap(m.mu.slab)-len(m.mu.slab) < len(b) {
		m.mu.slab = make([]byte, 0, slabSize)
		m.size.Add(slabSize)
	}
	n := len(m.mu.slab)
	m.mu.slab = append(m.mu.slab, b...)
	return m.mu.slab[n : n+len(b) : n+len(b)]
}

// Apply adds a mutation, reconciling it with what the memtable holds. The
// view's bytes are copied; the caller may reuse them afterwards.
func (m *Memtable) Apply(v *mutation.View) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	pn := m.byKey.get(v.Key)
	if pn == nil {
		var inserted bool
		pn, inserted = m.parts.getOrInsert(v.Key, func() (mutation.Key, *partition) {
			m.size.Add(partitionOverhead)
			k := mutation.Key{Token: v.Key.Token, Bytes: m.copyLocked(v.Key.Bytes)}
			return k, &partition{}
		})
		if inserted {
			m.byKey.add(pn)
		}
	}
	p := pn.val.Load()
	if len(v.Header) > 1 || (len(v.Header) == 1 && v.Header[0] != 0) {
		if err := m.mergeHeaderLocked(p, v.Header); err != nil {
			return err
		}
	}
	return v.Rows(func(c, rb []byte) error {
		rb, err := m.canonicalRowLocked(c, rb)
		if err != nil {
			return err
		}
		if rl := p.rows.Load(); rl != nil {
			return m.applyRowLocked(rl, c, rb)
		}
		one := p.single.Load()
		switch {
		case one == nil:
			m.size.Add(rowOverhead)
			m.rows.Add(1)
			p.single.Store(&rowEntry{clustering: m.copyLocked(c), row: m.copyLocked(rb)})
			return nil
		case bytes.Equal(one.clustering, c):
			merged, err := m.mergeRowLocked(one.row, c, rb)
			if err != nil {
				return err
			}
			p.single.Store(&rowEntry{clustering: one.clustering, row: merged})
			return nil
		}
		// A second row: move to a skiplist, published once it holds both.
		rl := newSkiplist[[]byte, []byte](bytes.Compare)
		rl.getOrInsert(one.clustering, func() ([]byte, *[]byte) { r := one.row; return one.clustering, &r })
		if err := m.applyRowLocked(rl, c, rb); err != nil {
			return err
		}
		p.rows.Store(rl)
		return nil
	})
}

func (m *Memtable) applyRowLocked(rl *skiplist[[]byte, []byte], c, rb []byte) error {
	n, inserted := rl.getOrInsert(c, func() ([]byte, *[]byte) {
		m.size.Add(rowOverhead)
		m.rows.Add(1)
		key := m.copyLocked(c)
		val := m.copyLocked(rb)
		return key, &val
	})
	if inserted {
		return nil
	}
	merged, err := m.mergeRowLocked(*n.val.Load(), c, rb)
	if err != nil {
		return err
	}
	n.val.Store(&merged)
	return nil
}

// canonicalRowLocked returns the encoding of a row about to be applied: rb
// itself, or, if rb holds data its own deletions shadow (a row deletion and
// older cells in one write, as a hint or a read repair may carry), its
// canonical form (mutation.Row.Shadow(Live)), which is what a merge stores.
// Otherwise a row stored without a merge (the first write of it) would keep
// what the same write applied twice drops, and replicas' digests of the two
// would differ. The result may be m.mu.canon.
func (m *Memtable) canonicalRowLocked(c, rb []byte) ([]byte, error) {
	if !mutation.RowHasDeletions(rb) {
		return rb, nil
	}
	if err := mutation.DecodeRow(rb, c, &m.mu.decA); err != nil {
		return nil, err
	}
	if !m.mu.decA.Shadows(mutation.Live) {
		return rb, nil
	}
	m.mu.decA.Shadow(mutation.Live)
	m.mu.canon = mutation.AppendRow(m.mu.canon[:0], &m.mu.decA)
	return m.mu.canon, nil
}

// mergeRowLocked reconciles an existing row encoding with a new one and
// returns the merged encoding, in the slab.
func (m *Memtable) mergeRowLocked(old, c, rb []byte) ([]byte, error) {
	if err := mutation.DecodeRow(old, c, &m.mu.decA); err != nil {
		return nil, err
	}
	if err := mutation.DecodeRow(rb, c, &m.mu.decB); err != nil {
		return nil, err
	}
	mutation.MergeRows(&m.mu.merged, &m.mu.decA, &m.mu.decB)
	m.mu.buf = mutation.AppendRow(m.mu.buf[:0], &m.mu.merged)
	return m.copyLocked(m.mu.buf), nil
}

func (m *Memtable) mergeHeaderLocked(p *partition, hb []byte) error {
	var nh mutation.Header
	if err := mutation.DecodeHeader(hb, &nh); err != nil {
		return err
	}
	var merged mutation.Header
	if cur := p.header.Load(); cur != nil {
		var oh mutation.Header
		if err := mutation.DecodeHeader(*cur, &oh); err != nil {
			return err
		}
		merged = mutation.MergeHeaders(&oh, &nh)
	} else {
		// Canonical even with nothing to merge, as a merge would store
		// it: a header applied once and twice must read alike.
		merged = nh.Canonical()
	}
	enc := m.copyLocked(mutation.AppendHeader(nil, &merged))
	p.header.Store(&enc)
	return nil
}

// Partition is a read view of one memtable partition.
type Partition struct {
	key mutation.Key
	p   *partition
	// it is the first iterator Rows hands out, in the partition's own
	// allocation (a point read takes just one).
	it     RowIter
	itUsed bool
}

// Get returns the partition with key k, or nil.
func (m *Memtable) Get(k mutation.Key) *Partition {
	n := m.byKey.get(k)
	if n == nil {
		return nil
	}
	return &Partition{key: n.key, p: n.val.Load()}
}

// Key returns the partition's key.
func (p *Partition) Key() mutation.Key { return p.key }

// Header returns the encoded partition header, or nil when it is empty.
func (p *Partition) Header() []byte {
	if h := p.p.header.Load(); h != nil {
		return *h
	}
	return nil
}

// Rows iterates over the rows with start <= clustering < end (nil bounds
// are open), ascending or, with reverse, descending.
func (p *Partition) Rows(start, end []byte, reverse bool) *RowIter {
	var it *RowIter
	if !p.itUsed {
		p.itUsed = true
		it = &p.it
	} else {
		it = new(RowIter)
	}
	*it = RowIter{start: start, end: end, reverse: reverse}
	if it.list = p.p.rows.Load(); it.list == nil {
		it.single = p.p.single.Load()
	}
	return it
}

// RowIter iterates over a partition's rows. The slices it returns stay valid
// for the life of the memtable.
type RowIter struct {
	list       *skiplist[[]byte, []byte]
	single     *rowEntry // when list is nil
	start, end []byte
	reverse    bool
	started    bool
	cur        *slNode[[]byte, []byte]
	key, row   []byte
}

// Next advances to the next row and reports whether there is one.
func (it *RowIter) Next() bool {
	if it.list == nil {
		if it.started || it.single == nil {
			it.started = true
			return false
		}
		it.started = true
		c := it.single.clustering
		if it.start != nil && bytes.Compare(c, it.start) < 0 || it.end != nil && bytes.Compare(c, it.end) >= 0 {
			return false
		}
		it.key, it.row = c, it.single.row
		return true
	}
	if !it.reverse {
		if !it.started {
			it.started = true
			if it.start == nil {
				it.cur = it.list.first()
			} else {
				it.cur = it.list.seekGE(it.start)
			}
		} else if it.cur != nil {
			it.cur = it.cur.next[0].Load()
		}
		if it.cur != nil && it.end != nil && bytes.Compare(it.cur.key, it.end) >= 0 {
			it.cur = nil
		}
	} else {
		if !it.started {
			it.started = true
			if it.end == nil {
				it.cur = it.list.last()
			} else {
				it.cur = it.list.seekLT(it.end)
			}
		} else if it.cur != nil {
			it.cur = it.list.seekLT(it.cur.key)
		}
		if it.cur != nil && it.start != nil && bytes.Compare(it.cur.key, it.start) < 0 {
			it.cur = nil
		}
	}
	if it.cur == nil {
		return false
	}
	it.key, it.row = it.cur.key, *it.cur.val.Load()
	return true
}

// Clustering returns the current row's clustering key.
func (it *RowIter) Clustering() []byte { return it.key }

// Row returns the current row's encoding.
func (it *RowIter) Row() []byte { return it.row }

// Err returns nil: memtable iteration cannot fail.
func (it *RowIter) Err() error { return nil }

// Close releases the iterator.
func (it *RowIter) Close() error { return nil }

// Iter iterates over the partitions with start <= key < end in order (nil
// bounds are open).
func (m *Memtable) Iter(start, end *mutation.Key) *PartitionIter {
	return &PartitionIter{m: m, start: start, end: end}
}

// PartitionIter iterates over a memtable's partitions.
type PartitionIter struct {
	m          *Memtable
	start, end *mutation.Key
	started    bool
	cur        *slNode[mutation.Key, partition]
}

// Next advances to the next partition.
func (it *PartitionIter) Next() bool {
	if !it.started {
		it.started = true
		if it.start == nil {
			it.cur = it.m.parts.first()
		} else {
			it.cur = it.m.parts.seekGE(*it.start)
		}
	} else if it.cur != nil {
		it.cur = it.cur.next[0].Load()
	}
	if it.cur != nil && it.end != nil && it.cur.key.Compare(*it.end) >= 0 {
		it.cur = nil
	}
	return it.cur != nil
}

// Partition returns the current partition.
func (it *PartitionIter) Partition() *Partition {
	return &Partition{key: it.cur.key, p: it.cur.val.Load()}
}

// Err returns nil: memtable iteration cannot fail.
func (it *PartitionIter) Err() error { return nil }

// Close releases the iterator.
func (it *PartitionIter) Close() error { return nil }
