package cas

// Conditions bound to a statement's values and evaluated on a row.

import (
	"encoding/binary"
	"slices"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// bound is a condition with its values bound.
type bound struct {
	c    *Condition
	elem []byte
	vals [][]byte // nil entries are null
}

// bind evaluates the conditions' values, refusing what Cassandra refuses
// when it binds them.
func (cs *Conditions) bind(b *plan.Binder) ([]bound, error) {
	out := make([]bound, 0, len(cs.Conds))
	for i := range cs.Conds {
		c := &cs.Conds[i]
		bc := bound{c: c}
		if c.Elem != nil {
			e, err := c.Elem.Eval(b)
			if err != nil {
				return nil, err
			}
			kind := "map"
			if c.Col.Type.Kind == schema.KindList {
				kind = "list"
			}
			switch {
			case e == nil:
				return nil, qerr.Invalidf("Invalid null value for %s element access", kind)
			case term.IsUnset(e):
				return nil, qerr.Invalidf("Invalid 'unset' value in condition")
			case kind == "list" && len(e) == 4 && int32(binary.BigEndian.Uint32(e)) < 0:
				return nil, qerr.Invalidf("Invalid negative list index %d", int32(binary.BigEndian.Uint32(e)))
			}
			bc.elem = e
		}
		if c.InList != nil {
			l, err := c.InList.Eval(b)
			switch {
			case err != nil:
				return nil, err
			case l == nil:
				return nil, qerr.Invalidf("Invalid null list in IN condition")
			case term.IsUnset(l):
				return nil, qerr.Invalidf("Invalid 'unset' value in condition")
			}
			if bc.vals, err = plan.SplitList(l); err != nil {
				return nil, err
			}
		}
		for _, t := range c.Vals {
			v, err := t.Eval(b)
			if err != nil {
				return nil, err
			}
			if term.IsUnset(v) {
				switch {
				case c.Op == ast.OpIn:
					continue // IN leaves unset values out
				case (c.Op == ast.OpContains || c.Op == ast.OpContainsKey) && c.Col.Type.IsMultiCell():
					continue // and so does CONTAINS on a collection's cells: nothing matches
				}
				return nil, qerr.Invalidf("Invalid 'unset' value in condition")
			}
			if v == nil && c.Op != ast.OpEq && c.Op != ast.OpNeq && c.Op != ast.OpIn {
				return nil, qerr.Invalidf("Invalid comparison with null for operator \"%s\"", c.Op)
			}
			bc.vals = append(bc.vals, v)
		}
		out = append(out, bc)
	}
	return out, nil
}

// applies evaluates the condition on row r (nil: no such row).
func (bc *bound) applies(r *mutation.Row) (bool, error) {
	col := bc.c.Col
	t := col.Type
	cur, err := ColumnValue(r, col)
	if err != nil {
		return false, err
	}
	op := bc.c.Op
	if op == ast.OpIn {
		op = ast.OpEq
	}
	if bc.c.HasField {
		t = t.Elems[bc.c.Field]
		if cur != nil {
			cur = plan.UDTField(cur, bc.c.Field)
		}
	}
	if bc.elem != nil {
		v, err := element(t, cur, bc.elem)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(bc.vals, func(x []byte) bool { return compare(op, t.Elem(), x, v, false) }), nil
	}
	if op == ast.OpContains || op == ast.OpContainsKey {
		if cur == nil || len(bc.vals) == 0 {
			return false, nil
		}
		keys, vals, err := entries(t, cur)
		if err != nil {
			return false, err
		}
		et, in := t.Elem(), vals
		if op == ast.OpContainsKey {
			et, in = t.Key(), keys
		}
		return slices.ContainsFunc(in, func(x []byte) bool { return schema.Compare(et, x, bc.vals[0]) == 0 }), nil
	}
	multi := t.IsMultiCell() && t.IsCollection() // a user type's cells are not a collection
	if multi && cur == nil {
		cur = []byte{0, 0, 0, 0} // no elements: the empty collection
	}
	return slices.ContainsFunc(bc.vals, func(x []byte) bool { return compare(op, t, x, cur, multi) }), nil
}

// compare reports whether cur op v holds, with Cassandra's rules for
// nulls; multi: cur is a non-frozen collection, never null but empty.
func compare(op ast.Operator, t schema.Type, v, cur []byte, multi bool) bool {
	if v == nil {
		present := cur != nil
		if multi {
			present = len(cur) >= 4 && binary.BigEndian.Uint32(cur) != 0
		}
		return present == (op == ast.OpNeq)
	}
	if cur == nil {
		return op == ast.OpNeq
	}
	c := schema.Compare(t, cur, v)
	switch op {
	case ast.OpEq:
		return c == 0
	case ast.OpNeq:
		return c != 0
	case ast.OpLt:
		return c < 0
	case ast.OpLte:
		return c <= 0
	case ast.OpGt:
		return c > 0
	case ast.OpGte:
		return c >= 0
	}
	return false
}

// element returns element e (a list index or a map key) of collection
// value cur, nil when absent.
func element(t schema.Type, cur, e []byte) ([]byte, error) {
	if cur == nil {
		return nil, nil
	}
	keys, vals, err := entries(t, cur)
	if err != nil {
		return nil, err
	}
	if t.Kind == schema.KindList {
		if len(e) != 4 {
			return nil, qerr.Invalidf("Invalid list index")
		}
		i := int(int32(binary.BigEndian.Uint32(e)))
		if i >= len(vals) {
			return nil, nil
		}
		return vals[i], nil
	}
	for i, k := range keys {
		if schema.Compare(t.Key(), k, e) == 0 {
			return vals[i], nil
		}
	}
	return nil, nil
}

// entries splits a serialized collection: a map's keys and values, a
// list's or set's elements (as values; a set's also as keys).
func entries(t schema.Type, b []byte) (keys, vals [][]byte, err error) {
	if t.Kind != schema.KindMap {
		vals, err = plan.SplitList(b)
		return vals, vals, err
	}
	if len(b) < 4 {
		return nil, nil, qerr.Invalidf("Not enough bytes to read a map")
	}
	n := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	for i := 0; i < 2*n; i++ {
		if len(b) < 4 {
			return nil, nil, qerr.Invalidf("Not enough bytes to read a map")
		}
		l := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		var v []byte
		if l >= 0 {
			if l > len(b) {
				return nil, nil, qerr.Invalidf("Not enough bytes to read a map")
			}
			v, b = b[:l:l], b[l:]
		}
		if i%2 == 0 {
			keys = append(keys, v)
		} else {
			vals = append(vals, v)
		}
	}
	return keys, vals, nil
}

// ColumnValue returns the value of column c in row r (nil for null): its
// live cell, or its live elements assembled into a collection.
func ColumnValue(r *mutation.Row, c *schema.Column) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	if !c.Type.IsMultiCell() {
		// A versioned column's value is its newest version (NewestValue).
		var from, to int
		for from < len(r.Cells) && r.Cells[from].Column != c.ID {
			from++
		}
		for to = from; to < len(r.Cells) && r.Cells[to].Column == c.ID; to++ {
		}
		i := mutation.NewestValue(r.Cells[from:to])
		switch {
		case i < 0:
			return nil, nil
		case r.Cells[from+i].Value == nil:
			return []byte{}, nil
		}
		return r.Cells[from+i].Value, nil
	}
	var elems []schema.Element
	for i := range r.Cells {
		cell := &r.Cells[i]
		if cell.Column == c.ID && !cell.IsTombstone() && len(cell.Path) > 0 {
			elems = append(elems, schema.Element{Path: cell.Path, Value: cell.Value})
		}
	}
	v, err := schema.CollectionFromElements(c.Type, elems)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return v, nil
}

// exists reports whether a row as read has live data: its marker or a
// cell.
func exists(r *mutation.Row) bool {
	if r == nil {
		return false
	}
	if !r.Liveness.IsEmpty() {
		return true
	}
	for i := range r.Cells {
		if !r.Cells[i].IsTombstone() {
			return true
		}
	}
	return false
}
