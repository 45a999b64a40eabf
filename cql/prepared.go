package cql

import (
	"container/list"
	"sync"

	"wcdb/query"
)

// preparedShards is the number of independently locked parts of the cache,
// so EXECUTEs on many connections do not queue on one mutex.
const preparedShards = 16

// preparedCache holds prepared statements by ID, shared by all
// connections, evicting the least recently used of a shard when it is
// full. Prepared IDs are MD5 digests, so their first byte spreads them
// evenly over the shards. Safe for concurrent use.
type preparedCache struct {
	shards [preparedShards]preparedShard
}

type preparedShard struct {
	mu struct {
		sync.Mutex
		byID  map[[16]byte]*list.Element // of *query.Prepared
		order list.List                  // most recently used first
	}
	limit int
}

func newPreparedCache(size int) *preparedCache {
	c := &preparedCache{}
	per := (size + preparedShards - 1) / preparedShards
	for i := range c.shards {
		s := &c.shards[i]
		s.limit = max(per, 1)
		s.mu.byID = make(map[[16]byte]*list.Element)
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
	return e.Value.(*query.Prepared)
}

// put adds p, replacing a statement with its ID (a re-prepare after a
// schema change brings fresh metadata).
func (c *preparedCache) put(p *query.Prepared) {
	s := c.shard(p.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.mu.byID[p.ID]; ok {
		e.Value = p
		s.mu.order.MoveToFront(e)
		return
	}
	s.mu.byID[p.ID] = s.mu.order.PushFront(p)
	for s.mu.order.Len() > s.limit {
		last := s.mu.order.Back()
		s.mu.order.Remove(last)
		delete(s.mu.byID, last.Value.(*query.Prepared).ID)
	}
}

// invalidateKeyspace drops the statements prepared against keyspace ks
// (their metadata may be stale after a schema change; drivers re-prepare).
func (c *preparedCache) invalidateKeyspace(ks string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for e := s.mu.order.Front(); e != nil; {
			next := e.Next()
			if p := e.Value.(*query.Prepared); p.Keyspace == ks {
				s.mu.order.Remove(e)
				delete(s.mu.byID, p.ID)
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
