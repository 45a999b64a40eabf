package bin

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

func TestReadsWellFormed(t *testing.T) {
	var b []byte
	b = append(b, 7)
	b = binary.BigEndian.AppendUint64(b, 0xfedcba9876543210)
	b = binary.AppendUvarint(b, 300)
	b = binary.AppendVarint(b, -5)
	b = binary.AppendVarint(b, math.MinInt64)
	b = binary.AppendVarint(b, math.MaxInt64)
	b = binary.AppendVarint(b, -1<<40)
	b = binary.AppendUvarint(b, math.MaxUint32)
	b = binary.AppendUvarint(b, 3) // count of 3 one-byte items
	b = append(b, 1, 2, 3)
	b = append(b, 'x', 'y')
	b = binary.AppendUvarint(b, 2)
	b = append(b, "hi"...)
	b = binary.AppendUvarint(b, 0) // empty bytes
	b = binary.AppendUvarint(b, 0) // nil opt bytes
	b = binary.AppendUvarint(b, 1) // empty opt bytes
	b = binary.AppendUvarint(b, 4) // "abc" as opt bytes
	b = append(b, "abc"...)
	b = binary.AppendUvarint(b, math.MaxUint64)

	d := NewDecoder(b)
	if got := d.Byte(); got != 7 {
		t.Errorf("Byte: got %d, want 7", got)
	}
	if got := d.Uint64BE(); got != 0xfedcba9876543210 {
		t.Errorf("Uint64BE: got %#x", got)
	}
	if got := d.Uvarint(); got != 300 {
		t.Errorf("Uvarint: got %d, want 300", got)
	}
	for _, want := range []int64{-5, math.MinInt64, math.MaxInt64} {
		if got := d.Varint(); got != want {
			t.Errorf("Varint: got %d, want %d", got, want)
		}
	}
	if got := d.Int(); got != -1<<40 {
		t.Errorf("Int: got %d, want %d", got, -1<<40)
	}
	if got := d.Uvarint32(); got != math.MaxUint32 {
		t.Errorf("Uvarint32: got %d, want %d", got, uint32(math.MaxUint32))
	}
	if got := d.Count(); got != 3 {
		t.Errorf("Count: got %d, want 3", got)
	}
	if got := d.Take(3); !bytes.Equal(got, []byte{1, 2, 3}) || cap(got) != 3 {
		t.Errorf("Take: got %v (cap %d), want [1 2 3] (cap 3)", got, cap(got))
	}
	if got := d.Take(2); string(got) != "xy" {
		t.Errorf("Take: got %q, want xy", got)
	}
	if got := d.Bytes(); string(got) != "hi" || cap(got) != 2 {
		t.Errorf("Bytes: got %q (cap %d), want hi (cap 2)", got, cap(got))
	}
	if got := d.Bytes(); got == nil || len(got) != 0 {
		t.Errorf("Bytes: got %#v, want empty, not nil", got)
	}
	if got := d.OptBytes(); got != nil {
		t.Errorf("OptBytes: got %#v, want nil", got)
	}
	if got := d.OptBytes(); got == nil || len(got) != 0 {
		t.Errorf("OptBytes: got %#v, want empty, not nil", got)
	}
	if got := d.OptBytes(); string(got) != "abc" || cap(got) != 3 {
		t.Errorf("OptBytes: got %q (cap %d), want abc (cap 3)", got, cap(got))
	}
	if d.Done() {
		t.Error("Done before the end")
	}
	if got := d.Uvarint(); got != math.MaxUint64 {
		t.Errorf("Uvarint: got %d, want MaxUint64", got)
	}
	if !d.Done() || d.Failed() || d.Len() != 0 {
		t.Errorf("at the end: Done %v, Failed %v, Len %d", d.Done(), d.Failed(), d.Len())
	}
}

// overlong is an 11-byte varint: more than 64 bits.
var overlong = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		read func(*Decoder)
	}{
		{"empty byte", nil, func(d *Decoder) { d.Byte() }},
		{"short uint64", []byte{1, 2, 3, 4, 5, 6, 7}, func(d *Decoder) { d.Uint64BE() }},
		{"empty uvarint", nil, func(d *Decoder) { d.Uvarint() }},
		{"truncated uvarint", []byte{0x80, 0x80}, func(d *Decoder) { d.Uvarint() }},
		{"truncated varint", []byte{0xff}, func(d *Decoder) { d.Varint() }},
		{"overflowing uvarint", overlong, func(d *Decoder) { d.Uvarint() }},
		// Ten bytes whose last carries more than the 64th bit.
		{"overflowing 10-byte uvarint", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
			func(d *Decoder) { d.Uvarint() }},
		{"overflowing varint", overlong, func(d *Decoder) { d.Varint() }},
		{"uvarint32 over 32 bits", binary.AppendUvarint(nil, math.MaxUint32+1), func(d *Decoder) { d.Uvarint32() }},
		{"count beyond the buffer", binary.AppendUvarint(nil, 3), func(d *Decoder) { d.Count() }},
		{"count of a truncated varint", []byte{0x80}, func(d *Decoder) { d.Count() }},
		{"huge count", binary.AppendUvarint(nil, math.MaxUint64), func(d *Decoder) { d.Count() }},
		{"take beyond the buffer", []byte{1, 2}, func(d *Decoder) { d.Take(3) }},
		{"take negative", []byte{1, 2}, func(d *Decoder) { d.Take(-1) }},
		{"bytes beyond the buffer", append(binary.AppendUvarint(nil, 4), "abc"...), func(d *Decoder) { d.Bytes() }},
		{"bytes of a huge length", append(binary.AppendUvarint(nil, math.MaxUint64), "abc"...), func(d *Decoder) { d.Bytes() }},
		{"bytes of a truncated length", []byte{0x80}, func(d *Decoder) { d.Bytes() }},
		{"opt bytes beyond the buffer", append(binary.AppendUvarint(nil, 5), "abc"...), func(d *Decoder) { d.OptBytes() }},
		{"opt bytes of a huge length", append(binary.AppendUvarint(nil, math.MaxUint64), "abc"...), func(d *Decoder) { d.OptBytes() }},
		{"opt bytes of a truncated length", []byte{0x81}, func(d *Decoder) { d.OptBytes() }},
		{"fail", []byte{1}, func(d *Decoder) { d.Fail() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.in)
			tc.read(&d)
			if !d.Failed() || d.Done() {
				t.Fatalf("Failed %v, Done %v; want true, false", d.Failed(), d.Done())
			}
			// The failure sticks: the rest of the input is dropped and
			// every read returns a zero value.
			if d.Len() != 0 || d.Rest() != nil {
				t.Errorf("after the failure: Len %d, Rest %v; want 0, nil", d.Len(), d.Rest())
			}
			if v := d.Byte(); v != 0 {
				t.Errorf("Byte after the failure: got %d, want 0", v)
			}
			if v := d.Uvarint(); v != 0 {
				t.Errorf("Uvarint after the failure: got %d, want 0", v)
			}
			if v := d.Varint(); v != 0 {
				t.Errorf("Varint after the failure: got %d, want 0", v)
			}
			if v := d.Bytes(); v != nil {
				t.Errorf("Bytes after the failure: got %v, want nil", v)
			}
			if v := d.Take(0); v != nil {
				t.Errorf("Take(0) after the failure: got %v, want nil", v)
			}
			if !d.Failed() {
				t.Error("the failure did not stick")
			}
		})
	}
}

func TestZeroDecoder(t *testing.T) {
	var d Decoder
	if !d.Done() {
		t.Error("zero decoder: not Done")
	}
	d.Byte()
	if !d.Failed() {
		t.Error("zero decoder: reading a byte did not fail")
	}
}

// FuzzDecoder runs a program of reads, taken from the first input byte on,
// over the rest: no read may panic, none may return more bytes than are
// left, and a failure must stick.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0x00}, []byte{})
	f.Add([]byte{0x12, 0x34, 0x56}, binary.AppendUvarint([]byte{2, 'h', 'i'}, 300))
	f.Add([]byte{0x7a, 0x9b}, overlong)
	f.Fuzz(func(t *testing.T, prog, in []byte) {
		d := NewDecoder(in)
		for _, op := range prog {
			before, failed := d.Len(), d.Failed()
			var got int // bytes returned
			switch op % 13 {
			case 0:
				d.Byte()
			case 1:
				d.Uint64BE()
			case 2:
				d.Uvarint()
			case 3:
				d.Varint()
			case 4:
				d.Int()
			case 5:
				d.Uvarint32()
			case 6:
				if n := d.Count(); n < 0 || n > d.Len() {
					t.Fatalf("Count %d with %d bytes left", n, d.Len())
				}
			case 7:
				got = len(d.Take(int(op>>4) - 2))
			case 8:
				b := d.Bytes()
				if len(b) != cap(b) {
					t.Fatalf("Bytes: len %d, cap %d", len(b), cap(b))
				}
				got = len(b)
			case 9:
				got = len(d.OptBytes())
			case 10:
				d.Rest()
			case 11:
				d.Done()
			case 12:
				if op > 0xf0 {
					d.Fail()
				}
			}
			switch {
			case d.Len() > before:
				t.Fatalf("op %d: %d bytes left, %d before", op, d.Len(), before)
			case got > before-d.Len():
				t.Fatalf("op %d: returned %d bytes but consumed %d", op, got, before-d.Len())
			case failed && !d.Failed():
				t.Fatalf("op %d: failure did not stick", op)
			case d.Failed() && d.Len() != 0:
				t.Fatalf("op %d: %d bytes left after a failure", op, d.Len())
			}
		}
	})
}

// Example of a format decoder built on Decoder: read every field, then
// check once.
func ExampleDecoder() {
	enc := binary.AppendUvarint(nil, 5)
	enc = append(enc, "hello"...)
	enc = binary.AppendVarint(enc, -42)

	d := NewDecoder(enc)
	name := d.Bytes()
	delta := d.Varint()
	if !d.Done() { // a failure, or trailing bytes
		fmt.Println("corrupt")
		return
	}
	fmt.Println(string(name), delta)
	// Output: hello -42
}
