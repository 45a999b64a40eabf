package funcs

// Literals: a constant of the CQL text converted to a value of its
// receiver's type, as Cassandra's Constants.Literal (which kinds of
// constant a type takes, and the conversions with their messages).

import (
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"net"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// constTypeNames are Cassandra's names of the constant kinds, for messages.
var constTypeNames = map[ast.ConstKind]string{
	ast.StringConst: "STRING", ast.IntegerConst: "INTEGER", ast.FloatConst: "FLOAT", ast.BooleanConst: "BOOLEAN",
	ast.UUIDConst: "UUID", ast.HexConst: "HEX", ast.DurationConst: "DURATION",
}

// ConstAssignable reports whether a constant of kind k may be given to a
// receiver of type t (Cassandra's Constants.Literal.testAssignment), and
// whether t is the kind's preferred type (an exact match for overload
// resolution).
func ConstAssignable(k ast.ConstKind, t schema.Type) (ok, exact bool) {
	switch k {
	case ast.StringConst:
		switch t.Kind {
		case schema.KindText:
			return true, true
		case schema.KindAscii, schema.KindInet, schema.KindDate, schema.KindTime, schema.KindTimestamp, schema.KindDuration:
			return true, false
		}
	case ast.IntegerConst:
		switch t.Kind {
		case schema.KindInt:
			return true, true
		case schema.KindTinyint, schema.KindSmallint, schema.KindBigint, schema.KindCounter, schema.KindVarint,
			schema.KindDecimal, schema.KindFloat, schema.KindDouble, schema.KindTimestamp, schema.KindDate,
			schema.KindTime, schema.KindDuration:
			return true, false
		}
	case ast.FloatConst:
		switch t.Kind {
		case schema.KindDouble:
			return true, true
		case schema.KindFloat, schema.KindDecimal:
			return true, false
		}
	case ast.BooleanConst:
		return t.Kind == schema.KindBoolean, true
	case ast.UUIDConst:
		switch t.Kind {
		case schema.KindUUID:
			return true, true
		case schema.KindTimeuuid:
			return true, false
		}
	case ast.HexConst:
		return t.Kind == schema.KindBlob, true
	case ast.DurationConst:
		return t.Kind == schema.KindDuration, true
	}
	return false, false
}

// LiteralValue converts a constant to the serialization of a value of
// type t for receiver name, with Cassandra's messages.
func LiteralValue(c *ast.Constant, name string, t schema.Type) ([]byte, error) {
	if ok, _ := ConstAssignable(c.Kind, t); !ok {
		return nil, qerr.Invalidf("Invalid %s constant (%s) for \"%s\" of type %s", constTypeNames[c.Kind], c.Text, name, t)
	}
	s := c.Text
	fail := func(format string) ([]byte, error) { return nil, qerr.Invalidf(format, s) }
	switch t.Kind {
	case schema.KindText:
		return []byte(s), nil
	case schema.KindAscii:
		for i := 0; i < len(s); i++ {
			if s[i] > 0x7f {
				return nil, qerr.Invalidf("Invalid ASCII character in string literal: %s", s)
			}
		}
		return []byte(s), nil
	case schema.KindBlob:
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return nil, qerr.Invalidf("cannot parse '%s' as hex bytes", s[2:])
		}
		return b, nil
	case schema.KindBoolean:
		switch strings.ToLower(s) {
		case "true":
			return []byte{1}, nil
		case "false":
			return []byte{0}, nil
		}
		return fail("Unable to make boolean from '%s'")
	case schema.KindTinyint:
		n, err := strconv.ParseInt(s, 10, 8)
		if err != nil {
			return fail("Unable to make byte from '%s'")
		}
		return []byte{byte(n)}, nil
	case schema.KindSmallint:
		n, err := strconv.ParseInt(s, 10, 16)
		if err != nil {
			return fail("Unable to make short from '%s'")
		}
		return binary.BigEndian.AppendUint16(nil, uint16(n)), nil
	case schema.KindInt:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fail("Unable to make int from '%s'")
		}
		return binary.BigEndian.AppendUint32(nil, uint32(n)), nil
	case schema.KindBigint, schema.KindCounter:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fail("Unable to make long from '%s'")
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	case schema.KindVarint:
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return fail("unable to make int from '%s'")
		}
		return schema.Encode(t, n)
	case schema.KindFloat:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil && !isRangeErr(err) {
			return fail("Unable to make float from '%s'")
		}
		return schema.Encode(t, float32(f))
	case schema.KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return fail("Unable to make double from '%s'")
		}
		return schema.Encode(t, f)
	case schema.KindDecimal:
		d, err := schema.ParseDecimal(s)
		if err != nil {
			return fail("unable to make BigDecimal from '%s'")
		}
		return schema.Encode(t, d)
	case schema.KindTimestamp, schema.KindDate, schema.KindTime, schema.KindDuration, schema.KindUUID, schema.KindTimeuuid:
		v, err := schema.Encode(t, s)
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		return v, nil
	case schema.KindInet:
		ip := net.ParseIP(s)
		if ip == nil {
			return fail("Unable to make inet address from '%s'")
		}
		return schema.Encode(t, ip)
	}
	return nil, qerr.Invalidf("Invalid %s constant (%s) for \"%s\" of type %s", constTypeNames[c.Kind], c.Text, name, t)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
