package plan

// User types in terms and selectors: the literal {field: term, ...} and
// the field selector term.field, with Cassandra's messages (UserTypes,
// Selectable.WithFieldSelection).

import (
	"encoding/binary"
	"math"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// udtLiteral analyzes a user type literal for receiver r: its fields in
// the type's order, those not given null.
func (a *Analyzer) udtLiteral(l *ast.UDTLit, r Receiver) (Term, error) {
	t := r.Type
	if t.Kind != schema.KindUDT {
		return nil, qerr.Invalidf("Invalid user type literal for %s of type %s", r.Name, t)
	}
	ut := &udtTerm{typ: t, fields: make([]Term, len(t.Elems))}
	for _, f := range l.Fields {
		i := t.FieldIndex(f.Name)
		if i < 0 {
			return nil, qerr.Invalidf("Unknown field '%s' in value of user defined type %s", f.Name, t.User.Name)
		}
		ft, err := a.Term(f.Value, Receiver{Name: r.Name + "." + f.Name, Type: t.Elems[i]})
		if err != nil {
			return nil, err
		}
		ut.fields[i] = ft
	}
	for _, f := range ut.fields {
		if _, ok := f.(constTerm); f != nil && !ok {
			return ut, nil
		}
	}
	v, err := ut.Eval(&Binder{Clock: a.clock})
	if err != nil {
		return nil, err
	}
	return constTerm{v}, nil
}

// udtTerm is a user type literal: one term per field, nil for a field
// not given (null).
type udtTerm struct {
	typ    schema.Type
	fields []Term
}

func (t *udtTerm) Eval(b *Binder) ([]byte, error) {
	out := []byte{}
	for i, f := range t.fields {
		var v []byte
		if f != nil {
			var err error
			if v, err = f.Eval(b); err != nil {
				return nil, err
			}
		}
		if IsUnset(v) {
			return nil, qerr.Invalidf("Invalid unset value for field '%s' of user defined type %s", t.typ.User.Fields[i], t.typ.User.Name)
		}
		if v == nil {
			out = binary.BigEndian.AppendUint32(out, math.MaxUint32)
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
		out = append(out, v...)
	}
	return out, nil
}

// fieldSelector analyzes term.field in a selection.
func (p *Select) fieldSelector(e *ast.FieldExpr, top bool) (Selector, string, schema.Type, error) {
	inner, iname, ityp, err := p.nested(e.Term, top)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if ityp.Kind != schema.KindUDT {
		return nil, "", schema.Type{}, qerr.Invalidf("Invalid field selection: %s of type %s is not a user type", iname, ityp)
	}
	i := ityp.FieldIndex(e.Field)
	if i < 0 {
		return nil, "", schema.Type{}, qerr.Invalidf("%s of type %s has no field %s", iname, ityp, e.Field)
	}
	fs := &fieldSel{inner: inner, i: i}
	p.lift(fs, []Selector{inner})
	return fs, iname + "." + ast.QuoteIdent(e.Field), ityp.Elems[i], nil
}

// fieldSel selects field i of a user type value (null if the value is, or
// if it was written before the field was added).
type fieldSel struct {
	inner Selector
	i     int
}

func (s *fieldSel) Columns(fn func(*schema.Column)) { s.inner.Columns(fn) }

func (s *fieldSel) Value(v *RowView) ([]byte, error) {
	u, err := s.inner.Value(v)
	if err != nil || u == nil {
		return nil, err
	}
	return UDTField(u, s.i), nil
}

// UDTField returns field i of a serialized (valid) user type value: nil
// when null or absent (the value was written before the field was added).
func UDTField(u []byte, i int) []byte {
	for j := 0; len(u) >= 4; j++ {
		n := int32(binary.BigEndian.Uint32(u))
		u = u[4:]
		if n < 0 || int(n) > len(u) {
			if j == i || n >= 0 {
				return nil
			}
			continue
		}
		if j == i {
			return u[:n:n]
		}
		u = u[n:]
	}
	return nil
}

// FieldAssignment analyzes SET c.f = v (Cassandra's Operation.SetField):
// the field's cell path and the value's term.
func (a *Analyzer) FieldAssignment(as *ast.Assignment, c *schema.Column) ([]byte, Term, error) {
	switch {
	case c.Type.Kind != schema.KindUDT:
		return nil, nil, qerr.Invalidf("Invalid operation (%s) for non-UDT column %s", as, c.Name)
	case !c.Type.IsMultiCell():
		return nil, nil, qerr.Invalidf("Invalid operation (%s) for frozen UDT column %s", as, c.Name)
	}
	i := c.Type.FieldIndex(as.Field)
	if i < 0 {
		return nil, nil, qerr.Invalidf("UDT column %s does not have a field named %s", c.Name, as.Field)
	}
	v, err := a.Term(as.Value, Receiver{Name: c.Name + "." + as.Field, Type: c.Type.Elems[i]})
	return schema.FieldPath(i), v, err
}

// FieldDeletion analyzes DELETE c.f: the field's cell path.
func FieldDeletion(d ast.DeleteTarget, c *schema.Column) ([]byte, error) {
	switch {
	case c.Type.Kind != schema.KindUDT:
		return nil, qerr.Invalidf("Invalid field deletion operation for non-UDT column %s", c.Name)
	case !c.Type.IsMultiCell():
		return nil, qerr.Invalidf("Frozen UDT column %s does not support field deletion", c.Name)
	}
	i := c.Type.FieldIndex(d.Field)
	if i < 0 {
		return nil, qerr.Invalidf("UDT column %s does not have a field named %s", c.Name, d.Field)
	}
	return schema.FieldPath(i), nil
}
