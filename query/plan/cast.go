package plan

// CAST in selectors: the overload of castAs<Type> its argument fits, as
// Cassandra resolves a function call (package funcs has the conversions).

import (
	"strings"
	"wcdb/query/term"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

func (p *Select) castSelector(e *ast.CastExpr, top bool) (Selector, string, schema.Type, error) {
	inner, iname, ityp, err := p.nested(e.Term, top)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	to, err := term.TypeOf(e.Type)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if ityp.Equal(to) {
		// Cassandra drops a cast to the value's own type, name and all.
		return inner, iname, ityp, nil
	}
	inputs := funcs.CastInputs(to.Kind)
	fname := "system." + funcs.CastName(to.Kind)
	if len(inputs) == 0 {
		first := iname
		inner.Columns(func(c *schema.Column) {
			if first == iname {
				first = c.Name
			}
		})
		return nil, "", schema.Type{}, qerr.Invalidf("%s cannot be cast to %s", first, to)
	}
	var exact, compatible []schema.Type
	for _, in := range inputs {
		switch term.TypeFit(ityp, in) {
		case term.FitExact:
			exact = append(exact, in)
			compatible = append(compatible, in)
		case term.FitWeak:
			compatible = append(compatible, in)
		}
	}
	from := exact
	if len(from) != 1 {
		from = compatible
	}
	sigs := func(ins []schema.Type) string {
		out := make([]string, len(ins))
		for i, in := range ins {
			out[i] = fname + " : (" + in.String() + ") -> " + to.String()
		}
		return strings.Join(out, ", ")
	}
	switch {
	case len(from) == 0:
		return nil, "", schema.Type{}, qerr.Invalidf("Invalid call to function %s, none of its type signatures match (known type signatures: %s)",
			fname, sigs(inputs))
	case len(from) > 1:
		return nil, "", schema.Type{}, qerr.Invalidf("Ambiguous call to function %s (can be matched by following signatures: %s): use type casts to disambiguate",
			fname, sigs(from))
	}
	cs := &castSel{inner: inner, from: from[0].Kind, to: to.Kind}
	p.lift(cs, []Selector{inner})
	return cs, "cast(" + iname + " as " + to.String() + ")", to, nil
}

// castSel is CAST(inner AS to), inner's values read as type from.
type castSel struct {
	inner    Selector
	from, to schema.Kind
}

func (s *castSel) Columns(fn func(*schema.Column)) { s.inner.Columns(fn) }

func (s *castSel) Value(v *RowView) ([]byte, error) {
	x, err := s.inner.Value(v)
	if err != nil || x == nil {
		return nil, err
	}
	return funcs.Cast(s.from, s.to, x)
}
