package query

// Counter columns in UPDATE (c = c + v, c = c - v); the rest of the rules
// of counter tables, and their writes, are package counter's.

import (
	"context"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/counter"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// counterAssignment analyzes c = c + v, c = c - v (and c = v + c, refused)
// on counter column c.
func (m *modStmt) counterAssignment(a *ast.Assignment, c *schema.Column) (op, error) {
	if a.Op == ast.AssignPrepend {
		return nil, qerr.Invalidf("Invalid operation (%s) for non list column %s", a.String(), c.Name)
	}
	v, err := m.an.Term(a.Value, term.ColumnReceiver(c))
	if err != nil {
		return nil, err
	}
	return &counterOp{col: c, v: v, negate: a.Op == ast.AssignSubtract}, nil
}

// counterOp is c = c + v or c = c - v: a counter update at the
// statement's timestamp.
type counterOp struct {
	col    *schema.Column
	v      plan.Term
	negate bool
}

func (o *counterOp) column() *schema.Column { return o.col }

func (o *counterOp) apply(u *updCtx, row, _ *mutation.Row) error {
	v, err := o.v.Eval(u.b)
	if err != nil || IsUnset(v) {
		return err
	}
	if v == nil {
		return qerr.Invalidf("Invalid null value for counter increment")
	}
	d, err := counter.Delta(v, o.negate)
	if err != nil {
		return err
	}
	row.Cells = append(row.Cells, mutation.CounterUpdateCell(o.col.ID, u.ts, d))
	return nil
}

// checkConsistency checks a write's level, a counter table's as Cassandra.
func (m *modStmt) checkConsistency(cl replication.Consistency) error {
	if err := counter.CheckConsistency(m.t, cl); err != nil {
		return err
	}
	return checkWriteConsistency(cl)
}

// writeMutations writes a statement's or a batch's mutations of keyspace
// ks, those of counter tables through the counter leader.
func (x *Executor) writeMutations(ctx context.Context, ks *schema.Keyspace, isCounter bool, ms []mutation.Mutation, cl replication.Consistency) error {
	if !isCounter {
		return x.cfg.Coordinator.Write(ctx, ks, ms, cl)
	}
	return counter.Write(ctx, x.cfg.Coordinator, ks, ms, cl)
}
