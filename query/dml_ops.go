package query

// The operations of INSERT, UPDATE and DELETE (op): each adds its cells to
// a row, following the data model described in dml.go.

import (
	"bytes"
	"encoding/binary"
	"slices"

	"wcdb/mutation"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// updCtx holds what the cells of one statement's execution share.
type updCtx struct {
	b      *plan.Binder
	ts     int64
	ttl    int32
	nowSec int64
	t      *schema.Table
	guard  *Guardrails
	warn   *replication.Warnings // the request's, nil for none
}

func (u *updCtx) live(col uint32, path, v []byte) mutation.Cell {
	if v == nil {
		v = []byte{}
	}
	c := mutation.Cell{Column: col, Path: path, Timestamp: u.ts, LocalDeletionTime: mutation.NoDeletionTime, Value: v}
	if u.ttl > 0 {
		c.Flags = mutation.CellExpiring
		c.TTL = u.ttl
		c.LocalDeletionTime = u.nowSec + int64(u.ttl)
	}
	return c
}

func (u *updCtx) tombstone(col uint32, path []byte) mutation.Cell {
	return mutation.Cell{Column: col, Flags: mutation.CellTombstone, Path: path, Timestamp: u.ts, LocalDeletionTime: u.nowSec}
}

func (u *updCtx) columnDeletion(col uint32, ts int64) mutation.Cell {
	return mutation.Cell{Column: col, Flags: mutation.CellColumnDeletion, Timestamp: ts, LocalDeletionTime: u.nowSec}
}

// elementsOf appends the cells of the elements of a collection value.
func (u *updCtx) elementsOf(row *mutation.Row, c *schema.Column, v []byte, paths schema.ListPaths) error {
	if err := u.guard.CheckMutationSize(u.t, c, v); err != nil {
		return err
	}
	elems, err := schema.CollectionElements(c.Type, v, paths)
	if err != nil {
		return qerr.Convert("", err)
	}
	// One cell per element, and no more: the slice grown once, the paths
	// and values shared with elems.
	row.Cells = slices.Grow(row.Cells, elems.Len())
	for i := range elems.Len() {
		row.Cells = append(row.Cells, u.live(c.ID, elems.Path(i), elems.Value(i)))
	}
	return nil
}

// listElements returns the live elements of list column c in cur, in order.
func listElements(cur *mutation.Row, c *schema.Column) []mutation.Cell {
	if cur == nil {
		return nil
	}
	var out []mutation.Cell
	for _, cell := range cur.Cells {
		if cell.Column == c.ID && len(cell.Path) > 0 && !cell.IsTombstone() {
			out = append(out, cell)
		}
	}
	slices.SortFunc(out, func(a, b mutation.Cell) int { return bytes.Compare(a.Path, b.Path) })
	return out
}

// setOp is col = v (also an INSERT value).
type setOp struct {
	col *schema.Column
	v   plan.Term
}

func (o *setOp) column() *schema.Column { return o.col }

func (o *setOp) apply(u *updCtx, row, _ *mutation.Row) error {
	v, err := o.v.Eval(u.b)
	if err != nil || IsUnset(v) {
		return err
	}
	c := o.col
	if v != nil && c.Type.IsCollection() {
		if err := u.guard.CheckCollection(u.t, c, v, u.warn); err != nil {
			return err
		}
	}
	if c.Type.IsMultiCell() {
		if v == nil {
			row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts))
			return nil
		}
		row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts-1))
		return u.elementsOf(row, c, v, nil)
	}
	if v == nil {
		row.Cells = append(row.Cells, u.tombstone(c.ID, nil))
		return nil
	}
	row.Cells = append(row.Cells, u.live(c.ID, nil, v))
	return nil
}

// setElemOp is m[k] = v or l[i] = v.
type setElemOp struct {
	col *schema.Column
	key plan.Term
	v   plan.Term
}

func (o *setElemOp) column() *schema.Column { return o.col }

func (o *setElemOp) apply(u *updCtx, row, cur *mutation.Row) error {
	k, err := o.key.Eval(u.b)
	if err != nil {
		return err
	}
	v, err := o.v.Eval(u.b)
	if err != nil {
		return err
	}
	c := o.col
	if IsUnset(k) {
		return qerr.Invalidf("Invalid unset map key")
	}
	if IsUnset(v) {
		return nil
	}
	var path []byte
	if c.Type.Kind == schema.KindList {
		if k == nil {
			return qerr.Invalidf("Invalid null value for list index")
		}
		if len(k) != 4 {
			return qerr.Invalidf("Invalid list index")
		}
		idx := int(int32(binary.BigEndian.Uint32(k)))
		elems := listElements(cur, c)
		if len(elems) == 0 {
			return qerr.Invalidf("Attempted to set an element on a list which is null")
		}
		if idx < 0 || idx >= len(elems) {
			return qerr.Invalidf("List index %d out of bound, list has size %d", idx, len(elems))
		}
		path = elems[idx].Path
	} else {
		if k == nil {
			return qerr.Invalidf("Invalid null map key")
		}
		if path, err = schema.ElementPath(c.Type, k); err != nil {
			return qerr.Convert("", err)
		}
	}
	if v == nil {
		row.Cells = append(row.Cells, u.tombstone(c.ID, path))
	} else {
		row.Cells = append(row.Cells, u.live(c.ID, path, v))
	}
	return nil
}

// addOp is c = c + v (list append, set union, map put) or c = v + c
// (list prepend).
type addOp struct {
	col     *schema.Column
	v       plan.Term
	prepend bool
}

func (o *addOp) column() *schema.Column { return o.col }

func (o *addOp) apply(u *updCtx, row, _ *mutation.Row) error {
	v, err := o.v.Eval(u.b)
	if err != nil || v == nil || IsUnset(v) {
		return err
	}
	if err := u.guard.CheckCollection(u.t, o.col, v, u.warn); err != nil {
		return err
	}
	paths := schema.AppendListPaths
	if o.prepend {
		paths = schema.PrependListPaths
	}
	return u.elementsOf(row, o.col, v, paths)
}

// subOp is c = c - v: set difference, map key removal, list discard.
type subOp struct {
	col *schema.Column
	v   plan.Term
}

func (o *subOp) column() *schema.Column { return o.col }

func (o *subOp) apply(u *updCtx, row, cur *mutation.Row) error {
	v, err := o.v.Eval(u.b)
	if err != nil || v == nil || IsUnset(v) {
		return err
	}
	c := o.col
	switch c.Type.Kind {
	case schema.KindList:
		drop, err := plan.SplitList(v)
		if err != nil {
			return err
		}
		for _, e := range listElements(cur, c) {
			for _, d := range drop {
				if bytes.Equal(e.Value, d) {
					row.Cells = append(row.Cells, u.tombstone(c.ID, e.Path))
					break
				}
			}
		}
		return nil
	case schema.KindSet, schema.KindMap:
		elems, err := schema.CollectionElements(schema.SetOf(c.Type.Key()), v, nil)
		if err != nil {
			return qerr.Convert("", err)
		}
		row.Cells = slices.Grow(row.Cells, elems.Len())
		for i := range elems.Len() {
			row.Cells = append(row.Cells, u.tombstone(c.ID, elems.Path(i)))
		}
	}
	return nil
}

// deleteOp is one target of DELETE: a column, or an element (key).
type deleteOp struct {
	col *schema.Column
	key plan.Term
}

func (o *deleteOp) column() *schema.Column { return o.col }

func (o *deleteOp) apply(u *updCtx, row, cur *mutation.Row) error {
	c := o.col
	if o.key == nil {
		if c.Type.IsMultiCell() {
			row.Cells = append(row.Cells, u.columnDeletion(c.ID, u.ts))
		} else {
			row.Cells = append(row.Cells, u.tombstone(c.ID, nil))
		}
		return nil
	}
	k, err := o.key.Eval(u.b)
	if err != nil {
		return err
	}
	if k == nil {
		return qerr.Invalidf("Invalid null value for %s element", c.Name)
	}
	if IsUnset(k) {
		return qerr.Invalidf("Invalid unset value for %s element", c.Name)
	}
	var path []byte
	if c.Type.Kind == schema.KindList {
		if len(k) != 4 {
			return qerr.Invalidf("Invalid list index")
		}
		idx := int(int32(binary.BigEndian.Uint32(k)))
		elems := listElements(cur, c)
		if len(elems) == 0 {
			return qerr.Invalidf("Attempted to delete an element from a list which is null")
		}
		if idx < 0 || idx >= len(elems) {
			return qerr.Invalidf("List index %d out of bound, list has size %d", idx, len(elems))
		}
		path = elems[idx].Path
	} else if path, err = schema.ElementPath(c.Type, k); err != nil {
		return qerr.Convert("", err)
	}
	row.Cells = append(row.Cells, u.tombstone(c.ID, path))
	return nil
}
