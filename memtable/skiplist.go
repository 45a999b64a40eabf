package memtable

import "sync/atomic"

const maxHeight = 20

// skiplist is an ordered map with one writer and any number of concurrent
// lock-free readers. Nodes are never removed; a new node's forward pointers
// are set before it is linked in, so readers never see a half-built node.
// The writer must be serialized by the caller.
type skiplist[K, V any] struct {
	cmp    func(a, b K) int
	head   *slNode[K, V]
	height atomic.Int32
	rnd    uint64
	len    atomic.Int64
	// towers is a chunk the nodes' forward pointers are carved from: one
	// allocation per thousand nodes instead of one per node.
	towers []atomic.Pointer[slNode[K, V]]
}

const towerChunk = 1024

type slNode[K, V any] struct {
	key  K
	val  atomic.Pointer[V]
	next []atomic.Pointer[slNode[K, V]]
}

func newSkiplist[K, V any](cmp func(a, b K) int) *skiplist[K, V] {
	s := &skiplist[K, V]{cmp: cmp, rnd: 0x9e3779b97f4a7c15}
	s.head = &slNode[K, V]{next: make([]atomic.Pointer[slNode[K, V]], maxHeight)}
	s.height.Store(1)
	return s
}

func (s *skiplist[K, V]) randomHeight() int {
	// xorshift; a quarter of nodes go up each level.
	s.rnd ^= s.rnd << 13
	s.rnd ^= s.rnd >> 7
	s.rnd ^= s.rnd << 17
	h, r := 1, s.rnd
	for h < maxHeight && r&3 == 0 {
		h++
		r >>= 2
	}
	return h
}

// lastBefore returns the last node with key < k, or the head.
func (s *skiplist[K, V]) lastBefore(k K) *slNode[K, V] {
	x := s.head
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		for {
			nx := x.next[lvl].Load()
			if nx == nil || s.cmp(nx.key, k) >= 0 {
				break
			}
			x = nx
		}
	}
	return x
}

// seekGE returns the first node with key >= k, or nil.
func (s *skiplist[K, V]) seekGE(k K) *slNode[K, V] { return s.lastBefore(k).next[0].Load() }

// seekLT returns the last node with key < k, or nil.
func (s *skiplist[K, V]) seekLT(k K) *slNode[K, V] {
	if x := s.lastBefore(k); x != s.head {
		return x
	}
	return nil
}

// last returns the node with the greatest key, or nil.
func (s *skiplist[K, V]) last() *slNode[K, V] {
	x := s.head
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		for {
			nx := x.next[lvl].Load()
			if nx == nil {
				break
			}
			x = nx
		}
	}
	if x == s.head {
		return nil
	}
	return x
}

func (s *skiplist[K, V]) first() *slNode[K, V] { return s.head.next[0].Load() }

// getOrInsert returns the node for k, inserting one made by mk if absent.
// Writer only.
func (s *skiplist[K, V]) getOrInsert(k K, mk func() (K, *V)) (n *slNode[K, V], inserted bool) {
	var prev [maxHeight]*slNode[K, V]
	x := s.head
	h := int(s.height.Load())
	for lvl := h - 1; lvl >= 0; lvl-- {
		for {
			nx := x.next[lvl].Load()
			if nx == nil || s.cmp(nx.key, k) >= 0 {
				break
			}
			x = nx
		}
		prev[lvl] = x
	}
	if nx := x.next[0].Load(); nx != nil && s.cmp(nx.key, k) == 0 {
		return nx, false
	}
	nh := s.randomHeight()
	for lvl := h; lvl < nh; lvl++ {
		prev[lvl] = s.head
	}
	key, val := mk()
	if len(s.towers) < nh {
		s.towers = make([]atomic.Pointer[slNode[K, V]], towerChunk)
	}
	n = &slNode[K, V]{key: key, next: s.towers[:nh:nh]}
	s.towers = s.towers[nh:]
	n.val.Store(val)
	for lvl := 0; lvl < nh; lvl++ {
		n.next[lvl].Store(prev[lvl].next[lvl].Load())
	}
	// Link bottom-up: a reader that finds the node at a higher level can
	// always continue below it.
	for lvl := 0; lvl < nh; lvl++ {
		prev[lvl].next[lvl].Store(n)
	}
	if nh > h {
		s.height.Store(int32(nh))
	}
	s.len.Add(1)
	return n, true
}
