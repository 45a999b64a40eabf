package localnode

import (
	"bytes"
	"context"
	"fmt"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/schema/indexing"
	"wcdb/storage"
	"wcdb/storage/sai"
)

// setIndexes gives the table's storage its secondary indexes as the schema
// has them: a new one is built in the background, a dropped one goes.
func (b Backend) setIndexes(t *schema.Table) {
	st := b.E.Table(t.ID)
	if st == nil {
		return
	}
	st.SetIndexes(IndexDefs(t))
}

// IndexDefs are the storage definitions of t's indexes. The target
// carries the column's id: a column dropped and added again under the
// same name is another column, whose index must be built anew.
func IndexDefs(t *schema.Table) []sai.Def {
	var defs []sai.Def
	for _, ix := range t.Indexes {
		tg := indexing.ParseTarget(ix.Options["target"])
		c := t.Column(tg.Column)
		terms, err := indexing.Terms(t, tg)
		if c == nil || err != nil {
			continue // refused by CREATE INDEX; a column since dropped drops its index
		}
		defs = append(defs, sai.Def{Name: ix.Name, Target: fmt.Sprintf("%s#%d", tg, c.ID), Terms: terms})
	}
	return defs
}

// readIndexed answers a range read through the table's local index: the
// partitions in the range the index lists, each read as the range read
// would (a scan of that one partition, so Start, End, Columns, Raw, After
// and the limits mean what they mean there), in ring order. The rows are
// candidates; the caller re-checks them against its restriction.
func readIndexed(ctx context.Context, t *storage.Table, cmd replication.RangeCommand, q storage.ScanQuery) (replication.RangeResult, error) {
	ix := cmd.Index
	hits, err := t.IndexSearch(ix.Name, sai.Query{Lo: ix.Lo, Hi: ix.Hi, LoExclusive: ix.LoExclusive, HiExclusive: ix.HiExclusive}, cmd.From, cmd.To)
	if err != nil {
		return replication.RangeResult{}, err
	}
	var res replication.RangeResult
	rows := 0
	for i, h := range hits {
		k := h.Key
		if i > 0 && hits[i-1].Key.Equal(k) || cmd.After != nil && k.Compare(cmd.After.Key) < 0 {
			continue
		}
		if cmd.After == nil || !cmd.After.Key.Equal(k) {
			// Not resuming inside this partition: a point read (bloom
			// filters first) costs less than a scan of one key.
			lim := cmd.PerPartitionLimit
			if cmd.Limit > 0 && (lim == 0 || cmd.Limit-rows < lim) {
				lim = cmd.Limit - rows
			}
			start, end := hitSpan(hits[i:], cmd.Start, cmd.End)
			if start != nil && end != nil && bytes.Compare(start, end) >= 0 {
				continue // no hit within the query's clustering bounds
			}
			p, err := t.ReadCounted(storage.Query{Key: k, Start: start, End: end, Columns: cmd.Columns, Limit: lim, Raw: cmd.Raw,
				MaxTombstones: tombstonesLeft(q)}, q.Stats)
			if err != nil {
				return res, err
			}
			if p == nil {
				continue
			}
			res.Partitions = append(res.Partitions, p)
			rows += max(len(p.Rows), 1)
			if cmd.Limit > 0 && rows >= cmd.Limit {
				var last []byte
				if n := len(p.Rows); n > 0 {
					last = p.Rows[n-1].Clustering
				}
				res.Next = &replication.Position{Key: k, Clustering: last}
				return res, nil
			}
			continue
		}
		pq := q
		to := mutation.Key{Token: k.Token, Bytes: append(bytes.Clone(k.Bytes), 0)}
		pq.From, pq.To = &k, &to
		if pq.After != nil && !pq.After.Key.Equal(k) {
			pq.After = nil
		}
		if cmd.Limit > 0 {
			pq.Limit = cmd.Limit - rows
		}
		pq.MaxTombstones = tombstonesLeft(q)
		var lastRow []byte
		next, err := t.Scan(pq, func(p *mutation.Partition) bool {
			res.Partitions = append(res.Partitions, p)
			rows += max(len(p.Rows), 1)
			if n := len(p.Rows); n > 0 {
				lastRow = p.Rows[n-1].Clustering
			}
			return ctx.Err() == nil
		})
		if err != nil {
			return res, err
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if next != nil {
			res.Next = &replication.Position{Key: next.Key, Clustering: next.Clustering}
			return res, nil
		}
		if cmd.Limit > 0 && rows >= cmd.Limit {
			res.Next = &replication.Position{Key: k, Clustering: lastRow}
			return res, nil
		}
	}
	return res, nil
}

// tombstonesLeft is what the read's tombstone limit leaves to its next
// partition: the limit is for the whole read, as a range read's.
func tombstonesLeft(q storage.ScanQuery) int {
	if q.MaxTombstones <= 0 || q.Stats == nil {
		return q.MaxTombstones
	}
	return max(q.MaxTombstones-q.Stats.Tombstones, 1)
}

// hitSpan narrows the clustering bounds [start, end) of a read of the
// partition of hits[0] to the rows its hits name, so that a wide partition
// is not read whole for a few matching rows; unchanged when a hit is the
// static row or the table has no clustering columns (empty clustering).
func hitSpan(hits []sai.Hit, start, end []byte) ([]byte, []byte) {
	var lo, hi []byte
	for _, h := range hits {
		if !h.Key.Equal(hits[0].Key) {
			break
		}
		if len(h.Clustering) == 0 {
			return start, end
		}
		if lo == nil || bytes.Compare(h.Clustering, lo) < 0 {
			lo = h.Clustering
		}
		if hi == nil || bytes.Compare(h.Clustering, hi) > 0 {
			hi = h.Clustering
		}
	}
	if start == nil || bytes.Compare(lo, start) > 0 {
		start = lo
	}
	if past := append(bytes.Clone(hi), 0); end == nil || bytes.Compare(past, end) < 0 {
		end = past
	}
	return start, end
}
