package term

// Terms: the values of statements (literals, bind markers, collection and
// tuple literals, function calls) analyzed against the receiver they are
// for, and evaluated with a statement's bound values.
//
// Analysis follows Cassandra: a literal is checked against its receiver's
// type ("Invalid INTEGER constant (3.5) for "c" of type int") and converted
// once, when the statement is prepared; a bind marker takes its receiver's
// name and type for the PREPARE metadata (the column's name, [limit],
// in(c), value(l), key(m), arg0(system.totimestamp), partition key token,
// ...); a function call is resolved among its overloads by its arguments.

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// ColumnSpec describes a bind variable or a result column.
type ColumnSpec struct {
	Keyspace, Table, Name string
	Type                  schema.Type
}

// Unset is the bound value that leaves a column as it is (protocol v4's
// "not set", length -2). A nil bound value is null; an empty non-nil one
// is an empty value.
var Unset = unsetByte[:0:0]

var unsetByte [1]byte

// IsUnset reports whether v is Unset (that slice, not merely an empty one).
func IsUnset(v []byte) bool {
	return v != nil && len(v) == 0 && unsafe.SliceData(v) == &unsetByte[0]
}

// Receiver is what a term is analyzed against: a column, or a pseudo column
// such as [limit] or value(l), named as Cassandra names it in bind-marker
// metadata.
type Receiver struct {
	Name string
	Type schema.Type
	// Column is set when the receiver is the column itself (col = ?, an
	// INSERT value), which makes the marker the column's for PKIndexes.
	Column *schema.Column
}

// ColumnReceiver returns the receiver that is column c itself.
func ColumnReceiver(c *schema.Column) Receiver {
	return Receiver{Name: c.Name, Type: c.Type, Column: c}
}

// Term is an analyzed value. eval returns its serialization: nil for null,
// Unset for an unset bound value.
type Term interface {
	Eval(b *Binder) ([]byte, error)
}

// Binder carries what evaluation needs: the bound values in marker order and
// the clock.
type Binder struct {
	Clock  Clock
	Values [][]byte
	// json caches the decoded documents of INSERT JSON statements.
	json map[*JSONDoc]map[string][]byte
}

// constTerm is a value known at analysis.
type constTerm struct{ v []byte }

func (c constTerm) Eval(*Binder) ([]byte, error) { return c.v, nil }

// markerTerm is a bind marker; its value is validated and normalized against
// typ when bound.
type markerTerm struct {
	idx  int
	name string
	typ  schema.Type
}

func (m *markerTerm) Eval(b *Binder) ([]byte, error) {
	if m.idx >= len(b.Values) {
		return nil, qerr.Invalidf("No value bound for marker %d (%s)", m.idx, m.name)
	}
	v := b.Values[m.idx]
	if v == nil || IsUnset(v) {
		return v, nil
	}
	nv, err := schema.Normalize(m.typ, v)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return nv, nil
}

// collectionTerm is a list, set or map literal with non-constant elements
// (map: keys and values alternating).
type collectionTerm struct {
	typ   schema.Type
	elems []Term
}

func (c *collectionTerm) Eval(b *Binder) ([]byte, error) {
	vals := make([]any, 0, len(c.elems))
	for _, e := range c.elems {
		v, err := e.Eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, qerr.Invalidf("null is not supported inside collections")
		}
		if IsUnset(v) {
			return nil, qerr.Invalidf("unset value is not supported inside collections")
		}
		vals = append(vals, schema.Serialized(v))
	}
	var out []byte
	var err error
	if c.typ.Kind == schema.KindMap {
		entries := make([]schema.MapEntry, len(vals)/2)
		for i := range entries {
			entries[i] = schema.MapEntry{Key: vals[2*i], Value: vals[2*i+1]}
		}
		out, err = schema.Encode(c.typ, entries)
	} else {
		out, err = schema.Encode(c.typ, vals)
	}
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// tupleTerm is a tuple literal with non-constant fields.
type tupleTerm struct {
	typ   schema.Type
	elems []Term
}

// Tuple returns the tuple of type typ whose elements are elems' values.
func Tuple(typ schema.Type, elems []Term) Term { return &tupleTerm{typ: typ, elems: elems} }

func (t *tupleTerm) Eval(b *Binder) ([]byte, error) {
	var out []byte
	for _, e := range t.elems {
		v, err := e.Eval(b)
		if err != nil {
			return nil, err
		}
		if IsUnset(v) {
			return nil, qerr.Invalidf("Invalid unset value for tuple field")
		}
		if v == nil {
			out = binary.BigEndian.AppendUint32(out, math.MaxUint32)
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// funcTerm is a call of a native scalar function.
type funcTerm struct {
	fn   *funcs.Function
	sig  *funcs.Signature
	args []Term
}

func (f *funcTerm) Eval(b *Binder) ([]byte, error) {
	args := make([][]byte, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(b)
		if err != nil {
			return nil, err
		}
		if IsUnset(v) {
			return nil, qerr.Invalidf("Invalid unset value for argument in call to function %s", f.fn.Qualified())
		}
		args[i] = v
	}
	return f.sig.Impl(b.Clock, args)
}

// tokenTerm is token(v1, ...) of values of the partition key columns: the
// Murmur3 token of the key they make, as a bigint.
type tokenTerm struct{ args []Term }

func (t *tokenTerm) Eval(b *Binder) ([]byte, error) {
	comps := make([][]byte, len(t.args))
	for i, a := range t.args {
		v, err := a.Eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil || IsUnset(v) {
			return nil, qerr.Invalidf("Invalid null value for argument of function system.token")
		}
		comps[i] = v
	}
	tok, err := catalog.KeyToken(comps)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(nil, uint64(tok)), nil
}

// Analyzer analyzes the terms of one statement and records the bind-marker
// specifications as it meets the markers.
type Analyzer struct {
	clock     Clock
	ks, table string
	// markers, Specs, set and targets are indexed by marker index - base:
	// a statement of a batch holds only its own markers' range.
	base    int
	markers []*ast.BindMarker
	Specs   []ColumnSpec
	set     []bool
	// targets[i] is the column marker base+i stands for directly, or "".
	targets []string
}

// NewAnalyzer returns the analyzer of a statement on keyspace.table (""
// for a batch) with the given bind markers; c is the clock of the
// functions it evaluates at analysis (constant arguments).
func NewAnalyzer(c Clock, ks, table string, markers []*ast.BindMarker) *Analyzer {
	return NewAnalyzerAt(c, ks, table, markers, 0)
}

// NewAnalyzerAt is NewAnalyzer for markers base, base+1, ... (markers[i]
// has index base+i): a statement of a batch sizes its analyzer for its
// own markers, not the whole batch's (which made a batch's analysis
// quadratic in its statements).
func NewAnalyzerAt(c Clock, ks, table string, markers []*ast.BindMarker, base int) *Analyzer {
	return &Analyzer{clock: c, ks: ks, table: table, markers: markers, base: base,
		Specs: make([]ColumnSpec, len(markers)), set: make([]bool, len(markers)), targets: make([]string, len(markers))}
}

// marker records m's specification and returns its term. Named markers are
// named by their name, others by their receiver (as Cassandra does).
func (a *Analyzer) marker(m *ast.BindMarker, r Receiver) Term {
	name := r.Name
	if m.Name != "" {
		name = m.Name
	}
	if j := m.Index - a.base; j >= 0 && j < len(a.Specs) {
		a.Specs[j] = ColumnSpec{Keyspace: a.ks, Table: a.table, Name: name, Type: r.Type}
		a.set[j] = true
		if r.Column != nil {
			a.targets[j] = r.Column.Name
		}
	}
	return &markerTerm{idx: m.Index, name: r.Name, typ: r.Type}
}

// Skip exempts marker i from specification (checkMarkers): it is another
// statement's, in a batch.
func (a *Analyzer) Skip(i int) { a.set[i-a.base] = true }

// Adopt takes the specification of marker i from another analysis of the
// same markers (a batch's statement's).
func (a *Analyzer) Adopt(i int, from *Analyzer) {
	j, k := i-a.base, i-from.base
	a.Specs[j] = from.Specs[k]
	a.targets[j] = from.targets[k]
	a.set[j] = true
}

// CheckMarkers verifies every marker got a specification.
func (a *Analyzer) CheckMarkers() error {
	for i, ok := range a.set {
		if !ok {
			return qerr.Invalidf("bind marker %d (%s) is not supported here", a.base+i, a.markers[i])
		}
	}
	return nil
}

// Term analyzes t as a value for r.
func (a *Analyzer) Term(t ast.Term, r Receiver) (Term, error) {
	switch t := t.(type) {
	case *ast.BindMarker:
		return a.marker(t, r), nil
	case *ast.NullLit:
		return constTerm{nil}, nil
	case *ast.Constant:
		v, err := LiteralValue(t, r)
		if err != nil {
			return nil, err
		}
		return constTerm{v}, nil
	case *ast.ListLit:
		if r.Type.Kind != schema.KindList {
			return nil, qerr.Invalidf("Invalid list literal for %s of type %s", r.Name, r.Type)
		}
		er := Receiver{Name: "value(" + r.Name + ")", Type: r.Type.Elems[0]}
		return a.collection(r.Type, t.Elems, er, er)
	case *ast.SetLit:
		if r.Type.Kind != schema.KindSet {
			return nil, qerr.Invalidf("Invalid set literal for %s of type %s", r.Name, r.Type)
		}
		er := Receiver{Name: "value(" + r.Name + ")", Type: r.Type.Elems[0]}
		return a.collection(r.Type, t.Elems, er, er)
	case *ast.MapLit:
		if r.Type.Kind != schema.KindMap {
			return nil, qerr.Invalidf("Invalid map literal for %s of type %s", r.Name, r.Type)
		}
		elems := make([]ast.Term, 0, 2*len(t.Entries))
		for _, e := range t.Entries {
			elems = append(elems, e.Key, e.Value)
		}
		return a.collection(r.Type, elems, Receiver{Name: "key(" + r.Name + ")", Type: r.Type.Elems[0]},
			Receiver{Name: "value(" + r.Name + ")", Type: r.Type.Elems[1]})
	case *ast.EmptyCollection:
		if r.Type.Kind != schema.KindSet && r.Type.Kind != schema.KindMap {
			return nil, qerr.Invalidf("Invalid set literal for %s of type %s", r.Name, r.Type)
		}
		return constTerm{[]byte{0, 0, 0, 0}}, nil
	case *ast.UDTLit:
		return a.udtLiteral(t, r)
	case *ast.TupleLit:
		if r.Type.Kind != schema.KindTuple {
			return nil, qerr.Invalidf("Invalid tuple type literal for %s of type %s", r.Name, r.Type)
		}
		if len(t.Elems) > len(r.Type.Elems) {
			return nil, qerr.Invalidf("Invalid tuple literal for %s: too many elements. Type %s expects %d but got %d",
				r.Name, r.Type, len(r.Type.Elems), len(t.Elems))
		}
		tt := &tupleTerm{typ: r.Type}
		allConst := true
		for i, e := range t.Elems {
			et, err := a.Term(e, Receiver{Name: fmt.Sprintf("%s[%d]", r.Name, i), Type: r.Type.Elems[i]})
			if err != nil {
				return nil, err
			}
			if _, ok := et.(constTerm); !ok {
				allConst = false
			}
			tt.elems = append(tt.elems, et)
		}
		if allConst {
			v, err := tt.Eval(&Binder{Clock: a.clock})
			if err != nil {
				return nil, err
			}
			return constTerm{v}, nil
		}
		return tt, nil
	case *ast.FunctionCall:
		if IsJSONFunction(t, "fromjson") {
			return a.fromJSONTerm(t, r)
		}
		if IsJSONFunction(t, "tojson") {
			return nil, qerr.Invalidf("toJson() may only be used within the selection clause of SELECT statements")
		}
		ft, ret, err := a.Function(t)
		if err != nil {
			return nil, err
		}
		if TypeFit(ret, r.Type) == FitNone {
			return nil, qerr.Invalidf("Type error: cannot assign result of function %s (type %s) to %s (type %s)",
				FunctionDisplayName(t), ret, r.Name, r.Type)
		}
		return ft, nil
	case *ast.TypeHint:
		ht, err := TypeOf(t.Type)
		if err != nil {
			return nil, err
		}
		if TypeFit(ht, r.Type) == FitNone {
			return nil, qerr.Invalidf("Type error: %s cannot be assigned to %s of type %s", t, r.Name, r.Type)
		}
		return a.Term(t.Term, Receiver{Name: r.Name, Type: ht, Column: r.Column})
	case *ast.CastExpr:
		return nil, qerr.Invalidf("CAST is only supported in selection clauses")
	case *ast.BinaryExpr, *ast.Negate:
		ot, _, err := a.Operation(t, &r.Type)
		return ot, err
	}
	return nil, qerr.Invalidf("Invalid term %s for %s", t, r.Name)
}

// collection analyzes the elements of a collection literal (map: keys and
// values alternating, with receivers kr and vr).
func (a *Analyzer) collection(typ schema.Type, elems []ast.Term, kr, vr Receiver) (Term, error) {
	per := 1
	if typ.Kind == schema.KindMap {
		per = 2
	}
	ct := &collectionTerm{typ: typ}
	allConst := true
	for i, e := range elems {
		r := kr
		if per == 2 && i%2 == 1 {
			r = vr
		}
		et, err := a.Term(e, r)
		if err != nil {
			return nil, err
		}
		c, ok := et.(constTerm)
		if !ok {
			allConst = false
		} else if c.v == nil {
			return nil, qerr.Invalidf("null is not supported inside collections")
		}
		ct.elems = append(ct.elems, et)
	}
	if allConst {
		v, err := ct.Eval(&Binder{Clock: a.clock})
		if err != nil {
			return nil, err
		}
		return constTerm{v}, nil
	}
	return ct, nil
}

// TypeOf converts a parsed type to a schema type (native, collections
// and tuples; user types are not supported).
func TypeOf(t ast.TypeExpr) (schema.Type, error) {
	if t.Kind == ast.TypeUser || t.Kind == ast.TypeCustom {
		return schema.Type{}, qerr.Invalidf("Unsupported type %s", t)
	}
	typ, err := schema.ParseType(t.String())
	if err != nil {
		return schema.Type{}, qerr.Convert("", err)
	}
	return typ, nil
}

// AssignableType reports whether a value of type from may be given to a
// receiver of type to: the same type, text and varchar being one, or a
// frozen collection for a non-frozen one of the same shape.
func AssignableType(from, to schema.Type) bool {
	if from.Equal(to) {
		return true
	}
	if from.Kind != to.Kind || len(from.Elems) != len(to.Elems) {
		return false
	}
	if to.IsCollection() {
		for i := range from.Elems {
			if !from.Elems[i].Equal(to.Elems[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// constAssignable is funcs.ConstAssignable.
var constAssignable = funcs.ConstAssignable

// LiteralValue converts a constant to the serialization of a value of r's
// type, with Cassandra's messages (funcs.LiteralValue).
func LiteralValue(c *ast.Constant, r Receiver) ([]byte, error) {
	return funcs.LiteralValue(c, r.Name, r.Type)
}

// PKIndexes returns the markers that bind each partition key column of t
// directly, in key order, or nil when a column has none (Cassandra's
// getPartitionKeyBindVariableIndexes).
func (a *Analyzer) PKIndexes(t *schema.Table) []uint16 {
	pk := t.PartitionKey()
	if len(a.targets) == 0 {
		return nil
	}
	out := make([]uint16, len(pk))
	for i := range pk {
		found := false
		for j, tg := range a.targets {
			if tg == pk[i].Name {
				out[i] = uint16(a.base + j)
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return out
}

// JSONType is the column's type, for funcs.JSONRows.
func (c ColumnSpec) JSONType() schema.Type { return c.Type }
