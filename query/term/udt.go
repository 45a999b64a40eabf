package term

// User type literals {field: term, ...} and SET c.f = v, with Cassandra's
// messages (UserTypes, Operation.SetField).

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
