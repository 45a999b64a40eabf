package plan

// User types in terms and selectors: the literal {field: term, ...} and
// the field selector term.field, with Cassandra's messages (UserTypes,
// Selectable.WithFieldSelection).

import (
	"encoding/binary"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

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

// OperationRefusal is Cassandra's refusal (Operation.Addition, Substraction
// and Prepend) of c = c + v, c = c - v or c = v + c, described by desc, on
// column name of type t, a non-counter; nil for a non-frozen collection
// that takes it. A user type is a tuple there, as UserType extends
// TupleType.
func OperationRefusal(op ast.AssignOp, t schema.Type, desc, name string) error {
	switch {
	case op == ast.AssignPrepend && t.Kind != schema.KindList:
		return qerr.Invalidf("Invalid operation (%s) for non list column %s", desc, name)
	case op == ast.AssignPrepend && !t.IsMultiCell():
		return qerr.Invalidf("Invalid operation (%s) for frozen list column %s", desc, name)
	case t.IsCollection() && !t.IsMultiCell():
		return qerr.Invalidf("Invalid operation (%s) for frozen collection column %s", desc, name)
	case t.IsCollection():
		return nil
	case op == ast.AssignAdd && (t.Kind == schema.KindTuple || t.Kind == schema.KindUDT):
		return qerr.Invalidf("Invalid operation (%s) for tuple column %s", desc, name)
	}
	return qerr.Invalidf("Invalid operation (%s) for non counter column %s", desc, name)
}
