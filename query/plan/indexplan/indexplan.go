// Package indexplan decides how a SELECT uses the table's secondary indexes
// (docs/INDEXES.md): whether indexes serve every restriction that would
// otherwise need ALLOW FILTERING, and which one index a range scan reads.
// The rows an index gives are candidates; the executor filters them with
// the same restrictions, so the choice changes what is read, not what is
// returned.
package indexplan

import (
	"strings"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/plan"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/schema/indexing"
)

// Operators an index serves.
const (
	opEq = iota
	opEntry
	opContains
	opContainsKey
	opRange
)

// Choice is the index a scan reads, for one filtering restriction.
type Choice struct {
	Name   string
	filter int  // index into the plan's filtering (or sliced) restrictions
	sliced bool // a clustering restriction the clustering ranges serve
	op     int
	col    *schema.Column
}

type usable struct {
	name string
	tg   indexing.Target
	sai  bool
}

func indexesOn(t *schema.Table, c *schema.Column) []usable {
	var out []usable
	for _, ix := range t.Indexes {
		tg := indexing.ParseTarget(ix.Options["target"])
		if tg.Column != c.Name {
			continue
		}
		if tg.Kind == indexing.Simple && c.Type.IsMultiCell() {
			tg.Kind = indexing.Values
		}
		out = append(out, usable{name: ix.Name, tg: tg, sai: ix.Options["class_name"] == catalog.SAIClass})
	}
	return out
}

// serving returns the index serving operator op on column c ("" if
// none), an SAI one if there is, and whether it is SAI.
func serving(ixs []usable, c *schema.Column, op int) (string, bool) {
	name, sai := "", false
	for _, u := range ixs {
		ok := false
		switch op {
		case opEq:
			ok = u.tg.Kind == indexing.Simple || u.tg.Kind == indexing.Full
		case opRange:
			ok = u.tg.Kind == indexing.Simple && u.sai && !c.Type.IsCollection()
		case opContains:
			ok = u.tg.Kind == indexing.Values
		case opContainsKey:
			ok = u.tg.Kind == indexing.Keys
		case opEntry:
			ok = u.tg.Kind == indexing.Entries
		}
		if ok && (name == "" || u.sai && !sai) {
			name, sai = u.name, u.sai
		}
	}
	return name, sai
}

// Choose returns the index a scan of p should read (nil if none serves a
// restriction) and whether indexes serve every filtering restriction, so
// that the query needs no ALLOW FILTERING. As in Cassandra 5, SAI indexes
// serve restrictions ANDed together, a plain (legacy) index only the one
// the scan reads. A clustering restriction the clustering ranges serve may
// be chosen, but need not be served: an indexed query may restrict the
// clustering columns.
func Choose(p *plan.Select) (*Choice, bool) {
	all := true
	var best *Choice
	var legacy []Choice
	consider(p.Table, p.FilterOps(), false, &best, &all, &legacy)
	sliceAll := true
	var ignored []Choice
	consider(p.Table, p.SlicedOps(), true, &best, &sliceAll, &ignored)
	switch len(legacy) {
	case 0:
	case 1:
		best = &legacy[0] // the scan reads the one legacy index
	default:
		all = false
	}
	return best, all && best != nil
}

// consider looks at restrictions ops for the best index to read; all is
// cleared if one is not served, and legacy gets those only a legacy index
// serves.
func consider(t *schema.Table, ops []plan.FilterOp, sliced bool, best **Choice, all *bool, legacy *[]Choice) {
	for i, f := range ops {
		ixs := indexesOn(t, f.Col)
		var wanted []int
		if f.Eq {
			wanted = append(wanted, opEq)
		}
		if f.Elems > 0 {
			wanted = append(wanted, opEntry)
		}
		if f.Contains > 0 {
			wanted = append(wanted, opContains)
		}
		if f.ContainsKey > 0 {
			wanted = append(wanted, opContainsKey)
		}
		if f.Lo || f.Hi {
			wanted = append(wanted, opRange)
		}
		if f.In || len(wanted) == 0 {
			*all = false
			continue
		}
		for _, op := range wanted {
			name, sai := serving(ixs, f.Col, op)
			if name == "" {
				*all = false
				continue
			}
			c := Choice{Name: name, filter: i, sliced: sliced, op: op, col: f.Col}
			if !sai {
				*legacy = append(*legacy, c)
			}
			if *best == nil || op < (*best).op {
				*best = &c
			}
		}
	}
}

// Query is the index read of the choice for plan p with the restrictions'
// values bound (fs from p.BindFilters).
func (c *Choice) Query(p *plan.Select, b *plan.Binder, fs plan.Filters) (*replication.IndexQuery, error) {
	ops := fs.Ops()
	if c.sliced {
		var err error
		if ops, err = p.BindSlicedOps(b); err != nil {
			return nil, err
		}
	}
	if c.filter >= len(ops) {
		return nil, qerr.Invalidf("query: index plan does not match the bound restrictions")
	}
	f, typ := ops[c.filter], c.col.Type
	q := &replication.IndexQuery{Name: c.Name}
	switch c.op {
	case opEq:
		q.Lo = indexing.Term(typ, f.EqVal)
		q.Hi = q.Lo
	case opEntry:
		q.Lo = indexing.EntryTerm(typ, f.ElemVals[0][0], f.ElemVals[0][1])
		q.Hi = q.Lo
	case opContains:
		q.Lo = indexing.Term(typ.Elem(), f.ContainsVals[0])
		q.Hi = q.Lo
	case opContainsKey:
		q.Lo = indexing.Term(typ.Key(), f.ContainsKeyVals[0])
		q.Hi = q.Lo
	case opRange:
		if f.Lo {
			q.Lo, q.LoExclusive = indexing.Term(typ, f.LoVal), !f.LoIncl
		}
		if f.Hi {
			q.Hi, q.HiExclusive = indexing.Term(typ, f.HiVal), !f.HiIncl
		}
	}
	return q, nil
}

// Analyze takes plan.AnalyzeSelect's answer (p, err) for st on table t of
// keyspace ks and returns the plan to run and the index its scans read
// (nil if none): a statement refused for filtering is analyzed as with
// ALLOW FILTERING when indexes serve every restriction that needs it.
func Analyze(c plan.Clock, ks *schema.Keyspace, t *schema.Table, st *ast.SelectStmt, p *plan.Select, err error) (*plan.Select, *Choice, error) {
	if len(t.Indexes) == 0 {
		return p, nil, err
	}
	var ix *Choice
	switch {
	case err == nil:
		ix, _ = Choose(p)
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
		if ix, all = Choose(p2); !all {
			return p, nil, err
		}
		p = p2
	}
	if p.KeysMode {
		ix = nil // a partition read filters its rows; no scan to narrow
	}
	return p, ix, nil
}

var opNames = [...]string{opEq: "=", opEntry: "[key] =", opContains: "CONTAINS", opContainsKey: "CONTAINS KEY", opRange: "range"}

// String describes the choice: the index, the operator and the column.
func (c *Choice) String() string {
	s := c.Name + ": " + c.col.Name + " " + opNames[c.op]
	if c.sliced {
		s += " (a clustering restriction)"
	}
	return s
}
