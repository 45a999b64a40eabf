package funcs

// Decimal arithmetic as Cassandra's DecimalType and Java's BigDecimal:
// sums and products exact; a quotient to at least 32 decimal places
// (more for a small quotient, up to 1,000), rounded half up, with trailing
// zeros stripped; a remainder with BigDecimal.remainder's scale.

import (
	"math/big"

	"wcdb/schema"
)

var bigTen = big.NewInt(10)

func pow10(n int64) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(n), nil) }

func unscaled(d schema.Decimal) *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// rescale returns d's unscaled value at scale s >= d.Scale.
func rescale(d schema.Decimal, s int32) *big.Int {
	return new(big.Int).Mul(unscaled(d), pow10(int64(s)-int64(d.Scale)))
}

// precision is the number of digits of d's unscaled value (1 for zero).
func precision(d schema.Decimal) int64 {
	u := new(big.Int).Abs(unscaled(d))
	if u.Sign() == 0 {
		return 1
	}
	return int64(len(u.String()))
}

// decimalOp computes a op b; a failure is Java's ArithmeticException
// message (Cassandra reports it as is, capitalized).
func decimalOp(op byte, a, b schema.Decimal) (schema.Decimal, error) {
	switch op {
	case '+', '-':
		s := max(a.Scale, b.Scale)
		x, y := rescale(a, s), rescale(b, s)
		if op == '+' {
			return schema.Decimal{Unscaled: x.Add(x, y), Scale: s}, nil
		}
		return schema.Decimal{Unscaled: x.Sub(x, y), Scale: s}, nil
	case '*':
		return schema.Decimal{Unscaled: new(big.Int).Mul(unscaled(a), unscaled(b)), Scale: a.Scale + b.Scale}, nil
	}
	if unscaled(b).Sign() == 0 {
		if unscaled(a).Sign() == 0 {
			return schema.Decimal{}, javaError("Division undefined")
		}
		return schema.Decimal{}, javaError("Division by zero")
	}
	if op == '/' {
		return decimalDivide(a, b), nil
	}
	return decimalRemainder(a, b), nil
}

// decimalDivide is DecimalType.divide: the scale predicted from the
// operands' first digits, at least 32 and theirs, at most 1,000; HALF_UP;
// then stripTrailingZeros.
func decimalDivide(a, b schema.Decimal) schema.Decimal {
	first := (precision(a) - int64(a.Scale)) - (precision(b) - int64(b.Scale))
	scale := max(32-first, int64(a.Scale), int64(b.Scale), 32)
	scale = min(scale, 1000)
	// a/b at scale: ua * 10^(scale - sa + sb) / ub.
	num := new(big.Int).Set(unscaled(a))
	den := new(big.Int).Set(unscaled(b))
	if e := scale - int64(a.Scale) + int64(b.Scale); e >= 0 {
		num.Mul(num, pow10(e))
	} else {
		den.Mul(den, pow10(-e))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	// Half up: away from zero when |2r| >= |den|.
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(new(big.Int).Abs(den)) >= 0 {
		if num.Sign()*den.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return stripZeros(schema.Decimal{Unscaled: q, Scale: int32(scale)})
}

// stripZeros is BigDecimal.stripTrailingZeros (zero becomes 0, scale 0).
func stripZeros(d schema.Decimal) schema.Decimal {
	u := new(big.Int).Set(unscaled(d))
	if u.Sign() == 0 {
		return schema.Decimal{Unscaled: u}
	}
	s := d.Scale
	m := new(big.Int)
	for {
		q, r := new(big.Int).QuoRem(u, bigTen, m)
		if r.Sign() != 0 {
			break
		}
		u, s = q, s-1
	}
	return schema.Decimal{Unscaled: u, Scale: s}
}

// decimalRemainder is BigDecimal.remainder: a - trunc(a/b)*b, at the
// scale Java's divideToIntegralValue and subtract give it.
func decimalRemainder(a, b schema.Decimal) schema.Decimal {
	s := max(a.Scale, b.Scale)
	x, y := rescale(a, s), rescale(b, s)
	q := new(big.Int).Quo(x, y)
	rem := new(big.Int).Sub(x, new(big.Int).Mul(q, y))
	scale := a.Scale
	if pref := a.Scale - b.Scale; pref < 0 {
		qs := pref
		if q.Sign() != 0 {
			tz := int32(0)
			for t := new(big.Int).Set(q); ; tz++ {
				n, r := new(big.Int).QuoRem(t, bigTen, new(big.Int))
				if r.Sign() != 0 {
					break
				}
				t = n
			}
			qs = max(pref, -tz)
		}
		scale = max(a.Scale, qs+b.Scale)
	}
	// rem is at scale s >= scale; bring it to scale (exact: the dropped
	// digits are zeros).
	rem.Quo(rem, pow10(int64(s)-int64(scale)))
	return schema.Decimal{Unscaled: rem, Scale: scale}
}

// javaError is an exception message from Java, kept as Java words it.
type javaError string

func (e javaError) Error() string { return string(e) }
