package sai

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"wcdb/memtable"
	"wcdb/mutation"
)

// observer collects the entries of one SSTable for each of its indexes as
// the rows go by. Entries are kept encoded, as in the component, in one
// buffer per index with their offsets, so that indexing a large compaction
// costs little more than its component's size.
type observer struct {
	defs []*Def
	bufs [][]byte
	offs [][]uint32
	key  mutation.Key
	row  mutation.Row
	cur  int
	emit func(term []byte)
}

func (o *observer) init(defs []*Def) {
	o.defs = defs
	o.bufs = make([][]byte, len(defs))
	o.offs = make([][]uint32, len(defs))
	o.emit = func(term []byte) {
		b := o.bufs[o.cur]
		o.offs[o.cur] = append(o.offs[o.cur], uint32(len(b)))
		b = appendBytes(b, term)
		b = binary.BigEndian.AppendUint64(b, uint64(o.key.Token))
		b = appendBytes(b, o.key.Bytes)
		o.bufs[o.cur] = appendBytes(b, o.row.Clustering)
	}
}

// StartPartition implements sstable.Observer. The partition's static row
// is in its header.
func (o *observer) StartPartition(key mutation.Key, header []byte) error {
	o.key = mutation.Key{Token: key.Token, Bytes: append(o.key.Bytes[:0], key.Bytes...)}
	static, err := staticRow(header)
	if static == nil || err != nil {
		return err
	}
	o.row = *static
	for i, d := range o.defs {
		o.cur = i
		d.Terms(o.key.Bytes, &o.row, o.emit)
	}
	return nil
}

// staticRow returns the static row a partition header holds, or nil.
func staticRow(header []byte) (*mutation.Row, error) {
	if len(header) <= 1 {
		return nil, nil // the empty header (a single 0) has none
	}
	var h mutation.Header
	if err := mutation.DecodeHeader(header, &h); err != nil {
		return nil, err
	}
	if h.Static != nil {
		h.Static.Clustering = nil
	}
	return h.Static, nil
}

// AddRow implements sstable.Observer.
func (o *observer) AddRow(clustering, row []byte) error {
	if err := mutation.DecodeRow(row, clustering, &o.row); err != nil {
		return err
	}
	for i, d := range o.defs {
		o.cur = i
		d.Terms(o.key.Bytes, &o.row, o.emit)
	}
	return nil
}

// encode returns the component of index i.
func (o *observer) encode(i int) []byte {
	buf, offs := o.bufs[i], o.offs[i]
	es := make([]entry, len(offs))
	for j, off := range offs {
		d := decoder{b: buf, p: int(off)}
		d.entry(&es[j])
	}
	return encodeComponent(o.defs[i].Target, sortEntries(es))
}

// memIndex is the index of one memtable: per index name, term to rows.
type memIndex struct {
	m  *memtable.Memtable
	mu sync.RWMutex
	// terms[index][term] lists the rows holding term, unsorted.
	terms map[string]map[string][]Hit
	// pending names the new indexes whose entries for the rows m held
	// when they were created are still being added (SetDefs).
	pending map[string]bool
	// size estimates the bytes terms holds, so that the flush trigger
	// counts the index with its memtable (MemSize).
	size atomic.Int64
}

// The estimated costs of a memIndex's parts: a Hit (key token and two
// slice headers), a new term's map entry (string header, slice header,
// hash bucket share), a new index's map.
const hitCost, termCost, indexCost = 56, 64, 256

// add records that the row h holds term. h's key and clustering bytes are
// shared among the terms of one row; the caller counts them (note).
func (mi *memIndex) add(name string, term []byte, h Hit) {
	t := mi.terms[name]
	if t == nil {
		t = map[string][]Hit{}
		mi.terms[name] = t
		mi.size.Add(indexCost)
	}
	hs, ok := t[string(term)]
	n := int64(hitCost)
	if !ok {
		n += termCost + int64(len(term))
	}
	t[string(term)] = append(hs, h)
	mi.size.Add(n)
}

// note counts n bytes of keys and clusterings the index's hits hold.
func (mi *memIndex) note(n int) { mi.size.Add(int64(n)) }

func newMemIndex(m *memtable.Memtable) *memIndex {
	return &memIndex{m: m, terms: map[string]map[string][]Hit{}, pending: map[string]bool{}}
}

func (mi *memIndex) isPending(name string) bool {
	mi.mu.RLock()
	defer mi.mu.RUnlock()
	return mi.pending[name]
}

func (mi *memIndex) drop(name string) {
	mi.mu.Lock()
	if t := mi.terms[name]; t != nil {
		var n int64 = indexCost
		for term, hs := range t {
			n += termCost + int64(len(term)) + int64(len(hs))*hitCost
		}
		mi.size.Add(-n) // the keys the hits share stay counted: an estimate
		delete(mi.terms, name)
	}
	mi.mu.Unlock()
}

// MemSize estimates the bytes of memtable m's index, which live as long as
// m: the flush trigger counts them with m's own size.
func (s *Set) MemSize(m *memtable.Memtable) int64 {
	if mi := s.last.Load(); mi != nil && mi.m == m {
		return mi.size.Load()
	}
	s.mu.Lock()
	mi := s.mu.mems[m]
	s.mu.Unlock()
	if mi == nil {
		return 0
	}
	return mi.size.Load()
}

func (mi *memIndex) search(name string, q Query, in func(mutation.Key) bool, hits []Hit) []Hit {
	mi.mu.RLock()
	defer mi.mu.RUnlock()
	t := mi.terms[name]
	if q.Lo != nil && bytes.Equal(q.Lo, q.Hi) && !q.LoExclusive && !q.HiExclusive {
		for _, h := range t[string(q.Lo)] {
			if in(h.Key) {
				hits = append(hits, h)
			}
		}
		return hits
	}
	for term, hs := range t {
		if !q.aboveLo([]byte(term)) || !q.belowHi([]byte(term)) {
			continue
		}
		for _, h := range hs {
			if in(h.Key) {
				hits = append(hits, h)
			}
		}
	}
	return hits
}

// memFor returns m's index, creating it.
func (s *Set) memFor(m *memtable.Memtable) *memIndex {
	if mi := s.last.Load(); mi != nil && mi.m == m {
		return mi
	}
	s.mu.Lock()
	mi := s.mu.mems[m]
	if mi == nil {
		mi = newMemIndex(m)
		s.mu.mems[m] = mi
	}
	s.mu.Unlock()
	s.last.Store(mi)
	return mi
}

// Apply indexes a mutation applied to memtable m. With no index it costs
// one atomic load.
func (s *Set) Apply(m *memtable.Memtable, v *mutation.View) error {
	defs := *s.defs.Load()
	if len(defs) == 0 {
		return nil
	}
	mi := s.memFor(m)
	key := mutation.Key{Token: v.Key.Token, Bytes: bytes.Clone(v.Key.Bytes)}
	var r mutation.Row
	mi.mu.Lock()
	defer mi.mu.Unlock()
	keyCounted := false
	index := func(clustering []byte, r *mutation.Row) {
		var c []byte
		for _, d := range defs {
			d.Terms(key.Bytes, r, func(term []byte) {
				if c == nil {
					c = append([]byte{}, clustering...)
					mi.note(len(c))
					if !keyCounted {
						mi.note(len(key.Bytes))
						keyCounted = true
					}
				}
				mi.add(d.Name, term, Hit{Key: key, Clustering: c})
			})
		}
	}
	static, err := staticRow(v.Header)
	if err != nil {
		return err
	}
	if static != nil {
		index(nil, static)
	}
	return v.Rows(func(clustering, row []byte) error {
		if err := mutation.DecodeRow(row, clustering, &r); err != nil {
			return err
		}
		index(clustering, &r)
		return nil
	})
}

// indexInto adds memtable m's rows to mi for index d.
func indexInto(d *Def, m *memtable.Memtable, mi *memIndex) {
	it := m.Iter(nil, nil)
	var r mutation.Row
	for it.Next() {
		p := it.Partition()
		k := p.Key()
		key := mutation.Key{Token: k.Token, Bytes: bytes.Clone(k.Bytes)}
		mi.note(len(key.Bytes))
		if static, err := staticRow(p.Header()); err == nil && static != nil {
			d.Terms(key.Bytes, static, func(term []byte) {
				mi.mu.Lock()
				mi.add(d.Name, term, Hit{Key: key, Clustering: []byte{}})
				mi.mu.Unlock()
			})
		}
		ri := p.Rows(nil, nil, false)
		for ri.Next() {
			if mutation.DecodeRow(ri.Row(), ri.Clustering(), &r) != nil {
				continue
			}
			c := bytes.Clone(ri.Clustering())
			mi.note(len(c))
			d.Terms(key.Bytes, &r, func(term []byte) {
				mi.mu.Lock()
				mi.add(d.Name, term, Hit{Key: key, Clustering: c})
				mi.mu.Unlock()
			})
		}
	}
}

// Forget drops memtable m's index: m has been flushed (its SSTable has the
// component) or discarded.
func (s *Set) Forget(m *memtable.Memtable) {
	s.mu.Lock()
	delete(s.mu.mems, m)
	s.mu.Unlock()
	if mi := s.last.Load(); mi != nil && mi.m == m {
		s.last.CompareAndSwap(mi, nil)
	}
}

// Reset drops every memtable's index (the table was truncated).
func (s *Set) Reset() {
	s.mu.Lock()
	s.mu.mems = map[*memtable.Memtable]*memIndex{}
	s.mu.Unlock()
	s.last.Store(nil)
}
