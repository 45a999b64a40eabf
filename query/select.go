package query

// WHERE clauses (shared by SELECT, UPDATE and DELETE) and SELECT.
//
// A WHERE clause is analyzed into restrictions per column: the partition
// key columns (= and IN, or a token() range), the clustering columns (=
// and IN on a prefix, then one slice, or one multi-column relation), and
// the others (filtering). At execution the restrictions become partition
// keys (the cartesian product of the key columns' values, sorted and
// deduplicated as Cassandra does) or a token range, and clustering byte
// ranges: [start, end) on the byte-comparable clustering encoding, sorted
// and disjoint, so that mixed ASC/DESC columns and multi-column slices such
// as (c1, c2) > (1, 2) read exactly the rows Cassandra returns, in table
// order (backwards for a reversed read).

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/ring"
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
	if len(v) > ring.MaxComponentLen {
		return nil, invalidRequest("Key length of %d is longer than maximum of %d", len(v), ring.MaxComponentLen)
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
			if len(v) > ring.MaxComponentLen {
				return nil, invalidRequest("Key length of %d is longer than maximum of %d", len(v), ring.MaxComponentLen)
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

// makePartitionKey builds the decorated key of a partition from its
// components, refusing an empty key as Cassandra does.
func makePartitionKey(vals [][]byte) (mutation.Key, error) {
	var kb []byte
	if len(vals) == 1 {
		// A single-column key is its value, not copied: bound values
		// are the request's own memory, never reused once the request
		// is decoded (the protocol layer allocates each frame's body).
		kb = vals[0]
		if kb == nil {
			kb = []byte{}
		}
	} else {
		kb = ring.CompositeKey(vals...)
	}
	if len(kb) == 0 {
		return mutation.Key{}, invalidRequest("Key may not be empty")
	}
	if len(kb) > ring.MaxComponentLen {
		return mutation.Key{}, invalidRequest("Key length of %d is longer than maximum of %d", len(kb), ring.MaxComponentLen)
	}
	return mutation.Key{Token: ring.Murmur3(kb), Bytes: kb}, nil
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
		k, err := makePartitionKey(one.v[:])
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
		k, err := makePartitionKey(c)
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

// Clustering ranges.

// crange is a clustering range [start, end); a nil start or end is open.
type crange struct{ start, end []byte }

func cmpStart(a, b []byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return bytes.Compare(a, b)
}

func cmpEnd(a, b []byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}

// empty reports whether r holds no key.
func (r crange) empty() bool {
	return r.start != nil && r.end != nil && bytes.Compare(r.start, r.end) >= 0
}

// contains reports whether c lies in r.
func (r crange) contains(c []byte) bool {
	return (r.start == nil || bytes.Compare(c, r.start) >= 0) && (r.end == nil || bytes.Compare(c, r.end) < 0)
}

// normalizeRanges sorts ranges and merges the overlapping and adjacent
// ones, dropping empty ones.
func normalizeRanges(rs []crange) []crange {
	rs = slices.DeleteFunc(rs, crange.empty)
	slices.SortFunc(rs, func(a, b crange) int { return cmpStart(a.start, b.start) })
	var out []crange
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.end == nil || (r.start != nil && bytes.Compare(r.start, last.end) <= 0) {
				if cmpEnd(r.end, last.end) > 0 {
					last.end = r.end
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// intersectRanges intersects two normalized range lists.
func intersectRanges(a, b []crange) []crange {
	var out []crange
	for _, x := range a {
		for _, y := range b {
			r := crange{start: x.start, end: x.end}
			if cmpStart(y.start, r.start) > 0 {
				r.start = y.start
			}
			if cmpEnd(y.end, r.end) < 0 {
				r.end = y.end
			}
			if !r.empty() {
				out = append(out, r)
			}
		}
	}
	return normalizeRanges(out)
}

// prefixRange is the range of keys with clustering prefix p.
func prefixRange(p []byte) crange {
	if len(p) == 0 {
		return crange{}
	}
	return crange{start: p, end: mutation.PrefixEnd(p)}
}

// sliceRange returns the range, inside prefix p, of the rows whose next
// clustering column (type t, descending if desc) satisfies the bounds lo
// and hi (either may be nil), by value as CQL compares.
func sliceRange(p []byte, t schema.Type, desc bool, lo, hi []byte, loIncl, hiIncl bool, hasLo, hasHi bool) crange {
	pr := prefixRange(p)
	r := pr
	enc := func(v []byte) []byte {
		return schema.AppendComparable(slices.Clip(p), t, v, desc)
	}
	// In byte order an ascending column's lower bound is a start; a
	// descending column's lower bound is an end.
	if hasLo {
		k := enc(lo)
		if !desc {
			if loIncl {
				r.start = k
			} else {
				r.start = mutation.PrefixEnd(k)
			}
		} else {
			if loIncl {
				r.end = mutation.PrefixEnd(k)
			} else {
				r.end = k
			}
		}
	}
	if hasHi {
		k := enc(hi)
		if !desc {
			if hiIncl {
				r.end = mutation.PrefixEnd(k)
			} else {
				r.end = k
			}
		} else {
			if hiIncl {
				r.start = k
			} else {
				r.start = mutation.PrefixEnd(k)
			}
		}
	}
	if r.start == nil && pr.start != nil {
		r.start = pr.start
	}
	return r
}

// ckValue evaluates a clustering value (null and unset refused) and
// normalizes it.
func ckValue(b *binder, t term, c *schema.Column) ([]byte, error) {
	v, err := keyValue(b, t, c)
	if err != nil {
		return nil, err
	}
	nv, err := schema.Normalize(c.Type, v)
	if err != nil {
		return nil, schemaErr("", err)
	}
	return nv, nil
}

// clusteringPrefixes returns the values of the clustering columns
// restricted by = or IN from the first one on (the cartesian product), and
// the number of columns they cover. With a multi-column = or IN the tuples
// are its values.
func (w *where) clusteringPrefixes(b *binder) ([][][]byte, int, error) {
	ck := w.t.Clustering()
	if m := w.multi; m != nil && (m.eq != nil || m.isIn) {
		var tuples []term
		var vals [][]byte
		switch {
		case m.eq != nil:
			tuples = []term{m.eq}
		case m.inList != nil:
			l, err := m.inList.eval(b)
			if err != nil {
				return nil, 0, err
			}
			if l == nil || IsUnset(l) {
				return nil, 0, invalidRequest("Invalid null value for IN restriction")
			}
			if vals, err = splitList(l); err != nil {
				return nil, 0, err
			}
		default:
			tuples = m.in
		}
		for _, t := range tuples {
			v, err := t.eval(b)
			if err != nil {
				return nil, 0, err
			}
			vals = append(vals, v)
		}
		if err := checkCombinations(len(vals)); err != nil {
			return nil, 0, err
		}
		out := make([][][]byte, 0, len(vals))
		for _, v := range vals {
			if v == nil || IsUnset(v) {
				return nil, 0, invalidRequest("Invalid null value in condition for column %s", m.cols[0].Name)
			}
			fields, err := splitTupleValue(v, len(m.cols))
			if err != nil {
				return nil, 0, err
			}
			if len(fields) > len(m.cols) {
				return nil, 0, invalidRequest("Invalid tuple value for %d columns", len(m.cols))
			}
			for i, f := range fields {
				if f == nil {
					return nil, 0, invalidRequest("Invalid null value in condition for column %s", m.cols[i].Name)
				}
				if fields[i], err = schema.Normalize(ck[i].Type, f); err != nil {
					return nil, 0, schemaErr("", err)
				}
			}
			out = append(out, fields)
		}
		return out, len(m.cols), nil
	}
	combos := [][][]byte{{}}
	n := 0
	for _, r := range w.ck {
		if r == nil || !r.isEqOrIn() {
			break
		}
		vals, err := r.values(b)
		if err != nil {
			return nil, 0, err
		}
		if err := checkCombinations(len(combos) * len(vals)); err != nil {
			return nil, 0, err
		}
		next := make([][][]byte, 0, len(combos)*len(vals))
		for _, c := range combos {
			for _, v := range vals {
				nv, err := schema.Normalize(r.col.Type, v)
				if err != nil {
					return nil, 0, schemaErr("", err)
				}
				next = append(next, append(slices.Clip(c), nv))
			}
		}
		combos = next
		n++
	}
	return combos, n, nil
}

// encodePrefixes encodes clustering prefixes and returns them sorted in
// clustering order, without duplicates.
func (w *where) encodePrefixes(prefixes [][][]byte) ([][]byte, error) {
	types, desc := w.t.ClusteringTypes()
	out := make([][]byte, 0, len(prefixes))
	for _, p := range prefixes {
		k, err := schema.ClusteringKey(types, desc, p)
		if err != nil {
			return nil, schemaErr("", err)
		}
		if k == nil {
			k = []byte{}
		}
		out = append(out, k)
	}
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal), nil
}

// wholePartition is the one range of a partition's every row. Shared:
// callers never write into range slices they are given.
var wholePartition = []crange{{}}

// clusteringRanges returns the clustering ranges the restrictions select
// (sliceCols: the restrictions used, from the first clustering column;
// later ones are left to filtering), normalized.
func (w *where) clusteringRanges(b *binder, sliceCols int) ([]crange, error) {
	if sliceCols == 0 && w.multi == nil {
		return wholePartition, nil
	}
	prefixes, n, err := w.clusteringPrefixes(b)
	if err != nil {
		return nil, err
	}
	if n > sliceCols && w.multi == nil {
		n = sliceCols
		for i := range prefixes {
			prefixes[i] = prefixes[i][:n]
		}
	}
	enc, err := w.encodePrefixes(prefixes)
	if err != nil {
		return nil, err
	}
	if m := w.multi; m != nil && (m.lo != nil || m.hi != nil) {
		return w.multiSliceRanges(b)
	}
	var sr *colRestr
	if w.multi == nil && n < sliceCols && n < len(w.ck) && w.ck[n] != nil && w.ck[n].isSlice() {
		sr = w.ck[n]
	}
	out := make([]crange, 0, len(enc))
	for _, p := range enc {
		if sr == nil {
			out = append(out, prefixRange(p))
			continue
		}
		var lo, hi []byte
		var err error
		if sr.lo != nil {
			if lo, err = ckValue(b, sr.lo.t, sr.col); err != nil {
				return nil, err
			}
		}
		if sr.hi != nil {
			if hi, err = ckValue(b, sr.hi.t, sr.col); err != nil {
				return nil, err
			}
		}
		loIncl, hiIncl := sr.lo != nil && sr.lo.incl, sr.hi != nil && sr.hi.incl
		out = append(out, sliceRange(p, sr.col.Type, sr.col.Desc, lo, hi, loIncl, hiIncl, sr.lo != nil, sr.hi != nil))
	}
	return normalizeRanges(out), nil
}

// multiSliceRanges turns (c1, ..., cn) > (v1, ..., vn) (and <, <=, >=)
// into byte ranges: the lexicographic comparison by value is the union over
// i of (c1..ci-1 = v1..vi-1 and ci > vi), each a slice inside a prefix,
// whatever the columns' directions.
func (w *where) multiSliceRanges(b *binder) ([]crange, error) {
	m := w.multi
	ck := w.t.Clustering()
	side := func(mb *mbound, lower bool) ([]crange, error) {
		if mb == nil {
			return []crange{{}}, nil
		}
		v, err := mb.t.eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil || IsUnset(v) {
			return nil, invalidRequest("Invalid null value in condition for column %s", ck[0].Name)
		}
		fields, err := splitTupleValue(v, mb.n)
		if err != nil {
			return nil, err
		}
		if len(fields) > mb.n {
			return nil, invalidRequest("Invalid tuple value for %d columns", mb.n)
		}
		for i, f := range fields {
			if f == nil {
				return nil, invalidRequest("Invalid null value in condition for column %s", ck[i].Name)
			}
			if fields[i], err = schema.Normalize(ck[i].Type, f); err != nil {
				return nil, schemaErr("", err)
			}
		}
		var out []crange
		var p []byte
		for i := 0; i < mb.n; i++ {
			c := &ck[i]
			if lower {
				out = append(out, sliceRange(p, c.Type, c.Desc, fields[i], nil, false, false, true, false))
			} else {
				out = append(out, sliceRange(p, c.Type, c.Desc, nil, fields[i], false, false, false, true))
			}
			p = schema.AppendComparable(slices.Clip(p), c.Type, fields[i], c.Desc)
		}
		if mb.incl {
			out = append(out, prefixRange(p))
		}
		return normalizeRanges(out), nil
	}
	lo, err := side(m.lo, true)
	if err != nil {
		return nil, err
	}
	hi, err := side(m.hi, false)
	if err != nil {
		return nil, err
	}
	return intersectRanges(lo, hi), nil
}

// fullClusterings returns the clustering keys of the rows an UPDATE or
// DELETE names with = and IN on every clustering column.
func (w *where) fullClusterings(b *binder) ([][]byte, error) {
	prefixes, n, err := w.clusteringPrefixes(b)
	if err != nil {
		return nil, err
	}
	if n != len(w.ck) {
		return nil, invalidRequest("query: clustering is not fully restricted")
	}
	return w.encodePrefixes(prefixes)
}

// SELECT.

// selectPlan is an analyzed SELECT.
type selectPlan struct {
	ks   *schema.Keyspace
	t    *schema.Table
	w    *where
	an   *analyzer
	sels []selector
	cols []ColumnSpec
	// aggregate: the selection has aggregate functions (one result row).
	aggregate      bool
	distinct       bool
	allowFiltering bool
	// keysMode: every partition key column is restricted by = or IN; else
	// the query scans a token range (all of the ring without a token
	// restriction) and, with pkFilter, filters partition key values.
	keysMode bool
	pkFilter []*colRestr
	// sliceCols is the number of clustering columns, from the first, whose
	// restrictions become clustering ranges; ckFilter are filtered.
	sliceCols int
	ckFilter  []*colRestr
	// filters are the restrictions on static and regular columns.
	filters []*colRestr
	// fullPartitions: no clustering nor regular column restriction, so a
	// partition with only a static row yields a row (Cassandra's
	// queriesFullPartitions).
	fullPartitions bool
	reversed       bool
	// orderCols is the number of ORDER BY columns (a clustering prefix);
	// with several partitions their rows are merged in that order.
	orderCols int
	limit     term
	ppl       term
	// ckTypes and ckDesc describe the clustering columns.
	ckTypes []schema.Type
	ckDesc  []bool
	// plain, when every selector is a column of a single-cell type, lists
	// those columns: rows are then built in one pass over their cells.
	plain []*schema.Column
}

// setPlain fills p.plain if the selection allows.
func (p *selectPlan) setPlain() {
	if p.aggregate {
		return
	}
	cols := make([]*schema.Column, 0, len(p.sels))
	for _, s := range p.sels {
		cs, ok := s.(*colSel)
		if !ok || cs.c.Type.IsMultiCell() {
			return
		}
		cols = append(cols, cs.c)
	}
	p.plain = cols
}

// analyzeSelect analyzes a SELECT with Cassandra's rules and messages.
func (x *Executor) analyzeSelect(sessionKeyspace string, st *ast.SelectStmt) (*analyzed, error) {
	ks, t, err := x.lookupTable(sessionKeyspace, st.Table)
	if err != nil {
		return nil, err
	}
	if st.JSON {
		return nil, invalidRequest("SELECT JSON is not supported")
	}
	if len(st.GroupBy) > 0 {
		return nil, invalidRequest("GROUP BY is not supported")
	}
	p := &selectPlan{ks: ks, t: t, distinct: st.Distinct, allowFiltering: st.AllowFiltering,
		an: newAnalyzer(x, t.Keyspace, t.Name, st.BindMarkers())}
	p.ckTypes, p.ckDesc = t.ClusteringTypes()
	if err := p.analyzeSelection(st.Selectors); err != nil {
		return nil, err
	}
	w, err := analyzeWhere(p.an, t, st.Where, kindSelect)
	if err != nil {
		return nil, err
	}
	p.w = w
	if err := p.analyzeRestrictions(st); err != nil {
		return nil, err
	}
	if err := p.analyzeOrdering(st.OrderBy); err != nil {
		return nil, err
	}
	if st.Limit != nil {
		if p.limit, err = p.an.term(st.Limit, receiver{name: "[limit]", typ: typInt}); err != nil {
			return nil, err
		}
	}
	if st.PerPartitionLimit != nil {
		if st.Distinct {
			return nil, invalidRequest("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")
		}
		if p.ppl, err = p.an.term(st.PerPartitionLimit, receiver{name: "[per_partition_limit]", typ: typInt}); err != nil {
			return nil, err
		}
	}
	if err := p.an.checkMarkers(); err != nil {
		return nil, err
	}
	return &analyzed{specs: p.an.specs, pkIndexes: p.an.pkIndexes(t), columns: p.cols, keyspace: t.Keyspace, run: p}, nil
}

// analyzeRestrictions decides how the WHERE clause is executed and checks
// what needs ALLOW FILTERING, in Cassandra's order.
func (p *selectPlan) analyzeRestrictions(st *ast.SelectStmt) error {
	w := p.w
	const filteringMsg = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
	// Partition key.
	allEq := true
	for _, r := range w.pk {
		if r == nil || !r.isEqOrIn() || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
			allEq = false
		}
	}
	switch {
	case allEq:
		p.keysMode = true
	case w.hasPKRestrictions():
		if !p.allowFiltering {
			return invalidRequest(filteringMsg)
		}
		for _, r := range w.pk {
			if r != nil {
				p.pkFilter = append(p.pkFilter, r)
			}
		}
	}
	keyRange := !p.keysMode
	if p.selectsOnlyStatic() && w.hasClusteringRestrictions() {
		return invalidRequest("Cannot restrict clustering columns when selecting only static columns")
	}
	// Clustering columns.
	if err := checkClusteringOrder(w, p.allowFiltering); err != nil {
		return err
	}
	if w.multi == nil {
		for i, r := range w.ck {
			if r == nil || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
				break
			}
			if r.isSlice() {
				p.sliceCols = i + 1
				break
			}
			p.sliceCols = i + 1
		}
		for i, r := range w.ck {
			if r != nil && i >= p.sliceCols {
				p.ckFilter = append(p.ckFilter, r)
			}
			if r != nil && i < p.sliceCols && len(r.contains)+len(r.containsKey) > 0 {
				p.ckFilter = append(p.ckFilter, r)
			}
		}
	}
	// Other columns.
	if len(w.others) > 0 && !p.allowFiltering {
		return invalidRequest(filteringMsg)
	}
	p.filters = w.others
	if keyRange && w.hasClusteringRestrictions() && !p.allowFiltering {
		return invalidRequest(filteringMsg)
	}
	p.fullPartitions = !w.hasClusteringRestrictions() && !w.hasRegularRestrictions()
	if p.distinct {
		if w.hasClusteringRestrictions() || w.hasRegularRestrictions() {
			return invalidRequest("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
		}
	}
	return nil
}

// selectsOnlyStatic reports whether the selection names static columns and
// no clustering or regular column (Cassandra's selectOnlyStaticColumns).
func (p *selectPlan) selectsOnlyStatic() bool {
	if !p.t.HasStatic() || p.sels == nil {
		return false
	}
	static, other := false, false
	for _, s := range p.sels {
		s.columns(func(c *schema.Column) {
			switch c.Kind {
			case schema.StaticColumn:
				static = true
			case schema.ClusteringColumn, schema.RegularColumn:
				other = true
			}
		})
	}
	return static && !other
}

func (p *selectPlan) analyzeOrdering(order []ast.Ordering) error {
	if len(order) == 0 {
		return nil
	}
	ck := p.t.Clustering()
	for i, o := range order {
		c := p.t.Column(o.Column)
		if c == nil {
			return invalidRequest("Undefined column name %s", o.Column)
		}
		if c.Kind != schema.ClusteringColumn {
			return invalidRequest("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", c.Name)
		}
		if c.Position != i || i >= len(ck) {
			return invalidRequest("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
		}
		rev := o.Desc != c.Desc
		if i == 0 {
			p.reversed = rev
		} else if rev != p.reversed {
			return invalidRequest("Unsupported order by relation")
		}
	}
	if !p.keysMode {
		return invalidRequest("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
	}
	p.orderCols = len(order)
	return nil
}

// Selectors.

// selector computes one result column from a row.
type selector interface {
	value(v *rowView) ([]byte, error)
	// columns calls fn with the columns the selector reads.
	columns(fn func(*schema.Column))
}

// aggSelector is an aggregate: it accumulates rows and gives one value.
type aggSelector interface {
	selector
	newAcc() accumulator
}

// accumulator accumulates an aggregate over the rows of a query.
type accumulator interface {
	add(v *rowView) error
	result() ([]byte, error)
}

func (p *selectPlan) analyzeSelection(sels []ast.Selector) error {
	if sels == nil {
		for i := range p.t.Columns {
			c := &p.t.Columns[i]
			p.sels = append(p.sels, &colSel{c: c})
			p.cols = append(p.cols, ColumnSpec{Keyspace: p.t.Keyspace, Table: p.t.Name, Name: c.Name, Type: c.Type})
		}
		p.setPlain()
		if p.distinct {
			return p.checkDistinct()
		}
		return nil
	}
	aggs := 0
	for _, s := range sels {
		sel, name, typ, err := p.selector(s.Expr, true)
		if err != nil {
			return err
		}
		if _, ok := sel.(aggSelector); ok {
			aggs++
		}
		if s.Alias != "" {
			name = s.Alias
		}
		p.sels = append(p.sels, sel)
		p.cols = append(p.cols, ColumnSpec{Keyspace: p.t.Keyspace, Table: p.t.Name, Name: name, Type: typ})
	}
	p.aggregate = aggs > 0
	p.setPlain()
	if p.distinct {
		return p.checkDistinct()
	}
	return nil
}

func (p *selectPlan) checkDistinct() error {
	seen := map[string]bool{}
	for _, s := range p.sels {
		var bad string
		s.columns(func(c *schema.Column) {
			switch c.Kind {
			case schema.PartitionKeyColumn:
				seen[c.Name] = true
			case schema.ClusteringColumn, schema.RegularColumn:
				if bad == "" {
					bad = c.Name
				}
			}
		})
		if bad != "" {
			return invalidRequest("SELECT DISTINCT queries must only request partition key columns and/or static columns (not %s)", bad)
		}
	}
	var missing []string
	for _, c := range p.t.PartitionKey() {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 && !p.aggregate {
		return invalidRequest("SELECT DISTINCT queries must request all the partition key columns (missing %s)", strings.Join(missing, ", "))
	}
	return nil
}

// selector analyzes one selector expression; top is false inside a
// function's arguments (where aggregates are refused).
func (p *selectPlan) selector(e ast.Term, top bool) (selector, string, schema.Type, error) {
	switch e := e.(type) {
	case *ast.ColumnRef:
		c := p.t.Column(e.Name)
		if c == nil {
			return nil, "", schema.Type{}, invalidRequest("Undefined column name %s", e.Name)
		}
		return &colSel{c: c}, c.Name, c.Type, nil
	case *ast.WritetimeExpr:
		c := p.t.Column(e.Column)
		fname, name := "writeTime", "writetime("+e.Column+")"
		if e.TTL {
			fname, name = "ttl", "ttl("+e.Column+")"
		}
		if c == nil {
			return nil, "", schema.Type{}, invalidRequest("Undefined column name %s", e.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return nil, "", schema.Type{}, invalidRequest("Cannot use selection function %s on PRIMARY KEY part %s", fname, c.Name)
		}
		if c.Type.IsMultiCell() {
			return nil, "", schema.Type{}, invalidRequest("Cannot use selection function %s on non-frozen collection %s", fname, c.Name)
		}
		typ := typBigint
		if e.TTL {
			typ = typInt
		}
		return &writetimeSel{c: c, ttl: e.TTL}, name, typ, nil
	case *ast.CountRows:
		if !top {
			return nil, "", schema.Type{}, invalidRequest("Aggregate functions cannot be used as arguments of other functions")
		}
		return &countSel{}, "count", typBigint, nil
	case *ast.FunctionCall:
		return p.functionSelector(e, top)
	case *ast.ElementExpr:
		inner, iname, ityp, err := p.selector(e.Term, false)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		switch ityp.Kind {
		case schema.KindMap, schema.KindSet:
		case schema.KindList:
			return nil, "", schema.Type{}, invalidRequest("Element selection is only allowed on sets and maps, but %s is a list", iname)
		default:
			return nil, "", schema.Type{}, invalidRequest("Invalid element selection: %s is of type %s is not a collection", iname, ityp)
		}
		k, err := p.an.term(e.Key, receiver{name: "key(" + iname + ")", typ: ityp.Key()})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		typ := ityp.Elem()
		if ityp.Kind == schema.KindSet {
			typ = ityp.Key()
		}
		return &elemSel{inner: inner, typ: ityp, key: k}, iname + "[" + e.Key.String() + "]", typ, nil
	case *ast.CastExpr:
		return nil, "", schema.Type{}, invalidRequest("CAST is not supported")
	}
	return nil, "", schema.Type{}, invalidRequest("Unsupported selector %s", e)
}

// aggregateNames are the native aggregate functions.
var aggregateNames = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

func (p *selectPlan) functionSelector(f *ast.FunctionCall, top bool) (selector, string, schema.Type, error) {
	name := strings.ToLower(f.Name)
	qualified := f.Keyspace == "" || f.Keyspace == "system"
	argSels := make([]selector, len(f.Args))
	argTypes := make([]schema.Type, len(f.Args))
	argNames := make([]string, len(f.Args))
	isTerm := make([]bool, len(f.Args))
	for i, a := range f.Args {
		switch a.(type) {
		case *ast.Constant, *ast.BindMarker, *ast.NullLit, *ast.TypeHint:
			isTerm[i] = true
			argNames[i] = a.String()
			continue
		}
		s, n, t, err := p.selector(a, false)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		argSels[i], argNames[i], argTypes[i] = s, n, t
	}
	colName := "system." + name + "(" + strings.Join(argNames, ", ") + ")"
	if qualified && name == "token" {
		pk := p.t.PartitionKey()
		if len(f.Args) != len(pk) {
			return nil, "", schema.Type{}, invalidRequest("Invalid number of arguments in call to function system.token: %d required but %d provided", len(pk), len(f.Args))
		}
		for i, s := range argSels {
			cs, ok := s.(*colSel)
			if !ok || cs.c.Kind != schema.PartitionKeyColumn || cs.c.Position != i {
				return nil, "", schema.Type{}, invalidRequest("Type error: %s cannot be passed as argument %d of function system.token", f.Args[i], i)
			}
		}
		return &tokenSel{}, colName, typBigint, nil
	}
	if qualified && aggregateNames[name] {
		if !top {
			return nil, "", schema.Type{}, invalidRequest("Aggregate functions cannot be used as arguments of other functions")
		}
		if len(f.Args) != 1 {
			return nil, "", schema.Type{}, invalidRequest("Invalid number of arguments in call to function system.%s: 1 required but %d provided", name, len(f.Args))
		}
		if name == "count" {
			if isTerm[0] {
				// count(1) counts rows, as COUNT(*).
				if c, ok := f.Args[0].(*ast.Constant); !ok || c.Kind != ast.IntegerConst {
					return nil, "", schema.Type{}, invalidRequest("Ambiguous call to function system.count: use type casts to disambiguate")
				}
				return &countSel{}, colName, typBigint, nil
			}
			return &countSel{arg: argSels[0]}, colName, typBigint, nil
		}
		if isTerm[0] {
			return nil, "", schema.Type{}, invalidRequest("Ambiguous call to function system.%s: use type casts to disambiguate", name)
		}
		t := argTypes[0]
		if (name == "sum" || name == "avg") && !isNumeric(t) {
			return nil, "", schema.Type{}, invalidRequest("Invalid call to function system.%s, none of its type signatures match (known type signatures: numeric types)", name)
		}
		return &aggSel{fn: name, arg: argSels[0], typ: t}, colName, t, nil
	}
	fn, err := lookupFunction(f)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	var matches []*signature
	for i := range fn.sigs {
		s := &fn.sigs[i]
		if len(s.args) != len(f.Args) {
			continue
		}
		ok := true
		for j := range s.args {
			if isTerm[j] {
				if p.an.fitOf(f.Args[j], s.args[j]) == fitNone {
					ok = false
				}
			} else if !assignableType(argTypes[j], s.args[j]) {
				ok = false
			}
		}
		if ok {
			matches = append(matches, s)
		}
	}
	if len(matches) != 1 {
		fc := *f
		_, err := p.an.resolve(fn, &fc)
		if err == nil {
			err = invalidRequest("Invalid call to function %s, none of its type signatures match", fn.qualified())
		}
		if len(matches) > 1 {
			err = invalidRequest("Ambiguous call to function %s: use type casts to disambiguate", fn.qualified())
		}
		return nil, "", schema.Type{}, err
	}
	sig := matches[0]
	fs := &fnSel{sig: sig, args: argSels, terms: make([]term, len(f.Args))}
	for j := range f.Args {
		if isTerm[j] {
			t, err := p.an.term(f.Args[j], receiver{name: fmt.Sprintf("arg%d(%s)", j, fn.qualified()), typ: sig.args[j]})
			if err != nil {
				return nil, "", schema.Type{}, err
			}
			fs.terms[j] = t
		}
	}
	return fs, colName, sig.ret, nil
}

func isNumeric(t schema.Type) bool {
	switch t.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindVarint,
		schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindCounter:
		return true
	}
	return false
}

// Rows.

// partState is what the executor knows of the partition being read.
type partState struct {
	idx    int
	key    mutation.Key
	pk     [][]byte
	static *mutation.Row
	// emitted counts the rows returned from the partition (with the ones
	// of earlier pages), seen the rows read (before filtering).
	emitted, seen int
	// resumed: the partition was started on an earlier page.
	resumed bool
	done    bool
	skip    bool
}

// rowView is one result row being built: a row of a partition, or its
// static row alone (row nil).
type rowView struct {
	e   *selectExec
	p   *partState
	row *mutation.Row
	ck  [][]byte
}

// clustering returns the row's clustering values, nil for a static-only
// row.
func (v *rowView) clustering() ([][]byte, error) {
	if v.row == nil {
		return nil, nil
	}
	if v.ck == nil {
		ck, err := schema.SplitClustering(v.e.p.ckTypes, v.e.p.ckDesc, v.row.Clustering)
		if err != nil {
			return nil, err
		}
		v.ck = ck
	}
	return v.ck, nil
}

// column returns a column's value in the row (nil for null).
func (v *rowView) column(c *schema.Column) ([]byte, error) {
	switch c.Kind {
	case schema.PartitionKeyColumn:
		return v.p.pk[c.Position], nil
	case schema.ClusteringColumn:
		ck, err := v.clustering()
		if err != nil || ck == nil || c.Position >= len(ck) {
			return nil, err
		}
		return ck[c.Position], nil
	case schema.StaticColumn:
		return cellValue(v.p.static, c)
	}
	return cellValue(v.row, c)
}

// cellsOf returns the cells of column id in r (sorted by column).
func cellsOf(r *mutation.Row, id uint32) []mutation.Cell {
	if r == nil {
		return nil
	}
	cells := r.Cells
	i, _ := slices.BinarySearchFunc(cells, id, func(c mutation.Cell, id uint32) int {
		switch {
		case c.Column < id:
			return -1
		case c.Column > id:
			return 1
		}
		return 0
	})
	j := i
	for j < len(cells) && cells[j].Column == id {
		j++
	}
	return cells[i:j]
}

// cellValue returns the value of column c in row r: its cell, or its
// elements assembled into a collection.
func cellValue(r *mutation.Row, c *schema.Column) ([]byte, error) {
	cells := cellsOf(r, c.ID)
	if !c.Type.IsMultiCell() {
		for i := range cells {
			if len(cells[i].Path) == 0 && !cells[i].IsTombstone() {
				return cells[i].Value, nil
			}
		}
		return nil, nil
	}
	elems := make([]schema.Element, 0, len(cells))
	for i := range cells {
		if len(cells[i].Path) > 0 && !cells[i].IsTombstone() {
			elems = append(elems, schema.Element{Path: cells[i].Path, Value: cells[i].Value})
		}
	}
	v, err := schema.CollectionFromElements(c.Type, elems)
	if err != nil {
		return nil, schemaErr("", err)
	}
	return v, nil
}

// simpleCell returns the live cell of a simple column, or nil.
func (v *rowView) simpleCell(c *schema.Column) *mutation.Cell {
	r := v.row
	if c.Kind == schema.StaticColumn {
		r = v.p.static
	}
	cells := cellsOf(r, c.ID)
	for i := range cells {
		if len(cells[i].Path) == 0 && !cells[i].IsTombstone() {
			return &cells[i]
		}
	}
	return nil
}

type colSel struct{ c *schema.Column }

func (s *colSel) value(v *rowView) ([]byte, error) { return v.column(s.c) }
func (s *colSel) columns(fn func(*schema.Column))  { fn(s.c) }

type writetimeSel struct {
	c   *schema.Column
	ttl bool
}

func (s *writetimeSel) columns(fn func(*schema.Column)) { fn(s.c) }

func (s *writetimeSel) value(v *rowView) ([]byte, error) {
	cell := v.simpleCell(s.c)
	if cell == nil {
		return nil, nil
	}
	if !s.ttl {
		return binary.BigEndian.AppendUint64(nil, uint64(cell.Timestamp)), nil
	}
	if cell.Flags&mutation.CellExpiring == 0 {
		return nil, nil
	}
	left := max(cell.LocalDeletionTime-v.e.nowSec, 0)
	return binary.BigEndian.AppendUint32(nil, uint32(left)), nil
}

type tokenSel struct{}

func (tokenSel) columns(func(*schema.Column)) {}

func (tokenSel) value(v *rowView) ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(v.p.key.Token)), nil
}

type elemSel struct {
	inner selector
	typ   schema.Type
	key   term
}

func (s *elemSel) columns(fn func(*schema.Column)) { s.inner.columns(fn) }

func (s *elemSel) value(v *rowView) ([]byte, error) {
	coll, err := s.inner.value(v)
	if err != nil || coll == nil {
		return nil, err
	}
	k, err := s.key.eval(v.e.b)
	if err != nil || k == nil || IsUnset(k) {
		return nil, err
	}
	vals, err := splitList(coll)
	if err != nil {
		return nil, err
	}
	kt := s.typ.Key()
	if s.typ.Kind == schema.KindSet {
		for _, e := range vals {
			if schema.Compare(kt, e, k) == 0 {
				return e, nil
			}
		}
		return nil, nil
	}
	// A serialized map is a count, then keys and values alternating;
	// splitList read the count as pairs, so re-split.
	kv, err := splitMap(coll)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if schema.Compare(kt, kv[i], k) == 0 {
			return kv[i+1], nil
		}
	}
	return nil, nil
}

// splitMap returns the keys and values of a serialized map, alternating.
func splitMap(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, invalidRequest("Not enough bytes to read a map")
	}
	n := int(int32(binary.BigEndian.Uint32(b)))
	if n < 0 || n > len(b)/8 {
		return nil, invalidRequest("Invalid map size %d", n)
	}
	fake := binary.BigEndian.AppendUint32(nil, uint32(2*n))
	return splitList(append(fake, b[4:]...))
}

type fnSel struct {
	sig   *signature
	args  []selector
	terms []term
}

func (s *fnSel) columns(fn func(*schema.Column)) {
	for _, a := range s.args {
		if a != nil {
			a.columns(fn)
		}
	}
}

func (s *fnSel) value(v *rowView) ([]byte, error) {
	args := make([][]byte, len(s.args))
	for i := range s.args {
		var a []byte
		var err error
		if s.terms[i] != nil {
			a, err = s.terms[i].eval(v.e.b)
			if IsUnset(a) {
				a = nil
			}
		} else {
			a, err = s.args[i].value(v)
		}
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	return s.sig.impl(v.e.x, args)
}

// countSel is COUNT(*), COUNT(1) (arg nil) or count(expr), which counts
// non-null values.
type countSel struct{ arg selector }

func (s *countSel) columns(fn func(*schema.Column)) {
	if s.arg != nil {
		s.arg.columns(fn)
	}
}

func (s *countSel) value(*rowView) ([]byte, error) { return nil, nil }

func (s *countSel) newAcc() accumulator { return &countAcc{arg: s.arg} }

type countAcc struct {
	arg selector
	n   int64
}

func (a *countAcc) add(v *rowView) error {
	if a.arg != nil {
		x, err := a.arg.value(v)
		if err != nil || x == nil {
			return err
		}
	}
	a.n++
	return nil
}

func (a *countAcc) result() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(a.n)), nil
}

// aggSel is min, max, sum or avg of a selector.
type aggSel struct {
	fn  string
	arg selector
	typ schema.Type
}

func (s *aggSel) columns(fn func(*schema.Column)) { s.arg.columns(fn) }
func (s *aggSel) value(*rowView) ([]byte, error)  { return nil, nil }
func (s *aggSel) newAcc() accumulator             { return &aggAcc{s: s} }

type aggAcc struct {
	s     *aggSel
	best  []byte
	n     int64
	isum  *big.Int
	fsum  float64
	dsum  *big.Rat
	valid bool
}

func (a *aggAcc) add(v *rowView) error {
	x, err := a.s.arg.value(v)
	if err != nil || x == nil {
		return err
	}
	t := a.s.typ
	switch a.s.fn {
	case "min", "max":
		if !a.valid {
			a.best, a.valid = x, true
			return nil
		}
		c := schema.Compare(t, x, a.best)
		if (a.s.fn == "min" && c < 0) || (a.s.fn == "max" && c > 0) {
			a.best = x
		}
		return nil
	}
	if len(x) == 0 {
		return nil
	}
	a.n++
	dv, err := schema.Decode(t, x)
	if err != nil {
		return schemaErr("", err)
	}
	switch d := dv.(type) {
	case int8:
		a.addInt(big.NewInt(int64(d)))
	case int16:
		a.addInt(big.NewInt(int64(d)))
	case int32:
		a.addInt(big.NewInt(int64(d)))
	case int64:
		a.addInt(big.NewInt(d))
	case *big.Int:
		a.addInt(d)
	case float32:
		a.fsum += float64(d)
	case float64:
		a.fsum += d
	case schema.Decimal:
		r, ok := new(big.Rat).SetString(d.String())
		if ok {
			if a.dsum == nil {
				a.dsum = new(big.Rat)
			}
			a.dsum.Add(a.dsum, r)
		}
	}
	return nil
}

func (a *aggAcc) addInt(x *big.Int) {
	if a.isum == nil {
		a.isum = new(big.Int)
	}
	a.isum.Add(a.isum, x)
}

func (a *aggAcc) result() ([]byte, error) {
	t := a.s.typ
	switch a.s.fn {
	case "min", "max":
		if !a.valid {
			return nil, nil
		}
		return a.best, nil
	}
	avg := a.s.fn == "avg"
	var v any
	switch t.Kind {
	case schema.KindFloat, schema.KindDouble:
		f := a.fsum
		if avg && a.n > 0 {
			f /= float64(a.n)
		}
		if t.Kind == schema.KindFloat {
			v = float32(f)
		} else {
			v = f
		}
	case schema.KindDecimal:
		r := a.dsum
		if r == nil {
			r = new(big.Rat)
		}
		if avg && a.n > 0 {
			r = new(big.Rat).Quo(r, new(big.Rat).SetInt64(a.n))
		}
		d, err := schema.ParseDecimal(r.FloatString(10))
		if err != nil {
			return nil, schemaErr("", err)
		}
		v = d
	default:
		s := a.isum
		if s == nil {
			s = new(big.Int)
		}
		if avg && a.n > 0 {
			s = new(big.Int).Quo(s, big.NewInt(a.n))
		}
		if t.Kind != schema.KindVarint {
			// Cassandra accumulates in the type's Java width: wrap.
			bits := map[schema.Kind]uint{schema.KindTinyint: 8, schema.KindSmallint: 16, schema.KindInt: 32}[t.Kind]
			n := s.Int64()
			if bits > 0 {
				n = n << (64 - bits) >> (64 - bits)
			}
			s = big.NewInt(n)
		}
		v = s
	}
	out, err := schema.Encode(t, v)
	if err != nil {
		return nil, schemaErr("", err)
	}
	return out, nil
}

// Execution.

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
	vals, err := ring.SplitCompositeKey(k, n)
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
		key := mutation.Key{Token: ring.Murmur3(resume.key), Bytes: resume.key}
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

// Filtering.

// boundFilter is a filtering restriction with its values bound.
type boundFilter struct {
	col         *schema.Column
	eq          []byte
	hasEq       bool
	in          [][]byte
	hasIn       bool
	lo, hi      []byte
	loIncl      bool
	hiIncl      bool
	hasLo       bool
	hasHi       bool
	contains    [][]byte
	containsKey [][]byte
	elems       [][2][]byte
}

func filterValue(b *binder, t term, c *schema.Column) ([]byte, error) {
	v, err := t.eval(b)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, invalidRequest("Unsupported null value for column %s", c.Name)
	}
	if IsUnset(v) {
		return nil, invalidRequest("Unsupported unset value for column %s", c.Name)
	}
	return v, nil
}

// bindFilters evaluates the filtering restrictions' values.
func (p *selectPlan) bindFilters(b *binder) ([]boundFilter, error) {
	var out []boundFilter
	all := append(append(slices.Clip(p.pkFilter), p.ckFilter...), p.filters...)
	for _, r := range all {
		f := boundFilter{col: r.col}
		var err error
		if r.eq != nil {
			f.hasEq = true
			if f.eq, err = filterValue(b, r.eq, r.col); err != nil {
				return nil, err
			}
		}
		if r.isIn {
			f.hasIn = true
			if f.in, err = r.values(b); err != nil {
				return nil, err
			}
		}
		if r.lo != nil {
			f.hasLo, f.loIncl = true, r.lo.incl
			if f.lo, err = filterValue(b, r.lo.t, r.col); err != nil {
				return nil, err
			}
		}
		if r.hi != nil {
			f.hasHi, f.hiIncl = true, r.hi.incl
			if f.hi, err = filterValue(b, r.hi.t, r.col); err != nil {
				return nil, err
			}
		}
		for _, t := range r.contains {
			v, err := filterValue(b, t, r.col)
			if err != nil {
				return nil, err
			}
			f.contains = append(f.contains, v)
		}
		for _, t := range r.containsKey {
			v, err := filterValue(b, t, r.col)
			if err != nil {
				return nil, err
			}
			f.containsKey = append(f.containsKey, v)
		}
		for _, el := range r.elems {
			k, err := filterValue(b, el.key, r.col)
			if err != nil {
				return nil, err
			}
			v, err := filterValue(b, el.val, r.col)
			if err != nil {
				return nil, err
			}
			f.elems = append(f.elems, [2][]byte{k, v})
		}
		out = append(out, f)
	}
	return out, nil
}

// matchPartitionKey applies the partition key filters to a partition.
func (e *selectExec) matchPartitionKey(ps *partState) (bool, error) {
	for i := range e.filters {
		f := &e.filters[i]
		if f.col.Kind != schema.PartitionKeyColumn {
			continue
		}
		if !f.matches(ps.pk[f.col.Position]) {
			return false, nil
		}
	}
	return true, nil
}

// match applies the filters to a row.
func (e *selectExec) match(v *rowView) (bool, error) {
	for i := range e.filters {
		f := &e.filters[i]
		val, err := v.column(f.col)
		if err != nil {
			return false, err
		}
		if !f.matches(val) {
			return false, nil
		}
	}
	return true, nil
}

// matches evaluates the restrictions on one value (nil: null, which
// matches nothing).
func (f *boundFilter) matches(v []byte) bool {
	if v == nil {
		return false
	}
	t := f.col.Type
	if f.hasEq && schema.Compare(t, v, f.eq) != 0 {
		return false
	}
	if f.hasIn && !slices.ContainsFunc(f.in, func(x []byte) bool { return schema.Compare(t, v, x) == 0 }) {
		return false
	}
	if f.hasLo {
		c := schema.Compare(t, v, f.lo)
		if c < 0 || c == 0 && !f.loIncl {
			return false
		}
	}
	if f.hasHi {
		c := schema.Compare(t, v, f.hi)
		if c > 0 || c == 0 && !f.hiIncl {
			return false
		}
	}
	if len(f.contains)+len(f.containsKey)+len(f.elems) == 0 {
		return true
	}
	var keys, vals [][]byte
	if t.Kind == schema.KindMap {
		kv, err := splitMap(v)
		if err != nil {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			keys = append(keys, kv[i])
			vals = append(vals, kv[i+1])
		}
	} else {
		var err error
		if vals, err = splitList(v); err != nil {
			return false
		}
	}
	for _, c := range f.contains {
		if !slices.ContainsFunc(vals, func(x []byte) bool { return schema.Compare(t.Elem(), x, c) == 0 }) {
			return false
		}
	}
	for _, c := range f.containsKey {
		if !slices.ContainsFunc(keys, func(x []byte) bool { return schema.Compare(t.Key(), x, c) == 0 }) {
			return false
		}
	}
	for _, el := range f.elems {
		i := slices.IndexFunc(keys, func(x []byte) bool { return schema.Compare(t.Key(), x, el[0]) == 0 })
		if i < 0 || schema.Compare(t.Elem(), vals[i], el[1]) != 0 {
			return false
		}
	}
	return true
}
