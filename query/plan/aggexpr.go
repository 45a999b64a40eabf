package plan

// Aggregates inside expressions: max(v) + 1, CAST(count(*) AS int),
// sum(v) / count(v). The aggregates are the expression's leaves (slots);
// the expression is itself an aggregate, computed on their results once a
// group ends. A column read beside an aggregate (v + max(v)) is the
// group's first row's value, as Cassandra's simple selectors in an
// aggregation give.

import (
	"wcdb/query/ast"
	"wcdb/schema"
)

// nested analyzes an operand of a scalar expression; aggOK when the
// expression is not itself inside an aggregate.
func (p *Select) nested(e ast.Term, aggOK bool) (Selector, string, schema.Type, error) {
	s, name, typ, err := p.selector(e, aggOK)
	if err != nil {
		return nil, "", schema.Type{}, err
	}
	if a, ok := s.(AggSelector); ok {
		s = p.slot(a)
	}
	return s, name, typ, nil
}

// slot registers a leaf of the aggregate expression being analyzed.
func (p *Select) slot(a AggSelector) Selector {
	p.leaves = append(p.leaves, a)
	return &slotSel{idx: len(p.leaves) - 1}
}

// slotful reports whether a selector holds slots.
func (p *Select) slotful(s Selector) bool {
	_, ok := s.(*slotSel)
	return ok || p.withSlots[s]
}

// lift marks composite, whose operands are args, as holding slots if one
// does, and then turns its other operands that read columns into slots of
// their first row's value.
func (p *Select) lift(composite Selector, args []Selector) {
	found := false
	for _, a := range args {
		if a != nil && p.slotful(a) {
			found = true
		}
	}
	if !found {
		return
	}
	if p.withSlots == nil {
		p.withSlots = map[Selector]bool{}
	}
	p.withSlots[composite] = true
	for i, a := range args {
		if a == nil || p.slotful(a) {
			continue
		}
		reads := false
		a.Columns(func(*schema.Column) { reads = true })
		if reads {
			args[i] = p.slot(&firstSel{s: a})
		}
	}
}

// wrapAggExpr turns a top-level selector holding slots into the aggregate
// of its expression.
func (p *Select) wrapAggExpr(s Selector) Selector {
	if !p.slotful(s) {
		p.leaves = nil
		return s
	}
	w := &aggExprSel{expr: s, leaves: p.leaves}
	p.leaves, p.withSlots = nil, nil
	return w
}

// slotSel is a leaf's result in an aggregate expression.
type slotSel struct{ idx int }

func (s *slotSel) Columns(func(*schema.Column)) {}

func (s *slotSel) Value(v *RowView) ([]byte, error) { return v.slots[s.idx], nil }

// firstSel is a selector's value in a group's first row.
type firstSel struct{ s Selector }

func (f *firstSel) Columns(fn func(*schema.Column))  { f.s.Columns(fn) }
func (f *firstSel) Value(v *RowView) ([]byte, error) { return f.s.Value(v) }
func (f *firstSel) NewAcc() Accumulator              { return &firstAcc{s: f.s} }

type firstAcc struct {
	s    Selector
	v    []byte
	seen bool
}

func (a *firstAcc) Add(v *RowView) error {
	if a.seen {
		return nil
	}
	a.seen = true
	var err error
	a.v, err = a.s.Value(v)
	return err
}

func (a *firstAcc) Result() ([]byte, error) { return a.v, nil }

// aggExprSel is an expression over aggregates (its leaves).
type aggExprSel struct {
	expr   Selector
	leaves []AggSelector
}

func (s *aggExprSel) Columns(fn func(*schema.Column)) {
	for _, l := range s.leaves {
		l.Columns(fn)
	}
}

func (s *aggExprSel) Value(*RowView) ([]byte, error) { return nil, nil }

func (s *aggExprSel) NewAcc() Accumulator {
	a := &aggExprAcc{s: s, accs: make([]Accumulator, len(s.leaves))}
	for i, l := range s.leaves {
		a.accs[i] = l.NewAcc()
	}
	return a
}

type aggExprAcc struct {
	s    *aggExprSel
	accs []Accumulator
	env  *Env
}

func (a *aggExprAcc) Add(v *RowView) error {
	a.env = v.Env
	for _, acc := range a.accs {
		if err := acc.Add(v); err != nil {
			return err
		}
	}
	return nil
}

func (a *aggExprAcc) Result() ([]byte, error) {
	vals := make([][]byte, len(a.accs))
	for i, acc := range a.accs {
		v, err := acc.Result()
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return a.s.expr.Value(&RowView{Env: a.env, slots: vals})
}

// NewAccIn returns s's accumulator for an execution in env (an aggregate
// expression's terms are evaluated in it even when no row came).
func NewAccIn(s AggSelector, env *Env) Accumulator {
	a := s.NewAcc()
	if e, ok := a.(*aggExprAcc); ok {
		e.env = env
	}
	return a
}
