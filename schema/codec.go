package schema

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"time"
	"unicode/utf8"
	"wcdb/schema/cqldecimal"

	"wcdb/schema/cqltime"
)

// emptyValue is the type of Empty.
type emptyValue struct{}

// Empty stands for the empty value (zero bytes) of a type that is not a
// string: Decode returns it, Encode accepts it.
var Empty = emptyValue{}

func (emptyValue) String() string { return "empty" }

// MapEntry is one entry of a map value, as Encode takes and Decode returns
// maps.
type MapEntry struct {
	Key, Value any
}

// Serialized is a value already in its native protocol serialization (a
// bound value inside a collection literal, say). Encode validates it and
// uses it as is.
type Serialized []byte

// allowsEmpty reports whether an empty value is valid for t.
func allowsEmpty(t Type) bool {
	switch t.Kind {
	case KindTinyint, KindSmallint, KindDate, KindTime, KindDuration, KindList, KindSet, KindMap:
		return false
	}
	return true
}

// readValue reads one [bytes] element of a collection or tuple: an [int]
// length, then that many bytes; a negative length is null (v == nil).
func readValue(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n < 0 {
		return nil, b, true
	}
	if int64(n) > int64(len(b)) {
		return nil, nil, false
	}
	return b[:n:n], b[n:], true
}

func appendValue(dst, v []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

func appendNull(dst []byte) []byte { return binary.BigEndian.AppendUint32(dst, math.MaxUint32) }

// perEntry is the number of [bytes] values per element of a collection.
func perEntry(t Type) int {
	if t.Kind == KindMap {
		return 2
	}
	return 1
}

// splitCollection returns the values of a serialized list, set or map (keys
// and values alternating for a map). It rejects nulls and trailing bytes.
func splitCollection(t Type, b []byte) ([][]byte, error) {
	var vals [][]byte
	err := walkCollection(t, b, func(i, _ int, v []byte) error {
		if vals == nil {
			vals = make([][]byte, 0, collectionSize(t, b))
		}
		vals = append(vals, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vals, nil
}

// collectionSize returns how many values (keys and values for a map) a
// serialized collection that walkCollection accepts holds.
func collectionSize(t Type, b []byte) int {
	return int(binary.BigEndian.Uint32(b)) * perEntry(t)
}

// walkCollection calls fn with each value of a serialized list, set or map
// (keys and values alternating for a map), its index and its offset in b,
// in order, without allocating. It rejects nulls and trailing bytes, and
// stops at the first error fn returns.
func walkCollection(t Type, b []byte, fn func(i, off int, v []byte) error) error {
	name := t.Kind.String()
	if len(b) < 4 {
		return invalidf("Not enough bytes to read a %s", name)
	}
	n := int32(binary.BigEndian.Uint32(b))
	rest := b[4:]
	per := perEntry(t)
	if n < 0 || int64(n)*int64(per) > int64(len(rest)/4) {
		return invalidf("Invalid %s size %d", name, n)
	}
	for i := range int(n) * per {
		v, r, ok := readValue(rest)
		if !ok {
			return invalidf("Not enough bytes to read an element of a %s", name)
		}
		if v == nil {
			return invalidf("null is not supported inside collections")
		}
		if err := fn(i, len(b)-len(rest)+4, v); err != nil {
			return err
		}
		rest = r
	}
	if len(rest) != 0 {
		return invalidf("Unexpected extraneous bytes after %s value", name)
	}
	return nil
}

// splitTuple returns the fields of a serialized tuple (nil for a null
// field); a value may have fewer fields than the type, never more.
func splitTuple(t Type, b []byte) ([][]byte, error) {
	var fields [][]byte
	for i := 0; len(b) > 0; i++ {
		if i >= len(t.Elems) {
			if t.Kind == KindUDT {
				return nil, invalidf("Invalid remaining data after end of UDT value")
			}
			return nil, invalidf("Invalid remaining data after end of tuple value")
		}
		v, rest, ok := readValue(b)
		if !ok {
			return nil, invalidf("Not enough bytes to read %dth component", i)
		}
		fields = append(fields, v)
		b = rest
	}
	return fields, nil
}

func buildCollection(vals [][]byte, per int) []byte {
	size := 4
	for _, v := range vals {
		size += 4 + len(v)
	}
	out := make([]byte, 0, size)
	out = binary.BigEndian.AppendUint32(out, uint32(len(vals)/per))
	for _, v := range vals {
		out = appendValue(out, v)
	}
	return out
}

func buildTuple(fields [][]byte) []byte {
	var out []byte
	for _, f := range fields {
		if f == nil {
			out = appendNull(out)
		} else {
			out = appendValue(out, f)
		}
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// Validate reports whether b is a valid serialization of a value of type t,
// with Cassandra's error messages: fixed sizes (an int is exactly 4 bytes or
// empty), UTF-8 text, ASCII bytes at most 0x7f, version 1 timeuuids, time of
// day within range, well-formed collections and tuples, recursively. See the
// package documentation for which types accept an empty value.
func Validate(t Type, b []byte) error {
	n := len(b)
	switch t.Kind {
	case KindAscii:
		for _, c := range b {
			if c > 0x7f {
				return invalidf("Invalid byte for ascii: %d", c)
			}
		}
	case KindText:
		if !utf8.Valid(b) {
			return invalidf("String didn't validate.")
		}
	case KindBlob, KindVarint:
	case KindBoolean:
		if n > 1 {
			return invalidf("Expected 1 or 0 byte value (%d)", n)
		}
	case KindTinyint:
		if n != 1 {
			return invalidf("Expected 1 byte for a tinyint (%d)", n)
		}
	case KindSmallint:
		if n != 2 {
			return invalidf("Expected 2 bytes for a smallint (%d)", n)
		}
	case KindInt:
		if n != 0 && n != 4 {
			return invalidf("Expected 4 or 0 byte int (%d)", n)
		}
	case KindBigint, KindCounter:
		if n != 0 && n != 8 {
			return invalidf("Expected 8 or 0 byte long (%d)", n)
		}
	case KindFloat:
		if n != 0 && n != 4 {
			return invalidf("Expected 4 or 0 byte value for a float (%d)", n)
		}
	case KindDouble:
		if n != 0 && n != 8 {
			return invalidf("Expected 8 or 0 byte value for a double (%d)", n)
		}
	case KindTimestamp:
		if n != 0 && n != 8 {
			return invalidf("Expected 8 or 0 byte long for date (%d)", n)
		}
	case KindDate:
		if n != 4 {
			return invalidf("Expected 4 byte long for date (%d)", n)
		}
	case KindTime:
		if n != 8 {
			return invalidf("Expected 8 byte long for time (%d)", n)
		}
		if v := int64(binary.BigEndian.Uint64(b)); v < 0 || v > maxTimeNanos {
			return invalidf("Time value %d out of range: must be between 0 and %d", v, maxTimeNanos)
		}
	case KindUUID:
		if n != 0 && n != 16 {
			return invalidf("UUID should be 16 or 0 bytes (%d)", n)
		}
	case KindTimeuuid:
		if n != 0 && n != 16 {
			return invalidf("TimeUUID should be 16 or 0 bytes (%d)", n)
		}
		if n == 16 && b[6]>>4 != 1 {
			return invalidf("Unsupported UUID version (%d)", b[6]>>4)
		}
	case KindInet:
		if n != 0 && n != 4 && n != 16 {
			return invalidf("Expected 4 or 16 byte inetaddress; got %d bytes", n)
		}
	case KindDecimal:
		if n != 0 && n < 5 {
			return invalidf("Expected 0 or at least 5 bytes for a decimal (%d)", n)
		}
	case KindDuration:
		_, err := decodeDuration(b)
		return err
	case KindList, KindSet, KindMap:
		// Element by element, as Cassandra's serializers validate: a
		// million-element list is not split into slices first.
		return walkCollection(t, b, func(i, _ int, v []byte) error {
			et := t.Elems[0]
			if t.Kind == KindMap && i%2 == 1 {
				et = t.Elems[1]
			}
			return Validate(et, v)
		})
	case KindTuple, KindUDT:
		fields, err := splitTuple(t, b)
		if err != nil {
			return err
		}
		for i, f := range fields {
			if f == nil {
				continue
			}
			if err := Validate(t.Elems[i], f); err != nil {
				return err
			}
		}
	default:
		return invalidf("invalid type %s", t.Kind)
	}
	return nil
}

// maxTimeNanos is the last nanosecond of a day, the largest time value.
const maxTimeNanos = cqltime.MaxTimeNanos

// Normalize validates b as a value of t and returns its canonical form: the
// elements of sets, and the entries of maps, sorted by Compare and without
// duplicates (for a map the last entry for a key wins, as a map literal),
// recursively inside collections and tuples. Cassandra stores and compares
// frozen sets and maps in that form, so bound values of such types go
// through Normalize before they are stored or compared bytewise. Values of
// other types come back as they are.
func Normalize(t Type, b []byte) ([]byte, error) {
	if err := Validate(t, b); err != nil {
		return nil, err
	}
	return normalize(t, b), nil
}

// normalize is Normalize on a valid value.
func normalize(t Type, b []byte) []byte {
	if len(t.Elems) == 0 || len(b) == 0 || !(t.References(KindSet) || t.References(KindMap)) {
		return b
	}
	switch t.Kind {
	case KindList, KindSet, KindMap:
		if t.Kind != KindList && !needsNormalizing(t.Elems...) {
			return normalizeEntries(t, b)
		}
		vals, err := splitCollection(t, b)
		if err != nil {
			return b
		}
		per := perEntry(t)
		for i := range vals {
			et := t.Elems[0]
			if per == 2 && i%2 == 1 {
				et = t.Elems[1]
			}
			vals[i] = normalize(et, vals[i])
		}
		if t.Kind == KindList {
			return buildCollection(vals, 1)
		}
		vals = sortEntries(t.Elems[0], vals, per)
		return buildCollection(vals, per)
	case KindTuple, KindUDT:
		fields, err := splitTuple(t, b)
		if err != nil {
			return b
		}
		for i, f := range fields {
			if f != nil {
				fields[i] = normalize(t.Elems[i], f)
			}
		}
		return buildTuple(fields)
	}
	return b
}

// needsNormalizing reports whether values of any of ts may change under
// normalize.
func needsNormalizing(ts ...Type) bool {
	for _, t := range ts {
		if t.References(KindSet) || t.References(KindMap) {
			return true
		}
	}
	return false
}

// normalizeEntries is normalize for a valid set or map whose elements
// normalize to themselves: b as it is when its keys are in order without
// duplicates (what most clients send), else the sorted entries in a new
// value. The sort moves 16 bytes an entry (offsets into b), not two slices
// and an index: a million-element set costs 16 MB, not 80.
func normalizeEntries(t Type, b []byte) []byte {
	key, per := t.Elems[0], perEntry(t)
	var prev []byte
	sorted := true
	walkCollection(t, b, func(i, _ int, v []byte) error {
		if i%per != 0 {
			return nil
		}
		if i > 0 && Compare(key, prev, v) >= 0 {
			sorted = false
			return errStop
		}
		prev = v
		return nil
	})
	if sorted {
		return b
	}
	// Offsets and lengths in b of each entry's key and (for a map) value.
	type entry struct{ k, kn, v, vn uint32 }
	es := make([]entry, 0, collectionSize(t, b)/per)
	walkCollection(t, b, func(i, off int, v []byte) error {
		if i%per == 0 {
			es = append(es, entry{k: uint32(off), kn: uint32(len(v))})
		} else {
			es[len(es)-1].v, es[len(es)-1].vn = uint32(off), uint32(len(v))
		}
		return nil
	})
	keyOf := func(e entry) []byte { return b[e.k : e.k+e.kn] }
	slices.SortStableFunc(es, func(x, y entry) int { return Compare(key, keyOf(x), keyOf(y)) })
	// Of equal keys, a set keeps the first element, a map the last entry
	// (the sort is stable).
	out := es[:0]
	for _, e := range es {
		switch {
		case len(out) > 0 && Compare(key, keyOf(out[len(out)-1]), keyOf(e)) == 0:
			if per == 2 {
				out[len(out)-1] = e
			}
		default:
			out = append(out, e)
		}
	}
	size := 4
	for _, e := range out {
		size += 4 + int(e.kn)
		if per == 2 {
			size += 4 + int(e.vn)
		}
	}
	nb := make([]byte, 0, size)
	nb = binary.BigEndian.AppendUint32(nb, uint32(len(out)))
	for _, e := range out {
		nb = appendValue(nb, keyOf(e))
		if per == 2 {
			nb = appendValue(nb, b[e.v:e.v+e.vn])
		}
	}
	return nb
}

// errStop ends a walk early.
var errStop = errors.New("stop")

// sortEntries sorts set elements (per == 1) or map entries (per == 2, key
// first) by key and removes duplicate keys; for maps the last entry wins.
func sortEntries(key Type, vals [][]byte, per int) [][]byte {
	type entry struct {
		k, v []byte
		i    int
	}
	es := make([]entry, len(vals)/per)
	for i := range es {
		es[i].k = vals[i*per]
		if per == 2 {
			es[i].v = vals[i*per+1]
		}
		es[i].i = i
	}
	slices.SortStableFunc(es, func(a, b entry) int { return Compare(key, a.k, b.k) })
	out := vals[:0]
	for i, e := range es {
		if i+1 < len(es) && Compare(key, e.k, es[i+1].k) == 0 {
			if per == 1 {
				// Keep the first of equal set elements: skip the later one.
				es[i+1] = e
			}
			continue
		}
		out = append(out, e.k)
		if per == 2 {
			out = append(out, e.v)
		}
	}
	return out
}

// Encode serializes the Go value v as a value of type t. It accepts:
//
//   - for every type: Serialized (validated, used as is) and Empty (where the
//     type allows an empty value);
//   - integer types, varint: any Go integer, *big.Int, range-checked; varint
//     also a decimal string;
//   - float, double: float32, float64 or any Go integer;
//   - decimal: Decimal, any Go integer, *big.Int, float64 (its shortest
//     decimal form) or a string as ParseDecimal takes;
//   - boolean: bool; ascii, text: string; blob: []byte;
//   - timestamp: time.Time (milliseconds, rounded down), an integer
//     (milliseconds since the epoch) or a string as cqltime.ParseTimestamp takes;
//   - date: time.Time (its UTC date), an integer (the raw unsigned day number,
//     epoch at 2^31) or a string as cqltime.ParseDate takes;
//   - time: time.Duration or an integer (nanoseconds since midnight) or a
//     string as cqltime.ParseTime takes;
//   - uuid, timeuuid: UUID, [16]byte or a string (timeuuid: version 1 only);
//   - inet: net.IP, netip.Addr or a string;
//   - duration: Duration or a string as ParseDuration takes;
//   - list, set, tuple: []any of element values (tuple: nil is a null field,
//     and fewer values than fields are allowed); map: []MapEntry;
//   - user type: as a tuple (fields in the type's order).
//
// Sets and maps come out sorted and without duplicates (Normalize).
func Encode(t Type, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, invalidf("null value for type %s", t)
	case Serialized:
		b := []byte(x)
		if b == nil {
			b = []byte{}
		}
		return Normalize(t, b)
	case emptyValue:
		if !allowsEmpty(t) {
			return nil, invalidf("type %s has no empty value", t)
		}
		return []byte{}, nil
	}
	switch t.Kind {
	case KindAscii, KindText:
		s, ok := v.(string)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		b := []byte(s)
		return b, Validate(t, b)
	case KindBlob:
		b, ok := v.([]byte)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		return append([]byte{}, b...), nil
	case KindBoolean:
		x, ok := v.(bool)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		if x {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case KindTinyint, KindSmallint, KindInt, KindBigint, KindCounter:
		n, ok := bigInteger(v)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		size := map[Kind]int{KindTinyint: 1, KindSmallint: 2, KindInt: 4, KindBigint: 8, KindCounter: 8}[t.Kind]
		if !n.IsInt64() || n.Int64() < -1<<(8*size-1) || n.Int64() > 1<<(8*size-1)-1 {
			return nil, invalidf("value %s out of range for %s", n, t)
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(n.Int64()))
		return append([]byte{}, buf[8-size:]...), nil
	case KindVarint:
		if s, ok := v.(string); ok {
			n, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return nil, invalidf("unable to make varint from '%s'", s)
			}
			return cqldecimal.BigToVarint(n), nil
		}
		n, ok := bigInteger(v)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		return cqldecimal.BigToVarint(n), nil
	case KindDecimal:
		d, err := toDecimal(t, v)
		if err != nil {
			return nil, err
		}
		return d.Bytes(), nil
	case KindFloat, KindDouble:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		default:
			n, ok := bigInteger(v)
			if !ok {
				return nil, typeMismatch(t, v)
			}
			f, _ = new(big.Float).SetInt(n).Float64()
		}
		if t.Kind == KindFloat {
			u := math.Float32bits(float32(f))
			if f != f {
				u = 0x7fc00000
			}
			return binary.BigEndian.AppendUint32(nil, u), nil
		}
		u := math.Float64bits(f)
		if f != f {
			u = 0x7ff8000000000000
		}
		return binary.BigEndian.AppendUint64(nil, u), nil
	case KindTimestamp:
		var ms int64
		switch x := v.(type) {
		case time.Time:
			ms = x.UnixMilli()
		case string:
			var err error
			if ms, err = cqltime.ParseTimestamp(x); err != nil {
				return nil, literalError(err)
			}
		default:
			n, ok := bigInteger(v)
			if !ok {
				return nil, typeMismatch(t, v)
			}
			if !n.IsInt64() {
				return nil, invalidf("value %s out of range for timestamp", n)
			}
			ms = n.Int64()
		}
		return binary.BigEndian.AppendUint64(nil, uint64(ms)), nil
	case KindDate:
		var days uint32
		switch x := v.(type) {
		case time.Time:
			d := floorDiv(x.Unix(), 86400) + 1<<31
			if d < 0 || d > math.MaxUint32 {
				return nil, invalidf("date %s out of range", x)
			}
			days = uint32(d)
		case string:
			var err error
			if days, err = cqltime.ParseDate(x); err != nil {
				return nil, literalError(err)
			}
		default:
			n, ok := bigInteger(v)
			if !ok {
				return nil, typeMismatch(t, v)
			}
			if !n.IsInt64() || n.Int64() < 0 || n.Int64() > math.MaxUint32 {
				return nil, invalidf("Input date %s is out of bounds", n)
			}
			days = uint32(n.Int64())
		}
		return binary.BigEndian.AppendUint32(nil, days), nil
	case KindTime:
		var ns int64
		switch x := v.(type) {
		case time.Duration:
			ns = int64(x)
		case string:
			var err error
			if ns, err = cqltime.ParseTime(x); err != nil {
				return nil, literalError(err)
			}
		default:
			n, ok := bigInteger(v)
			if !ok {
				return nil, typeMismatch(t, v)
			}
			if !n.IsInt64() {
				return nil, invalidf("time %s out of range", n)
			}
			ns = n.Int64()
		}
		if ns < 0 || ns > maxTimeNanos {
			return nil, invalidf("Time value %d out of range: must be between 0 and %d", ns, maxTimeNanos)
		}
		return binary.BigEndian.AppendUint64(nil, uint64(ns)), nil
	case KindUUID, KindTimeuuid:
		var u UUID
		switch x := v.(type) {
		case UUID:
			u = x
		case [16]byte:
			u = x
		case string:
			var err error
			if u, err = ParseUUID(x); err != nil {
				return nil, err
			}
		default:
			return nil, typeMismatch(t, v)
		}
		b := u[:]
		return append([]byte{}, b...), Validate(t, b)
	case KindInet:
		var ip net.IP
		switch x := v.(type) {
		case net.IP:
			ip = x
		case netip.Addr:
			ip = net.IP(x.Unmap().AsSlice())
		case string:
			ip = net.ParseIP(x)
			if ip == nil {
				return nil, invalidf("Unable to make inet address from '%s'", x)
			}
		default:
			return nil, typeMismatch(t, v)
		}
		if ip4 := ip.To4(); ip4 != nil {
			return append([]byte{}, ip4...), nil
		}
		if len(ip) != 16 {
			return nil, invalidf("invalid inet address %v", []byte(ip))
		}
		return append([]byte{}, ip...), nil
	case KindDuration:
		switch x := v.(type) {
		case Duration:
			b := cqltime.AppendDuration(nil, x)
			return b, Validate(t, b)
		case string:
			d, err := ParseDuration(x)
			if err != nil {
				return nil, err
			}
			return cqltime.AppendDuration(nil, d), nil
		}
		return nil, typeMismatch(t, v)
	case KindList, KindSet, KindTuple, KindUDT:
		elems, ok := v.([]any)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		if t.Kind == KindTuple || t.Kind == KindUDT {
			if len(elems) > len(t.Elems) {
				return nil, invalidf("Invalid tuple literal: too many elements. Type %s expects %d but got %d", t, len(t.Elems), len(elems))
			}
			fields := make([][]byte, len(elems))
			for i, e := range elems {
				if e == nil {
					continue
				}
				b, err := Encode(t.Elems[i], e)
				if err != nil {
					return nil, err
				}
				if b == nil {
					b = []byte{} // nil is a null field
				}
				fields[i] = b
			}
			return buildTuple(fields), nil
		}
		vals := make([][]byte, len(elems))
		for i, e := range elems {
			if e == nil {
				return nil, invalidf("null is not supported inside collections")
			}
			b, err := Encode(t.Elems[0], e)
			if err != nil {
				return nil, err
			}
			vals[i] = b
		}
		if t.Kind == KindSet {
			vals = sortEntries(t.Elems[0], vals, 1)
		}
		return buildCollection(vals, 1), nil
	case KindMap:
		entries, ok := v.([]MapEntry)
		if !ok {
			return nil, typeMismatch(t, v)
		}
		vals := make([][]byte, 0, 2*len(entries))
		for _, e := range entries {
			if e.Key == nil || e.Value == nil {
				return nil, invalidf("null is not supported inside collections")
			}
			k, err := Encode(t.Elems[0], e.Key)
			if err != nil {
				return nil, err
			}
			val, err := Encode(t.Elems[1], e.Value)
			if err != nil {
				return nil, err
			}
			vals = append(vals, k, val)
		}
		return buildCollection(sortEntries(t.Elems[0], vals, 2), 2), nil
	}
	return nil, invalidf("invalid type %s", t.Kind)
}

func typeMismatch(t Type, v any) error {
	return invalidf("cannot encode a Go %T as %s", v, t)
}

// bigInteger converts any Go integer, or a *big.Int, to a big.Int.
func bigInteger(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int:
		return big.NewInt(int64(x)), true
	case int8:
		return big.NewInt(int64(x)), true
	case int16:
		return big.NewInt(int64(x)), true
	case int32:
		return big.NewInt(int64(x)), true
	case int64:
		return big.NewInt(x), true
	case uint:
		return new(big.Int).SetUint64(uint64(x)), true
	case uint8:
		return big.NewInt(int64(x)), true
	case uint16:
		return big.NewInt(int64(x)), true
	case uint32:
		return big.NewInt(int64(x)), true
	case uint64:
		return new(big.Int).SetUint64(x), true
	case *big.Int:
		if x == nil {
			return nil, false
		}
		return x, true
	}
	return nil, false
}

func toDecimal(t Type, v any) (Decimal, error) {
	switch x := v.(type) {
	case Decimal:
		return x, nil
	case *Decimal:
		if x != nil {
			return *x, nil
		}
	case string:
		return ParseDecimal(x)
	case float64, float32:
		f, ok := x.(float64)
		if !ok {
			f = float64(x.(float32))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return Decimal{}, invalidf("%v cannot be converted to a decimal", f)
		}
		return ParseDecimal(formatFloat(f, 64))
	default:
		if n, ok := bigInteger(v); ok {
			return Decimal{Unscaled: n}, nil
		}
	}
	return Decimal{}, typeMismatch(t, v)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Decode returns the Go value of a serialized value of type t:
//
//	ascii, text            string
//	blob                   []byte
//	boolean                bool
//	tinyint, smallint      int8, int16
//	int, bigint, counter   int32, int64, int64
//	varint                 *big.Int
//	decimal                Decimal
//	float, double          float32, float64
//	timestamp              time.Time (UTC, millisecond precision)
//	date                   time.Time (UTC midnight)
//	time                   time.Duration since midnight
//	uuid, timeuuid         UUID
//	inet                   net.IP (4 or 16 bytes)
//	duration               Duration
//	list, set              []any
//	map                    []MapEntry
//	tuple                  []any, nil for a null field, only the fields present
//	user type              as a tuple
//
// and Empty for the empty value of the other types than text, ascii and
// blob. Decode validates b first.
func Decode(t Type, b []byte) (any, error) {
	if err := Validate(t, b); err != nil {
		return nil, err
	}
	return decode(t, b), nil
}

// decode is Decode on a valid value.
func decode(t Type, b []byte) any {
	switch t.Kind {
	case KindAscii, KindText:
		return string(b)
	case KindBlob:
		return append([]byte{}, b...)
	}
	if len(b) == 0 {
		return Empty
	}
	switch t.Kind {
	case KindBoolean:
		return b[0] != 0
	case KindTinyint:
		return int8(b[0])
	case KindSmallint:
		return int16(binary.BigEndian.Uint16(b))
	case KindInt:
		return int32(binary.BigEndian.Uint32(b))
	case KindBigint, KindCounter:
		return int64(binary.BigEndian.Uint64(b))
	case KindVarint:
		return cqldecimal.VarintToBig(b)
	case KindDecimal:
		return cqldecimal.FromBytes(b)
	case KindFloat:
		return math.Float32frombits(binary.BigEndian.Uint32(b))
	case KindDouble:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	case KindTimestamp:
		return time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC()
	case KindDate:
		return dateTime(binary.BigEndian.Uint32(b))
	case KindTime:
		return time.Duration(binary.BigEndian.Uint64(b))
	case KindUUID, KindTimeuuid:
		return UUID(b)
	case KindInet:
		return net.IP(append([]byte{}, b...))
	case KindDuration:
		d, _ := decodeDuration(b)
		return d
	case KindList, KindSet:
		vals, _ := splitCollection(t, b)
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = decode(t.Elems[0], v)
		}
		return out
	case KindMap:
		vals, _ := splitCollection(t, b)
		out := make([]MapEntry, len(vals)/2)
		for i := range out {
			out[i] = MapEntry{Key: decode(t.Elems[0], vals[2*i]), Value: decode(t.Elems[1], vals[2*i+1])}
		}
		return out
	case KindTuple, KindUDT:
		fields, _ := splitTuple(t, b)
		out := make([]any, len(fields))
		for i, f := range fields {
			if f != nil {
				out[i] = decode(t.Elems[i], f)
			}
		}
		return out
	}
	return nil
}

// dateTime returns the UTC midnight of a raw date value.
func dateTime(days uint32) time.Time {
	return time.Unix((int64(days)-1<<31)*86400, 0).UTC()
}
