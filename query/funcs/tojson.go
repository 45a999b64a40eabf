package funcs

// toJson's conversions: a value of a CQL type to JSON text, as
// Cassandra's toJSONString (SELECT JSON and toJson()).

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// ToJSON returns the JSON text of a serialized value of type t (nil:
// null), as Cassandra writes it: strings, blobs (0x...), timestamps
// ("2011-02-03 04:05:00.000Z"), dates, times, uuids, addresses and
// durations as JSON strings; numbers and booleans bare; lists, sets and
// tuples as arrays; maps as objects whose keys are the keys' JSON text,
// quoted when it is not a string already.
func ToJSON(t schema.Type, b []byte) (string, error) {
	if b == nil {
		return "null", nil
	}
	v, err := schema.Decode(t, b)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	writeJSON(&s, t, v)
	return s.String(), nil
}

func writeJSON(s *strings.Builder, t schema.Type, v any) {
	if v == nil || v == schema.Empty {
		s.WriteString("null")
		return
	}
	switch x := v.(type) {
	case string:
		s.WriteString(JSONString(x))
	case []byte:
		s.WriteString(`"0x` + hex.EncodeToString(x) + `"`)
	case bool:
		s.WriteString(strconv.FormatBool(x))
	case int8:
		s.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		s.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		s.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		s.WriteString(strconv.FormatInt(x, 10))
	case *big.Int:
		s.WriteString(x.String())
	case schema.Decimal:
		s.WriteString(x.String())
	case float32:
		writeFloat(s, float64(x), 32)
	case float64:
		writeFloat(s, x, 64)
	case time.Time:
		if t.Kind == schema.KindDate {
			s.WriteString(`"` + x.Format("2006-01-02") + `"`)
		} else {
			s.WriteString(`"` + x.UTC().Format("2006-01-02 15:04:05.000Z") + `"`)
		}
	case time.Duration: // a time of day
		ns := int64(x)
		s.WriteString(`"` + time.Unix(0, ns).UTC().Format("15:04:05") + "." + strconv.FormatInt(1e9+ns%1e9, 10)[1:] + `"`)
	case schema.UUID:
		s.WriteString(`"` + x.String() + `"`)
	case net.IP:
		s.WriteString(`"` + x.String() + `"`)
	case schema.Duration:
		s.WriteString(`"` + x.String() + `"`)
	case []any:
		if t.Kind == schema.KindUDT {
			writeUDTJSON(s, t, x)
			return
		}
		s.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				s.WriteString(", ")
			}
			et := t.Elems[0]
			if t.Kind == schema.KindTuple {
				et = t.Elems[i]
			}
			writeJSON(s, et, e)
		}
		s.WriteByte(']')
	case []schema.MapEntry:
		s.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				s.WriteString(", ")
			}
			var k strings.Builder
			writeJSON(&k, t.Elems[0], e.Key)
			if key := k.String(); strings.HasPrefix(key, `"`) {
				s.WriteString(key)
			} else {
				s.WriteString(JSONString(key))
			}
			s.WriteString(": ")
			writeJSON(s, t.Elems[1], e.Value)
		}
		s.WriteByte('}')
	default:
		s.WriteString("null")
	}
}

// writeFloat writes a float as Java prints it, NaN and the infinities as
// strings (JSON has no number for them).
func writeFloat(s *strings.Builder, f float64, bits int) {
	switch {
	case math.IsNaN(f):
		s.WriteString(`"NaN"`)
	case math.IsInf(f, 1):
		s.WriteString(`"Infinity"`)
	case math.IsInf(f, -1):
		s.WriteString(`"-Infinity"`)
	default:
		s.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	}
}

// JSONString quotes s as a JSON string (<, > and & as they are, as
// Cassandra leaves them).
func JSONString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// JSONRows turns each row of a SELECT JSON into its one value: an object
// of keys[i]: the JSON of the row's value i, of type cols[i].Type (any
// with a Type field: the selection's column specs).
func JSONRows[C interface{ JSONType() schema.Type }](keys []string, cols []C, rows [][][]byte) error {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = JSONString(k) + ": "
	}
	var b strings.Builder
	for i, r := range rows {
		b.Reset()
		b.WriteByte('{')
		for j, c := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoted[j])
			v, err := ToJSON(c.JSONType(), r[j])
			if err != nil {
				return err
			}
			b.WriteString(v)
		}
		b.WriteByte('}')
		rows[i] = [][]byte{[]byte(b.String())}
	}
	return nil
}

// FromJSON reads JSON text as a value of type t, as fromJson() does.
func FromJSON(t schema.Type, text []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, qerr.Invalidf("Could not decode JSON string '%s': %v", text, err)
	}
	out, err := JSONValue(t, doc)
	if err != nil {
		return nil, qerr.Invalidf("Unable to make %s from '%s': %v", t, text, err)
	}
	return out, nil
}
