package schema

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"wcdb/schema/cqldecimal"
)

// Compare orders two values of type t as Cassandra does: an empty value
// first; integers, time and timestamp signed; date unsigned (its epoch is at
// 2^31); varint and decimal numerically (equal decimals by scale, smaller
// first); float and double as Java's Float.compare and Double.compare (-0.0
// before 0.0, NaN after +Infinity); text, ascii, blob, inet and duration
// bytewise unsigned; boolean false before true; timeuuid by its timestamp,
// then the remaining bytes signed (TimeUUIDType); uuid by version, then
// timestamp for version 1 or the bits unsigned for others, then the low 8
// bytes unsigned (UUIDType); lists, sets, maps (key, then value) and tuples
// element by element, a missing element (or null field) first. Invalid
// serializations compare bytewise.
func Compare(t Type, a, b []byte) int {
	if len(a) == 0 || len(b) == 0 {
		return cmpInt(len(a), len(b))
	}
	switch t.Kind {
	case KindBoolean:
		return cmpBool(a[0] != 0, b[0] != 0)
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter, KindTimestamp, KindTime:
		if len(a) == len(b) && len(a) <= 8 {
			return cmpInt(signedBE(a), signedBE(b))
		}
	case KindFloat:
		if len(a) == 4 && len(b) == 4 {
			return javaCompare(float64(math.Float32frombits(binary.BigEndian.Uint32(a))), canonFloat32Bits(a),
				float64(math.Float32frombits(binary.BigEndian.Uint32(b))), canonFloat32Bits(b))
		}
	case KindDouble:
		if len(a) == 8 && len(b) == 8 {
			return javaCompare(math.Float64frombits(binary.BigEndian.Uint64(a)), canonFloat64Bits(a),
				math.Float64frombits(binary.BigEndian.Uint64(b)), canonFloat64Bits(b))
		}
	case KindVarint:
		return compareVarint(a, b)
	case KindDecimal:
		if len(a) >= 5 && len(b) >= 5 {
			return compareDecimal(a, b)
		}
	case KindUUID:
		if len(a) == 16 && len(b) == 16 {
			return compareUUID(a, b)
		}
	case KindTimeuuid:
		if len(a) == 16 && len(b) == 16 {
			return compareTimeuuid(a, b)
		}
	case KindList, KindSet, KindMap:
		if c, ok := compareCollection(t, a, b); ok {
			return c
		}
	case KindTuple, KindUDT:
		if c, ok := compareTuple(t, a, b); ok {
			return c
		}
	}
	return bytes.Compare(a, b)
}

func cmpInt[T int | int64 | uint64 | int32](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// signedBE reads a big-endian two's complement integer of 1 to 8 bytes.
func signedBE(b []byte) int64 {
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	return v
}

// canonFloat32Bits is Java's floatToIntBits: NaNs collapse to 0x7fc00000.
func canonFloat32Bits(b []byte) int64 {
	u := binary.BigEndian.Uint32(b)
	if f := math.Float32frombits(u); f != f {
		u = 0x7fc00000
	}
	return int64(int32(u))
}

// canonFloat64Bits is Java's doubleToLongBits: NaNs collapse to
// 0x7ff8000000000000.
func canonFloat64Bits(b []byte) int64 {
	u := binary.BigEndian.Uint64(b)
	if f := math.Float64frombits(u); f != f {
		u = 0x7ff8000000000000
	}
	return int64(u)
}

// javaCompare is Java's Double.compare: numeric order, then the canonical
// bits as a signed integer (so -0.0 < 0.0 and NaN is the greatest).
func javaCompare(x float64, xb int64, y float64, yb int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return cmpInt(xb, yb)
}

func compareVarint(a, b []byte) int {
	if len(a) <= 8 && len(b) <= 8 {
		return cmpInt(signedBE(a), signedBE(b))
	}
	a, b = cqldecimal.MinimalVarint(a), cqldecimal.MinimalVarint(b)
	na, nb := a[0]&0x80 != 0, b[0]&0x80 != 0
	if na != nb {
		if na {
			return -1
		}
		return 1
	}
	if len(a) != len(b) {
		if na {
			return cmpInt(len(b), len(a))
		}
		return cmpInt(len(a), len(b))
	}
	return bytes.Compare(a, b)
}

// decimalParts is a decimal in the form the comparison and the comparable
// encoding use: sign, and for non-zero values 0.digits × 10^exp with no
// trailing zero in digits; and the scale.
type decimalParts struct {
	sign   int
	exp    int64
	digits string
	scale  int32
}

func splitDecimal(b []byte) decimalParts {
	d := cqldecimal.FromBytes(b)
	p := decimalParts{sign: d.Unscaled.Sign(), scale: d.Scale}
	if p.sign == 0 {
		return p
	}
	s := new(big.Int).Abs(d.Unscaled).String()
	p.exp = int64(len(s)) - int64(d.Scale)
	end := len(s)
	for end > 1 && s[end-1] == '0' {
		end--
	}
	p.digits = s[:end]
	return p
}

func compareDecimal(a, b []byte) int {
	pa, pb := splitDecimal(a), splitDecimal(b)
	if pa.sign != pb.sign {
		return cmpInt(pa.sign, pb.sign)
	}
	c := 0
	if pa.sign != 0 {
		c = cmpInt(pa.exp, pb.exp)
		if c == 0 {
			c = cmpStrings(pa.digits, pb.digits)
		}
		c *= pa.sign
	}
	if c == 0 {
		c = cmpInt(pa.scale, pb.scale)
	}
	return c
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// reorderTimestamp moves a version 1 UUID's time fields (time_low, time_mid,
// version and time_hi) into most-significant-first order.
func reorderTimestamp(msb uint64) uint64 {
	return msb<<48 | (msb<<16)&0xFFFF00000000 | msb>>32
}

// unreorderTimestamp inverts reorderTimestamp.
func unreorderTimestamp(r uint64) uint64 {
	return r<<32 | (r>>16)&0xFFFF0000 | r>>48
}

func compareUUID(a, b []byte) int {
	ma, mb := binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b)
	va, vb := (ma>>12)&0xf, (mb>>12)&0xf
	if va != vb {
		return cmpInt(va, vb)
	}
	var c int
	if va == 1 {
		c = cmpInt(int64(reorderTimestamp(ma)), int64(reorderTimestamp(mb)))
	} else {
		c = cmpInt(ma, mb)
	}
	if c != 0 {
		return c
	}
	return cmpInt(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

func compareTimeuuid(a, b []byte) int {
	ma, mb := binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b)
	if c := cmpInt(int64(reorderTimestamp(ma)), int64(reorderTimestamp(mb))); c != 0 {
		return c
	}
	// The low bytes compare as signed bytes: flipping the sign bit of each
	// byte but the first makes that a signed 64-bit comparison.
	const flip = 0x0080808080808080
	return cmpInt(int64(binary.BigEndian.Uint64(a[8:])^flip), int64(binary.BigEndian.Uint64(b[8:])^flip))
}

func compareCollection(t Type, a, b []byte) (int, bool) {
	if len(a) < 4 || len(b) < 4 {
		return 0, false
	}
	na, nb := int32(binary.BigEndian.Uint32(a)), int32(binary.BigEndian.Uint32(b))
	if na < 0 || nb < 0 {
		return 0, false
	}
	a, b = a[4:], b[4:]
	per := perEntry(t)
	for i := 0; i < int(min(na, nb))*per; i++ {
		va, ra, oka := readValue(a)
		vb, rb, okb := readValue(b)
		if !oka || !okb {
			return 0, false
		}
		et := t.Elems[0]
		if per == 2 && i%2 == 1 {
			et = t.Elems[1]
		}
		if c := Compare(et, va, vb); c != 0 {
			return c, true
		}
		a, b = ra, rb
	}
	return cmpInt(na, nb), true
}

func compareTuple(t Type, a, b []byte) (int, bool) {
	for i := 0; len(a) > 0 && len(b) > 0; i++ {
		if i >= len(t.Elems) {
			return 0, false
		}
		va, ra, oka := readValue(a)
		vb, rb, okb := readValue(b)
		if !oka || !okb {
			return 0, false
		}
		switch {
		case va == nil && vb == nil:
		case va == nil:
			return -1, true
		case vb == nil:
			return 1, true
		default:
			if c := Compare(t.Elems[i], va, vb); c != 0 {
				return c, true
			}
		}
		a, b = ra, rb
	}
	if t.Kind == KindUDT && nullFields(a) && nullFields(b) {
		return 0, true // a value written before ALTER TYPE ADD equals one with the new fields null
	}
	return cmpInt(len(a), len(b)), true
}
