package cqlvalue

import (
	"strings"
	"testing"

	"wcdb/schema"
)

// TestCopyValues reads values of many types as COPY FROM does and writes
// them back as COPY TO does: the canonical forms come back unchanged.
func TestCopyValues(t *testing.T) {
	for _, tc := range []struct{ typ, text string }{
		{"text", `it's "quoted", back\slash`},
		{"text", ""},
		{"int", "-2147483648"},
		{"varint", "-123456789012345678901234567890"},
		{"decimal", "-0.0000012345"},
		{"float", "3.1415927"},
		{"double", "0.1"},
		{"double", "-Infinity"},
		{"boolean", "False"},
		{"blob", "0x00ff"},
		{"timestamp", "2024-02-29 12:34:56.789000+0000"},
		{"date", "1900-01-01"},
		{"time", "00:00:01.000000001"},
		{"duration", "1mo2d3h"},
		{"inet", "10.0.0.1"},
		{"uuid", "5a1f1a8e-0d2e-4a37-9a40-21ad0c1fd2a1"},
		{"list<text>", `['a, b', 'it''s', '']`},
		{"set<timestamp>", `{'1970-01-01 00:00:00.000000+0000'}`},
		{"map<time, frozen<list<int>>>", `{01:02:03.000000000: [1, 2], 04:05:06.000000000: []}`},
		{"frozen<tuple<int, text, inet>>", `(1, null, '::1')`},
		{"map<text, frozen<tuple<int, boolean>>>", `{'k': (1, True)}`},
	} {
		typ, err := schema.ParseType(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ParseCopy(typ, tc.text)
		if err != nil {
			t.Errorf("%s %q: %v", tc.typ, tc.text, err)
			continue
		}
		b, err := schema.Encode(typ, v)
		if err != nil {
			t.Errorf("%s %q: %v", tc.typ, tc.text, err)
			continue
		}
		var out strings.Builder
		WriteCopy(&out, typ, b, false)
		if out.String() != tc.text {
			t.Errorf("%s: got %q, want %q", tc.typ, out.String(), tc.text)
		}
	}
	for _, tc := range []struct{ typ, text, want string }{
		{"int", "1.5", `"1.5" is not an integer of type int`},
		{"boolean", "yes", `"yes" is not True or False`},
		{"blob", "ff", `blob "ff" does not start with 0x`},
		{"list<int>", "1, 2", `expected '[' for list<int> at position 1 of "1, 2"`},
		{"list<int>", "[1, 2", `expected ',' at position 6 of "[1, 2"`},
		{"set<text>", "{'a}", `unterminated string in "{'a}"`},
		{"frozen<tuple<int>>", "(1, 2)", `too many fields for frozen<tuple<int>> in "(1, 2)"`},
	} {
		typ, err := schema.ParseType(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCopy(typ, tc.text); err == nil || err.Error() != tc.want {
			t.Errorf("%s %q: got %v, want %q", tc.typ, tc.text, err, tc.want)
		}
	}
}
