package query

// INSERT, UPDATE and DELETE: analysis into a modStmt (this file), its
// operations (dml_ops.go), and its execution into one mutation per
// partition (dml_exec.go).
//
// What they write follows Cassandra's data model (see mutation/):
//
//   - INSERT writes a row marker (the row's liveness, with the TTL); UPDATE
//     does not, so a row an UPDATE created disappears with its last cell.
//   - A cell is one simple column's value, or one element of a non-frozen
//     collection (Path: the set element or map key in comparable form, or
//     a list element's timeuuid path). Overwriting a whole non-frozen
//     collection writes a complex-column deletion at timestamp-1 and the new
//     elements at the timestamp; setting it to null deletes it at the
//     timestamp.
//   - null writes a cell tombstone; an unset bound value writes nothing.
//   - DELETE of a whole row is a row deletion; of a clustering prefix or
//     slice, range tombstones; of a partition (no clustering restriction, or
//     a table without clustering columns), a partition deletion.
//   - List discards (l = l - [...]), l[i] = v and DELETE l[i] read the list
//     first, through the coordinator, as Cassandra does.
//
// A statement with IF, IF EXISTS or IF NOT EXISTS is a lightweight
// transaction: package cas analyzes its conditions, lwt.go runs it.

import (
	"strings"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/cas"
	"wcdb/query/counter"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// modStmt is an analyzed INSERT, UPDATE or DELETE.
type modStmt struct {
	kind string
	an   *plan.Analyzer
	ks   *schema.Keyspace
	t    *schema.Table
	w    *plan.Where
	ttl  plan.Term
	ts   plan.Term
	ops  []op
	// staticOnly: every column written is static, so no clustering is
	// needed (and none may be given, except in INSERT).
	staticOnly bool
	// marker: INSERT writes a row marker for the row.
	marker bool
	// deleteRows: DELETE without columns.
	deleteRows bool
	// needsRead: some operation reads the row first.
	needsRead bool
	// cond is the IF clause, nil for none.
	cond *cas.Conditions
}

// op is one assignment of an UPDATE (or INSERT value) or one target of a
// DELETE.
type op interface {
	column() *schema.Column
	// apply adds the operation's cells to row; cur is the row as read
	// before the write (for the operations that read), or nil.
	apply(u *updCtx, row *mutation.Row, cur *mutation.Row) error
}

// analyzeModification analyzes INSERT, UPDATE or DELETE; markers are the
// statement's bind markers (a batch's statement gets its own share, which
// index into the batch's values).
func (x *Executor) analyzeModification(sessionKeyspace string, st ast.Statement, markers []*ast.BindMarker) (*modStmt, error) {
	var tn ast.TableName
	switch st := st.(type) {
	case *ast.InsertStmt:
		tn = st.Table
	case *ast.UpdateStmt:
		tn = st.Table
	case *ast.DeleteStmt:
		tn = st.Table
	}
	ks, t, err := x.lookupTable(sessionKeyspace, tn)
	if err != nil {
		return nil, err
	}
	m := &modStmt{ks: ks, t: t}
	// Markers may be a statement's share of a batch's: the analyzer covers
	// their range of indexes only.
	lo, hi := 0, -1
	for i, mk := range markers {
		if i == 0 || mk.Index < lo {
			lo = mk.Index
		}
		hi = max(hi, mk.Index)
	}
	all := make([]*ast.BindMarker, hi-lo+1)
	for _, mk := range markers {
		all[mk.Index-lo] = mk
	}
	m.an = term.NewAnalyzerAt(x.clock(), t.Keyspace, t.Name, all, lo)
	for i, mk := range all {
		if mk == nil {
			m.an.Skip(lo + i) // another statement's marker
		}
	}
	if m.cond, err = cas.AnalyzeStatement(m.an, t, st); err != nil {
		return nil, err
	}
	if err := counter.CheckStatement(t, st); err != nil {
		return nil, err
	}
	switch st := st.(type) {
	case *ast.InsertStmt:
		m.kind = plan.KindInsert
		err = m.analyzeInsert(st)
	case *ast.UpdateStmt:
		m.kind = plan.KindUpdate
		err = m.analyzeUpdate(st)
	case *ast.DeleteStmt:
		m.kind = plan.KindDelete
		err = m.analyzeDelete(st)
	}
	if err != nil {
		return nil, err
	}
	if err := m.an.CheckMarkers(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *modStmt) using(u ast.Using) error {
	var err error
	if u.TTL != nil {
		if m.ttl, err = m.an.Term(u.TTL, plan.Receiver{Name: "[ttl]", Type: schema.Native(schema.KindInt)}); err != nil {
			return err
		}
	}
	if u.Timestamp != nil {
		if m.ts, err = m.an.Term(u.Timestamp, plan.Receiver{Name: "[timestamp]", Type: schema.Native(schema.KindBigint)}); err != nil {
			return err
		}
	}
	return nil
}

func (m *modStmt) analyzeInsert(st *ast.InsertStmt) error {
	if st.JSON != nil {
		return m.analyzeInsertJSON(st)
	}
	if len(st.Columns) != len(st.Values) {
		return qerr.Invalidf("Unmatched column names/values")
	}
	if err := m.using(st.Using); err != nil {
		return err
	}
	m.w = plan.NewWhere(m.t)
	seen := map[string]bool{}
	for i, name := range st.Columns {
		c := m.t.Column(name)
		if c == nil {
			return qerr.Invalidf("Undefined column name %s", name)
		}
		if seen[name] {
			return qerr.Invalidf("Multiple definitions found for column %s", name)
		}
		seen[name] = true
		v, err := m.an.Term(st.Values[i], term.ColumnReceiver(c))
		if err != nil {
			return err
		}
		switch c.Kind {
		case schema.PartitionKeyColumn, schema.ClusteringColumn:
			m.w.Restriction(c).Eq = v
		default:
			m.ops = append(m.ops, &setOp{col: c, v: v})
		}
	}
	return m.checkKeys(true)
}

// checkKeys validates the primary key restrictions of a modification, with
// Cassandra's rules and messages.
func (m *modStmt) checkKeys(insert bool) error {
	w := m.w
	if len(w.Others) > 0 {
		return qerr.Invalidf("Non PRIMARY KEY columns found in where clause: %s ", strings.Join(w.NonPK, ", "))
	}
	var missing []string
	for i, r := range w.PK {
		if r == nil {
			missing = append(missing, m.t.PartitionKey()[i].Name)
		}
	}
	if len(missing) > 0 {
		return qerr.Invalidf("Some partition key parts are missing: %s", strings.Join(missing, ", "))
	}
	for _, r := range w.PK {
		if r.IsSlice() {
			return qerr.Invalidf("Only EQ and IN relation are supported on the partition key (unless you use the token() function) for %s statements", m.kind)
		}
	}
	// As Cassandra: static only when neither the operations nor the
	// conditions touch a row (a DELETE of rows does).
	m.staticOnly = (len(m.ops) > 0 || m.cond.OnKind(schema.StaticColumn)) && !m.deleteRows && !m.cond.OnKind(schema.RegularColumn)
	for _, o := range m.ops {
		if o.column().Kind != schema.StaticColumn {
			m.staticOnly = false
		}
	}
	if m.cond != nil {
		if err := cas.CheckWhere(w, m.kind, m.deleteRows, m.hasRegularOps(), m.cond); err != nil {
			return err
		}
	}
	ck := m.t.Clustering()
	if m.staticOnly && w.HasClusteringRestrictions() && !insert {
		return qerr.Invalidf("Invalid restrictions on clustering columns since the %s statement modifies only static columns", m.kind)
	}
	// Gaps and restrictions after a slice.
	if err := plan.CheckClusteringOrder(w, false); err != nil {
		return err
	}
	full := true
	if w.Multi != nil {
		full = len(w.Multi.Cols) == len(ck) && (w.Multi.Eq != nil || w.Multi.IsIn)
	} else {
		for _, r := range w.CK {
			if r == nil || !r.IsEqOrIn() {
				full = false
			}
		}
	}
	hasSlice := w.Multi != nil && w.Multi.IsSlice()
	for _, r := range w.CK {
		if r != nil && r.IsSlice() {
			hasSlice = true
		}
	}
	switch m.kind {
	case plan.KindInsert, plan.KindUpdate:
		if hasSlice {
			return qerr.Invalidf("Slice restrictions are not supported on the clustering columns in %s statements", m.kind)
		}
		if !full && !(m.staticOnly && !w.HasClusteringRestrictions()) {
			var miss []string
			for i, r := range w.CK {
				if r == nil {
					miss = append(miss, ck[i].Name)
				}
			}
			return qerr.Invalidf("Some clustering keys are missing: %s", strings.Join(miss, ", "))
		}
		if insert && len(ck) > 0 && !full && !m.staticOnly {
			return qerr.Invalidf("Some clustering keys are missing: %s", ck[0].Name)
		}
		m.marker = insert && (full || len(ck) == 0)
	case plan.KindDelete:
		if !m.deleteRows && !full && !m.staticOnly && len(ck) > 0 {
			return qerr.Invalidf("Range deletions are not supported for specific columns")
		}
	}
	return nil
}

func (m *modStmt) analyzeUpdate(st *ast.UpdateStmt) error {
	if err := m.using(st.Using); err != nil {
		return err
	}
	set := map[string]bool{}
	for i := range st.Set {
		a := &st.Set[i]
		c := m.t.Column(a.Column)
		if c == nil {
			return qerr.Invalidf("Undefined column name %s", a.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return qerr.Invalidf("PRIMARY KEY part %s found in SET part", c.Name)
		}
		if a.Op == ast.AssignSet {
			if set[c.Name] {
				return qerr.Invalidf("Multiple incompatible setting of column %s", c.Name)
			}
			set[c.Name] = true
		}
		o, err := m.assignment(a, c)
		if err != nil {
			return err
		}
		m.ops = append(m.ops, o)
	}
	w, err := plan.AnalyzeWhere(m.an, m.t, st.Where, plan.KindUpdate)
	if err != nil {
		return err
	}
	m.w = w
	return m.checkKeys(false)
}

// assignment analyzes one SET item.
func (m *modStmt) assignment(a *ast.Assignment, c *schema.Column) (op, error) {
	t := c.Type
	desc := func() string { return a.String() }
	if a.Op == ast.AssignField {
		path, v, err := m.an.FieldAssignment(a, c)
		if err != nil {
			return nil, err
		}
		return &fieldOp{col: c, path: path, v: v}, nil // dml_udt.go
	}
	if t.Kind == schema.KindCounter && a.Op != ast.AssignSetElement {
		if a.Op == ast.AssignSet {
			return nil, qerr.Invalidf("Cannot set the value of counter column %s (counters can only be incremented/decremented, not set)", c.Name)
		}
		return m.counterAssignment(a, c) // counter.go
	}
	switch a.Op {
	case ast.AssignSet:
		v, err := m.an.Term(a.Value, term.ColumnReceiver(c))
		if err != nil {
			return nil, err
		}
		return &setOp{col: c, v: v}, nil
	case ast.AssignSetElement:
		switch {
		case !t.IsCollection():
			return nil, qerr.Invalidf("Invalid operation (%s) for non collection column %s", desc(), c.Name)
		case !t.IsMultiCell():
			return nil, qerr.Invalidf("Invalid operation (%s) for frozen collection column %s", desc(), c.Name)
		case t.Kind == schema.KindSet:
			return nil, qerr.Invalidf("Invalid operation (%s) for set column %s", desc(), c.Name)
		}
		kr := plan.Receiver{Name: "idx(" + c.Name + ")", Type: schema.Native(schema.KindInt)}
		if t.Kind == schema.KindMap {
			kr = plan.Receiver{Name: "key(" + c.Name + ")", Type: t.Key()}
		}
		k, err := m.an.Term(a.Key, kr)
		if err != nil {
			return nil, err
		}
		v, err := m.an.Term(a.Value, plan.Receiver{Name: "value(" + c.Name + ")", Type: t.Elem()})
		if err != nil {
			return nil, err
		}
		if t.Kind == schema.KindList {
			m.needsRead = true
		}
		return &setElemOp{col: c, key: k, v: v}, nil
	case ast.AssignAdd, ast.AssignSubtract, ast.AssignPrepend:
		if err := plan.OperationRefusal(a.Op, t, desc(), c.Name); err != nil {
			return nil, err
		}
		r := term.ColumnReceiver(c)
		r.Column = nil
		if a.Op == ast.AssignSubtract && t.Kind == schema.KindMap {
			r.Type = schema.SetOf(t.Key())
		}
		v, err := m.an.Term(a.Value, r)
		if err != nil {
			return nil, err
		}
		switch a.Op {
		case ast.AssignAdd:
			return &addOp{col: c, v: v}, nil
		case ast.AssignPrepend:
			return &addOp{col: c, v: v, prepend: true}, nil
		}
		if t.Kind == schema.KindList {
			m.needsRead = true
		}
		return &subOp{col: c, v: v}, nil
	}
	return nil, qerr.Invalidf("Unsupported operation %s", desc())
}

func (m *modStmt) analyzeDelete(st *ast.DeleteStmt) error {
	if err := m.using(st.Using); err != nil {
		return err
	}
	m.deleteRows = len(st.Columns) == 0
	for _, d := range st.Columns {
		c := m.t.Column(d.Column)
		if c == nil {
			return qerr.Invalidf("Undefined column name %s", d.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return qerr.Invalidf("Invalid identifier %s for deletion (should not be a PRIMARY KEY part)", c.Name)
		}
		if d.Field != "" {
			path, err := plan.FieldDeletion(d, c)
			if err != nil {
				return err
			}
			m.ops = append(m.ops, &fieldOp{col: c, path: path}) // dml_udt.go
			continue
		}
		if d.Key == nil {
			m.ops = append(m.ops, &deleteOp{col: c})
			continue
		}
		t := c.Type
		switch {
		case !t.IsCollection():
			return qerr.Invalidf("Invalid deletion operation for non collection column %s", c.Name)
		case !t.IsMultiCell():
			return qerr.Invalidf("Invalid deletion operation for frozen collection column %s", c.Name)
		}
		var kr plan.Receiver
		switch t.Kind {
		case schema.KindList:
			kr = plan.Receiver{Name: "idx(" + c.Name + ")", Type: schema.Native(schema.KindInt)}
			m.needsRead = true
		case schema.KindSet:
			kr = plan.Receiver{Name: "value(" + c.Name + ")", Type: t.Elems[0]}
		default:
			kr = plan.Receiver{Name: "key(" + c.Name + ")", Type: t.Key()}
		}
		k, err := m.an.Term(d.Key, kr)
		if err != nil {
			return err
		}
		m.ops = append(m.ops, &deleteOp{col: c, key: k})
	}
	w, err := plan.AnalyzeWhere(m.an, m.t, st.Where, plan.KindDelete)
	if err != nil {
		return err
	}
	m.w = w
	return m.checkKeys(false)
}

func (m *modStmt) hasRegularOps() bool {
	for _, o := range m.ops {
		if o.column().Kind != schema.StaticColumn {
			return true
		}
	}
	return false
}

// isFull reports whether every clustering column is restricted by = or IN.
func (m *modStmt) isFull() bool {
	w := m.w
	if w.Multi != nil {
		return len(w.Multi.Cols) == len(w.CK) && (w.Multi.Eq != nil || w.Multi.IsIn)
	}
	for _, r := range w.CK {
		if r == nil || !r.IsEqOrIn() {
			return false
		}
	}
	return true
}

// INSERT JSON.

// analyzeInsertJSON analyzes INSERT ... JSON: every column of the table
// takes its value from the document (null, or unset with DEFAULT UNSET,
// when absent).
func (m *modStmt) analyzeInsertJSON(st *ast.InsertStmt) error {
	if err := m.using(st.Using); err != nil {
		return err
	}
	doc, err := m.an.Term(st.JSON, plan.Receiver{Name: "[json]", Type: schema.Native(schema.KindText)})
	if err != nil {
		return err
	}
	d := term.NewJSONDoc(m.t, doc, st.DefaultUnset)
	m.w = plan.NewWhere(m.t)
	for i := range m.t.Columns {
		c := &m.t.Columns[i]
		f := d.Field(c)
		switch c.Kind {
		case schema.PartitionKeyColumn, schema.ClusteringColumn:
			m.w.Restriction(c).Eq = f
		default:
			m.ops = append(m.ops, &setOp{col: c, v: f})
		}
	}
	return m.checkKeys(true)
}
