package query

// Batches: BEGIN [UNLOGGED] BATCH ... APPLY BATCH in a query, and the
// protocol's BATCH message (Executor.Batch). All statements of a batch get
// one write timestamp (the batch's USING TIMESTAMP, the client's default
// timestamp, or one server timestamp) unless they set their own; the
// mutations of a batch are merged per partition, so each partition is
// updated atomically, and written per keyspace through the coordinator.
// The merge is linear in the statements, and the request's deadline is
// checked between them. A batch spanning several partitions is held to the
// batch size guardrails (guardrails.go); one of a single partition is not.
//
// There is no batch log: a logged batch spanning several partitions is
// applied partition by partition, as an unlogged one. A batch with
// conditions is one lightweight transaction on its one partition
// (lwt.go), its writes at the transaction's timestamp.

import (
	"context"
	"fmt"
	"slices"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/counter"
	"wcdb/query/merge"
	"wcdb/query/parser"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// BatchEntry is one statement of a protocol BATCH message: a prepared
// statement, or a query string, with its bound values.
type BatchEntry struct {
	Prepared *Prepared
	Query    string
	Values   [][]byte
}

// batchPlan is an analyzed batch.
type batchPlan struct {
	typ   ast.BatchType
	ts    plan.Term
	stmts []*modStmt
	an    *plan.Analyzer
}

// analyzeBatch analyzes BEGIN BATCH ... APPLY BATCH.
func (x *Executor) analyzeBatch(keyspace string, st *ast.BatchStmt) (*analyzed, error) {
	bp := &batchPlan{typ: st.Type, an: term.NewAnalyzer(x.clock(), "", "", st.BindMarkers())}
	if st.Using.TTL != nil {
		return nil, qerr.Invalidf("Global TTL on the BATCH statement is not supported.")
	}
	if st.Using.Timestamp != nil {
		t, err := bp.an.Term(st.Using.Timestamp, plan.Receiver{Name: "[timestamp]", Type: schema.Native(schema.KindBigint)})
		if err != nil {
			return nil, err
		}
		bp.ts = t
	}
	a := &analyzed{specs: bp.an.Specs, run: bp}
	for _, sub := range st.Statements {
		m, err := x.analyzeModification(keyspace, sub, sub.BindMarkers())
		if err != nil {
			return nil, err
		}
		if err := checkBatchStatement(st.Type, bp.ts != nil, m); err != nil {
			return nil, err
		}
		for _, mk := range sub.BindMarkers() {
			bp.an.Adopt(mk.Index, m.an)
		}
		if a.keyspace == "" {
			a.keyspace = m.t.Keyspace
		}
		bp.stmts = append(bp.stmts, m)
	}
	if err := bp.an.CheckMarkers(); err != nil {
		return nil, err
	}
	// As Cassandra: the partition key markers of the first statement's
	// table, unless the batch spans several tables.
	if len(bp.stmts) > 0 {
		first := bp.stmts[0].t
		same := true
		for _, m := range bp.stmts {
			same = same && m.t.ID == first.ID
		}
		if same {
			a.pkIndexes = bp.an.PKIndexes(first)
		}
	}
	return a, nil
}

// checkBatchStatement applies Cassandra's rules on the statements of a
// batch.
func checkBatchStatement(typ ast.BatchType, batchTS bool, m *modStmt) error {
	if err := counter.CheckBatchStatement(typ, batchTS, m.t); err != nil {
		return err
	}
	if batchTS && m.ts != nil {
		return qerr.Invalidf("Timestamp must be set either on BATCH or individual statements")
	}
	if batchTS && m.cond != nil {
		return qerr.Invalidf("Cannot provide custom timestamp for conditional BATCH")
	}
	return nil
}

func (bp *batchPlan) run(ctx context.Context, x *Executor, _ *Session, opts *Options, values [][]byte) (*Result, error) {
	b := &plan.Binder{Clock: x.clock(), Values: values}
	ts, ok, err := evalTimestamp(b, bp.ts)
	if err != nil {
		return nil, err
	}
	if !ok {
		ts = mutation.NoTimestamp
	}
	bs := make([]boundMod, len(bp.stmts))
	for i, m := range bp.stmts {
		bs[i] = boundMod{m: m, b: b}
	}
	return x.applyBatch(ctx, bs, ts, opts)
}

// boundMod is a batch statement with its values.
type boundMod struct {
	m *modStmt
	b *plan.Binder
}

// applyBatch evaluates the statements and writes their merged mutations.
func (x *Executor) applyBatch(ctx context.Context, stmts []boundMod, ts int64, opts *Options) (*Result, error) {
	for _, s := range stmts {
		if s.m.cond != nil {
			return x.runCAS(ctx, stmts, true, opts)
		}
	}
	tables := make([]*schema.Table, len(stmts))
	for i, s := range stmts {
		tables[i] = s.m.t
	}
	isCounter, err := counter.CheckBatch(tables, opts.Consistency)
	if err == nil {
		err = checkWriteConsistency(opts.Consistency)
	}
	if err != nil {
		return nil, err
	}
	if ts == mutation.NoTimestamp {
		if opts.Timestamp != mutation.NoTimestamp && opts.Timestamp != 0 {
			ts = opts.Timestamp
		} else {
			ts = x.writeTimestamp()
		}
	}
	ctx, w := replication.WithWarnings(ctx)
	type group struct {
		ks *schema.Keyspace
		ms []mutation.Mutation
	}
	var groups []*group
	byKS := map[string]*group{}
	for n, s := range stmts {
		// A batch of many statements runs long: its deadline is the
		// request's, checked between statements.
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("query: batch stopped at statement %d of %d: %w", n+1, len(stmts), err)
		}
		g := byKS[s.m.ks.Name]
		if g == nil {
			g = &group{ks: s.m.ks, ms: make([]mutation.Mutation, 0, len(stmts))}
			byKS[s.m.ks.Name] = g
			groups = append(groups, g)
		}
		ms, err := s.m.mutations(ctx, x, s.b, opts, ts, nil, nil)
		if err != nil {
			return nil, err
		}
		g.ms = append(g.ms, ms...)
	}
	merged := make([][]mutation.Mutation, len(groups))
	for i, g := range groups {
		merged[i] = merge.Partitions(g.ms)
	}
	if err := x.cfg.Guardrails.CheckBatch(merged, func() []string { return batchTables(stmts) }, w); err != nil {
		return nil, err
	}
	for i, g := range groups {
		if err := x.writeMutations(ctx, g.ks, isCounter, merged[i], opts.Consistency); err != nil {
			return nil, err
		}
	}
	return &Result{Kind: ResultVoid, Warnings: w.List()}, nil
}

// Batch executes a protocol BATCH message: each entry's statement (an
// INSERT, UPDATE or DELETE, prepared or as a query) with its own values.
func (x *Executor) Batch(ctx context.Context, s *Session, typ ast.BatchType, entries []BatchEntry, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}
	}
	stmts := make([]boundMod, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		var a *analyzed
		if e.Prepared != nil {
			ps, ok := e.Prepared.plan.(*preparedStmt)
			if !ok {
				return nil, qerr.Invalidf("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
			}
			var err error
			if a, err = ps.current(x); err != nil {
				return nil, err
			}
		} else {
			st, err := parser.Parse(e.Query)
			if err != nil {
				return nil, err
			}
			switch st.(type) {
			case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
			default:
				return nil, qerr.Invalidf("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
			}
			if a, err = x.analyze(s.Keyspace, st); err != nil {
				return nil, err
			}
		}
		m, ok := a.run.(*modStmt)
		if !ok {
			return nil, qerr.Invalidf("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
		}
		if err := x.authorize(ctx, s, a.needs); err != nil {
			return nil, err
		}
		if err := checkBatchStatement(typ, false, m); err != nil {
			return nil, err
		}
		if len(e.Values) != len(a.specs) {
			return nil, qerr.Invalidf("There were %d markers(?) in CQL but %d bound variables", len(a.specs), len(e.Values))
		}
		stmts = append(stmts, boundMod{m: m, b: &plan.Binder{Clock: x.clock(), Values: e.Values}})
	}
	return x.applyBatch(ctx, stmts, mutation.NoTimestamp, opts)
}

// batchTables names a batch's tables (ks.t), sorted, for the guardrails'
// messages.
func batchTables(stmts []boundMod) []string {
	var names []string
	for _, s := range stmts {
		if n := s.m.t.Keyspace + "." + s.m.t.Name; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
