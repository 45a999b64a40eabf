package schema

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
	"wcdb/schema/cqldecimal"
)

// Format returns a serialized value of type t as a CQL literal, as
// Cassandra's toCQLLiteral does: strings quoted with ' doubled, blobs as
// 0x…, timestamps as '2011-02-03T04:05:00.000Z' (UTC), dates '2011-02-03',
// times '04:05:00.000000000', uuids bare, inet addresses quoted, durations
// bare (1h30m), collections [..], {..}, {k: v, ..} and tuples (.., null).
// The empty value of a type that is not a string is blobAs<type>(0x). An
// invalid serialization is shown as a blob (0x…). Used for DESCRIBE and in
// messages.
func Format(t Type, b []byte) string {
	var s strings.Builder
	format(&s, t, b, true, false)
	return s.String()
}

// Display returns a serialized value of type t as cqlsh shows it in query
// results: strings unquoted at the top level (quoted inside collections),
// timestamps as 2011-02-03 04:05:00.000000+0000, booleans True and False,
// floats with 5 and doubles with 12 significant digits.
func Display(t Type, b []byte) string {
	var s strings.Builder
	format(&s, t, b, false, false)
	return s.String()
}

// format writes b; literal selects Format's form, nested is set inside
// collections and tuples.
func format(s *strings.Builder, t Type, b []byte, literal, nested bool) {
	if b == nil && nested { // a null field, or element of a result's list
		s.WriteString("null")
		return
	}
	if Validate(t, b) != nil {
		if vals, ok := listWithNulls(t, b); ok {
			formatCollection(s, t, vals, literal)
			return
		}
		s.WriteString("0x")
		s.WriteString(hex.EncodeToString(b))
		return
	}
	if len(b) == 0 && t.Kind != KindText && t.Kind != KindAscii && t.Kind != KindBlob {
		if literal {
			s.WriteString("blobAs")
			s.WriteString(strings.ToUpper(t.Kind.String()[:1]))
			s.WriteString(t.Kind.String()[1:])
			s.WriteString("(0x)")
		}
		return
	}
	switch t.Kind {
	case KindAscii, KindText:
		if literal || nested {
			s.WriteString(quote(string(b)))
		} else {
			s.Write(b)
		}
	case KindBlob:
		s.WriteString("0x")
		s.WriteString(hex.EncodeToString(b))
	case KindBoolean:
		switch {
		case literal && b[0] != 0:
			s.WriteString("true")
		case literal:
			s.WriteString("false")
		case b[0] != 0:
			s.WriteString("True")
		default:
			s.WriteString("False")
		}
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter:
		s.WriteString(strconv.FormatInt(signedBE(b), 10))
	case KindVarint:
		s.WriteString(cqldecimal.VarintToBig(b).String())
	case KindDecimal:
		s.WriteString(cqldecimal.FromBytes(b).String())
	case KindFloat:
		f := float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		if literal {
			s.WriteString(formatFloat(f, 32))
		} else {
			s.WriteString(displayFloat(f, 5))
		}
	case KindDouble:
		f := math.Float64frombits(binary.BigEndian.Uint64(b))
		if literal {
			s.WriteString(formatFloat(f, 64))
		} else {
			s.WriteString(displayFloat(f, 12))
		}
	case KindTimestamp:
		ms := int64(binary.BigEndian.Uint64(b))
		tm := time.UnixMilli(ms).UTC()
		switch {
		case tm.Year() < 1 || tm.Year() > 9999:
			s.WriteString(strconv.FormatInt(ms, 10))
		case literal:
			s.WriteString(tm.Format("'2006-01-02T15:04:05.000Z'"))
		default:
			s.WriteString(tm.Format("2006-01-02 15:04:05.000000-0700"))
		}
	case KindDate:
		days := binary.BigEndian.Uint32(b)
		tm := dateTime(days)
		switch {
		case tm.Year() < 1 || tm.Year() > 9999:
			s.WriteString(strconv.FormatUint(uint64(days), 10))
		case literal:
			s.WriteString(tm.Format("'2006-01-02'"))
		default:
			s.WriteString(tm.Format("2006-01-02"))
		}
	case KindTime:
		ns := int64(binary.BigEndian.Uint64(b))
		str := time.Unix(0, ns).UTC().Format("15:04:05.000000000")
		if literal {
			str = "'" + str + "'"
		}
		s.WriteString(str)
	case KindUUID, KindTimeuuid:
		s.WriteString(UUID(b).String())
	case KindInet:
		str := net.IP(b).String()
		if literal {
			str = "'" + str + "'"
		}
		s.WriteString(str)
	case KindDuration:
		d, _ := decodeDuration(b)
		s.WriteString(d.String())
	case KindList, KindSet, KindMap:
		vals, _ := splitCollection(t, b)
		formatCollection(s, t, vals, literal)
	case KindTuple, KindUDT:
		fields, _ := splitTuple(t, b)
		open, close := "(", ")"
		if t.Kind == KindUDT {
			open, close = "{", "}"
			for len(fields) < len(t.Elems) {
				fields = append(fields, nil)
			}
		}
		s.WriteString(open)
		for i, f := range fields {
			if i > 0 {
				s.WriteString(", ")
			}
			if t.Kind == KindUDT {
				s.WriteString(QuoteName(t.User.Fields[i]))
				s.WriteString(": ")
			}
			format(s, t.Elems[i], f, literal, true)
		}
		s.WriteString(close)
	}
}

// quote returns s as a CQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// formatFloat returns the shortest decimal form of f that reads back as the
// same float32 (bits 32) or float64, with CQL's NaN and Infinity.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	str := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(str, ".e") {
		str += ".0" // as Java; keeps -0.0 a float literal
	}
	return str
}

// displayFloat formats f with prec significant digits, as cqlsh ('%.*g').
func displayFloat(f float64, prec int) string {
	switch {
	case math.IsNaN(f), math.IsInf(f, 0):
		return formatFloat(f, 64)
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// formatCollection writes the values of a list, set or map.
func formatCollection(s *strings.Builder, t Type, vals [][]byte, literal bool) {
	open, close := "[", "]"
	if t.Kind != KindList {
		open, close = "{", "}"
	}
	s.WriteString(open)
	for i, v := range vals {
		switch {
		case t.Kind == KindMap && i%2 == 1:
			s.WriteString(": ")
			format(s, t.Elems[1], v, literal, true)
			continue
		case i > 0:
			s.WriteString(", ")
		}
		format(s, t.Elems[0], v, literal, true)
	}
	s.WriteString(close)
}

// listWithNulls splits a list with null elements, as only results hold.
func listWithNulls(t Type, b []byte) (vals [][]byte, ok bool) {
	if t.Kind != KindList || len(b) < 4 {
		return nil, false
	}
	for n, b := binary.BigEndian.Uint32(b), b[4:]; ; n-- {
		if n == 0 {
			return vals, len(b) == 0
		}
		var v []byte
		if v, b, ok = readValue(b); !ok {
			return nil, false
		}
		vals = append(vals, v)
	}
}
