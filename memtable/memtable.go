// Package memtable holds a table's recent writes in memory, sorted, until
// they are flushed to an SSTable.
//
// A Memtable has one writer at a time (Apply is serialized internally) and any
// number of concurrent readers that take no lock: partitions and rows live in
// skiplists whose nodes are never removed, and a row's encoded bytes are
// immutable once written — an update stores a new, merged encoding and swaps
// the reference to it atomically. Nodes, keys, rows and headers all live in an
// arena of large chunks that hold no Go pointers (see arena.go and
// skiplist.go), so a memtable adds next to nothing to the garbage collector's
// work however many rows it holds, and its Size is the memory the arena took.
package memtable

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"wcdb/mutation"
)

// Memtable is a sorted in-memory set of partitions.
type Memtable struct {
	arena arena
	// parts is the head node of the partition list; 0 until the first
	// write.
	parts atomic.Uint64
	// byKey finds partitions for point reads and for writes to existing
	// partitions; the skiplist keeps the order scans need.
	byKey index
	len   atomic.Int64
	rows  atomic.Int64

	mu struct {
		sync.Mutex
		rnd    uint64
		prev   [maxHeight]uint64
		decA   mutation.Row
		decB   mutation.Row
		merged mutation.Row
		buf    []byte
		canon  []byte // canonicalRowLocked's result
	}
}

// New returns an empty memtable. It allocates its arena on the first write.
func New() *Memtable {
	m := &Memtable{}
	m.mu.rnd = 0x9e3779b97f4a7c15
	return m
}

// Size returns the memory the memtable accounts for, in bytes: its arena's
// chunks and its index.
func (m *Memtable) Size() int64 { return m.arena.Size() + m.byKey.size.Load() }

// Len returns the number of partitions.
func (m *Memtable) Len() int { return int(m.len.Load()) }

// Rows returns the number of distinct rows (static rows not counted).
func (m *Memtable) Rows() int64 { return m.rows.Load() }

// Apply adds a mutation, reconciling it with what the memtable holds. The
// view's bytes are copied; the caller may reuse them afterwards.
func (m *Memtable) Apply(v *mutation.View) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := &m.arena
	p := m.byKey.get(a, v.Key)
	if p == 0 {
		p = m.insertPartitionLocked(v.Key)
	}
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
		rows := a.load(p, wVal)
		switch {
		case rows == 0:
			a.store(p, wVal, m.newRowLocked(c, rb)|singleRow)
			return nil
		case rows&singleRow == 0:
			return m.applyRowLocked(rows, c, rb)
		}
		one := rows &^ singleRow
		if bytes.Equal(a.nodeKey(one, rowTower), c) {
			return m.mergeRowLocked(one, c, rb)
		}
		// A second row: move to a list, published once it holds both.
		head := a.newHead(rowTower)
		_, _ = a.findRow(head, a.nodeKey(one, rowTower), &m.mu.prev)
		a.link(head, rowTower, &m.mu.prev, one)
		if err := m.applyRowLocked(head, c, rb); err != nil {
			return err
		}
		a.store(p, wVal, head)
		return nil
	})
}

// insertPartitionLocked adds an empty partition with key k, absent from
// the memtable, and returns its node.
func (m *Memtable) insertPartitionLocked(k mutation.Key) uint64 {
	a := &m.arena
	head := m.parts.Load()
	if head == 0 {
		head = a.newHead(partTower)
		m.parts.Store(head)
	}
	a.findPart(head, k, &m.mu.prev)
	n := a.newNode(partTower, m.randomHeightLocked(), k.Bytes, 0)
	a.words(n)[wToken] = uint64(k.Token)
	a.link(head, partTower, &m.mu.prev, n)
	m.byKey.add(a, n)
	m.len.Add(1)
	return n
}

// newRowLocked allocates a row node for clustering c with encoding rb
// after it, not yet linked, and counts the row.
func (m *Memtable) newRowLocked(c, rb []byte) uint64 {
	a := &m.arena
	h := m.randomHeightLocked()
	keyEnd := (8*(rowTower+h) + len(c) + 7) &^ 7
	n := a.newNode(rowTower, h, c, keyEnd-8*(rowTower+h)-len(c)+4+len(rb))
	val := n + uint64(keyEnd)
	b := a.at(val)
	binary.LittleEndian.PutUint32(b, uint32(len(rb)))
	copy(b[4:], rb)
	a.words(n)[wVal] = val
	m.rows.Add(1)
	return n
}

func (m *Memtable) applyRowLocked(head uint64, c, rb []byte) error {
	a := &m.arena
	_, at := a.findRow(head, c, &m.mu.prev)
	if at != 0 && bytes.Equal(a.nodeKey(at, rowTower), c) {
		return m.mergeRowLocked(at, c, rb)
	}
	a.link(head, rowTower, &m.mu.prev, m.newRowLocked(c, rb))
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

// mergeRowLocked reconciles the row node n with a new encoding of it and
// stores the merged encoding in the arena, in place of n's.
func (m *Memtable) mergeRowLocked(n uint64, c, rb []byte) error {
	a := &m.arena
	if err := mutation.DecodeRow(a.loadBytes(a.load(n, wVal)), c, &m.mu.decA); err != nil {
		return err
	}
	if err := mutation.DecodeRow(rb, c, &m.mu.decB); err != nil {
		return err
	}
	mutation.MergeRows(&m.mu.merged, &m.mu.decA, &m.mu.decB)
	m.mu.buf = mutation.AppendRow(m.mu.buf[:0], &m.mu.merged)
	a.store(n, wVal, a.appendBytes(m.mu.buf))
	return nil
}

func (m *Memtable) mergeHeaderLocked(p uint64, hb []byte) error {
	a := &m.arena
	var nh mutation.Header
	if err := mutation.DecodeHeader(hb, &nh); err != nil {
		return err
	}
	var merged mutation.Header
	if cur := a.load(p, wHeader); cur != 0 {
		var oh mutation.Header
		if err := mutation.DecodeHeader(a.loadBytes(cur), &oh); err != nil {
			return err
		}
		merged = mutation.MergeHeaders(&oh, &nh)
	} else {
		// Canonical even with nothing to merge, as a merge would store
		// it: a header applied once and twice must read alike.
		merged = nh.Canonical()
	}
	m.mu.buf = mutation.AppendHeader(m.mu.buf[:0], &merged)
	a.store(p, wHeader, a.appendBytes(m.mu.buf))
	return nil
}

// Partition is a read view of one memtable partition.
type Partition struct {
	a   *arena
	key mutation.Key
	ref uint64
	// it is the first iterator Rows hands out, in the partition's own
	// allocation (a point read takes just one).
	it     RowIter
	itUsed bool
}

// Get returns the partition with key k, or nil.
func (m *Memtable) Get(k mutation.Key) *Partition {
	n := m.byKey.get(&m.arena, k)
	if n == 0 {
		return nil
	}
	return &Partition{a: &m.arena, key: m.arena.partKey(n), ref: n}
}

// Key returns the partition's key.
func (p *Partition) Key() mutation.Key { return p.key }

// Header returns the encoded partition header, or nil when it is empty.
func (p *Partition) Header() []byte {
	if h := p.a.load(p.ref, wHeader); h != 0 {
		return p.a.loadBytes(h)
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
	*it = RowIter{a: p.a, start: start, end: end, reverse: reverse}
	if rows := p.a.load(p.ref, wVal); rows&singleRow != 0 {
		it.single = rows &^ singleRow
	} else {
		it.list = rows
	}
	return it
}

// RowIter iterates over a partition's rows. The slices it returns stay valid
// for the life of the memtable.
type RowIter struct {
	a          *arena
	list       uint64 // the row list's head
	single     uint64 // the only row's node, when list is 0
	start, end []byte
	reverse    bool
	started    bool
	cur        uint64
	key, row   []byte
}

// Next advances to the next row and reports whether there is one.
func (it *RowIter) Next() bool {
	a := it.a
	if it.list == 0 {
		if it.started || it.single == 0 {
			it.started = true
			return false
		}
		it.started = true
		c := a.nodeKey(it.single, rowTower)
		if it.start != nil && bytes.Compare(c, it.start) < 0 || it.end != nil && bytes.Compare(c, it.end) >= 0 {
			return false
		}
		it.key, it.row = c, a.loadBytes(a.load(it.single, wVal))
		return true
	}
	if !it.reverse {
		if !it.started {
			it.started = true
			if it.start == nil {
				it.cur = a.load(it.list, rowTower)
			} else {
				_, it.cur = a.findRow(it.list, it.start, nil)
			}
		} else if it.cur != 0 {
			it.cur = a.load(it.cur, rowTower)
		}
		if it.cur != 0 {
			it.key = a.nodeKey(it.cur, rowTower)
			if it.end != nil && bytes.Compare(it.key, it.end) >= 0 {
				it.cur = 0
			}
		}
	} else {
		if !it.started {
			it.started = true
			if it.end == nil {
				it.cur = a.lastNode(it.list, rowTower)
			} else {
				it.cur = a.seekRowLT(it.list, it.end)
			}
		} else if it.cur != 0 {
			it.cur = a.seekRowLT(it.list, it.key)
		}
		if it.cur != 0 {
			it.key = a.nodeKey(it.cur, rowTower)
			if it.start != nil && bytes.Compare(it.key, it.start) < 0 {
				it.cur = 0
			}
		}
	}
	if it.cur == 0 {
		it.key, it.row = nil, nil
		return false
	}
	it.row = a.loadBytes(a.load(it.cur, wVal))
	return true
}

// seekRowLT returns the last row node with clustering < c, or 0.
func (a *arena) seekRowLT(head uint64, c []byte) uint64 {
	if x, _ := a.findRow(head, c, nil); x != head {
		return x
	}
	return 0
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
	cur        uint64
}

// Next advances to the next partition.
func (it *PartitionIter) Next() bool {
	a := &it.m.arena
	if !it.started {
		it.started = true
		head := it.m.parts.Load()
		switch {
		case head == 0:
		case it.start == nil:
			it.cur = a.load(head, partTower)
		default:
			_, it.cur = a.findPart(head, *it.start, nil)
		}
	} else if it.cur != 0 {
		it.cur = a.load(it.cur, partTower)
	}
	if it.cur != 0 && it.end != nil && a.cmpPart(it.cur, *it.end) >= 0 {
		it.cur = 0
	}
	return it.cur != 0
}

// Partition returns the current partition.
func (it *PartitionIter) Partition() *Partition {
	a := &it.m.arena
	return &Partition{a: a, key: a.partKey(it.cur), ref: it.cur}
}

// Err returns nil: memtable iteration cannot fail.
func (it *PartitionIter) Err() error { return nil }

// Close releases the iterator.
func (it *PartitionIter) Close() error { return nil }
