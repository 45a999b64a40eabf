package query

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
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"wcdb/query/ast"
	"wcdb/schema"
)

// receiver is what a term is analyzed against: a column, or a pseudo column
// such as [limit] or value(l), named as Cassandra names it in bind-marker
// metadata.
type receiver struct {
	name string
	typ  schema.Type
	// column is set when the receiver is the column itself (col = ?, an
	// INSERT value), which makes the marker the column's for PKIndexes.
	column *schema.Column
}

// columnReceiver returns the receiver that is column c itself.
func columnReceiver(c *schema.Column) receiver {
	return receiver{name: c.Name, typ: c.Type, column: c}
}

// term is an analyzed value. eval returns its serialization: nil for null,
// Unset for an unset bound value.
type term interface {
	eval(b *binder) ([]byte, error)
}

// binder carries what evaluation needs: the bound values in marker order and
// the executor (for its clock).
type binder struct {
	x      *Executor
	values [][]byte
	// json caches the decoded documents of INSERT JSON statements.
	json map[*jsonDoc]map[string][]byte
}

// constTerm is a value known at analysis.
type constTerm struct{ v []byte }

func (c constTerm) eval(*binder) ([]byte, error) { return c.v, nil }

// markerTerm is a bind marker; its value is validated and normalized against
// typ when bound.
type markerTerm struct {
	idx  int
	name string
	typ  schema.Type
}

func (m *markerTerm) eval(b *binder) ([]byte, error) {
	if m.idx >= len(b.values) {
		return nil, invalidRequest("No value bound for marker %d (%s)", m.idx, m.name)
	}
	v := b.values[m.idx]
	if v == nil || IsUnset(v) {
		return v, nil
	}
	nv, err := schema.Normalize(m.typ, v)
	if err != nil {
		return nil, schemaErr("", err)
	}
	return nv, nil
}

// collectionTerm is a list, set or map literal with non-constant elements
// (map: keys and values alternating).
type collectionTerm struct {
	typ   schema.Type
	elems []term
}

func (c *collectionTerm) eval(b *binder) ([]byte, error) {
	vals := make([]any, 0, len(c.elems))
	for _, e := range c.elems {
		v, err := e.eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, invalidRequest("null is not supported inside collections")
		}
		if IsUnset(v) {
			return nil, invalidRequest("unset value is not supported inside collections")
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
		return nil, schemaErr("", err)
	}
	return out, nil
}

// tupleTerm is a tuple literal with non-constant fields.
type tupleTerm struct {
	typ   schema.Type
	elems []term
}

func (t *tupleTerm) eval(b *binder) ([]byte, error) {
	var out []byte
	for _, e := range t.elems {
		v, err := e.eval(b)
		if err != nil {
			return nil, err
		}
		if IsUnset(v) {
			return nil, invalidRequest("Invalid unset value for tuple field")
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
	fn   *function
	sig  *signature
	args []term
}

func (f *funcTerm) eval(b *binder) ([]byte, error) {
	args := make([][]byte, len(f.args))
	for i, a := range f.args {
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		if IsUnset(v) {
			return nil, invalidRequest("Invalid unset value for argument in call to function %s", f.fn.qualified())
		}
		args[i] = v
	}
	return f.sig.impl(b.x, args)
}

// tokenTerm is token(v1, ...) of values of the partition key columns: the
// Murmur3 token of the key they make, as a bigint.
type tokenTerm struct{ args []term }

func (t *tokenTerm) eval(b *binder) ([]byte, error) {
	comps := make([][]byte, len(t.args))
	for i, a := range t.args {
		v, err := a.eval(b)
		if err != nil {
			return nil, err
		}
		if v == nil || IsUnset(v) {
			return nil, invalidRequest("Invalid null value for argument of function system.token")
		}
		comps[i] = v
	}
	tok, err := keyToken(comps)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(nil, uint64(tok)), nil
}

// schemaErr turns an error from schema into a request error carrying
// Cassandra's message (without the "schema: " prefix), prefixed by prefix.
func schemaErr(prefix string, err error) error {
	if se, ok := err.(*schema.Error); ok {
		code := KindInvalid
		switch se.Code {
		case schema.CodeConfig:
			code = KindConfig
		case schema.CodeSyntax:
			code = KindSyntax
		}
		return &Error{Kind: code, Msg: prefix + se.Msg}
	}
	if _, ok := err.(*Error); ok && prefix == "" {
		return err
	}
	return &Error{Kind: KindInvalid, Msg: prefix + err.Error()}
}

// analyzer analyzes the terms of one statement and records the bind-marker
// specifications as it meets the markers.
type analyzer struct {
	x         *Executor
	ks, table string
	markers   []*ast.BindMarker
	specs     []ColumnSpec
	set       []bool
	// targets[i] is the column marker i stands for directly, or "".
	targets []string
}

func newAnalyzer(x *Executor, ks, table string, markers []*ast.BindMarker) *analyzer {
	return &analyzer{x: x, ks: ks, table: table, markers: markers,
		specs: make([]ColumnSpec, len(markers)), set: make([]bool, len(markers)), targets: make([]string, len(markers))}
}

// marker records m's specification and returns its term. Named markers are
// named by their name, others by their receiver (as Cassandra does).
func (a *analyzer) marker(m *ast.BindMarker, r receiver) term {
	name := r.name
	if m.Name != "" {
		name = m.Name
	}
	if m.Index < len(a.specs) {
		a.specs[m.Index] = ColumnSpec{Keyspace: a.ks, Table: a.table, Name: name, Type: r.typ}
		a.set[m.Index] = true
		if r.column != nil {
			a.targets[m.Index] = r.column.Name
		}
	}
	return &markerTerm{idx: m.Index, name: r.name, typ: r.typ}
}

// checkMarkers verifies every marker got a specification.
func (a *analyzer) checkMarkers() error {
	for i, ok := range a.set {
		if !ok {
			return invalidRequest("bind marker %d (%s) is not supported here", i, a.markers[i])
		}
	}
	return nil
}

// term analyzes t as a value for r.
func (a *analyzer) term(t ast.Term, r receiver) (term, error) {
	switch t := t.(type) {
	case *ast.BindMarker:
		return a.marker(t, r), nil
	case *ast.NullLit:
		return constTerm{nil}, nil
	case *ast.Constant:
		v, err := literalValue(t, r)
		if err != nil {
			return nil, err
		}
		return constTerm{v}, nil
	case *ast.ListLit:
		if r.typ.Kind != schema.KindList {
			return nil, invalidRequest("Invalid list literal for %s of type %s", r.name, r.typ)
		}
		er := receiver{name: "value(" + r.name + ")", typ: r.typ.Elems[0]}
		return a.collection(r.typ, t.Elems, er, er)
	case *ast.SetLit:
		if r.typ.Kind != schema.KindSet {
			return nil, invalidRequest("Invalid set literal for %s of type %s", r.name, r.typ)
		}
		er := receiver{name: "value(" + r.name + ")", typ: r.typ.Elems[0]}
		return a.collection(r.typ, t.Elems, er, er)
	case *ast.MapLit:
		if r.typ.Kind != schema.KindMap {
			return nil, invalidRequest("Invalid map literal for %s of type %s", r.name, r.typ)
		}
		elems := make([]ast.Term, 0, 2*len(t.Entries))
		for _, e := range t.Entries {
			elems = append(elems, e.Key, e.Value)
		}
		return a.collection(r.typ, elems, receiver{name: "key(" + r.name + ")", typ: r.typ.Elems[0]},
			receiver{name: "value(" + r.name + ")", typ: r.typ.Elems[1]})
	case *ast.EmptyCollection:
		if r.typ.Kind != schema.KindSet && r.typ.Kind != schema.KindMap {
			return nil, invalidRequest("Invalid set literal for %s of type %s", r.name, r.typ)
		}
		return constTerm{[]byte{0, 0, 0, 0}}, nil
	case *ast.TupleLit:
		if r.typ.Kind != schema.KindTuple {
			return nil, invalidRequest("Invalid tuple type literal for %s of type %s", r.name, r.typ)
		}
		if len(t.Elems) > len(r.typ.Elems) {
			return nil, invalidRequest("Invalid tuple literal for %s: too many elements. Type %s expects %d but got %d",
				r.name, r.typ, len(r.typ.Elems), len(t.Elems))
		}
		tt := &tupleTerm{typ: r.typ}
		allConst := true
		for i, e := range t.Elems {
			et, err := a.term(e, receiver{name: fmt.Sprintf("%s[%d]", r.name, i), typ: r.typ.Elems[i]})
			if err != nil {
				return nil, err
			}
			if _, ok := et.(constTerm); !ok {
				allConst = false
			}
			tt.elems = append(tt.elems, et)
		}
		if allConst {
			v, err := tt.eval(&binder{x: a.x})
			if err != nil {
				return nil, err
			}
			return constTerm{v}, nil
		}
		return tt, nil
	case *ast.FunctionCall:
		ft, ret, err := a.function(t)
		if err != nil {
			return nil, err
		}
		if !assignableType(ret, r.typ) {
			return nil, invalidRequest("Type error: cannot assign result of function %s (type %s) to %s (type %s)",
				functionDisplayName(t), ret, r.name, r.typ)
		}
		return ft, nil
	case *ast.TypeHint:
		ht, err := typeOfExpr(t.Type)
		if err != nil {
			return nil, err
		}
		if !assignableType(ht, r.typ) {
			return nil, invalidRequest("Type error: %s cannot be assigned to %s of type %s", t, r.name, r.typ)
		}
		return a.term(t.Term, receiver{name: r.name, typ: ht, column: r.column})
	case *ast.CastExpr:
		return nil, invalidRequest("CAST is only supported in selection clauses")
	case *ast.BinaryExpr, *ast.Negate:
		return nil, invalidRequest("Arithmetic operations in terms are not supported: %s", t)
	}
	return nil, invalidRequest("Invalid term %s for %s", t, r.name)
}

// collection analyzes the elements of a collection literal (map: keys and
// values alternating, with receivers kr and vr).
func (a *analyzer) collection(typ schema.Type, elems []ast.Term, kr, vr receiver) (term, error) {
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
		et, err := a.term(e, r)
		if err != nil {
			return nil, err
		}
		c, ok := et.(constTerm)
		if !ok {
			allConst = false
		} else if c.v == nil {
			return nil, invalidRequest("null is not supported inside collections")
		}
		ct.elems = append(ct.elems, et)
	}
	if allConst {
		v, err := ct.eval(&binder{x: a.x})
		if err != nil {
			return nil, err
		}
		return constTerm{v}, nil
	}
	return ct, nil
}

// typeOfExpr converts a parsed type to a schema type (native, collections
// and tuples; user types are not supported).
func typeOfExpr(t ast.TypeExpr) (schema.Type, error) {
	if t.Kind == ast.TypeUser || t.Kind == ast.TypeCustom {
		return schema.Type{}, invalidRequest("Unsupported type %s", t)
	}
	typ, err := schema.ParseType(t.String())
	if err != nil {
		return schema.Type{}, schemaErr("", err)
	}
	return typ, nil
}

// assignableType reports whether a value of type from may be given to a
// receiver of type to: the same type, text and varchar being one, or a
// frozen collection for a non-frozen one of the same shape.
func assignableType(from, to schema.Type) bool {
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

// constTypeNames are Cassandra's names of the constant kinds, for messages.
var constTypeNames = map[ast.ConstKind]string{
	ast.StringConst: "STRING", ast.IntegerConst: "INTEGER", ast.FloatConst: "FLOAT", ast.BooleanConst: "BOOLEAN",
	ast.UUIDConst: "UUID", ast.HexConst: "HEX", ast.DurationConst: "DURATION",
}

// constAssignable reports whether a constant of kind k may be given to a
// receiver of type t (Cassandra's Constants.Literal.testAssignment), and
// whether t is the kind's preferred type (an exact match for overload
// resolution).
func constAssignable(k ast.ConstKind, t schema.Type) (ok, exact bool) {
	switch k {
	case ast.StringConst:
		switch t.Kind {
		case schema.KindText:
			return true, true
		case schema.KindAscii, schema.KindInet, schema.KindDate, schema.KindTime, schema.KindTimestamp, schema.KindDuration:
			return true, false
		}
	case ast.IntegerConst:
		switch t.Kind {
		case schema.KindInt:
			return true, true
		case schema.KindTinyint, schema.KindSmallint, schema.KindBigint, schema.KindCounter, schema.KindVarint,
			schema.KindDecimal, schema.KindFloat, schema.KindDouble, schema.KindTimestamp, schema.KindDate,
			schema.KindTime, schema.KindDuration:
			return true, false
		}
	case ast.FloatConst:
		switch t.Kind {
		case schema.KindDouble:
			return true, true
		case schema.KindFloat, schema.KindDecimal:
			return true, false
		}
	case ast.BooleanConst:
		return t.Kind == schema.KindBoolean, true
	case ast.UUIDConst:
		switch t.Kind {
		case schema.KindUUID:
			return true, true
		case schema.KindTimeuuid:
			return true, false
		}
	case ast.HexConst:
		return t.Kind == schema.KindBlob, true
	case ast.DurationConst:
		return t.Kind == schema.KindDuration, true
	}
	return false, false
}

// literalValue converts a constant to the serialization of a value of r's
// type, with Cassandra's messages.
func literalValue(c *ast.Constant, r receiver) ([]byte, error) {
	t := r.typ
	if ok, _ := constAssignable(c.Kind, t); !ok {
		return nil, invalidRequest("Invalid %s constant (%s) for \"%s\" of type %s", constTypeNames[c.Kind], c.Text, r.name, t)
	}
	s := c.Text
	fail := func(format string) ([]byte, error) { return nil, invalidRequest(format, s) }
	switch t.Kind {
	case schema.KindText:
		return []byte(s), nil
	case schema.KindAscii:
		for i := 0; i < len(s); i++ {
			if s[i] > 0x7f {
				return nil, invalidRequest("Invalid ASCII character in string literal: %s", s)
			}
		}
		return []byte(s), nil
	case schema.KindBlob:
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return nil, invalidRequest("cannot parse '%s' as hex bytes", s[2:])
		}
		return b, nil
	case schema.KindBoolean:
		switch strings.ToLower(s) {
		case "true":
			return []byte{1}, nil
		case "false":
			return []byte{0}, nil
		}
		return fail("Unable to make boolean from '%s'")
	case schema.KindTinyint:
		n, err := strconv.ParseInt(s, 10, 8)
		if err != nil {
			return fail("Unable to make byte from '%s'")
		}
		return []byte{byte(n)}, nil
	case schema.KindSmallint:
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return fail("Unable to make short from '%s'")
		}
		return binary.BigEndian.AppendUint16(nil, uint16(n)), nil
	case schema.KindInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fail("Unable to make int from '%s'")
		}
		return binary.BigEndian.AppendUint32(nil, uint32(n)), nil
	case schema.KindBigint, schema.KindCounter:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fail("Unable to make long from '%s'")
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	case schema.KindVarint:
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return fail("unable to make int from '%s'")
		}
		return schema.Encode(t, n)
	case schema.KindFloat:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil && !isRangeErr(err) {
			return fail("Unable to make float from '%s'")
		}
		return schema.Encode(t, float32(f))
	case schema.KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return fail("Unable to make double from '%s'")
		}
		return schema.Encode(t, f)
	case schema.KindDecimal:
		d, err := schema.ParseDecimal(s)
		if err != nil {
			return fail("unable to make BigDecimal from '%s'")
		}
		return schema.Encode(t, d)
	case schema.KindTimestamp, schema.KindDate, schema.KindTime, schema.KindDuration, schema.KindUUID, schema.KindTimeuuid:
		v, err := schema.Encode(t, s)
		if err != nil {
			return nil, schemaErr("", err)
		}
		return v, nil
	case schema.KindInet:
		ip := net.ParseIP(s)
		if ip == nil {
			return fail("Unable to make inet address from '%s'")
		}
		return schema.Encode(t, ip)
	}
	return nil, invalidRequest("Invalid %s constant (%s) for \"%s\" of type %s", constTypeNames[c.Kind], c.Text, r.name, t)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// Native functions.

// function is a native CQL function: its name (lower case, in the system
// keyspace) and its overloads.
type function struct {
	name string
	sigs []signature
}

func (f *function) qualified() string { return "system." + f.name }

// signature is one overload: argument and result types and the
// implementation, which gets serialized arguments (nil for null).
type signature struct {
	args []schema.Type
	ret  schema.Type
	impl func(x *Executor, args [][]byte) ([]byte, error)
}

// String prints the signature as Cassandra lists it in messages:
// (arg, ...) -> result.
func (s *signature) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, a := range s.args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	b.WriteString(") -> ")
	b.WriteString(s.ret.String())
	return b.String()
}

var (
	typTimestamp = schema.Native(schema.KindTimestamp)
	typTimeuuid  = schema.Native(schema.KindTimeuuid)
	typDate      = schema.Native(schema.KindDate)
	typTime      = schema.Native(schema.KindTime)
	typBigint    = schema.Native(schema.KindBigint)
	typInt       = schema.Native(schema.KindInt)
	typBlob      = schema.Native(schema.KindBlob)
	typText      = schema.Native(schema.KindText)
	typUUID      = schema.Native(schema.KindUUID)
)

// nullSafe wraps a one-argument conversion so a null argument gives null.
func nullSafe(f func(b []byte) ([]byte, error)) func(*Executor, [][]byte) ([]byte, error) {
	return func(_ *Executor, args [][]byte) ([]byte, error) {
		if args[0] == nil {
			return nil, nil
		}
		out, err := f(args[0])
		if err != nil {
			return nil, schemaErr("", err)
		}
		return out, nil
	}
}

func toTimestampOf(t schema.Type) func(*Executor, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return schema.ToTimestamp(t, b) })
}

func toDateOf(t schema.Type) func(*Executor, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return schema.ToDate(t, b) })
}

func timeuuidBound(max bool) func(*Executor, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) {
		if len(b) != 8 {
			return nil, nil
		}
		ms := int64(binary.BigEndian.Uint64(b))
		var u schema.UUID
		if max {
			u = schema.MaxTimeuuid(time.UnixMilli(ms))
		} else {
			u = schema.MinTimeuuid(time.UnixMilli(ms))
		}
		return u[:], nil
	})
}

// functions are the native scalar functions by lower-case name.
var functions = map[string]*function{}

func init() {
	add := func(name string, sigs ...signature) { functions[name] = &function{name: name, sigs: sigs} }
	add("now", signature{ret: typTimeuuid, impl: func(x *Executor, _ [][]byte) ([]byte, error) {
		u := x.newTimeuuid()
		return u[:], nil
	}})
	add("currenttimeuuid", functions["now"].sigs...)
	add("uuid", signature{ret: typUUID, impl: func(*Executor, [][]byte) ([]byte, error) {
		u := schema.NewRandomUUID()
		return u[:], nil
	}})
	add("currenttimestamp", signature{ret: typTimestamp, impl: func(x *Executor, _ [][]byte) ([]byte, error) {
		return binary.BigEndian.AppendUint64(nil, uint64(floorDiv(x.now(), 1000))), nil
	}})
	add("currentdate", signature{ret: typDate, impl: func(x *Executor, _ [][]byte) ([]byte, error) {
		days := floorDiv(x.now(), 86400e6) + 1<<31
		return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
	}})
	add("currenttime", signature{ret: typTime, impl: func(x *Executor, _ [][]byte) ([]byte, error) {
		us := x.now()
		ns := (us - floorDiv(us, 86400e6)*86400e6) * 1000
		return binary.BigEndian.AppendUint64(nil, uint64(ns)), nil
	}})
	add("totimestamp",
		signature{args: []schema.Type{typTimeuuid}, ret: typTimestamp, impl: toTimestampOf(typTimeuuid)},
		signature{args: []schema.Type{typDate}, ret: typTimestamp, impl: toTimestampOf(typDate)})
	add("todate",
		signature{args: []schema.Type{typTimeuuid}, ret: typDate, impl: toDateOf(typTimeuuid)},
		signature{args: []schema.Type{typTimestamp}, ret: typDate, impl: toDateOf(typTimestamp)})
	add("tounixtimestamp",
		signature{args: []schema.Type{typTimeuuid}, ret: typBigint, impl: toTimestampOf(typTimeuuid)},
		signature{args: []schema.Type{typTimestamp}, ret: typBigint, impl: toTimestampOf(typTimestamp)},
		signature{args: []schema.Type{typDate}, ret: typBigint, impl: toTimestampOf(typDate)})
	add("dateof", signature{args: []schema.Type{typTimeuuid}, ret: typTimestamp, impl: toTimestampOf(typTimeuuid)})
	add("unixtimestampof", signature{args: []schema.Type{typTimeuuid}, ret: typBigint, impl: toTimestampOf(typTimeuuid)})
	add("mintimeuuid", signature{args: []schema.Type{typTimestamp}, ret: typTimeuuid, impl: timeuuidBound(false)})
	add("maxtimeuuid", signature{args: []schema.Type{typTimestamp}, ret: typTimeuuid, impl: timeuuidBound(true)})
	// typeAsBlob and blobAsType for every native type.
	for k := schema.KindAscii; k <= schema.KindVarint; k++ {
		t := schema.Native(k)
		if k == schema.KindCounter {
			continue
		}
		name := k.String()
		if k != schema.KindBlob {
			add(name+"asblob", signature{args: []schema.Type{t}, ret: typBlob,
				impl: func(_ *Executor, args [][]byte) ([]byte, error) { return args[0], nil }})
		}
		add("blobas"+name, signature{args: []schema.Type{typBlob}, ret: t,
			impl: func(_ *Executor, args [][]byte) ([]byte, error) {
				if args[0] == nil {
					return nil, nil
				}
				if err := schema.Validate(t, args[0]); err != nil {
					return nil, schemaErr("", err)
				}
				return args[0], nil
			}})
	}
}

// lookupFunction finds a native function by its (possibly system-qualified)
// name.
func lookupFunction(f *ast.FunctionCall) (*function, error) {
	if f.Keyspace != "" && f.Keyspace != "system" {
		return nil, invalidRequest("Unknown function %s.%s called", f.Keyspace, f.Name)
	}
	fn := functions[strings.ToLower(f.Name)]
	if fn == nil {
		return nil, invalidRequest("Unknown function %s called", functionDisplayName(f))
	}
	return fn, nil
}

func functionDisplayName(f *ast.FunctionCall) string {
	ks := f.Keyspace
	if ks == "" {
		ks = "system"
	}
	return ks + "." + strings.ToLower(f.Name)
}

// argFit says how a term fits a parameter type: not at all, weakly (a bind
// marker or null fits anything) or exactly.
type argFit uint8

const (
	fitNone argFit = iota
	fitWeak
	fitExact
)

// fitOf tests a term (not yet analyzed) against a parameter type, as
// Cassandra's testAssignment.
func (a *analyzer) fitOf(t ast.Term, typ schema.Type) argFit {
	switch t := t.(type) {
	case *ast.BindMarker, *ast.NullLit:
		return fitWeak
	case *ast.Constant:
		ok, exact := constAssignable(t.Kind, typ)
		switch {
		case !ok:
			return fitNone
		case exact:
			return fitExact
		}
		return fitWeak
	case *ast.TypeHint:
		ht, err := typeOfExpr(t.Type)
		if err != nil || !assignableType(ht, typ) {
			return fitNone
		}
		return fitExact
	case *ast.FunctionCall:
		if strings.ToLower(t.Name) == "token" {
			if typ.Kind == schema.KindBigint {
				return fitExact
			}
			return fitNone
		}
		fn, err := lookupFunction(t)
		if err != nil {
			return fitNone
		}
		sig, err := a.resolve(fn, t)
		if err != nil || !assignableType(sig.ret, typ) {
			return fitNone
		}
		return fitExact
	case *ast.ListLit:
		if typ.Kind == schema.KindList {
			return fitWeak
		}
	case *ast.SetLit:
		if typ.Kind == schema.KindSet {
			return fitWeak
		}
	case *ast.MapLit:
		if typ.Kind == schema.KindMap {
			return fitWeak
		}
	case *ast.EmptyCollection:
		if typ.Kind == schema.KindSet || typ.Kind == schema.KindMap {
			return fitWeak
		}
	case *ast.TupleLit:
		if typ.Kind == schema.KindTuple {
			return fitWeak
		}
	}
	return fitNone
}

// resolve picks the overload of fn that f's arguments fit, as Cassandra's
// FunctionResolver: an exact match wins, else the only compatible one.
func (a *analyzer) resolve(fn *function, f *ast.FunctionCall) (*signature, error) {
	var exact, compatible []*signature
	for i := range fn.sigs {
		s := &fn.sigs[i]
		if len(s.args) != len(f.Args) {
			continue
		}
		all, allExact := true, true
		for j, arg := range f.Args {
			switch a.fitOf(arg, s.args[j]) {
			case fitNone:
				all = false
			case fitWeak:
				allExact = false
			}
		}
		if all {
			compatible = append(compatible, s)
			if allExact {
				exact = append(exact, s)
			}
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(compatible) == 1:
		return compatible[0], nil
	}
	sigs := make([]string, len(fn.sigs))
	for i := range fn.sigs {
		sigs[i] = fn.qualified() + " : " + fn.sigs[i].String()
	}
	if len(compatible) == 0 {
		if len(fn.sigs) == 1 && len(fn.sigs[0].args) != len(f.Args) {
			return nil, invalidRequest("Invalid number of arguments in call to function %s: %d required but %d provided",
				fn.qualified(), len(fn.sigs[0].args), len(f.Args))
		}
		if len(fn.sigs) == 1 {
			for j, arg := range f.Args {
				if a.fitOf(arg, fn.sigs[0].args[j]) == fitNone {
					return nil, invalidRequest("Type error: %s cannot be passed as argument %d of function %s of type %s",
						arg, j, fn.qualified(), fn.sigs[0].args[j])
				}
			}
		}
		return nil, invalidRequest("Invalid call to function %s, none of its type signatures match (known type signatures: %s)",
			fn.qualified(), strings.Join(sigs, ", "))
	}
	return nil, invalidRequest("Ambiguous call to function %s (can be matched by following signatures: %s): use type casts to disambiguate",
		fn.qualified(), strings.Join(sigs, ", "))
}

// function analyzes a function call in a term and returns it with its
// result type. token() is analyzed by the WHERE clause code, which knows
// the partition key; here it is refused.
func (a *analyzer) function(f *ast.FunctionCall) (term, schema.Type, error) {
	if strings.ToLower(f.Name) == "token" && (f.Keyspace == "" || f.Keyspace == "system") {
		return nil, schema.Type{}, invalidRequest("The function token() is only supported in the WHERE clause, on the partition key")
	}
	fn, err := lookupFunction(f)
	if err != nil {
		return nil, schema.Type{}, err
	}
	sig, err := a.resolve(fn, f)
	if err != nil {
		return nil, schema.Type{}, err
	}
	ft := &funcTerm{fn: fn, sig: sig}
	for i, arg := range f.Args {
		at, err := a.term(arg, receiver{name: fmt.Sprintf("arg%d(%s)", i, fn.qualified()), typ: sig.args[i]})
		if err != nil {
			return nil, schema.Type{}, err
		}
		ft.args = append(ft.args, at)
	}
	return ft, sig.ret, nil
}

// tokenTermFor analyzes token(args) against the partition key columns
// (the value side of a token relation: token(k) > token(?)).
func (a *analyzer) tokenTermFor(f *ast.FunctionCall, pk []schema.Column) (term, error) {
	if len(f.Args) != len(pk) {
		return nil, invalidRequest("Invalid number of arguments in call to function system.token: %d required but %d provided",
			len(pk), len(f.Args))
	}
	tt := &tokenTerm{}
	for i, arg := range f.Args {
		at, err := a.term(arg, receiver{name: pk[i].Name, typ: pk[i].Type})
		if err != nil {
			return nil, err
		}
		tt.args = append(tt.args, at)
	}
	return tt, nil
}

// Clock.

// clockState is an executor's write-timestamp clock and now() timeuuid
// sequence.
type clockState struct {
	lastMicros atomic.Int64
	lastTicks  atomic.Uint64
}

// clock returns x's clock state.
func (x *Executor) clock() *clockState { return &x.clk }

// writeTimestamp returns a server-side write timestamp: the clock in
// microseconds, made strictly increasing per executor so that two writes in
// a row from one client never tie.
func (x *Executor) writeTimestamp() int64 {
	c := x.clock()
	now := x.now()
	for {
		last := c.lastMicros.Load()
		next := max(now, last+1)
		if c.lastMicros.CompareAndSwap(last, next) {
			return next
		}
	}
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// newTimeuuid returns a new version 1 UUID for now(): from schema's
// generator on the real clock, or built from the executor's clock when it
// is replaced (tests), increasing per executor.
func (x *Executor) newTimeuuid() schema.UUID {
	if x.cfg.Now == nil {
		return schema.NewTimeuuid()
	}
	c := x.clock()
	ticks := uint64(x.cfg.Now()*10 + uuidEpochOffset)
	for {
		last := c.lastTicks.Load()
		next := max(ticks, last+1)
		if c.lastTicks.CompareAndSwap(last, next) {
			ticks = next
			break
		}
	}
	ticks &= 1<<60 - 1
	u := schema.NewTimeuuid() // for its clock sequence and node
	msb := ticks<<32 | (ticks>>16)&0xFFFF0000 | ticks>>48 | 0x1000
	binary.BigEndian.PutUint64(u[:8], msb)
	return u
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
