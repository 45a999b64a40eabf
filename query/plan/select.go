package plan

// SELECT: the analysis of a statement into a plan (its WHERE clause is
// where.go's, its selectors selectors.go's); the executor (package query)
// runs it.

import (
	"encoding/binary"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/ring"
	"wcdb/schema"
)

// Select is an analyzed SELECT: the plan the executor runs.
type Select struct {
	Keyspace  *schema.Keyspace
	Table     *schema.Table
	Where     *Where
	Analyzer  *Analyzer
	Selectors []Selector
	Columns   []ColumnSpec
	// JSONColumns, for SELECT JSON, are the selection's columns: each
	// result row is one JSON object of them (keys JSONKeys: a column
	// whose name needs quotes in CQL keeps them, "\"Mixed\""), in the
	// one column [json] that Columns then holds.
	JSONColumns []ColumnSpec
	JSONKeys    []string
	// Aggregate: the selection has aggregate functions (one result row,
	// or one per group with GroupBy).
	Aggregate bool
	// GroupBy: GROUP BY groups rows by the partition key and the first
	// GroupCols clustering columns (package grouping analyzes it).
	GroupBy   bool
	GroupCols int
	// GroupFn, if set, is GROUP BY's last element, a function of the
	// GroupCols-th clustering column: its value replaces the column's.
	GroupFn        Selector
	Distinct       bool
	allowFiltering bool
	// KeysMode: every partition key column is restricted by = or IN; else
	// the query scans a token range (all of the ring without a token
	// restriction) and, with pkFilter, filters partition key values.
	KeysMode bool
	pkFilter []*Restriction
	// SliceCols is the number of clustering columns, from the first, whose
	// restrictions become clustering ranges; ckFilter are filtered.
	SliceCols int
	ckFilter  []*Restriction
	// filters are the restrictions on static and regular columns.
	filters []*Restriction
	// FullPartitions: no clustering nor regular column restriction, so a
	// partition with only a static row yields a row (Cassandra's
	// queriesFullPartitions).
	FullPartitions bool
	Reversed       bool
	// OrderCols is the number of ORDER BY columns (a clustering prefix);
	// with several partitions their rows are merged in that order.
	OrderCols         int
	Limit             Term
	PerPartitionLimit Term
	// AsOf is AS OF's time, if given (versions.go).
	AsOf *AsOf
	// ckTypes and ckDesc describe the clustering columns.
	ckTypes []schema.Type
	ckDesc  []bool
	// leaves and withSlots are the aggregate expression being analyzed
	// (aggexpr.go).
	leaves    []AggSelector
	withSlots map[Selector]bool
	// Plain, when every selector is a column of a single-cell type, lists
	// those columns: rows are then built in one pass over their cells.
	Plain []*schema.Column
}

// setPlain fills p.Plain if the selection allows.
func (p *Select) setPlain() {
	if p.Aggregate {
		return
	}
	cols := make([]*schema.Column, 0, len(p.Selectors))
	for _, s := range p.Selectors {
		cs, ok := s.(*colSel)
		if !ok || cs.c.Type.IsMultiCell() {
			return
		}
		cols = append(cols, cs.c)
	}
	p.Plain = cols
}

// AnalyzeSelect analyzes a SELECT of table t of keyspace ks with
// Cassandra's rules and messages; c is the clock of its functions.
func AnalyzeSelect(c Clock, ks *schema.Keyspace, t *schema.Table, st *ast.SelectStmt) (*Select, error) {
	p := &Select{Keyspace: ks, Table: t, Distinct: st.Distinct, allowFiltering: st.AllowFiltering,
		Analyzer: term.NewAnalyzer(c, t.Keyspace, t.Name, st.BindMarkers())}
	p.ckTypes, p.ckDesc = t.ClusteringTypes()
	if err := p.analyzeSelection(st.Selectors); err != nil {
		return nil, err
	}
	if st.JSON {
		p.JSONColumns = p.Columns
		for _, c := range p.Columns {
			if t.Column(c.Name) != nil {
				c.Name = ast.QuoteIdent(c.Name)
			}
			p.JSONKeys = append(p.JSONKeys, c.Name)
		}
		p.Columns = []ColumnSpec{{Keyspace: t.Keyspace, Table: t.Name, Name: "[json]", Type: schema.Native(schema.KindText)}}
	}
	w, err := AnalyzeWhere(p.Analyzer, t, st.Where, KindSelect)
	if err != nil {
		return nil, err
	}
	p.Where = w
	if err := p.analyzeRestrictions(st); err != nil {
		return nil, err
	}
	if err := p.analyzeOrdering(st.OrderBy); err != nil {
		return nil, err
	}
	if err := p.analyzeAsOf(st.AsOf); err != nil {
		return nil, err
	}
	if st.Limit != nil {
		if p.Limit, err = p.Analyzer.Term(st.Limit, Receiver{Name: "[limit]", Type: typInt}); err != nil {
			return nil, err
		}
	}
	if st.PerPartitionLimit != nil {
		if st.Distinct {
			return nil, qerr.Invalidf("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")
		}
		if p.PerPartitionLimit, err = p.Analyzer.Term(st.PerPartitionLimit, Receiver{Name: "[per_partition_limit]", Type: typInt}); err != nil {
			return nil, err
		}
	}
	if err := p.Analyzer.CheckMarkers(); err != nil {
		return nil, err
	}
	return p, nil
}

// analyzeRestrictions decides how the WHERE clause is executed and checks
// what needs ALLOW FILTERING, in Cassandra's order.
func (p *Select) analyzeRestrictions(st *ast.SelectStmt) error {
	w := p.Where
	const filteringMsg = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
	// Partition key.
	allEq := true
	for _, r := range w.PK {
		if r == nil || !r.IsEqOrIn() || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
			allEq = false
		}
	}
	switch {
	case allEq:
		p.KeysMode = true
	case w.hasPKRestrictions():
		if !p.allowFiltering {
			return qerr.Invalidf(filteringMsg)
		}
		for _, r := range w.PK {
			if r != nil {
				p.pkFilter = append(p.pkFilter, r)
			}
		}
	}
	keyRange := !p.KeysMode
	if p.selectsOnlyStatic() && w.HasClusteringRestrictions() {
		return qerr.Invalidf("Cannot restrict clustering columns when selecting only static columns")
	}
	// Clustering columns.
	if err := CheckClusteringOrder(w, p.allowFiltering); err != nil {
		return err
	}
	if w.Multi == nil {
		for i, r := range w.CK {
			if r == nil || len(r.contains)+len(r.containsKey)+len(r.elems) > 0 {
				break
			}
			if r.IsSlice() {
				p.SliceCols = i + 1
				break
			}
			p.SliceCols = i + 1
		}
		for i, r := range w.CK {
			if r != nil && i >= p.SliceCols {
				p.ckFilter = append(p.ckFilter, r)
			}
			if r != nil && i < p.SliceCols && len(r.contains)+len(r.containsKey) > 0 {
				p.ckFilter = append(p.ckFilter, r)
			}
		}
	}
	// Other columns.
	if len(w.Others) > 0 && !p.allowFiltering {
		return qerr.Invalidf(filteringMsg)
	}
	p.filters = w.Others
	if keyRange && w.HasClusteringRestrictions() && !p.allowFiltering {
		return qerr.Invalidf(filteringMsg)
	}
	p.FullPartitions = !w.HasClusteringRestrictions() && !w.hasRegularRestrictions()
	if p.Distinct {
		if w.HasClusteringRestrictions() || w.hasRegularRestrictions() {
			return qerr.Invalidf("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.")
		}
	}
	return nil
}

// selectsOnlyStatic reports whether the selection names static columns and
// no clustering or regular column (Cassandra's selectOnlyStaticColumns).
func (p *Select) selectsOnlyStatic() bool {
	if !p.Table.HasStatic() || p.Selectors == nil {
		return false
	}
	static, other := false, false
	for _, s := range p.Selectors {
		s.Columns(func(c *schema.Column) {
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

func (p *Select) analyzeOrdering(order []ast.Ordering) error {
	if len(order) == 0 {
		return nil
	}
	ck := p.Table.Clustering()
	for i, o := range order {
		c := p.Table.Column(o.Column)
		if c == nil {
			return qerr.Invalidf("Undefined column name %s", o.Column)
		}
		if c.Kind != schema.ClusteringColumn {
			return qerr.Invalidf("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got %s", c.Name)
		}
		if c.Position != i || i >= len(ck) {
			return qerr.Invalidf("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
		}
		rev := o.Desc != c.Desc
		if i == 0 {
			p.Reversed = rev
		} else if rev != p.Reversed {
			return qerr.Invalidf("Unsupported order by relation")
		}
	}
	if !p.KeysMode {
		return qerr.Invalidf("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
	}
	p.OrderCols = len(order)
	return nil
}

// TokenBounds evaluates the token restriction into partition key bounds
// [from, to) (nil: open), Cassandra's way: no wrapping, a start after the
// end is empty, and an end at the minimum token is the end of the ring.
func (p *Select) TokenBounds(b *Binder) (from, to *mutation.Key, empty bool, err error) {
	tr := p.Where.token
	val := func(t Term) (int64, error) {
		v, err := t.Eval(b)
		if err != nil {
			return 0, err
		}
		if v == nil || term.IsUnset(v) {
			return 0, qerr.Invalidf("Invalid null token value")
		}
		if len(v) != 8 {
			return 0, qerr.Invalidf("Invalid token value")
		}
		return int64(binary.BigEndian.Uint64(v)), nil
	}
	lo, hi := tr.lo, tr.hi
	if tr.eq != nil {
		lo = &bound{t: tr.eq, incl: true}
		hi = lo
	}
	s, en := int64(ring.MinToken), int64(ring.MinToken)
	inclS, inclE := true, true
	if lo != nil {
		if s, err = val(lo.t); err != nil {
			return
		}
		inclS = lo.incl
	}
	if hi != nil {
		if en, err = val(hi.t); err != nil {
			return
		}
		inclE = hi.incl
	}
	if s != ring.MinToken && en != ring.MinToken && (s > en || s == en && (!inclS || !inclE)) {
		return nil, nil, true, nil
	}
	if lo != nil {
		switch {
		case inclS:
			from = &mutation.Key{Token: s}
		case s == ring.MaxToken:
			return nil, nil, true, nil
		default:
			from = &mutation.Key{Token: s + 1}
		}
	}
	if hi != nil && en != ring.MinToken {
		switch {
		case !inclE:
			to = &mutation.Key{Token: en}
		case en != ring.MaxToken:
			to = &mutation.Key{Token: en + 1}
		}
	}
	return from, to, false, nil
}

// PartitionValues splits a partition key into its columns' values.
func (p *Select) PartitionValues(k []byte) ([][]byte, error) {
	n := len(p.Table.PartitionKey())
	vals, err := catalog.SplitPartitionKey(k, n)
	if err != nil {
		return nil, &qerr.Error{Kind: qerr.KindServerError, Msg: "query: malformed partition key: " + err.Error()}
	}
	return vals, nil
}

// OrderPrefix returns the bytes of the ORDER BY columns' part of a
// clustering key.
func (p *Select) OrderPrefix(ck []byte) ([]byte, error) {
	types, desc := p.ckTypes, p.ckDesc
	rest := ck
	for i := 0; i < p.OrderCols && len(rest) > 0; i++ {
		var err error
		if _, rest, err = schema.DecodeComparable(types[i], rest, desc[i]); err != nil {
			return nil, qerr.Convert("", err)
		}
	}
	return ck[:len(ck)-len(rest)], nil
}

// GroupSelector analyzes a function of GROUP BY as a selector of rows.
func (p *Select) GroupSelector(e ast.Term) (Selector, error) {
	s, _, _, err := p.selector(e, false)
	return s, err
}
