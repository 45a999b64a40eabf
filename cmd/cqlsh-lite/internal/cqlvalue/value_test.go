package cqlvalue

import (
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/schema"
)

func mustType(t *testing.T, s string) schema.Type {
	t.Helper()
	typ, err := schema.ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// TestFormatValue checks values as cqlsh prints them, at the top level and
// nested in collections and tuples.
func TestFormatValue(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	for _, tc := range []struct {
		typ  string
		v    any
		want string
	}{
		{"text", "plain", "plain"},
		{"text", "it's", "it's"},
		{"text", "", ""},
		{"text", "two\nlines\tand \\ a \x01", `two\nlines\tand \\ a \x01`},
		{"ascii", "abc", "abc"},
		{"varchar", "日本", "日本"},
		{"blob", []byte{0xca, 0xfe}, "0xcafe"},
		{"blob", []byte{}, "0x"},
		{"boolean", true, "True"},
		{"boolean", false, "False"},
		{"int", int32(-42), "-42"},
		{"bigint", int64(1234567890123), "1234567890123"},
		{"smallint", 7, "7"},
		{"tinyint", -3, "-3"},
		{"varint", "123456789012345678901234567890", "123456789012345678901234567890"},
		{"decimal", "12.345", "12.345"},
		{"float", float32(1234.5678), "1234.56775"},
		{"float", float32(1.5), "1.5"},
		{"double", 3.141592653589793, "3.14159"},
		{"double", 1234.5678, "1234.5678"},
		{"double", 123456.789, "1.2346e+05"},
		{"double", 1.2345e-05, "1.2e-05"},
		{"double", -0.0001234567, "-0.000123"},
		{"double", 0.0, "0"},
		{"double", 1e10, "1e+10"},
		{"timestamp", ts, "2024-01-02 03:04:05.678000+0000"},
		{"date", "2024-01-01", "2024-01-01"},
		{"time", "12:34:56.789", "12:34:56.789000000"},
		{"uuid", "01234567-89ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123-456789abcdef"},
		{"timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f", "50554d6e-29bb-11e5-b345-feff819cdc9f"},
		{"inet", "127.0.0.1", "127.0.0.1"},
		{"inet", "::1", "::1"},
		{"duration", "1h30m", "1h30m"},
		{"int", schema.Empty, ""},
		{"list<int>", []any{1, 2}, "[1, 2]"},
		{"list<text>", []any{"a", "it's"}, "['a', 'it''s']"},
		{"list<text>", []any{}, "[]"},
		{"set<text>", []any{"b", "a"}, "{'a', 'b'}"},
		{"map<text, int>", []schema.MapEntry{{Key: "k", Value: 1}, {Key: "j", Value: 2}}, "{'j': 2, 'k': 1}"},
		{"map<timestamp, inet>", []schema.MapEntry{{Key: ts, Value: "10.0.0.1"}}, "{'2024-01-02 03:04:05.678000+0000': '10.0.0.1'}"},
		{"list<blob>", []any{[]byte{1}}, "[0x01]"},
		{"set<boolean>", []any{true}, "{True}"},
		{"list<uuid>", []any{"01234567-89ab-cdef-0123-456789abcdef"}, "[01234567-89ab-cdef-0123-456789abcdef]"},
		{"list<date>", []any{"2024-01-01"}, "[2024-01-01]"},
		{"list<double>", []any{1.5, 0.000012345}, "[1.5, 1.2e-05]"},
		{"list<text>", []any{"a\nb"}, `['a\nb']`},
		{"tuple<int, text, timestamp>", []any{1, "a", ts}, "(1, 'a', '2024-01-02 03:04:05.678000+0000')"},
		{"tuple<int, text>", []any{nil, nil}, "(null, null)"},
		{"tuple<int, text>", []any{5}, "(5, null)"},
		{"frozen<list<frozen<map<int, frozen<set<text>>>>>>", []any{[]schema.MapEntry{{Key: 1, Value: []any{"x"}}}}, "[{1: {'x'}}]"},
	} {
		typ := mustType(t, tc.typ)
		b, err := schema.Encode(typ, tc.v)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.typ, tc.v, err)
		}
		if got := Format(Column{Type: typ, Known: true}, Raw{Bytes: b}); got != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.typ, tc.v, got, tc.want)
		}
	}
}

func TestFormatValueNullUnknownAndInvalid(t *testing.T) {
	if got := Format(Column{Type: mustType(t, "int"), Known: true}, Raw{Null: true}); got != "null" {
		t.Errorf("null: got %q, want %q", got, "null")
	}
	if got := Format(Column{}, Raw{Bytes: []byte{1, 2}}); got != "0x0102" {
		t.Errorf("unknown type: got %q, want %q", got, "0x0102")
	}
	// Bytes that are no int (3 of them) are shown as a blob, not dropped.
	if got := Format(Column{Type: mustType(t, "int"), Known: true}, Raw{Bytes: []byte{1, 2, 3}}); got != "0x010203" {
		t.Errorf("invalid int: got %q, want %q", got, "0x010203")
	}
	if got := Format(Column{Type: mustType(t, "list<int>"), Known: true}, Raw{Bytes: []byte{0, 0, 0, 9}}); got != "0x00000009" {
		t.Errorf("truncated list: got %q, want %q", got, "0x00000009")
	}
}

// TestCQLType checks the conversion of the column types gocql decodes
// from result metadata.
func TestCQLType(t *testing.T) {
	native := func(typ gocql.Type) gocql.NativeType { return gocql.NewNativeType(4, typ, "") }
	coll := func(typ gocql.Type, key, elem gocql.TypeInfo) gocql.CollectionType {
		return gocql.CollectionType{NativeType: native(typ), Key: key, Elem: elem}
	}
	for _, tc := range []struct {
		in   gocql.TypeInfo
		want string // "" for a type shown as bytes
	}{
		{native(gocql.TypeVarchar), "text"},
		{native(gocql.TypeText), "text"},
		{native(gocql.TypeTimeUUID), "timeuuid"},
		{native(gocql.TypeDuration), "duration"},
		{coll(gocql.TypeList, nil, native(gocql.TypeInt)), "list<int>"},
		{coll(gocql.TypeSet, nil, native(gocql.TypeAscii)), "set<ascii>"},
		{coll(gocql.TypeMap, native(gocql.TypeText), coll(gocql.TypeList, nil, native(gocql.TypeBlob))), "map<text, frozen<list<blob>>>"},
		{gocql.TupleTypeInfo{NativeType: native(gocql.TypeTuple), Elems: []gocql.TypeInfo{native(gocql.TypeInt), native(gocql.TypeDate)}}, "frozen<tuple<int, date>>"},
		{gocql.UDTTypeInfo{NativeType: native(gocql.TypeUDT), KeySpace: "ks", Name: "address", Elements: []gocql.UDTField{
			{Name: "street", Type: native(gocql.TypeText)}, {Name: "Zip", Type: native(gocql.TypeInt)}}}, "frozen<address>"},
		{gocql.UDTTypeInfo{NativeType: native(gocql.TypeUDT), Name: "bad", Elements: []gocql.UDTField{
			{Name: "c", Type: gocql.NewNativeType(4, gocql.TypeCustom, "x")}}}, ""},
		{gocql.NewNativeType(4, gocql.TypeCustom, "com.example.Custom"), ""},
		{coll(gocql.TypeList, nil, gocql.NewNativeType(4, gocql.TypeCustom, "x")), ""},
	} {
		typ, ok := TypeOf(tc.in)
		got := ""
		if ok {
			got = typ.String()
		}
		if got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatUDT: user type values as cqlsh shows them, {field: value}, a
// null or missing (added later) field as null, quoted names quoted.
func TestFormatUDT(t *testing.T) {
	addr := schema.UDTOf("ks", "address", []string{"street", "Zip", "city"},
		[]schema.Type{schema.Native(schema.KindText), schema.Native(schema.KindInt), schema.Native(schema.KindText)}).Freeze()
	v, err := schema.Encode(addr, []any{"it's", int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Format(Column{Type: addr, Known: true}, Raw{Bytes: v}), `{street: 'it''s', "Zip": 7, city: null}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	list := schema.ListOf(addr)
	lv, _ := schema.Encode(list, []any{schema.Serialized(v)})
	if got, want := Format(Column{Type: list, Known: true}, Raw{Bytes: lv}), `[{street: 'it''s', "Zip": 7, city: null}]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
