package cqldecimal

import (
	"encoding/binary"
	"math/big"
)

// Serializations. A varint is two's complement, big-endian, any length
// >= 1. A decimal is its scale as a 4-byte big-endian int, then its
// unscaled value as a varint.

// VarintToBig returns the value of a serialized varint.
func VarintToBig(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

// BigToVarint returns the minimal two's complement serialization of v.
func BigToVarint(v *big.Int) []byte {
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

// MinimalVarint strips redundant sign-extension bytes from a serialized
// varint without converting it.
func MinimalVarint(b []byte) []byte {
	for len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		b = b[1:]
	}
	return b
}

// FromBytes returns the value of a serialized decimal of at least 4 bytes.
func FromBytes(b []byte) Decimal {
	return Decimal{Unscaled: VarintToBig(b[4:]), Scale: int32(binary.BigEndian.Uint32(b))}
}

// Bytes returns the serialization of d.
func (d Decimal) Bytes() []byte {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(d.Scale))
	return append(b, BigToVarint(u)...)
}
