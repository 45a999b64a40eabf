package catalog

import (
	"testing"

	"wcdb/schema"
)

func TestSerializationCompatible(t *testing.T) {
	for _, tc := range []struct {
		typ, prev string
		want      bool
	}{
		{"int", "int", true},
		{"text", "ascii", true},
		{"ascii", "text", false},
		{"blob", "int", true},
		{"int", "blob", false},
		{"bigint", "timestamp", true},
		{"timestamp", "bigint", true},
		{"varint", "int", true},
		{"varint", "bigint", true},
		{"int", "varint", false},
		{"date", "int", true},
		{"time", "bigint", true},
		{"uuid", "timeuuid", true},
		{"timeuuid", "uuid", false},
		{"list<int>", "list<int>", true},
		{"list<blob>", "list<int>", true},
		{"list<text>", "list<int>", false},
		{"frozen<list<int>>", "list<int>", false},
		{"set<blob>", "set<text>", true},
		{"set<blob>", "set<int>", false},
		{"map<int, blob>", "map<int, text>", true},
		{"map<blob, text>", "map<int, text>", false},
		{"frozen<list<varint>>", "frozen<list<int>>", true},
		{"frozen<set<int>>", "frozen<list<int>>", false},
		{"frozen<tuple<int, text>>", "frozen<tuple<int>>", true},
		{"frozen<tuple<int>>", "frozen<tuple<int, text>>", false},
	} {
		typ, err := schema.ParseType(tc.typ)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := schema.ParseType(tc.prev)
		if err != nil {
			t.Fatal(err)
		}
		if got := SerializationCompatible(typ, prev); got != tc.want {
			t.Errorf("SerializationCompatible(%s, %s) = %v, want %v", tc.typ, tc.prev, got, tc.want)
		}
	}
}
