package memtable

import (
	"bytes"
	"sync/atomic"

	"wcdb/mutation"
)

// index finds a partition by key without descending the skiplist: a
// chained hash table keyed by the partition's token (already a Murmur3
// hash). Like the skiplist it has one writer (under the memtable's mutex)
// and lock-free readers: an entry is complete before it is published, and
// a resize publishes a whole new table.
type index struct {
	tab atomic.Pointer[itable]
}

type itable struct {
	buckets []atomic.Pointer[ientry]
	mask    uint64
	n       int // entries; writer only
}

type ientry struct {
	node *slNode[mutation.Key, partition]
	next *ientry
}

const indexInitialBuckets = 1 << 10

func newIndex() *index {
	x := &index{}
	x.tab.Store(&itable{buckets: make([]atomic.Pointer[ientry], indexInitialBuckets), mask: indexInitialBuckets - 1})
	return x
}

// get returns the partition node with key k, or nil.
func (x *index) get(k mutation.Key) *slNode[mutation.Key, partition] {
	t := x.tab.Load()
	for e := t.buckets[uint64(k.Token)&t.mask].Load(); e != nil; e = e.next {
		if e.node.key.Token == k.Token && bytes.Equal(e.node.key.Bytes, k.Bytes) {
			return e.node
		}
	}
	return nil
}

// add indexes a new partition node. Writer only.
func (x *index) add(n *slNode[mutation.Key, partition]) {
	t := x.tab.Load()
	if t.n >= len(t.buckets) {
		t = t.grow()
		x.tab.Store(t)
	}
	b := &t.buckets[uint64(n.key.Token)&t.mask]
	b.Store(&ientry{node: n, next: b.Load()})
	t.n++
}

// grow returns a table with twice the buckets holding the same entries
// (new entries: readers may still be walking the old chains).
func (t *itable) grow() *itable {
	nt := &itable{buckets: make([]atomic.Pointer[ientry], 2*len(t.buckets)), mask: uint64(2*len(t.buckets) - 1), n: t.n}
	for i := range t.buckets {
		for e := t.buckets[i].Load(); e != nil; e = e.next {
			b := &nt.buckets[uint64(e.node.key.Token)&nt.mask]
			b.Store(&ientry{node: e.node, next: b.Load()})
		}
	}
	return nt
}
