package schema

import (
	"bytes"
	"fmt"
	"testing"
)

// fuzzTypes are the types the fuzz targets pick from with their first byte.
var fuzzTypes = append(append([]Type{}, orderedTypes...),
	Native(KindDuration), Native(KindCounter),
	MapOf(Native(KindText), ListOf(SetOf(Native(KindDecimal)))),
	ListOf(TupleOf(Native(KindInt), Native(KindText), TupleOf(Native(KindBoolean)))),
	fuzzUDT.Freeze(), SetOf(fuzzUDT), fuzzUDT,
)

// fuzzUDT is a user type nesting another, with a collection field.
var fuzzUDT = UDTOf("ks", "u", []string{"a", "b", "c"}, []Type{Native(KindText),
	UDTOf("ks", "v", []string{"x"}, []Type{Native(KindInt)}).Freeze(), ListOf(Native(KindInt))})

func fuzzType(b []byte) (Type, []byte) {
	if len(b) == 0 {
		return Native(KindInt), b
	}
	return fuzzTypes[int(b[0])%len(fuzzTypes)], b[1:]
}

func addSeeds(f *testing.F) {
	for i := range fuzzTypes {
		f.Add(append([]byte{byte(i)}, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1))
	}
	f.Add([]byte{0x13, 0, 0, 0, 2, 0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x62})
	f.Add([]byte{0x05, 0, 0, 0, 2, 0x7f})
}

// FuzzDecode: Validate, Decode, Normalize, Compare, Format and the
// comparable encoding never panic on any bytes; a value Decode accepts
// encodes back to the same value; the comparable encoding of
// anything round-trips, and re-encoding the decoded value is idempotent.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, b := fuzzType(data)
		err := Validate(typ, b)
		v, derr := Decode(typ, b)
		if (err == nil) != (derr == nil) {
			t.Fatalf("Validate %v but Decode %v", err, derr)
		}
		_ = Format(typ, b)
		_ = Display(typ, b)
		if Compare(typ, b, b) != 0 {
			t.Fatalf("Compare(%x, %x) != 0", b, b)
		}
		if err == nil {
			n, err := Normalize(typ, b)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if Compare(typ, b, n) != 0 && !typ.References(KindSet) && !typ.References(KindMap) {
				t.Fatalf("Normalize changed the value: %x -> %x", b, n)
			}
			e, err := Encode(typ, v)
			if err != nil {
				t.Fatalf("Encode(Decode(%x)): %v", b, err)
			}
			if typ.References(KindDuration) {
				// Durations compare bytewise, and their vints need not be
				// minimal: compare the values instead.
				v2, err := Decode(typ, e)
				if err != nil || fmt.Sprint(v2) != fmt.Sprint(v) {
					t.Fatalf("Decode(Encode(Decode(%x))) = %v, %v; want %v", b, v2, err, v)
				}
			} else if Compare(typ, e, n) != 0 {
				t.Fatalf("Encode(Decode(%x)) = %x; want the value of %x", b, e, n)
			}
		}
		for _, desc := range []bool{false, true} {
			enc := AppendComparable(nil, typ, b, desc)
			got, rest, err := DecodeComparable(typ, enc, desc)
			if err != nil || len(rest) != 0 {
				t.Fatalf("DecodeComparable(%x): %x, %v", enc, rest, err)
			}
			if again := AppendComparable(nil, typ, got, desc); !bytes.Equal(again, enc) {
				t.Fatalf("comparable encoding of %x is %x, of its decoding %x is %x", b, enc, got, again)
			}
			if Validate(typ, b) != nil && !bytes.Equal(got, b) {
				t.Fatalf("invalid %x came back as %x", b, got)
			}
		}
	})
}

// FuzzDecodeComparable: arbitrary bytes never panic the decoder, and what
// it accepts is stable under re-encoding.
func FuzzDecodeComparable(f *testing.F) {
	addSeeds(f)
	for i, typ := range fuzzTypes {
		f.Add(append([]byte{byte(i)}, AppendComparable(nil, typ, nil, false)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, b := fuzzType(data)
		for _, desc := range []bool{false, true} {
			v, rest, err := DecodeComparable(typ, b, desc)
			if err != nil {
				continue
			}
			if len(rest) > len(b) {
				t.Fatalf("rest longer than input")
			}
			enc := AppendComparable(nil, typ, v, desc)
			v2, rest2, err := DecodeComparable(typ, enc, desc)
			if err != nil || len(rest2) != 0 || !bytes.Equal(v, v2) {
				t.Fatalf("re-decoding %x: %x, %x, %v; want %x", enc, v2, rest2, err, v)
			}
		}
		_, _ = SplitClustering([]Type{typ, Native(KindText)}, []bool{false, true}, b)
	})
}

// FuzzParseType: no panic; a parsed type prints as a string that parses
// back to it and passes Check.
func FuzzParseType(f *testing.F) {
	for _, s := range []string{"int", "map<text, frozen<list<int>>>", "frozen<tuple<int, set<text>>>", "list<list<int>>", "frozen<map<frozen<set<int>>,text>>",
		`map<frozen<address>, frozen<"Geo">>`, "tuple<ks.address, int>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseTypeIn(s, testTypes)
		if err != nil {
			return
		}
		if err := typ.Check(); err != nil {
			t.Fatalf("ParseType(%q) = %v, which fails Check: %v", s, typ, err)
		}
		again, err := ParseTypeIn(typ.String(), testTypes)
		if err != nil || !again.Equal(typ) {
			t.Fatalf("ParseType(%q) = %v, %v; want %v", typ.String(), again, err, typ)
		}
	})
}
