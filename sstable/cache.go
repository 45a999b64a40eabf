package sstable

import (
	"sync"
	"sync/atomic"
)

// Cache is an LRU cache of decompressed, verified blocks shared by readers,
// keyed by (file number, block offset). It is safe for concurrent use.
// Evicted blocks stay valid for whoever still holds them (the garbage
// collector frees them), so iterators never see a block change under them.
type Cache struct {
	capacity int64
	hits     atomic.Int64
	misses   atomic.Int64
	nextID   atomic.Uint64

	mu struct {
		sync.Mutex
		size  int64
		m     map[cacheKey]*cacheEntry
		head  cacheEntry // sentinel: head.next is the most recently used
		count int
	}
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
	c := &Cache{capacity: capacityBytes}
	c.nextID.Store(1 << 63)
	c.mu.m = make(map[cacheKey]*cacheEntry)
	c.mu.head.next = &c.mu.head
	c.mu.head.prev = &c.mu.head
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
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Size: c.mu.size, Blocks: c.mu.count}
}

// newFileID returns a cache file number for a reader opened without one.
// These ids have the top bit set; callers' file numbers should not.
func (c *Cache) newFileID() uint64 { return c.nextID.Add(1) }

func (c *Cache) get(k cacheKey) *block {
	c.mu.Lock()
	e := c.mu.m[k]
	if e != nil {
		c.unlinkLocked(e)
		c.pushFrontLocked(e)
	}
	c.mu.Unlock()
	if e == nil {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	return e.b
}

func (c *Cache) add(k cacheKey, b *block) {
	sz := int64(cap(b.data)) + entryOverhead
	if sz > c.capacity {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.mu.m[k]; e != nil {
		// Another reader loaded it concurrently; keep the existing block.
		return
	}
	e := &cacheEntry{key: k, b: b}
	c.mu.m[k] = e
	c.pushFrontLocked(e)
	c.mu.size += sz
	c.mu.count++
	for c.mu.size > c.capacity {
		victim := c.mu.head.prev
		c.unlinkLocked(victim)
		delete(c.mu.m, victim.key)
		c.mu.size -= int64(cap(victim.b.data)) + entryOverhead
		c.mu.count--
	}
}

func (c *Cache) unlinkLocked(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (c *Cache) pushFrontLocked(e *cacheEntry) {
	e.next = c.mu.head.next
	e.prev = &c.mu.head
	e.next.prev = e
	c.mu.head.next = e
}
