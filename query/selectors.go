package query

// Selectors: the analysis of a SELECT clause into selectors, and their
// evaluation on rows (columns, WRITETIME and TTL, elements, functions,
// aggregates).

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/schema"
)

// selector computes one result column from a row.
type selector interface {
	value(v *rowView) ([]byte, error)
	// columns calls fn with the columns the selector reads.
	columns(fn func(*schema.Column))
}

// aggSelector is an aggregate: it accumulates rows and gives one value.
type aggSelector interface {
	selector
	newAcc() accumulator
}

// accumulator accumulates an aggregate over the rows of a query.
type accumulator interface {
	add(v *rowView) error
	result() ([]byte, error)
}

func (p *selectPlan) analyzeSelection(sels []ast.Selector) error {
	if sels == nil {
		for i := range p.t.Columns {
			c := &p.t.Columns[i]
			p.sels = append(p.sels, &colSel{c: c})
			p.cols = append(p.cols, ColumnSpec{Keyspace: p.t.Keyspace, Table: p.t.Name, Name: c.Name, Type: c.Type})
		}
		p.setPlain()
		if p.distinct {
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
		if _, ok := sel.(aggSelector); ok {
			aggs++
		}
		if s.Alias != "" {
			name = s.Alias
		}
		p.sels = append(p.sels, sel)
		p.cols = append(p.cols, ColumnSpec{Keyspace: p.t.Keyspace, Table: p.t.Name, Name: name, Type: typ})
	}
	p.aggregate = aggs > 0
	p.setPlain()
	if p.distinct {
		return p.checkDistinct()
	}
	return nil
}

func (p *selectPlan) checkDistinct() error {
	seen := map[string]bool{}
	for _, s := range p.sels {
		var bad string
		s.columns(func(c *schema.Column) {
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
			return invalidRequest("SELECT DISTINCT queries must only request partition key columns and/or static columns (not %s)", bad)
		}
	}
	var missing []string
	for _, c := range p.t.PartitionKey() {
		if !seen[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 && !p.aggregate {
		return invalidRequest("SELECT DISTINCT queries must request all the partition key columns (missing %s)", strings.Join(missing, ", "))
	}
	return nil
}

// selector analyzes one selector expression; top is false inside a
// function's arguments (where aggregates are refused).
func (p *selectPlan) selector(e ast.Term, top bool) (selector, string, schema.Type, error) {
	switch e := e.(type) {
	case *ast.ColumnRef:
		c := p.t.Column(e.Name)
		if c == nil {
			return nil, "", schema.Type{}, invalidRequest("Undefined column name %s", e.Name)
		}
		return &colSel{c: c}, c.Name, c.Type, nil
	case *ast.WritetimeExpr:
		c := p.t.Column(e.Column)
		fname, name := "writeTime", "writetime("+e.Column+")"
		if e.TTL {
			fname, name = "ttl", "ttl("+e.Column+")"
		}
		if c == nil {
			return nil, "", schema.Type{}, invalidRequest("Undefined column name %s", e.Column)
		}
		if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
			return nil, "", schema.Type{}, invalidRequest("Cannot use selection function %s on PRIMARY KEY part %s", fname, c.Name)
		}
		if c.Type.IsMultiCell() {
			return nil, "", schema.Type{}, invalidRequest("Cannot use selection function %s on non-frozen collection %s", fname, c.Name)
		}
		typ := typBigint
		if e.TTL {
			typ = typInt
		}
		return &writetimeSel{c: c, ttl: e.TTL}, name, typ, nil
	case *ast.CountRows:
		if !top {
			return nil, "", schema.Type{}, invalidRequest("Aggregate functions cannot be used as arguments of other functions")
		}
		return &countSel{}, "count", typBigint, nil
	case *ast.FunctionCall:
		return p.functionSelector(e, top)
	case *ast.ElementExpr:
		inner, iname, ityp, err := p.selector(e.Term, false)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		switch ityp.Kind {
		case schema.KindMap, schema.KindSet:
		case schema.KindList:
			return nil, "", schema.Type{}, invalidRequest("Element selection is only allowed on sets and maps, but %s is a list", iname)
		default:
			return nil, "", schema.Type{}, invalidRequest("Invalid element selection: %s is of type %s is not a collection", iname, ityp)
		}
		k, err := p.an.term(e.Key, receiver{name: "key(" + iname + ")", typ: ityp.Key()})
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		typ := ityp.Elem()
		if ityp.Kind == schema.KindSet {
			typ = ityp.Key()
		}
		return &elemSel{inner: inner, typ: ityp, key: k}, iname + "[" + e.Key.String() + "]", typ, nil
	case *ast.CastExpr:
		return nil, "", schema.Type{}, invalidRequest("CAST is not supported")
	}
	return nil, "", schema.Type{}, invalidRequest("Unsupported selector %s", e)
}

// aggregateNames are the native aggregate functions.
var aggregateNames = map[string]bool{"count": true, "min": true, "max": true, "sum": true, "avg": true}

func (p *selectPlan) functionSelector(f *ast.FunctionCall, top bool) (selector, string, schema.Type, error) {
	name := strings.ToLower(f.Name)
	qualified := f.Keyspace == "" || f.Keyspace == "system"
	argSels := make([]selector, len(f.Args))
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
		s, n, t, err := p.selector(a, false)
		if err != nil {
			return nil, "", schema.Type{}, err
		}
		argSels[i], argNames[i], argTypes[i] = s, n, t
	}
	colName := "system." + name + "(" + strings.Join(argNames, ", ") + ")"
	if qualified && name == "token" {
		pk := p.t.PartitionKey()
		if len(f.Args) != len(pk) {
			return nil, "", schema.Type{}, invalidRequest("Invalid number of arguments in call to function system.token: %d required but %d provided", len(pk), len(f.Args))
		}
		for i, s := range argSels {
			cs, ok := s.(*colSel)
			if !ok || cs.c.Kind != schema.PartitionKeyColumn || cs.c.Position != i {
				return nil, "", schema.Type{}, invalidRequest("Type error: %s cannot be passed as argument %d of function system.token", f.Args[i], i)
			}
		}
		return &tokenSel{}, colName, typBigint, nil
	}
	if qualified && aggregateNames[name] {
		if !top {
			return nil, "", schema.Type{}, invalidRequest("Aggregate functions cannot be used as arguments of other functions")
		}
		if len(f.Args) != 1 {
			return nil, "", schema.Type{}, invalidRequest("Invalid number of arguments in call to function system.%s: 1 required but %d provided", name, len(f.Args))
		}
		if name == "count" {
			if isTerm[0] {
				// count(1) counts rows, as COUNT(*).
				if c, ok := f.Args[0].(*ast.Constant); !ok || c.Kind != ast.IntegerConst {
					return nil, "", schema.Type{}, invalidRequest("Ambiguous call to function system.count: use type casts to disambiguate")
				}
				return &countSel{}, colName, typBigint, nil
			}
			return &countSel{arg: argSels[0]}, colName, typBigint, nil
		}
		if isTerm[0] {
			return nil, "", schema.Type{}, invalidRequest("Ambiguous call to function system.%s: use type casts to disambiguate", name)
		}
		t := argTypes[0]
		if (name == "sum" || name == "avg") && !isNumeric(t) {
			return nil, "", schema.Type{}, invalidRequest("Invalid call to function system.%s, none of its type signatures match (known type signatures: numeric types)", name)
		}
		return &aggSel{fn: name, arg: argSels[0], typ: t}, colName, t, nil
	}
	fn, err := lookupFunction(f)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	var matches []*signature
	for i := range fn.sigs {
		s := &fn.sigs[i]
		if len(s.args) != len(f.Args) {
			continue
		}
		ok := true
		for j := range s.args {
			if isTerm[j] {
				if p.an.fitOf(f.Args[j], s.args[j]) == fitNone {
					ok = false
				}
			} else if !assignableType(argTypes[j], s.args[j]) {
				ok = false
			}
		}
		if ok {
			matches = append(matches, s)
		}
	}
	if len(matches) != 1 {
		fc := *f
		_, err := p.an.resolve(fn, &fc)
		if err == nil {
			err = invalidRequest("Invalid call to function %s, none of its type signatures match", fn.qualified())
		}
		if len(matches) > 1 {
			err = invalidRequest("Ambiguous call to function %s: use type casts to disambiguate", fn.qualified())
		}
		return nil, "", schema.Type{}, err
	}
	sig := matches[0]
	fs := &fnSel{sig: sig, args: argSels, terms: make([]term, len(f.Args))}
	for j := range f.Args {
		if isTerm[j] {
			t, err := p.an.term(f.Args[j], receiver{name: fmt.Sprintf("arg%d(%s)", j, fn.qualified()), typ: sig.args[j]})
			if err != nil {
				return nil, "", schema.Type{}, err
			}
			fs.terms[j] = t
		}
	}
	return fs, colName, sig.ret, nil
}

func isNumeric(t schema.Type) bool {
	switch t.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindVarint,
		schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindCounter:
		return true
	}
	return false
}

// Rows.

// partState is what the executor knows of the partition being read.
type partState struct {
	idx    int
	key    mutation.Key
	pk     [][]byte
	static *mutation.Row
	// emitted counts the rows returned from the partition (with the ones
	// of earlier pages), seen the rows read (before filtering).
	emitted, seen int
	// resumed: the partition was started on an earlier page.
	resumed bool
	done    bool
	skip    bool
}

// rowView is one result row being built: a row of a partition, or its
// static row alone (row nil).
type rowView struct {
	e   *selectExec
	p   *partState
	row *mutation.Row
	ck  [][]byte
}

// clustering returns the row's clustering values, nil for a static-only
// row.
func (v *rowView) clustering() ([][]byte, error) {
	if v.row == nil {
		return nil, nil
	}
	if v.ck == nil {
		ck, err := schema.SplitClustering(v.e.p.ckTypes, v.e.p.ckDesc, v.row.Clustering)
		if err != nil {
			return nil, err
		}
		v.ck = ck
	}
	return v.ck, nil
}

// column returns a column's value in the row (nil for null).
func (v *rowView) column(c *schema.Column) ([]byte, error) {
	switch c.Kind {
	case schema.PartitionKeyColumn:
		return v.p.pk[c.Position], nil
	case schema.ClusteringColumn:
		ck, err := v.clustering()
		if err != nil || ck == nil || c.Position >= len(ck) {
			return nil, err
		}
		return ck[c.Position], nil
	case schema.StaticColumn:
		return cellValue(v.p.static, c)
	}
	return cellValue(v.row, c)
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
		for i := range cells {
			if len(cells[i].Path) == 0 && !cells[i].IsTombstone() {
				return cells[i].Value, nil
			}
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
		return nil, schemaErr("", err)
	}
	return v, nil
}

// simpleCell returns the live cell of a simple column, or nil.
func (v *rowView) simpleCell(c *schema.Column) *mutation.Cell {
	r := v.row
	if c.Kind == schema.StaticColumn {
		r = v.p.static
	}
	cells := cellsOf(r, c.ID)
	for i := range cells {
		if len(cells[i].Path) == 0 && !cells[i].IsTombstone() {
			return &cells[i]
		}
	}
	return nil
}

type colSel struct{ c *schema.Column }

func (s *colSel) value(v *rowView) ([]byte, error) { return v.column(s.c) }
func (s *colSel) columns(fn func(*schema.Column))  { fn(s.c) }

type writetimeSel struct {
	c   *schema.Column
	ttl bool
}

func (s *writetimeSel) columns(fn func(*schema.Column)) { fn(s.c) }

func (s *writetimeSel) value(v *rowView) ([]byte, error) {
	cell := v.simpleCell(s.c)
	if cell == nil {
		return nil, nil
	}
	if !s.ttl {
		return binary.BigEndian.AppendUint64(nil, uint64(cell.Timestamp)), nil
	}
	if cell.Flags&mutation.CellExpiring == 0 {
		return nil, nil
	}
	left := max(cell.LocalDeletionTime-v.e.nowSec, 0)
	return binary.BigEndian.AppendUint32(nil, uint32(left)), nil
}

type tokenSel struct{}

func (tokenSel) columns(func(*schema.Column)) {}

func (tokenSel) value(v *rowView) ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(v.p.key.Token)), nil
}

type elemSel struct {
	inner selector
	typ   schema.Type
	key   term
}

func (s *elemSel) columns(fn func(*schema.Column)) { s.inner.columns(fn) }

func (s *elemSel) value(v *rowView) ([]byte, error) {
	coll, err := s.inner.value(v)
	if err != nil || coll == nil {
		return nil, err
	}
	k, err := s.key.eval(v.e.b)
	if err != nil || k == nil || IsUnset(k) {
		return nil, err
	}
	vals, err := splitList(coll)
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
		return nil, invalidRequest("Not enough bytes to read a map")
	}
	n := int(int32(binary.BigEndian.Uint32(b)))
	if n < 0 || n > len(b)/8 {
		return nil, invalidRequest("Invalid map size %d", n)
	}
	fake := binary.BigEndian.AppendUint32(nil, uint32(2*n))
	return splitList(append(fake, b[4:]...))
}

type fnSel struct {
	sig   *signature
	args  []selector
	terms []term
}

func (s *fnSel) columns(fn func(*schema.Column)) {
	for _, a := range s.args {
		if a != nil {
			a.columns(fn)
		}
	}
}

func (s *fnSel) value(v *rowView) ([]byte, error) {
	args := make([][]byte, len(s.args))
	for i := range s.args {
		var a []byte
		var err error
		if s.terms[i] != nil {
			a, err = s.terms[i].eval(v.e.b)
			if IsUnset(a) {
				a = nil
			}
		} else {
			a, err = s.args[i].value(v)
		}
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	return s.sig.impl(v.e.x, args)
}

// countSel is COUNT(*), COUNT(1) (arg nil) or count(expr), which counts
// non-null values.
type countSel struct{ arg selector }

func (s *countSel) columns(fn func(*schema.Column)) {
	if s.arg != nil {
		s.arg.columns(fn)
	}
}

func (s *countSel) value(*rowView) ([]byte, error) { return nil, nil }

func (s *countSel) newAcc() accumulator { return &countAcc{arg: s.arg} }

type countAcc struct {
	arg selector
	n   int64
}

func (a *countAcc) add(v *rowView) error {
	if a.arg != nil {
		x, err := a.arg.value(v)
		if err != nil || x == nil {
			return err
		}
	}
	a.n++
	return nil
}

func (a *countAcc) result() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(a.n)), nil
}

// aggSel is min, max, sum or avg of a selector.
type aggSel struct {
	fn  string
	arg selector
	typ schema.Type
}

func (s *aggSel) columns(fn func(*schema.Column)) { s.arg.columns(fn) }
func (s *aggSel) value(*rowView) ([]byte, error)  { return nil, nil }
func (s *aggSel) newAcc() accumulator             { return &aggAcc{s: s} }

type aggAcc struct {
	s     *aggSel
	best  []byte
	n     int64
	isum  *big.Int
	fsum  float64
	dsum  *big.Rat
	valid bool
}

func (a *aggAcc) add(v *rowView) error {
	x, err := a.s.arg.value(v)
	if err != nil || x == nil {
		return err
	}
	t := a.s.typ
	switch a.s.fn {
	case "min", "max":
		if !a.valid {
			a.best, a.valid = x, true
			return nil
		}
		c := schema.Compare(t, x, a.best)
		if (a.s.fn == "min" && c < 0) || (a.s.fn == "max" && c > 0) {
			a.best = x
		}
		return nil
	}
	if len(x) == 0 {
		return nil
	}
	a.n++
	dv, err := schema.Decode(t, x)
	if err != nil {
		return schemaErr("", err)
	}
	switch d := dv.(type) {
	case int8:
		a.addInt(big.NewInt(int64(d)))
	case int16:
		a.addInt(big.NewInt(int64(d)))
	case int32:
		a.addInt(big.NewInt(int64(d)))
	case int64:
		a.addInt(big.NewInt(d))
	case *big.Int:
		a.addInt(d)
	case float32:
		a.fsum += float64(d)
	case float64:
		a.fsum += d
	case schema.Decimal:
		r, ok := new(big.Rat).SetString(d.String())
		if ok {
			if a.dsum == nil {
				a.dsum = new(big.Rat)
			}
			a.dsum.Add(a.dsum, r)
		}
	}
	return nil
}

func (a *aggAcc) addInt(x *big.Int) {
	if a.isum == nil {
		a.isum = new(big.Int)
	}
	a.isum.Add(a.isum, x)
}

func (a *aggAcc) result() ([]byte, error) {
	t := a.s.typ
	switch a.s.fn {
	case "min", "max":
		if !a.valid {
			return nil, nil
		}
		return a.best, nil
	}
	avg := a.s.fn == "avg"
	var v any
	switch t.Kind {
	case schema.KindFloat, schema.KindDouble:
		f := a.fsum
		if avg && a.n > 0 {
			f /= float64(a.n)
		}
		if t.Kind == schema.KindFloat {
			v = float32(f)
		} else {
			v = f
		}
	case schema.KindDecimal:
		r := a.dsum
		if r == nil {
			r = new(big.Rat)
		}
		if avg && a.n > 0 {
			r = new(big.Rat).Quo(r, new(big.Rat).SetInt64(a.n))
		}
		d, err := schema.ParseDecimal(r.FloatString(10))
		if err != nil {
			return nil, schemaErr("", err)
		}
		v = d
	default:
		s := a.isum
		if s == nil {
			s = new(big.Int)
		}
		if avg && a.n > 0 {
			s = new(big.Int).Quo(s, big.NewInt(a.n))
		}
		if t.Kind != schema.KindVarint {
			// Cassandra accumulates in the type's Java width: wrap.
			bits := map[schema.Kind]uint{schema.KindTinyint: 8, schema.KindSmallint: 16, schema.KindInt: 32}[t.Kind]
			n := s.Int64()
			if bits > 0 {
				n = n << (64 - bits) >> (64 - bits)
			}
			s = big.NewInt(n)
		}
		v = s
	}
	out, err := schema.Encode(t, v)
	if err != nil {
		return nil, schemaErr("", err)
	}
	return out, nil
}
