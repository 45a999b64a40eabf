package plan

// toJson() in selectors and fromJson() in terms, as Cassandra's: toJson
// writes any value as JSON text (funcs.ToJSON), fromJson reads JSON text
// as a value of the type its receiver needs (funcs.JSONValue, the
// conversions of INSERT JSON).

import (
	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

var typText = schema.Native(schema.KindText)

// toJSONSelector analyzes toJson(x) in a selection.
func (p *Select) toJSONSelector(f *ast.FunctionCall, top bool) (Selector, string, schema.Type, error) {
	if len(f.Args) != 1 {
		return nil, "", schema.Type{}, qerr.Invalidf("toJson() only accepts one argument (got %d)", len(f.Args))
	}
	inner, iname, ityp, err := p.nested(f.Args[0], top)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	s := &toJSONSel{inner: inner, typ: ityp}
	p.lift(s, []Selector{inner})
	return s, "system.tojson(" + iname + ")", typText, nil
}

// toJSONSel is toJson(inner).
type toJSONSel struct {
	inner Selector
	typ   schema.Type
}

func (s *toJSONSel) Columns(fn func(*schema.Column)) { s.inner.Columns(fn) }

func (s *toJSONSel) Value(v *RowView) ([]byte, error) {
	x, err := s.inner.Value(v)
	if err != nil {
		return nil, err
	}
	j, err := funcs.ToJSON(s.typ, x)
	return []byte(j), err
}
