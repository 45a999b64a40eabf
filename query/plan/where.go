package plan

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
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// bound is one end of a slice restriction.
type bound struct {
	t    Term
	incl bool
}

// Restriction gathers the restrictions on one column.
type Restriction struct {
	col    *schema.Column
	Eq     Term
	in     []Term // col IN (a, b)
	inList Term   // col IN ? (a list)
	isIn   bool
	lo, hi *bound
	// Filtering only.
	contains    []Term
	containsKey []Term
	elems       []elemEq
}

// elemEq is m[key] = val.
type elemEq struct{ key, val Term }

// IsSlice reports whether the column has a lower or upper bound.
func (r *Restriction) IsSlice() bool { return r.lo != nil || r.hi != nil }

// IsEq reports whether the column is restricted by = (not IN).
func (r *Restriction) IsEq() bool { return r != nil && r.Eq != nil && !r.isIn }

// IsEqOrIn reports whether the column is restricted by = or IN.
func (r *Restriction) IsEqOrIn() bool {
	return r.Eq != nil || r.isIn
}

// mbound is one end of a multi-column slice over the first n clustering
// columns.
type mbound struct {
	t    Term
	n    int
	incl bool
}

// MultiRestriction is a multi-column relation on clustering columns.
type MultiRestriction struct {
	Cols   []*schema.Column
	Eq     Term
	in     []Term
	inList Term
	IsIn   bool
	lo, hi *mbound
}

// IsSlice reports whether the relation is a slice (has a lower or upper
// bound).
func (m *MultiRestriction) IsSlice() bool { return m.lo != nil || m.hi != nil }

// tokenRestr is token(pk) =, <, <=, >, >=.
type tokenRestr struct {
	eq     Term
	lo, hi *bound
}

// Where is an analyzed WHERE clause.
type Where struct {
	t      *schema.Table
	PK     []*Restriction // by key position; nil entries for unrestricted
	CK     []*Restriction // by clustering position
	Multi  *MultiRestriction
	token  *tokenRestr
	Others []*Restriction // static and regular columns, in order of appearance
	// NonPK lists the restricted columns outside the primary key, for
	// messages.
	NonPK []string
}

// HasToken reports whether the partition key is restricted by token().
func (w *Where) HasToken() bool { return w.token != nil }

// Statement kinds, as Cassandra names them in messages.
const (
	KindSelect = "SELECT"
	KindInsert = "INSERT"
	KindUpdate = "UPDATE"
	KindDelete = "DELETE"
)

// NewWhere returns a WHERE clause on t without restrictions.
func NewWhere(t *schema.Table) *Where {
	return &Where{t: t, PK: make([]*Restriction, len(t.PartitionKey())), CK: make([]*Restriction, len(t.Clustering()))}
}

// Restriction returns the restrictions on column c, added if new.
func (w *Where) Restriction(c *schema.Column) *Restriction {
	switch c.Kind {
	case schema.PartitionKeyColumn:
		if w.PK[c.Position] == nil {
			w.PK[c.Position] = &Restriction{col: c}
		}
		return w.PK[c.Position]
	case schema.ClusteringColumn:
		if w.CK[c.Position] == nil {
			w.CK[c.Position] = &Restriction{col: c}
		}
		return w.CK[c.Position]
	}
	for _, o := range w.Others {
		if o.col.Name == c.Name {
			return o
		}
	}
	r := &Restriction{col: c}
	w.Others = append(w.Others, r)
	w.NonPK = append(w.NonPK, c.Name)
	return r
}

// HasClusteringRestrictions reports whether a clustering column is
// restricted.
func (w *Where) HasClusteringRestrictions() bool {
	if w.Multi != nil {
		return true
	}
	for _, r := range w.CK {
		if r != nil {
			return true
		}
	}
	return false
}

func (w *Where) hasPKRestrictions() bool {
	for _, r := range w.PK {
		if r != nil {
			return true
		}
	}
	return false
}

func (w *Where) hasRegularRestrictions() bool {
	for _, o := range w.Others {
		if o.col.Kind == schema.RegularColumn {
			return true
		}
	}
	return false
}

// AnalyzeWhere analyzes the relations of a WHERE clause for a statement of
// the given kind. Rules that depend on the kind of statement (what needs
// filtering, what DML requires) are checked by the callers.
func AnalyzeWhere(a *Analyzer, t *schema.Table, rels []ast.Relation, kind string) (*Where, error) {
	w := NewWhere(t)
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
	if w.Multi != nil {
		for _, c := range w.CK {
			if c != nil {
				return nil, qerr.Invalidf("Mixing single column relations and multi column relations on clustering columns is not allowed")
			}
		}
	}
	return w, nil
}

func (w *Where) column(name string) (*schema.Column, error) {
	c := w.t.Column(name)
	if c == nil {
		return nil, qerr.Invalidf("Undefined column name %s", name)
	}
	return c, nil
}

func (w *Where) addColumn(a *Analyzer, r *ast.Relation, kind string) error {
	c, err := w.column(r.Column)
	if err != nil {
		return err
	}
	switch r.Op {
	case ast.OpIsNotNull:
		return qerr.Invalidf("Unsupported restriction: %s", r)
	case ast.OpLike:
		return qerr.Invalidf("LIKE restriction is only supported on properly indexed columns. %s is not valid.", r)
	case ast.OpNeq:
		return qerr.Invalidf("Unsupported \"!=\" relation: %s", r)
	case ast.OpContains, ast.OpContainsKey:
		if kind == KindUpdate || kind == KindDelete {
			return qerr.Invalidf("Cannot use %s with %s", kind, r.Op)
		}
	}
	cr := w.Restriction(c)
	switch r.Op {
	case ast.OpEq:
		if c.Type.IsMultiCell() {
			return qerr.Invalidf("Collection column '%s' (%s) cannot be restricted by a '=' relation", c.Name, c.Type)
		}
		if err := cr.mergeEqIn(false); err != nil {
			return err
		}
		v, err := a.Term(r.Value, term.ColumnReceiver(c))
		if err != nil {
			return err
		}
		cr.Eq = v
	case ast.OpIn:
		if c.Type.IsMultiCell() {
			return qerr.Invalidf("Collection column '%s' (%s) cannot be restricted by a 'IN' relation", c.Name, c.Type)
		}
		if err := cr.mergeEqIn(true); err != nil {
			return err
		}
		cr.isIn = true
		if r.Value != nil {
			v, err := a.Term(r.Value, Receiver{Name: "in(" + c.Name + ")", Type: schema.ListOf(c.Type)})
			if err != nil {
				return err
			}
			cr.inList = v
			return nil
		}
		cr.in = []Term{}
		for _, iv := range r.InValues {
			v, err := a.Term(iv, term.ColumnReceiver(c))
			if err != nil {
				return err
			}
			cr.in = append(cr.in, v)
		}
	case ast.OpLt, ast.OpLte, ast.OpGt, ast.OpGte:
		if c.Type.IsMultiCell() {
			return qerr.Invalidf("Collection column '%s' (%s) cannot be restricted by a '%s' relation", c.Name, c.Type, r.Op)
		}
		if cr.Eq != nil {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", c.Name)
		}
		if cr.isIn {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes a IN", c.Name)
		}
		v, err := a.Term(r.Value, term.ColumnReceiver(c))
		if err != nil {
			return err
		}
		b := &bound{t: v, incl: r.Op == ast.OpLte || r.Op == ast.OpGte}
		if r.Op == ast.OpGt || r.Op == ast.OpGte {
			if cr.lo != nil {
				return qerr.Invalidf("More than one restriction was found for the start bound on %s", c.Name)
			}
			cr.lo = b
		} else {
			if cr.hi != nil {
				return qerr.Invalidf("More than one restriction was found for the end bound on %s", c.Name)
			}
			cr.hi = b
		}
	case ast.OpContains:
		if !c.Type.IsCollection() {
			return qerr.Invalidf("Cannot use CONTAINS on non-collection column %s", c.Name)
		}
		v, err := a.Term(r.Value, Receiver{Name: "value(" + c.Name + ")", Type: c.Type.Elem()})
		if err != nil {
			return err
		}
		cr.contains = append(cr.contains, v)
	case ast.OpContainsKey:
		if c.Type.Kind != schema.KindMap {
			return qerr.Invalidf("Cannot use CONTAINS KEY on non-map column %s", c.Name)
		}
		v, err := a.Term(r.Value, Receiver{Name: "key(" + c.Name + ")", Type: c.Type.Key()})
		if err != nil {
			return err
		}
		cr.containsKey = append(cr.containsKey, v)
	default:
		return qerr.Invalidf("Unsupported restriction: %s", r)
	}
	return nil
}

// mergeEqIn checks that an = or IN may join the column's restrictions.
func (r *Restriction) mergeEqIn(in bool) error {
	switch {
	case r.Eq != nil:
		return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", r.col.Name)
	case r.isIn:
		return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes a IN", r.col.Name)
	case r.IsSlice():
		return qerr.Invalidf("Column \"%s\" cannot be restricted by both an equality and an inequality relation", r.col.Name)
	}
	return nil
}

func (w *Where) addElement(a *Analyzer, r *ast.Relation, kind string) error {
	c, err := w.column(r.Column)
	if err != nil {
		return err
	}
	switch {
	case c.Type.Kind == schema.KindList:
		return qerr.Invalidf("Indexes on list entries (%s[index] = value) are not currently supported.", c.Name)
	case c.Type.Kind != schema.KindMap:
		return qerr.Invalidf("Column %s cannot be used as a map", c.Name)
	case r.Op != ast.OpEq:
		return qerr.Invalidf("Only EQ relations are supported on map entries")
	case kind == KindUpdate || kind == KindDelete:
		return qerr.Invalidf("Non PRIMARY KEY columns found in where clause: %s ", c.Name)
	}
	k, err := a.Term(r.Key, Receiver{Name: "key(" + c.Name + ")", Type: c.Type.Key()})
	if err != nil {
		return err
	}
	v, err := a.Term(r.Value, Receiver{Name: "value(" + c.Name + ")", Type: c.Type.Elem()})
	if err != nil {
		return err
	}
	cr := w.Restriction(c)
	cr.elems = append(cr.elems, elemEq{key: k, val: v})
	return nil
}

func (w *Where) addTuple(a *Analyzer, r *ast.Relation) error {
	var cols []*schema.Column
	for i, name := range r.Columns {
		c, err := w.column(name)
		if err != nil {
			return err
		}
		if c.Kind != schema.ClusteringColumn {
			return qerr.Invalidf("Multi-column relations can only be applied to clustering columns but was applied to: %s", c.Name)
		}
		for _, o := range cols {
			if o.Name == c.Name {
				return qerr.Invalidf("Column \"%s\" appeared twice in a relation: %s", c.Name, r)
			}
		}
		if i > 0 && c.Position != cols[i-1].Position+1 {
			return qerr.Invalidf("Clustering columns must appear in the PRIMARY KEY order in multi-column relations: %s", r)
		}
		cols = append(cols, c)
	}
	if cols[0].Position != 0 {
		ck := w.t.Clustering()
		return qerr.Invalidf("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted",
			cols[0].Name, ck[cols[0].Position-1].Name)
	}
	names := make([]string, len(cols))
	types := make([]schema.Type, len(cols))
	for i, c := range cols {
		names[i] = c.Name
		types[i] = c.Type
	}
	tupleRecv := Receiver{Name: "(" + strings.Join(names, ",") + ")", Type: schema.TupleOf(types...)}
	value := func(t ast.Term) (Term, error) {
		tl, ok := t.(*ast.TupleLit)
		if !ok {
			return a.Term(t, tupleRecv)
		}
		if len(tl.Elems) != len(cols) {
			return nil, qerr.Invalidf("Expected %d elements in value tuple, but got %d: %s", len(cols), len(tl.Elems), tl)
		}
		elems := make([]Term, len(tl.Elems))
		for i, e := range tl.Elems {
			et, err := a.Term(e, term.ColumnReceiver(cols[i]))
			if err != nil {
				return nil, err
			}
			elems[i] = et
		}
		return term.Tuple(tupleRecv.Type, elems), nil
	}
	m := w.Multi
	if m == nil {
		m = &MultiRestriction{}
		w.Multi = m
	}
	if len(cols) > len(m.Cols) {
		m.Cols = cols
	}
	switch r.Op {
	case ast.OpEq, ast.OpIn:
		if m.Eq != nil || m.IsIn || m.lo != nil || m.hi != nil {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", names[0])
		}
		if r.Op == ast.OpEq {
			v, err := value(r.Value)
			if err != nil {
				return err
			}
			m.Eq = v
			return nil
		}
		m.IsIn = true
		if r.Value != nil {
			v, err := a.Term(r.Value, Receiver{Name: "in(" + strings.Join(names, ",") + ")", Type: schema.ListOf(tupleRecv.Type)})
			if err != nil {
				return err
			}
			m.inList = v
			return nil
		}
		m.in = []Term{}
		for _, iv := range r.InValues {
			v, err := value(iv)
			if err != nil {
				return err
			}
			m.in = append(m.in, v)
		}
	case ast.OpLt, ast.OpLte, ast.OpGt, ast.OpGte:
		if m.Eq != nil || m.IsIn {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", names[0])
		}
		v, err := value(r.Value)
		if err != nil {
			return err
		}
		b := &mbound{t: v, n: len(cols), incl: r.Op == ast.OpLte || r.Op == ast.OpGte}
		if r.Op == ast.OpGt || r.Op == ast.OpGte {
			if m.lo != nil {
				return qerr.Invalidf("More than one restriction was found for the start bound on %s", names[0])
			}
			m.lo = b
		} else {
			if m.hi != nil {
				return qerr.Invalidf("More than one restriction was found for the end bound on %s", names[0])
			}
			m.hi = b
		}
	default:
		return qerr.Invalidf("Unsupported multi-column relation: %s", r)
	}
	return nil
}

func (w *Where) addToken(a *Analyzer, r *ast.Relation, kind string) error {
	if kind != KindSelect {
		return qerr.Invalidf("The token function cannot be used in WHERE clauses for %s statements", kind)
	}
	pk := w.t.PartitionKey()
	var cols []*schema.Column
	for _, name := range r.Columns {
		c, err := w.column(name)
		if err != nil {
			return err
		}
		if c.Kind != schema.PartitionKeyColumn {
			return qerr.Invalidf("The token() function must contains only partition key components")
		}
		for _, o := range cols {
			if o.Name == c.Name {
				return qerr.Invalidf("The token() function contains duplicate partition key components")
			}
		}
		cols = append(cols, c)
	}
	if len(cols) != len(pk) {
		return qerr.Invalidf("The token() function must be applied to all partition key components or none of them")
	}
	for i, c := range cols {
		if c.Position != i {
			names := make([]string, len(pk))
			for j := range pk {
				names[j] = pk[j].Name
			}
			return qerr.Invalidf("The token function arguments must be in the partition key order: %s", strings.Join(names, ", "))
		}
	}
	var v Term
	var err error
	if f, ok := r.Value.(*ast.FunctionCall); ok && strings.ToLower(f.Name) == "token" && (f.Keyspace == "" || f.Keyspace == "system") {
		v, err = a.TokenTermFor(f, pk)
	} else {
		v, err = a.Term(r.Value, Receiver{Name: "partition key token", Type: typBigint})
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
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		tr.eq = v
	case ast.OpGt, ast.OpGte:
		if tr.eq != nil {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		if tr.lo != nil {
			return qerr.Invalidf("More than one restriction was found for the start bound on %s", tokenName(pk))
		}
		tr.lo = &bound{t: v, incl: r.Op == ast.OpGte}
	case ast.OpLt, ast.OpLte:
		if tr.eq != nil {
			return qerr.Invalidf("%s cannot be restricted by more than one relation if it includes an Equal", tokenName(pk))
		}
		if tr.hi != nil {
			return qerr.Invalidf("More than one restriction was found for the end bound on %s", tokenName(pk))
		}
		tr.hi = &bound{t: v, incl: r.Op == ast.OpLte}
	default:
		return qerr.Invalidf("Unsupported restriction: %s", r)
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
func keyValue(b *Binder, t Term, c *schema.Column) ([]byte, error) {
	v, err := t.Eval(b)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, qerr.Invalidf("Invalid null value in condition for column %s", c.Name)
	}
	if term.IsUnset(v) {
		return nil, qerr.Invalidf("Invalid unset value for column %s", c.Name)
	}
	if err := catalog.CheckKeyComponent(v); err != nil {
		return nil, err
	}
	return v, nil
}

// SplitList returns the elements of a serialized list (or set).
func SplitList(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, qerr.Invalidf("Not enough bytes to read a list")
	}
	n := int(int32(binary.BigEndian.Uint32(b)))
	b = b[4:]
	if n < 0 || n > len(b)/4 {
		return nil, qerr.Invalidf("Invalid list size %d", n)
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
			return nil, qerr.Invalidf("Not enough bytes to read a %s", what)
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			out = append(out, nil)
			continue
		}
		if int(l) > len(b) {
			return nil, qerr.Invalidf("Not enough bytes to read a %s", what)
		}
		out = append(out, b[:l:l])
		b = b[l:]
	}
	return out, nil
}

// values returns the values an = or IN restriction on a key column allows,
// in the order given.
func (r *Restriction) values(b *Binder) ([][]byte, error) {
	if r.Eq != nil {
		v, err := keyValue(b, r.Eq, r.col)
		if err != nil {
			return nil, err
		}
		return [][]byte{v}, nil
	}
	if r.inList != nil {
		l, err := r.inList.Eval(b)
		if err != nil {
			return nil, err
		}
		if l == nil {
			return nil, qerr.Invalidf("Invalid null value for IN restriction")
		}
		if term.IsUnset(l) {
			return nil, qerr.Invalidf("Invalid unset value for IN restriction")
		}
		vals, err := SplitList(l)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			if v == nil {
				return nil, qerr.Invalidf("Invalid null value in condition for column %s", r.col.Name)
			}
			if err := catalog.CheckKeyComponent(v); err != nil {
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

// PartKey is a partition key with its component values.
type PartKey struct {
	Key  mutation.Key
	Vals [][]byte
}

// PartitionKeys returns the partitions the key restrictions select (each
// key column restricted by = or IN): the cartesian product, sorted by the
// key columns' types and without duplicates, as Cassandra does.
func (w *Where) PartitionKeys(b *Binder) ([]PartKey, error) {
	if len(w.PK) == 1 && w.PK[0].Eq != nil {
		// One key column, restricted by =: one allocation.
		v, err := keyValue(b, w.PK[0].Eq, w.PK[0].col)
		if err != nil {
			return nil, err
		}
		one := &struct {
			k [1]PartKey
			v [1][]byte
		}{v: [1][]byte{v}}
		k, err := catalog.PartitionKey(one.v[:])
		if err != nil {
			return nil, err
		}
		one.k[0] = PartKey{Key: k, Vals: one.v[:]}
		return one.k[:], nil
	}
	combos := [][][]byte{{}}
	for i, r := range w.PK {
		vals, err := r.values(b)
		if err != nil {
			return nil, err
		}
		if len(combos) == 1 && len(vals) == 1 {
			// The common case, every column restricted by =: one key,
			// nothing to multiply or sort.
			if i == 0 {
				combos[0] = make([][]byte, 0, len(w.PK))
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
	out := make([]PartKey, 0, len(combos))
	for _, c := range combos {
		k, err := catalog.PartitionKey(c)
		if err != nil {
			return nil, err
		}
		out = append(out, PartKey{Key: k, Vals: c})
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
		return qerr.Invalidf("IN restrictions select %d combinations of values, more than the limit of %d", n, MaxInCombinations)
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

// CheckClusteringOrder checks that the clustering restrictions form a
// prefix (=/IN columns, then at most one slice); with allowFiltering the
// columns past the prefix are filtered instead.
func CheckClusteringOrder(w *Where, allowFiltering bool) error {
	if w.Multi != nil || allowFiltering {
		return nil
	}
	ck := w.t.Clustering()
	sliceAt := -1
	for i, r := range w.CK {
		if r == nil {
			continue
		}
		if sliceAt >= 0 {
			return qerr.Invalidf("Clustering column \"%s\" cannot be restricted (preceding column \"%s\" is restricted by a non-EQ relation)",
				ck[i].Name, ck[sliceAt].Name)
		}
		if i > 0 && w.CK[i-1] == nil {
			return qerr.Invalidf("PRIMARY KEY column \"%s\" cannot be restricted as preceding column \"%s\" is not restricted",
				ck[i].Name, ck[i-1].Name)
		}
		if r.IsSlice() {
			sliceAt = i
		}
		if len(r.contains) > 0 || len(r.containsKey) > 0 {
			return qerr.Invalidf("Clustering columns can only be restricted with CONTAINS with a secondary index or filtering")
		}
	}
	return nil
}
