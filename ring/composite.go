package ring

import (
	"errors"
	"fmt"
)

// ErrMalformedKey reports serialized composite key bytes that do not split
// into the expected components. Test for it with errors.Is.
var ErrMalformedKey = errors.New("ring: malformed composite key")

// MaxComponentLen is the largest partition key component CompositeKey can
// serialize: its length must fit the 2-byte length prefix.
const MaxComponentLen = 0xFFFF

// CompositeKey serializes the components of a partition key the way
// Cassandra does before hashing it, so that Murmur3(CompositeKey(...)) is the
// token Cassandra gives the key.
//
// A key of one component is the component's bytes alone, not wrapped. A key
// of two or more components is, per component:
//
//	+----------------+-----------------+-----+
//	| length (2, BE) | bytes (length)  | 0x00|
//	+----------------+-----------------+-----+
//
// The trailing 0x00 is Cassandra's end-of-component byte, always 0 in a
// partition key. For example (int 1, text 'a') serializes as
//
//	00 04 00 00 00 01 00  00 01 61 00
//
// The result is a new slice; it does not alias the components. No components
// give an empty key. CompositeKey panics if a component of a multi-component
// key is longer than MaxComponentLen; callers taking keys from clients check
// that first (Cassandra rejects such keys as invalid requests).
func CompositeKey(components ...[]byte) []byte {
	switch len(components) {
	case 0:
		return []byte{}
	case 1:
		return append([]byte{}, components[0]...)
	}
	n := 0
	for i, c := range components {
		if len(c) > MaxComponentLen {
			panic(fmt.Sprintf("ring: composite key component %d is %d bytes, over the maximum of %d", i, len(c), MaxComponentLen))
		}
		n += 2 + len(c) + 1
	}
	b := make([]byte, 0, n)
	for _, c := range components {
		b = append(b, byte(len(c)>>8), byte(len(c)))
		b = append(b, c...)
		b = append(b, 0)
	}
	return b
}

// SplitCompositeKey splits serialized key bytes into the n components that
// CompositeKey joined. For n == 1 the key is its only component. The
// components alias b (with their capacity capped, so appending to one cannot
// overwrite the next). It returns an error wrapping ErrMalformedKey, naming
// the offset, if b is truncated, has a non-zero end-of-component byte, or has
// bytes left over.
func SplitCompositeKey(b []byte, n int) ([][]byte, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("ring: split composite key into %d components: need at least 1", n)
	case n == 1:
		return [][]byte{b[:len(b):len(b)]}, nil
	}
	out := make([][]byte, 0, n)
	off := 0
	for i := range n {
		if len(b)-off < 2 {
			return nil, fmt.Errorf("%w: component %d: length prefix truncated at offset %d of %d", ErrMalformedKey, i, off, len(b))
		}
		l := int(b[off])<<8 | int(b[off+1])
		start := off + 2
		end := start + l
		if end+1 > len(b) {
			return nil, fmt.Errorf("%w: component %d: %d bytes at offset %d overrun the %d-byte key", ErrMalformedKey, i, l, start, len(b))
		}
		if b[end] != 0 {
			return nil, fmt.Errorf("%w: component %d: end-of-component byte 0x%02x at offset %d, want 0x00", ErrMalformedKey, i, b[end], end)
		}
		out = append(out, b[start:end:end])
		off = end + 1
	}
	if off != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes at offset %d after %d components", ErrMalformedKey, len(b)-off, off, n)
	}
	return out, nil
}
