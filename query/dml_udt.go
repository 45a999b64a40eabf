package query

import (
	"wcdb/mutation"
	"wcdb/query/plan"
	"wcdb/schema"
)

// fieldOp sets (v) or deletes (v nil) one field of a non-frozen user type
// column: the cell at the field's path (plan.FieldAssignment,
// plan.FieldDeletion).
type fieldOp struct {
	col  *schema.Column
	path []byte
	v    plan.Term
}

func (o *fieldOp) column() *schema.Column { return o.col }

func (o *fieldOp) apply(u *updCtx, row, _ *mutation.Row) error {
	var v []byte
	if o.v != nil {
		var err error
		if v, err = o.v.Eval(u.b); err != nil || IsUnset(v) {
			return err
		}
	}
	if v == nil {
		row.Cells = append(row.Cells, u.tombstone(o.col.ID, o.path))
	} else {
		row.Cells = append(row.Cells, u.live(o.col.ID, o.path, v))
	}
	return nil
}
