package funcs

// The native aggregates min, max, sum and avg over values of one type, as
// Cassandra computes them: sums in the type's Java width (integers wrap),
// averages truncated for integers.

import (
	"math/big"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// Aggregate accumulates min, max, sum or avg (fn) of values of type typ.
// NewAggregate returns one; Add takes each non-null value, Result gives
// the aggregate (null for min or max of nothing).
type Aggregate struct {
	fn    string
	typ   schema.Type
	best  []byte
	n     int64
	isum  *big.Int
	fsum  float64
	dsum  *big.Rat
	valid bool
}

// Add accumulates a non-null value.
func (a *Aggregate) Add(x []byte) error {
	t := a.typ
	switch a.fn {
	case "min", "max":
		if !a.valid {
			a.best, a.valid = x, true
			return nil
		}
		c := schema.Compare(t, x, a.best)
		if (a.fn == "min" && c < 0) || (a.fn == "max" && c > 0) {
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
		return qerr.Convert("", err)
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

func (a *Aggregate) addInt(x *big.Int) {
	if a.isum == nil {
		a.isum = new(big.Int)
	}
	a.isum.Add(a.isum, x)
}

// Result returns the aggregate of the values added.
func (a *Aggregate) Result() ([]byte, error) {
	t := a.typ
	switch a.fn {
	case "min", "max":
		if !a.valid {
			return nil, nil
		}
		return a.best, nil
	}
	avg := a.fn == "avg"
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
			return nil, qerr.Convert("", err)
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
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// NewAggregate returns the accumulator of aggregate fn over type typ.
func NewAggregate(fn string, typ schema.Type) *Aggregate { return &Aggregate{fn: fn, typ: typ} }
