package plan

// INSERT JSON: the document's values as terms of the table's columns.

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// JSONDoc is the document of INSERT ... JSON: a constant or a bind marker,
// decoded once per execution into the values of the table's columns.
type JSONDoc struct {
	t            *schema.Table
	doc          Term
	defaultUnset bool
}

// NewJSONDoc returns the document doc of an INSERT JSON into t; with
// defaultUnset, columns it leaves out are unset rather than null.
func NewJSONDoc(t *schema.Table, doc Term, defaultUnset bool) *JSONDoc {
	return &JSONDoc{t: t, doc: doc, defaultUnset: defaultUnset}
}

// Field returns the term of column c's value in the document.
func (d *JSONDoc) Field(c *schema.Column) Term { return &jsonField{d: d, col: c} }

// jsonField is one column's value in an INSERT JSON document.
type jsonField struct {
	d   *JSONDoc
	col *schema.Column
}

func (f *jsonField) Eval(b *Binder) ([]byte, error) {
	vals, err := f.d.values(b)
	if err != nil {
		return nil, err
	}
	v, ok := vals[f.col.Name]
	if !ok && f.d.defaultUnset {
		return Unset, nil
	}
	return v, nil
}

// values decodes the document (cached in the binder).
func (d *JSONDoc) values(b *Binder) (map[string][]byte, error) {
	if v, ok := b.json[d]; ok {
		return v, nil
	}
	raw, err := d.doc.Eval(b)
	if err != nil {
		return nil, err
	}
	if raw == nil || IsUnset(raw) {
		return nil, qerr.Invalidf("Got null for INSERT JSON values")
	}
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
		c := d.t.Column(name)
		if c == nil {
			return nil, qerr.Invalidf("JSON values map contains unrecognized column: %s", name)
		}
		v, err := jsonValue(c.Type, jv)
		if err != nil {
			return nil, qerr.Invalidf("Error decoding JSON value for %s: %s", c.Name, qerr.Message(err))
		}
		out[c.Name] = v
	}
	if b.json == nil {
		b.json = map[*JSONDoc]map[string][]byte{}
	}
	b.json[d] = out
	return out, nil
}

// jsonValue converts a decoded JSON value to a value of type t, as
// Cassandra's fromJSONObject: strings for text, blobs (0x...), dates, times,
// uuids, addresses and durations; numbers or numeric strings for numbers
// and timestamps; arrays for lists, sets and tuples; objects for maps,
// whose keys are decoded as JSON when the key type is not a string type.
func jsonValue(t schema.Type, v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	r := Receiver{Name: "value", Type: t}
	lit := func(kind ast.ConstKind, text string) ([]byte, error) {
		return LiteralValue(&ast.Constant{Kind: kind, Text: text}, r)
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
			ev, err := jsonValue(et, e)
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
			kb, err := jsonValue(t.Key(), kv)
			if err != nil {
				return nil, err
			}
			vb, err := jsonValue(t.Elem(), e)
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
