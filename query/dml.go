package query

// INSERT, UPDATE and DELETE: analysis into a modStmt, and its execution
// into one mutation per partition.
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
// Lightweight transactions (IF, IF EXISTS, IF NOT EXISTS) are not
// implemented and are refused.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

// modStmt is an analyzed INSERT, UPDATE or DELETE.
type modStmt struct {
	kind string
	an   *analyzer
	ks   *schema.Keyspace
	t    *schema.Table
	w    *where
	ttl  term
	ts   term
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
}

// op is one assignment of an UPDATE (or INSERT value) or one target of a
// DELETE.
type op interface {
	column() *schema.Column
	// apply adds the operation's cells to row; cur is the row as read
	// before the write (for the operations that read), or nil.
	apply(u *updCtx, row *mutation.Row, cur *mutation.Row) error
}

const liveConditionsMsg = "Conditional updates are not supported: lightweight transactions (IF, IF EXISTS, IF NOT EXISTS) are not implemented"

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
	// Markers may be a batch's: size the analyzer for the highest index.
	n := 0
	for _, mk := range markers {
		n = max(n, mk.Index+1)
	}
	all := make([]*ast.BindMarker, n)
	for _, mk := range markers {
		all[mk.Index] = mk
	}
	m.an = newAnalyzer(x, t.Keyspace, t.Name, all)
	for i := range m.an.set {
		if all[i] == nil {
			m.an.set[i] = true // another statement's marker
		}
	}
	switch st := st.(type) {
	case *ast.InsertStmt:
		m.kind = kindInsert
		err = m.analyzeInsert(st)
	case *ast.UpdateStmt:
		m.kind = kindUpdate
		err = m.analyzeUpdate(st)
	case *ast.DeleteStmt:
		m.kind = kindDelete
		err = m.analyzeDelete(st)
	}
	if err != nil {
		return nil, err
	}
	if err := m.an.checkMarkers(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *modStmt) using(u ast.Using) error {
	var err error
	if u.TTL != nil {
		if m.ttl, err = m.an.term(u.TTL, receiver{name: "[ttl]", typ: typInt}); err != nil {
			return err
		}
	}
	if u.Timestamp != nil {
		if m.ts, err = m.an.term(u.Timestamp, receiver{name: "[timestamp]", typ: typBigint}); err != nil {
			return err
		}
	}
	return nil
}

func (m *modStmt) analyzeInsert(st *ast.InsertStmt) error {
	if st.IfNotExists {
		return invalidRequest(liveConditionsMsg)
	}
	if st.JSON != nil {
		return m.analyzeInsertJSON(st)
	}
	if len(st.Columns) != len(st.Values) {
		return invalidRequest("Unmatched column names/values")
	}
	if err := m.using(st.Using); err != nil {
		return err
	}
	m.w = &where{t: m.t, pk: make([]*colRestr, len(m.t.PartitionKey())), ck: make([]*colRestr, len(m.t.Clustering()))}
	seen := map[string]bool{}
	for i, name := range st.Columns {
		c := m.t.Column(name)
		if c == nil {
			return invalidRequest("Undefined column name %s", name)
		}
		if seen[name] {
			return invalidRequest("Multiple definitions found for column %s", name)
		}
		seen[name] = true
		v, err := m.an.term(st.Values[i], columnReceiver(c))
		if err != nil {
			return err
		}
		switch c.Kind {
		case schema.PartitionKeyColumn, schema.ClusteringColumn:
			m.w.restr(c).eq = v
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
	if len(w.others) > 0 {
		return invalidRequest("Non PRIMARY KEY columns found in where clause: %s ", strings.Join(w.nonPK, ", "))
	}
	var missing []string
	for i, r := range w.pk {
		if r == nil {
			missing = append(missing, m.t.PartitionKey()[i].Name)
		}
	}
	if len(missing) > 0 {
		return invalidRequest("Some partition key parts are missing: %s", strings.Join(missing, ", "))
	}
	for _, r := range w.pk {
		if r.isSlice() {
			return invalidRequest("Only EQ and IN relation are supported on the partition key (unless you use the token() function) for %s statements", m.kind)
		}
	}
	m.staticOnly = len(m.ops) > 0
	for _, o := range m.ops {
		if o.column().Kind != schema.StaticColumn {
			m.staticOnly = false
		}
	}
	ck := m.t.Clustering()
	if m.staticOnly && w.hasClusteringRestrictions() && !insert {
		return invalidRequest("Invalid restrictions on clustering columns since the %s statement modifies only static columns", m.kind)
	}
	// Gaps and restrictions after a slice.
	if err := checkClusteringOrder(w, false); err != nil {
		return err
	}
	full := true
	if w.multi != nil {
		full = len(w.multi.cols) == len(ck) && (w.multi.eq != nil || w.multi.isIn)
	} else {
		for _, r := range w.ck {
			if r == nil || !r.isEqOrIn() {
				full = false
			}
		}
	}
	hasSlice := w.multi != nil && (w.multi.lo != nil || w.multi.hi != nil)
	for _, r := range w.ck {
		if r != nil && r.isSlice() {
			hasSlice = true
		}
	}
	switch m.kind {
	case kindInsert, kindUpdate:
		if hasSlice {
			return invalidRequest("Slice restrictions are not supported on the clustering columns in %s statements", m.kind)
		}
		if !full && !(m.staticOnly && !w.hasClusteringRestrictions()) {
			var miss []string
			for i, r := range w.ck {
				if r == nil {
					miss = append(miss, ck[i].Name)
				}
			}
			return invalidRequest("Some clustering keys are missing: %s", strings.Join(miss, ", "))
		}
		if insert && len(ck) > 0 && !full && !m.staticOnly {
			return invalidRequest("Some clustering keys are missing: %s", ck[0].Name)
		}
		m.marker = insert && (full || len(ck) == 0)
	case kindDelete:
		if !m.deleteRows && !full && !m.staticOnly && len(ck) > 0 {
			return invalidRequest("Range deletions are not supported for specific columns")
		}
	}
	return nil
}

// checkClusteringOrder checks that the clustering restrictions form a
// prefix (=/IN columns, then at most one slice); with allowFiltering the
// columns past the prefix are filtered instead.
func checkClusteringOrder(w *where, allowFiltering bool) error {
	if w.multi != nil || allowFiltering {
		return nil
	}
	ck := w.t.Clustering()
	sliceAt := -1
	for i, r := range w.ck {
		if r == nil {
			continue
		}
		if sliceAt >= 0 {
			return invalidRequest("Clustering column \"%s\" cannot be restricted (preceding column \"%s\" is restricted by a non-EQ relation)",
				ck[i].Name, ck[sliceAt].Name)
		}
		if i > 0 && w.ck[i-1] == nil {
			return invalidRequest("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted",
				ck[i].Name, ck[i-1].Name)
		}
		if r.isSlice() {
			sliceAt = i
		}
		if len(r.contains) > 0 || len(r.containsKey) > 0 {
			return invalidRequest("Clustering columns can only be restricted with CONTAINS with a secondary index or filtering")
		}
	}
	return nil
}

func (m *modStmt) analyzeUpdate(st *ast.UpdateStmt) error {
	if st.IfExists || len(st.If) > 0 {
		return invalidRequest(liveConditionsMsg)
	}
	if err := m.using(st.Using); err != nil {
		return err
	}
	set := map[string]bool{}
	for i := range st.Set {
		a := &st.Set[i]
		c := m.t.Column(a.Column)
		if c == nil {
			return invalidRequest("Undefined column name %s", a.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return invalidRequest("PRIMARY KEY part %s found in SET part", c.Name)
		}
		if a.Op == ast.AssignSet {
			if set[c.Name] {
				return invalidRequest("Multiple incompatible setting of column %s", c.Name)
			}
			set[c.Name] = true
		}
		o, err := m.assignment(a, c)
		if err != nil {
			return err
		}
		m.ops = append(m.ops, o)
	}
	w, err := analyzeWhere(m.an, m.t, st.Where, kindUpdate)
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
	switch a.Op {
	case ast.AssignSet:
		v, err := m.an.term(a.Value, columnReceiver(c))
		if err != nil {
			return nil, err
		}
		return &setOp{col: c, v: v}, nil
	case ast.AssignSetElement:
		switch {
		case !t.IsCollection():
			return nil, invalidRequest("Invalid operation (%s) for non collection column %s", desc(), c.Name)
		case !t.IsMultiCell():
			return nil, invalidRequest("Invalid operation (%s) for frozen collection column %s", desc(), c.Name)
		case t.Kind == schema.KindSet:
			return nil, invalidRequest("Invalid operation (%s) for set column %s", desc(), c.Name)
		}
		kr := receiver{name: "idx(" + c.Name + ")", typ: typInt}
		if t.Kind == schema.KindMap {
			kr = receiver{name: "key(" + c.Name + ")", typ: t.Key()}
		}
		k, err := m.an.term(a.Key, kr)
		if err != nil {
			return nil, err
		}
		v, err := m.an.term(a.Value, receiver{name: "value(" + c.Name + ")", typ: t.Elem()})
		if err != nil {
			return nil, err
		}
		if t.Kind == schema.KindList {
			m.needsRead = true
		}
		return &setElemOp{col: c, key: k, v: v}, nil
	case ast.AssignAdd, ast.AssignSubtract, ast.AssignPrepend:
		switch {
		case t.Kind == schema.KindCounter:
			return nil, invalidRequest("Counter columns are not supported")
		case !t.IsCollection():
			return nil, invalidRequest("Invalid operation (%s) for non counter column %s", desc(), c.Name)
		case !t.IsMultiCell():
			return nil, invalidRequest("Invalid operation (%s) for frozen collection column %s", desc(), c.Name)
		case a.Op == ast.AssignPrepend && t.Kind != schema.KindList:
			return nil, invalidRequest("Invalid operation (%s) for non list column %s", desc(), c.Name)
		}
		r := columnReceiver(c)
		r.column = nil
		if a.Op == ast.AssignSubtract && t.Kind == schema.KindMap {
			r.typ = schema.SetOf(t.Key())
		}
		v, err := m.an.term(a.Value, r)
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
	return nil, invalidRequest("Unsupported operation %s", desc())
}

func (m *modStmt) analyzeDelete(st *ast.DeleteStmt) error {
	if st.IfExists || len(st.If) > 0 {
		return invalidRequest(liveConditionsMsg)
	}
	if err := m.using(st.Using); err != nil {
		return err
	}
	m.deleteRows = len(st.Columns) == 0
	for _, d := range st.Columns {
		c := m.t.Column(d.Column)
		if c == nil {
			return invalidRequest("Undefined column name %s", d.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return invalidRequest("Invalid identifier %s for deletion (should not be a PRIMARY KEY part)", c.Name)
		}
		if d.Key == nil {
			m.ops = append(m.ops, &deleteOp{col: c})
			continue
		}
		t := c.Type
		switch {
		case !t.IsCollection():
			return invalidRequest("Invalid deletion operation for non collection column %s", c.Name)
		case !t.IsMultiCell():
			return invalidRequest("Invalid deletion operation for frozen collection column %s", c.Name)
		}
		var kr receiver
		switch t.Kind {
		case schema.KindList:
			kr = receiver{name: "idx(" + c.Name + ")", typ: typInt}
			m.needsRead = true
		case schema.KindSet:
			kr = receiver{name: "value(" + c.Name + ")", typ: t.Elems[0]}
		default:
			kr = receiver{name: "key(" + c.Name + ")", typ: t.Key()}
		}
		k, err := m.an.term(d.Key, kr)
		if err != nil {
			return err
		}
		m.ops = append(m.ops, &deleteOp{col: c, key: k})
	}
	w, err := analyzeWhere(m.an, m.t, st.Where, kindDelete)
	if err != nil {
		return err
	}
	m.w = w
	return m.checkKeys(false)
}

// Execution.

// updCtx holds what the cells of one statement's execution share.
type updCtx struct {
	b      *binder
	ts     int64
	ttl    int32
	nowSec int64
}

func (u *updCtx) live(col uint32, path, v []byte) mutation.Cell {
	if v == nil {
		v = []byte{}
	}
	c := mutation.Cell{Column: col, Path: path, Timestamp: u.ts, LocalDeletionTime: mutation.NoDeletionTime, Value: v}
	if u.ttl > 0 {
		c.Flags = mutation.CellExpiring
		c.TTL = u.ttl
		c.LocalDeletionTime = u.nowSec + int64(u.ttl)
	}
	return c
}

func (u *updCtx) tombstone(col uint32, path []byte) mutation.Cell {
	return mutation.Cell{Column: col, Flags: mutation.CellTombstone, Path: path, Timestamp: u.ts, LocalDeletionTime: u.nowSec}
}

func (u *updCtx) columnDeletion(col uint32, ts int64) mutation.Cell {
	return mutation.Cell{Column: col, Flags: mutation.CellColumnDeletion, Timestamp: ts, LocalDeletionTime: u.nowSec}
}

// elementsOf appends the cells of the elements of a collection value.
func (u *updCtx) elementsOf(row *mutation.Row, c *schema.Column, v []byte, paths schema.ListPaths) error {
	elems, err := schema.CollectionElements(c.Type, v, paths)
	if err != nil {
		return schemaErr("", err)
	}
	for _, e := range elems {
		row.Cells = append(row.Cells, u.live(c.ID, e.Path, e.Value))
	}
	return nil
}

// listElements returns the live elements of list column c in cur, in order.
func listElements(cur *mutation.Row, c *schema.Column) []mutation.Cell {
	if cur == nil {
		return nil
	}
	var out []mutation.Cell
	for _, cell := range cur.Cells {
		if cell.Column == c.ID && len(cell.Path) > 0 && !cell.IsTombstone() {
			out = append(out, cell)
		}
	}
	slices.SortFunc(out, func(a, b mutation.Cell) int { return bytes.Compare(a.Path, b.Path) })
	return out
}

// setOp is col = v (also an INSERT value).
type setOp struct {
	col *schema.Column
	v   term
}

func (o *setOp) column() *schema.Column { return o.col }

func (o *setOp) apply(u *updCtx, row, _ *mutation.Row) error {
	v, err := o.v.eval(u.b)
	if err != nil || IsUnset(v) {
		return err
	}
	c := o.col
	if c.Type.IsMultiCell() {
		if v == nil {
			row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts))
			return nil
		}
		row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts-1))
		return u.elementsOf(row, c, v, nil)
	}
	if v == nil {
		row.Cells = append(row.Cells, u.tombstone(c.ID, nil))
		return nil
	}
	row.Cells = append(row.Cells, u.live(c.ID, nil, v))
	return nil
}

// setElemOp is m[k] = v or l[i] = v.
type setElemOp struct {
	col *schema.Column
	key term
	v   term
}

func (o *setElemOp) column() *schema.Column { return o.col }

func (o *setElemOp) apply(u *updCtx, row, cur *mutation.Row) error {
	k, err := o.key.eval(u.b)
	if err != nil {
		return err
	}
	v, err := o.v.eval(u.b)
	if err != nil {
		return err
	}
	c := o.col
	if IsUnset(k) {
		return invalidRequest("Invalid unset map key")
	}
	if IsUnset(v) {
		return nil
	}
	var path []byte
	if c.Type.Kind == schema.KindList {
		if k == nil {
			return invalidRequest("Invalid null value for list index")
		}
		if len(k) != 4 {
			return invalidRequest("Invalid list index")
		}
		idx := int(int32(binary.BigEndian.Uint32(k)))
		elems := listElements(cur, c)
		if len(elems) == 0 {
			return invalidRequest("Attempted to set an element on a list which is null")
		}
		if idx < 0 || idx >= len(elems) {
			return invalidRequest("List index %d out of bound, list has size %d", idx, len(elems))
		}
		path = elems[idx].Path
	} else {
		if k == nil {
			return invalidRequest("Invalid null map key")
		}
		if path, err = schema.ElementPath(c.Type, k); err != nil {
			return schemaErr("", err)
		}
	}
	if v == nil {
		row.Cells = append(row.Cells, u.tombstone(c.ID, path))
	} else {
		row.Cells = append(row.Cells, u.live(c.ID, path, v))
	}
	return nil
}

// addOp is c = c + v (list append, set union, map put) or c = v + c
// (list prepend).
type addOp struct {
	col     *schema.Column
	v       term
	prepend bool
}

func (o *addOp) column() *schema.Column { return o.col }

func (o *addOp) apply(u *updCtx, row, _ *mutation.Row) error {
	v, err := o.v.eval(u.b)
	if err != nil || v == nil || IsUnset(v) {
		return err
	}
	paths := schema.AppendListPaths
	if o.prepend {
		paths = schema.PrependListPaths
	}
	return u.elementsOf(row, o.col, v, paths)
}

// subOp is c = c - v: set difference, map key removal, list discard.
type subOp struct {
	col *schema.Column
	v   term
}

func (o *subOp) column() *schema.Column { return o.col }

func (o *subOp) apply(u *updCtx, row, cur *mutation.Row) error {
	v, err := o.v.eval(u.b)
	if err != nil || v == nil || IsUnset(v) {
		return err
	}
	c := o.col
	switch c.Type.Kind {
	case schema.KindList:
		drop, err := splitList(v)
		if err != nil {
			return err
		}
		for _, e := range listElements(cur, c) {
			for _, d := range drop {
				if bytes.Equal(e.Value, d) {
					row.Cells = append(row.Cells, u.tombstone(c.ID, e.Path))
					break
				}
			}
		}
		return nil
	case schema.KindSet, schema.KindMap:
		elems, err := schema.CollectionElements(schema.SetOf(c.Type.Key()), v, nil)
		if err != nil {
			return schemaErr("", err)
		}
		for _, e := range elems {
			row.Cells = append(row.Cells, u.tombstone(c.ID, e.Path))
		}
	}
	return nil
}

// deleteOp is one target of DELETE: a column, or an element (key).
type deleteOp struct {
	col *schema.Column
	key term
}

func (o *deleteOp) column() *schema.Column { return o.col }

func (o *deleteOp) apply(u *updCtx, row, cur *mutation.Row) error {
	c := o.col
	if o.key == nil {
		if c.Type.IsMultiCell() {
			row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts))
		} else {
			row.Cells = append(row.Cells, u.tombstone(c.ID, nil))
		}
		return nil
	}
	k, err := o.key.eval(u.b)
	if err != nil {
		return err
	}
	if k == nil {
		return invalidRequest("Invalid null value for %s element", c.Name)
	}
	if IsUnset(k) {
		return invalidRequest("Invalid unset value for %s element", c.Name)
	}
	var path []byte
	if c.Type.Kind == schema.KindList {
		if len(k) != 4 {
			return invalidRequest("Invalid list index")
		}
		idx := int(int32(binary.BigEndian.Uint32(k)))
		elems := listElements(cur, c)
		if len(elems) == 0 {
			return invalidRequest("Attempted to delete an element from a list which is null")
		}
		if idx < 0 || idx >= len(elems) {
			return invalidRequest("List index %d out of bound, list has size %d", idx, len(elems))
		}
		path = elems[idx].Path
	} else if path, err = schema.ElementPath(c.Type, k); err != nil {
		return schemaErr("", err)
	}
	row.Cells = append(row.Cells, u.tombstone(c.ID, path))
	return nil
}

// partBuilder assembles one partition's mutation.
type partBuilder struct {
	p    mutation.Partition
	rows map[string]int
}

func newPartBuilder(k mutation.Key) *partBuilder {
	return &partBuilder{p: mutation.Partition{Key: k, Deletion: mutation.Live}}
}

// row returns the row ck of the partition, added if new. Rows are found by
// a scan while few (a statement usually writes one), by a map beyond.
func (pb *partBuilder) row(ck []byte) *mutation.Row {
	if pb.rows != nil {
		if i, ok := pb.rows[string(ck)]; ok {
			return &pb.p.Rows[i]
		}
		pb.rows[string(ck)] = len(pb.p.Rows)
	} else {
		for i := range pb.p.Rows {
			if bytes.Equal(pb.p.Rows[i].Clustering, ck) {
				return &pb.p.Rows[i]
			}
		}
		if len(pb.p.Rows) == 8 {
			pb.rows = make(map[string]int, 16)
			for i := range pb.p.Rows {
				pb.rows[string(pb.p.Rows[i].Clustering)] = i
			}
			pb.rows[string(ck)] = len(pb.p.Rows)
		}
	}
	pb.p.Rows = append(pb.p.Rows, mutation.NewRow(ck))
	return &pb.p.Rows[len(pb.p.Rows)-1]
}

func (pb *partBuilder) static() *mutation.Row {
	if pb.p.Static == nil {
		r := mutation.NewRow([]byte{})
		pb.p.Static = &r
	}
	return pb.p.Static
}

// finishRow sorts a row's cells in the order mutation requires and keeps
// one version of a cell written twice (the winner, as reconciliation would).
func finishRow(r *mutation.Row) {
	cmp := func(a, b mutation.Cell) int {
		switch {
		case a.Column != b.Column:
			if a.Column < b.Column {
				return -1
			}
			return 1
		case a.IsColumnDeletion() != b.IsColumnDeletion():
			if a.IsColumnDeletion() {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Path, b.Path)
	}
	if !slices.IsSortedFunc(r.Cells, cmp) { // usually they come in column order
		slices.SortStableFunc(r.Cells, cmp)
	}
	out := r.Cells[:0]
	for i := range r.Cells {
		c := r.Cells[i]
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Column == c.Column && last.IsColumnDeletion() == c.IsColumnDeletion() && bytes.Equal(last.Path, c.Path) {
				*last = *mutation.Reconcile(last, &c)
				continue
			}
		}
		out = append(out, c)
	}
	r.Cells = out
}

// finish returns the mutation, its rows sorted by clustering.
func (pb *partBuilder) finish(id mutation.TableID) mutation.Mutation {
	slices.SortFunc(pb.p.Rows, func(a, b mutation.Row) int { return bytes.Compare(a.Clustering, b.Clustering) })
	for i := range pb.p.Rows {
		finishRow(&pb.p.Rows[i])
	}
	if pb.p.Static != nil {
		finishRow(pb.p.Static)
	}
	return mutation.Mutation{Table: id, Partition: pb.p}
}

// evalTimestamp evaluates USING TIMESTAMP; ok is false when it is absent or
// unset.
func evalTimestamp(b *binder, t term) (int64, bool, error) {
	if t == nil {
		return 0, false, nil
	}
	v, err := t.eval(b)
	if err != nil {
		return 0, false, err
	}
	switch {
	case v == nil:
		return 0, false, invalidRequest("Invalid null value of timestamp")
	case IsUnset(v):
		return 0, false, nil
	case len(v) != 8:
		return 0, false, invalidRequest("Invalid timestamp value")
	}
	ts := int64(binary.BigEndian.Uint64(v))
	if ts == mutation.NoTimestamp {
		return 0, false, invalidRequest("Invalid timestamp value %d", ts)
	}
	return ts, true, nil
}

// evalTTL evaluates USING TTL, or gives the table's default.
func evalTTL(b *binder, t term, def int32) (int32, error) {
	if t == nil {
		return def, nil
	}
	v, err := t.eval(b)
	if err != nil {
		return 0, err
	}
	switch {
	case v == nil:
		return 0, invalidRequest("Invalid null value of TTL")
	case IsUnset(v):
		return def, nil
	case len(v) != 4:
		return 0, invalidRequest("Invalid TTL value")
	}
	ttl := int32(binary.BigEndian.Uint32(v))
	if ttl < 0 {
		return 0, invalidRequest("A TTL must be greater or equal to 0, but was %d", ttl)
	}
	if ttl > schema.MaxTTL {
		return 0, invalidRequest("ttl is too large. requested (%d) maximum (%d)", ttl, schema.MaxTTL)
	}
	return ttl, nil
}

// modScratch holds what executing a modification statement needs for
// the common case of one partition and one row, in one allocation.
type modScratch struct {
	b   binder
	u   updCtx
	res Result
	out [1]mutation.Mutation
	row [1]mutation.Row
}

// mutations evaluates the statement into one mutation per partition.
// batchTS is the batch's timestamp, or mutation.NoTimestamp. sc, if not
// nil, provides the storage of the first partition and row.
func (m *modStmt) mutations(ctx context.Context, x *Executor, b *binder, opts *Options, batchTS int64, sc *modScratch) ([]mutation.Mutation, error) {
	var u *updCtx
	if sc != nil {
		u = &sc.u
	} else {
		u = new(updCtx)
	}
	*u = updCtx{b: b, nowSec: floorDiv(x.now(), 1e6)}
	ts, ok, err := evalTimestamp(b, m.ts)
	if err != nil {
		return nil, err
	}
	switch {
	case ok:
		u.ts = ts
	case batchTS != mutation.NoTimestamp:
		u.ts = batchTS
	case opts.Timestamp != mutation.NoTimestamp && opts.Timestamp != 0:
		u.ts = opts.Timestamp
	default:
		u.ts = x.writeTimestamp()
	}
	if u.ttl, err = evalTTL(b, m.ttl, m.t.DefaultTTL); err != nil {
		return nil, err
	}
	keys, err := m.w.partitionKeys(b)
	if err != nil {
		return nil, err
	}
	ck := m.t.Clustering()
	var rows [][]byte
	var ranges []crange
	partitionDelete := false
	switch {
	case len(ck) == 0:
		rows = [][]byte{{}}
		partitionDelete = m.deleteRows
	case m.staticOnly && !m.w.hasClusteringRestrictions():
	case m.kind != kindDelete || m.isFull():
		if rows, err = m.w.fullClusterings(b); err != nil {
			return nil, err
		}
	default:
		if !m.w.hasClusteringRestrictions() {
			partitionDelete = true
		} else if ranges, err = m.w.clusteringRanges(b, len(ck)); err != nil {
			return nil, err
		}
	}
	var out []mutation.Mutation
	if sc != nil && len(keys) == 1 {
		out = sc.out[:0]
	} else {
		out = make([]mutation.Mutation, 0, len(keys))
	}
	for i, k := range keys {
		pb := newPartBuilder(k.key)
		if sc != nil && i == 0 {
			pb.p.Rows = sc.row[:0]
		}
		var cur map[string]*mutation.Row
		var curStatic *mutation.Row
		if m.needsRead {
			if cur, curStatic, err = m.readCurrent(ctx, x, k.key, rows, opts.Consistency); err != nil {
				return nil, err
			}
		}
		del := mutation.Deletion{Timestamp: u.ts, LocalDeletionTime: u.nowSec}
		if m.deleteRows {
			switch {
			case partitionDelete:
				pb.p.Deletion = del
			case ranges != nil:
				for _, r := range ranges {
					start := r.start
					if start == nil {
						start = []byte{}
					}
					pb.p.RangeTombstones = append(pb.p.RangeTombstones, mutation.RangeTombstone{Start: start, End: r.end, Deletion: del})
				}
			default:
				for _, c := range rows {
					pb.row(c).Deletion = del
				}
			}
			out = append(out, pb.finish(m.t.ID))
			continue
		}
		for _, o := range m.ops {
			if o.column().Kind == schema.StaticColumn {
				if err := o.apply(u, pb.static(), curStatic); err != nil {
					return nil, err
				}
			}
		}
		for _, c := range rows {
			if !m.marker && !m.hasRegularOps() {
				break
			}
			row := pb.row(c)
			if row.Cells == nil {
				row.Cells = make([]mutation.Cell, 0, len(m.ops))
			}
			if m.marker {
				row.Liveness = mutation.Liveness{Timestamp: u.ts, ExpiresAt: mutation.NoDeletionTime}
				if u.ttl > 0 {
					row.Liveness.TTL = u.ttl
					row.Liveness.ExpiresAt = u.nowSec + int64(u.ttl)
				}
			}
			for _, o := range m.ops {
				if o.column().Kind != schema.StaticColumn {
					if err := o.apply(u, row, cur[string(c)]); err != nil {
						return nil, err
					}
				}
			}
		}
		mu := pb.finish(m.t.ID)
		if mu.Partition.Static != nil && mu.Partition.Static.IsEmpty() {
			mu.Partition.Static = nil
		}
		mu.Partition.Rows = slices.DeleteFunc(mu.Partition.Rows, func(r mutation.Row) bool { return r.IsEmpty() })
		if mu.Partition.Static == nil && len(mu.Partition.Rows) == 0 && mu.Partition.Deletion.IsLive() && len(mu.Partition.RangeTombstones) == 0 {
			continue
		}
		out = append(out, mu)
	}
	return out, nil
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
	if w.multi != nil {
		return len(w.multi.cols) == len(w.ck) && (w.multi.eq != nil || w.multi.isIn)
	}
	for _, r := range w.ck {
		if r == nil || !r.isEqOrIn() {
			return false
		}
	}
	return true
}

// readCurrent reads the rows (and static row) an operation needs to see
// before writing: list discards and list element assignments.
func (m *modStmt) readCurrent(ctx context.Context, x *Executor, key mutation.Key, rows [][]byte, cl replication.Consistency) (map[string]*mutation.Row, *mutation.Row, error) {
	if cl == replication.Any {
		cl = replication.One
	}
	cmd := replication.ReadCommand{Keyspace: m.ks, Table: m.t.ID, Key: key}
	if len(rows) > 0 {
		cmd.Start = rows[0]
		cmd.End = append(slices.Clip(rows[len(rows)-1]), 0)
	} else {
		cmd.Start, cmd.End = []byte{0}, []byte{0}
	}
	p, err := x.cfg.Coordinator.Read(ctx, cmd, cl)
	if err != nil || p == nil {
		return nil, nil, err
	}
	cur := make(map[string]*mutation.Row, len(p.Rows))
	for i := range p.Rows {
		cur[string(p.Rows[i].Clustering)] = &p.Rows[i]
	}
	return cur, p.Static, nil
}

// run executes the statement on its own.
func (m *modStmt) run(ctx context.Context, x *Executor, _ *Session, opts *Options, values [][]byte) (*Result, error) {
	if err := checkWriteConsistency(opts.Consistency); err != nil {
		return nil, err
	}
	sc := &modScratch{b: binder{x: x, values: values}}
	ms, err := m.mutations(ctx, x, &sc.b, opts, mutation.NoTimestamp, sc)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		if err := x.cfg.Coordinator.Write(ctx, m.ks, ms, opts.Consistency); err != nil {
			return nil, err
		}
	}
	sc.res = Result{Kind: ResultVoid}
	return &sc.res, nil
}

// INSERT JSON.

// jsonDoc is the document of INSERT ... JSON: a constant or a bind marker,
// decoded once per execution into the values of the table's columns.
type jsonDoc struct {
	t            *schema.Table
	doc          term
	defaultUnset bool
}

// jsonField is one column's value in an INSERT JSON document.
type jsonField struct {
	d   *jsonDoc
	col *schema.Column
}

func (f *jsonField) eval(b *binder) ([]byte, error) {
	vals, err := f.d.values(b)
	if err != nil {
		return nil, err
	}
	v, ok := vals[f.col.Name]
	if !ok && f.d.defaultUnset {
		return Unset, nil
	}
	return v, nil
}

// values decodes the document (cached in the binder).
func (d *jsonDoc) values(b *binder) (map[string][]byte, error) {
	if v, ok := b.json[d]; ok {
		return v, nil
	}
	raw, err := d.doc.eval(b)
	if err != nil {
		return nil, err
	}
	if raw == nil || IsUnset(raw) {
		return nil, invalidRequest("Got null for INSERT JSON values")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, invalidRequest("Could not decode JSON string as a map: %v. (String was: %s)", err, raw)
	}
	out := make(map[string][]byte, len(obj))
	for k, jv := range obj {
		name := strings.ToLower(k)
		if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
			name = strings.ReplaceAll(k[1:len(k)-1], `""`, `"`)
		}
		c := d.t.Column(name)
		if c == nil {
			return nil, invalidRequest("JSON values map contains unrecognized column: %s", name)
		}
		v, err := jsonValue(c.Type, jv)
		if err != nil {
			return nil, invalidRequest("Error decoding JSON value for %s: %s", c.Name, ErrorMessage(err))
		}
		out[c.Name] = v
	}
	if b.json == nil {
		b.json = map[*jsonDoc]map[string][]byte{}
	}
	b.json[d] = out
	return out, nil
}

// jsonValue converts a decoded JSON value to a value of type t, as
// Cassandra's fromJSONObject: strings for text, blobs (0x...), dates, times,
// uuids, addresses and durations; numbers or numeric strings for numbers
// and timestamps; arrays for lists, sets and tuples; objects for maps,
// whose keys are decoded as JSON when the key type is not a string type.
func jsonValue(t schema.Type, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	r := receiver{name: "value", typ: t}
	lit := func(kind ast.ConstKind, text string) ([]byte, error) {
		return literalValue(&ast.Constant{Kind: kind, Text: text}, r)
	}
	switch t.Kind {
	case schema.KindAscii, schema.KindText:
		s, ok := v.(string)
		if !ok {
			return nil, invalidRequest("Expected a string, but got %v", v)
		}
		return lit(ast.StringConst, s)
	case schema.KindBlob:
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, "0x") {
			return nil, invalidRequest("Value '%v' is not a valid blob representation: String representation of blob is missing 0x prefix", v)
		}
		return lit(ast.HexConst, s)
	case schema.KindBoolean:
		switch x := v.(type) {
		case bool:
			return lit(ast.BooleanConst, strconv.FormatBool(x))
		case string:
			return lit(ast.BooleanConst, x)
		}
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter,
		schema.KindVarint, schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindTimestamp,
		schema.KindDate, schema.KindTime:
		var text string
		switch x := v.(type) {
		case json.Number:
			text = x.String()
		case string:
			text = x
			if t.Kind == schema.KindTimestamp || t.Kind == schema.KindDate || t.Kind == schema.KindTime {
				return lit(ast.StringConst, x)
			}
		default:
			return nil, invalidRequest("Expected a number, but got %v", v)
		}
		kind := ast.IntegerConst
		if strings.ContainsAny(text, ".eE") || text == "NaN" || strings.HasSuffix(text, "Infinity") {
			kind = ast.FloatConst
		}
		return lit(kind, text)
	case schema.KindUUID, schema.KindTimeuuid:
		if s, ok := v.(string); ok {
			return lit(ast.UUIDConst, s)
		}
	case schema.KindInet:
		if s, ok := v.(string); ok {
			return lit(ast.StringConst, s)
		}
	case schema.KindDuration:
		if s, ok := v.(string); ok {
			return lit(ast.DurationConst, s)
		}
	case schema.KindList, schema.KindSet, schema.KindTuple:
		arr, ok := v.([]any)
		if !ok {
			return nil, invalidRequest("Expected a list, but got %v", v)
		}
		if t.Kind == schema.KindTuple && len(arr) > len(t.Elems) {
			return nil, invalidRequest("Tuple contains extra items (expected %d): %v", len(t.Elems), v)
		}
		vals := make([]any, len(arr))
		for i, e := range arr {
			et := t.Elems[0]
			if t.Kind == schema.KindTuple {
				et = t.Elems[i]
			}
			ev, err := jsonValue(et, e)
			if err != nil {
				return nil, err
			}
			if ev == nil {
				if t.Kind != schema.KindTuple {
					return nil, invalidRequest("Invalid null element in %s", t.Kind)
				}
				continue
			}
			vals[i] = schema.Serialized(ev)
		}
		out, err := schema.Encode(t, vals)
		if err != nil {
			return nil, schemaErr("", err)
		}
		return out, nil
	case schema.KindMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, invalidRequest("Expected a map, but got %v", v)
		}
		entries := make([]schema.MapEntry, 0, len(obj))
		for k, e := range obj {
			var kv any = k
			if kt := t.Key(); kt.Kind != schema.KindText && kt.Kind != schema.KindAscii {
				dec := json.NewDecoder(strings.NewReader(k))
				dec.UseNumber()
				var x any
				if err := dec.Decode(&x); err == nil {
					kv = x
				}
			}
			kb, err := jsonValue(t.Key(), kv)
			if err != nil {
				return nil, err
			}
			vb, err := jsonValue(t.Elem(), e)
			if err != nil {
				return nil, err
			}
			if kb == nil || vb == nil {
				return nil, invalidRequest("Invalid null value in map")
			}
			entries = append(entries, schema.MapEntry{Key: schema.Serialized(kb), Value: schema.Serialized(vb)})
		}
		out, err := schema.Encode(t, entries)
		if err != nil {
			return nil, schemaErr("", err)
		}
		return out, nil
	}
	return nil, invalidRequest("Unable to convert %v to %s", v, t)
}

// analyzeInsertJSON analyzes INSERT ... JSON: every column of the table
// takes its value from the document (null, or unset with DEFAULT UNSET,
// when absent).
func (m *modStmt) analyzeInsertJSON(st *ast.InsertStmt) error {
	if err := m.using(st.Using); err != nil {
		return err
	}
	doc, err := m.an.term(st.JSON, receiver{name: "[json]", typ: typText})
	if err != nil {
		return err
	}
	d := &jsonDoc{t: m.t, doc: doc, defaultUnset: st.DefaultUnset}
	m.w = &where{t: m.t, pk: make([]*colRestr, len(m.t.PartitionKey())), ck: make([]*colRestr, len(m.t.Clustering()))}
	for i := range m.t.Columns {
		c := &m.t.Columns[i]
		f := &jsonField{d: d, col: c}
		switch c.Kind {
		case schema.PartitionKeyColumn, schema.ClusteringColumn:
			m.w.restr(c).eq = f
		default:
			m.ops = append(m.ops, &setOp{col: c, v: f})
		}
	}
	return m.checkKeys(true)
}
