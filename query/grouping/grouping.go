// Package grouping is the aggregation of a SELECT's rows: GROUP BY a
// prefix of the primary key (the partition key and some clustering
// columns), or, for aggregates without GROUP BY, every row in one group.
//
// A Grouper sees the rows in read order; a group ends where a row with
// another partition key or clustering prefix begins, and yields one result
// row: each aggregate over the group's rows, every other selector's value
// in its first row (as Cassandra). Groups are never split across pages:
// the executor closes a group only when the next one begins, and a page
// that fills ends before that row (package query, select_exec.go).
package grouping

import (
	"bytes"
	"sort"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/schema"
)

const orderMsg = "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"

// Analyze checks the GROUP BY clause of p's statement as Cassandra does
// (SelectStatement's aggregation specification) and records the grouping
// in p.
func Analyze(p *plan.Select, groupBy []ast.Term) error {
	if len(groupBy) == 0 {
		return nil
	}
	t := p.Table
	pk := append(t.PartitionKey(), t.Clustering()...)
	next, prefix := 0, 0
	var fn plan.Selector
	for _, g := range groupBy {
		if fn != nil {
			return qerr.Invalidf("Functions are only supported on the last element of the GROUP BY clause")
		}
		var c *schema.Column
		if ref, ok := g.(*ast.ColumnRef); ok {
			if c = t.Column(ref.Name); c == nil {
				return qerr.Invalidf("Undefined column name %s", ref.Name)
			}
			if c.Kind != schema.PartitionKeyColumn && c.Kind != schema.ClusteringColumn {
				return qerr.Invalidf("Group by is currently only supported on the columns of the PRIMARY KEY, got %s", c.Name)
			}
		} else {
			var err error
			if fn, c, err = groupFunction(p, g); err != nil {
				return err
			}
		}
		for {
			if next >= len(pk) {
				return qerr.Invalidf(orderMsg)
			}
			col := pk[next]
			next++
			if col.Kind == schema.ClusteringColumn {
				prefix++
			}
			if col.Name == c.Name {
				break
			}
			if !restrictedByEq(p.Where, &col) {
				return qerr.Invalidf(orderMsg)
			}
		}
	}
	if next < len(pk) && pk[next].Kind == schema.PartitionKeyColumn {
		return qerr.Invalidf("Group by is not supported on only a part of the partition key")
	}
	if prefix > 0 && p.Distinct {
		return qerr.Invalidf("Grouping on clustering columns is not allowed for SELECT DISTINCT queries")
	}
	p.GroupBy, p.GroupCols, p.GroupFn = true, prefix, fn
	return nil
}

// groupFunction analyzes a function in GROUP BY (Cassandra 5): a scalar
// function of one clustering column, whose value groups the rows.
func groupFunction(p *plan.Select, g ast.Term) (plan.Selector, *schema.Column, error) {
	switch f := g.(type) {
	case *ast.CountRows:
		return nil, nil, qerr.Invalidf("Aggregate functions are not supported within the GROUP BY clause, got: system.count")
	case *ast.FunctionCall:
		if name := strings.ToLower(f.Name); (f.Keyspace == "" || f.Keyspace == "system") && aggregates[name] {
			return nil, nil, qerr.Invalidf("Aggregate functions are not supported within the GROUP BY clause, got: system.%s", name)
		}
	default:
		return nil, nil, qerr.Invalidf("Only column names and functions are supported in the GROUP BY clause, got %s", g)
	}
	s, err := p.GroupSelector(g)
	if err != nil {
		return nil, nil, err
	}
	var cols []*schema.Column
	s.Columns(func(c *schema.Column) { cols = append(cols, c) })
	switch {
	case len(cols) == 0:
		return nil, nil, qerr.Invalidf("GROUP BY functions must have one clustering column name as parameter")
	case len(cols) > 1:
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		return nil, nil, qerr.Invalidf("GROUP BY functions accept only one clustering column as parameter, got: %s", strings.Join(names, ","))
	case cols[0].Kind != schema.ClusteringColumn:
		return nil, nil, qerr.Invalidf("Group by functions are only supported on clustering columns, got %s", cols[0].Name)
	}
	return s, cols[0], nil
}

// aggregates are the native aggregate functions.
var aggregates = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

// restrictedByEq reports whether a primary key column is restricted by =
// (alone, or in a multi-column equality).
func restrictedByEq(w *plan.Where, c *schema.Column) bool {
	if c.Kind == schema.PartitionKeyColumn {
		return w.PK[c.Position].IsEq()
	}
	if w.CK[c.Position].IsEq() {
		return true
	}
	if m := w.Multi; m != nil && m.Eq != nil && !m.IsIn {
		for _, mc := range m.Cols {
			if mc.Name == c.Name {
				return true
			}
		}
	}
	return false
}

// Grouper aggregates rows into groups. Not safe for concurrent use.
type Grouper struct {
	p       *plan.Select
	env     *plan.Env
	ckTypes []schema.Type
	ckDesc  []bool
	accs    []plan.Accumulator
	first   [][]byte // the group's first row's non-aggregate values
	open    bool
	key     []byte // the open group's key
	next    []byte // the key Starts computed, for Add
}

// New returns the grouper of p's rows in execution env: by p's GROUP BY,
// or all in one group.
func New(p *plan.Select, env *plan.Env) *Grouper {
	g := &Grouper{p: p, env: env}
	g.ckTypes, g.ckDesc = p.Table.ClusteringTypes()
	return g
}

// Open reports whether a group is open.
func (g *Grouper) Open() bool { return g.open }

// keyOf returns the group key of a row: its partition key and clustering
// prefix, the last column of which replaced by the GROUP BY function's
// value if there is one (a static-only row is a group of its own).
func (g *Grouper) keyOf(v *plan.RowView) ([]byte, error) {
	if !g.p.GroupBy {
		return nil, nil
	}
	k := append([]byte{}, v.Part.Key.Bytes...)
	if v.Row == nil || g.p.GroupCols == 0 {
		return append(k, 0), nil
	}
	n := g.p.GroupCols
	if g.p.GroupFn != nil {
		n--
	}
	ck, rest := v.Row.Clustering, v.Row.Clustering
	for i := 0; i < n && len(rest) > 0; i++ {
		var err error
		if _, rest, err = schema.DecodeComparable(g.ckTypes[i], rest, g.ckDesc[i]); err != nil {
			return nil, qerr.Convert("", err)
		}
	}
	k = append(append(k, 1), ck[:len(ck)-len(rest)]...)
	if g.p.GroupFn == nil {
		return k, nil
	}
	val, err := g.p.GroupFn.Value(v)
	if err != nil || val == nil {
		return k, err
	}
	return append(append(k, 1), val...), nil
}

// Starts reports whether row v begins a new group while one is open: the
// caller then closes the open one before adding v.
func (g *Grouper) Starts(v *plan.RowView) (bool, error) {
	k, err := g.keyOf(v)
	if err != nil {
		return false, err
	}
	g.next = k
	return g.open && string(k) != string(g.key), nil
}

// Add adds row v to the open group, opening one if none is (after Starts,
// which computed its key).
func (g *Grouper) Add(v *plan.RowView) error {
	if !g.open {
		g.open, g.key = true, g.next
		g.accs = g.accs[:0]
		g.first = make([][]byte, len(g.p.Selectors))
		for i, s := range g.p.Selectors {
			a, ok := s.(plan.AggSelector)
			if ok {
				g.accs = append(g.accs, plan.NewAccIn(a, g.env))
				continue
			}
			g.accs = append(g.accs, nil)
			val, err := s.Value(v)
			if err != nil {
				return err
			}
			g.first[i] = val
		}
	}
	for _, a := range g.accs {
		if a != nil {
			if err := a.Add(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close returns the open group's result row and closes it. Without GROUP
// BY there is always a row: aggregates of no rows (count 0, null min),
// other selectors null.
func (g *Grouper) Close() ([][]byte, error) {
	if !g.open {
		if g.p.GroupBy {
			return nil, nil
		}
		for _, s := range g.p.Selectors {
			var acc plan.Accumulator
			if a, ok := s.(plan.AggSelector); ok {
				acc = plan.NewAccIn(a, g.env)
			}
			g.accs = append(g.accs, acc)
		}
		g.first = make([][]byte, len(g.p.Selectors))
	}
	row := make([][]byte, len(g.p.Selectors))
	for i, a := range g.accs {
		if a == nil {
			row[i] = g.first[i]
			continue
		}
		v, err := a.Result()
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	g.open = false
	return row, nil
}

// Sort orders group rows by the ORDER BY prefixes of their first rows
// (descending if reversed), stably, as Cassandra sorts the groups of
// several partitions, then keeps the first limit (-1: all).
func Sort(rows [][][]byte, prefixes [][]byte, reversed bool, limit int) [][][]byte {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		c := bytes.Compare(prefixes[idx[a]], prefixes[idx[b]])
		if reversed {
			c = -c
		}
		return c < 0
	})
	out := make([][][]byte, len(idx))
	for i, j := range idx {
		out[i] = rows[j]
	}
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
