package schema

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"wcdb/schema/cqldecimal"
)

// The byte-comparable encoding.
//
// A clustering key, and the cell path of a set element or map key, is the
// concatenation of the comparable encodings of its components. The encoding
// of a value v of type t, written enc(t, v), has these properties:
//
//   - bytes.Compare(enc(t, a), enc(t, b)) is the sign of Compare(t, a, b)
//     for valid a and b (desc reverses it);
//   - it is prefix-free (self-delimiting): no encoding is a proper prefix of
//     another, so a key splits back into its components, and the key of a
//     prefix of the components is a byte prefix of the full key;
//   - it is never empty (an empty clustering key is the static row's);
//   - DecodeComparable gives back the value: exactly the bytes of every
//     value Encode or Normalize makes, and for the other serializations of a
//     value the canonical one (minimal varints, 0 or 1 for a boolean, the
//     canonical NaN). Values Compare reports equal encode identically.
//
// Layout (ascending; a descending component is the same bytes complemented,
// which reverses the order of a prefix-free code):
//
//	value     := 0x02                       empty value
//	           | 0x03 body                  any other valid value
//	           | 0x04 escaped(raw)          not a valid serialization (sorts last;
//	                                        kept only so that every input round-trips)
//	escaped   := bytes with 0x00 written 0x00 0xff, then 0x00 0x01
//
// body by type:
//
//	tinyint, smallint, int, bigint, counter, timestamp, time
//	          big-endian with the sign bit flipped
//	date      the 4 bytes (already unsigned)
//	boolean   0x00 false, 0x01 true
//	float, double  the IEEE bits, sign bit flipped if positive, all bits
//	          flipped if negative; NaN as Java's canonical NaN, which lands
//	          above +Infinity
//	ascii, text, blob, inet, duration   escaped(bytes)
//	varint    0x80 for zero; 0x81 len(m) m for a positive value with minimal
//	          magnitude bytes m; 0x7f then the complement of len(m) m for a
//	          negative one; len(n) is one byte for n < 255, else 0xff and 4
//	          bytes
//	decimal   class (0x7f negative, 0x80 zero, 0x81 positive); for non-zero
//	          values, with the value written 0.d1d2…dk × 10^e (no trailing
//	          zero digit), e as 8 bytes big-endian sign-flipped and the digits
//	          as nibbles d+1 ended by a 0 nibble (padded to a byte), all
//	          complemented for negatives; then the scale as 4 bytes sign-flipped.
//	          Numerically equal decimals thus order by scale, smaller first.
//	uuid      8 bytes: version nibble, then the 60-bit timestamp for version
//	          1 or the other 60 bits of the high half; then the low 8 bytes
//	timeuuid  the high half reordered to timestamp order (version, time_hi,
//	          time_mid, time_low), then the low 8 bytes each with its sign bit
//	          flipped (Cassandra compares them as signed bytes)
//	list, set element* 0x00;  map (key value)* 0x00
//	tuple     field* 0x00, where field is a value, or 0x01 for a null field
//
// The 0x00 that ends a collection or tuple sorts before any element, so a
// shorter collection sorts first, and a null field before any value.
const (
	tagEnd   = 0x00
	tagNull  = 0x01
	tagEmpty = 0x02
	tagValue = 0x03
	tagRaw   = 0x04
)

// AppendComparable appends the byte-comparable encoding of v, a serialized
// value of type t, to dst; desc encodes for descending order. v should be
// valid and normalized (Normalize); an invalid v is still encoded, and
// round-trips, but sorts after the valid values in no useful order.
func AppendComparable(dst []byte, t Type, v []byte, desc bool) []byte {
	start := len(dst)
	if len(t.Elems) > 0 && len(v) > 0 && Validate(t, v) != nil {
		// An invalid collection or tuple is kept whole, so that none of its
		// parts is canonicalized on the way back.
		dst = appendEscaped(append(dst, tagRaw), v)
	} else {
		dst = appendComparable(dst, t, v)
	}
	if desc {
		invert(dst[start:])
	}
	return dst
}

func invert(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

func appendComparable(dst []byte, t Type, v []byte) []byte {
	if len(v) == 0 {
		return append(dst, tagEmpty)
	}
	start := len(dst)
	out, ok := appendBody(append(dst, tagValue), t, v)
	if !ok {
		return appendEscaped(append(dst[:start], tagRaw), v)
	}
	return out
}

func appendEscaped(dst, v []byte) []byte {
	for {
		i := bytes.IndexByte(v, 0)
		if i < 0 {
			dst = append(dst, v...)
			break
		}
		dst = append(dst, v[:i+1]...)
		dst = append(dst, 0xff)
		v = v[i+1:]
	}
	return append(dst, 0x00, 0x01)
}

// appendBody appends the body of a non-empty value; ok is false if v is not
// a valid serialization.
func appendBody(dst []byte, t Type, v []byte) ([]byte, bool) {
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter, KindTimestamp, KindTime:
		if len(v) != fixedSize(t.Kind) {
			return dst, false
		}
		dst = append(dst, v[0]^0x80)
		return append(dst, v[1:]...), true
	case KindDate:
		if len(v) != 4 {
			return dst, false
		}
		return append(dst, v...), true
	case KindBoolean:
		if len(v) != 1 {
			return dst, false
		}
		if v[0] != 0 {
			return append(dst, 1), true
		}
		return append(dst, 0), true
	case KindFloat:
		if len(v) != 4 {
			return dst, false
		}
		u := binary.BigEndian.Uint32(v)
		if f := math.Float32frombits(u); f != f {
			u = 0x7fc00000
		}
		if u&(1<<31) != 0 {
			u = ^u
		} else {
			u ^= 1 << 31
		}
		return binary.BigEndian.AppendUint32(dst, u), true
	case KindDouble:
		if len(v) != 8 {
			return dst, false
		}
		u := binary.BigEndian.Uint64(v)
		if f := math.Float64frombits(u); f != f {
			u = 0x7ff8000000000000
		}
		if u&(1<<63) != 0 {
			u = ^u
		} else {
			u ^= 1 << 63
		}
		return binary.BigEndian.AppendUint64(dst, u), true
	case KindAscii, KindText, KindBlob, KindInet, KindDuration:
		return appendEscaped(dst, v), true
	case KindVarint:
		return appendVarintBody(dst, v), true
	case KindDecimal:
		if len(v) < 5 {
			return dst, false
		}
		return appendDecimalBody(dst, v), true
	case KindUUID:
		if len(v) != 16 {
			return dst, false
		}
		msb := binary.BigEndian.Uint64(v)
		version := msb >> 12 & 0xf
		if version == 1 {
			msb = reorderTimestamp(msb)
		} else {
			msb = version<<60 | msb>>4&0x0FFFFFFFFFFFF000 | msb&0xFFF
		}
		dst = binary.BigEndian.AppendUint64(dst, msb)
		return append(dst, v[8:]...), true
	case KindTimeuuid:
		if len(v) != 16 {
			return dst, false
		}
		return appendTimeuuidBody(dst, v), true
	case KindList, KindSet, KindMap:
		if len(v) < 4 {
			return dst, false
		}
		n := int32(binary.BigEndian.Uint32(v))
		per := perEntry(t)
		rest := v[4:]
		if n < 0 || int64(n)*int64(per) > int64(len(rest)/4) {
			return dst, false
		}
		for i := 0; i < int(n)*per; i++ {
			e, r, ok := readValue(rest)
			if !ok || e == nil {
				return dst, false
			}
			et := t.Elems[0]
			if per == 2 && i%2 == 1 {
				et = t.Elems[1]
			}
			dst = appendComparable(dst, et, e)
			rest = r
		}
		if len(rest) != 0 {
			return dst, false
		}
		return append(dst, tagEnd), true
	case KindTuple, KindUDT:
		rest, end := v, len(dst)
		for i := 0; len(rest) > 0; i++ {
			if i >= len(t.Elems) {
				return dst, false
			}
			e, r, ok := readValue(rest)
			if !ok {
				return dst, false
			}
			if e == nil {
				dst = append(dst, tagNull)
			} else {
				dst = appendComparable(dst, t.Elems[i], e)
			}
			if e != nil || i == 0 { // all null: one null field stays
				end = len(dst)
			}
			rest = r
		}
		if t.Kind == KindUDT {
			dst = dst[:end] // trailing null fields are absent ones (Compare)
		}
		return append(dst, tagEnd), true
	}
	return dst, false
}

func fixedSize(k Kind) int {
	switch k {
	case KindTinyint:
		return 1
	case KindSmallint:
		return 2
	case KindInt, KindFloat, KindDate:
		return 4
	}
	return 8
}

func appendTimeuuidBody(dst, v []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, reorderTimestamp(binary.BigEndian.Uint64(v)))
	for _, c := range v[8:16] {
		dst = append(dst, c^0x80)
	}
	return dst
}

func appendLength(dst []byte, n int) []byte {
	if n < 0xff {
		return append(dst, byte(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 0xff), uint32(n))
}

// appendVarintBody encodes a serialized varint (any length >= 1).
func appendVarintBody(dst, v []byte) []byte {
	v = cqldecimal.MinimalVarint(v)
	neg := v[0]&0x80 != 0
	if !neg {
		m := v
		if m[0] == 0 {
			m = m[1:]
		}
		if len(m) == 0 {
			return append(dst, 0x80)
		}
		dst = appendLength(append(dst, 0x81), len(m))
		return append(dst, m...)
	}
	m := new(big.Int).Neg(cqldecimal.VarintToBig(v)).Bytes()
	dst = append(dst, 0x7f)
	start := len(dst)
	dst = appendLength(dst, len(m))
	dst = append(dst, m...)
	invert(dst[start:])
	return dst
}

// appendDecimalBody encodes a serialized decimal (at least 5 bytes).
func appendDecimalBody(dst, v []byte) []byte {
	p := splitDecimal(v)
	switch p.sign {
	case 0:
		dst = append(dst, 0x80)
	default:
		if p.sign > 0 {
			dst = append(dst, 0x81)
		} else {
			dst = append(dst, 0x7f)
		}
		start := len(dst)
		dst = binary.BigEndian.AppendUint64(dst, uint64(p.exp)^1<<63)
		var nib byte
		half := false
		for i := 0; i <= len(p.digits); i++ {
			d := byte(0)
			if i < len(p.digits) {
				d = p.digits[i] - '0' + 1
			}
			if half {
				dst = append(dst, nib|d)
			} else {
				nib = d << 4
			}
			half = !half
		}
		if half {
			dst = append(dst, nib)
		}
		if p.sign < 0 {
			invert(dst[start:])
		}
	}
	return binary.BigEndian.AppendUint32(dst, uint32(p.scale)^1<<31)
}

// DecodeComparable decodes one comparable-encoded value of type t from the
// front of src (desc as it was encoded), returning the value's serialization
// and the bytes after it.
func DecodeComparable(t Type, src []byte, desc bool) (v, rest []byte, err error) {
	r := creader{b: src}
	if desc {
		r.inv = 0xff
	}
	v, err = r.value(t, 0)
	if err != nil {
		return nil, nil, err
	}
	return v, src[r.off:], nil
}

// creader reads comparable bytes, complementing them for descending order.
type creader struct {
	b   []byte
	off int
	inv byte
}

var errComparable = invalidf("malformed comparable encoding")

func (r *creader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errComparable
	}
	c := r.b[r.off] ^ r.inv
	r.off++
	return c, nil
}

func (r *creader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errComparable
	}
	return r.b[r.off] ^ r.inv, nil
}

// bytes reads n bytes (complemented back) into a new slice, xored with x.
func (r *creader) bytes(n int, x byte) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errComparable
	}
	out := make([]byte, n)
	for i, c := range r.b[r.off : r.off+n] {
		out[i] = c ^ r.inv ^ x
	}
	r.off += n
	return out, nil
}

func (r *creader) escaped() ([]byte, error) {
	out := []byte{}
	for {
		c, err := r.byte()
		if err != nil {
			return nil, err
		}
		if c != 0 {
			out = append(out, c)
			continue
		}
		c, err = r.byte()
		if err != nil {
			return nil, err
		}
		switch c {
		case 0x01:
			return out, nil
		case 0xff:
			out = append(out, 0)
		default:
			return nil, errComparable
		}
	}
}

func (r *creader) length(x byte) (int, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	c ^= x
	if c < 0xff {
		return int(c), nil
	}
	b, err := r.bytes(4, x)
	if err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(b)
	if n < 0xff || int64(n) > int64(len(r.b)) {
		return 0, errComparable
	}
	return int(n), nil
}

// value decodes one value: its tag, then its body.
func (r *creader) value(t Type, depth int) ([]byte, error) {
	if depth > maxTypeDepth {
		return nil, errComparable
	}
	tag, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case tagEmpty:
		return []byte{}, nil
	case tagRaw:
		// Only invalid values are kept raw; a valid one here would decode to
		// something its own encoding does not give back.
		v, err := r.escaped()
		if err == nil && Validate(t, v) == nil {
			err = errComparable
		}
		return v, err
	case tagValue:
		v, err := r.body(t, depth)
		if err == nil && len(v) == 0 {
			err = errComparable
		}
		return v, err
	}
	return nil, errComparable
}

func (r *creader) body(t Type, depth int) ([]byte, error) {
	switch t.Kind {
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter, KindTimestamp, KindTime:
		v, err := r.bytes(fixedSize(t.Kind), 0)
		if err != nil {
			return nil, err
		}
		v[0] ^= 0x80
		return v, nil
	case KindDate:
		return r.bytes(4, 0)
	case KindBoolean:
		c, err := r.byte()
		if err != nil || c > 1 {
			return nil, errComparable
		}
		return []byte{c}, nil
	case KindFloat:
		b, err := r.bytes(4, 0)
		if err != nil {
			return nil, err
		}
		u := binary.BigEndian.Uint32(b)
		if u&(1<<31) != 0 {
			u ^= 1 << 31
		} else {
			u = ^u
		}
		if f := math.Float32frombits(u); f != f && u != 0x7fc00000 {
			return nil, errComparable
		}
		return binary.BigEndian.AppendUint32(b[:0], u), nil
	case KindDouble:
		b, err := r.bytes(8, 0)
		if err != nil {
			return nil, err
		}
		u := binary.BigEndian.Uint64(b)
		if u&(1<<63) != 0 {
			u ^= 1 << 63
		} else {
			u = ^u
		}
		if f := math.Float64frombits(u); f != f && u != 0x7ff8000000000000 {
			return nil, errComparable
		}
		return binary.BigEndian.AppendUint64(b[:0], u), nil
	case KindAscii, KindText, KindBlob, KindInet, KindDuration:
		return r.escaped()
	case KindVarint:
		return r.varint()
	case KindDecimal:
		return r.decimal()
	case KindUUID:
		b, err := r.bytes(16, 0)
		if err != nil {
			return nil, err
		}
		hi := binary.BigEndian.Uint64(b)
		version := hi >> 60
		if version == 1 {
			hi = unreorderTimestamp(hi)
		} else {
			hi = hi<<4&0xFFFFFFFFFFFF0000 | version<<12 | hi&0xFFF
		}
		binary.BigEndian.PutUint64(b, hi)
		return b, nil
	case KindTimeuuid:
		b, err := r.bytes(16, 0)
		if err != nil {
			return nil, err
		}
		return timeuuidFromBody(b), nil
	case KindList, KindSet, KindMap:
		var vals [][]byte
		per := perEntry(t)
		for i := 0; ; i++ {
			c, err := r.peek()
			if err != nil {
				return nil, err
			}
			if c == tagEnd {
				if i%per != 0 {
					return nil, errComparable
				}
				r.off++
				break
			}
			et := t.Elems[0]
			if per == 2 && i%2 == 1 {
				et = t.Elems[1]
			}
			e, err := r.value(et, depth+1)
			if err != nil {
				return nil, err
			}
			vals = append(vals, e)
		}
		return buildCollection(vals, per), nil
	case KindTuple, KindUDT:
		var fields [][]byte
		for i := 0; ; i++ {
			c, err := r.peek()
			if err != nil {
				return nil, err
			}
			if c == tagEnd {
				r.off++
				break
			}
			if i >= len(t.Elems) {
				return nil, errComparable
			}
			if c == tagNull {
				r.off++
				fields = append(fields, nil)
				continue
			}
			e, err := r.value(t.Elems[i], depth+1)
			if err != nil {
				return nil, err
			}
			fields = append(fields, e)
		}
		if len(fields) == 0 {
			// A tuple with no fields is the empty value, encoded as such.
			return nil, errComparable
		}
		for t.Kind == KindUDT && len(fields) < len(t.Elems) { // as drivers send it
			fields = append(fields, nil)
		}
		return buildTuple(fields), nil
	}
	return nil, errComparable
}

// timeuuidFromBody turns a timeuuid comparable body (or list path) back
// into the UUID bytes, in place.
func timeuuidFromBody(b []byte) []byte {
	binary.BigEndian.PutUint64(b, unreorderTimestamp(binary.BigEndian.Uint64(b)))
	for i := 8; i < 16; i++ {
		b[i] ^= 0x80
	}
	return b
}

func (r *creader) varint() ([]byte, error) {
	class, err := r.byte()
	if err != nil {
		return nil, err
	}
	switch class {
	case 0x80:
		return []byte{0}, nil
	case 0x81:
		n, err := r.length(0)
		if err != nil {
			return nil, err
		}
		m, err := r.bytes(n, 0)
		if err != nil || n == 0 || m[0] == 0 {
			return nil, errComparable
		}
		if m[0]&0x80 != 0 {
			m = append([]byte{0}, m...)
		}
		return m, nil
	case 0x7f:
		n, err := r.length(0xff)
		if err != nil {
			return nil, err
		}
		m, err := r.bytes(n, 0xff)
		if err != nil || n == 0 || m[0] == 0 {
			return nil, errComparable
		}
		return cqldecimal.BigToVarint(new(big.Int).Neg(new(big.Int).SetBytes(m))), nil
	}
	return nil, errComparable
}

// maxDecimalZeros bounds the trailing zeros a decoded decimal's unscaled
// value may have (they are not stored in the encoding): more than a 64 KiB
// key could hold.
const maxDecimalZeros = 1 << 18

func (r *creader) decimal() ([]byte, error) {
	class, err := r.byte()
	if err != nil {
		return nil, err
	}
	var sign int
	switch class {
	case 0x80:
	case 0x81:
		sign = 1
	case 0x7f:
		sign = -1
	default:
		return nil, errComparable
	}
	unscaled := new(big.Int)
	var exp int64
	var digits strings.Builder
	if sign != 0 {
		var x byte
		if sign < 0 {
			x = 0xff
		}
		b, err := r.bytes(8, x)
		if err != nil {
			return nil, err
		}
		exp = int64(binary.BigEndian.Uint64(b) ^ 1<<63)
		if exp < -1<<40 || exp > 1<<40 {
			return nil, errComparable
		}
	loop:
		for {
			b, err := r.bytes(1, x)
			if err != nil {
				return nil, err
			}
			for _, d := range [2]byte{b[0] >> 4, b[0] & 0xf} {
				switch {
				case d == 0:
					if b[0]&0xf != 0 {
						return nil, errComparable
					}
					break loop
				case d > 10:
					return nil, errComparable
				}
				digits.WriteByte('0' + d - 1)
			}
		}
		ds := digits.String()
		if ds == "" || ds[0] == '0' || ds[len(ds)-1] == '0' {
			return nil, errComparable
		}
		unscaled.SetString(ds, 10)
	}
	b, err := r.bytes(4, 0)
	if err != nil {
		return nil, err
	}
	scale := int32(binary.BigEndian.Uint32(b) ^ 1<<31)
	if sign != 0 {
		// value = 0.digits × 10^exp = unscaled × 10^-scale.
		zeros := exp - int64(digits.Len()) + int64(scale)
		if zeros < 0 || zeros > maxDecimalZeros {
			return nil, errComparable
		}
		if zeros > 0 {
			unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(zeros), nil))
		}
		if sign < 0 {
			unscaled.Neg(unscaled)
		}
	}
	return Decimal{Unscaled: unscaled, Scale: scale}.Bytes(), nil
}

// ClusteringKey returns the clustering key of a row: the concatenation of
// the comparable encodings of values, which may be fewer than types (a
// prefix, for slices and range tombstones). desc[i] is whether column i is
// in descending order (desc may be nil: all ascending). Each value is
// validated and normalized first; a nil value is an empty value (nulls must
// be refused before).
func ClusteringKey(types []Type, desc []bool, values [][]byte) ([]byte, error) {
	if len(values) > len(types) {
		return nil, invalidf("%d clustering values for %d clustering columns", len(values), len(types))
	}
	var key []byte
	for i, v := range values {
		nv, err := Normalize(types[i], v)
		if err != nil {
			return nil, err
		}
		key = AppendComparable(key, types[i], nv, i < len(desc) && desc[i])
	}
	return key, nil
}

// SplitClustering splits a clustering key (or a prefix of one) back into
// the serialized values of its components.
func SplitClustering(types []Type, desc []bool, key []byte) ([][]byte, error) {
	var values [][]byte
	for i := 0; len(key) > 0; i++ {
		if i >= len(types) {
			return nil, invalidf("clustering key has more than %d components", len(types))
		}
		v, rest, err := DecodeComparable(types[i], key, i < len(desc) && desc[i])
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		key = rest
	}
	return values, nil
}
