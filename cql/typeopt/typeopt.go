// Package typeopt encodes and decodes the native protocol's type [option]
// (protocol v4 section 4.2.5.2): the type of a column in result and
// prepared metadata, nested for collections, tuples and user types.
package typeopt

import (
	"encoding/binary"
	"fmt"

	"wcdb/schema"
)

// Native protocol [option] ids (protocol v4 section 4.2.5.2; duration is
// 0x0015 from v5, and is sent as a custom type to v4 clients).
const (
	optCustom    = 0x0000
	optAscii     = 0x0001
	optBigint    = 0x0002
	optBlob      = 0x0003
	optBoolean   = 0x0004
	optCounter   = 0x0005
	optDecimal   = 0x0006
	optDouble    = 0x0007
	optFloat     = 0x0008
	optInt       = 0x0009
	optText      = 0x000A // protocol v1/v2 only; read as text
	optTimestamp = 0x000B
	optUUID      = 0x000C
	optVarchar   = 0x000D
	optVarint    = 0x000E
	optTimeuuid  = 0x000F
	optInet      = 0x0010
	optDate      = 0x0011
	optTime      = 0x0012
	optSmallint  = 0x0013
	optTinyint   = 0x0014
	optDuration  = 0x0015
	optList      = 0x0020
	optMap       = 0x0021
	optSet       = 0x0022
	optUDT       = 0x0030
	optTuple     = 0x0031
)

// durationClass is the custom type class name duration goes by in protocol
// v4, where it has no option id of its own.
const durationClass = "org.apache.cassandra.db.marshal.DurationType"

// maxOptionDepth bounds the nesting of a type [option], so that a hostile
// one cannot exhaust the stack (the schema's own bound on type nesting).
const maxOptionDepth = 32

var optionByKind = map[schema.Kind]uint16{
	schema.KindAscii: optAscii, schema.KindBigint: optBigint, schema.KindBlob: optBlob,
	schema.KindBoolean: optBoolean, schema.KindCounter: optCounter, schema.KindDecimal: optDecimal,
	schema.KindDouble: optDouble, schema.KindFloat: optFloat, schema.KindInt: optInt,
	schema.KindTimestamp: optTimestamp, schema.KindUUID: optUUID, schema.KindText: optVarchar,
	schema.KindVarint: optVarint, schema.KindTimeuuid: optTimeuuid, schema.KindInet: optInet,
	schema.KindDate: optDate, schema.KindTime: optTime, schema.KindSmallint: optSmallint,
	schema.KindTinyint: optTinyint, schema.KindList: optList, schema.KindMap: optMap,
	schema.KindSet: optSet, schema.KindTuple: optTuple, schema.KindUDT: optUDT,
}

func appendShortString(dst []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint16(dst, uint16(len(s))), s...)
}

// readShortString reads a [string].
func readShortString(b []byte) (string, []byte, bool) {
	if len(b) < 2 || len(b) < 2+int(binary.BigEndian.Uint16(b)) {
		return "", nil, false
	}
	n := 2 + int(binary.BigEndian.Uint16(b))
	return string(b[2:n]), b[n:], true
}

// Append appends the [option] describing t to dst: a [short] id,
// then the element options for collections and tuples. Text is sent as
// varchar (0x000D), as Cassandra does; duration as the custom type
// durationClass. Frozenness is not part of the encoding.
func Append(dst []byte, t schema.Type) []byte {
	if t.Kind == schema.KindDuration {
		dst = binary.BigEndian.AppendUint16(dst, optCustom)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(durationClass)))
		return append(dst, durationClass...)
	}
	dst = binary.BigEndian.AppendUint16(dst, optionByKind[t.Kind])
	if t.Kind == schema.KindUDT {
		// keyspace, type name, [short] n, then n (field name, option).
		dst = appendShortString(appendShortString(dst, t.User.Keyspace), t.User.Name)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Elems)))
		for i, e := range t.Elems {
			dst = Append(appendShortString(dst, t.User.Fields[i]), e)
		}
		return dst
	}
	if t.Kind == schema.KindTuple {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Elems)))
	}
	if !t.Kind.IsNative() {
		for _, e := range t.Elems {
			dst = Append(dst, e)
		}
	}
	return dst
}

var kindByOption = map[uint16]schema.Kind{
	optAscii: schema.KindAscii, optBigint: schema.KindBigint, optBlob: schema.KindBlob,
	optBoolean: schema.KindBoolean, optCounter: schema.KindCounter, optDecimal: schema.KindDecimal,
	optDouble: schema.KindDouble, optFloat: schema.KindFloat, optInt: schema.KindInt,
	optText: schema.KindText, optTimestamp: schema.KindTimestamp, optUUID: schema.KindUUID,
	optVarchar: schema.KindText, optVarint: schema.KindVarint, optTimeuuid: schema.KindTimeuuid,
	optInet: schema.KindInet, optDate: schema.KindDate, optTime: schema.KindTime,
	optSmallint: schema.KindSmallint, optTinyint: schema.KindTinyint, optDuration: schema.KindDuration,
}

// Decode reads an [option] from b and returns the type and the bytes
// after it. The protocol does not say whether a collection is frozen: a
// top-level collection comes back non-frozen, nested collections and tuples
// frozen (the only legal reading); so do user types. Custom types other
// than durationClass are not supported.
func Decode(b []byte) (schema.Type, []byte, error) {
	t, rest, err := decodeOptionAt(b, 0)
	if err == nil {
		err = t.Check()
	}
	if err != nil {
		return schema.Type{}, b, err
	}
	return t, rest, nil
}

func decodeOptionAt(b []byte, depth int) (schema.Type, []byte, error) {
	if depth > maxOptionDepth {
		return schema.Type{}, nil, fmt.Errorf("type option nested too deeply")
	}
	if len(b) < 2 {
		return schema.Type{}, nil, fmt.Errorf("truncated type option")
	}
	id := binary.BigEndian.Uint16(b)
	b = b[2:]
	if k, ok := kindByOption[id]; ok {
		return schema.Type{Kind: k}, b, nil
	}
	switch id {
	case optCustom:
		if len(b) < 2 {
			return schema.Type{}, nil, fmt.Errorf("truncated custom type option")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return schema.Type{}, nil, fmt.Errorf("truncated custom type option")
		}
		class := string(b[2 : 2+n])
		if class == durationClass {
			return schema.Type{Kind: schema.KindDuration}, b[2+n:], nil
		}
		return schema.Type{}, nil, fmt.Errorf("unsupported custom type %q", class)
	case optList, optSet:
		e, rest, err := decodeOptionAt(b, depth+1)
		if err != nil {
			return schema.Type{}, nil, err
		}
		k := schema.KindList
		if id == optSet {
			k = schema.KindSet
		}
		return schema.Type{Kind: k, Elems: []schema.Type{e.Freeze()}, Frozen: depth > 0}, rest, nil
	case optMap:
		k, rest, err := decodeOptionAt(b, depth+1)
		if err != nil {
			return schema.Type{}, nil, err
		}
		v, rest, err := decodeOptionAt(rest, depth+1)
		if err != nil {
			return schema.Type{}, nil, err
		}
		return schema.Type{Kind: schema.KindMap, Elems: []schema.Type{k.Freeze(), v.Freeze()}, Frozen: depth > 0}, rest, nil
	case optTuple:
		if len(b) < 2 {
			return schema.Type{}, nil, fmt.Errorf("truncated tuple type option")
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n == 0 || n > len(b)/2 {
			return schema.Type{}, nil, fmt.Errorf("invalid tuple type option with %d fields", n)
		}
		t := schema.Type{Kind: schema.KindTuple, Elems: make([]schema.Type, n), Frozen: true}
		for i := range n {
			e, rest, err := decodeOptionAt(b, depth+1)
			if err != nil {
				return schema.Type{}, nil, err
			}
			t.Elems[i] = e.Freeze()
			b = rest
		}
		return t, b, nil
	case optUDT:
		ks, b, ok1 := readShortString(b)
		name, b, ok2 := readShortString(b)
		if !ok1 || !ok2 || len(b) < 2 {
			return schema.Type{}, nil, fmt.Errorf("truncated user type option")
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n == 0 || n > len(b)/4 {
			return schema.Type{}, nil, fmt.Errorf("invalid user type option with %d fields", n)
		}
		fields, types := make([]string, n), make([]schema.Type, n)
		for i := range n {
			f, rest, ok := readShortString(b)
			if !ok {
				return schema.Type{}, nil, fmt.Errorf("truncated user type option")
			}
			e, rest, err := decodeOptionAt(rest, depth+1)
			if err != nil {
				return schema.Type{}, nil, err
			}
			fields[i], types[i], b = f, e, rest
		}
		t := schema.UDTOf(ks, name, fields, types)
		t.Frozen = depth > 0
		return t, b, nil
	}
	return schema.Type{}, nil, fmt.Errorf("unknown type option id 0x%04x", id)
}
