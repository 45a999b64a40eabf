package query

// SELECT through secondary indexes (docs/INDEXES.md): a statement refused
// for filtering is analyzed as with ALLOW FILTERING when indexes serve
// every restriction that needs it; a scan then reads only what the chosen
// index lists, and the filters re-check every row.

import (
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/plan"
	"wcdb/query/plan/indexplan"
	"wcdb/replication"
	"wcdb/schema"
)

// withIndexes takes AnalyzeSelect's answer (p, err) for st on table t,
// which has indexes, and returns the plan to run and the index its scans
// read.
func withIndexes(c plan.Clock, ks *schema.Keyspace, t *schema.Table, st *ast.SelectStmt, p *plan.Select, err error) (*plan.Select, *indexplan.Choice, error) {
	var ix *indexplan.Choice
	switch {
	case err == nil:
		ix, _ = indexplan.Choose(p)
	case st.AllowFiltering || !strings.Contains(err.Error(), "ALLOW FILTERING"):
		return p, nil, err
	default:
		filtering := *st
		filtering.AllowFiltering = true
		p2, err2 := plan.AnalyzeSelect(c, ks, t, &filtering)
		if err2 != nil {
			return p, nil, err
		}
		var all bool
		if ix, all = indexplan.Choose(p2); !all {
			return p, nil, err
		}
		p = p2
	}
	if p.KeysMode {
		ix = nil // a partition read filters its rows; no scan to narrow
	}
	return p, ix, nil
}

// rereadIndexed returns the partition an index scan gave, read again at
// the consistency level when that asks for more than one replica: a
// replica answers only what its own index lists, so one holding a newer,
// non-matching value would not answer the partition at all and the old
// value from another would pass the filters (Cassandra's replica filtering
// protection). The whole partition is read once; its later pieces in the
// scan are skipped (nil).
func (e *selectExec) rereadIndexed(part *mutation.Partition) (*mutation.Partition, error) {
	switch e.cl {
	case replication.One, replication.LocalOne, replication.Any:
		return part, nil
	}
	if e.reread != nil && e.reread.Equal(part.Key) {
		return nil, nil
	}
	k := part.Key
	e.reread = &k
	p := e.p
	return e.x.cfg.Coordinator.Read(e.ctx, replication.ReadCommand{Keyspace: p.Keyspace, Table: p.Table.ID, Key: part.Key,
		Start: e.bounds.Start, End: e.bounds.End}, e.cl)
}
