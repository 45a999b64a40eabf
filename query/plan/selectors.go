package plan

// Selectors: the analysis of a SELECT clause into selectors, and their
// evaluation on rows (columns, WRITETIME and TTL, elements, functions,
// aggregates).

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// Selector computes one result column from a row.
type Selector interface {
	Value(v *RowView) ([]byte, error)
	// columns calls fn with the columns the selector reads.
	Columns(fn func(*schema.Column))
}

// AggSelector is an aggregate: it accumulates rows and gives one value.
type AggSelector interface {
	Selector
	NewAcc() Accumulator
}

// Accumulator accumulates an aggregate over the rows of a query.
type Accumulator interface {
	Add(v *RowView) error
	Result() ([]byte, error)
}

func (p *Select) analyzeSelection(sels []ast.Selector) error {
	if sels == nil {
		for i := range p.Table.Columns {
			c := &p.Table.Columns[i]
			p.Selectors = append(p.Selectors, &colSel{c: c})
			p.Columns = append(p.Columns, ColumnSpec{Keyspace: p.Table.Keyspace, Table: p.Table.Name, Name: c.Name, Type: c.Type})
		}
		p.setPlain()
		if p.Distinct {
			return p.checkDistinct()
		}
		return nil
	}
	aggs := 0
	for _, s := range sels {
		sel, name, typ, err := p.selector(s.Expr, true)
		if err != nil {
			return err
		}
		sel = p.wrapAggExpr(sel)
		if _, ok := sel.(AggSelector); ok {
			aggs++
		}
		if s.Alias != "" {
			name = s.Alias
		}
		p.Selectors = append(p.Selectors, sel)
		p.Columns = append(p.Columns, ColumnSpec{Keyspace: p.Table.Keyspace, Table: p.Table.Name, Name: name, Type: typ})
	}
	p.Aggregate = aggs > 0
	p.setPlain()
	if p.Distinct {
		return p.checkDistinct()
	}
	return nil
}

func (p *Select) checkDistinct() error {
	seen := map[string]bool{}
	for _, s := range p.Selectors {
		var bad string
		s.Columns(func(c *schema.Column) {
			switch c.Kind {
			case schema.PartitionKeyColumn:
				seen[c.Name] = true
			case schema.ClusteringColumn, schema.RegularColumn:
				if bad == "" {
					bad = c.Name
				}
			}
		})
		if bad != "" {
			return qerr.Invalidf("SELECT DISTINCT queries must only request partition key columns and/or static columns (not %s)", bad)
		}
	}
	var missing []string
	for _, c := range p.Table.PartitionKey() {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 && !p.Aggregate {
		return qerr.Invalidf("SELECT DISTINCT queries must request all the partition key columns (missing %s)", strings.Join(missing, ", "))
	}
	return nil
}

// selector analyzes one selector expression; top is false inside a
// function's arguments (where aggregates are refused).
func (p *Select) selector(e ast.Term, top bool) (Selector, string, schema.Type, error) {
	switch e := e.(type) {
	case *ast.ColumnRef:
		c := p.Table.Column(e.Name)
		if c == nil {
			return nil, "", schema.Type{}, qerr.Invalidf("Undefined column name %s", e.Name)
		}
		return &colSel{c: c}, c.Name, c.Type, nil
	case *ast.WritetimeExpr:
		c := p.Table.Column(e.Column)
		fname, name := "writeTime", "writetime("+e.Column+")"
		if e.TTL {
			fname, name = "ttl", "ttl("+e.Column+")"
		}
		if c == nil {
			return nil, "", schema.Type{}, qerr.Invalidf("Undefined column name %s", e.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return nil, "", schema.Type{}, qerr.Invalidf("Cannot use selection function %s on PRIMARY KEY part %s", fname, c.Name)
		}
		if c.Type.Kind == schema.KindCounter {
			return nil, "", schema.Type{}, qerr.Invalidf("Cannot use selection function %s on counter column %s", fname, c.Name)
		}
		typ := typBigint
		if e.TTL {
			typ = typInt
		}
		if c.Type.IsMultiCell() { // Cassandra 5: a list, an entry per cell
			typ = schema.ListOf(typ).Freeze()
		}
		return &writetimeSel{c: c, ttl: e.TTL}, name, typ, nil
	case *ast.CountRows:
		if !top {
			return nil, "", schema.Type{}, qerr.Invalidf("Aggregate functions cannot be used as arguments of other functions")
		}
		return &countSel{}, "count", typBigint, nil
	case *ast.FunctionCall:
		return p.functionSelector(e, top)
	case *ast.ElementExpr:
		inner, iname, ityp, err := p.nested(e.Term, top)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		switch ityp.Kind {
		case schema.KindMap, schema.KindSet:
		case schema.KindList:
			return nil, "", schema.Type{}, qerr.Invalidf("Element selection is only allowed on sets and maps, but %s is a list", iname)
		default:
			return nil, "", schema.Type{}, qerr.Invalidf("Invalid element selection: %s is of type %s is not a collection", iname, ityp)
		}
		k, err := p.Analyzer.Term(e.Key, Receiver{Name: "key(" + iname + ")", Type: ityp.Key()})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		typ := ityp.Elem()
		if ityp.Kind == schema.KindSet {
			typ = ityp.Key()
		}
		es := &elemSel{inner: inner, typ: ityp, key: k}
		p.lift(es, []Selector{inner})
		return es, iname + "[" + e.Key.String() + "]", typ, nil
	case *ast.FieldExpr:
		return p.fieldSelector(e, top)
	case *ast.CastExpr:
		return p.castSelector(e, top)
	case *ast.BinaryExpr, *ast.Negate:
		return p.operationSelector(e, top)
	case *ast.TypeHint:
		return p.typeHintSelector(e, top)
	case *ast.TupleLit:
		if len(e.Elems) == 1 { // parentheses
			s, name, typ, err := p.selector(e.Elems[0], top)
			return s, "(" + name + ")", typ, err
		}
	}
	return nil, "", schema.Type{}, qerr.Invalidf("Unsupported selector %s", e)
}

// aggregateNames are the native aggregate functions.
var aggregateNames = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

func (p *Select) functionSelector(f *ast.FunctionCall, top bool) (Selector, string, schema.Type, error) {
	if isVersionsCall(f) {
		return p.versionsSelector(f)
	}
	if term.IsJSONFunction(f, "tojson") {
		return p.toJSONSelector(f, top)
	}
	name := strings.ToLower(f.Name)
	qualified := f.Keyspace == "" || f.Keyspace == "system"
	argSels := make([]Selector, len(f.Args))
	argTypes := make([]schema.Type, len(f.Args))
	argNames := make([]string, len(f.Args))
	isTerm := make([]bool, len(f.Args))
	for i, a := range f.Args {
		switch a.(type) {
		case *ast.Constant, *ast.BindMarker, *ast.NullLit, *ast.TypeHint:
			isTerm[i] = true
			argNames[i] = a.String()
			continue
		}
		s, n, t, err := p.nested(a, top && !(qualified && aggregateNames[name]))
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		argSels[i], argNames[i], argTypes[i] = s, n, t
	}
	colName := "system." + name + "(" + strings.Join(argNames, ", ") + ")"
	if qualified && name == "token" {
		pk := p.Table.PartitionKey()
		if len(f.Args) != len(pk) {
			return nil, "", schema.Type{}, qerr.Invalidf("Invalid number of arguments in call to function system.token: %d required but %d provided", len(pk), len(f.Args))
		}
		for i, s := range argSels {
			cs, ok := s.(*colSel)
			if !ok || cs.c.Kind != schema.PartitionKeyColumn || cs.c.Position != i {
				return nil, "", schema.Type{}, qerr.Invalidf("Type error: %s cannot be passed as argument %d of function system.token", f.Args[i], i)
			}
		}
		return &tokenSel{}, colName, typBigint, nil
	}
	if qualified && aggregateNames[name] {
		if !top {
			return nil, "", schema.Type{}, qerr.Invalidf("Aggregate functions cannot be used as arguments of other functions")
		}
		if len(f.Args) != 1 {
			return nil, "", schema.Type{}, qerr.Invalidf("Invalid number of arguments in call to function system.%s: 1 required but %d provided", name, len(f.Args))
		}
		if name == "count" {
			if isTerm[0] {
				// count(1) counts rows, as COUNT(*).
				if c, ok := f.Args[0].(*ast.Constant); !ok || c.Kind != ast.IntegerConst {
					return nil, "", schema.Type{}, qerr.Invalidf("Ambiguous call to function system.count: use type casts to disambiguate")
				}
				return &countSel{}, colName, typBigint, nil
			}
			return &countSel{arg: argSels[0]}, colName, typBigint, nil
		}
		if isTerm[0] {
			return nil, "", schema.Type{}, qerr.Invalidf("Ambiguous call to function system.%s: use type casts to disambiguate", name)
		}
		t := argTypes[0]
		if (name == "sum" || name == "avg") && !funcs.IsNumeric(t.Kind) {
			return nil, "", schema.Type{}, qerr.Invalidf("Invalid call to function system.%s, none of its type signatures match (known type signatures: numeric types)", name)
		}
		return &aggSel{fn: name, arg: argSels[0], typ: t}, colName, t, nil
	}
	fn, err := term.LookupFunction(f)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	// An exact match wins, else the only compatible one (Cassandra's
	// FunctionResolver).
	var matches, exact []*funcs.Signature
	for i := range fn.Sigs {
		s := &fn.Sigs[i]
		if len(s.Args) != len(f.Args) {
			continue
		}
		fit := term.FitExact
		for j := range s.Args {
			if isTerm[j] {
				fit = min(fit, p.Analyzer.FitOf(f.Args[j], s.Args[j]))
			} else {
				fit = min(fit, term.TypeFit(argTypes[j], s.Args[j]))
			}
		}
		if fit != term.FitNone {
			matches = append(matches, s)
		}
		if fit == term.FitExact {
			exact = append(exact, s)
		}
	}
	if len(exact) == 1 {
		matches = exact
	}
	if len(matches) != 1 {
		fc := *f
		_, err := p.Analyzer.Resolve(fn, &fc)
		if err == nil {
			err = qerr.Invalidf("Invalid call to function %s, none of its type signatures match", fn.Qualified())
		}
		if len(matches) > 1 {
			err = qerr.Invalidf("Ambiguous call to function %s: use type casts to disambiguate", fn.Qualified())
		}
		return nil, "", schema.Type{}, err
	}
	sig := matches[0]
	fs := &fnSel{sig: sig, args: argSels, terms: make([]Term, len(f.Args))}
	p.lift(fs, fs.args)
	for j := range f.Args {
		if isTerm[j] {
			t, err := p.Analyzer.Term(f.Args[j], Receiver{Name: fmt.Sprintf("arg%d(%s)", j, fn.Qualified()), Type: sig.Args[j]})
			if err != nil {
				return nil, "", schema.Type{}, err
			}
			fs.terms[j] = t
		}
	}
	return fs, colName, sig.Ret, nil
}

// Rows.

// Partition is a partition being read, as its rows' selectors see it.
type Partition struct {
	Key    mutation.Key
	PK     [][]byte
	Static *mutation.Row
}

// Env is what rows are evaluated in: one execution of a SELECT.
type Env struct {
	Select *Select
	Binder *Binder
	NowSec int64 // the execution's time in seconds (TTL)
	// Versions is set for a table with cell versions (versions.go).
	Versions *Versions
}

// RowView is one result row being built: a row of a partition, or its
// static row alone (Row nil).
type RowView struct {
	Env  *Env
	Part *Partition
	Row  *mutation.Row
	// ck are the row's clustering values once split (ckOK); Reset keeps
	// the slice for the next row.
	ck   [][]byte
	ckOK bool
	// slots are the results of an aggregate expression's leaves, when it
	// is computed (aggexpr.go).
	slots [][]byte
}

// clustering returns the row's clustering values, nil for a static-only
// row.
func (v *RowView) clustering() ([][]byte, error) {
	if v.Row == nil {
		return nil, nil
	}
	if !v.ckOK {
		sel, key := v.Env.Select, v.Row.Clustering
		v.ck = v.ck[:0]
		for i := 0; len(key) > 0; i++ {
			if i >= len(sel.ckTypes) {
				return schema.SplitClustering(sel.ckTypes, sel.ckDesc, v.Row.Clustering) // its error
			}
			val, rest, err := schema.DecodeComparable(sel.ckTypes[i], key, i < len(sel.ckDesc) && sel.ckDesc[i])
			if err != nil {
				return nil, err
			}
			v.ck, key = append(v.ck, val), rest
		}
		v.ckOK = true
	}
	return v.ck, nil
}

// Reset makes v the view of another row, keeping the room of its
// clustering values: a read splits each row's key into the same slice.
func (v *RowView) Reset(env *Env, part *Partition, row *mutation.Row) {
	*v = RowView{Env: env, Part: part, Row: row, ck: v.ck[:0]}
}

// Column returns a column's value in the row (nil for null).
func (v *RowView) Column(c *schema.Column) ([]byte, error) {
	switch c.Kind {
	case schema.PartitionKeyColumn:
		return v.Part.PK[c.Position], nil
	case schema.ClusteringColumn:
		ck, err := v.clustering()
		if err != nil || ck == nil || c.Position >= len(ck) {
			return nil, err
		}
		return ck[c.Position], nil
	case schema.StaticColumn:
		return cellValue(v.Part.Static, c)
	}
	return cellValue(v.Row, c)
}

// cellsOf returns the cells of column id in r (sorted by column).
func cellsOf(r *mutation.Row, id uint32) []mutation.Cell {
	if r == nil {
		return nil
	}
	cells := r.Cells
	i, _ := slices.BinarySearchFunc(cells, id, func(c mutation.Cell, id uint32) int {
		switch {
		case c.Column < id:
			return -1
		case c.Column > id:
			return 1
		}
		return 0
	})
	j := i
	for j < len(cells) && cells[j].Column == id {
		j++
	}
	return cells[i:j]
}

// cellValue returns the value of column c in row r: its cell, or its
// elements assembled into a collection.
func cellValue(r *mutation.Row, c *schema.Column) ([]byte, error) {
	cells := cellsOf(r, c.ID)
	if !c.Type.IsMultiCell() {
		// A versioned column's value is its newest version.
		if i := mutation.NewestValue(cells); i >= 0 {
			if cells[i].IsCounter() { // a bigint: the sum of its shards
				n, err := mutation.CounterTotal(cells[i].Value)
				if err != nil {
					return nil, err
				}
				return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
			}
			return cells[i].Value, nil
		}
		return nil, nil
	}
	elems := make([]schema.Element, 0, len(cells))
	for i := range cells {
		if len(cells[i].Path) > 0 && !cells[i].IsTombstone() {
			elems = append(elems, schema.Element{Path: cells[i].Path, Value: cells[i].Value})
		}
	}
	v, err := schema.CollectionFromElements(c.Type, elems)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return v, nil
}

// simpleCell returns the live cell of a simple column, or nil.
func (v *RowView) simpleCell(c *schema.Column) *mutation.Cell {
	r := v.Row
	if c.Kind == schema.StaticColumn {
		r = v.Part.Static
	}
	cells := cellsOf(r, c.ID)
	if i := mutation.NewestValue(cells); i >= 0 {
		return &cells[i]
	}
	return nil
}

type colSel struct{ c *schema.Column }

func (s *colSel) Value(v *RowView) ([]byte, error) { return v.Column(s.c) }
func (s *colSel) Columns(fn func(*schema.Column))  { fn(s.c) }

type writetimeSel struct {
	c   *schema.Column
	ttl bool
}

func (s *writetimeSel) Columns(fn func(*schema.Column)) { fn(s.c) }

func (s *writetimeSel) Value(v *RowView) ([]byte, error) {
	if s.c.Type.IsMultiCell() {
		return s.multi(v)
	}
	cell := v.simpleCell(s.c)
	if cell == nil {
		return nil, nil
	}
	return s.of(cell, v.Env.NowSec), nil
}

// of is the writetime or TTL of one live cell (nil: no TTL).
func (s *writetimeSel) of(cell *mutation.Cell, now int64) []byte {
	if !s.ttl {
		return binary.BigEndian.AppendUint64(nil, uint64(cell.Timestamp))
	}
	if cell.Flags&mutation.CellExpiring == 0 {
		return nil
	}
	left := max(cell.LocalDeletionTime-now, 0)
	return binary.BigEndian.AppendUint32(nil, uint32(left))
}

// multi is writetime/ttl of a non-frozen column as Cassandra 5's
// Selector.InputRow builds it: a list with an entry per element of a
// collection, per field of a user type (null for a field without a cell);
// null when the column has no live cell.
func (s *writetimeSel) multi(v *RowView) ([]byte, error) {
	r := v.Row
	if s.c.Kind == schema.StaticColumn {
		r = v.Part.Static
	}
	var entries [][]byte
	field, live := 0, false
	for _, cell := range cellsOf(r, s.c.ID) {
		if len(cell.Path) == 0 || cell.IsTombstone() {
			continue
		}
		live = true
		if s.c.Type.Kind == schema.KindUDT {
			at, err := schema.FieldOfPath(cell.Path)
			if err != nil {
				return nil, qerr.Convert("", err)
			}
			for ; field < at; field++ {
				entries = append(entries, nil)
			}
			field++
		}
		entries = append(entries, s.of(&cell, v.Env.NowSec))
	}
	if !live {
		return nil, nil
	}
	if s.c.Type.Kind == schema.KindUDT {
		for ; field < len(s.c.Type.Elems); field++ {
			entries = append(entries, nil)
		}
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	for _, e := range entries {
		if e == nil {
			out = binary.BigEndian.AppendUint32(out, ^uint32(0))
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

type tokenSel struct{}

func (tokenSel) Columns(func(*schema.Column)) {}

func (tokenSel) Value(v *RowView) ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(v.Part.Key.Token)), nil
}

type elemSel struct {
	inner Selector
	typ   schema.Type
	key   Term
}

func (s *elemSel) Columns(fn func(*schema.Column)) { s.inner.Columns(fn) }

func (s *elemSel) Value(v *RowView) ([]byte, error) {
	coll, err := s.inner.Value(v)
	if err != nil || coll == nil {
		return nil, err
	}
	k, err := s.key.Eval(v.Env.Binder)
	if err != nil || k == nil || term.IsUnset(k) {
		return nil, err
	}
	vals, err := SplitList(coll)
	if err != nil {
		return nil, err
	}
	kt := s.typ.Key()
	if s.typ.Kind == schema.KindSet {
		for _, e := range vals {
			if schema.Compare(kt, e, k) == 0 {
				return e, nil
			}
		}
		return nil, nil
	}
	// A serialized map is a count, then keys and values alternating;
	// splitList read the count as pairs, so re-split.
	kv, err := splitMap(coll)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if schema.Compare(kt, kv[i], k) == 0 {
			return kv[i+1], nil
		}
	}
	return nil, nil
}

// splitMap returns the keys and values of a serialized map, alternating.
func splitMap(b []byte) ([][]byte, error) {
	if len(b) < 4 {
		return nil, qerr.Invalidf("Not enough bytes to read a map")
	}
	n := int(int32(binary.BigEndian.Uint32(b)))
	if n < 0 || n > len(b)/8 {
		return nil, qerr.Invalidf("Invalid map size %d", n)
	}
	fake := binary.BigEndian.AppendUint32(nil, uint32(2*n))
	return SplitList(append(fake, b[4:]...))
}

type fnSel struct {
	sig   *funcs.Signature
	args  []Selector
	terms []Term
}

func (s *fnSel) Columns(fn func(*schema.Column)) {
	for _, a := range s.args {
		if a != nil {
			a.Columns(fn)
		}
	}
}

func (s *fnSel) Value(v *RowView) ([]byte, error) {
	args := make([][]byte, len(s.args))
	for i := range s.args {
		var a []byte
		var err error
		if s.terms[i] != nil {
			a, err = s.terms[i].Eval(v.Env.Binder)
			if term.IsUnset(a) {
				a = nil
			}
		} else {
			a, err = s.args[i].Value(v)
		}
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	return s.sig.Impl(v.Env.Binder.Clock, args)
}

// countSel is COUNT(*), COUNT(1) (arg nil) or count(expr), which counts
// non-null values.
type countSel struct{ arg Selector }

func (s *countSel) Columns(fn func(*schema.Column)) {
	if s.arg != nil {
		s.arg.Columns(fn)
	}
}

func (s *countSel) Value(*RowView) ([]byte, error) { return nil, nil }

func (s *countSel) NewAcc() Accumulator { return &countAcc{arg: s.arg} }

type countAcc struct {
	arg Selector
	n   int64
}

func (a *countAcc) Add(v *RowView) error {
	if a.arg != nil {
		x, err := a.arg.Value(v)
		if err != nil || x == nil {
			return err
		}
	}
	a.n++
	return nil
}

func (a *countAcc) Result() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(a.n)), nil
}

// aggSel is min, max, sum or avg of a selector.
type aggSel struct {
	fn  string
	arg Selector
	typ schema.Type
}

func (s *aggSel) Columns(fn func(*schema.Column)) { s.arg.Columns(fn) }
func (s *aggSel) Value(*RowView) ([]byte, error)  { return nil, nil }
func (s *aggSel) NewAcc() Accumulator             { return &aggAcc{s: s, agg: funcs.NewAggregate(s.fn, s.typ)} }

type aggAcc struct {
	s   *aggSel
	agg *funcs.Aggregate
}

func (a *aggAcc) Add(v *RowView) error {
	x, err := a.s.arg.Value(v)
	if err != nil || x == nil {
		return err
	}
	return a.agg.Add(x)
}

func (a *aggAcc) Result() ([]byte, error) { return a.agg.Result() }
