package repair

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/cespare/xxhash/v2"

	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
	"wcdb/streaming"
)

// MaxDepth bounds a tree's depth: 2^20 leaves, 16 MiB of hashes a level
// pair, for a range of a million partitions or more.
const MaxDepth = 20

// Entry is one partition of a replica's data in a range, as repair
// compares it.
type Entry struct {
	Key mutation.Key
	// Hash is the xxHash64 of the partition's raw data (storage's raw
	// reads, mutation.AppendMutation's encoding): replicas that received
	// the same writes hold the same bytes, however they flushed and
	// compacted them.
	Hash uint64
	// Size is the encoding's length, what streaming the partition costs.
	Size int
}

// Tree is a replica's hash tree of one table's data in one token range.
// Its leaves split the range into 2^Depth equal token intervals; a leaf's
// hash covers the partitions whose tokens fall in it, in ring order, and a
// node's covers its two children. Replicas that build trees of the same
// range and depth from the same data get the same hashes, so comparing
// them top-down finds the leaves where they differ without exchanging the
// rest. An empty subtree hashes to 0.
type Tree struct {
	Range ring.Range
	Depth int
	// levels[l] holds the 2^l hashes of level l (levels[0] the root).
	levels [][]uint64
	// entries are the range's partitions in ring order; first[i] is the
	// index of leaf i's first entry (first[2^Depth] = len(entries)).
	entries []Entry
	first   []int32
	// Bytes is the size of the data hashed.
	Bytes int64
}

// Scan reads t's partitions in r as raw data (memtables and SSTables
// merged, tombstones kept) and returns them as entries, in ring order. th
// (nil: none) paces it by the bytes hashed (repair.throughput).
func Scan(ctx context.Context, t *storage.Table, r ring.Range, th *streaming.Throttle) ([]Entry, error) {
	var out []Entry
	var buf []byte
	var arena []byte
	var werr error
	for _, piece := range r.Unwrap() {
		from, to := storage.TokenRange(piece.Start, piece.End)
		_, err := t.Scan(storage.ScanQuery{From: from, To: to, Raw: true}, func(p *mutation.Partition) bool {
			buf = mutation.AppendMutation(buf[:0], &mutation.Mutation{Partition: *p})
			if th != nil {
				if werr = th.Wait(ctx, len(buf)); werr != nil {
					return false
				}
			}
			if cap(arena)-len(arena) < len(p.Key.Bytes) {
				arena = make([]byte, 0, max(64<<10, len(p.Key.Bytes)))
			}
			n := len(arena)
			arena = append(arena, p.Key.Bytes...)
			out = append(out, Entry{
				Key:  mutation.Key{Token: p.Key.Token, Bytes: arena[n:len(arena):len(arena)]},
				Hash: xxhash.Sum64(buf),
				Size: len(buf),
			})
			return true
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			return nil, fmt.Errorf("repair: scan of %v: %w", r, err)
		}
	}
	return out, nil
}

// DepthFor returns the depth that gives n partitions about one leaf each.
func DepthFor(n int) int {
	if n <= 1 {
		return 0
	}
	return min(bits.Len(uint(n-1)), MaxDepth)
}

// NewTree builds the tree of depth of entries (Scan's, of range r).
func NewTree(r ring.Range, depth int, entries []Entry) (*Tree, error) {
	if depth < 0 || depth > MaxDepth {
		return nil, fmt.Errorf("repair: tree depth %d out of [0, %d]", depth, MaxDepth)
	}
	n := 1 << depth
	t := &Tree{Range: r, Depth: depth, entries: entries, first: make([]int32, n+1)}
	t.levels = make([][]uint64, depth+1)
	leaves := make([]uint64, n)
	var buf [8]byte
	d := xxhash.New()
	leaf := -1
	flush := func() {
		if leaf >= 0 {
			leaves[leaf] = nonZero(d.Sum64())
		}
	}
	for i, e := range entries {
		l := t.Leaf(e.Key.Token)
		if l < leaf {
			return nil, fmt.Errorf("repair: entry %d (token %d) out of ring order", i, e.Key.Token)
		}
		if l != leaf {
			flush()
			for j := leaf + 1; j <= l; j++ {
				t.first[j] = int32(i)
			}
			leaf = l
			d.Reset()
		}
		binary.LittleEndian.PutUint64(buf[:], e.Hash)
		d.Write(buf[:])
	}
	flush()
	for j := leaf + 1; j <= n; j++ {
		t.first[j] = int32(len(entries))
	}
	for _, e := range entries {
		t.Bytes += int64(e.Size)
	}
	t.levels[depth] = leaves
	for l := depth - 1; l >= 0; l-- {
		below := t.levels[l+1]
		lv := make([]uint64, 1<<l)
		for i := range lv {
			lv[i] = combine(below[2*i], below[2*i+1])
		}
		t.levels[l] = lv
	}
	return t, nil
}

// nonZero keeps 0 for empty subtrees.
func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// combine is a node's hash from its children's.
func combine(a, b uint64) uint64 {
	if a == 0 && b == 0 {
		return 0
	}
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:], a)
	binary.LittleEndian.PutUint64(buf[8:], b)
	return nonZero(xxhash.Sum64(buf[:]))
}

// Root is the hash of the whole range.
func (t *Tree) Root() uint64 { return t.levels[0][0] }

// Partitions is how many partitions the range holds.
func (t *Tree) Partitions() int { return len(t.entries) }

// Hash returns the hash of node i of level l, and false if there is no
// such node.
func (t *Tree) Hash(l, i int) (uint64, bool) {
	if l < 0 || l > t.Depth || i < 0 || i >= len(t.levels[l]) {
		return 0, false
	}
	return t.levels[l][i], true
}

// LeafEntries returns the partitions of leaf i.
func (t *Tree) LeafEntries(i int) []Entry {
	if i < 0 || i >= len(t.first)-1 {
		return nil
	}
	return t.entries[t.first[i]:t.first[i+1]]
}

// Leaf returns the leaf of a token of the range: the range's width split
// into 2^Depth equal parts, counted from its start.
func (t *Tree) Leaf(token int64) int {
	if t.Depth == 0 {
		return 0
	}
	off := uint64(token) - uint64(t.Range.Start) - 1 // tokens after Start, from 0
	width := uint64(t.Range.End) - uint64(t.Range.Start)
	if width == 0 { // the whole ring: 2^64 tokens
		return int(off >> (64 - t.Depth))
	}
	hi, lo := bits.Mul64(off, 1<<t.Depth)
	q, _ := bits.Div64(hi, lo, width)
	return int(q)
}
