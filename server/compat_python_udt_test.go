package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCompatPythonUDT: the Python driver reads user types as named tuples,
// binds and reads classes registered with register_user_type, selects
// fields, and sees the types in its schema metadata as ALTER TYPE changes
// them; types as map keys and set elements, writetime() of a non-frozen
// type (a list with nulls); DROP TYPE of a type in use is an InvalidRequest.
func TestCompatPythonUDT(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	out := runPython(t, n, "udt.py", time.Minute)
	var r struct {
		Named       []any    `json:"named"`
		Registered  [][]any  `json:"registered"`
		Field       []any    `json:"field"`
		Fields      []string `json:"fields"`
		FieldsAfter []string `json:"fields_after"`
		Describe    string   `json:"describe"`
		Drop        []string `json:"drop"`
		Keys        []any    `json:"keys"`
		InMap       any      `json:"in_map"`
		FieldInMap  any      `json:"field_in_map"`
		Writetime   []any    `json:"writetime"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("udt.py output %q: %v", string(out), err)
	}
	t.Logf("%s", string(out))
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("named tuple", r.Named, []any{"address", "Main", 1, "ann", 3})
	check("registered class", r.Registered, [][]any{{"Address", "Second", 22, "Frozen"}, {"Address", "Third", 30, nil}})
	check("field selection", r.Field, []any{"Second", 22})
	check("map keys and set elements", r.Keys, []any{
		[]any{[]any{[]any{"a", nil, 1}, []any{"b", 1, 2}}, []any{[]any{"z", 2}}},
		[]any{[]any{[]any{"c", 3, 4}}, []any{[]any{"d", 5}}},
	})
	check("element by a type key", r.InMap, 2)
	check("field of a type in a map", r.FieldInMap, 8)
	check("writetime(u)", r.Writetime, []any{100, 200})
	check("fields", r.Fields, []string{"street", "zip"})
	check("fields after ALTER", r.FieldsAfter, []string{"street", "zip", "city"})
	if !strings.Contains(r.Describe, "CREATE TYPE udtpy.person") || !strings.Contains(r.Describe, "home frozen<address>") {
		t.Errorf("as_cql_query: %q", r.Describe)
	}
	if len(r.Drop) != 2 || r.Drop[0] != "InvalidRequest" || !strings.Contains(r.Drop[1], "Cannot drop user type 'udtpy.address' as it is still used by user types person") {
		t.Errorf("DROP TYPE in use: %v", r.Drop)
	}
}
