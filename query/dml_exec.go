package query

// The execution of INSERT, UPDATE and DELETE: the statement's values
// bound, its operations applied into one mutation per partition, and the
// mutations written through the coordinator (batch.go merges those of a
// batch first).

import (
	"context"
	"encoding/binary"
	"slices"

	"wcdb/mutation"
	"wcdb/query/funcs"
	"wcdb/query/merge"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// evalTimestamp evaluates USING TIMESTAMP; ok is false when it is absent or
// unset.
func evalTimestamp(b *plan.Binder, t plan.Term) (int64, bool, error) {
	if t == nil {
		return 0, false, nil
	}
	v, err := t.Eval(b)
	if err != nil {
		return 0, false, err
	}
	switch {
	case v == nil:
		return 0, false, qerr.Invalidf("Invalid null value of timestamp")
	case IsUnset(v):
		return 0, false, nil
	case len(v) != 8:
		return 0, false, qerr.Invalidf("Invalid timestamp value")
	}
	ts := int64(binary.BigEndian.Uint64(v))
	if ts == mutation.NoTimestamp {
		return 0, false, qerr.Invalidf("Invalid timestamp value %d", ts)
	}
	return ts, true, nil
}

// evalTTL evaluates USING TTL, or gives the table's default.
func evalTTL(b *plan.Binder, t plan.Term, def int32) (int32, error) {
	if t == nil {
		return def, nil
	}
	v, err := t.Eval(b)
	if err != nil {
		return 0, err
	}
	switch {
	case v == nil:
		return 0, qerr.Invalidf("Invalid null value of TTL")
	case IsUnset(v):
		return def, nil
	case len(v) != 4:
		return 0, qerr.Invalidf("Invalid TTL value")
	}
	ttl := int32(binary.BigEndian.Uint32(v))
	if ttl < 0 {
		return 0, qerr.Invalidf("A TTL must be greater or equal to 0, but was %d", ttl)
	}
	if ttl > schema.MaxTTL {
		return 0, qerr.Invalidf("ttl is too large. requested (%d) maximum (%d)", ttl, schema.MaxTTL)
	}
	return ttl, nil
}

// modScratch holds what executing a modification statement needs for
// the common case of one partition and one row, in one allocation.
type modScratch struct {
	b   plan.Binder
	u   updCtx
	ctx replication.RequestContext
	res Result
	out [1]mutation.Mutation
	row [1]mutation.Row
}

// mutations evaluates the statement into one mutation per partition.
// batchTS is the batch's timestamp, or mutation.NoTimestamp. sc, if not
// nil, provides the storage of the first partition and row. pre, if not
// nil, holds the partition as a lightweight transaction read it, which
// the operations that read see instead of reading.
func (m *modStmt) mutations(ctx context.Context, x *Executor, b *plan.Binder, opts *Options, batchTS int64, sc *modScratch, pre *prefetched) ([]mutation.Mutation, error) {
	var u *updCtx
	if sc != nil {
		u = &sc.u
	} else {
		u = new(updCtx)
	}
	*u = updCtx{b: b, nowSec: funcs.FloorDiv(x.now(), 1e6), t: m.t, guard: &x.cfg.Guardrails, warn: replication.WarningsFrom(ctx)}
	ts, ok, err := evalTimestamp(b, m.ts)
	if err != nil {
		return nil, err
	}
	switch {
	case ok:
		u.ts = ts
	case batchTS != mutation.NoTimestamp:
		u.ts = batchTS
	case opts.Timestamp != mutation.NoTimestamp && opts.Timestamp != 0:
		u.ts = opts.Timestamp
	default:
		u.ts = x.writeTimestamp()
	}
	if u.ttl, err = evalTTL(b, m.ttl, m.t.DefaultTTL); err != nil {
		return nil, err
	}
	keys, err := m.w.PartitionKeys(b)
	if err != nil {
		return nil, err
	}
	ck := m.t.Clustering()
	var rows [][]byte
	var ranges []plan.Range
	partitionDelete := false
	switch {
	case len(ck) == 0:
		rows = [][]byte{{}}
		partitionDelete = m.deleteRows
	case m.staticOnly && !m.w.HasClusteringRestrictions():
	case m.kind != plan.KindDelete || m.isFull():
		if rows, err = m.w.FullClusterings(b); err != nil {
			return nil, err
		}
	default:
		if !m.w.HasClusteringRestrictions() {
			partitionDelete = true
		} else if ranges, err = m.w.ClusteringRanges(b, len(ck)); err != nil {
			return nil, err
		}
	}
	var out []mutation.Mutation
	if sc != nil && len(keys) == 1 {
		out = sc.out[:0]
	} else {
		out = make([]mutation.Mutation, 0, len(keys))
	}
	versioned := merge.VersionedColumns(m.t)
	for i, k := range keys {
		// An IN on the partition key writes (and may read) partition
		// after partition: the request's deadline ends it.
		if i > 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		pb := merge.NewBuilder(k.Key)
		pb.Versioned = versioned
		if sc != nil && i == 0 {
			pb.P.Rows = sc.row[:0]
		}
		var cur map[string]*mutation.Row
		var curStatic *mutation.Row
		if m.needsRead {
			if pre == nil {
				pre = &prefetched{}
				if pre.p, err = m.readCurrent(ctx, x, k.Key, rows, opts.Consistency); err != nil {
					return nil, err
				}
			}
			cur, curStatic = pre.rows()
			pre = nil
		}
		del := mutation.Deletion{Timestamp: u.ts, LocalDeletionTime: u.nowSec}
		if m.deleteRows {
			switch {
			case partitionDelete:
				pb.P.Deletion = del
			case ranges != nil:
				for _, r := range ranges {
					start := r.Start
					if start == nil {
						start = []byte{}
					}
					pb.P.RangeTombstones = append(pb.P.RangeTombstones, mutation.RangeTombstone{Start: start, End: r.End, Deletion: del})
				}
			default:
				for _, c := range rows {
					pb.Row(c).Deletion = del
				}
			}
			out = append(out, pb.Finish(m.t.ID))
			continue
		}
		for _, o := range m.ops {
			if o.column().Kind == schema.StaticColumn {
				if err := o.apply(u, pb.Static(), curStatic); err != nil {
					return nil, err
				}
			}
		}
		for _, c := range rows {
			if !m.marker && !m.hasRegularOps() {
				break
			}
			row := pb.Row(c)
			if row.Cells == nil {
				row.Cells = make([]mutation.Cell, 0, len(m.ops))
			}
			if m.marker {
				row.Liveness = mutation.Liveness{Timestamp: u.ts, ExpiresAt: mutation.NoDeletionTime}
				if u.ttl > 0 {
					row.Liveness.TTL = u.ttl
					row.Liveness.ExpiresAt = u.nowSec + int64(u.ttl)
				}
			}
			for _, o := range m.ops {
				if o.column().Kind != schema.StaticColumn {
					if err := o.apply(u, row, cur[string(c)]); err != nil {
						return nil, err
					}
				}
			}
		}
		mu := pb.Finish(m.t.ID)
		if mu.Partition.Static != nil && mu.Partition.Static.IsEmpty() {
			mu.Partition.Static = nil
		}
		mu.Partition.Rows = slices.DeleteFunc(mu.Partition.Rows, func(r mutation.Row) bool { return r.IsEmpty() })
		if mu.Partition.Static == nil && len(mu.Partition.Rows) == 0 && mu.Partition.Deletion.IsLive() && len(mu.Partition.RangeTombstones) == 0 {
			continue
		}
		out = append(out, mu)
	}
	return out, nil
}

// prefetched is a partition as read before writing.
type prefetched struct{ p *mutation.Partition }

// rows returns the partition's rows by clustering and its static row.
func (pre *prefetched) rows() (map[string]*mutation.Row, *mutation.Row) {
	if pre.p == nil {
		return nil, nil
	}
	cur := make(map[string]*mutation.Row, len(pre.p.Rows))
	for i := range pre.p.Rows {
		cur[string(pre.p.Rows[i].Clustering)] = &pre.p.Rows[i]
	}
	return cur, pre.p.Static
}

// readCurrent reads the rows (and static row) an operation needs to see
// before writing: list discards and list element assignments.
func (m *modStmt) readCurrent(ctx context.Context, x *Executor, key mutation.Key, rows [][]byte, cl replication.Consistency) (*mutation.Partition, error) {
	if cl == replication.Any {
		cl = replication.One
	}
	cmd := replication.ReadOf(m.ks, m.t, key)
	if len(rows) > 0 {
		cmd.Start = rows[0]
		cmd.End = append(slices.Clip(rows[len(rows)-1]), 0)
	} else {
		cmd.Start, cmd.End = []byte{0}, []byte{0}
	}
	return x.cfg.Coordinator.Read(ctx, cmd, cl)
}

// run executes the statement on its own.
func (m *modStmt) run(ctx context.Context, x *Executor, _ *Session, opts *Options, values [][]byte) (*Result, error) {
	if m.cond != nil {
		return x.runCAS(ctx, []boundMod{{m: m, b: &plan.Binder{Clock: x.clock(), Values: values}}}, false, opts)
	}
	if err := m.checkConsistency(opts.Consistency); err != nil {
		return nil, err
	}
	sc := &modScratch{b: plan.Binder{Clock: x.clock(), Values: values}}
	sc.ctx.Init(ctx)
	ctx = &sc.ctx
	ms, err := m.mutations(ctx, x, &sc.b, opts, mutation.NoTimestamp, sc, nil)
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		if err := x.writeMutations(ctx, m.ks, m.t.IsCounter(), ms, opts.Consistency); err != nil {
			return nil, err
		}
	}
	sc.res = Result{Kind: ResultVoid, Warnings: sc.ctx.Warnings.List()}
	return &sc.res, nil
}
