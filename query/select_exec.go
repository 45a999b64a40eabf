package query

// The execution of a SELECT plan: one page of rows, read by partition key,
// by token range or merged across the partitions of an IN with ORDER BY,
// with filtering (filter.go) and paging.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"slices"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
)

// selectExec is one execution of a SELECT: one page of it.
type selectExec struct {
	p      *selectPlan
	x      *Executor
	ctx    context.Context
	b      *binder
	cl     replication.Consistency
	nowSec int64
	// ranges are the clustering ranges, in table order; bounds covers
	// them all (for scans, which take one range and filter the rest).
	ranges    []crange
	bounds    crange
	multiScan bool
	filtering bool
	filters   []boundFilter
	// pageSize is the page's size (0: no paging); limitLeft the rows LIMIT
	// still allows (-1: no limit); ppl the PER PARTITION LIMIT (0: none).
	pageSize  int
	limitLeft int
	ppl       int
	rows      [][][]byte
	accs      []accumulator
	first     [][]byte
	anyRow    bool
	pos       position
	full      bool // the page is full
	done      bool // LIMIT is reached
	err       error
	view      rowView

	// Storage for the common single-partition read, so that it allocates
	// the executor and little else: the binder, the result, the first
	// row's slot, the partition's state and its cursor.
	bnd    binder
	res    Result
	row1   [1][][]byte
	vals1  [16][]byte
	ps1    partState
	cursor partCursor
}

func (e *selectExec) stop() bool { return e.full || e.done || e.err != nil }

// wanted returns how many more rows the page and LIMIT take.
func (e *selectExec) wanted() int {
	n := 1 << 30
	if e.p.aggregate {
		return n
	}
	if e.pageSize > 0 {
		n = min(n, e.pageSize-len(e.rows))
	}
	if e.limitLeft >= 0 {
		n = min(n, e.limitLeft)
	}
	return n
}

// chunk returns how many rows to ask the coordinator for, the reads made
// so far in the partition or scan: the rows wanted, or, when that is
// unbounded or filtering discards rows, 64 rows growing to 1024 (the
// engine sizes its result for the limit).
func (e *selectExec) chunk(ps *partState, reads int) int {
	n := e.wanted()
	grow := 64 << min(reads, 4)
	if e.filtering {
		n = max(n, grow)
	}
	n = min(n, grow)
	if !e.filtering && e.ppl > 0 && ps != nil {
		n = min(n, e.ppl-ps.emitted)
	}
	return max(n, 1)
}

func (p *selectPlan) run(ctx context.Context, x *Executor, _ *Session, opts *Options, values [][]byte) (*Result, error) {
	if err := checkReadConsistency(opts.Consistency); err != nil {
		return nil, err
	}
	e := &selectExec{p: p, x: x, ctx: ctx, bnd: binder{x: x, values: values}, cl: opts.Consistency,
		nowSec: floorDiv(x.now(), 1e6), limitLeft: -1}
	e.b = &e.bnd
	e.rows = e.row1[:0]
	var err error
	if p.limit != nil {
		if e.limitLeft, err = evalLimit(e.b, p.limit, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if p.ppl != nil {
		if e.ppl, err = evalLimit(e.b, p.ppl, "PER PARTITION LIMIT"); err != nil {
			return nil, err
		}
		if e.ppl < 0 {
			e.ppl = 0
		}
	}
	if p.distinct {
		e.ppl = 1
	}
	if !p.aggregate && opts.PageSize > 0 {
		e.pageSize = opts.PageSize
	}
	var resume *position
	if len(opts.PagingState) > 0 && !p.aggregate {
		st, err := decodePagingState(p.t.ID, opts.PagingState)
		if err != nil {
			return nil, err
		}
		resume = &st.pos
		if st.limitLeft >= 0 && p.limit != nil {
			e.limitLeft = st.limitLeft
		}
		if e.limitLeft == 0 {
			return &Result{Kind: ResultRows, Columns: p.cols}, nil
		}
	}
	if e.ranges, err = p.w.clusteringRanges(e.b, p.sliceCols); err != nil {
		return nil, err
	}
	if len(e.ranges) > 0 {
		e.bounds = crange{start: e.ranges[0].start, end: e.ranges[len(e.ranges)-1].end}
	}
	if e.filters, err = p.bindFilters(e.b); err != nil {
		return nil, err
	}
	e.filtering = len(e.filters) > 0
	if p.aggregate {
		for _, s := range p.sels {
			if a, ok := s.(aggSelector); ok {
				e.accs = append(e.accs, a.newAcc())
			} else {
				e.accs = append(e.accs, nil)
			}
		}
	}
	if len(e.ranges) > 0 {
		if p.keysMode {
			err = e.runKeys(resume)
		} else {
			err = e.runScan(resume)
		}
		if err == nil {
			err = e.err
		}
		if err != nil {
			return nil, err
		}
	}
	e.res = Result{Kind: ResultRows, Columns: p.cols, Rows: e.rows}
	res := &e.res
	if p.aggregate {
		row := make([][]byte, len(p.sels))
		for i, a := range e.accs {
			if a != nil {
				v, err := a.result()
				if err != nil {
					return nil, err
				}
				row[i] = v
			} else if e.anyRow {
				row[i] = e.first[i]
			}
		}
		res.Rows = [][][]byte{row}
		return res, nil
	}
	if e.full && !e.done {
		res.PagingState = encodePagingState(p.t.ID, pagingState{pos: e.pos, limitLeft: e.limitLeft})
	}
	if len(res.Rows) == 0 {
		res.Rows = [][][]byte{}
	}
	return res, nil
}

// plainRow fills row with the values of p.plain's columns. Regular
// columns are looked for from where the previous one was found, so a row
// selected in column id order (as SELECT * mostly is) is one pass.
func (e *selectExec) plainRow(v *rowView, row [][]byte) {
	var cells []mutation.Cell
	if v.row != nil {
		cells = v.row.Cells
	}
	at := 0
	for i, c := range e.p.plain {
		if c.Kind != schema.RegularColumn {
			val, err := v.column(c)
			if err != nil {
				e.err = err
				return
			}
			row[i] = val
			continue
		}
		j := at
		if j > 0 && cells[j-1].Column >= c.ID {
			// Selected out of id order: search from the start.
			j, _ = slices.BinarySearchFunc(cells, c.ID, func(c mutation.Cell, id uint32) int { return cmp.Compare(c.Column, id) })
		}
		for j < len(cells) && cells[j].Column < c.ID {
			j++
		}
		row[i] = nil
		for ; j < len(cells) && cells[j].Column == c.ID; j++ {
			if row[i] == nil && len(cells[j].Path) == 0 && !cells[j].IsTombstone() {
				row[i] = cells[j].Value
			}
		}
		at = j
	}
}

// evalLimit evaluates LIMIT or PER PARTITION LIMIT (-1: none, for unset).
func evalLimit(b *binder, t term, what string) (int, error) {
	v, err := t.eval(b)
	if err != nil {
		return 0, err
	}
	switch {
	case v == nil:
		return 0, invalidRequest("Invalid null value of limit")
	case IsUnset(v):
		return -1, nil
	case len(v) != 4:
		return 0, invalidRequest("Invalid limit value")
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	if n <= 0 {
		return 0, invalidRequest("%s must be strictly positive", what)
	}
	return n, nil
}

// emit adds a row to the result (or to the aggregates).
func (e *selectExec) emit(v *rowView) {
	if e.p.aggregate {
		if !e.anyRow {
			e.first = make([][]byte, len(e.p.sels))
			for i, s := range e.p.sels {
				if e.accs[i] == nil {
					val, err := s.value(v)
					if err != nil {
						e.err = err
						return
					}
					e.first[i] = val
				}
			}
			e.anyRow = true
		}
		for _, a := range e.accs {
			if a != nil {
				if err := a.add(v); err != nil {
					e.err = err
					return
				}
			}
		}
		return
	}
	var row [][]byte
	if len(e.rows) == 0 && len(e.p.sels) <= len(e.vals1) {
		row = e.vals1[:len(e.p.sels):len(e.p.sels)]
	} else {
		row = make([][]byte, len(e.p.sels))
	}
	if e.p.plain != nil {
		e.plainRow(v, row)
	} else {
		for i, s := range e.p.sels {
			val, err := s.value(v)
			if err != nil {
				e.err = err
				return
			}
			row[i] = val
		}
	}
	e.rows = append(e.rows, row)
	if e.limitLeft > 0 {
		e.limitLeft--
		if e.limitLeft == 0 {
			e.done = true
		}
	}
	if e.pageSize > 0 && len(e.rows) >= e.pageSize {
		e.full = true
	}
}

// processRow filters and emits one row of a partition; it reports whether
// the partition is finished (its limit reached) or the page is.
func (e *selectExec) processRow(ps *partState, row *mutation.Row) bool {
	ps.seen++
	if ps.done || ps.skip {
		return true
	}
	if e.multiScan && !inRanges(e.ranges, row.Clustering) {
		return false
	}
	e.view = rowView{e: e, p: ps, row: row}
	v := &e.view
	ok, err := e.match(v)
	if err != nil {
		e.err = err
		return true
	}
	if !ok {
		return false
	}
	if e.p.distinct {
		v.row = nil
		e.emit(v)
		ps.done = true
		e.pos = position{keyIdx: ps.idx, key: ps.key.Bytes, partDone: true}
		return true
	}
	e.emit(v)
	ps.emitted++
	e.pos = position{keyIdx: ps.idx, key: ps.key.Bytes, clustering: slices.Clone(row.Clustering), inPart: ps.emitted}
	if e.ppl > 0 && ps.emitted >= e.ppl {
		ps.done = true
		e.pos.partDone = true
		return true
	}
	return e.stop()
}

// endPartition emits the static-only row of a partition that has no rows,
// when the query reads whole partitions.
func (e *selectExec) endPartition(ps *partState) {
	if ps.resumed || ps.seen > 0 || ps.static == nil || ps.skip || !e.p.fullPartitions || e.stop() {
		return
	}
	e.staticRow(ps)
}

func (e *selectExec) staticRow(ps *partState) {
	v := &rowView{e: e, p: ps}
	ok, err := e.match(v)
	if err != nil {
		e.err = err
		return
	}
	if !ok {
		return
	}
	e.emit(v)
	ps.done = true
	e.pos = position{keyIdx: ps.idx, key: ps.key.Bytes, partDone: true}
}

func inRanges(rs []crange, c []byte) bool {
	for _, r := range rs {
		if r.contains(c) {
			return true
		}
	}
	return false
}

// clipRanges intersects ranges with [lo, hi) (nil: open).
func clipRanges(rs []crange, lo, hi []byte) []crange {
	return intersectRanges(rs, []crange{{start: lo, end: hi}})
}

// resumeRanges clips ranges to what follows clustering c in read order.
func (e *selectExec) resumeRanges(rs []crange, c []byte) []crange {
	if e.p.reversed {
		return clipRanges(rs, nil, c)
	}
	return clipRanges(rs, append(slices.Clip(c), 0), nil)
}

// partCursor reads the rows of one partition over clustering ranges, in
// read order, a chunk at a time.
type partCursor struct {
	e      *selectExec
	ps     *partState
	ranges []crange // in read order
	ri     int
	cur    crange
	open   bool
	buf    []mutation.Row
	bi     int
	read   bool // the first read was made (static row known)
	reads  int
}

func (e *selectExec) newCursor(ps *partState, rs []crange) *partCursor {
	c := &partCursor{}
	e.initCursor(c, ps, rs)
	return c
}

func (e *selectExec) initCursor(c *partCursor, ps *partState, rs []crange) {
	if e.p.reversed {
		rs = slices.Clone(rs)
		slices.Reverse(rs)
	}
	*c = partCursor{e: e, ps: ps, ranges: rs}
}

// next returns the next row, or nil at the end.
func (c *partCursor) next() (*mutation.Row, error) {
	e := c.e
	for {
		if c.bi < len(c.buf) {
			c.bi++
			return &c.buf[c.bi-1], nil
		}
		if !c.open {
			if c.ri >= len(c.ranges) {
				return nil, nil
			}
			c.cur = c.ranges[c.ri]
			c.ri++
			c.open = true
		}
		n := e.chunk(c.ps, c.reads)
		c.reads++
		cmd := replication.ReadCommand{Keyspace: e.p.ks, Table: e.p.t.ID, Key: c.ps.key,
			Start: c.cur.start, End: c.cur.end, Reverse: e.p.reversed, Limit: n}
		p, err := e.x.cfg.Coordinator.Read(e.ctx, cmd, e.cl)
		if err != nil {
			return nil, err
		}
		if !c.read {
			c.read = true
			if p != nil {
				c.ps.static = p.Static
			}
		}
		c.buf, c.bi = nil, 0
		if p != nil {
			c.buf = p.Rows
		}
		if len(c.buf) < n {
			c.open = false
		} else {
			last := c.buf[len(c.buf)-1].Clustering
			if e.p.reversed {
				c.cur.end = slices.Clone(last)
			} else {
				c.cur.start = append(slices.Clone(last), 0)
			}
			if c.cur.empty() {
				c.open = false
			}
		}
	}
}

// readPartition reads one partition through a cursor.
func (e *selectExec) readPartition(ps *partState, rs []crange) error {
	if e.ppl > 0 && ps.emitted >= e.ppl {
		return nil
	}
	// One partition is read at a time here: the executor's cursor serves.
	c := &e.cursor
	e.initCursor(c, ps, rs)
	for !e.stop() {
		row, err := c.next()
		if err != nil {
			return err
		}
		if row == nil {
			e.endPartition(ps)
			return nil
		}
		if e.processRow(ps, row) {
			return nil
		}
	}
	return nil
}

// runKeys reads the partitions the key restrictions name, in key order
// (or merged in ORDER BY order).
func (e *selectExec) runKeys(resume *position) error {
	keys, err := e.p.w.partitionKeys(e.b)
	if err != nil {
		return err
	}
	if e.p.w.token != nil {
		from, to, empty, err := e.p.tokenBounds(e.b)
		if err != nil {
			return err
		}
		keys = slices.DeleteFunc(keys, func(k partKey) bool {
			return empty || from != nil && k.key.Compare(*from) < 0 || to != nil && k.key.Compare(*to) >= 0
		})
	}
	start := 0
	if resume != nil {
		if resume.keyIdx >= len(keys) || !bytes.Equal(keys[resume.keyIdx].key.Bytes, resume.key) {
			return badPagingState()
		}
		start = resume.keyIdx
	}
	if e.p.orderCols > 0 && len(keys) > 1 {
		return e.runMerged(keys, resume)
	}
	for i := start; i < len(keys) && !e.stop(); i++ {
		// Partitions are read one after the other: one state serves all.
		e.ps1 = partState{idx: i, key: keys[i].key, pk: keys[i].vals}
		ps := &e.ps1
		rs := e.ranges
		if resume != nil && i == start {
			if resume.partDone {
				continue
			}
			ps.resumed, ps.emitted = true, resume.inPart
			if resume.clustering != nil {
				rs = e.resumeRanges(rs, resume.clustering)
			}
		}
		if err := e.readPartition(ps, rs); err != nil {
			return err
		}
	}
	return nil
}

// tokenBounds evaluates the token restriction into partition key bounds
// [from, to) (nil: open), Cassandra's way: no wrapping, a start after the
// end is empty, and an end at the minimum token is the end of the ring.
func (p *selectPlan) tokenBounds(b *binder) (from, to *mutation.Key, empty bool, err error) {
	tr := p.w.token
	val := func(t term) (int64, error) {
		v, err := t.eval(b)
		if err != nil {
			return 0, err
		}
		if v == nil || IsUnset(v) {
			return 0, invalidRequest("Invalid null token value")
		}
		if len(v) != 8 {
			return 0, invalidRequest("Invalid token value")
		}
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	lo, hi := tr.lo, tr.hi
	if tr.eq != nil {
		lo = &bound{t: tr.eq, incl: true}
		hi = lo
	}
	s, en := int64(ring.MinToken), int64(ring.MinToken)
	inclS, inclE := true, true
	if lo != nil {
		if s, err = val(lo.t); err != nil {
			return
		}
		inclS = lo.incl
	}
	if hi != nil {
		if en, err = val(hi.t); err != nil {
			return
		}
		inclE = hi.incl
	}
	if s != ring.MinToken && en != ring.MinToken && (s > en || s == en && (!inclS || !inclE)) {
		return nil, nil, true, nil
	}
	if lo != nil {
		switch {
		case inclS:
			from = &mutation.Key{Token: s}
		case s == ring.MaxToken:
			return nil, nil, true, nil
		default:
			from = &mutation.Key{Token: s + 1}
		}
	}
	if hi != nil && en != ring.MinToken {
		switch {
		case !inclE:
			to = &mutation.Key{Token: en}
		case en != ring.MaxToken:
			to = &mutation.Key{Token: en + 1}
		}
	}
	return from, to, false, nil
}

// partitionValues splits a partition key into its columns' values.
func (p *selectPlan) partitionValues(k []byte) ([][]byte, error) {
	n := len(p.t.PartitionKey())
	vals, err := splitPartitionKey(k, n)
	if err != nil {
		return nil, &Error{Kind: KindServerError, Msg: "query: malformed partition key: " + err.Error()}
	}
	return vals, nil
}

// runScan reads partitions in ring order over the token range (or the
// whole ring), filtering partition keys when needed.
func (e *selectExec) runScan(resume *position) error {
	p := e.p
	var from, to *mutation.Key
	if p.w.token != nil {
		var empty bool
		var err error
		if from, to, empty, err = p.tokenBounds(e.b); err != nil || empty {
			return err
		}
	}
	e.multiScan = len(e.ranges) > 1
	if e.multiScan {
		e.filtering = true
	}
	var after *replication.Position
	if resume != nil {
		key := decoratedKey(resume.key)
		if !resume.partDone {
			vals, err := p.partitionValues(key.Bytes)
			if err != nil {
				return badPagingState()
			}
			ps := &partState{key: key, pk: vals, resumed: true, emitted: resume.inPart}
			rs := e.ranges
			if resume.clustering != nil {
				rs = e.resumeRanges(rs, resume.clustering)
			}
			if err := e.readPartition(ps, rs); err != nil || e.stop() {
				return err
			}
		}
		after = &replication.Position{Key: key}
	}
	storagePPL := 0
	if !e.filtering && e.ppl > 0 {
		storagePPL = e.ppl
	}
	var cur *partState
	for reads := 0; ; reads++ {
		n := e.chunk(nil, reads)
		cmd := replication.RangeCommand{Keyspace: p.ks, Table: p.t.ID, From: from, To: to, After: after,
			Start: e.bounds.start, End: e.bounds.end, Limit: n, PerPartitionLimit: storagePPL}
		res, err := e.x.cfg.Coordinator.ReadRange(e.ctx, cmd, e.cl)
		if err != nil {
			return err
		}
		for _, part := range res.Partitions {
			if cur == nil || !part.Key.Equal(cur.key) {
				if cur != nil {
					e.endPartition(cur)
					if e.stop() {
						return nil
					}
				}
				vals, err := p.partitionValues(part.Key.Bytes)
				if err != nil {
					return err
				}
				cur = &partState{key: part.Key, pk: vals, static: part.Static}
				ok, err := e.matchPartitionKey(cur)
				if err != nil {
					return err
				}
				cur.skip = !ok
			}
			for i := range part.Rows {
				if e.processRow(cur, &part.Rows[i]) {
					break
				}
			}
			if e.stop() {
				return nil
			}
		}
		if res.Next == nil {
			if cur != nil {
				e.endPartition(cur)
			}
			return nil
		}
		after = res.Next
		if cur != nil && (cur.done || cur.skip) && res.Next.Key.Equal(cur.key) {
			// Skip the rest of a partition that is done.
			after = &replication.Position{Key: cur.key}
		}
	}
}

// runMerged reads several partitions and merges their rows in ORDER BY
// order; rows that tie on the ordering columns come partition by
// partition, as Cassandra's stable post-query sort leaves them. Resuming
// a page clips each partition to what follows the last row returned.
func (e *selectExec) runMerged(keys []partKey, resume *position) error {
	if e.pageSize > 0 && e.ppl > 0 {
		return invalidRequest("Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query")
	}
	type head struct {
		c      *partCursor
		ps     *partState
		row    *mutation.Row
		prefix []byte
		static bool // a static-only row is pending
	}
	rev := e.p.reversed
	var lastIdx int
	var lastCk, lastPrefix []byte
	if resume != nil {
		lastIdx, lastCk = resume.keyIdx, resume.clustering
		if lastCk != nil {
			var err error
			if lastPrefix, err = e.p.orderPrefix(lastCk); err != nil {
				return err
			}
		}
	}
	heads := make([]*head, len(keys))
	for i, k := range keys {
		ps := &partState{idx: i, key: k.key, pk: k.vals}
		rs := e.ranges
		staticOK := true
		if resume != nil {
			ps.resumed = true
			switch {
			case lastCk == nil && !rev:
				staticOK = i > lastIdx
			case lastCk == nil && rev:
				staticOK, rs = i > lastIdx, nil
			case !rev:
				staticOK = false
				switch {
				case i < lastIdx:
					rs = clipRanges(rs, mutation.PrefixEnd(lastPrefix), nil)
				case i == lastIdx:
					rs = clipRanges(rs, append(slices.Clip(lastCk), 0), nil)
				default:
					rs = clipRanges(rs, lastPrefix, nil)
				}
			default:
				switch {
				case i < lastIdx:
					rs = clipRanges(rs, nil, lastPrefix)
				case i == lastIdx:
					rs = clipRanges(rs, nil, lastCk)
				default:
					rs = clipRanges(rs, nil, mutation.PrefixEnd(lastPrefix))
				}
			}
		}
		h := &head{c: e.newCursor(ps, rs), ps: ps}
		if err := e.advance(h.c, &h.row, &h.prefix); err != nil {
			return err
		}
		if h.row == nil && staticOK && e.p.fullPartitions {
			// No row (left): a static-only partition if it has no row at all.
			static, rows, err := e.probe(ps)
			if err != nil {
				return err
			}
			h.static = static != nil && !rows
			ps.static = static
		}
		heads[i] = h
	}
	emitStatics := func() {
		for _, h := range heads {
			if h.static && !e.stop() {
				e.staticRow(h.ps)
			}
		}
	}
	if !rev {
		emitStatics()
	}
	for !e.stop() {
		var best *head
		for _, h := range heads {
			if h.row == nil {
				continue
			}
			if best == nil {
				best = h
				continue
			}
			c := bytes.Compare(h.prefix, best.prefix)
			if rev {
				c = -c
			}
			if c < 0 {
				best = h
			}
		}
		if best == nil {
			break
		}
		if e.processRow(best.ps, best.row) {
			if best.ps.done {
				best.row = nil
			}
			continue
		}
		if err := e.advance(best.c, &best.row, &best.prefix); err != nil {
			return err
		}
	}
	if rev {
		emitStatics()
	}
	return nil
}

// advance moves a merged partition's head to its next row.
func (e *selectExec) advance(c *partCursor, row **mutation.Row, prefix *[]byte) error {
	r, err := c.next()
	if err != nil {
		return err
	}
	*row = r
	if r != nil {
		*prefix, err = e.p.orderPrefix(r.Clustering)
	}
	return err
}

// probe reads whether a partition has any row, and its static row.
func (e *selectExec) probe(ps *partState) (*mutation.Row, bool, error) {
	cmd := replication.ReadCommand{Keyspace: e.p.ks, Table: e.p.t.ID, Key: ps.key, Limit: 1}
	p, err := e.x.cfg.Coordinator.Read(e.ctx, cmd, e.cl)
	if err != nil || p == nil {
		return nil, false, err
	}
	return p.Static, len(p.Rows) > 0, nil
}

// orderPrefix returns the bytes of the ORDER BY columns' part of a
// clustering key.
func (p *selectPlan) orderPrefix(ck []byte) ([]byte, error) {
	types, desc := p.ckTypes, p.ckDesc
	rest := ck
	for i := 0; i < p.orderCols && len(rest) > 0; i++ {
		var err error
		if _, rest, err = schema.DecodeComparable(types[i], rest, desc[i]); err != nil {
			return nil, schemaErr("", err)
		}
	}
	return ck[:len(ck)-len(rest)], nil
}
