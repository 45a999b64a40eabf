package memtable

import (
	"bytes"

	"wcdb/mutation"
)

// The memtable's skiplists live in its arena: a node is a run of words
// whose links are refs, read and written atomically. There are two kinds,
// the list of partitions and, per partition of more than one row, a list
// of rows; they share the layout of their first words:
//
//	word 0      key length (low 32 bits) | tower height (high 32 bits)
//	word 1      the value (atomic): a partition's rows, a row's encoding;
//	            in a list's head node, the list's height
//	partition:  word 2 its header (atomic ref, 0 when empty), word 3 its
//	            token, words 4… its tower
//	row:        words 2… its tower
//	then        the key bytes (the partition key, the clustering)
//
// A tower is the node's forward links, one per level. One writer (under
// the memtable's mutex) inserts; any number of readers search without a
// lock. Nodes are never removed; a new node's links are set before it is
// linked in, bottom-up, so a reader never sees a half-built node and one
// that finds a node at a higher level can always continue below it.

const maxHeight = 20

const (
	wMeta     = 0
	wVal      = 1
	wHeader   = 2
	wToken    = 3
	partTower = 4
	rowTower  = 2
)

// singleRow tags a partition's value when it is its only row's node rather
// than the head of a row list: a partition of one row (the common case for
// key-value use) spares the head.
const singleRow = 1

// newNode allocates a node of height h with its tower at word tower and
// key after it, among the data (a row node, followed by extra bytes) or,
// for a partition node, among the other partition nodes. Writer only.
func (a *arena) newNode(tower, h int, key []byte, extra int) uint64 {
	c := &a.data
	if tower == partTower {
		c = &a.nodes
	}
	ref := a.allocIn(c, 8*(tower+h)+len(key)+extra)
	w := a.words(ref)
	w[wMeta] = uint64(len(key)) | uint64(h)<<32
	copy(a.at(ref)[8*(tower+h):], key)
	return ref
}

// newHead allocates a list's head node: full height, the list one level
// high.
func (a *arena) newHead(tower int) uint64 {
	h := a.newNode(tower, maxHeight, nil, 0)
	a.words(h)[wVal] = 1
	return h
}

func nodeHeight(w []uint64) int { return int(w[wMeta] >> 32) }

// nodeKey returns the key of the node at ref whose tower is at word tower.
func (a *arena) nodeKey(ref uint64, tower int) []byte {
	w := a.words(ref)
	off := 8 * (tower + nodeHeight(w))
	n := off + int(uint32(w[wMeta]))
	return asBytes(w)[off:n:n]
}

// partKey returns the partition node's key.
func (a *arena) partKey(ref uint64) mutation.Key {
	return mutation.Key{Token: int64(a.words(ref)[wToken]), Bytes: a.nodeKey(ref, partTower)}
}

// cmpPart compares the partition node at ref with k.
func (a *arena) cmpPart(ref uint64, k mutation.Key) int {
	if t := int64(a.words(ref)[wToken]); t != k.Token {
		if t < k.Token {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.nodeKey(ref, partTower), k.Bytes)
}

// findPart returns the last partition node before k (or head) and the
// first at or after it (or 0); with prev, it records the last node before
// k at every level of the list.
func (a *arena) findPart(head uint64, k mutation.Key, prev *[maxHeight]uint64) (before, at uint64) {
	// stop is the node the level above stopped at, known to be at or
	// after k: meeting it again on the way down needs no comparison.
	x, stop := head, uint64(0)
	for lvl := int(a.load(head, wVal)) - 1; lvl >= 0; lvl-- {
		for {
			at = a.load(x, partTower+lvl)
			if at == 0 || at == stop || a.cmpPart(at, k) >= 0 {
				break
			}
			x = at
		}
		stop = at
		if prev != nil {
			prev[lvl] = x
		}
	}
	return x, at
}

// findRow is findPart for a row list and a clustering.
func (a *arena) findRow(head uint64, c []byte, prev *[maxHeight]uint64) (before, at uint64) {
	// A clustering at or before the first row's is found with one
	// comparison, not one per level: the newest row of a DESC partition
	// (a timeline's every write) goes there.
	if first := a.load(head, rowTower); first == 0 || bytes.Compare(a.nodeKey(first, rowTower), c) >= 0 {
		if prev != nil {
			for lvl := range int(a.load(head, wVal)) {
				prev[lvl] = head
			}
		}
		return head, first
	}
	x, stop := head, uint64(0)
	for lvl := int(a.load(head, wVal)) - 1; lvl >= 0; lvl-- {
		for {
			at = a.load(x, rowTower+lvl)
			if at == 0 || at == stop || bytes.Compare(a.nodeKey(at, rowTower), c) >= 0 {
				break
			}
			x = at
		}
		stop = at
		if prev != nil {
			prev[lvl] = x
		}
	}
	return x, at
}

// lastNode returns the list's last node, or 0.
func (a *arena) lastNode(head uint64, tower int) uint64 {
	x := head
	for lvl := int(a.load(head, wVal)) - 1; lvl >= 0; lvl-- {
		for {
			nx := a.load(x, tower+lvl)
			if nx == 0 {
				break
			}
			x = nx
		}
	}
	if x == head {
		return 0
	}
	return x
}

// link inserts node n after prev (as findPart or findRow left it) in the
// list at head. Writer only.
func (a *arena) link(head uint64, tower int, prev *[maxHeight]uint64, n uint64) {
	h := int(a.load(head, wVal))
	nh := nodeHeight(a.words(n))
	for lvl := h; lvl < nh; lvl++ {
		prev[lvl] = head
	}
	for lvl := 0; lvl < nh; lvl++ {
		a.store(n, tower+lvl, a.load(prev[lvl], tower+lvl))
	}
	for lvl := 0; lvl < nh; lvl++ {
		a.store(prev[lvl], tower+lvl, n)
	}
	if nh > h {
		a.store(head, wVal, uint64(nh))
	}
}

// randomHeight draws a node's height: a quarter of nodes go up each level.
// Writer only.
func (m *Memtable) randomHeightLocked() int {
	r := &m.mu.rnd
	*r ^= *r << 13
	*r ^= *r >> 7
	*r ^= *r << 17
	h, x := 1, *r
	for h < maxHeight && x&3 == 0 {
		h++
		x >>= 2
	}
	return h
}
