package sstable

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Cache is an LRU cache of decompressed, verified blocks shared by readers,
// keyed by (file number, block offset). It is safe for concurrent use: the
// blocks are spread over shards, each an LRU under its own mutex, so that
// concurrent readers rarely wait for one another. Evicted blocks stay valid
// for whoever still holds them (the garbage collector frees them), so
// iterators never see a block change under them.
type Cache struct {
	hits   atomic.Int64
	misses atomic.Int64
	nextID atomic.Uint64
	shards []cacheShard
	shift  uint // 64 - log2(len(shards))
}

// maxCacheShards is a power of two: more shards than cores make lock
// collisions rare. A shard gets at least minShardBytes, so that small
// caches keep one exact LRU.
const (
	maxCacheShards = 16
	minShardBytes  = 4 << 20
)

type cacheShard struct {
	capacity int64
	mu       struct {
		sync.Mutex
		size  int64
		m     map[cacheKey]*cacheEntry
		head  cacheEntry // sentinel: head.next is the most recently used
		count int
	}
	_ [64]byte // keep shards' mutexes on separate cache lines
}

type cacheKey struct {
	file, off uint64
}

type cacheEntry struct {
	key        cacheKey
	b          *block
	prev, next *cacheEntry
}

// entryOverhead approximates the bookkeeping cost of a cached block.
const entryOverhead = 128

// NewCache returns a cache holding up to capacityBytes of blocks.
func NewCache(capacityBytes int64) *Cache {
	n := 1
	for n < maxCacheShards && capacityBytes/int64(2*n) >= minShardBytes {
		n *= 2
	}
	c := &Cache{shards: make([]cacheShard, n), shift: uint(64 - bits.TrailingZeros(uint(n)))}
	c.nextID.Store(1 << 63)
	for i := range c.shards {
		s := &c.shards[i]
		s.capacity = capacityBytes / int64(n)
		s.mu.m = make(map[cacheKey]*cacheEntry)
		s.mu.head.next = &s.mu.head
		s.mu.head.prev = &s.mu.head
	}
	return c
}

// CacheStats are counters of a Cache.
type CacheStats struct {
	Hits, Misses int64
	Size         int64 // bytes held
	Blocks       int
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	st := CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Size += s.mu.size
		st.Blocks += s.mu.count
		s.mu.Unlock()
	}
	return st
}

// newFileID returns a cache file number for a reader opened without one.
// These ids have the top bit set; callers' file numbers should not.
func (c *Cache) newFileID() uint64 { return c.nextID.Add(1) }

func (c *Cache) shard(k cacheKey) *cacheShard {
	h := (k.file*0x9e3779b97f4a7c15 ^ k.off) * 0xff51afd7ed558ccd
	return &c.shards[h>>c.shift&uint64(len(c.shards)-1)]
}

func (c *Cache) get(k cacheKey) *block {
	s := c.shard(k)
	s.mu.Lock()
	e := s.mu.m[k]
	if e != nil && s.mu.head.next != e {
		s.unlinkLocked(e)
		s.pushFrontLocked(e)
	}
	s.mu.Unlock()
	if e == nil {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return e.b
}

func (c *Cache) add(k cacheKey, b *block) {
	s := c.shard(k)
	sz := int64(cap(b.data)) + entryOverhead
	if sz > s.capacity {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.mu.m[k]; e != nil {
		// Another reader loaded it concurrently; keep the existing block.
		return
	}
	e := &cacheEntry{key: k, b: b}
	s.mu.m[k] = e
	s.pushFrontLocked(e)
	s.mu.size += sz
	s.mu.count++
	for s.mu.size > s.capacity {
		victim := s.mu.head.prev
		s.unlinkLocked(victim)
		delete(s.mu.m, victim.key)
		s.mu.size -= int64(cap(victim.b.data)) + entryOverhead
		s.mu.count--
	}
}

func (s *cacheShard) unlinkLocked(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (s *cacheShard) pushFrontLocked(e *cacheEntry) {
	e.next = s.mu.head.next
	e.prev = &s.mu.head
	e.next.prev = e
	s.mu.head.next = e
}
