package memtable

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// An arena holds a memtable's nodes and bytes in large chunks of memory
// that contain no Go pointers, so the garbage collector neither scans nor
// counts what is in them: a memtable of a million rows is a hundred-odd
// objects for it, whatever its shape.
//
// A place in the arena is a ref: the chunk's index plus one in the high 32
// bits and the byte offset in the chunk in the low 32, so 0 is nil. Every
// allocation is 8-aligned, which leaves a ref's low 3 bits free for tags
// and lets a word at a ref be read and written atomically.
//
// The arena has one writer (under the memtable's mutex) and lock-free
// readers. Memory is written before the ref to it is published with an
// atomic store, and is never reused: a reader holding a ref can read what
// it points to for the life of the arena.
type arena struct {
	// chunks is every chunk, for readers; a new chunk is appended and the
	// slice republished.
	chunks atomic.Pointer[[]chunk]
	// size is the bytes of every chunk allocated.
	size atomic.Int64

	// The writer's: where data (rows, headers, row nodes) goes, and where
	// partition nodes go. Partition nodes get chunks of their own so that
	// the partition skiplist is dense: with rows of a kilobyte between
	// them, a search from the top touched a cache line and, in a large
	// memtable, a page per node it compared; packed, the upper levels stay
	// in cache and the TLB.
	data, nodes cursor
}

// A cursor is a chunk being filled, its index, and the next free offset
// in it.
type cursor struct {
	cur    chunk
	curIdx uint32
	off    uint32
}

// A chunk is a []uint64, so that it is 8-aligned and noscan.
type chunk []uint64

// Chunks grow from minChunk, doubling, to maxChunk; an allocation larger
// than maxChunk/4 gets a chunk of its own, of its size.
const (
	minChunk = 16 << 10
	maxChunk = 1 << 20
)

// Size returns the bytes the arena has allocated.
func (a *arena) Size() int64 { return a.size.Load() }

// alloc returns a ref to n fresh, zeroed bytes of data. Writer only.
func (a *arena) alloc(n int) uint64 { return a.allocIn(&a.data, n) }

// allocIn returns a ref to n fresh, zeroed bytes from cursor c. Writer
// only.
func (a *arena) allocIn(c *cursor, n int) uint64 {
	n = (n + 7) &^ 7
	if n > maxChunk/4 {
		_, idx := a.addChunk(n)
		return uint64(idx+1) << 32
	}
	if c.cur == nil || int(c.off)+n > len(c.cur)*8 {
		size := minChunk
		if c.cur != nil {
			size = min(len(c.cur)*8*2, maxChunk)
		}
		for size < n {
			size *= 2
		}
		c.cur, c.curIdx = a.addChunk(size)
		c.off = 0
	}
	ref := uint64(c.curIdx+1)<<32 | uint64(c.off)
	c.off += uint32(n)
	return ref
}

// addChunk allocates a chunk of n bytes (a multiple of 8) and publishes it.
func (a *arena) addChunk(n int) (chunk, uint32) {
	c := make(chunk, n/8)
	var t []chunk
	if p := a.chunks.Load(); p != nil {
		t = *p
	}
	// Appending in place is safe: readers of the old slice never look
	// past its length.
	t = append(t, c)
	a.chunks.Store(&t)
	a.size.Add(int64(n))
	return c, uint32(len(t) - 1)
}

// words returns the chunk ref points into, from ref's word on.
func (a *arena) words(ref uint64) []uint64 {
	c := (*a.chunks.Load())[ref>>32-1]
	return c[uint32(ref)>>3:]
}

// at returns the chunk ref points into as bytes, from ref's byte on.
func (a *arena) at(ref uint64) []byte { return asBytes(a.words(ref)) }

// asBytes returns the memory of w as bytes.
func asBytes(w []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), len(w)*8)
}

// load atomically reads word i at ref.
func (a *arena) load(ref uint64, i int) uint64 { return atomic.LoadUint64(&a.words(ref)[i]) }

// store atomically writes word i at ref.
func (a *arena) store(ref uint64, i int, v uint64) { atomic.StoreUint64(&a.words(ref)[i], v) }

// Byte strings (a partition's header, a row's encoding) are stored after
// their length, 4 bytes little-endian.

// appendBytes copies b into the arena and returns its ref. Writer only.
func (a *arena) appendBytes(b []byte) uint64 {
	ref := a.alloc(4 + len(b))
	dst := a.at(ref)
	binary.LittleEndian.PutUint32(dst, uint32(len(b)))
	copy(dst[4:], b)
	return ref
}

// loadBytes returns the byte string at ref.
func (a *arena) loadBytes(ref uint64) []byte {
	b := a.at(ref)
	n := 4 + int(binary.LittleEndian.Uint32(b))
	return b[4:n:n]
}
