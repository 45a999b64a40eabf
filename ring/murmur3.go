package ring

import (
	"encoding/binary"
	"math"
	"math/bits"
)

const (
	// MinToken is the ring's minimum token. No non-empty key hashes to it:
	// Murmur3 maps a hash of MinToken to MaxToken, so that a range (MinToken, t]
	// selects every key with a token up to t.
	MinToken int64 = math.MinInt64
	// MaxToken is the largest token.
	MaxToken int64 = math.MaxInt64
)

// Murmur3 returns the token of a serialized partition key, as Apache
// Cassandra's Murmur3Partitioner computes it: the first 64-bit half (h1) of
// MurmurHash3 x64 128 with seed 0, read as a signed integer. For a composite
// partition key, key is the output of CompositeKey.
//
// Two quirks make it differ from the reference MurmurHash3, and both are kept
// so that tokens agree with Cassandra and its drivers' token-aware routing:
// the tail bytes (len(key) % 16) are sign-extended, as Java's signed bytes
// are; and a hash equal to MinToken becomes MaxToken. An empty key has token
// MinToken, as in Cassandra.
//
// Murmur3 does not allocate.
func Murmur3(key []byte) int64 {
	if len(key) == 0 {
		return MinToken
	}
	h1, _ := murmur3x64(key)
	return normalize(int64(h1))
}

// normalize keeps MinToken out of reach of any key.
func normalize(t int64) int64 {
	if t == MinToken {
		return MaxToken
	}
	return t
}

const (
	c1 = 0x87c37b91114253d5
	c2 = 0x4cf5ad432745937f
)

// murmur3x64 is MurmurHash3 x64 128 with seed 0 and Cassandra's signed tail.
func murmur3x64(key []byte) (h1, h2 uint64) {
	n := len(key)
	b := key
	for len(b) >= 16 {
		k1 := binary.LittleEndian.Uint64(b)
		k2 := binary.LittleEndian.Uint64(b[8:16])
		b = b[16:]

		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
		h1 = bits.RotateLeft64(h1, 27) + h2
		h1 = h1*5 + 0x52dce729

		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
		h2 = bits.RotateLeft64(h2, 31) + h1
		h2 = h2*5 + 0x38495ab5
	}

	if t := len(b); t > 0 {
		var k1, k2 uint64
		if t > 8 {
			k2 = signedLE(b[8:])
			h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
			t = 8
		}
		k1 = signedLE(b[:t])
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
	}

	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

// signedLE folds up to 8 bytes little-endian the way Cassandra's tail loop
// does: k ^= (long) b[i] << 8*i with a signed Java byte, so a byte with its
// high bit set also flips every bit above it. Instead of a per-byte loop, the
// flips are computed at once: byte j of the result is flipped when an odd
// number of the bytes below it are negative.
func signedLE(b []byte) uint64 {
	v := loadLE(b)
	m := (v & 0x8080808080808080) >> 7 << 8 // 1 in byte i+1 for each negative byte i
	m ^= m << 8                             // prefix XOR over bytes: parity of
	m ^= m << 16                            // the negative bytes below each byte
	m ^= m << 32
	return v ^ m*0xff // each byte of m is 0 or 1, so no carries
}

// loadLE reads 1 to 8 bytes little-endian, zero-extended. It uses two
// overlapping loads rather than a copy into a buffer, which costs a memmove
// call and doubles the time of a short key; where the loads overlap they read
// the same bytes into the same positions, so OR is exact.
func loadLE(b []byte) uint64 {
	switch n := len(b); {
	case n == 8:
		return binary.LittleEndian.Uint64(b)
	case n >= 4:
		lo := uint64(binary.LittleEndian.Uint32(b))
		hi := uint64(binary.LittleEndian.Uint32(b[n-4:]))
		return lo | hi<<(8*uint(n-4))
	case n >= 2:
		lo := uint64(binary.LittleEndian.Uint16(b))
		hi := uint64(binary.LittleEndian.Uint16(b[n-2:]))
		return lo | hi<<(8*uint(n-2))
	case n == 1:
		return uint64(b[0])
	}
	return 0
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
