package schema

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// udtResolver knows ks.address (street text, zip int) and ks."Geo"
// (lat double, addr frozen<address>).
func udtResolver(t *testing.T) Resolver {
	addr := UDTOf("ks", "address", []string{"street", "zip"}, []Type{Native(KindText), Native(KindInt)})
	geo := UDTOf("ks", "Geo", []string{"lat", "addr"}, []Type{Native(KindDouble), addr})
	return func(ks, name string) (Type, error) {
		if ks != "" && ks != "ks" {
			return Type{}, invalidf("wrong keyspace %s", ks)
		}
		switch name {
		case "address":
			return addr, nil
		case "Geo":
			return geo, nil
		case "date", "list":
			return UDTOf("ks", name, []string{"d"}, []Type{Native(KindDate)}), nil
		}
		return Type{}, invalidf("Unknown type %s", name)
	}
}

func TestParseTypeUDT(t *testing.T) {
	r := udtResolver(t)
	for _, tc := range []struct{ in, want, err string }{
		{in: "address", want: "address"},
		{in: "frozen<address>", want: "frozen<address>"},
		{in: "ks.address", want: "address"},
		{in: `frozen<"Geo">`, want: `frozen<"Geo">`},
		{in: "list<frozen<address>>", want: "list<frozen<address>>"},
		{in: "map<text, frozen<address>>", want: "map<text, frozen<address>>"},
		{in: "tuple<int, address>", want: "frozen<tuple<int, frozen<address>>>"},
		{in: "frozen<list<address>>", want: "frozen<list<frozen<address>>>"},
		{in: "list<address>", err: "Non-frozen UDTs are not allowed inside collections: list<address>"},
		{in: "set<address>", err: "Non-frozen UDTs are not allowed inside collections: set<address>"},
		{in: `"date"`, want: `"date"`},
		{in: `frozen<"list">`, want: `frozen<"list">`},
		{in: "nope", err: "Unknown type nope"},
		{in: "other.address", err: "wrong keyspace other"},
	} {
		got, err := ParseTypeIn(tc.in, r)
		if tc.err != "" {
			var se *Error
			if !errors.As(err, &se) || se.Msg != tc.err {
				t.Errorf("ParseTypeIn(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("ParseTypeIn(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
			continue
		}
		if err := got.Check(); err != nil {
			t.Errorf("ParseTypeIn(%q).Check() = %v", tc.in, err)
		}
		// Printed types parse back to the same type.
		back, err := ParseTypeIn(got.String(), r)
		if err != nil || !back.Equal(got) {
			t.Errorf("ParseTypeIn(%q) round trip = %v, %v; want %v", got.String(), back, err, got)
		}
	}
	if _, err := ParseType("address"); err == nil {
		t.Errorf("ParseType(address) without a resolver succeeded")
	}
}

func TestUDTValues(t *testing.T) {
	r := udtResolver(t)
	addr, _ := r("", "address")
	faddr := addr.Freeze()
	if !addr.IsMultiCell() || faddr.IsMultiCell() {
		t.Fatalf("IsMultiCell: non-frozen %v, frozen %v", addr.IsMultiCell(), faddr.IsMultiCell())
	}
	v, err := Encode(faddr, []any{"a'b", int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Format(faddr, v), "{street: 'a''b', zip: 1}"; got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
	// A value written before a field was added has fewer fields.
	short, _ := Encode(faddr, []any{"x"})
	if got, want := Format(faddr, short), "{street: 'x', zip: null}"; got != want {
		t.Errorf("Format(short) = %s, want %s", got, want)
	}
	if got, want := Display(faddr, short), "{street: 'x', zip: null}"; got != want {
		t.Errorf("Display(short) = %s, want %s", got, want)
	}
	if c := Compare(faddr, short, v); c <= 0 {
		t.Errorf("Compare({x}, {a'b, 1}) = %d, want > 0", c)
	}
	if _, err := Encode(faddr, []any{"a", int32(1), "c"}); err == nil {
		t.Errorf("Encode with too many fields succeeded")
	}
	if err := Validate(faddr, append(v, 0, 0, 0, 0)); err == nil {
		t.Errorf("Validate accepted a value with too many fields")
	}
	// A value written before ALTER TYPE ADD (fewer fields) is the same
	// value as one with the new fields null: equal, and the same key.
	padded := append(slices.Clone(short), 0xff, 0xff, 0xff, 0xff)
	if Compare(faddr, short, padded) != 0 || !bytes.Equal(AppendComparable(nil, faddr, short, false), AppendComparable(nil, faddr, padded, false)) {
		t.Errorf("{x} and {x, null} differ")
	}
	if Compare(faddr, short, v) == 0 || Compare(faddr, padded, append(slices.Clone(short), 0, 0, 0, 0)) == 0 {
		t.Errorf("{x} equals a value with more non-null fields")
	}
	// Comparable encoding orders as Compare and decodes back.
	for _, pair := range [][2][]byte{{short, v}, {v, short}} {
		ka, kb := AppendComparable(nil, faddr, pair[0], false), AppendComparable(nil, faddr, pair[1], false)
		if sign(bytes.Compare(ka, kb)) != sign(Compare(faddr, pair[0], pair[1])) {
			t.Errorf("comparable order of %x, %x disagrees with Compare", pair[0], pair[1])
		}
		back, _, err := DecodeComparable(faddr, ka, false)
		if err != nil || Compare(faddr, back, pair[0]) != 0 {
			t.Errorf("DecodeComparable = %x, %v; want %x", back, err, pair[0])
		}
	}
	// A key decodes with every field of the type, as a driver serializes
	// the value (the Python driver finds a map's keys by their bytes).
	if back, _, err := DecodeComparable(faddr, AppendComparable(nil, faddr, short, false), false); err != nil || !bytes.Equal(back, padded) {
		t.Errorf("DecodeComparable({x}) = %x, %v; want %x", back, err, padded)
	}
	// Non-frozen: cells per field, in any order, absent fields null.
	withNull, _ := Encode(faddr, []any{nil, int32(7)})
	for _, v := range [][]byte{short, withNull, v} {
		elems, err := CollectionElements(addr, v, nil)
		if err != nil {
			t.Fatalf("CollectionElements(%s) = %v", Format(faddr, v), err)
		}
		var cells []Element
		for i := range elems.Len() {
			cells = append(cells, elems.Element(i))
		}
		// Cells in any order assemble the same value, missing fields null.
		slices.Reverse(cells)
		got, err := CollectionFromElements(addr, cells)
		want := Format(faddr, v)
		if err != nil || Format(faddr, got) != want {
			t.Errorf("CollectionFromElements(CollectionElements(%s)) = %s, %v", want, Format(faddr, got), err)
		}
	}
	if elems, _ := CollectionElements(addr, withNull, nil); elems.Len() != 1 || !bytes.Equal(elems.Path(0), FieldPath(1)) {
		t.Errorf("CollectionElements({null, 7}) has %d cells", elems.Len())
	}
	if got, _ := CollectionFromElements(addr, nil); got != nil {
		t.Errorf("CollectionFromElements(no cells) = %x, want nil", got)
	}
	if _, err := FieldOfPath([]byte{1}); err == nil {
		t.Errorf("FieldOfPath accepted a 1-byte path")
	}
}

func TestWithUDT(t *testing.T) {
	r := udtResolver(t)
	col, _ := ParseTypeIn("map<text, frozen<address>>", r)
	geo, _ := r("", "Geo")
	grown := UDTOf("ks", "address", []string{"street", "zip", "city"}, []Type{Native(KindText), Native(KindInt), Native(KindText)})
	got := col.WithUDT(grown)
	if want := "map<text, frozen<address>>"; got.String() != want || len(got.Elems[1].Elems) != 3 || !got.Elems[1].Frozen {
		t.Errorf("WithUDT = %v (%d fields)", got, len(got.Elems[1].Elems))
	}
	if len(col.Elems[1].Elems) != 2 {
		t.Errorf("WithUDT changed its receiver")
	}
	if g := geo.WithUDT(grown); len(g.Elems[1].User.Fields) != 3 || !geo.ReferencesUDT("ks", "address") || grown.ReferencesUDT("ks", "Geo") {
		t.Errorf("WithUDT on a nesting type = %v", g)
	}
	if err := UDTOf("ks", "c", []string{"n"}, []Type{Native(KindCounter)}).Check(); err == nil {
		t.Errorf("Check accepted a user type with a counter")
	}
}
