package plan

import (
	"slices"

	"wcdb/schema"
)

// FilterOp is a restriction as the index planner (query/plan/indexplan)
// sees it: its column and operators, and once bound their values.
type FilterOp struct {
	Col                            *schema.Column
	Eq, In, Lo, Hi, LoIncl, HiIncl bool
	Contains, ContainsKey, Elems   int
	EqVal, LoVal, HiVal            []byte
	ContainsVals, ContainsKeyVals  [][]byte
	ElemVals                       [][2][]byte
}

func (f *boundFilter) op() FilterOp {
	return FilterOp{Col: f.col, Eq: f.hasEq, In: f.hasIn, Lo: f.hasLo, Hi: f.hasHi, LoIncl: f.loIncl, HiIncl: f.hiIncl,
		Contains: len(f.contains), ContainsKey: len(f.containsKey), Elems: len(f.elems),
		EqVal: f.eq, LoVal: f.lo, HiVal: f.hi, ContainsVals: f.contains, ContainsKeyVals: f.containsKey, ElemVals: f.elems}
}

func restrictionOp(r *Restriction) FilterOp {
	return FilterOp{Col: r.col, Eq: r.Eq != nil, In: r.isIn, Lo: r.lo != nil, Hi: r.hi != nil,
		LoIncl: r.lo != nil && r.lo.incl, HiIncl: r.hi != nil && r.hi.incl,
		Contains: len(r.contains), ContainsKey: len(r.containsKey), Elems: len(r.elems)}
}

// FilterOps lists the filtering restrictions (unbound), in the order
// BindFilters binds them.
func (p *Select) FilterOps() []FilterOp {
	var out []FilterOp
	for _, r := range append(append(slices.Clip(p.pkFilter), p.ckFilter...), p.filters...) {
		out = append(out, restrictionOp(r))
	}
	return out
}

// Ops lists bound filtering restrictions with their values.
func (fs Filters) Ops() []FilterOp {
	out := make([]FilterOp, len(fs))
	for i := range fs {
		out[i] = fs[i].op()
	}
	return out
}

// slicedRestrictions are the clustering restrictions a scan's clustering
// ranges serve: an index on such a column may still narrow a scan of
// every partition.
func (p *Select) slicedRestrictions() []*Restriction {
	var out []*Restriction
	if p.KeysMode {
		return nil
	}
	for i, r := range p.Where.CK {
		if r != nil && i < p.SliceCols && !slices.Contains(p.ckFilter, r) {
			out = append(out, r)
		}
	}
	return out
}

// SlicedOps lists the restrictions of slicedRestrictions, unbound.
func (p *Select) SlicedOps() []FilterOp {
	var out []FilterOp
	for _, r := range p.slicedRestrictions() {
		out = append(out, restrictionOp(r))
	}
	return out
}

// BindSlicedOps lists the restrictions of slicedRestrictions with their
// values.
func (p *Select) BindSlicedOps(b *Binder) ([]FilterOp, error) {
	var out []FilterOp
	for _, r := range p.slicedRestrictions() {
		f, err := bindFilter(b, r)
		if err != nil {
			return nil, err
		}
		out = append(out, f.op())
	}
	return out, nil
}
