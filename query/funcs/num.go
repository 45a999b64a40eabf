package funcs

// Numbers as Java holds them: CAST and arithmetic convert between CQL's
// numeric types with Java's Number conversions (byteValue, intValue,
// doubleValue, ...), which wrap or saturate as the JLS says.

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// num is a decoded numeric value: integral kinds (tinyint to bigint,
// counter) in i, float and double in f, varint in b, decimal in d.
type num struct {
	kind schema.Kind
	i    int64
	f    float64
	b    *big.Int
	d    schema.Decimal
}

// IsNumeric reports whether k is one of CQL's numeric types (counter
// included).
func IsNumeric(k schema.Kind) bool {
	switch k {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter,
		schema.KindVarint, schema.KindFloat, schema.KindDouble, schema.KindDecimal:
		return true
	}
	return false
}

// decodeNum decodes a serialized value of numeric kind k; ok is false for
// an empty value.
func decodeNum(k schema.Kind, v []byte) (num, bool, error) {
	x, err := schema.Decode(schema.Native(k), v)
	if err != nil {
		return num{}, false, qerr.Convert("", err)
	}
	n := num{kind: k}
	switch x := x.(type) {
	case int8:
		n.i = int64(x)
	case int16:
		n.i = int64(x)
	case int32:
		n.i = int64(x)
	case int64:
		n.i = x
	case float32:
		n.f = float64(x)
	case float64:
		n.f = x
	case *big.Int:
		n.b = x
	case schema.Decimal:
		n.d = x
	default:
		return num{}, false, nil
	}
	return n, true, nil
}

func (n num) isFloat() bool { return n.kind == schema.KindFloat || n.kind == schema.KindDouble }

// bigInt is the value truncated toward zero (BigDecimal.toBigInteger), for
// varint and decimal.
func (n num) bigInt() *big.Int {
	if n.kind == schema.KindVarint {
		return n.b
	}
	return decimalTrunc(n.d)
}

// long is Java's longValue: floats saturate (NaN is 0), big numbers keep
// their low 64 bits.
func (n num) long() int64 {
	switch {
	case n.isFloat():
		return saturate(n.f, math.MinInt64, math.MaxInt64)
	case n.kind == schema.KindVarint || n.kind == schema.KindDecimal:
		return n.bigInt().Int64()
	}
	return n.i
}

// int32 is Java's intValue (and, narrowed further, byteValue and
// shortValue: floats go through int first, as the JLS narrows them).
func (n num) int32() int32 {
	if n.isFloat() {
		return int32(saturate(n.f, math.MinInt32, math.MaxInt32))
	}
	return int32(n.long())
}

// saturate converts f to an integer clamped to [lo, hi], NaN to 0.
func saturate(f float64, lo, hi int64) int64 {
	switch {
	case f != f:
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

// double is Java's doubleValue.
func (n num) double() float64 {
	switch n.kind {
	case schema.KindFloat, schema.KindDouble:
		return n.f
	case schema.KindVarint:
		f, _ := new(big.Float).SetInt(n.b).Float64()
		return f
	case schema.KindDecimal:
		f, _ := decimalRat(n.d).Float64()
		return f
	}
	return float64(n.i)
}

// float is Java's floatValue.
func (n num) float() float32 {
	switch n.kind {
	case schema.KindFloat, schema.KindDouble:
		return float32(n.f)
	case schema.KindVarint:
		f, _ := new(big.Float).SetInt(n.b).Float32()
		return f
	case schema.KindDecimal:
		f, _ := decimalRat(n.d).Float32()
		return f
	}
	return float32(n.i)
}

// decimalOfDouble is BigDecimal.valueOf(f): the decimal of Double.toString.
func decimalOfDouble(f float64) (schema.Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return schema.Decimal{}, qerr.Invalidf("Infinite or NaN")
	}
	d, err := schema.ParseDecimal(JavaDouble(f, 64))
	if err != nil {
		return schema.Decimal{}, qerr.Convert("", err)
	}
	return d, nil
}

func decimalRat(d schema.Decimal) *big.Rat {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	r := new(big.Rat).SetInt(u)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(d.Scale))), nil)
	if d.Scale >= 0 {
		return r.Quo(r, new(big.Rat).SetInt(p))
	}
	return r.Mul(r, new(big.Rat).SetInt(p))
}

func decimalTrunc(d schema.Decimal) *big.Int {
	r := decimalRat(d)
	return new(big.Int).Quo(r.Num(), r.Denom())
}

func abs32(x int32) int64 {
	if x < 0 {
		return -int64(x)
	}
	return int64(x)
}

// JavaDouble formats f as Java's Double.toString (bits 64) or
// Float.toString (bits 32, f holding a float32): the shortest digits that
// read back, plain between 10^-3 and 10^7 ("6.3", "100.0"), else
// computerized scientific notation ("1.0E7", "1.5E-4").
func JavaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
