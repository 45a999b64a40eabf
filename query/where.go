package query

// WHERE clauses (shared by SELECT, UPDATE and DELETE).
//
// A WHERE clause is analyzed into restrictions per column: the partition
// key columns (= and IN, or a token() range), the clustering columns (=
// and IN on a prefix, then one slice, or one multi-column relation), and
// the others (filtering). At execution the restrictions become partition
// keys (the cartesian product of the key columns' values, sorted and
// deduplicated as Cassandra does) or a token range (this file), and
// clustering byte ranges (ranges.go).

import (
	"encoding/binary"
	"slices"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/schema"
)

// bound is one end of a slice restriction.
type bound struct {
	t    term
	incl bool
}

// colRestr gathers the restrictions on one column.
type colRestr struct {
	col    *schema.Column
	eq     term
	in     []term // col IN (a, b)
	inList term   // col IN ? (a list)
	isIn   bool
	lo, hi *bound
	// Filtering only.
	contains    []term
	containsKey []term
	elems       []elemEq
}

// elemEq is m[key] = val.
type elemEq struct{ key, val term }

func (r *colRestr) isSlice() bool { return r.lo != nil || r.hi != nil }
func (r *colRestr) isEqOrIn() bool {
	return r.eq != nil || r.isIn
}

// mbound is one end of a multi-column slice over the first n clustering
// columns.
type mbound struct {
	t    term
	n    int
	incl bool
}

// multiRestr is a multi-column relation on clustering columns.
type multiRestr struct {
	cols   []*schema.Column
	eq     term
	in     []term
	inList term
	isIn   bool
	lo, hi *mbound
}

// tokenRestr is token(pk) =, <, <=, >, >=.
type tokenRestr struct {
	eq     term
	lo, hi *bound
}

// where is an analyzed WHERE clause.
type where struct {
	t      *schema.Table
	pk     []*colRestr // by key position; nil entries for unrestricted
	ck     []*colRestr // by clustering position
	multi  *multiRestr
	token  *tokenRestr
	others []*colRestr // static and regular columns, in order of appearance
	// restricted lists every restricted column name, for messages.
	nonPK []string
}

// Statement kinds, as Cassandra names them in messages.
const (
	kindSelect = "SELECT"
	kindInsert = "INSERT"
	kindUpdate = "UPDATE"
	kindDelete = "DELETE"
)

func (w *where) restr(c *schema.Column) *colRestr {
	switch c.Kind {
	case schema.PartitionKeyColumn:
		if w.pk[c.Position] == nil {
			w.pk[c.Position] = &colRestr{col: c}
		}
		return w.pk[c.Position]
	case schema.ClusteringColumn:
		if w.ck[c.Position] == nil {
			w.ck[c.Position] = &colRestr{col: c}
		}
		return w.ck[c.Position]
	}
	for _, o := range w.others {
		if o.col.Name == c.Name {
			return o
		}
	}
	r := &colRestr{col: c}
	w.others = append(w.others, r)
	w.nonPK = append(w.nonPK, c.Name)
	return r
}

func (w *where) hasClusteringRestrictions() bool {
	if w.multi != nil {
		return true
	}
	for _, r := range w.ck {
		if r != nil {
			return true
		}
	}
	return false
}

func (w *where) hasPKRestrictions() bool {
	for _, r := range w.pk {
		if r != nil {
			return true
		}
	}
	return false
}

func (w *where) hasRegularRestrictions() bool {
	for _, o := range w.others {
		if o.col.Kind == schema.RegularColumn {
			return true
		}
	}
	return false
}

// analyzeWhere analyzes the relations of a WHERE clause for a statement of
// the given kind. Rules that depend on the kind of statement (what needs
// filtering, what DML requires) are checked by the callers.
func analyzeWhere(a *analyzer, t *schema.Table, rels []ast.Relation, kind string) (*where, error) {
	w := &where{t: t, pk: make([]*colRestr, len(t.PartitionKey())), ck: make([]*colRestr, len(t.Clustering()))}
	for i := range rels {
		r := &rels[i]
		var err error
		switch r.Kind {
		case ast.RelColumn:
			err = w.addColumn(a, r, kind)
		case ast.RelElement:
			err = w.addElement(a, r, kind)
		case ast.RelTuple:
			err = w.addTuple(a, r)
		case ast.RelToken:
			err = w.addToken(a, r, kind)
		}
		if err != nil {
			return nil, err
		}
	}
	if w.multi != nil {
		for _, c := range w.ck {
			if c != nil {
				return nil, invalidRequest("Mixing single column relations and multi column relations on clustering columns is not allowed")
			}
		}
	}
	return w, nil
}

func (w *where) column(name string) (*schema.Column, error) {
	c := w.t.Column(name)
	if c == nil {
		return nil, invalidRequest("Undefined column name %s", name)
	}
	return c, nil
}

func (w *where) addColumn(a *analyzer, r *ast.Relation, kind string) error {
	c, err := w.column(r.Column)
	if err != nil {
		return err
	}
	switch r.Op {
	case ast.OpIsNotNull:
		return invalidRequest("Unsupported restriction: %s", r)
	case ast.OpLike:
		return invalidRequest("LIKE restriction is only supported on properly indexed columns. %s is not valid.", r)
	case ast.OpNeq:
		return invalidRequest("Unsupported \"!=\" relation: %s", r)
	case ast.OpContains, ast.OpContainsKey:
		if kind == kindUpdate || kind == kindDelete {
			return invalidRequest("Cannot use %s with %s", kind, r.Op)
		}
	}
	cr := w.restr(c)
	switch r.Op {
	case ast.OpEq:
		if c.Type.IsMultiCell() {
			return invalidRequest("Collection column '%s' (%s) cannot be restricted by a '=' relation", c.Name, c.Type)
		}
		if err := cr.mergeEqIn(false); err != nil {
			return err
		}
		v, err := a.term(r.Value, columnReceiver(c))
		if err != nil {
			return err
		}
		cr.eq = v
	case ast.OpIn:
		if c.Type.IsMultiCell() {
			return invalidRequest("Collection column '%s' (%s) cannot be restricted by a 'IN' relation", c.Name, c.Type)
		}
		if err := cr.mergeEqIn(true); err != nil {
			return err
		}
		cr.isIn = true
		if r.Value != nil {
			v, err := a.term(r.Value, receiver{name: "in(" + c.Name + ")", typ: schema.ListOf(c.Type)})
			if err != nil {
				return err
			}
			cr.inList = v
			return nil
		}
		cr.in = []term{}
		for _, iv := range r.InValues {
			v, err := a.term(iv, columnReceiver(c))
			if err != nil {
				return err
			}
			cr.in = append(cr.in, v)
		}
	case ast.OpLt, ast.OpLte, ast.OpGt, ast.OpGte:
		if c.Type.IsMultiCell() {
			return invalidRequest("Collection column '%s' (%s) cannot be restricted by a '%s' relation", c.Name, c.Type, r.Op)
		}
		if cr.eq != nil {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", c.Name)
		}
		if cr.isIn {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes a IN", c.Name)
		}
		v, err := a.term(r.Value, columnReceiver(c))
		if err != nil {
			return err
		}
		b := &bound{t: v, incl: r.Op == ast.OpLte || r.Op == ast.OpGte}
		if r.Op == ast.OpGt || r.Op == ast.OpGte {
			if cr.lo != nil {
				return invalidRequest("More than one restriction was found for the start bound on %s", c.Name)
			}
			cr.lo = b
		} else {
			if cr.hi != nil {
				return invalidRequest("More than one restriction was found for the end bound on %s", c.Name)
			}
			cr.hi = b
		}
	case ast.OpContains:
		if !c.Type.IsCollection() {
			return invalidRequest("Cannot use CONTAINS on non-collection column %s", c.Name)
		}
		v, err := a.term(r.Value, receiver{name: "value(" + c.Name + ")", typ: c.Type.Elem()})
		if err != nil {
			return err
		}
		cr.contains = append(cr.contains, v)
	case ast.OpContainsKey:
		if c.Type.Kind != schema.KindMap {
			return invalidRequest("Cannot use CONTAINS KEY on non-map column %s", c.Name)
		}
		v, err := a.term(r.Value, receiver{name: "key(" + c.Name + ")", typ: c.Type.Key()})
		if err != nil {
			return err
		}
		cr.containsKey = append(cr.containsKey, v)
	default:
		return invalidRequest("Unsupported restriction: %s", r)
	}
	return nil
}

// mergeEqIn checks that an = or IN may join the column's restrictions.
func (r *colRestr) mergeEqIn(in bool) error {
	switch {
	case r.eq != nil:
		return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", r.col.Name)
	case r.isIn:
		return invalidRequest("%s cannot be restricted by more than one relation if it includes a IN", r.col.Name)
	case r.isSlice():
		return invalidRequest("Column \"%s\" cannot be restricted by both an equality and an inequality relation", r.col.Name)
	}
	return nil
}

func (w *where) addElement(a *analyzer, r *ast.Relation, kind string) error {
	c, err := w.column(r.Column)
	if err != nil {
		return err
	}
	switch {
	case c.Type.Kind == schema.KindList:
		return invalidRequest("Indexes on list entries (%s[index] = value) are not currently supported.", c.Name)
	case c.Type.Kind != schema.KindMap:
		return invalidRequest("Column %s cannot be used as a map", c.Name)
	case r.Op != ast.OpEq:
		return invalidRequest("Only EQ relations are supported on map entries")
	case kind == kindUpdate || kind == kindDelete:
		return invalidRequest("Non PRIMARY KEY columns found in where clause: %s ", c.Name)
	}
	k, err := a.term(r.Key, receiver{name: "key(" + c.Name + ")", typ: c.Type.Key()})
	if err != nil {
		return err
	}
	v, err := a.term(r.Value, receiver{name: "value(" + c.Name + ")", typ: c.Type.Elem()})
	if err != nil {
		return err
	}
	cr := w.restr(c)
	cr.elems = append(cr.elems, elemEq{key: k, val: v})
	return nil
}

func (w *where) addTuple(a *analyzer, r *ast.Relation) error {
	var cols []*schema.Column
	for i, name := range r.Columns {
		c, err := w.column(name)
		if err != nil {
			return err
		}
		if c.Kind != schema.ClusteringColumn {
			return invalidRequest("Multi-column relations can only be applied to clustering columns but was applied to: %s", c.Name)
		}
		for _, o := range cols {
			if o.Name == c.Name {
				return invalidRequest("Column \"%s\" appeared twice in a relation: %s", c.Name, r)
			}
		}
		if i > 0 && c.Position != cols[i-1].Position+1 {
			return invalidRequest("Clustering columns must appear in the PRIMARY KEY order in multi-column relations: %s", r)
		}
		cols = append(cols, c)
	}
	if cols[0].Position != 0 {
		ck := w.t.Clustering()
		return invalidRequest("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted",
			cols[0].Name, ck[cols[0].Position-1].Name)
	}
	names := make([]string, len(cols))
	types := make([]schema.Type, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		types[i] = c.Type
	}
	tupleRecv := receiver{name: "(" + strings.Join(names, ",") + ")", typ: schema.TupleOf(types...)}
	value := func(t ast.Term) (term, error) {
		tl, ok := t.(*ast.TupleLit)
		if !ok {
			return a.term(t, tupleRecv)
		}
		if len(tl.Elems) != len(cols) {
			return nil, invalidRequest("Expected %d elements in value tuple, but got %d: %s", len(cols), len(tl.Elems), tl)
		}
		tt := &tupleTerm{typ: tupleRecv.typ}
		for i, e := range tl.Elems {
			et, err := a.term(e, columnReceiver(cols[i]))
			if err != nil {
				return nil, err
			}
			tt.elems = append(tt.elems, et)
		}
		return tt, nil
	}
	m := w.multi
	if m == nil {
		m = &multiRestr{}
		w.multi = m
	}
	if len(cols) > len(m.cols) {
		m.cols = cols
	}
	switch r.Op {
	case ast.OpEq, ast.OpIn:
		if m.eq != nil || m.isIn || m.lo != nil || m.hi != nil {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", names[0])
		}
		if r.Op == ast.OpEq {
			v, err := value(r.Value)
			if err != nil {
				return err
			}
			m.eq = v
			return nil
		}
		m.isIn = true
		if r.Value != nil {
			v, err := a.term(r.Value, receiver{name: "in(" + strings.Join(names, ",") + ")", typ: schema.ListOf(tupleRecv.typ)})
			if err != nil {
				return err
			}
			m.inList = v
			return nil
		}
		m.in = []term{}
		for _, iv := range r.InValues {
			v, err := value(iv)
			if err != nil {
				return err
			}
			m.in = append(m.in, v)
		}
	case ast.OpLt, ast.OpLte, ast.OpGt, ast.OpGte:
		if m.eq != nil || m.isIn {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", names[0])
		}
		v, err := value(r.Value)
		if err != nil {
			return err
		}
		b := &mbound{t: v, n: len(cols), incl: r.Op == ast.OpLte || r.Op == ast.OpGte}
		if r.Op == ast.OpGt || r.Op == ast.OpGte {
			if m.lo != nil {
				return invalidRequest("More than one restriction was found for the start bound on %s", names[0])
			}
			m.lo = b
		} else {
			if m.hi != nil {
				return invalidRequest("More than one restriction was found for the end bound on %s", names[0])
			}
			m.hi = b
		}
	default:
		return invalidRequest("Unsupported multi-column relation: %s", r)
	}
	return nil
}

func (w *where) addToken(a *analyzer, r *ast.Relation, kind string) error {
	if kind != kindSelect {
		return invalidRequest("The token function cannot be used in WHERE clauses for %s statements", kind)
	}
	pk := w.t.PartitionKey()
	var cols []*schema.Column
	for _, name := range r.Columns {
		c, err := w.column(name)
		if err != nil {
			return err
		}
		if c.Kind != schema.PartitionKeyColumn {
			return invalidRequest("The token() function must contains only partition key components")
		}
		for _, o := range cols {
			if o.Name == c.Name {
				return invalidRequest("The token() function contains duplicate partition key components")
			}
		}
		cols = append(cols, c)
	}
	if len(cols) != len(pk) {
		return invalidRequest("The token() function must be applied to all partition key components or none of them")
	}
	for i, c := range cols {
		if c.Position != i {
			names := make([]string, len(pk))
			for j := range pk {
				names[j] = pk[j].Name
			}
			return invalidRequest("The token function arguments must be in the partition key order: %s", strings.Join(names, ", "))
		}
	}
	var v term
	var err error
	if f, ok := r.Value.(*ast.FunctionCall); ok && strings.ToLower(f.Name) == "token" && (f.Keyspace == "" || f.Keyspace == "system") {
		v, err = a.tokenTermFor(f, pk)
	} else {
		v, err = a.term(r.Value, receiver{name: "partition key token", typ: typBigint})
	}
	if err != nil {
		return err
	}
	tr := w.token
	if tr == nil {
		tr = &tokenRestr{}
		w.token = tr
	}
	switch r.Op {
	case ast.OpEq:
		if tr.eq != nil || tr.lo != nil || tr.hi != nil {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		tr.eq = v
	case ast.OpGt, ast.OpGte:
		if tr.eq != nil {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		if tr.lo != nil {
			return invalidRequest("More than one restriction was found for the start bound on %s", tokenName(pk))
		}
		tr.lo = &bound{t: v, incl: r.Op == ast.OpGte}
	case ast.OpLt, ast.OpLte:
		if tr.eq != nil {
			return invalidRequest("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		if tr.hi != nil {
			return invalidRequest("More than one restriction was found for the end bound on %s", tokenName(pk))
		}
		tr.hi = &bound{t: v, incl: r.Op == ast.OpLte}
	default:
		return invalidRequest("Unsupported restriction: %s", r)
	}
	return nil
}

func tokenName(pk []schema.Column) string {
	names := make([]string, len(pk))
	for i := range pk {
		names[i] = pk[i].Name
	}
	return "token(" + strings.Join(names, ", ") + ")"
}

// Binding.

// keyValue evaluates a restriction value on a primary key column: null and
// unset are refused, as is a value too long for a key.
func keyValue(b *binder, t term, c *schema.Column) ([]byte, error) {
	v, err := t.eval(b)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, invalidRequest("Invalid null value in condition for column %s", c.Name)
	}
	if IsUnset(v) {
		return nil, invalidRequest("Invalid unset value for column %s", c.Name)
	}
	if err := checkKeyComponent(v); err != nil {
		return nil, err
	}
	return v, nil
}

// splitList returns the elements of a serialized list (or set).
func splitList(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, invalidRequest("Not enough bytes to read a list")
	}
	n := int(int32(binary.BigEndian.Uint32(b)))
	b = b[4:]
	if n < 0 || n > len(b)/4 {
		return nil, invalidRequest("Invalid list size %d", n)
	}
	out, err := splitLengthPrefixed(b, n, "list element")
	return out, err
}

// splitTupleValue returns the fields of a serialized tuple (nil for null),
// padded to n fields.
func splitTupleValue(b []byte, n int) ([][]byte, error) {
	out, err := splitLengthPrefixed(b, -1, "tuple field")
	for err == nil && len(out) < n {
		out = append(out, nil)
	}
	return out, err
}

// splitLengthPrefixed reads [int length][bytes] values (a negative length is null)
// from b: n of them, or all of b when n < 0.
func splitLengthPrefixed(b []byte, n int, what string) ([][]byte, error) {
	out := make([][]byte, 0, max(n, 0))
	for n < 0 && len(b) > 0 || len(out) < n {
		if len(b) < 4 {
			return nil, invalidRequest("Not enough bytes to read a %s", what)
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			out = append(out, nil)
			continue
		}
		if int(l) > len(b) {
			return nil, invalidRequest("Not enough bytes to read a %s", what)
		}
		out = append(out, b[:l:l])
		b = b[l:]
	}
	return out, nil
}

// values returns the values an = or IN restriction on a key column allows,
// in the order given.
func (r *colRestr) values(b *binder) ([][]byte, error) {
	if r.eq != nil {
		v, err := keyValue(b, r.eq, r.col)
		if err != nil {
			return nil, err
		}
		return [][]byte{v}, nil
	}
	if r.inList != nil {
		l, err := r.inList.eval(b)
		if err != nil {
			return nil, err
		}
		if l == nil {
			return nil, invalidRequest("Invalid null value for IN restriction")
		}
		if IsUnset(l) {
			return nil, invalidRequest("Invalid unset value for IN restriction")
		}
		vals, err := splitList(l)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			if v == nil {
				return nil, invalidRequest("Invalid null value in condition for column %s", r.col.Name)
			}
			if err := checkKeyComponent(v); err != nil {
				return nil, err
			}
		}
		return vals, nil
	}
	out := make([][]byte, 0, len(r.in))
	for _, t := range r.in {
		v, err := keyValue(b, t, r.col)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// partKey is a partition key with its component values.
type partKey struct {
	key  mutation.Key
	vals [][]byte
}

// partitionKeys returns the partitions the key restrictions select (each
// key column restricted by = or IN): the cartesian product, sorted by the
// key columns' types and without duplicates, as Cassandra does.
func (w *where) partitionKeys(b *binder) ([]partKey, error) {
	if len(w.pk) == 1 && w.pk[0].eq != nil {
		// One key column, restricted by =: one allocation.
		v, err := keyValue(b, w.pk[0].eq, w.pk[0].col)
		if err != nil {
			return nil, err
		}
		one := &struct {
			k [1]partKey
			v [1][]byte
		}{v: [1][]byte{v}}
		k, err := partitionKey(one.v[:])
		if err != nil {
			return nil, err
		}
		one.k[0] = partKey{key: k, vals: one.v[:]}
		return one.k[:], nil
	}
	combos := [][][]byte{{}}
	for i, r := range w.pk {
		vals, err := r.values(b)
		if err != nil {
			return nil, err
		}
		if len(combos) == 1 && len(vals) == 1 {
			// The common case, every column restricted by =: one key,
			// nothing to multiply or sort.
			if i == 0 {
				combos[0] = make([][]byte, 0, len(w.pk))
			}
			combos[0] = append(combos[0], vals[0])
			continue
		}
		if err := checkCombinations(len(combos) * len(vals)); err != nil {
			return nil, err
		}
		next := make([][][]byte, 0, len(combos)*len(vals))
		for _, c := range combos {
			for _, v := range vals {
				next = append(next, append(slices.Clip(c), v))
			}
		}
		combos = next
	}
	if len(combos) > 1 {
		pk := w.t.PartitionKey()
		slices.SortStableFunc(combos, func(x, y [][]byte) int { return compareValues(pk, x, y) })
		combos = slices.CompactFunc(combos, func(x, y [][]byte) bool { return compareValues(pk, x, y) == 0 })
	}
	out := make([]partKey, 0, len(combos))
	for _, c := range combos {
		k, err := partitionKey(c)
		if err != nil {
			return nil, err
		}
		out = append(out, partKey{key: k, vals: c})
	}
	return out, nil
}

// MaxInCombinations bounds the keys (or clustering prefixes) the IN
// restrictions of one statement may select: each is a separate read or
// write, and an unbounded product of IN lists would let one request hold a
// node.
const MaxInCombinations = 65535

func checkCombinations(n int) error {
	if n > MaxInCombinations {
		return invalidRequest("IN restrictions select %d combinations of values, more than the limit of %d", n, MaxInCombinations)
	}
	return nil
}

// compareValues compares two tuples of values of the given columns.
func compareValues(cols []schema.Column, x, y [][]byte) int {
	for i := range x {
		if c := schema.Compare(cols[i].Type, x[i], y[i]); c != 0 {
			return c
		}
	}
	return 0
}
