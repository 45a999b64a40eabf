package cqltime

import (
	"encoding/binary"
	"math"
)

// A duration's serialization (native protocol v5, Cassandra's
// DurationSerializer) is three signed vints: months, days, nanoseconds.
//
// Cassandra's variable-length integers (VIntCoding): the number of leading
// one bits of the first byte is the number of bytes that follow; the value
// is big-endian in the remaining bits. Signed values are zigzag-encoded.

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

// AppendDuration appends the serialization of d to dst.
func AppendDuration(dst []byte, d Duration) []byte {
	dst = appendVint(dst, int64(d.Months))
	dst = appendVint(dst, int64(d.Days))
	return appendVint(dst, d.Nanos)
}

// DecodeDuration reads a serialized duration, with Cassandra's checks and
// messages.
func DecodeDuration(b []byte) (Duration, error) {
	if len(b) < 3 {
		return Duration{}, errorf("Expected at least 3 bytes for a duration (%d)", len(b))
	}
	m, b, ok1 := readVint(b)
	d, b, ok2 := readVint(b)
	n, b, ok3 := readVint(b)
	if !ok1 || !ok2 || !ok3 || len(b) != 0 {
		return Duration{}, errorf("Invalid duration serialization")
	}
	if m < math.MinInt32 || m > math.MaxInt32 {
		return Duration{}, errorf("The duration months must be a 32 bits integer but was: %d", m)
	}
	if d < math.MinInt32 || d > math.MaxInt32 {
		return Duration{}, errorf("The duration days must be a 32 bits integer but was: %d", d)
	}
	if (m < 0 || d < 0 || n < 0) && (m > 0 || d > 0 || n > 0) {
		return Duration{}, errorf("The duration months, days and nanoseconds must be all of the same sign (%d, %d, %d)", m, d, n)
	}
	return Duration{Months: int32(m), Days: int32(d), Nanos: n}, nil
}
