package plan

// Native functions: the scalar functions of CQL (now(), totimestamp(),
// token(), blobAs..., ...), their overloads, and the resolution of a call
// among them by its arguments, as Cassandra's. Aggregates are selectors
// (selectors.go).

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// Clock is the time the native functions read (now(), currenttimestamp(),
// ...): the executor's, which tests replace. Safe for concurrent use.
type Clock interface {
	// Now returns the time in microseconds since the epoch.
	Now() int64
	// NewTimeuuid returns a version 1 UUID for now(), after every other
	// the clock gave.
	NewTimeuuid() schema.UUID
}

// Native types of function signatures and of pseudo columns ([limit],
// [ttl], [timestamp], [json]).
var (
	typTimestamp = schema.Native(schema.KindTimestamp)
	typTimeuuid  = schema.Native(schema.KindTimeuuid)
	typDate      = schema.Native(schema.KindDate)
	typTime      = schema.Native(schema.KindTime)
	typBigint    = schema.Native(schema.KindBigint)
	typInt       = schema.Native(schema.KindInt)
	typBlob      = schema.Native(schema.KindBlob)
	typUUID      = schema.Native(schema.KindUUID)
	typDuration  = schema.Native(schema.KindDuration)
)

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
	impl func(c Clock, args [][]byte) ([]byte, error)
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

// nullSafe wraps a one-argument conversion so a null argument gives null.
func nullSafe(f func(b []byte) ([]byte, error)) func(Clock, [][]byte) ([]byte, error) {
	return func(_ Clock, args [][]byte) ([]byte, error) {
		if args[0] == nil {
			return nil, nil
		}
		out, err := f(args[0])
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		return out, nil
	}
}

func toTimestampOf(t schema.Type) func(Clock, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return schema.ToTimestamp(t, b) })
}

func toDateOf(t schema.Type) func(Clock, [][]byte) ([]byte, error) {
	return nullSafe(func(b []byte) ([]byte, error) { return schema.ToDate(t, b) })
}

func timeuuidBound(max bool) func(Clock, [][]byte) ([]byte, error) {
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
	add("now", signature{ret: typTimeuuid, impl: func(c Clock, _ [][]byte) ([]byte, error) {
		u := c.NewTimeuuid()
		return u[:], nil
	}})
	add("currenttimeuuid", functions["now"].sigs...)
	add("uuid", signature{ret: typUUID, impl: func(Clock, [][]byte) ([]byte, error) {
		u := schema.NewRandomUUID()
		return u[:], nil
	}})
	add("currenttimestamp", signature{ret: typTimestamp, impl: func(c Clock, _ [][]byte) ([]byte, error) {
		return binary.BigEndian.AppendUint64(nil, uint64(FloorDiv(c.Now(), 1000))), nil
	}})
	add("currentdate", signature{ret: typDate, impl: func(c Clock, _ [][]byte) ([]byte, error) {
		days := FloorDiv(c.Now(), 86400e6) + 1<<31
		return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
	}})
	add("currenttime", signature{ret: typTime, impl: func(c Clock, _ [][]byte) ([]byte, error) {
		us := c.Now()
		ns := (us - FloorDiv(us, 86400e6)*86400e6) * 1000
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
	floor := func(in, ret schema.Type, start ...schema.Type) signature {
		return signature{args: append([]schema.Type{in, typDuration}, start...), ret: ret,
			impl: func(_ Clock, args [][]byte) ([]byte, error) { return funcs.Floor(in.Kind, args) }}
	}
	add("floor", floor(typTimestamp, typTimestamp), floor(typTimestamp, typTimestamp, typTimestamp),
		floor(typTimeuuid, typTimestamp), floor(typTimeuuid, typTimestamp, typTimestamp),
		floor(typDate, typDate), floor(typDate, typDate, typDate), floor(typTime, typTime))
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
				impl: func(_ Clock, args [][]byte) ([]byte, error) { return args[0], nil }})
		}
		add("blobas"+name, signature{args: []schema.Type{typBlob}, ret: t,
			impl: func(_ Clock, args [][]byte) ([]byte, error) {
				if args[0] == nil {
					return nil, nil
				}
				if err := schema.Validate(t, args[0]); err != nil {
					return nil, qerr.Convert("", err)
				}
				return args[0], nil
			}})
	}
}

// lookupFunction finds a native function by its (possibly system-qualified)
// name.
func lookupFunction(f *ast.FunctionCall) (*function, error) {
	if f.Keyspace != "" && f.Keyspace != "system" {
		return nil, qerr.Invalidf("Unknown function %s.%s called", f.Keyspace, f.Name)
	}
	fn := functions[strings.ToLower(f.Name)]
	if fn == nil {
		return nil, qerr.Invalidf("Unknown function %s called", functionDisplayName(f))
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
func (a *Analyzer) fitOf(t ast.Term, typ schema.Type) argFit {
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
		ht, err := TypeOf(t.Type)
		if err != nil {
			return fitNone
		}
		return typeFit(ht, typ)
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
		if err != nil {
			return fitNone
		}
		return typeFit(sig.ret, typ)
	case *ast.BinaryExpr, *ast.Negate:
		return a.opFit(t, typ)
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

// typeFit tests a value of type from against a receiver of type to, as
// Cassandra's AbstractType.testAssignment: the same type is exact, one
// whose values the receiver reads (timeuuid for uuid, anything for blob,
// ...) weak.
func typeFit(from, to schema.Type) argFit {
	switch {
	case assignableType(from, to):
		return fitExact
	case catalog.ValueCompatible(to, from):
		return fitWeak
	}
	return fitNone
}

// resolve picks the overload of fn that f's arguments fit, as Cassandra's
// FunctionResolver: an exact match wins, else the only compatible one.
func (a *Analyzer) resolve(fn *function, f *ast.FunctionCall) (*signature, error) {
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
			return nil, qerr.Invalidf("Invalid number of arguments in call to function %s: %d required but %d provided",
				fn.qualified(), len(fn.sigs[0].args), len(f.Args))
		}
		if len(fn.sigs) == 1 {
			for j, arg := range f.Args {
				if a.fitOf(arg, fn.sigs[0].args[j]) == fitNone {
					return nil, qerr.Invalidf("Type error: %s cannot be passed as argument %d of function %s of type %s",
						arg, j, fn.qualified(), fn.sigs[0].args[j])
				}
			}
		}
		return nil, qerr.Invalidf("Invalid call to function %s, none of its type signatures match (known type signatures: %s)",
			fn.qualified(), strings.Join(sigs, ", "))
	}
	return nil, qerr.Invalidf("Ambiguous call to function %s (can be matched by following signatures: %s): use type casts to disambiguate",
		fn.qualified(), strings.Join(sigs, ", "))
}

// function analyzes a function call in a term and returns it with its
// result type. token() is analyzed by the WHERE clause code, which knows
// the partition key; here it is refused.
func (a *Analyzer) function(f *ast.FunctionCall) (Term, schema.Type, error) {
	if strings.ToLower(f.Name) == "token" && (f.Keyspace == "" || f.Keyspace == "system") {
		return nil, schema.Type{}, qerr.Invalidf("The function token() is only supported in the WHERE clause, on the partition key")
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
		at, err := a.Term(arg, Receiver{Name: fmt.Sprintf("arg%d(%s)", i, fn.qualified()), Type: sig.args[i]})
		if err != nil {
			return nil, schema.Type{}, err
		}
		ft.args = append(ft.args, at)
	}
	return ft, sig.ret, nil
}

// tokenTermFor analyzes token(args) against the partition key columns
// (the value side of a token relation: token(k) > token(?)).
func (a *Analyzer) tokenTermFor(f *ast.FunctionCall, pk []schema.Column) (Term, error) {
	if len(f.Args) != len(pk) {
		return nil, qerr.Invalidf("Invalid number of arguments in call to function system.token: %d required but %d provided",
			len(pk), len(f.Args))
	}
	tt := &tokenTerm{}
	for i, arg := range f.Args {
		at, err := a.Term(arg, Receiver{Name: pk[i].Name, Type: pk[i].Type})
		if err != nil {
			return nil, err
		}
		tt.args = append(tt.args, at)
	}
	return tt, nil
}

// FloorDiv is funcs.FloorDiv.
var FloorDiv = funcs.FloorDiv
