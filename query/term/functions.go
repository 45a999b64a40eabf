package term

// Function calls: the resolution of a call among a native function's
// overloads (query/funcs holds them) by its arguments, as Cassandra's
// FunctionResolver. Aggregates are selectors (selectors.go).

import (
	"fmt"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// LookupFunction finds a native function by its (possibly system-qualified)
// name.
func LookupFunction(f *ast.FunctionCall) (*funcs.Function, error) {
	if f.Keyspace != "" && f.Keyspace != "system" {
		return nil, qerr.Invalidf("Unknown function %s.%s called", f.Keyspace, f.Name)
	}
	fn := funcs.Native(f.Name)
	if fn == nil {
		return nil, qerr.Invalidf("Unknown function %s called", FunctionDisplayName(f))
	}
	return fn, nil
}

func FunctionDisplayName(f *ast.FunctionCall) string {
	ks := f.Keyspace
	if ks == "" {
		ks = "system"
	}
	return ks + "." + strings.ToLower(f.Name)
}

// ArgFit says how a term fits a parameter type: not at all, weakly (a bind
// marker or null fits anything) or exactly.
type ArgFit uint8

const (
	FitNone ArgFit = iota
	FitWeak
	FitExact
)

// FitOf tests a term (not yet analyzed) against a parameter type, as
// Cassandra's testAssignment.
func (a *Analyzer) FitOf(t ast.Term, typ schema.Type) ArgFit {
	switch t := t.(type) {
	case *ast.BindMarker, *ast.NullLit:
		return FitWeak
	case *ast.Constant:
		ok, exact := constAssignable(t.Kind, typ)
		switch {
		case !ok:
			return FitNone
		case exact:
			return FitExact
		}
		return FitWeak
	case *ast.TypeHint:
		ht, err := TypeOf(t.Type)
		if err != nil {
			return FitNone
		}
		return TypeFit(ht, typ)
	case *ast.FunctionCall:
		if strings.ToLower(t.Name) == "token" {
			if typ.Kind == schema.KindBigint {
				return FitExact
			}
			return FitNone
		}
		fn, err := LookupFunction(t)
		if err != nil {
			return FitNone
		}
		sig, err := a.Resolve(fn, t)
		if err != nil {
			return FitNone
		}
		return TypeFit(sig.Ret, typ)
	case *ast.BinaryExpr, *ast.Negate:
		return a.opFit(t, typ)
	case *ast.ListLit:
		if typ.Kind == schema.KindList {
			return FitWeak
		}
	case *ast.SetLit:
		if typ.Kind == schema.KindSet {
			return FitWeak
		}
	case *ast.MapLit:
		if typ.Kind == schema.KindMap {
			return FitWeak
		}
	case *ast.EmptyCollection:
		if typ.Kind == schema.KindSet || typ.Kind == schema.KindMap {
			return FitWeak
		}
	case *ast.TupleLit:
		if typ.Kind == schema.KindTuple {
			return FitWeak
		}
	}
	return FitNone
}

// TypeFit tests a value of type from against a receiver of type to, as
// Cassandra's AbstractType.testAssignment: the same type is exact, one
// whose values the receiver reads (timeuuid for uuid, anything for blob,
// ...) weak.
func TypeFit(from, to schema.Type) ArgFit {
	switch {
	case AssignableType(from, to):
		return FitExact
	case catalog.ValueCompatible(to, from):
		return FitWeak
	}
	return FitNone
}

// resolve picks the overload of fn that f's arguments fit, as Cassandra's
// FunctionResolver: an exact match wins, else the only compatible one.
func (a *Analyzer) Resolve(fn *funcs.Function, f *ast.FunctionCall) (*funcs.Signature, error) {
	var exact, compatible []*funcs.Signature
	for i := range fn.Sigs {
		s := &fn.Sigs[i]
		if len(s.Args) != len(f.Args) {
			continue
		}
		all, allExact := true, true
		for j, arg := range f.Args {
			switch a.FitOf(arg, s.Args[j]) {
			case FitNone:
				all = false
			case FitWeak:
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
	sigs := make([]string, len(fn.Sigs))
	for i := range fn.Sigs {
		sigs[i] = fn.Qualified() + " : " + fn.Sigs[i].String()
	}
	if len(compatible) == 0 {
		if len(fn.Sigs) == 1 && len(fn.Sigs[0].Args) != len(f.Args) {
			return nil, qerr.Invalidf("Invalid number of arguments in call to function %s: %d required but %d provided",
				fn.Qualified(), len(fn.Sigs[0].Args), len(f.Args))
		}
		if len(fn.Sigs) == 1 {
			for j, arg := range f.Args {
				if a.FitOf(arg, fn.Sigs[0].Args[j]) == FitNone {
					return nil, qerr.Invalidf("Type error: %s cannot be passed as argument %d of function %s of type %s",
						arg, j, fn.Qualified(), fn.Sigs[0].Args[j])
				}
			}
		}
		return nil, qerr.Invalidf("Invalid call to function %s, none of its type signatures match (known type signatures: %s)",
			fn.Qualified(), strings.Join(sigs, ", "))
	}
	return nil, qerr.Invalidf("Ambiguous call to function %s (can be matched by following signatures: %s): use type casts to disambiguate",
		fn.Qualified(), strings.Join(sigs, ", "))
}

// function analyzes a function call in a term and returns it with its
// result type. token() is analyzed by the WHERE clause code, which knows
// the partition key; here it is refused.
func (a *Analyzer) Function(f *ast.FunctionCall) (Term, schema.Type, error) {
	if strings.ToLower(f.Name) == "token" && (f.Keyspace == "" || f.Keyspace == "system") {
		return nil, schema.Type{}, qerr.Invalidf("The function token() is only supported in the WHERE clause, on the partition key")
	}
	fn, err := LookupFunction(f)
	if err != nil {
		return nil, schema.Type{}, err
	}
	sig, err := a.Resolve(fn, f)
	if err != nil {
		return nil, schema.Type{}, err
	}
	ft := &funcTerm{fn: fn, sig: sig}
	for i, arg := range f.Args {
		at, err := a.Term(arg, Receiver{Name: fmt.Sprintf("arg%d(%s)", i, fn.Qualified()), Type: sig.Args[i]})
		if err != nil {
			return nil, schema.Type{}, err
		}
		ft.args = append(ft.args, at)
	}
	return ft, sig.Ret, nil
}

// TokenTermFor analyzes token(args) against the partition key columns
// (the value side of a token relation: token(k) > token(?)).
func (a *Analyzer) TokenTermFor(f *ast.FunctionCall, pk []schema.Column) (Term, error) {
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

// Clock is the time the native functions read: funcs.Clock.
type Clock = funcs.Clock
