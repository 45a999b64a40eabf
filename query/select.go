package query

// SELECT: the analysis of a statement into a plan (its WHERE clause is
// where.go's, its selectors selectors.go's); select_exec.go runs it.

import (
	"wcdb/query/ast"
	"wcdb/schema"
)

// selectPlan is an analyzed SELECT.
type selectPlan struct {
	ks   *schema.Keyspace
	t    *schema.Table
	w    *where
	an   *analyzer
	sels []selector
	cols []ColumnSpec
	// aggregate: the selection has aggregate functions (one result row).
	aggregate      bool
	distinct       bool
	allowFiltering bool
	// keysMode: every partition key column is restricted by = or IN; else
	// the query scans a token range (all of the ring without a token
	// restriction) and, with pkFilter, filters partition key values.
	keysMode bool
	pkFilter []*colRestr
	// sliceCols is the number of clustering columns, from the first, whose
	// restrictions become clustering ranges; ckFilter are filtered.
	sliceCols int
	ckFilter  []*colRestr
	// filters are the restrictions on static and regular columns.
	filters []*colRestr
	// fullPartitions: no clustering nor regular column restriction, so a
	// partition with only a static row yields a row (Cassandra's
	// queriesFullPartitions).
	fullPartitions bool
	reversed       bool
	// orderCols is the number of ORDER BY columns (a clustering prefix);
	// with several partitions their rows are merged in that order.
	orderCols int
	limit     term
	ppl       term
	// ckTypes and ckDesc describe the clustering columns.
	ckTypes []schema.Type
	ckDesc  []bool
	// plain, when every selector is a column of a single-cell type, lists
	// those columns: rows are then built in one pass over their cells.
	plain []*schema.Column
}

// setPlain fills p.plain if the selection allows.
func (p *selectPlan) setPlain() {
	if p.aggregate {
		return
	}
	cols := make([]*schema.Column, 0, len(p.sels))
	for _, s := range p.sels {
		cs, ok := s.(*colSel)
		if !ok || cs.c.Type.IsMultiCell() {
			return
		}
		cols = append(cols, cs.c)
	}
	p.plain = cols
}

// analyzeSelect analyzes a SELECT with Cassandra's rules and messages.
func (x *Executor) analyzeSelect(sessionKeyspace string, st *ast.SelectStmt) (*analyzed, error) {
	ks, t, err := x.lookupTable(sessionKeyspace, st.Table)
	if err != nil {
		return nil, err
	}
	if st.JSON {
		return nil, invalidRequest("SELECT JSON is not supported")
	}
	if len(st.GroupBy) > 0 {
		return nil, invalidRequest("GROUP BY is not supported")
	}
	p := &selectPlan{ks: ks, t: t, distinct: st.Distinct, allowFiltering: st.AllowFiltering,
		an: newAnalyzer(x, t.Keyspace, t.Name, st.BindMarkers())}
	p.ckTypes, p.ckDesc = t.ClusteringTypes()
	if err := p.analyzeSelection(st.Selectors); err != nil {
		return nil, err
	}
	w, err := analyzeWhere(p.an, t, st.Where, kindSelect)
	if err != nil {
		return nil, err
	}
	p.w = w
	if err := p.analyzeRestrictions(st); err != nil {
		return nil, err
	}
	if err := p.analyzeOrdering(st.OrderBy); err != nil {
		return nil, err
	}
	if st.Limit != nil {
		if p.limit, err = p.an.term(st.Limit, receiver{name: "[limit]", typ: typInt}); err != nil {
			return nil, err
		}
	}
	if st.PerPartitionLimit != nil {
		if st.Distinct {
			return nil, invalidRequest("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")
		}
		if p.ppl, err = p.an.term(st.PerPartitionLimit, receiver{name: "[per_partition_limit]", typ: typInt}); err != nil {
			return nil, err
		}
	}
	if err := p.an.checkMarkers(); err != nil {
		return nil, err
	}
	return &analyzed{specs: p.an.specs, pkIndexes: p.an.pkIndexes(t), columns: p.cols, keyspace: t.Keyspace, run: p}, nil
}

// analyzeRestrictions decides how the WHERE clause is executed and checks
// what needs ALLOW FILTERING, in Cassandra's order.
func (p *selectPlan) analyzeRestrictions(st *ast.SelectStmt) error {
	w := p.w
	const filteringMsg = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
	// Partition key.
	allEq := true
	for _, r := range w.pk {
		if r == nil || !r.isEqOrIn() || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
			allEq = false
		}
	}
	switch {
	case allEq:
		p.keysMode = true
	case w.hasPKRestrictions():
		if !p.allowFiltering {
			return invalidRequest(filteringMsg)
		}
		for _, r := range w.pk {
			if r != nil {
				p.pkFilter = append(p.pkFilter, r)
			}
		}
	}
	keyRange := !p.keysMode
	if p.selectsOnlyStatic() && w.hasClusteringRestrictions() {
		return invalidRequest("Cannot restrict clustering columns when selecting only static columns")
	}
	// Clustering columns.
	if err := checkClusteringOrder(w, p.allowFiltering); err != nil {
		return err
	}
	if w.multi == nil {
		for i, r := range w.ck {
			if r == nil || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
				break
			}
			if r.isSlice() {
				p.sliceCols = i + 1
				break
			}
			p.sliceCols = i + 1
		}
		for i, r := range w.ck {
			if r != nil && i >= p.sliceCols {
				p.ckFilter = append(p.ckFilter, r)
			}
			if r != nil && i < p.sliceCols && len(r.contains)+len(r.containsKey) > 0 {
				p.ckFilter = append(p.ckFilter, r)
			}
		}
	}
	// Other columns.
	if len(w.others) > 0 && !p.allowFiltering {
		return invalidRequest(filteringMsg)
	}
	p.filters = w.others
	if keyRange && w.hasClusteringRestrictions() && !p.allowFiltering {
		return invalidRequest(filteringMsg)
	}
	p.fullPartitions = !w.hasClusteringRestrictions() && !w.hasRegularRestrictions()
	if p.distinct {
		if w.hasClusteringRestrictions() || w.hasRegularRestrictions() {
			return invalidRequest("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
		}
	}
	return nil
}

// selectsOnlyStatic reports whether the selection names static columns and
// no clustering or regular column (Cassandra's selectOnlyStaticColumns).
func (p *selectPlan) selectsOnlyStatic() bool {
	if !p.t.HasStatic() || p.sels == nil {
		return false
	}
	static, other := false, false
	for _, s := range p.sels {
		s.columns(func(c *schema.Column) {
			switch c.Kind {
			case schema.StaticColumn:
				static = true
			case schema.ClusteringColumn, schema.RegularColumn:
				other = true
			}
		})
	}
	return static && !other
}

func (p *selectPlan) analyzeOrdering(order []ast.Ordering) error {
	if len(order) == 0 {
		return nil
	}
	ck := p.t.Clustering()
	for i, o := range order {
		c := p.t.Column(o.Column)
		if c == nil {
			return invalidRequest("Undefined column name %s", o.Column)
		}
		if c.Kind != schema.ClusteringColumn {
			return invalidRequest("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", c.Name)
		}
		if c.Position != i || i >= len(ck) {
			return invalidRequest("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
		}
		rev := o.Desc != c.Desc
		if i == 0 {
			p.reversed = rev
		} else if rev != p.reversed {
			return invalidRequest("Unsupported order by relation")
		}
	}
	if !p.keysMode {
		return invalidRequest("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
	}
	p.orderCols = len(order)
	return nil
}
