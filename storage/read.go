package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"wcdb/memtable"
	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage/internal/rowmerge"
)

// Query reads one partition, or a slice of it.
type Query struct {
	Key mutation.Key
	// Start and End bound the clustering keys read: Start <= c < End; nil
	// bounds are open.
	Start, End []byte
	// Reverse returns rows in descending clustering order (read backwards,
	// not sorted in memory).
	Reverse bool
	// Limit is the most live rows returned; 0 means no limit.
	Limit int
	// Columns, if set, restricts the cells returned to these column ids
	// (sorted ascending); the row marker still decides whether a row exists.
	Columns []uint32
	// Raw returns the merged data with its tombstones (for replicas
	// comparing and repairing data), in canonical form, the form compaction
	// writes: data a deletion shadows is left out (the deletion is kept),
	// expired cells are the tombstones they amount to, and rows left with
	// nothing are skipped; see canonicalRow. So the answer depends only on
	// the writes the node received, not on how often or in what grouping
	// they were applied, nor on flushes and compactions (as long as no
	// tombstone is old enough for compaction to purge). Limit then counts
	// rows of any kind.
	Raw bool
	// MaxTombstones, if positive, aborts the read with
	// ErrTombstoneOverwhelming once it has gone through more tombstones
	// than that (Cassandra's tombstone_failure_threshold): a partition of
	// deleted rows costs the read as much as live ones, and returns
	// nothing for it.
	MaxTombstones int

	versions mutation.VersionRule // the table's, set by the read
}

// ReadStats count what reads went through, as Cassandra counts for its
// tombstone thresholds. Tombstones are the deletions and dead cells of the
// partition's merged versions within the slice read, whether or not they
// shadow anything: the partition deletion, each range tombstone
// overlapping the slice, each row deletion, each cell tombstone (a
// collection's column deletion or element deletion too) and each expired
// cell, in the rows read and the static row. Data they shadow is not
// counted (Cassandra's merge drops it too). LiveRows are the rows
// returned.
type ReadStats struct {
	LiveRows, Tombstones int
}

// ErrTombstoneOverwhelming aborts a read that went through more
// tombstones than its MaxTombstones.
var ErrTombstoneOverwhelming = errors.New("storage: too many tombstones")

// tombstones counts what a read goes through and checks its limit.
type tombstones struct {
	ReadStats
	max int
}

// counter sets t up for a read and returns it, or nil when the read
// neither counts nor limits.
func (t *tombstones) counter(count bool, max int) *tombstones {
	if !count && max <= 0 {
		return nil
	}
	t.max = max
	return t
}

// addTo adds what was counted to st, if not nil.
func (t *tombstones) addTo(st *ReadStats) {
	if st != nil {
		st.LiveRows += t.LiveRows
		st.Tombstones += t.Tombstones
	}
}

// add counts n tombstones of partition key.
func (t *tombstones) add(n int, key mutation.Key) error {
	t.Tombstones += n
	if t.max > 0 && t.Tombstones > t.max {
		return fmt.Errorf("%w: scanned over %d tombstones (more than %d), the last in partition %x; query aborted",
			ErrTombstoneOverwhelming, t.Tombstones, t.max, key.Bytes)
	}
	return nil
}

// deadInRow counts the tombstones of a merged row (not yet shadowed by
// the partition's deletions).
func deadInRow(r *mutation.Row, now int64) int {
	n := 0
	if !r.Deletion.IsLive() {
		n++
	}
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.IsTombstone() || c.Flags&mutation.CellExpiring != 0 && c.LocalDeletionTime <= now {
			n++
		}
	}
	return n
}

// deadInHeader counts the tombstones of a merged partition header that a
// read of the slice [start, end) goes through.
func deadInHeader(h *mutation.Header, start, end []byte, now int64) int {
	n := 0
	if !h.Deletion.IsLive() {
		n++
	}
	for i := range h.RangeTombstones {
		rt := &h.RangeTombstones[i]
		if (end == nil || bytes.Compare(rt.Start, end) < 0) && (rt.End == nil || bytes.Compare(rt.End, start) > 0) {
			n++
		}
	}
	if h.Static != nil {
		n += deadInRow(h.Static, now)
	}
	return n
}

// partSource is one version of a partition: from a memtable or an SSTable.
type partSource struct {
	header []byte
	mem    *memtable.Partition // one of mem and sst is set
	sst    *sstable.Partition
}

func memSource(p *memtable.Partition) partSource { return partSource{header: p.Header(), mem: p} }

func sstSource(p *sstable.Partition) partSource { return partSource{header: p.Header(), sst: p} }

func (s *partSource) rows(start, end []byte, reverse bool) rowmerge.Iter {
	if s.mem != nil {
		return s.mem.Rows(start, end, reverse)
	}
	return s.sst.Rows(start, end, reverse)
}

// isEmptyHeader reports whether an encoded partition header carries nothing
// (memtables hand out nil for that, SSTables the one-byte encoding).
func isEmptyHeader(b []byte) bool { return len(b) == 0 || len(b) == 1 && b[0] == 0 }

// mergeHeaders reconciles the partition headers of the sources, into
// canonical form (mutation.Header.Canonical) even when there is one.
func mergeHeaders(srcs []partSource) (mutation.Header, error) {
	h := mutation.Header{Deletion: mutation.Live}
	for _, s := range srcs {
		if isEmptyHeader(s.header) {
			continue
		}
		var sh mutation.Header
		if err := mutation.DecodeHeader(s.header, &sh); err != nil {
			return h, err
		}
		h = mutation.MergeHeaders(&h, &sh)
	}
	return h, nil
}

// Read returns the partition's visible content at the engine's current
// time, or nil if there is none.
func (t *Table) Read(q Query) (*mutation.Partition, error) { return t.ReadCounted(q, nil) }

// ReadCounted is Read that adds what the read went through to st, if not
// nil. (st is not in Query so that a read keeps it on the caller's stack.)
func (t *Table) ReadCounted(q Query, st *ReadStats) (_ *mutation.Partition, err error) {
	defer t.metrics.ReadLatency.Since(time.Now())
	defer t.readFailed(&err)
	s := t.acquire(true)
	defer s.release()
	var buf [8]partSource
	srcs, err := s.sources(q.Key, buf[:0], &t.metrics)
	if err != nil || len(srcs) == 0 {
		return nil, err
	}
	now := t.e.opts.Now().Unix()
	gcBefore := int64(math.MinInt64)
	if q.Raw {
		gcBefore = t.gcBefore(t.cfg.Load(), q.Key.Token, now)
	}
	q.versions = t.cfg.Load().opts.Versions
	var tc tombstones
	counter := tc.counter(st != nil, q.MaxTombstones)
	p, err := mergePartition(q, srcs, now, gcBefore, counter)
	if counter != nil {
		t.metrics.TombstonesPerRead.Observe(uint64(tc.Tombstones))
	}
	tc.addTo(st)
	return p, err
}

// ReadFunc is Read without building the result, for callers that turn rows
// into something else at once (the query layer, benchmarks): fn receives
// each visible row in order, with q.Columns selected, until it returns
// false or q.Limit rows were passed. The row and everything it points to
// are valid only during the call. The partition's visible static row is
// returned (a copy). q.Raw is not supported.
func (t *Table) ReadFunc(q Query, fn func(*mutation.Row) bool) (static *mutation.Row, err error) {
	defer t.metrics.ReadLatency.Since(time.Now())
	defer t.readFailed(&err)
	if q.Raw {
		return nil, errors.New("storage: ReadFunc reads visible data only")
	}
	s := t.acquire(true)
	defer s.release()
	var buf [8]partSource
	srcs, err := s.sources(q.Key, buf[:0], &t.metrics)
	if err != nil || len(srcs) == 0 {
		return nil, err
	}
	h, err := mergeHeaders(srcs)
	if err != nil {
		return nil, err
	}
	now, v := t.e.opts.Now().Unix(), t.cfg.Load().opts.Versions
	n := 0
	err = mergeRows(srcs, q.Start, q.End, q.Reverse, func(row *mutation.Row) (bool, error) {
		if !visibleRow(row, &h, q.Columns, now, v) {
			return false, nil
		}
		n++
		return !fn(row) || q.Limit > 0 && n >= q.Limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: partition %x: %w", q.Key.Bytes, err)
	}
	return staticRow(&h, q, now), nil
}

// sources returns the versions of the partition key in the snapshot:
// memtables newest first, then SSTables newest first; appended to srcs.
// It counts the SSTables looked into, and bloom false positives, in tm.
func (s snapshot) sources(key mutation.Key, srcs []partSource, tm *TableMetrics) ([]partSource, error) {
	looked := 0
	for _, m := range s.mems {
		if p := m.Get(key); p != nil {
			srcs = append(srcs, memSource(p))
		}
	}
	for i := len(s.files) - 1; i >= 0; i-- {
		f := s.files[i]
		if key.Compare(f.meta.MinKey) < 0 || key.Compare(f.meta.MaxKey) > 0 || !f.r.MayContain(key) {
			continue
		}
		looked++
		p, err := f.r.Get(key)
		if err != nil {
			return nil, err
		}
		if p != nil {
			srcs = append(srcs, sstSource(p))
		} else {
			tm.BloomFalsePositives.Add(1)
		}
	}
	tm.SSTablesPerRead.Observe(uint64(looked))
	return srcs, nil
}

// visibleRow applies the partition's deletions, the table's cell versions
// rule and the column selection to a merged row and reports whether it is
// visible at now.
func visibleRow(row *mutation.Row, h *mutation.Header, columns []uint32, now int64, v mutation.VersionRule) bool {
	row.Shadow(h.RowDeletion(row.Clustering))
	row.ApplyVersions(v, now*1e6)
	row.SelectColumns(columns)
	return row.Visible(mutation.Live, now)
}

// canonicalRow brings a merged row to canonical form, in place, and
// reports whether anything is left: what h (the partition's merged header)
// and the row's own deletions shadow is dropped, and cells expired at now
// become tombstones. Raw reads return rows in this form and compaction
// writes them so (before purging tombstones past gc_grace): a row must read
// alike whether its versions sit in a memtable or were merged by a
// compaction, or replicas' digests of the same data differ. Shadowing
// commutes with merging, so shadowing again what a compaction or a memtable
// merge already shadowed changes nothing.
//
// The cell versions rule v applies too (to the second, now's precision),
// so that a replica that compacted versions away reads as one that did not.
func canonicalRow(row *mutation.Row, h *mutation.Header, now int64, v mutation.VersionRule) bool {
	row.Shadow(h.RowDeletion(row.Clustering))
	row.Expire(now)
	row.ApplyVersions(v, now*1e6)
	return !row.IsEmpty()
}

// staticRow returns a copy of the partition's static row as the query
// sees it (raw, or visible with its columns selected), or nil.
func staticRow(h *mutation.Header, q Query, now int64) *mutation.Row {
	if h.Static == nil {
		return nil
	}
	st := *h.Static
	st.Cells = append([]mutation.Cell(nil), st.Cells...)
	if q.Raw {
		// The header is canonical already (mergeHeaders), so the static
		// row holds nothing shadowed.
		st.Expire(now)
		return &st
	}
	st.Shadow(h.Deletion)
	st.SelectColumns(q.Columns)
	if !st.Visible(mutation.Live, now) {
		return nil
	}
	return &st
}

// mergePartition reconciles the versions of one partition. A raw read
// leaves out the tombstones whose local deletion time is before gcBefore
// (what compaction may purge), after they shadowed what they delete. tc,
// if not nil, counts the tombstones and rows (ReadStats) and aborts the
// read past its limit.
func mergePartition(q Query, srcs []partSource, now, gcBefore int64, tc *tombstones) (*mutation.Partition, error) {
	h, err := mergeHeaders(srcs)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		if err := tc.add(deadInHeader(&h, q.Start, q.End, now), q.Key); err != nil {
			return nil, err
		}
	}
	var purgeable func(mutation.Deletion) bool
	if q.Raw && gcBefore != math.MinInt64 {
		purgeable = olderThan(gcBefore)
	}
	// The partition and room for its first row in one allocation.
	pa := &struct {
		p   mutation.Partition
		row [1]mutation.Row
	}{p: mutation.Partition{Key: q.Key, Deletion: h.Deletion, RangeTombstones: h.RangeTombstones,
		Static: staticRow(&h, q, now)}}
	p := &pa.p
	if !q.Raw {
		p.Deletion, p.RangeTombstones = mutation.Live, nil
	}
	// The first row goes in pa; a second one moves them to room for what
	// the limit allows (a partition of one row, as a table without
	// clustering columns has, allocates no more).
	p.Rows = pa.row[:0:1]
	// The returned rows' cells are carved from shared chunks: one
	// allocation per chunk, not per row.
	var cells []mutation.Cell
	err = mergeRows(srcs, q.Start, q.End, q.Reverse, func(row *mutation.Row) (bool, error) {
		if tc != nil {
			if n := deadInRow(row, now); n > 0 {
				if err := tc.add(n, q.Key); err != nil {
					return true, err
				}
			}
		}
		if q.Raw {
			if !canonicalRow(row, &h, now, q.versions) {
				return false, nil
			}
			if purgeable != nil {
				purgeRow(row, now, purgeable)
				if row.IsEmpty() {
					return false, nil
				}
			}
		} else if !visibleRow(row, &h, q.Columns, now, q.versions) {
			return false, nil
		}
		if cap(cells)-len(cells) < len(row.Cells) {
			// The first chunk holds the first row alone (a point read
			// allocates what it returns); the next one room for the rows
			// the limit still allows, up to 64 of the first row's size, so
			// a limited slice allocates twice.
			n := len(row.Cells)
			if len(p.Rows) > 0 {
				more := 64
				if q.Limit > 0 {
					more = min(q.Limit-len(p.Rows), more)
				}
				n = max(n, len(p.Rows[0].Cells)*more)
			}
			cells = make([]mutation.Cell, 0, n)
		}
		n := len(cells)
		cells = append(cells, row.Cells...)
		r := *row
		r.Cells = cells[n:len(cells):len(cells)]
		if len(p.Rows) == 1 && q.Limit > 1 {
			p.Rows = append(make([]mutation.Row, 0, min(q.Limit, 1024)), p.Rows[0])
		}
		p.Rows = append(p.Rows, r)
		if tc != nil {
			tc.LiveRows++
		}
		return q.Limit > 0 && len(p.Rows) >= q.Limit, nil
	})
	if errors.Is(err, ErrTombstoneOverwhelming) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("storage: partition %x: %w", q.Key.Bytes, err)
	}
	if purgeable != nil {
		if purgeable(p.Deletion) {
			p.Deletion = mutation.Live
		}
		p.RangeTombstones = slices.DeleteFunc(slices.Clone(p.RangeTombstones), func(rt mutation.RangeTombstone) bool { return purgeable(rt.Deletion) })
		if p.Static != nil {
			purgeRow(p.Static, now, purgeable)
			if p.Static.IsEmpty() {
				p.Static = nil
			}
		}
		h = mutation.Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static}
	}
	if p.Static == nil && len(p.Rows) == 0 && (!q.Raw || h.IsEmpty()) {
		return nil, nil
	}
	return p, nil
}

// mergeRows calls fn with each clustering key's reconciled row, in order,
// until fn asks to stop. The row and its cells are reused after fn returns.
func mergeRows(srcs []partSource, start, end []byte, reverse bool, fn func(*mutation.Row) (stop bool, err error)) error {
	return mergeRowsRaw(srcs, start, end, reverse, func(row *mutation.Row, _ []byte) (bool, error) { return fn(row) })
}

// mergeRowsRaw is mergeRows that also passes, for a row only one source
// holds, that source's encoded row (nil when the row was merged): a
// compaction copies such a row's bytes rather than encoding it again.
func mergeRowsRaw(srcs []partSource, start, end []byte, reverse bool, fn func(row *mutation.Row, raw []byte) (stop bool, err error)) error {
	sc := scratchPool.Get().(*mergeScratch)
	defer sc.release()
	for i := range srcs {
		sc.its = append(sc.its, srcs[i].rows(start, end, reverse))
	}
	defer func() {
		for _, it := range sc.its {
			it.Close()
		}
	}()
	m := &sc.m
	m.Reset(sc.its, reverse)
	row, scratch, merged := &sc.row, &sc.scratch, &sc.merged
	for {
		c, ok, err := m.Next()
		if err != nil || !ok {
			return err
		}
		var raw []byte
		for n, i := range m.Cur {
			if n == 0 {
				raw = sc.its[i].Row()
				if err := mutation.DecodeRow(raw, c, row); err != nil {
					return err
				}
				continue
			}
			raw = nil
			if err := mutation.DecodeRow(sc.its[i].Row(), c, scratch); err != nil {
				return err
			}
			mutation.MergeRows(merged, row, scratch)
			row.Liveness, row.Deletion = merged.Liveness, merged.Deletion
			row.Cells = append(row.Cells[:0], merged.Cells...)
		}
		stop, err := fn(row, raw)
		if err != nil || stop {
			return err
		}
	}
}

// mergeScratch is the reusable state of one merge, pooled so that a point
// read allocates little beyond what it returns.
type mergeScratch struct {
	its                  []rowmerge.Iter
	m                    rowmerge.Merger
	row, scratch, merged mutation.Row
}

var scratchPool = sync.Pool{New: func() any { return new(mergeScratch) }}

// release drops every reference into blocks and memtables (so the pool
// pins no data) and returns sc to the pool.
func (sc *mergeScratch) release() {
	clear(sc.its)
	sc.its = sc.its[:0]
	sc.m.Reset(nil, false)
	for _, r := range []*mutation.Row{&sc.row, &sc.scratch, &sc.merged} {
		clear(r.Cells[:cap(r.Cells)])
		r.Cells = r.Cells[:0]
		r.Clustering = nil
	}
	scratchPool.Put(sc)
}
