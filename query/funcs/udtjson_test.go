package funcs

import (
	"encoding/json"
	"strings"
	"testing"

	"wcdb/schema"
)

// TestUDTJSON: a user type value as a JSON object (a mixed-case field
// quoted in its key, a missing field null) and back.
func TestUDTJSON(t *testing.T) {
	addr := schema.UDTOf("ks", "address", []string{"street", "Zip", "tags"},
		[]schema.Type{schema.Native(schema.KindText), schema.Native(schema.KindInt), schema.SetOf(schema.Native(schema.KindText))}).Freeze()
	v, err := schema.Encode(addr, []any{"it's", int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ToJSON(addr, v)
	if want := `{"street": "it's", "\"Zip\"": 7, "tags": null}`; err != nil || got != want {
		t.Fatalf("ToJSON = %s, %v; want %s", got, err, want)
	}
	dec := json.NewDecoder(strings.NewReader(got))
	dec.UseNumber()
	var obj any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	back, err := JSONValue(addr, obj)
	if err != nil || schema.Format(addr, back) != "{street: 'it''s', \"Zip\": 7, tags: null}" {
		t.Errorf("JSONValue(%s) = %s, %v", got, schema.Format(addr, back), err)
	}
	if _, err := JSONValue(addr, map[string]any{"zip": json.Number("1")}); err == nil || !strings.Contains(err.Error(), "Unknown field 'zip' in value of user defined type address") {
		t.Errorf("unquoted mixed-case key: %v", err)
	}
	if _, err := JSONValue(addr, []any{"x"}); err == nil {
		t.Errorf("an array for a user type was accepted")
	}
}
