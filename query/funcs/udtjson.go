package funcs

import (
	"strings"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// A user type value in JSON is an object keyed by field name, as
// Cassandra's UserType.toJSONString: a name that is not all lower case is
// double-quoted inside the key ("\"Zip\""), and read back the same way
// (an unquoted key is lower-cased); fields not given are null.

// udtJSONName is the JSON key of a field.
func udtJSONName(f string) string {
	if f != strings.ToLower(f) {
		f = `"` + f + `"`
	}
	return JSONString(f)
}

// writeUDTJSON writes a decoded user type value (schema.Decode's []any,
// perhaps short of the type's fields) as a JSON object.
func writeUDTJSON(s *strings.Builder, t schema.Type, fields []any) {
	s.WriteByte('{')
	for i, name := range t.User.Fields {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(udtJSONName(name))
		s.WriteString(": ")
		if i < len(fields) && fields[i] != nil {
			writeJSON(s, t.Elems[i], fields[i])
		} else {
			s.WriteString("null")
		}
	}
	s.WriteByte('}')
}

// udtFromJSON serializes a JSON object as a value of user type t.
func udtFromJSON(t schema.Type, v any) ([]byte, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, qerr.Invalidf("Expected a map, but got a %T: %v", v, v)
	}
	vals := make([]any, len(t.Elems))
	for k, e := range obj {
		name := strings.ToLower(k)
		if len(k) > 1 && strings.HasPrefix(k, `"`) && strings.HasSuffix(k, `"`) {
			name = k[1 : len(k)-1]
		}
		i := t.FieldIndex(name)
		if i < 0 {
			return nil, qerr.Invalidf("Unknown field '%s' in value of user defined type %s", name, t.User.Name)
		}
		fv, err := JSONValue(t.Elems[i], e)
		if err != nil {
			return nil, err
		}
		if fv != nil {
			vals[i] = schema.Serialized(fv)
		}
	}
	out, err := schema.Encode(t, vals)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}
