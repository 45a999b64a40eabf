package funcs

// CAST(x AS type) as Cassandra's CastFcts: a native function castAs<Type>
// per output type, with one overload per input type it converts from.
// Numbers convert among themselves with Java's Number conversions (decimal
// by way of the double, varint by way of the long) and to text; ascii,
// inet, boolean, uuid and the time types convert to text; timeuuid,
// timestamp and date convert among the time types as toDate() and
// toTimestamp() do. Casting to the value's own type is no function at all.

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// castPair is one cast overload: from → to.
type castPair struct{ from, to schema.Kind }

// castFns are the cast overloads in Cassandra's registration order (its
// messages list them so).
var castFns []castPair

func init() {
	numeric := []schema.Kind{schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint,
		schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindCounter, schema.KindVarint}
	outs := []schema.Kind{schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint,
		schema.KindFloat, schema.KindDouble, schema.KindDecimal, schema.KindVarint}
	add := func(from schema.Kind, to ...schema.Kind) {
		for _, t := range to {
			castFns = append(castFns, castPair{from, t})
		}
	}
	text := []schema.Kind{schema.KindAscii, schema.KindText}
	for _, in := range numeric {
		for _, out := range outs {
			if out != in {
				add(in, out)
			}
		}
		add(in, text...)
	}
	add(schema.KindAscii, schema.KindText)
	add(schema.KindInet, text...)
	add(schema.KindBoolean, text...)
	add(schema.KindTimeuuid, schema.KindDate, schema.KindTimestamp)
	add(schema.KindTimeuuid, text...)
	add(schema.KindTimestamp, schema.KindDate)
	add(schema.KindTimestamp, text...)
	add(schema.KindDate, schema.KindTimestamp)
	add(schema.KindDate, text...)
	add(schema.KindTime, text...)
	add(schema.KindUUID, text...)
}

// CastName returns the name of the cast function to type to, as Cassandra
// names it: castAsInt, castAsText, ...
func CastName(to schema.Kind) string {
	s := to.String()
	return "castAs" + strings.ToUpper(s[:1]) + s[1:]
}

// CastInputs returns the input types of the overloads of the cast to to,
// in Cassandra's order; none when nothing casts to it.
func CastInputs(to schema.Kind) []schema.Type {
	var out []schema.Type
	for _, c := range castFns {
		if c.to == to {
			out = append(out, schema.Native(c.from))
		}
	}
	return out
}

// Cast converts v, a serialized value of type from, to type to (an
// overload CastInputs lists). Null and empty values give null.
func Cast(from, to schema.Kind, v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, nil
	}
	if to == schema.KindText || to == schema.KindAscii {
		s, err := castText(from, v)
		if err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	if IsNumeric(from) {
		n, ok, err := decodeNum(from, v)
		if err != nil || !ok {
			return nil, err
		}
		return numTo(n, to)
	}
	// The time types, as toDate() and toTimestamp().
	var out []byte
	var err error
	switch to {
	case schema.KindDate:
		out, err = ToDate(schema.Native(from), v)
	case schema.KindTimestamp:
		out, err = ToTimestamp(schema.Native(from), v)
	default:
		return nil, qerr.Invalidf("%s cannot be cast to %s", from, to)
	}
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// numTo converts a number to a numeric type with Java's conversions.
func numTo(n num, to schema.Kind) ([]byte, error) {
	var x any
	switch to {
	case schema.KindTinyint:
		x = int8(n.int32())
	case schema.KindSmallint:
		x = int16(n.int32())
	case schema.KindInt:
		x = n.int32()
	case schema.KindBigint:
		x = n.long()
	case schema.KindFloat:
		x = n.float()
	case schema.KindDouble:
		x = n.double()
	case schema.KindDecimal:
		d, err := decimalOfDouble(n.double())
		if err != nil {
			return nil, err
		}
		x = d
	case schema.KindVarint:
		x = n.long()
	default:
		return nil, qerr.Invalidf("%s cannot be cast to %s", n.kind, to)
	}
	out, err := schema.Encode(schema.Native(to), x)
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	return out, nil
}

// castText is a value's text as Cassandra's serializers print it: Java's
// toString of numbers, 2015-05-21T11:03:02.000Z, 2015-05-21,
// 11:03:02.000000000, unquoted.
func castText(from schema.Kind, v []byte) (string, error) {
	t := schema.Native(from)
	if err := schema.Validate(t, v); err != nil {
		return "", qerr.Convert("", err)
	}
	switch from {
	case schema.KindAscii, schema.KindText:
		return string(v), nil
	case schema.KindFloat, schema.KindDouble:
		n, _, err := decodeNum(from, v)
		if err != nil {
			return "", err
		}
		bits := 64
		if from == schema.KindFloat {
			bits = 32
		}
		return JavaDouble(n.f, bits), nil
	case schema.KindBoolean:
		return strconv.FormatBool(v[0] != 0), nil
	case schema.KindInet:
		return javaHostAddress(net.IP(v)), nil
	case schema.KindCounter:
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(v)), 10), nil
	}
	return strings.Trim(schema.Format(t, v), "'"), nil
}

// javaHostAddress prints an address as InetAddress.getHostAddress: IPv4
// dotted (also an IPv4-mapped IPv6 address), IPv6 as eight hex groups,
// uncompressed.
func javaHostAddress(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	parts := make([]string, 8)
	for i := range parts {
		parts[i] = strconv.FormatUint(uint64(binary.BigEndian.Uint16(ip[2*i:])), 16)
	}
	return strings.Join(parts, ":")
}
