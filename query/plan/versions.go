package plan

// Cell versions (docs/VERSIONS.md): the versions(col[, n]) selector, and
// AS OF, the row as it was at a past time. Rows of a versioned table are
// prepared once for both (Env.VersionedRow): the table's rule applied
// again at the execution's time, because rows merged from several
// replicas may hold more versions than it keeps.

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/query/term"
	"wcdb/schema"
	"wcdb/schema/versions"
)

// noVersions is the error of versions() and AS OF on a table that keeps
// no versions.
func noVersions(t *schema.Table) error {
	return qerr.Invalidf("Table %s.%s does not keep cell versions (set cell_versions)", t.Keyspace, t.Name)
}

// AsOf is an analyzed AS OF clause.
type AsOf struct {
	Value Term
	// Micros: the value is a bigint of microseconds; else a timestamp
	// (milliseconds).
	Micros bool
}

func (p *Select) analyzeAsOf(a *ast.AsOf) error {
	if a == nil {
		return nil
	}
	if !p.Table.CellVersions.Enabled() {
		return noVersions(p.Table)
	}
	typ := schema.Native(schema.KindTimestamp)
	if a.Micros {
		typ = typBigint
	}
	v, err := p.Analyzer.Term(a.Value, Receiver{Name: "[as_of]", Type: typ})
	if err != nil {
		return err
	}
	p.AsOf = &AsOf{Value: v, Micros: a.Micros}
	return nil
}

// isVersionsCall reports whether f is versions(...), ours.
func isVersionsCall(f *ast.FunctionCall) bool {
	return strings.EqualFold(f.Name, "versions") && (f.Keyspace == "" || f.Keyspace == "system")
}

// versionsSelector analyzes versions(col[, n]): the newest n versions
// (all the rule keeps without n) of col, as a map<bigint, T> keyed by
// their write times in microseconds.
func (p *Select) versionsSelector(f *ast.FunctionCall) (Selector, string, schema.Type, error) {
	t := p.Table
	if !t.CellVersions.Enabled() {
		return nil, "", schema.Type{}, noVersions(t)
	}
	if len(f.Args) < 1 || len(f.Args) > 2 {
		return nil, "", schema.Type{}, qerr.Invalidf("versions() takes a column and an optional count: versions(col[, n])")
	}
	ref, ok := f.Args[0].(*ast.ColumnRef)
	if !ok {
		return nil, "", schema.Type{}, qerr.Invalidf("The first argument of versions() must be a column (got %s)", f.Args[0])
	}
	c := t.Column(ref.Name)
	if c == nil {
		return nil, "", schema.Type{}, qerr.Invalidf("Undefined column name %s", ref.Name)
	}
	if !t.Versioned(c) {
		return nil, "", schema.Type{}, qerr.Invalidf("Column %s keeps no versions (versions() reads a regular column that is not a non-frozen collection)", c.Name)
	}
	s := &versionsSel{c: c}
	name := "versions(" + c.Name + ")"
	if len(f.Args) == 2 {
		if k, ok := f.Args[1].(*ast.Constant); ok {
			if n, err := strconv.Atoi(k.Text); err == nil && n <= 0 {
				return nil, "", schema.Type{}, qerr.Invalidf("versions() count must be positive (got %d)", n)
			}
		}
		n, err := p.Analyzer.Term(f.Args[1], Receiver{Name: "[versions_count]", Type: typInt})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		s.n = n
		name = "versions(" + c.Name + ", " + f.Args[1].String() + ")"
	}
	return s, name, schema.MapOf(typBigint, c.Type), nil
}

type versionsSel struct {
	c *schema.Column
	n Term // nil: every version kept
}

func (s *versionsSel) Columns(fn func(*schema.Column)) { fn(s.c) }

// Value serializes the versions as a map, keys ascending: oldest first.
func (s *versionsSel) Value(v *RowView) ([]byte, error) {
	limit := math.MaxInt
	if s.n != nil {
		b, err := s.n.Eval(v.Env.Binder)
		if err != nil {
			return nil, err
		}
		if b != nil && !term.IsUnset(b) {
			if len(b) != 4 {
				return nil, qerr.Invalidf("Invalid versions() count")
			}
			n := int(int32(binary.BigEndian.Uint32(b)))
			if n <= 0 {
				return nil, qerr.Invalidf("versions() count must be positive (got %d)", n)
			}
			limit = n
		}
	}
	// The versions, newest first, and the plain cell a table given
	// cell_versions by ALTER may hold from before, in its place.
	var picked []*mutation.Cell
	var plain *mutation.Cell
	cells := cellsOf(v.Row, s.c.ID)
	for i := range cells {
		switch c := &cells[i]; {
		case !c.IsLive(v.Env.NowSec):
		case c.IsVersion():
			picked = append(picked, c)
		case len(c.Path) == 0:
			plain = c
		}
	}
	if plain != nil {
		at := len(picked)
		for i, c := range picked {
			if c.Timestamp < plain.Timestamp {
				at = i
				break
			}
		}
		picked = slices.Insert(picked, at, plain)
	}
	picked = picked[:min(len(picked), limit)]
	if len(picked) == 0 {
		return nil, nil
	}
	return versions.AppendMap(nil, picked), nil
}

// Versions is what the rows of a versioned table are read with.
type Versions struct {
	rule mutation.VersionRule
	now  int64 // µs
	// asOf is AS OF's time (µs), if hasAsOf.
	asOf    int64
	hasAsOf bool
}

// InitVersions prepares e to read a versioned table at now (µs): the
// table's rule, and AS OF's time evaluated and checked against max_age.
// For a table without versions it does nothing.
func (e *Env) InitVersions(now int64) error {
	p := e.Select
	t := p.Table
	if !t.CellVersions.Enabled() {
		return nil
	}
	v := &Versions{rule: t.CellVersions.Mutation(), now: now}
	if p.AsOf != nil {
		b, err := p.AsOf.Value.Eval(e.Binder)
		if err != nil {
			return err
		}
		if term.IsUnset(b) {
			return qerr.Invalidf("Invalid unset value of AS OF")
		}
		if b == nil || len(b) != 8 {
			return qerr.Invalidf("Invalid null value of AS OF")
		}
		at := int64(binary.BigEndian.Uint64(b))
		if !p.AsOf.Micros {
			if at > math.MaxInt64/1000 || at < math.MinInt64/1000 {
				return qerr.Invalidf("AS OF time %d ms is out of range", at)
			}
			at *= 1000
		}
		if at < v.rule.Oldest(now) {
			return qerr.Invalidf("AS OF %d is outside the retention of %s.%s (max_age %s)", at, t.Keyspace, t.Name, versions.FormatDuration(t.CellVersions.MaxAge))
		}
		v.asOf, v.hasAsOf = at, true
	}
	e.Versions = v
	return nil
}

// DropsRows reports whether VersionedRow drops rows (AS OF does: a row
// written after its time), so that the executor reads past the limits it
// would push down to the replicas, as for a filter.
func (e *Env) DropsRows() bool { return e.Versions != nil && e.Versions.hasAsOf }

// VersionedRow prepares a row of a versioned table for the selectors, in
// place: the rule applied, then, with AS OF, what was written after its
// time dropped (a versioned cell then shows its newest version up to that
// time). It reports whether the row has anything left to show.
func (e *Env) VersionedRow(r *mutation.Row) bool {
	v := e.Versions
	if v == nil {
		return true
	}
	r.ApplyVersions(v.rule, v.now)
	if !v.hasAsOf {
		return true
	}
	return r.AsOf(v.asOf, e.NowSec)
}

// AsOfStatic returns the static row without what was written after AS
// OF's time (a copy), or nil if nothing is left; r itself without AS OF.
func (e *Env) AsOfStatic(r *mutation.Row) *mutation.Row {
	if r == nil || e.Versions == nil || !e.Versions.hasAsOf {
		return r
	}
	c := *r
	c.Cells = slices.Clone(r.Cells)
	if !c.AsOf(e.Versions.asOf, e.NowSec) {
		return nil
	}
	return &c
}
