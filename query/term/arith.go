package term

// Arithmetic on terms: + - * / % and unary minus, each an overload of
// Cassandra's operation functions (package funcs), resolved as its
// FunctionResolver does: overloads whose result the receiver takes, the
// first exact match, else the only compatible one (or, for literals only,
// the one whose operands are of the receiver's type). Selectors use the
// same resolution (ResolveOp).

import (
	"fmt"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// Unparen returns the term inside a one-element tuple, which around an
// operand or a selector is a parenthesis, not a tuple.
func Unparen(t ast.Term) ast.Term {
	for {
		tl, ok := t.(*ast.TupleLit)
		if !ok || len(tl.Elems) != 1 {
			return t
		}
		t = tl.Elems[0]
	}
}

// OpOf returns the operator and operands of an operation term.
func OpOf(t ast.Term) (byte, []ast.Term, bool) {
	switch t := t.(type) {
	case *ast.BinaryExpr:
		return t.Op, []ast.Term{t.Left, t.Right}, true
	case *ast.Negate:
		return 'n', []ast.Term{t.Term}, true
	}
	return 0, nil, false
}

// ResolveOp picks the overload of operation op; fit tests operand i
// against a parameter type; recv is the receiver's type, if known.
func ResolveOp(op byte, args []ast.Term, fit func(i int, param schema.Type) ArgFit, recv *schema.Type) (*funcs.OpSig, error) {
	var compat []*funcs.OpSig
	for _, s := range funcs.OpSigs(op) {
		if recv != nil && TypeFit(s.Ret, *recv) == FitNone {
			continue
		}
		f := FitExact
		for i, param := range s.Args() {
			f = min(f, fit(i, param))
		}
		switch f {
		case FitExact:
			return s, nil
		case FitWeak:
			compat = append(compat, s)
		}
	}
	switch {
	case len(compat) == 1:
		return compat[0], nil
	case len(compat) == 0 && op == 'n':
		var sigs []string
		for _, s := range funcs.OpSigs(op) {
			sigs = append(sigs, s.String())
		}
		return nil, qerr.Invalidf("Invalid call to function system._negate, none of its type signatures match (known type signatures: %s)",
			strings.Join(sigs, ", "))
	case len(compat) == 0:
		return nil, qerr.Invalidf("the '%c' operation is not supported between %s and %s", op, args[0], args[1])
	case op == 'n':
		return nil, qerr.Invalidf("Ambiguous negation: use type casts to disambiguate")
	}
	markers := false
	for _, a := range args {
		if _, ok := a.(*ast.BindMarker); ok {
			markers = true
		}
	}
	if recv != nil && !markers {
		for _, s := range compat {
			if s.Left.Equal(*recv) && s.Right.Equal(*recv) {
				return s, nil
			}
		}
	}
	return nil, qerr.Invalidf("Ambiguous '%c' operation: use type casts to disambiguate", op)
}

// opFit is how an operation term fits a receiver type, as Cassandra's
// FunctionCall.Raw.testAssignment (a resolution error is a weak fit: the
// real error comes later).
func (a *Analyzer) opFit(t ast.Term, typ schema.Type) ArgFit {
	op, args, _ := OpOf(t)
	s, err := ResolveOp(op, args, func(i int, p schema.Type) ArgFit { return a.FitOf(Unparen(args[i]), p) }, &typ)
	if err != nil {
		return FitWeak
	}
	return TypeFit(s.Ret, typ)
}

// operation analyzes an operation term for receiver r (recv nil: no
// receiver, as in a selector made only of terms).
func (a *Analyzer) Operation(t ast.Term, recv *schema.Type) (Term, schema.Type, error) {
	op, args, _ := OpOf(t)
	s, err := ResolveOp(op, args, func(i int, p schema.Type) ArgFit { return a.FitOf(Unparen(args[i]), p) }, recv)
	if err != nil {
		return nil, schema.Type{}, err
	}
	ot := &opTerm{sig: s}
	allConst := true
	for i, p := range s.Args() {
		at, err := a.Term(Unparen(args[i]), Receiver{Name: fmt.Sprintf("arg%d(system.%s)", i, s.FuncName()), Type: p})
		if err != nil {
			return nil, schema.Type{}, err
		}
		if _, ok := at.(constTerm); !ok {
			allConst = false
		}
		ot.args = append(ot.args, at)
	}
	if allConst {
		v, err := ot.Eval(&Binder{Clock: a.clock})
		if err != nil {
			return nil, schema.Type{}, err
		}
		return constTerm{v}, s.Ret, nil
	}
	return ot, s.Ret, nil
}

// opTerm is an operation on terms.
type opTerm struct {
	sig  *funcs.OpSig
	args []Term
}

func (o *opTerm) Eval(b *Binder) ([]byte, error) {
	var vals [2][]byte
	for i, t := range o.args {
		v, err := t.Eval(b)
		if err != nil {
			return nil, err
		}
		if IsUnset(v) {
			return nil, qerr.Invalidf("Invalid unset value for argument in call to function system.%s", o.sig.FuncName())
		}
		vals[i] = v
	}
	return o.sig.Apply(vals[0], vals[1])
}
