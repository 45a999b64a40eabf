package localnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/storage"
)

// Counters lets a replica lead counter writes (replication.CounterReplica):
// its counter id, the node's host id, names its shards, and a lock per
// counter (striped) serializes the read-increment-write of each.
type Counters struct {
	// ID is the node's counter id: its host id, as 16 bytes.
	ID    [mutation.CounterIDLen]byte
	seed  maphash.Seed
	locks [256]sync.Mutex
	// last is the clock's last timestamp given to an update without one
	// (µs): they increase.
	last atomic.Int64
}

// NewCounters returns the counter state of the node with host id id.
func NewCounters(id [mutation.CounterIDLen]byte) *Counters {
	return &Counters{ID: id, seed: maphash.MakeSeed()}
}

var _ replication.CounterReplica = Replica{}

// ApplyCounter leads a counter write: for each counter update of m, under
// the counter's lock (partition, clustering, column), it reads this node's
// shard of the counter from its storage, writes a counter cell holding the
// shard alone, its clock one higher and its value plus the delta, at the
// update's timestamp (the statement's, as Cassandra's; the node's clock
// when it has none), and returns the mutation of those cells (the rest of m, a
// row deletion say, is carried as it is). Several updates of one counter
// in m add up.
func (r Replica) ApplyCounter(ctx context.Context, m *mutation.Mutation) (*mutation.Mutation, error) {
	c := r.Counters
	if c == nil {
		return nil, errors.New("localnode: this replica does not lead counter writes")
	}
	sg := r.Pools.mutations()
	if err := sg.start(ctx); err != nil {
		return nil, err
	}
	defer sg.done()
	t, err := r.table(m.Table)
	if err != nil {
		return nil, err
	}
	p := &m.Partition
	var rows []*mutation.Row
	if p.Static != nil {
		rows = append(rows, p.Static)
	}
	for i := range p.Rows {
		rows = append(rows, &p.Rows[i])
	}
	// The locks of every counter m updates, taken in order.
	var stripes []int
	for _, row := range rows {
		for i := range row.Cells {
			if cell := &row.Cells[i]; cell.IsCounterUpdate() {
				stripes = append(stripes, c.stripe(p.Key.Bytes, row.Clustering, cell.Column))
			}
		}
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		c.locks[s].Lock()
	}
	defer func() {
		for _, s := range stripes {
			c.locks[s].Unlock()
		}
	}()
	ts := time.Now().UnixMicro()
	for {
		last := c.last.Load()
		ts = max(ts, last+1)
		if c.last.CompareAndSwap(last, ts) {
			break
		}
	}
	// ts is the timestamp of updates that have none.
	out := &mutation.Mutation{Table: m.Table, Partition: mutation.Partition{Key: p.Key, Deletion: p.Deletion,
		RangeTombstones: p.RangeTombstones}}
	for _, row := range rows {
		nr, err := c.lead(t, p.Key, row, ts, row == p.Static)
		if err != nil {
			return nil, err
		}
		if row == p.Static {
			out.Partition.Static = nr
		} else {
			out.Partition.Rows = append(out.Partition.Rows, *nr)
		}
	}
	if err := r.E.Apply(out); err != nil {
		return nil, err
	}
	return out, nil
}

// lead returns row with its counter updates turned into this node's new
// shards, read from t.
func (c *Counters) lead(t *storage.Table, key mutation.Key, row *mutation.Row, ts int64, static bool) (*mutation.Row, error) {
	var cols []uint32
	for i := range row.Cells {
		if row.Cells[i].IsCounterUpdate() {
			cols = append(cols, row.Cells[i].Column)
		}
	}
	nr := &mutation.Row{Clustering: row.Clustering, Liveness: row.Liveness, Deletion: row.Deletion}
	if len(cols) == 0 {
		nr.Cells = row.Cells
		return nr, nil
	}
	slices.Sort(cols)
	cols = slices.Compact(cols)
	q := storage.Query{Key: key, Columns: cols}
	if static {
		q.Limit = 1
	} else {
		q.Start, q.End = row.Clustering, append(bytes.Clone(row.Clustering), 0)
	}
	cur, err := t.Read(q)
	if err != nil {
		return nil, err
	}
	var have *mutation.Row
	switch {
	case cur == nil:
	case static:
		have = cur.Static
	case len(cur.Rows) > 0 && bytes.Equal(cur.Rows[0].Clustering, row.Clustering):
		have = &cur.Rows[0]
	}
	for i := 0; i < len(row.Cells); i++ {
		cell := &row.Cells[i]
		if !cell.IsCounterUpdate() {
			nr.Cells = append(nr.Cells, *cell)
			continue
		}
		var delta int64
		cts := int64(0)
		j := i
		for ; j < len(row.Cells) && row.Cells[j].IsCounterUpdate() && row.Cells[j].Column == cell.Column; j++ {
			d, err := row.Cells[j].CounterDelta()
			if err != nil {
				return nil, err
			}
			delta += d
			cts = max(cts, row.Cells[j].Timestamp)
		}
		if cts <= 0 {
			cts = ts
		}
		i = j - 1
		shard := mutation.Shard{ID: c.ID}
		if have != nil {
			for k := range have.Cells {
				if hc := &have.Cells[k]; hc.Column == cell.Column && hc.IsCounter() {
					s, ok, err := mutation.CounterShard(hc.Value, c.ID)
					if err != nil {
						return nil, fmt.Errorf("localnode: counter of column %d: %w", cell.Column, err)
					}
					if ok {
						shard = s
					}
				}
			}
		}
		shard.Clock++
		shard.Value += delta
		nr.Cells = append(nr.Cells, mutation.CounterCell(cell.Column, cts, shard))
	}
	return nr, nil
}

// stripe returns the lock of a counter.
func (c *Counters) stripe(key, clustering []byte, column uint32) int {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(key)
	h.WriteByte(0)
	h.Write(clustering)
	var b [4]byte
	b[0], b[1], b[2], b[3] = byte(column), byte(column>>8), byte(column>>16), byte(column>>24)
	h.Write(b[:])
	return int(h.Sum64() % uint64(len(c.locks)))
}
