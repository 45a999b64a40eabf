package cas

// A lightweight transaction as the coordinator runs it: the read its
// conditions need, the decision on the partition as read, and the result.

import (
	"bytes"
	"slices"

	"wcdb/mutation"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// Stmt is one statement of a lightweight transaction (a BATCH has
// several), with its values bound.
type Stmt struct {
	// Cond is the statement's IF clause; nil for a batch's statement
	// without one.
	Cond   *Conditions
	Binder *plan.Binder
	Table  *schema.Table
	Key    mutation.Key
	PK     [][]byte // the partition key's values
	// Row is the clustering of the row the statement is about, or nil
	// when it is about the static row (Static) or a range of rows.
	Row    []byte
	Static bool
	// UpdatesRegular and UpdatesStatic tell whether the statement writes
	// rows and the static row, Reads the columns its operations read
	// first (list element assignments and discards).
	UpdatesRegular, UpdatesStatic bool
	Reads                         []*schema.Column
}

// rowConds are the conditions on one row (the static row: ck nil).
type rowConds struct {
	ck                []byte
	exists, notExists bool
	conds             []bound
}

// Request is a lightweight transaction on one partition.
type Request struct {
	t      *schema.Table
	key    mutation.Key
	pk     [][]byte
	static *rowConds
	rows   []*rowConds // sorted by clustering
	// cols are the columns of a failed transaction's result, after
	// [applied]; nil for all the table's.
	cols []*schema.Column
	read replication.ReadCommand
}

// NewRequest gathers the conditions of stmts (all on one partition of one
// table of ks) into a request; batch: they are a BATCH's.
func NewRequest(ks *schema.Keyspace, stmts []Stmt, batch bool) (*Request, error) {
	s0 := &stmts[0]
	r := &Request{t: s0.Table, key: s0.Key, pk: s0.PK}
	var cols []*schema.Column
	wildcard := false
	updRegular, updStatic := false, false
	var condCols, reads []*schema.Column
	var rowKeys [][]byte
	for i := range stmts {
		s := &stmts[i]
		if s.Table.ID != r.t.ID {
			return nil, qerr.Invalidf("Batch with conditions cannot span multiple tables")
		}
		if !bytes.Equal(s.Key.Bytes, r.key.Bytes) {
			return nil, qerr.Invalidf("Batch with conditions cannot span multiple partitions")
		}
		updRegular = updRegular || s.UpdatesRegular
		reads = append(reads, s.Reads...)
		if len(s.Reads) > 0 && s.Row != nil {
			rowKeys = append(rowKeys, s.Row)
		}
		if s.Cond == nil {
			continue
		}
		updStatic = updStatic || s.UpdatesStatic
		bs, err := s.Cond.bind(s.Binder)
		if err != nil {
			return nil, err
		}
		// IF EXISTS and IF NOT EXISTS are on the statement's row;
		// conditions on static columns on the static row, the others on
		// the row.
		var static, regular []bound
		for _, b := range bs {
			if b.c.Col.Kind == schema.StaticColumn {
				static = append(static, b)
			} else {
				regular = append(regular, b)
			}
		}
		if len(static) > 0 {
			if err := r.conditionsFor(nil, true).add(s.Cond, static); err != nil {
				return nil, err
			}
		}
		if len(regular) > 0 || s.Cond.Exists || s.Cond.NotExists {
			if err := r.conditionsFor(s.Row, s.Static).add(s.Cond, regular); err != nil {
				return nil, err
			}
		}
		if s.Cond.Exists || s.Cond.NotExists {
			wildcard = true
		}
		for _, c := range s.Cond.Columns() {
			if !slices.ContainsFunc(cols, func(o *schema.Column) bool { return o.ID == c.ID }) {
				cols = append(cols, c)
			}
		}
		condCols = append(condCols, s.Cond.Columns()...)
	}
	if !wildcard {
		if batch {
			// The primary key's columns first, to tell the rows apart.
			var keyCols []*schema.Column
			for i := range r.t.Columns {
				if c := &r.t.Columns[i]; c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
					keyCols = append(keyCols, c)
				}
			}
			cols = append(keyCols, cols...)
		}
		r.cols = cols
	}
	for _, rc := range r.rows {
		rowKeys = append(rowKeys, rc.ck)
	}
	r.read = replication.ReadOf(ks, r.t, r.key)
	r.read.Columns = readColumns(r.t, updRegular, updStatic, append(condCols, reads...))
	if len(rowKeys) == 0 {
		// Static conditions alone: the first row tells an existing
		// partition without static data from one without data.
		r.read.Limit = 1
	} else {
		slices.SortFunc(rowKeys, bytes.Compare)
		r.read.Start = rowKeys[0]
		r.read.End = append(slices.Clip(rowKeys[len(rowKeys)-1]), 0)
	}
	return r, nil
}

// conditionsFor returns the conditions on row ck (the static row if
// static), added if new.
func (r *Request) conditionsFor(ck []byte, static bool) *rowConds {
	if static {
		if r.static == nil {
			r.static = &rowConds{}
		}
		return r.static
	}
	i, found := slices.BinarySearchFunc(r.rows, ck, func(rc *rowConds, ck []byte) int { return bytes.Compare(rc.ck, ck) })
	if !found {
		r.rows = slices.Insert(r.rows, i, &rowConds{ck: ck})
	}
	return r.rows[i]
}

// add adds a statement's conditions on the row, with Cassandra's rules on
// mixing them.
func (rc *rowConds) add(cs *Conditions, bs []bound) error {
	had := rc.exists || rc.notExists || len(rc.conds) > 0
	switch {
	case cs.Exists || cs.NotExists:
		if had && (rc.exists != cs.Exists || rc.notExists != cs.NotExists) {
			if rc.exists || rc.notExists {
				return qerr.Invalidf("Cannot mix IF EXISTS and IF NOT EXISTS conditions for the same row")
			}
			not := ""
			if cs.NotExists {
				not = "NOT "
			}
			return qerr.Invalidf("Cannot mix IF conditions and IF %sEXISTS for the same row", not)
		}
		rc.exists, rc.notExists = cs.Exists, cs.NotExists
	default:
		if rc.exists || rc.notExists {
			return qerr.Invalidf("Cannot mix IF conditions and IF NOT EXISTS for the same row")
		}
		rc.conds = append(rc.conds, bs...)
	}
	return nil
}

// readColumns are the columns a transaction reads, as Cassandra's
// CQL3CasRequest: all regular columns if it writes rows, all static ones
// if a conditional statement writes the static row, the conditions' (and
// the reading operations') otherwise. Ascending ids; nil for all.
func readColumns(t *schema.Table, regular, static bool, named []*schema.Column) []uint32 {
	var ids []uint32
	for i := range t.Columns {
		c := &t.Columns[i]
		switch {
		case c.Kind == schema.RegularColumn && regular, c.Kind == schema.StaticColumn && static:
		case (c.Kind == schema.RegularColumn || c.Kind == schema.StaticColumn) && slices.ContainsFunc(named, func(o *schema.Column) bool { return o.ID == c.ID }):
		default:
			continue
		}
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

// CAS returns the coordinator's request: decide builds the update (the
// statements' mutations of the partition, merged, the partition as read
// given to the operations that read) once the conditions hold; its
// timestamps are then set to the transaction's.
func (r *Request) CAS(build func(current *mutation.Partition, ts int64) (*mutation.Mutation, error)) replication.CASRequest {
	return replication.CASRequest{Keyspace: r.read.Keyspace, Read: r.read, Decide: func(current *mutation.Partition, ts int64) (*mutation.Mutation, error) {
		ok, err := r.applies(current)
		if err != nil || !ok {
			return nil, err
		}
		m, err := build(current, ts)
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = &mutation.Mutation{Table: r.t.ID, Partition: mutation.Partition{Key: r.key, Deletion: mutation.Live}}
		}
		Stamp(m, ts)
		return m, nil
	}}
}

// applies evaluates every condition on the partition as read.
func (r *Request) applies(p *mutation.Partition) (bool, error) {
	var static *mutation.Row
	if p != nil {
		static = p.Static
	}
	if r.static != nil {
		if ok, err := r.static.applies(static); !ok || err != nil {
			return false, err
		}
	}
	for _, rc := range r.rows {
		if ok, err := rc.applies(findRow(p, rc.ck)); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

func (rc *rowConds) applies(row *mutation.Row) (bool, error) {
	switch {
	case rc.exists:
		return exists(row), nil
	case rc.notExists:
		return !exists(row), nil
	}
	for i := range rc.conds {
		if ok, err := rc.conds[i].applies(row); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

func findRow(p *mutation.Partition, ck []byte) *mutation.Row {
	if p == nil {
		return nil
	}
	i, found := slices.BinarySearchFunc(p.Rows, ck, func(r mutation.Row, ck []byte) int { return bytes.Compare(r.Clustering, ck) })
	if !found {
		return nil
	}
	return &p.Rows[i]
}

// Stamp gives every write of m timestamp ts, as Cassandra's Paxos does
// with its ballot's: cells and row markers ts, deletions (of partition,
// ranges, rows and collections) ts-1, so that what a statement writes
// survives what another of the same batch deletes.
func Stamp(m *mutation.Mutation, ts int64) {
	p := &m.Partition
	if !p.Deletion.IsLive() {
		p.Deletion.Timestamp = ts - 1
	}
	for i := range p.RangeTombstones {
		p.RangeTombstones[i].Deletion.Timestamp = ts - 1
	}
	if p.Static != nil {
		stampRow(p.Static, ts)
	}
	for i := range p.Rows {
		stampRow(&p.Rows[i], ts)
	}
}

func stampRow(r *mutation.Row, ts int64) {
	if !r.Liveness.IsEmpty() {
		r.Liveness.Timestamp = ts
	}
	if !r.Deletion.IsLive() {
		r.Deletion.Timestamp = ts - 1
	}
	for i := range r.Cells {
		if c := &r.Cells[i]; c.IsColumnDeletion() {
			c.Timestamp = ts - 1
		} else {
			c.Timestamp = ts
		}
	}
}

// Result shapes a transaction's outcome as Cassandra does: a first column
// [applied]; when not applied, the current values of what the conditions
// read (every column for IF EXISTS and IF NOT EXISTS; the conditions'
// columns otherwise, after the primary key's in a batch), one row per row
// read, or [applied] alone when nothing was read.
func (r *Request) Result(res replication.CASResult) ([]plan.ColumnSpec, [][][]byte, error) {
	specs := []plan.ColumnSpec{{Keyspace: r.t.Keyspace, Table: r.t.Name, Name: "[applied]", Type: schema.Native(schema.KindBoolean)}}
	if res.Applied {
		return specs, [][][]byte{{{1}}}, nil
	}
	cols := r.cols
	if cols == nil {
		for i := range r.t.Columns {
			cols = append(cols, &r.t.Columns[i])
		}
	}
	p := res.Current
	var rows []*mutation.Row
	var static *mutation.Row
	if p != nil {
		static = p.Static
		for i := range p.Rows {
			row := &p.Rows[i]
			// Only the rows the conditions are on, as Cassandra's read
			// of those rows by name returns (static conditions alone:
			// the partition's first row).
			if len(r.rows) == 0 && i == 0 || slices.ContainsFunc(r.rows, func(rc *rowConds) bool { return bytes.Equal(rc.ck, row.Clustering) }) {
				rows = append(rows, row)
			}
		}
	}
	if len(rows) == 0 && exists(static) {
		rows = []*mutation.Row{nil}
	}
	if len(rows) == 0 {
		return specs, [][][]byte{{{0}}}, nil
	}
	for _, c := range cols {
		specs = append(specs, plan.ColumnSpec{Keyspace: r.t.Keyspace, Table: r.t.Name, Name: c.Name, Type: c.Type})
	}
	ckTypes, ckDesc := r.t.ClusteringTypes()
	out := make([][][]byte, 0, len(rows))
	for _, row := range rows {
		vals := make([][]byte, 0, len(specs))
		vals = append(vals, []byte{0})
		var ck [][]byte
		if row != nil && len(ckTypes) > 0 {
			var err error
			if ck, err = schema.SplitClustering(ckTypes, ckDesc, row.Clustering); err != nil {
				return nil, nil, qerr.Convert("", err)
			}
		}
		for _, c := range cols {
			var v []byte
			var err error
			switch c.Kind {
			case schema.PartitionKeyColumn:
				v = r.pk[c.Position]
			case schema.ClusteringColumn:
				if c.Position < len(ck) {
					v = ck[c.Position]
				}
			case schema.StaticColumn:
				v, err = ColumnValue(static, c)
			default:
				v, err = ColumnValue(row, c)
			}
			if err != nil {
				return nil, nil, err
			}
			vals = append(vals, v)
		}
		out = append(out, vals)
	}
	return specs, out, nil
}
