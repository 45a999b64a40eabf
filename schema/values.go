package schema

import (
	"encoding/binary"
	"math"
	"math/big"

	"wcdb/schema/cqldecimal"
	"wcdb/schema/cqltime"
)

// Decimal is a CQL decimal: Unscaled × 10^-Scale (package cqldecimal).
type Decimal = cqldecimal.Decimal

// ParseDecimal parses a decimal number as Java's BigDecimal(String) does
// (cqldecimal.Parse).
func ParseDecimal(s string) (Decimal, error) {
	d, err := cqldecimal.Parse(s)
	return d, literalError(err)
}

// Duration is a CQL duration (package cqltime has its literal form).
type Duration = cqltime.Duration

// ParseDuration parses a duration in any of Cassandra's forms (units such as
// 1h30m, ISO 8601 such as P1DT2H, P2W and P0001-02-03T04:05:06), as
// cqltime.ParseDuration.
func ParseDuration(s string) (Duration, error) {
	d, err := cqltime.ParseDuration(s)
	return d, literalError(err)
}

// Cassandra's variable-length integers (VIntCoding): the number of leading
// one bits of the first byte is the number of bytes that follow; the value is
// big-endian in the remaining bits. Signed values are zigzag-encoded.

func appendUvint(dst []byte, v uint64) []byte {
	n := 1
	for n < 9 && v >= 1<<(7*n) {
		n++
	}
	if n == 9 {
		dst = append(dst, 0xff)
		return binary.BigEndian.AppendUint64(dst, v)
	}
	extra := n - 1
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	out := buf[8-n:]
	out[0] |= ^byte(0xff >> extra)
	return append(dst, out...)
}

func readUvint(b []byte) (uint64, []byte, bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	first := b[0]
	extra := 0
	for extra < 8 && first&(0x80>>extra) != 0 {
		extra++
	}
	if len(b) < 1+extra {
		return 0, nil, false
	}
	v := uint64(first & (0xff >> extra))
	if extra == 8 {
		v = 0
	}
	for _, c := range b[1 : 1+extra] {
		v = v<<8 | uint64(c)
	}
	return v, b[1+extra:], true
}

func appendVint(dst []byte, v int64) []byte {
	return appendUvint(dst, uint64(v<<1)^uint64(v>>63))
}

func readVint(b []byte) (int64, []byte, bool) {
	u, rest, ok := readUvint(b)
	return int64(u>>1) ^ -int64(u&1), rest, ok
}

// encodeDuration serializes d: three signed vints.
func encodeDuration(d Duration) []byte {
	b := appendVint(nil, int64(d.Months))
	b = appendVint(b, int64(d.Days))
	return appendVint(b, d.Nanos)
}

func decodeDuration(b []byte) (Duration, error) {
	if len(b) < 3 {
		return Duration{}, invalidf("Expected at least 3 bytes for a duration (%d)", len(b))
	}
	m, b, ok1 := readVint(b)
	d, b, ok2 := readVint(b)
	n, b, ok3 := readVint(b)
	if !ok1 || !ok2 || !ok3 || len(b) != 0 {
		return Duration{}, invalidf("Invalid duration serialization")
	}
	if m < math.MinInt32 || m > math.MaxInt32 {
		return Duration{}, invalidf("The duration months must be a 32 bits integer but was: %d", m)
	}
	if d < math.MinInt32 || d > math.MaxInt32 {
		return Duration{}, invalidf("The duration days must be a 32 bits integer but was: %d", d)
	}
	if (m < 0 || d < 0 || n < 0) && (m > 0 || d > 0 || n > 0) {
		return Duration{}, invalidf("The duration months, days and nanoseconds must be all of the same sign (%d, %d, %d)", m, d, n)
	}
	return Duration{Months: int32(m), Days: int32(d), Nanos: n}, nil
}

// Varints: two's complement, big-endian, any length >= 1.

// varintToBig returns the value of a serialized varint.
func varintToBig(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

// bigToVarint returns the minimal two's complement serialization of v.
func bigToVarint(v *big.Int) []byte {
	switch v.Sign() {
	case 0:
		return []byte{0}
	case 1:
		b := v.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -v - 1 has the complemented bits of v.
	m := new(big.Int).Neg(v)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

// minimalVarint strips redundant sign-extension bytes from a serialized
// varint without converting it.
func minimalVarint(b []byte) []byte {
	for len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		b = b[1:]
	}
	return b
}

func decimalFromBytes(b []byte) Decimal {
	return Decimal{Unscaled: varintToBig(b[4:]), Scale: int32(binary.BigEndian.Uint32(b))}
}

func decimalBytes(d Decimal) []byte {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(d.Scale))
	return append(b, bigToVarint(u)...)
}
