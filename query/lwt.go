package query

// Lightweight transactions: a conditional statement, or a batch with
// conditions, runs as one CAS of its partition through the coordinator
// (replication.CASCoordinator); package cas holds the conditions, the
// decision and the result's shape.

import (
	"context"

	"wcdb/mutation"
	"wcdb/query/cas"
	"wcdb/query/merge"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// runCAS runs stmts (one statement, or a batch's) as a lightweight
// transaction.
func (x *Executor) runCAS(ctx context.Context, stmts []boundMod, batch bool, opts *Options) (*Result, error) {
	cc, ok := x.cfg.Coordinator.(replication.CASCoordinator)
	if !ok {
		return nil, qerr.Invalidf("Conditional updates are not supported by this node's coordinator")
	}
	serial, err := cas.Levels(opts.SerialConsistency, opts.Consistency)
	if err != nil {
		return nil, err
	}
	cs := make([]cas.Stmt, len(stmts))
	for i, s := range stmts {
		if cs[i], err = s.m.casStmt(s.b, batch); err != nil {
			return nil, err
		}
	}
	req, err := cas.NewRequest(stmts[0].m.ks, cs, batch)
	if err != nil {
		return nil, err
	}
	ctx, w := replication.WithWarnings(ctx)
	res, err := cc.CAS(ctx, req.CAS(func(cur *mutation.Partition, ts int64) (*mutation.Mutation, error) {
		var bp *merge.Partition
		for _, s := range stmts {
			ms, err := s.m.mutations(ctx, x, s.b, opts, ts, nil, &prefetched{cur})
			if err != nil {
				return nil, err
			}
			for i := range ms {
				if bp == nil {
					bp = &merge.Partition{M: mutation.Mutation{Table: ms[i].Table, Partition: mutation.Partition{Key: ms[i].Partition.Key, Deletion: mutation.Live}}}
				}
				bp.Add(&ms[i].Partition)
			}
		}
		if bp == nil {
			return nil, nil
		}
		m := bp.Finish()
		return &m, nil
	}), serial, opts.Consistency)
	if err != nil {
		return nil, err
	}
	cols, rows, err := req.Result(res)
	if err != nil {
		return nil, err
	}
	return &Result{Kind: ResultRows, Columns: cols, Rows: rows, Warnings: w.List()}, nil
}

// casStmt binds the statement's key for a lightweight transaction, which
// is on one partition and, for a statement with conditions, one row (or
// the static row).
func (m *modStmt) casStmt(b *plan.Binder, batch bool) (cas.Stmt, error) {
	s := cas.Stmt{Cond: m.cond, Binder: b, Table: m.t}
	keys, err := m.w.PartitionKeys(b)
	if err != nil {
		return s, err
	}
	if len(keys) != 1 {
		return s, qerr.Invalidf("Batch with conditions cannot span multiple partitions (you cannot use IN on the partition key)")
	}
	s.Key, s.PK = keys[0].Key, keys[0].Vals
	if batch && m.cond == nil {
		what := "deletions"
		if m.kind == plan.KindUpdate {
			what = "updates"
		}
		if err := cas.CheckClusteringIn(m.w, what); err != nil {
			return s, err
		}
	}
	s.UpdatesRegular = len(m.t.Clustering()) == 0 || m.w.HasClusteringRestrictions()
	for _, o := range m.ops {
		c := o.column()
		s.UpdatesStatic = s.UpdatesStatic || c.Kind == schema.StaticColumn
		if m.needsRead && c.Type.Kind == schema.KindList {
			s.Reads = append(s.Reads, c)
		}
	}
	switch {
	case len(m.t.Clustering()) == 0:
		s.Row = []byte{}
	case m.staticOnly && !m.w.HasClusteringRestrictions():
		s.Static = true
	case m.isFull():
		rows, err := m.w.FullClusterings(b)
		if err != nil {
			return s, err
		}
		if len(rows) == 1 {
			s.Row = rows[0]
		}
	}
	return s, nil
}
