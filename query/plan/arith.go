package plan

// Arithmetic: + - * / % and unary minus on terms and in selectors, each an
// overload of Cassandra's operation functions (package funcs), resolved as
// its FunctionResolver does: overloads whose result the receiver takes,
// the first exact match, else the only compatible one (or, for literals
// only, the one whose operands are of the receiver's type).

import (
	"fmt"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// unparen returns the term inside a one-element tuple, which around an
// operand or a selector is a parenthesis, not a tuple.
func unparen(t ast.Term) ast.Term {
	for {
		tl, ok := t.(*ast.TupleLit)
		if !ok || len(tl.Elems) != 1 {
			return t
		}
		t = tl.Elems[0]
	}
}

// opOf returns the operator and operands of an operation term.
func opOf(t ast.Term) (byte, []ast.Term, bool) {
	switch t := t.(type) {
	case *ast.BinaryExpr:
		return t.Op, []ast.Term{t.Left, t.Right}, true
	case *ast.Negate:
		return 'n', []ast.Term{t.Term}, true
	}
	return 0, nil, false
}

// resolveOp picks the overload of operation op; fit tests operand i
// against a parameter type; recv is the receiver's type, if known.
func resolveOp(op byte, args []ast.Term, fit func(i int, param schema.Type) argFit, recv *schema.Type) (*funcs.OpSig, error) {
	var compat []*funcs.OpSig
	for _, s := range funcs.OpSigs(op) {
		if recv != nil && typeFit(s.Ret, *recv) == fitNone {
			continue
		}
		f := fitExact
		for i, param := range s.Args() {
			f = min(f, fit(i, param))
		}
		switch f {
		case fitExact:
			return s, nil
		case fitWeak:
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
func (a *Analyzer) opFit(t ast.Term, typ schema.Type) argFit {
	op, args, _ := opOf(t)
	s, err := resolveOp(op, args, func(i int, p schema.Type) argFit { return a.fitOf(unparen(args[i]), p) }, &typ)
	if err != nil {
		return fitWeak
	}
	return typeFit(s.Ret, typ)
}

// operation analyzes an operation term for receiver r (recv nil: no
// receiver, as in a selector made only of terms).
func (a *Analyzer) operation(t ast.Term, recv *schema.Type) (Term, schema.Type, error) {
	op, args, _ := opOf(t)
	s, err := resolveOp(op, args, func(i int, p schema.Type) argFit { return a.fitOf(unparen(args[i]), p) }, recv)
	if err != nil {
		return nil, schema.Type{}, err
	}
	ot := &opTerm{sig: s}
	allConst := true
	for i, p := range s.Args() {
		at, err := a.Term(unparen(args[i]), Receiver{Name: fmt.Sprintf("arg%d(system.%s)", i, s.FuncName()), Type: p})
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

// hasColumns reports whether a selector expression reads columns (else it
// is a term, evaluated once per execution).
func hasColumns(t ast.Term) bool {
	switch t := t.(type) {
	case *ast.ColumnRef, *ast.CountRows, *ast.WritetimeExpr, *ast.ElementExpr, *ast.SliceExpr, *ast.CastExpr:
		return true
	case *ast.FieldExpr:
		return hasColumns(t.Term)
	case *ast.FunctionCall:
		for _, a := range t.Args {
			if hasColumns(a) {
				return true
			}
		}
	case *ast.BinaryExpr:
		return hasColumns(t.Left) || hasColumns(t.Right)
	case *ast.Negate:
		return hasColumns(t.Term)
	case *ast.TupleLit:
		for _, e := range t.Elems {
			if hasColumns(e) {
				return true
			}
		}
	case *ast.TypeHint:
		return hasColumns(t.Term)
	}
	return false
}

// operationSelector analyzes an operation in a SELECT clause; its name is
// Cassandra's column name ("a + 1", "-(c - a) % d").
func (p *Select) operationSelector(e ast.Term, top bool) (Selector, string, schema.Type, error) {
	op, args, _ := opOf(e)
	if !hasColumns(e) {
		t, typ, err := p.Analyzer.operation(e, nil)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		return &termSel{t: t}, selectorName(e), typ, nil
	}
	sels := make([]Selector, len(args))
	types := make([]schema.Type, len(args))
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = selectorName(a)
		if !hasColumns(a) {
			continue
		}
		s, name, t, err := p.nested(unparen(a), top)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		sels[i], types[i], names[i] = s, t, name
		if unparen(a) != a {
			names[i] = "(" + name + ")"
		}
	}
	sig, err := resolveOp(op, args, func(i int, param schema.Type) argFit {
		if sels[i] == nil {
			return p.Analyzer.fitOf(unparen(args[i]), param)
		}
		return typeFit(types[i], param)
	}, nil)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	os := &opSel{sig: sig, args: sels, terms: make([]Term, len(args))}
	for i, param := range sig.Args() {
		if sels[i] != nil {
			continue
		}
		t, err := p.Analyzer.Term(unparen(args[i]), Receiver{Name: fmt.Sprintf("arg%d(system.%s)", i, sig.FuncName()), Type: param})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		os.terms[i] = t
	}
	p.lift(os, os.args)
	name := "-" + names[0]
	if op != 'n' {
		name = names[0] + " " + string(op) + " " + names[1]
	}
	return os, name, sig.Ret, nil
}

// selectorName is the column name Cassandra gives an operation or its
// operand: columns by name, terms as written, parentheses kept.
func selectorName(t ast.Term) string {
	switch t := t.(type) {
	case *ast.BinaryExpr:
		return selectorName(t.Left) + " " + string(t.Op) + " " + selectorName(t.Right)
	case *ast.Negate:
		return "-" + selectorName(t.Term)
	case *ast.TupleLit:
		if len(t.Elems) == 1 {
			return "(" + selectorName(t.Elems[0]) + ")"
		}
	case *ast.ColumnRef:
		return t.Name
	case *ast.TypeHint:
		return "(" + t.Type.String() + ")" + selectorName(t.Term)
	}
	return t.String()
}

// typeHintSelector is (type) x in a SELECT clause: a term of that type,
// or a selector whose values the type reads.
func (p *Select) typeHintSelector(e *ast.TypeHint, top bool) (Selector, string, schema.Type, error) {
	typ, err := TypeOf(e.Type)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if !hasColumns(e.Term) {
		t, err := p.Analyzer.Term(unparen(e.Term), Receiver{Name: selectorName(e), Type: typ})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		return &termSel{t: t}, selectorName(e), typ, nil
	}
	s, _, st, err := p.selector(unparen(e.Term), top)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if typeFit(st, typ) == fitNone {
		return nil, "", schema.Type{}, qerr.Invalidf("Cannot assign value %s to %s of type %s", e.Term, selectorName(e), typ)
	}
	return s, selectorName(e), typ, nil
}

// opSel is an operation in a selector: operands are selectors (args) or
// terms.
type opSel struct {
	sig   *funcs.OpSig
	args  []Selector
	terms []Term
}

func (s *opSel) Columns(fn func(*schema.Column)) {
	for _, a := range s.args {
		if a != nil {
			a.Columns(fn)
		}
	}
}

func (s *opSel) Value(v *RowView) ([]byte, error) {
	var vals [2][]byte
	for i := range s.args {
		var x []byte
		var err error
		if s.terms[i] != nil {
			x, err = s.terms[i].Eval(v.Env.Binder)
			if IsUnset(x) {
				x = nil
			}
		} else {
			x, err = s.args[i].Value(v)
		}
		if err != nil {
			return nil, err
		}
		vals[i] = x
	}
	return s.sig.Apply(vals[0], vals[1])
}

// termSel is a selector made only of terms.
type termSel struct{ t Term }

func (s *termSel) Columns(func(*schema.Column)) {}

func (s *termSel) Value(v *RowView) ([]byte, error) {
	x, err := s.t.Eval(v.Env.Binder)
	if IsUnset(x) {
		x = nil
	}
	return x, err
}
