package storage

import (
	"math"
	"time"

	"wcdb/mutation"
)

// ScanQuery reads partitions in ring order (by token, then key).
type ScanQuery struct {
	// From and To bound the partition keys: From <= key < To; nil is open.
	// TokenRange builds them from a token range (start, end].
	From, To *mutation.Key
	// After, if set, resumes a paged scan: partitions before After.Key are
	// skipped, and in After.Key only rows after After.Clustering are read
	// (all of the next partitions').
	After *ScanPosition
	// Start, End, Reverse, Columns and Raw apply to each partition as in
	// Query.
	Start, End []byte
	Columns    []uint32
	Raw        bool
	// Limit is the most rows returned in all (0: no limit); a partition
	// with only a static row counts as one. PerPartitionLimit limits rows
	// per partition.
	Limit             int
	PerPartitionLimit int
	// Stats, if set, has what the scan went through added to it (as
	// ReadCounted); MaxTombstones is as in Query, for the whole scan: a
	// scan through deleted partitions returns nothing for them, however
	// many it goes through.
	Stats         *ReadStats
	MaxTombstones int
}

// ScanPosition is where a paged scan stopped: the last partition returned
// and the clustering key of its last row (nil if it returned no row).
type ScanPosition struct {
	Key        mutation.Key
	Clustering []byte
}

// TokenRange returns the key bounds of the token range (start, end], as
// ScanQuery.From and To. The range must not wrap (start < end), except that
// an end of MinInt64 means the end of the ring; split wrapping ranges first
// (ring.Range.Unwrap).
func TokenRange(start, end int64) (from, to *mutation.Key) {
	if start != minToken {
		if start == maxToken {
			return &mutation.Key{Token: maxToken, Bytes: []byte{0xff}}, &mutation.Key{Token: maxToken, Bytes: []byte{0xff}}
		}
		from = &mutation.Key{Token: start + 1}
	}
	if end != minToken && end != maxToken {
		to = &mutation.Key{Token: end + 1}
	}
	return from, to
}

const (
	minToken = -1 << 63
	maxToken = 1<<63 - 1
)

// Scan calls fn with each partition that has visible content (any content,
// with Raw) in order, until fn returns false or the limit is reached. It
// returns the position to resume from, nil when the scan reached the end.
func (t *Table) Scan(q ScanQuery, fn func(*mutation.Partition) bool) (_ *ScanPosition, err error) {
	defer t.metrics.RangeLatency.Since(time.Now())
	defer t.readFailed(&err)
	s := t.acquire(true)
	defer s.release()
	from := q.From
	if q.After != nil && (from == nil || q.After.Key.Compare(*from) >= 0) {
		from = &q.After.Key
	}
	type cursor struct {
		next func() bool
		key  func() mutation.Key
		src  func() partSource
		err  func() error
		done func() error
	}
	var curs []cursor
	for _, m := range s.mems {
		it := m.Iter(from, q.To)
		curs = append(curs, cursor{next: it.Next, key: func() mutation.Key { return it.Partition().Key() },
			src: func() partSource { return memSource(it.Partition()) }, err: it.Err, done: it.Close})
	}
	for i := len(s.files) - 1; i >= 0; i-- {
		f := s.files[i]
		if q.To != nil && f.meta.MinKey.Compare(*q.To) >= 0 || from != nil && f.meta.MaxKey.Compare(*from) < 0 {
			continue
		}
		it := f.r.Scan(from, q.To)
		curs = append(curs, cursor{next: it.Next, key: func() mutation.Key { return it.Partition().Key() },
			src: func() partSource { return sstSource(it.Partition()) }, err: it.Err, done: it.Close})
	}
	defer func() {
		for _, c := range curs {
			c.done()
		}
	}()
	valid := make([]bool, len(curs))
	for i, c := range curs {
		if valid[i] = c.next(); !valid[i] {
			if err := c.err(); err != nil {
				return nil, err
			}
		}
	}
	now := t.e.opts.Now().Unix()
	cfg := t.cfg.Load()
	var tcs tombstones
	tc := tcs.counter(q.Stats != nil, q.MaxTombstones)
	defer tcs.addTo(q.Stats)
	rows := 0
	var cur []int
	var srcs []partSource
	for {
		var key mutation.Key
		cur, key = smallestKeys(cur, valid, func(i int) mutation.Key { return curs[i].key() })
		if len(cur) == 0 {
			return nil, nil
		}
		srcs = srcs[:0]
		for _, i := range cur {
			srcs = append(srcs, curs[i].src())
		}
		pq := Query{Key: key, Start: q.Start, End: q.End, Columns: q.Columns, Raw: q.Raw, Limit: q.PerPartitionLimit, versions: cfg.opts.Versions}
		resumed := q.After != nil && key.Equal(q.After.Key)
		// A partition finished on the previous page (or holding only a static
		// row) is skipped; one cut short resumes after its last row.
		skip := resumed && q.After.Clustering == nil
		if resumed && !skip {
			after := append(append([]byte(nil), q.After.Clustering...), 0)
			if pq.Start == nil || string(after) > string(pq.Start) {
				pq.Start = after
			}
		}
		if q.Limit > 0 {
			if left := q.Limit - rows; pq.Limit == 0 || left < pq.Limit {
				pq.Limit = left
			}
		}
		if !skip {
			gcBefore := int64(math.MinInt64)
			if q.Raw {
				gcBefore = t.gcBefore(cfg, key.Token, now)
			}
			p, err := mergePartition(pq, srcs, now, gcBefore, tc)
			if err != nil {
				return nil, err
			}
			if p != nil && resumed {
				p.Static = nil // returned with the partition's first page
				if len(p.Rows) == 0 && !q.Raw {
					p = nil
				}
			}
			if p != nil {
				rows += max(len(p.Rows), 1)
				pos := &ScanPosition{Key: key}
				if len(p.Rows) > 0 {
					pos.Clustering = p.Rows[len(p.Rows)-1].Clustering
				}
				if !fn(p) || (q.Limit > 0 && rows >= q.Limit) {
					return pos, nil
				}
			}
		}
		for _, i := range cur {
			if valid[i] = curs[i].next(); !valid[i] {
				if err := curs[i].err(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// smallestKeys returns, in cur (reused), the indices of the valid cursors
// positioned on the smallest partition key, and that key.
func smallestKeys(cur []int, valid []bool, keyAt func(int) mutation.Key) ([]int, mutation.Key) {
	cur = cur[:0]
	var key mutation.Key
	for i, ok := range valid {
		if !ok {
			continue
		}
		k := keyAt(i)
		switch c := k.Compare(key); {
		case len(cur) == 0 || c < 0:
			key, cur = k, append(cur[:0], i)
		case c == 0:
			cur = append(cur, i)
		}
	}
	return cur, key
}
