package query

// The execution of a SELECT plan (plan.Select): one page of rows, read by
// partition key, by token range or merged across the partitions of an IN
// with ORDER BY, with filtering (plan.Filters) and paging (paging.go).

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/cas"
	"wcdb/query/catalog"
	"wcdb/query/cursor"
	"wcdb/query/funcs"
	"wcdb/query/grouping"
	"wcdb/query/paging"
	"wcdb/query/plan"
	"wcdb/query/plan/indexplan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// partState is what the executor knows of the partition being read.
type partState struct {
	plan.Partition
	idx int
	// emitted counts the rows returned from the partition (with the ones
	// of earlier pages), seen the rows read (before filtering).
	emitted, seen int
	// resumed: the partition was started on an earlier page.
	resumed bool
	done    bool
	skip    bool
	e       *selectExec
}

// Chunk and SetStatic make a partState the cursor's cursor.Part.
func (ps *partState) Chunk(reads int) int       { return ps.e.chunk(ps, reads) }
func (ps *partState) SetStatic(r *mutation.Row) { ps.Static = ps.e.env.AsOfStatic(r) }

// selectExec is one execution of a SELECT: one page of it.
type selectExec struct {
	p   *plan.Select
	x   *Executor
	ctx context.Context
	b   *plan.Binder
	cl  replication.Consistency
	// ranges are the clustering ranges, in table order; bounds covers
	// them all (for scans, which take one range and filter the rest).
	ranges    []plan.Range
	bounds    plan.Range
	multiScan bool
	filtering bool
	filters   plan.Filters
	// index, if set, narrows scans to the rows a secondary index lists;
	// reread is the last partition read again at the consistency level.
	index  *replication.IndexQuery
	reread *mutation.Key
	// pageSize is the page's size (0: no paging); limitLeft the rows LIMIT
	// still allows (-1: no limit); ppl the PER PARTITION LIMIT (0: none).
	pageSize  int
	limitLeft int
	ppl       int
	rows      [][][]byte
	pos       paging.Position
	posCk     []byte   // pos's clustering key
	vals      [][]byte // room for the next rows' values
	full      bool     // the page is full
	done      bool     // LIMIT is reached
	err       error
	// grp aggregates rows (aggregates, GROUP BY); grouped: by GROUP BY,
	// a result row per group; cut: the page ended before a row that
	// begins a group. prefixes are the ORDER BY prefixes of the groups'
	// first rows when groups of several partitions are sorted.
	grp      *grouping.Grouper
	grouped  bool
	cut      bool
	sort     bool
	prefixes [][]byte
	view     plan.RowView
	env      plan.Env // what rows are evaluated in: p, b and the time

	// Storage for the common single-partition read, so that it allocates
	// the executor and little else: the binder, the result, the first
	// row's slot, the partition's state and its cursor.
	bnd   plan.Binder
	rctx  replication.RequestContext
	res   Result
	row1  [1][][]byte
	vals1 [16][]byte
	ps1   partState
	cur   cursor.Cursor
}

func (e *selectExec) stop() bool { return e.full || e.done || e.err != nil }

// wanted returns how many more rows the page and LIMIT take.
func (e *selectExec) wanted() int {
	n := 1 << 30
	if e.p.Aggregate || e.grouped {
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
	if !e.filtering && !e.grouped && e.ppl > 0 && ps != nil {
		n = min(n, e.ppl-ps.emitted)
	}
	return max(n, 1)
}

// analyzeSelect analyzes a SELECT; sessionKeyspace is the session's
// keyspace for an unqualified table name.
func (x *Executor) analyzeSelect(sessionKeyspace string, st *ast.SelectStmt) (*analyzed, error) {
	ks, t, err := x.lookupTable(sessionKeyspace, st.Table)
	if err != nil {
		return nil, err
	}
	p, err := plan.AnalyzeSelect(x.clock(), ks, t, st)
	p, ix, err := indexplan.Analyze(x.clock(), ks, t, st, p, err)
	if err == nil {
		err = grouping.Analyze(p, st.GroupBy)
	}
	if err != nil {
		return nil, err
	}
	return &analyzed{specs: p.Analyzer.Specs, pkIndexes: p.Analyzer.PKIndexes(t), columns: p.Columns, keyspace: t.Keyspace, run: &selectStmt{p, ix}}, nil
}

// selectStmt is an analyzed SELECT, run a page at a time; ix is the
// secondary index its scans read (select_index.go), if any.
type selectStmt struct {
	p  *plan.Select
	ix *indexplan.Choice
}

func (s *selectStmt) run(ctx context.Context, x *Executor, _ *Session, opts *Options, values [][]byte) (*Result, error) {
	p := s.p
	if err := checkReadConsistency(opts.Consistency); err != nil {
		return nil, err
	}
	e := &selectExec{p: p, x: x, bnd: plan.Binder{Clock: x.clock(), Values: values}, cl: opts.Consistency,
		env: plan.Env{NowSec: funcs.FloorDiv(x.now(), 1e6)}, limitLeft: -1}
	// The replicas' warnings (tombstones) gather in the request's context.
	e.rctx.Init(ctx)
	e.ctx = &e.rctx
	e.b = &e.bnd
	e.env.Select, e.env.Binder = p, e.b
	if err := e.env.InitVersions(x.now()); err != nil {
		return nil, err
	}
	e.rows = e.row1[:0]
	var err error
	if p.Limit != nil {
		if e.limitLeft, err = paging.EvalLimit(e.b, p.Limit, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if p.PerPartitionLimit != nil {
		if e.ppl, err = paging.EvalLimit(e.b, p.PerPartitionLimit, "PER PARTITION LIMIT"); err != nil {
			return nil, err
		}
		if e.ppl < 0 {
			e.ppl = 0
		}
	}
	if p.Distinct {
		e.ppl = 1
	}
	paged := !p.Aggregate || p.GroupBy // an aggregate of everything is one row
	if paged && opts.PageSize > 0 {
		e.pageSize = opts.PageSize
	}
	var resume *paging.Position
	if len(opts.PagingState) > 0 && paged {
		st, err := paging.Decode(p.Table.ID, opts.PagingState)
		if err != nil {
			return nil, err
		}
		resume = &st.Pos
		if st.LimitLeft >= 0 && p.Limit != nil {
			e.limitLeft = st.LimitLeft
		}
		if e.limitLeft == 0 {
			return &Result{Kind: ResultRows, Columns: p.Columns}, nil
		}
	}
	if e.ranges, err = p.Where.ClusteringRanges(e.b, p.SliceCols); err != nil {
		return nil, err
	}
	if len(e.ranges) > 0 {
		e.bounds = plan.Range{Start: e.ranges[0].Start, End: e.ranges[len(e.ranges)-1].End}
	}
	if e.filters, err = p.BindFilters(e.b); err != nil {
		return nil, err
	}
	if s.ix != nil {
		if e.index, err = s.ix.Query(p, e.b, e.filters); err != nil {
			return nil, err
		}
	}
	e.filtering = len(e.filters) > 0 || e.env.DropsRows()
	if p.Aggregate || p.GroupBy {
		e.grp, e.grouped = grouping.New(p, &e.env), p.GroupBy
	}
	if len(e.ranges) > 0 {
		if p.KeysMode {
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
	if e.grouped && !e.cut && e.grp.Open() {
		// The data ended: the last group is complete, and no page follows.
		e.closeGroup()
		e.full = false
		if e.err != nil {
			return nil, e.err
		}
	}
	e.res = Result{Kind: ResultRows, Columns: p.Columns, Rows: e.rows, Warnings: e.rctx.Warnings.List()}
	res := &e.res
	if e.grp != nil && !e.grouped {
		row, err := e.grp.Close()
		if err != nil {
			return nil, err
		}
		res.Rows = [][][]byte{row}
		if p.JSONColumns != nil {
			if err := funcs.JSONRows(p.JSONKeys, p.JSONColumns, res.Rows); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	if e.full && !e.done {
		res.PagingState = paging.Encode(p.Table.ID, paging.State{Pos: e.pos, LimitLeft: e.limitLeft})
	}
	if p.JSONColumns != nil {
		if err := funcs.JSONRows(p.JSONKeys, p.JSONColumns, res.Rows); err != nil {
			return nil, err
		}
	}
	if len(res.Rows) == 0 {
		res.Rows = [][][]byte{}
	}
	return res, nil
}

// plainRow fills row with the values of p.plain's columns. Regular
// columns are looked for from where the previous one was found, so a row
// selected in column id order (as SELECT * mostly is) is one pass.
func (e *selectExec) plainRow(v *plan.RowView, row [][]byte) {
	var cells []mutation.Cell
	if v.Row != nil {
		cells = v.Row.Cells
	}
	at := 0
	for i, c := range e.p.Plain {
		// Counters read as the sum of their shards (v.Column).
		if c.Kind != schema.RegularColumn || c.Type.Kind == schema.KindCounter {
			val, err := v.Column(c)
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
		from := j
		for j < len(cells) && cells[j].Column == c.ID {
			j++
		}
		if k := mutation.NewestValue(cells[from:j]); k >= 0 {
			row[i] = cells[from+k].Value
		}
		at = j
	}
}

// emit adds a row of partition ps to the result (or to its group); it
// reports false when the row was not taken: the page ended before its
// group, the partition's PER PARTITION LIMIT of groups is reached, or it
// failed.
func (e *selectExec) emit(ps *partState, v *plan.RowView) bool {
	if e.grp != nil {
		return e.group(ps, v)
	}
	var row [][]byte
	if len(e.rows) == 0 && len(e.p.Selectors) <= len(e.vals1) {
		row = e.vals1[:len(e.p.Selectors):len(e.p.Selectors)]
	} else {
		if n := len(e.p.Selectors); len(e.vals) < n { // rows' slots carved from chunks
			e.vals = make([][]byte, n*min(max(e.wanted(), 1), 64))
		}
		row, e.vals = e.vals[:len(e.p.Selectors):len(e.p.Selectors)], e.vals[len(e.p.Selectors):]
	}
	if e.p.Plain != nil {
		e.plainRow(v, row)
	} else {
		for i, s := range e.p.Selectors {
			val, err := s.Value(v)
			if err != nil {
				e.err = err
				return false
			}
			row[i] = val
		}
	}
	e.addRow(row)
	return true
}

// addRow adds a result row, counting it against LIMIT and the page.
func (e *selectExec) addRow(row [][]byte) {
	if len(e.rows) == 1 && cap(e.rows) == 1 {
		e.rows = append(make([][][]byte, 0, 1+min(max(e.wanted(), 1), 64)), e.rows...)
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
	if e.env.Versions != nil && !ps.done && !ps.skip && !e.env.VersionedRow(row) {
		return false // not there at AS OF's time: unseen, as is the static-only row
	}
	ps.seen++
	if ps.done || ps.skip {
		return true
	}
	if e.multiScan && !cursor.InRanges(e.ranges, row.Clustering) {
		return false
	}
	e.view.Reset(&e.env, &ps.Partition, row)
	v := &e.view
	ok, err := e.filters.Match(v)
	if err != nil {
		e.err = err
		return true
	}
	if !ok {
		return false
	}
	if e.p.Distinct {
		v.Row = nil
		if !e.emit(ps, v) {
			return true
		}
		ps.done = true
		e.pos = paging.Position{KeyIdx: ps.idx, Key: ps.Key.Bytes, PartDone: true}
		return true
	}
	if !e.emit(ps, v) {
		return true
	}
	if !e.grouped {
		ps.emitted++ // a group counts when it begins (group)
	}
	// Only the last row's key is encoded: one buffer, not a clone per
	// row. A nil key (a row without clustering columns) stays nil: the
	// paging state tells it apart from an empty one.
	var ck []byte
	if row.Clustering != nil {
		if e.posCk == nil {
			e.posCk = make([]byte, 0, len(row.Clustering))
		}
		e.posCk = append(e.posCk[:0], row.Clustering...)
		ck = e.posCk
	}
	e.pos = paging.Position{KeyIdx: ps.idx, Key: ps.Key.Bytes, Clustering: ck, InPart: ps.emitted}
	if !e.grouped && e.ppl > 0 && ps.emitted >= e.ppl {
		ps.done = true
		e.pos.PartDone = true
		return true
	}
	return e.stop()
}

// endPartition emits the static-only row of a partition that has no rows,
// when the query reads whole partitions.
func (e *selectExec) endPartition(ps *partState) {
	if ps.resumed || ps.seen > 0 || ps.Static == nil || ps.skip || !e.p.FullPartitions || e.stop() {
		return
	}
	e.staticRow(ps)
}

func (e *selectExec) staticRow(ps *partState) {
	v := &plan.RowView{Env: &e.env, Part: &ps.Partition}
	ok, err := e.filters.Match(v)
	if err != nil {
		e.err = err
		return
	}
	if !ok || !e.emit(ps, v) {
		return
	}
	ps.done = true
	e.pos = paging.Position{KeyIdx: ps.idx, Key: ps.Key.Bytes, PartDone: true}
}

// newCursor returns a cursor over partition ps's rows in ranges rs.
func (e *selectExec) newCursor(ps *partState, rs []plan.Range) *cursor.Cursor {
	c := &cursor.Cursor{}
	e.initCursor(c, ps, rs)
	return c
}

func (e *selectExec) initCursor(c *cursor.Cursor, ps *partState, rs []plan.Range) {
	*c = cursor.Cursor{Ctx: e.ctx, Coord: e.x.cfg.Coordinator, CL: e.cl, Keyspace: e.p.Keyspace, Table: e.p.Table.ID,
		Key: ps.Key, Reversed: e.p.Reversed, Part: ps, Versions: e.p.Table.CellVersions.Mutation()}
	ps.e = e
	c.Init(rs)
}

// readPartition reads one partition through a cursor.
func (e *selectExec) readPartition(ps *partState, rs []plan.Range) error {
	if e.ppl > 0 && ps.emitted >= e.ppl {
		return nil
	}
	// One partition is read at a time here: the executor's cursor serves.
	c := &e.cur
	e.initCursor(c, ps, rs)
	for !e.stop() {
		row, err := c.Next()
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
func (e *selectExec) runKeys(resume *paging.Position) error {
	keys, err := e.p.Where.PartitionKeys(e.b)
	if err == nil {
		err = cas.CheckSerialRead(e.cl, len(keys))
	}
	if err != nil {
		return err
	}
	if e.p.Where.HasToken() {
		from, to, empty, err := e.p.TokenBounds(e.b)
		if err != nil {
			return err
		}
		keys = slices.DeleteFunc(keys, func(k plan.PartKey) bool {
			return empty || from != nil && k.Key.Compare(*from) < 0 || to != nil && k.Key.Compare(*to) >= 0
		})
	}
	start := 0
	if resume != nil {
		if resume.KeyIdx >= len(keys) || !bytes.Equal(keys[resume.KeyIdx].Key.Bytes, resume.Key) {
			return paging.BadState()
		}
		start = resume.KeyIdx
	}
	if e.p.OrderCols > 0 && len(keys) > 1 {
		if e.grouped {
			return e.runGroupsSorted(keys)
		}
		return e.runMerged(keys, resume)
	}
	for i := start; i < len(keys) && !e.stop(); i++ {
		// Partitions are read one after the other: one state serves all.
		e.ps1 = partState{Partition: plan.Partition{Key: keys[i].Key, PK: keys[i].Vals}, idx: i}
		ps := &e.ps1
		rs := e.ranges
		if resume != nil && i == start {
			if resume.PartDone {
				continue
			}
			ps.resumed, ps.emitted = true, resume.InPart
			if resume.Clustering != nil {
				rs = cursor.Resume(rs, resume.Clustering, e.p.Reversed)
			}
		}
		if err := e.readPartition(ps, rs); err != nil {
			return err
		}
	}
	return nil
}

// runScan reads partitions in ring order over the token range (or the
// whole ring), filtering partition keys when needed.
func (e *selectExec) runScan(resume *paging.Position) error {
	if err := cas.CheckSerialRead(e.cl, -1); err != nil {
		return err
	}
	p := e.p
	var from, to *mutation.Key
	if p.Where.HasToken() {
		var empty bool
		var err error
		if from, to, empty, err = p.TokenBounds(e.b); err != nil || empty {
			return err
		}
	}
	e.multiScan = len(e.ranges) > 1
	if e.multiScan {
		e.filtering = true
	}
	var after *replication.Position
	if resume != nil {
		key := catalog.DecoratedKey(resume.Key)
		if !resume.PartDone {
			vals, err := p.PartitionValues(key.Bytes)
			if err != nil {
				return paging.BadState()
			}
			ps := &partState{Partition: plan.Partition{Key: key, PK: vals}, resumed: true, emitted: resume.InPart}
			rs := e.ranges
			if resume.Clustering != nil {
				rs = cursor.Resume(rs, resume.Clustering, e.p.Reversed)
			}
			if err := e.readPartition(ps, rs); err != nil || e.stop() {
				return err
			}
		}
		after = &replication.Position{Key: key}
	}
	storagePPL := 0
	if !e.filtering && !e.grouped && e.ppl > 0 {
		storagePPL = e.ppl
	}
	var cur *partState
	for reads := 0; ; reads++ {
		// An aggregate or a filtering scan reads page after page within
		// one request: it ends at the request's deadline.
		if err := e.ctx.Err(); err != nil {
			return err
		}
		n := e.chunk(nil, reads)
		cmd := replication.RangeOf(p.Keyspace, p.Table)
		cmd.From, cmd.To, cmd.After, cmd.Start, cmd.End = from, to, after, e.bounds.Start, e.bounds.End
		cmd.Limit, cmd.PerPartitionLimit, cmd.Index = n, storagePPL, e.index
		res, err := e.x.cfg.Coordinator.ReadRange(e.ctx, cmd, e.cl)
		if err != nil {
			return err
		}
		for _, part := range res.Partitions {
			if e.index != nil {
				if part, err = e.rereadIndexed(part); err != nil {
					return err
				}
				if part == nil {
					continue
				}
			}
			if cur == nil || !part.Key.Equal(cur.Key) {
				if cur != nil {
					e.endPartition(cur)
					if e.stop() {
						return nil
					}
				}
				vals, err := p.PartitionValues(part.Key.Bytes)
				if err != nil {
					return err
				}
				cur = &partState{Partition: plan.Partition{Key: part.Key, PK: vals, Static: e.env.AsOfStatic(part.Static)}}
				ok, err := e.filters.MatchPartitionKey(&cur.Partition)
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
		if cur != nil && (cur.done || cur.skip) && res.Next.Key.Equal(cur.Key) {
			// Skip the rest of a partition that is done.
			after = &replication.Position{Key: cur.Key}
		}
	}
}

// runMerged reads several partitions and merges their rows in ORDER BY
// order; rows that tie on the ordering columns come partition by
// partition, as Cassandra's stable post-query sort leaves them. Resuming
// a page clips each partition to what follows the last row returned.
func (e *selectExec) runMerged(keys []plan.PartKey, resume *paging.Position) error {
	if e.pageSize > 0 && e.ppl > 0 {
		return qerr.Invalidf("Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either remove the ORDER BY or the IN and sort client side, or disable paging for this query")
	}
	type head struct {
		c      *cursor.Cursor
		ps     *partState
		row    *mutation.Row
		prefix []byte
		static bool // a static-only row is pending
	}
	rev := e.p.Reversed
	var lastIdx int
	var lastCk, lastPrefix []byte
	if resume != nil {
		lastIdx, lastCk = resume.KeyIdx, resume.Clustering
		if lastCk != nil {
			var err error
			if lastPrefix, err = e.p.OrderPrefix(lastCk); err != nil {
				return err
			}
		}
	}
	heads := make([]*head, len(keys))
	for i, k := range keys {
		ps := &partState{Partition: plan.Partition{Key: k.Key, PK: k.Vals}, idx: i}
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
					rs = cursor.Clip(rs, mutation.PrefixEnd(lastPrefix), nil)
				case i == lastIdx:
					rs = cursor.Clip(rs, append(slices.Clip(lastCk), 0), nil)
				default:
					rs = cursor.Clip(rs, lastPrefix, nil)
				}
			default:
				switch {
				case i < lastIdx:
					rs = cursor.Clip(rs, nil, lastPrefix)
				case i == lastIdx:
					rs = cursor.Clip(rs, nil, lastCk)
				default:
					rs = cursor.Clip(rs, nil, mutation.PrefixEnd(lastPrefix))
				}
			}
		}
		h := &head{c: e.newCursor(ps, rs), ps: ps}
		if err := e.advance(h.c, &h.row, &h.prefix); err != nil {
			return err
		}
		if h.row == nil && staticOK && e.p.FullPartitions {
			// No row (left): a static-only partition if it has no row at all.
			static, rows, err := cursor.Probe(e.ctx, e.x.cfg.Coordinator, e.cl, e.p.Keyspace, e.p.Table, ps.Key)
			if err != nil {
				return err
			}
			h.static = static != nil && !rows
			ps.Static = e.env.AsOfStatic(static)
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
func (e *selectExec) advance(c *cursor.Cursor, row **mutation.Row, prefix *[]byte) error {
	r, err := c.Next()
	if err != nil {
		return err
	}
	*row = r
	if r != nil {
		*prefix, err = e.p.OrderPrefix(r.Clustering)
	}
	return err
}
