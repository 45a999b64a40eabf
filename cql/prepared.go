package cql

import (
	"container/list"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"wcdb/query"
)

// preparedShards is the number of independently locked parts of the cache,
// so EXECUTEs on many connections do not queue on one mutex.
const preparedShards = 16

// preparedCache holds prepared statements by ID, shared by all
// connections, within a budget of bytes (Config.PreparedCacheBytes): each
// statement is charged what it holds in memory (preparedSize), and the
// least recently used statements are evicted to make room. Prepared IDs
// are MD5 digests, so their first byte spreads them evenly over the
// shards. Each shard keeps its statements in order of use; a global use
// counter stamps them, so the least recently used statement of all is the
// oldest of the shards' oldest. Safe for concurrent use.
type preparedCache struct {
	limit  int64
	used   atomic.Int64  // bytes charged
	ticks  atomic.Uint64 // the use counter
	shards [preparedShards]preparedShard
}

type preparedShard struct {
	mu struct {
		sync.Mutex
		byID  map[[16]byte]*list.Element // of *preparedEntry
		order list.List                  // most recently used first
	}
}

type preparedEntry struct {
	p    *query.Prepared
	size int64
	used uint64 // the use counter at the last use; under the shard's lock
}

func newPreparedCache(limit int64) *preparedCache {
	c := &preparedCache{limit: limit}
	for i := range c.shards {
		c.shards[i].mu.byID = make(map[[16]byte]*list.Element)
	}
	return c
}

func (c *preparedCache) shard(id [16]byte) *preparedShard {
	return &c.shards[id[0]%preparedShards]
}

// get returns the statement with id, or nil.
func (c *preparedCache) get(id []byte) *query.Prepared {
	if len(id) != 16 {
		return nil
	}
	key := [16]byte(id)
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.mu.byID[key]
	if !ok {
		return nil
	}
	s.mu.order.MoveToFront(e)
	ent := e.Value.(*preparedEntry)
	ent.used = c.ticks.Add(1)
	return ent.p
}

// put adds p, replacing a statement with its ID (a re-prepare after a
// schema change brings fresh metadata), and evicts the least recently
// used statements while the cache is over its budget. A statement larger
// than the whole budget is refused with an Invalid error.
func (c *preparedCache) put(p *query.Prepared) error {
	size, over := preparedSize(p, c.limit)
	if over {
		q := p.Query
		if len(q) > 200 {
			q = q[:200] + "..."
		}
		return &query.Error{Kind: query.KindInvalid, Msg: fmt.Sprintf(
			"Prepared statement of size %d bytes or more is larger than the prepared statement cache (%d bytes, native_transport.prepared_statements_cache_size): %s",
			size, c.limit, q)}
	}
	s := c.shard(p.ID)
	s.mu.Lock()
	if e, ok := s.mu.byID[p.ID]; ok {
		ent := e.Value.(*preparedEntry)
		c.used.Add(size - ent.size)
		ent.p, ent.size, ent.used = p, size, c.ticks.Add(1)
		s.mu.order.MoveToFront(e)
	} else {
		s.mu.byID[p.ID] = s.mu.order.PushFront(&preparedEntry{p: p, size: size, used: c.ticks.Add(1)})
		c.used.Add(size)
	}
	s.mu.Unlock()
	c.evict()
	return nil
}

// evict drops the least recently used statements until the cache is
// within its budget.
func (c *preparedCache) evict() {
	for c.used.Load() > c.limit {
		var victim *preparedShard
		oldest := uint64(math.MaxUint64)
		for i := range c.shards {
			s := &c.shards[i]
			s.mu.Lock()
			if e := s.mu.order.Back(); e != nil && e.Value.(*preparedEntry).used < oldest {
				victim, oldest = s, e.Value.(*preparedEntry).used
			}
			s.mu.Unlock()
		}
		if victim == nil {
			return
		}
		victim.mu.Lock()
		// Unless it was used meanwhile (then look again).
		if e := victim.mu.order.Back(); e != nil && e.Value.(*preparedEntry).used == oldest {
			victim.removeLocked(c, e)
		}
		victim.mu.Unlock()
	}
}

func (s *preparedShard) removeLocked(c *preparedCache, e *list.Element) {
	ent := e.Value.(*preparedEntry)
	s.mu.order.Remove(e)
	delete(s.mu.byID, ent.p.ID)
	c.used.Add(-ent.size)
}

// invalidateKeyspace drops the statements prepared against keyspace ks
// (their metadata may be stale after a schema change; drivers re-prepare).
func (c *preparedCache) invalidateKeyspace(ks string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for e := s.mu.order.Front(); e != nil; {
			next := e.Next()
			if e.Value.(*preparedEntry).p.Keyspace == ks {
				s.removeLocked(c, e)
			}
			e = next
		}
		s.mu.Unlock()
	}
}

// len returns the number of cached statements.
func (c *preparedCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.mu.order.Len()
		s.mu.Unlock()
	}
	return n
}

// bytes returns the bytes charged for the cached statements.
func (c *preparedCache) bytes() int64 { return c.used.Load() }
