// Package cqldecimal holds CQL's decimal values: their literal form as
// Java's BigDecimal parses and prints it. It knows nothing of types or
// serializations: package schema builds on it.
package cqldecimal

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Error is a literal that does not parse, with the message Cassandra gives.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Decimal is a CQL decimal: Unscaled × 10^-Scale. A nil Unscaled is zero.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// String returns d as Java's BigDecimal.toString does (and Python's str of
// a Decimal, so cqlsh): plain notation when the scale is not negative and the
// adjusted exponent is at least -6, otherwise scientific ("1E+3", "1.5E-7").
func (d Decimal) String() string {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	digits := u.String()
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	scale := int64(d.Scale)
	adjusted := -scale + int64(len(digits)-1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			b.WriteString(digits)
		case int64(len(digits)) > scale:
			point := int64(len(digits)) - scale
			b.WriteString(digits[:point])
			b.WriteByte('.')
			b.WriteString(digits[point:])
		default:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", int(scale-int64(len(digits)))))
			b.WriteString(digits)
		}
		return b.String()
	}
	b.WriteString(digits[:1])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('E')
	if adjusted >= 0 {
		b.WriteByte('+')
	}
	b.WriteString(strconv.FormatInt(adjusted, 10))
	return b.String()
}

// Parse parses a decimal number as Java's BigDecimal(String) does:
// an optional sign, digits with an optional point, an optional exponent
// ("1.50" has scale 2, "1E+3" scale -3).
func Parse(s string) (Decimal, error) {
	bad := func() (Decimal, error) { return Decimal{}, errorf("unable to make decimal from '%s'", s) }
	str := s
	var exp int64
	if i := strings.IndexAny(str, "eE"); i >= 0 {
		es := str[i+1:]
		if strings.HasPrefix(es, "+") {
			es = es[1:]
			if es == "" || es[0] < '0' || es[0] > '9' {
				return bad()
			}
		}
		e, err := strconv.ParseInt(es, 10, 64)
		if err != nil {
			return bad()
		}
		if e < -1<<40 || e > 1<<40 {
			return Decimal{}, errorf("decimal '%s' has a scale out of range", s)
		}
		exp = e
		str = str[:i]
	}
	neg := false
	if str != "" && (str[0] == '+' || str[0] == '-') {
		neg = str[0] == '-'
		str = str[1:]
	}
	intPart, frac, hasPoint := strings.Cut(str, ".")
	digits := intPart + frac
	if digits == "" || (hasPoint && strings.Contains(frac, ".")) {
		return bad()
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return bad()
		}
	}
	scale := int64(len(frac)) - exp
	if scale < math.MinInt32 || scale > math.MaxInt32 {
		return Decimal{}, errorf("decimal '%s' has a scale out of range", s)
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return bad()
	}
	if neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}
