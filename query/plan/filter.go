package plan

// Filtering: restrictions on columns that neither the partition key nor
// the clustering ranges serve (ALLOW FILTERING).

import (
	"slices"
	"wcdb/query/term"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// boundFilter is a filtering restriction with its values bound.
type boundFilter struct {
	col         *schema.Column
	eq          []byte
	hasEq       bool
	in          [][]byte
	hasIn       bool
	lo, hi      []byte
	loIncl      bool
	hiIncl      bool
	hasLo       bool
	hasHi       bool
	contains    [][]byte
	containsKey [][]byte
	elems       [][2][]byte
}

func filterValue(b *Binder, t Term, c *schema.Column) ([]byte, error) {
	v, err := t.Eval(b)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, qerr.Invalidf("Unsupported null value for column %s", c.Name)
	}
	if term.IsUnset(v) {
		return nil, qerr.Invalidf("Unsupported unset value for column %s", c.Name)
	}
	return v, nil
}

// Filters are the filtering restrictions of one execution, bound.
type Filters []boundFilter

// BindFilters evaluates the filtering restrictions' values.
func (p *Select) BindFilters(b *Binder) (Filters, error) {
	var out Filters
	all := append(append(slices.Clip(p.pkFilter), p.ckFilter...), p.filters...)
	for _, r := range all {
		f, err := bindFilter(b, r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// bindFilter evaluates the values of one restriction.
func bindFilter(b *Binder, r *Restriction) (boundFilter, error) {
	f := boundFilter{col: r.col}
	var err error
	if r.Eq != nil {
		f.hasEq = true
		if f.eq, err = filterValue(b, r.Eq, r.col); err != nil {
			return f, err
		}
	}
	if r.isIn {
		f.hasIn = true
		if f.in, err = r.values(b); err != nil {
			return f, err
		}
	}
	if r.lo != nil {
		f.hasLo, f.loIncl = true, r.lo.incl
		if f.lo, err = filterValue(b, r.lo.t, r.col); err != nil {
			return f, err
		}
	}
	if r.hi != nil {
		f.hasHi, f.hiIncl = true, r.hi.incl
		if f.hi, err = filterValue(b, r.hi.t, r.col); err != nil {
			return f, err
		}
	}
	for _, t := range r.contains {
		v, err := filterValue(b, t, r.col)
		if err != nil {
			return f, err
		}
		f.contains = append(f.contains, v)
	}
	for _, t := range r.containsKey {
		v, err := filterValue(b, t, r.col)
		if err != nil {
			return f, err
		}
		f.containsKey = append(f.containsKey, v)
	}
	for _, el := range r.elems {
		k, err := filterValue(b, el.key, r.col)
		if err != nil {
			return f, err
		}
		v, err := filterValue(b, el.val, r.col)
		if err != nil {
			return f, err
		}
		f.elems = append(f.elems, [2][]byte{k, v})
	}
	return f, nil
}

// MatchPartitionKey applies the partition key filters to a partition.
func (fs Filters) MatchPartitionKey(p *Partition) (bool, error) {
	for i := range fs {
		f := &fs[i]
		if f.col.Kind != schema.PartitionKeyColumn {
			continue
		}
		if !f.matches(p.PK[f.col.Position]) {
			return false, nil
		}
	}
	return true, nil
}

// Match applies the filters to a row.
func (fs Filters) Match(v *RowView) (bool, error) {
	for i := range fs {
		f := &fs[i]
		val, err := v.Column(f.col)
		if err != nil {
			return false, err
		}
		if !f.matches(val) {
			return false, nil
		}
	}
	return true, nil
}

// matches evaluates the restrictions on one value (nil: null, which
// matches nothing).
func (f *boundFilter) matches(v []byte) bool {
	if v == nil {
		return false
	}
	t := f.col.Type
	if f.hasEq && schema.Compare(t, v, f.eq) != 0 {
		return false
	}
	if f.hasIn && !slices.ContainsFunc(f.in, func(x []byte) bool { return schema.Compare(t, v, x) == 0 }) {
		return false
	}
	if f.hasLo {
		c := schema.Compare(t, v, f.lo)
		if c < 0 || c == 0 && !f.loIncl {
			return false
		}
	}
	if f.hasHi {
		c := schema.Compare(t, v, f.hi)
		if c > 0 || c == 0 && !f.hiIncl {
			return false
		}
	}
	if len(f.contains)+len(f.containsKey)+len(f.elems) == 0 {
		return true
	}
	var keys, vals [][]byte
	if t.Kind == schema.KindMap {
		kv, err := splitMap(v)
		if err != nil {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			keys = append(keys, kv[i])
			vals = append(vals, kv[i+1])
		}
	} else {
		var err error
		if vals, err = SplitList(v); err != nil {
			return false
		}
	}
	for _, c := range f.contains {
		if !slices.ContainsFunc(vals, func(x []byte) bool { return schema.Compare(t.Elem(), x, c) == 0 }) {
			return false
		}
	}
	for _, c := range f.containsKey {
		if !slices.ContainsFunc(keys, func(x []byte) bool { return schema.Compare(t.Key(), x, c) == 0 }) {
			return false
		}
	}
	for _, el := range f.elems {
		i := slices.IndexFunc(keys, func(x []byte) bool { return schema.Compare(t.Key(), x, el[0]) == 0 })
		if i < 0 || schema.Compare(t.Elem(), vals[i], el[1]) != 0 {
			return false
		}
	}
	return true
}
