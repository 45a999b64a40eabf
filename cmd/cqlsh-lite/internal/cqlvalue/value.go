// Package cqlvalue holds the values of cqlsh-lite: column values as the
// shell shows them in results (Format), as COPY writes and reads them in
// files (WriteCopy, ParseCopy), and COPY's CSV dialect (CSVDialect,
// CSVReader). It decodes serialized values itself, from the bytes gocql
// hands over (Raw), and talks to no node.
package cqlvalue

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gocql/gocql"

	"wcdb/schema"
)

// Raw receives a column's serialized value as gocql reads it from the
// RESULT frame, so that the shell formats the bytes itself (gocql's Go
// values lose what cqlsh shows: empty versus null, a tuple's null fields).
type Raw struct {
	Bytes []byte
	Null  bool
}

// UnmarshalCQL implements gocql.Unmarshaler; data is nil for a null and
// belongs to the frame, hence the copy.
func (v *Raw) UnmarshalCQL(_ gocql.TypeInfo, data []byte) error {
	v.Null = data == nil
	v.Bytes = append(v.Bytes[:0], data...)
	return nil
}

// Opaque stands in for a column's type while rows are scanned: gocql
// spreads a tuple column over one scan destination per field, and would
// hand Raw the fields one by one; as a custom type, the tuple comes
// whole.
type Opaque struct{ gocql.TypeInfo }

func (Opaque) Type() gocql.Type { return gocql.TypeCustom }

// nativeKinds maps gocql's native type codes to ours.
var nativeKinds = map[gocql.Type]schema.Kind{
	gocql.TypeAscii: schema.KindAscii, gocql.TypeBigInt: schema.KindBigint,
	gocql.TypeBlob: schema.KindBlob, gocql.TypeBoolean: schema.KindBoolean,
	gocql.TypeCounter: schema.KindCounter, gocql.TypeDecimal: schema.KindDecimal,
	gocql.TypeDouble: schema.KindDouble, gocql.TypeFloat: schema.KindFloat,
	gocql.TypeInt: schema.KindInt, gocql.TypeText: schema.KindText,
	gocql.TypeVarchar: schema.KindText, gocql.TypeTimestamp: schema.KindTimestamp,
	gocql.TypeUUID: schema.KindUUID, gocql.TypeVarint: schema.KindVarint,
	gocql.TypeTimeUUID: schema.KindTimeuuid, gocql.TypeInet: schema.KindInet,
	gocql.TypeDate: schema.KindDate, gocql.TypeTime: schema.KindTime,
	gocql.TypeSmallInt: schema.KindSmallint, gocql.TypeTinyInt: schema.KindTinyint,
	gocql.TypeDuration: schema.KindDuration,
}

// TypeOf converts a column type as gocql decoded it from the result
// metadata; ok is false for types the shell cannot show other than as
// bytes (custom types).
func TypeOf(t gocql.TypeInfo) (typ schema.Type, ok bool) {
	if k, ok := nativeKinds[t.Type()]; ok {
		return schema.Native(k), true
	}
	switch t := t.(type) {
	case gocql.CollectionType:
		elem, ok := TypeOf(t.Elem)
		if !ok {
			return schema.Type{}, false
		}
		switch t.Type() {
		case gocql.TypeList:
			return schema.ListOf(elem), true
		case gocql.TypeSet:
			return schema.SetOf(elem), true
		case gocql.TypeMap:
			key, ok := TypeOf(t.Key)
			if !ok {
				return schema.Type{}, false
			}
			return schema.MapOf(key, elem), true
		}
	case gocql.TupleTypeInfo:
		fields := make([]schema.Type, len(t.Elems))
		for i, e := range t.Elems {
			f, ok := TypeOf(e)
			if !ok {
				return schema.Type{}, false
			}
			fields[i] = f
		}
		return schema.TupleOf(fields...), true
	case gocql.UDTTypeInfo:
		names := make([]string, len(t.Elements))
		fields := make([]schema.Type, len(t.Elements))
		for i, e := range t.Elements {
			f, ok := TypeOf(e.Type)
			if !ok {
				return schema.Type{}, false
			}
			names[i], fields[i] = e.Name, f
		}
		return schema.UDTOf(t.KeySpace, t.Name, names, fields).Freeze(), true
	}
	return schema.Type{}, false
}

// Column is a result column: its name and the type its values are shown
// as (Known false: shown as a blob).
type Column struct {
	Name  string
	Type  schema.Type
	Known bool
}

// Format returns a value as cqlsh shows it in results: null as
// "null", text bare (quoted inside collections and tuples), blobs as 0x…,
// booleans True/False, timestamps as 2024-01-01 00:00:00.000000+0000,
// floats and doubles with cqlsh's 5 significant digits, collections as
// [1, 2], {'a', 'b'}, {'k': 1} and tuples as (1, 'a').
func Format(c Column, v Raw) string {
	if v.Null {
		return "null"
	}
	if !c.Known {
		return "0x" + hex.EncodeToString(v.Bytes)
	}
	var b strings.Builder
	writeValue(&b, c.Type, v.Bytes, false)
	return b.String()
}

// writeValue writes the serialized value v of type t; nested is set inside
// collections and tuples, where strings, timestamps and addresses are
// quoted as cqlsh quotes them. A value that does not decode is shown as a
// blob.
func writeValue(b *strings.Builder, t schema.Type, v []byte, nested bool) {
	if schema.Validate(t, v) != nil {
		b.WriteString("0x")
		b.WriteString(hex.EncodeToString(v))
		return
	}
	if len(v) == 0 && t.Kind != schema.KindAscii && t.Kind != schema.KindText && t.Kind != schema.KindBlob {
		return // the empty value of a type that is not a string: shown as nothing
	}
	switch t.Kind {
	case schema.KindAscii, schema.KindText:
		writeText(b, string(v), nested)
	case schema.KindFloat:
		b.WriteString(formatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(v)))))
	case schema.KindDouble:
		b.WriteString(formatFloat(math.Float64frombits(binary.BigEndian.Uint64(v))))
	case schema.KindTimestamp, schema.KindInet:
		s := schema.Display(t, v)
		if nested {
			s = "'" + s + "'"
		}
		b.WriteString(s)
	case schema.KindList, schema.KindSet, schema.KindMap, schema.KindTuple, schema.KindUDT:
		if !writeComposite(b, t, v, func(et schema.Type, e []byte) { writeElem(b, et, e) }) {
			b.WriteString("0x" + hex.EncodeToString(v))
		}
	default:
		// Integers, varint, decimal, blob, boolean, date, time, uuids and
		// durations print as cqlsh prints them, nested or not.
		b.WriteString(escapeControl(schema.Display(t, v)))
	}
}

// writeComposite writes a collection or tuple v of type t in CQL literal
// syntax, each element (nil: a null tuple field) by elem; false if v does
// not split.
func writeComposite(b *strings.Builder, t schema.Type, v []byte, elem func(t schema.Type, e []byte)) bool {
	if t.Kind == schema.KindTuple || t.Kind == schema.KindUDT {
		fields, ok := splitTuple(v, len(t.Elems))
		if !ok {
			return false
		}
		open, close := "(", ")"
		if t.Kind == schema.KindUDT {
			open, close = "{", "}" // {field: value, ...}, as cqlsh
		}
		b.WriteString(open)
		for i, f := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			if t.Kind == schema.KindUDT {
				b.WriteString(schema.QuoteName(t.User.Fields[i]))
				b.WriteString(": ")
			}
			elem(t.Elems[i], f)
		}
		b.WriteString(close)
		return true
	}
	elems, ok := splitCollection(v, t.Kind == schema.KindMap)
	if !ok {
		return false
	}
	open, close := "{", "}"
	if t.Kind == schema.KindList {
		open, close = "[", "]"
	}
	b.WriteString(open)
	for i, e := range elems {
		switch {
		case t.Kind == schema.KindMap && i%2 == 1:
			b.WriteString(": ")
			elem(t.Elems[1], e)
			continue
		case i > 0:
			b.WriteString(", ")
		}
		elem(t.Elems[0], e)
	}
	b.WriteString(close)
	return true
}

// writeElem writes an element of a collection or tuple; nil is a null.
func writeElem(b *strings.Builder, t schema.Type, v []byte) {
	if v == nil {
		b.WriteString("null")
		return
	}
	writeValue(b, t, v, true)
}

// writeText writes a string as cqlsh does: backslashes doubled and control
// characters escaped (so that a value stays on its line), and, nested,
// quoted with ' doubled.
func writeText(b *strings.Builder, s string, quote bool) {
	s = strings.ReplaceAll(s, `\`, `\\`)
	if quote {
		s = strings.ReplaceAll(s, "'", "''")
		b.WriteByte('\'')
	}
	b.WriteString(escapeControl(s))
	if quote {
		b.WriteByte('\'')
	}
}

// escapeControl replaces control characters (U+0000–U+001F, U+007F–U+00A0)
// with the escapes Python's repr gives them, as cqlsh shows them.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r <= 0x1f || r >= 0x7f && r <= 0xa0 }

// displayPrecision is cqlsh's float_precision and double_precision.
const displayPrecision = 5

// formatFloat formats f as cqlsh does: '%.*g' with 5 significant digits,
// adjusted by the truncated decimal exponent when it is between -4 and 4
// (1234.5678 stays 1234.5678, 123456.789 is 1.2346e+05, 0.000012345 is
// 1.2e-05).
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	prec := displayPrecision
	if math.Abs(f) > 2.220446049250313e-16 { // Python's sys.float_info.epsilon
		// int() of the logarithm truncates toward zero, as cqlsh's does.
		if exp := int(math.Log10(math.Abs(f))); exp >= -4 && exp < prec {
			prec += exp + 1
		}
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// splitCollection splits a serialized list, set or map (native protocol
// v4: a 4-byte count, then each element as a 4-byte length and its bytes)
// into its elements, keys and values alternating for a map.
func splitCollection(v []byte, isMap bool) ([][]byte, bool) {
	if len(v) < 4 {
		return nil, false
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	v = v[4:]
	if isMap {
		n *= 2
	}
	if n < 0 || n > len(v)/4 {
		return nil, false
	}
	out := make([][]byte, 0, n)
	for range n {
		e, rest, ok := cutValue(v)
		if !ok {
			return nil, false
		}
		out = append(out, e)
		v = rest
	}
	return out, len(v) == 0
}

// splitTuple splits a serialized tuple into its fields (nil for a null
// one); fields missing at the end are nulls, as Cassandra allows.
func splitTuple(v []byte, n int) ([][]byte, bool) {
	out := make([][]byte, n)
	for i := range n {
		if len(v) == 0 {
			break
		}
		e, rest, ok := cutValue(v)
		if !ok {
			return out, false
		}
		out[i] = e
		v = rest
	}
	return out, len(v) == 0
}

// cutValue reads one [bytes] (a 4-byte signed length, negative for null).
func cutValue(v []byte) (e, rest []byte, ok bool) {
	if len(v) < 4 {
		return nil, nil, false
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	v = v[4:]
	if n < 0 {
		return nil, v, true
	}
	if n > len(v) {
		return nil, nil, false
	}
	return v[:n:n], v[n:], true
}
