package plan

// Arithmetic: + - * / % and unary minus on terms and in selectors, each an
// overload of Cassandra's operation functions (package funcs), resolved as
// its FunctionResolver does: overloads whose result the receiver takes,
// the first exact match, else the only compatible one (or, for literals
// only, the one whose operands are of the receiver's type).

import (
	"fmt"
	"wcdb/query/term"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

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
	op, args, _ := term.OpOf(e)
	if !hasColumns(e) {
		t, typ, err := p.Analyzer.Operation(e, nil)
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
		s, name, t, err := p.nested(term.Unparen(a), top)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		sels[i], types[i], names[i] = s, t, name
		if term.Unparen(a) != a {
			names[i] = "(" + name + ")"
		}
	}
	sig, err := term.ResolveOp(op, args, func(i int, param schema.Type) term.ArgFit {
		if sels[i] == nil {
			return p.Analyzer.FitOf(term.Unparen(args[i]), param)
		}
		return term.TypeFit(types[i], param)
	}, nil)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	os := &opSel{sig: sig, args: sels, terms: make([]Term, len(args))}
	for i, param := range sig.Args() {
		if sels[i] != nil {
			continue
		}
		t, err := p.Analyzer.Term(term.Unparen(args[i]), Receiver{Name: fmt.Sprintf("arg%d(system.%s)", i, sig.FuncName()), Type: param})
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
	typ, err := term.TypeOf(e.Type)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if !hasColumns(e.Term) {
		t, err := p.Analyzer.Term(term.Unparen(e.Term), Receiver{Name: selectorName(e), Type: typ})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		return &termSel{t: t}, selectorName(e), typ, nil
	}
	s, _, st, err := p.selector(term.Unparen(e.Term), top)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if term.TypeFit(st, typ) == term.FitNone {
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
			if term.IsUnset(x) {
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
	if term.IsUnset(x) {
		x = nil
	}
	return x, err
}
