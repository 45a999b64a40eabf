// Package bin reads the primitives our binary formats are built from: Go
// varints ("uv" unsigned LEB128, "v" zig-zag signed, as encoding/binary
// writes them), single bytes, fixed-width big-endian integers and
// length-prefixed byte strings. The formats themselves are drawn beside
// their encoders (mutation/encoding.go, sstable/format.go,
// messaging/wire.go); this package knows none of them.
//
// A Decoder's first failure sticks: it drops the rest of its input, so
// every later read fails too and returns a zero value. A format decoder
// can therefore read a whole structure and check Failed (or Done) once at
// the end. What a failure means is the caller's to say, with its own
// corruption error.
//
// Decoders sit on hot paths (SSTable reads, mutation decoding), so a read
// of a byte, a varint or a string costs its caller at most one call: Byte,
// Uint64BE, Take and Varint are within the compiler's inlining budget, and
// Uvarint, Bytes, Count and OptBytes each decode their varint in line
// (binary.Uvarint inlines) rather than call another method.
package bin

import (
	"encoding/binary"
	"math"
)

// Decoder reads primitives from the front of a byte slice. The zero value
// reads an empty input. Byte slices it returns alias the input, capped so
// that appending to one cannot overwrite what follows it.
type Decoder struct {
	b   []byte
	bad bool
}

// NewDecoder returns a decoder of b. It is returned by value, to live on
// the caller's stack.
func NewDecoder(b []byte) Decoder { return Decoder{b: b} }

// Fail marks the input malformed, for a check the caller makes itself (an
// unknown flag, a value out of range).
func (d *Decoder) Fail() {
	d.bad = true
	d.b = nil
}

// Failed reports whether a read or Fail has failed the decoder.
func (d *Decoder) Failed() bool { return d.bad }

// Done reports whether the input was read to its end without a failure.
func (d *Decoder) Done() bool { return !d.bad && len(d.b) == 0 }

// Len returns the number of unread bytes (0 after a failure).
func (d *Decoder) Len() int { return len(d.b) }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.b }

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if len(d.b) < 1 {
		d.Fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// Uint64BE reads 8 bytes as a big-endian integer (our tokens: an int64
// as two's complement, so that conversion gives it back).
func (d *Decoder) Uint64BE() uint64 {
	if len(d.b) < 8 {
		d.Fail()
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Uvarint reads an unsigned varint. A truncated varint, or one over 64
// bits, fails.
func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Varint reads a zig-zag signed varint. It decodes the zig-zag itself
// rather than call binary.Varint, which does not inline: this way it
// inlines, and costs the caller one call (Uvarint) rather than two.
func (d *Decoder) Varint() int64 {
	u := d.Uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// Int reads a signed varint that must fit an int.
func (d *Decoder) Int() int {
	v := d.Varint()
	if v < math.MinInt || v > math.MaxInt {
		d.Fail()
		return 0
	}
	return int(v)
}

// Uvarint32 reads an unsigned varint that must fit 32 bits.
func (d *Decoder) Uvarint32() uint32 {
	v := d.Uvarint()
	if v > math.MaxUint32 {
		d.Fail()
		return 0
	}
	return uint32(v)
}

// Count reads an unsigned varint counting items that each take at least
// one byte of what follows, so that a corrupt count fails here rather
// than make the caller allocate room for it.
func (d *Decoder) Count() int {
	n, k := binary.Uvarint(d.b) // inlined: see Bytes
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.Fail()
		return 0
	}
	d.b = d.b[k:]
	return int(n)
}

// Take reads n bytes.
func (d *Decoder) Take(n int) []byte {
	if uint(n) > uint(len(d.b)) { // a negative n too
		d.Fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Bytes reads a uvarint length and that many bytes. Its varint decoding is
// binary.Uvarint inlined, not a call to Uvarint: one call per string, not
// two.
func (d *Decoder) Bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.Fail()
		return nil
	}
	end := k + int(n)
	v := d.b[k:end:end]
	d.b = d.b[end:]
	return v
}

// OptBytes reads bytes that may be absent: uvarint 0 for nil, or length+1
// and the bytes, which keeps nil apart from empty.
func (d *Decoder) OptBytes() []byte {
	n, k := binary.Uvarint(d.b) // inlined: see Bytes
	if k <= 0 || n > uint64(len(d.b)-k)+1 {
		d.Fail()
		return nil
	}
	d.b = d.b[k:]
	if n == 0 {
		return nil
	}
	v := d.b[: n-1 : n-1]
	d.b = d.b[n-1:]
	return v
}
