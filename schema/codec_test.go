package schema

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// TestEncodeGoValues covers the Go types Encode takes beyond the literals
// of testdata/codec.
func TestEncodeGoValues(t *testing.T) {
	ts := time.Date(2011, 2, 3, 4, 5, 0, 123_999_999, time.FixedZone("x", 3600))
	u := UUID{0x50, 0x55, 0x4d, 0x6e, 0x29, 0xbb, 0x11, 0xe5, 0xb3, 0x45, 0xfe, 0xff, 0x81, 0x9c, 0xdc, 0x9f}
	huge, _ := new(big.Int).SetString("-340282366920938463463374607431768211457", 10)
	for _, tc := range []struct {
		typ  string
		v    any
		want string // hex; "!" prefix: an error
	}{
		{"int", int8(-1), "ffffffff"},
		{"int", uint16(65535), "0000ffff"},
		{"int", uint64(1 << 40), "!"},
		{"bigint", uint64(math.MaxUint64), "!"},
		{"bigint", big.NewInt(-2), "fffffffffffffffe"},
		{"counter", 7, "0000000000000007"},
		{"varint", huge, "feffffffffffffffffffffffffffffffff"},
		{"varint", "-129", "ff7f"},
		{"varint", "12a", "!"},
		{"varint", 1.5, "!"},
		{"double", 3, "4008000000000000"},
		{"double", float32(0.5), "3fe0000000000000"},
		{"float", 0.1, "3dcccccd"},
		{"float", math.NaN(), "7fc00000"},
		{"double", math.NaN(), "7ff8000000000000"},
		{"decimal", Decimal{Unscaled: big.NewInt(15), Scale: 1}, "000000010f"},
		{"decimal", &Decimal{Unscaled: big.NewInt(-1), Scale: -2}, "fffffffeff"},
		{"decimal", Decimal{}, "0000000000"},
		{"decimal", 0.1, "0000000101"},
		{"decimal", 1e21, "ffffffeb01"},
		{"decimal", math.Inf(1), "!"},
		{"decimal", 42, "000000002a"},
		{"decimal", "1.2.3", "!"},
		{"decimal", "1e", "!"},
		{"decimal", "1e+-3", "!"},
		{"decimal", ".5", "0000000105"},
		{"decimal", "-1.50E+3", "ffffffffff6a"},
		{"timestamp", ts, "0000012de97adfdb"},
		{"timestamp", int64(-1), "ffffffffffffffff"},
		{"date", ts, "80003aa0"},
		{"date", time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), "7fffffff"},
		{"date", -1, "!"},
		{"time", 4*time.Hour + 5*time.Minute, "00000d5e9c473800"},
		{"time", -time.Nanosecond, "!"},
		{"time", "12", "000000000000000c"},
		{"time", "1:2", "!"},
		{"time", "10:61:00", "!"},
		{"uuid", u, "50554d6e29bb11e5b345feff819cdc9f"},
		{"timeuuid", [16]byte(u), "50554d6e29bb11e5b345feff819cdc9f"},
		{"uuid", []byte{1}, "!"},
		{"inet", net.ParseIP("10.1.2.3"), "0a010203"},
		{"inet", netip.MustParseAddr("::ffff:10.1.2.3"), "0a010203"},
		{"inet", netip.MustParseAddr("fe80::1"), "fe800000000000000000000000000001"},
		{"inet", net.IP{1, 2, 3}, "!"},
		{"duration", Duration{Months: 1, Days: 2, Nanos: 3}, "020406"},
		{"duration", Duration{Months: 1, Days: -2}, "!"},
		{"duration", "", "!"},
		{"boolean", 1, "!"},
		{"text", []byte("x"), "!"},
		{"text", string([]byte{0xff}), "!"},
		{"blob", "x", "!"},
		{"int", nil, "!"},
		{"list<int>", []int{1}, "!"},
		{"map<int, int>", []MapEntry{{Key: 1, Value: nil}}, "!"},
		{"map<int, int>", []MapEntry{{Key: "a", Value: 1}}, "!"},
		{"map<int, int>", []any{1}, "!"},
		{"set<int>", []any{Serialized{0, 0, 0, 2}, 1}, "0000000200000004000000010000000400000002"},
		{"set<int>", []any{Serialized{0, 0, 2}}, "!"},
		{"tuple<int, text>", []any{Empty, ""}, "0000000000000000"},
		{"tuple<int>", []any{"x"}, "!"},
		{"list<int>", Serialized(nil), "!"},
		{"text", Serialized(nil), ""},
	} {
		typ := mustType(t, tc.typ)
		got, err := Encode(typ, tc.v)
		if tc.want == "!" {
			if err == nil {
				t.Errorf("Encode(%s, %#v) = %x, want an error", tc.typ, tc.v, got)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != tc.want {
			t.Errorf("Encode(%s, %#v) = %x, %v; want %s", tc.typ, tc.v, got, err, tc.want)
		}
	}
}

// TestDecodeGoValues checks the Go types Decode returns.
func TestDecodeGoValues(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		hex  string
		want any
	}{
		{"tinyint", "ff", int8(-1)},
		{"smallint", "ffff", int16(-1)},
		{"int", "ffffffff", int32(-1)},
		{"int", "", Empty},
		{"bigint", "ffffffffffffffff", int64(-1)},
		{"varint", "ff7f", big.NewInt(-129)},
		{"float", "3fc00000", float32(1.5)},
		{"double", "3ff8000000000000", 1.5},
		{"boolean", "02", true},
		{"text", "", ""},
		{"blob", "", []byte{}},
		{"ascii", "61", "a"},
		{"decimal", "000000010f", Decimal{Unscaled: big.NewInt(15), Scale: 1}},
		{"timestamp", "0000012de9b1cde0", time.Date(2011, 2, 3, 4, 5, 0, 0, time.UTC)},
		{"date", "80003aa0", time.Date(2011, 2, 3, 0, 0, 0, 0, time.UTC)},
		{"time", "00000d5e9c473800", 4*time.Hour + 5*time.Minute},
		{"inet", "7f000001", net.IP{127, 0, 0, 1}},
		{"duration", "020406", Duration{Months: 1, Days: 2, Nanos: 3}},
		{"list<int>", "000000010000000400000001", []any{int32(1)}},
		{"map<text, boolean>", "00000001000000016100000001 01", []MapEntry{{Key: "a", Value: true}}},
		{"tuple<int, text>", "ffffffff00000000", []any{nil, ""}},
		{"tuple<int, text>", "", Empty},
	} {
		b, err := hex.DecodeString(stripSpaces(tc.hex))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(mustType(t, tc.typ), b)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%s, %s) = %#v, %v; want %#v", tc.typ, tc.hex, got, err, tc.want)
		}
	}
	if _, err := Decode(Native(KindInt), []byte{1}); err == nil {
		t.Errorf("Decode accepted a 1-byte int")
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func TestDecimalString(t *testing.T) {
	for _, tc := range []struct {
		unscaled string
		scale    int32
		want     string
	}{
		{"0", 0, "0"},
		{"0", 2, "0.00"},
		{"0", -2, "0E+2"},
		{"123", -2, "1.23E+4"},
		{"-123", 2, "-1.23"},
		{"1", 6, "0.000001"},
		{"1", 7, "1E-7"},
		{"-1234", 10, "-1.234E-7"},
		{"1", math.MinInt32, "1E+2147483648"},
		{"12", math.MaxInt32, "1.2E-2147483646"},
	} {
		u, _ := new(big.Int).SetString(tc.unscaled, 10)
		d := Decimal{Unscaled: u, Scale: tc.scale}
		if got := d.String(); got != tc.want {
			t.Errorf("Decimal{%s, %d} = %s, want %s", tc.unscaled, tc.scale, got, tc.want)
		}
		back, err := ParseDecimal(tc.want)
		if err != nil || back.Unscaled.Cmp(u) != 0 || back.Scale != tc.scale {
			t.Errorf("ParseDecimal(%s) = %v, %v", tc.want, back, err)
		}
	}
	if (Decimal{}).String() != "0" {
		t.Errorf("zero Decimal = %s", Decimal{})
	}
}

func TestDurationString(t *testing.T) {
	for _, tc := range []struct {
		d    Duration
		want string
	}{
		{Duration{}, "0s"},
		{Duration{Months: 14}, "1y2mo"},
		{Duration{Days: -3, Nanos: -90 * 60e9}, "-3d1h30m"},
		{Duration{Nanos: 1001}, "1us1ns"},
		{Duration{Nanos: math.MinInt64}, "-2562047h47m16s854ms775us808ns"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v = %s, want %s", tc.d, got, tc.want)
		}
		if tc.d.Nanos == math.MinInt64 {
			continue // Cassandra's parser caps the magnitude at MaxInt64
		}
		if back, err := ParseDuration(tc.want); err != nil || back != tc.d {
			t.Errorf("ParseDuration(%s) = %+v, %v; want %+v", tc.want, back, err, tc.d)
		}
	}
	for _, bad := range []string{"", "-", "h", "1", "1h-2m", "99999999999y", "1H2X", "PT1.5S", "P1H", "2W1MO"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
	if d, err := ParseDuration("1MO2W1µs"); err != nil || d != (Duration{Months: 1, Days: 14, Nanos: 1000}) {
		t.Errorf("ParseDuration(1MO2W1µs) = %+v, %v", d, err)
	}
	if d, err := ParseDuration("P1D"); err != nil || d != (Duration{Days: 1}) {
		t.Errorf("ParseDuration(P1D) = %+v, %v", d, err)
	}
}

func TestFormatInvalid(t *testing.T) {
	if got := Format(Native(KindInt), []byte{1, 2}); got != "0x0102" {
		t.Errorf("Format of an invalid int = %s", got)
	}
	if got := Display(Native(KindText), []byte("it's")); got != "it's" {
		t.Errorf("Display = %s", got)
	}
	if got := Format(Native(KindText), []byte("it's")); got != "'it''s'" {
		t.Errorf("Format = %s", got)
	}
	ts := mustEncode(t, Native(KindTimestamp), int64(math.MaxInt64))
	if got := Format(Native(KindTimestamp), ts); got != "9223372036854775807" {
		t.Errorf("Format of a timestamp beyond year 9999 = %s", got)
	}
}
