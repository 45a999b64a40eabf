package funcs

// fromJson's conversions: a decoded JSON value to a value of a CQL type,
// as Cassandra's fromJSONObject.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// JSONValue converts a decoded JSON value (json.Number for numbers) to a
// value of type t, as
// Cassandra's fromJSONObject: strings for text, blobs (0x...), dates, times,
// uuids, addresses and durations; numbers or numeric strings for numbers
// and timestamps; arrays for lists, sets and tuples; objects for maps,
// whose keys are decoded as JSON when the key type is not a string type.
func JSONValue(t schema.Type, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	lit := func(kind ast.ConstKind, text string) ([]byte, error) {
		return LiteralValue(&ast.Constant{Kind: kind, Text: text}, "value", t)
	}
	switch t.Kind {
	case schema.KindAscii, schema.KindText:
		s, ok := v.(string)
		if !ok {
			return nil, qerr.Invalidf("Expected a string, but got %v", v)
		}
		return lit(ast.StringConst, s)
	case schema.KindBlob:
		s, ok := v.(string)
		if !ok || !strings.HasPrefix(s, "0x") {
			return nil, qerr.Invalidf("Value '%v' is not a valid blob representation: String representation of blob is missing 0x prefix", v)
		}
		return lit(ast.HexConst, s)
	case schema.KindBoolean:
		switch x := v.(type) {
		case bool:
			return lit(ast.BooleanConst, strconv.FormatBool(x))
		case string:
			return lit(ast.BooleanConst, x)
		}
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindCounter,
		schema.KindVarint, schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindTimestamp,
		schema.KindDate, schema.KindTime:
		var text string
		switch x := v.(type) {
		case json.Number:
			text = x.String()
		case string:
			text = x
			if t.Kind == schema.KindTimestamp || t.Kind == schema.KindDate || t.Kind == schema.KindTime {
				return lit(ast.StringConst, x)
			}
		default:
			return nil, qerr.Invalidf("Expected a number, but got %v", v)
		}
		kind := ast.IntegerConst
		if strings.ContainsAny(text, ".eE") || text == "NaN" || strings.HasSuffix(text, "Infinity") {
			kind = ast.FloatConst
		}
		return lit(kind, text)
	case schema.KindUUID, schema.KindTimeuuid:
		if s, ok := v.(string); ok {
			return lit(ast.UUIDConst, s)
		}
	case schema.KindInet:
		if s, ok := v.(string); ok {
			return lit(ast.StringConst, s)
		}
	case schema.KindDuration:
		if s, ok := v.(string); ok {
			return lit(ast.DurationConst, s)
		}
	case schema.KindUDT:
		return udtFromJSON(t, v)
	case schema.KindList, schema.KindSet, schema.KindTuple:
		arr, ok := v.([]any)
		if !ok {
			return nil, qerr.Invalidf("Expected a list, but got %v", v)
		}
		if t.Kind == schema.KindTuple && len(arr) > len(t.Elems) {
			return nil, qerr.Invalidf("Tuple contains extra items (expected %d): %v", len(t.Elems), v)
		}
		vals := make([]any, len(arr))
		for i, e := range arr {
			et := t.Elems[0]
			if t.Kind == schema.KindTuple {
				et = t.Elems[i]
			}
			ev, err := JSONValue(et, e)
			if err != nil {
				return nil, err
			}
			if ev == nil {
				if t.Kind != schema.KindTuple {
					return nil, qerr.Invalidf("Invalid null element in %s", t.Kind)
				}
				continue
			}
			vals[i] = schema.Serialized(ev)
		}
		out, err := schema.Encode(t, vals)
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		return out, nil
	case schema.KindMap:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, qerr.Invalidf("Expected a map, but got %v", v)
		}
		entries := make([]schema.MapEntry, 0, len(obj))
		for k, e := range obj {
			var kv any = k
			if kt := t.Key(); kt.Kind != schema.KindText && kt.Kind != schema.KindAscii {
				dec := json.NewDecoder(strings.NewReader(k))
				dec.UseNumber()
				var x any
				if err := dec.Decode(&x); err == nil {
					kv = x
				}
			}
			kb, err := JSONValue(t.Key(), kv)
			if err != nil {
				return nil, err
			}
			vb, err := JSONValue(t.Elem(), e)
			if err != nil {
				return nil, err
			}
			if kb == nil || vb == nil {
				return nil, qerr.Invalidf("Invalid null value in map")
			}
			entries = append(entries, schema.MapEntry{Key: schema.Serialized(kb), Value: schema.Serialized(vb)})
		}
		out, err := schema.Encode(t, entries)
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		return out, nil
	}
	return nil, qerr.Invalidf("Unable to convert %v to %s", v, t)
}

// JSONDocValues decodes an INSERT JSON document into the values of t's
// columns, by name: a key in double quotes names a case-sensitive column,
// any other is lower-cased, as Cassandra reads them.
func JSONDocValues(t *schema.Table, raw []byte) (map[string][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, qerr.Invalidf("Could not decode JSON string as a map: %v. (String was: %s)", err, raw)
	}
	out := make(map[string][]byte, len(obj))
	for k, jv := range obj {
		name := strings.ToLower(k)
		if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
			name = strings.ReplaceAll(k[1:len(k)-1], `""`, `"`)
		}
		c := t.Column(name)
		if c == nil {
			return nil, qerr.Invalidf("JSON values map contains unrecognized column: %s", name)
		}
		v, err := JSONValue(c.Type, jv)
		if err != nil {
			return nil, qerr.Invalidf("Error decoding JSON value for %s: %s", c.Name, qerr.Message(err))
		}
		out[c.Name] = v
	}
	return out, nil
}
