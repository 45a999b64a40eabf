package schema

import (
	"encoding/binary"
	"slices"
	"strings"
)

// UserType names a user-defined type and its fields; the field types are
// the Elems of the Type that carries it. A value of a frozen user type is
// serialized as a tuple of its fields: a value written before ALTER TYPE ADD
// may have fewer fields than the type (the rest are null).
//
// A non-frozen user type is stored as one cell per field that is set, its
// cell path the field's position as a 2-byte big-endian unsigned integer
// (FieldPath), as Cassandra's UserType.cellPathForField; positions never
// change (fields are only added at the end or renamed), so cells written
// before a rename still belong to their field.
type UserType struct {
	Keyspace, Name string
	Fields         []string
}

// UDTOf returns the non-frozen user type keyspace.name with the given
// fields and field types, as ParseType builds them: as in Cassandra, a
// field may be a non-frozen collection (frozen with the type; a column of
// the type non-frozen is then refused).
func UDTOf(keyspace, name string, fields []string, types []Type) Type {
	return Type{Kind: KindUDT, Elems: slices.Clone(types),
		User: &UserType{Keyspace: keyspace, Name: name, Fields: slices.Clone(fields)}}
}

// Equal reports whether u and o are the same type with the same fields.
func (u *UserType) Equal(o *UserType) bool {
	if u == nil || o == nil {
		return u == o
	}
	return u.Keyspace == o.Keyspace && u.Name == o.Name && slices.Equal(u.Fields, o.Fields)
}

// FieldIndex returns the position of the field of a user type, or -1.
func (t Type) FieldIndex(name string) int {
	if t.Kind != KindUDT {
		return -1
	}
	return slices.Index(t.User.Fields, name)
}

// ReferencesUDT reports whether t is, or contains, the user type
// keyspace.name.
func (t Type) ReferencesUDT(keyspace, name string) bool {
	if t.Kind == KindUDT && t.User.Keyspace == keyspace && t.User.Name == name {
		return true
	}
	for _, e := range t.Elems {
		if e.ReferencesUDT(keyspace, name) {
			return true
		}
	}
	return false
}

// WithUDT returns t with every occurrence of the user type u (by keyspace
// and name) replaced by u's current definition, keeping each occurrence's
// frozenness: ALTER TYPE rewrites the tables and types that use it so.
func (t Type) WithUDT(u Type) Type {
	if t.Kind == KindUDT && t.User.Keyspace == u.User.Keyspace && t.User.Name == u.User.Name {
		if t.Frozen {
			return u.Freeze()
		}
		return u
	}
	if len(t.Elems) == 0 || !t.ReferencesUDT(u.User.Keyspace, u.User.Name) {
		return t
	}
	out := t
	out.Elems = make([]Type, len(t.Elems))
	for i, e := range t.Elems {
		out.Elems[i] = e.WithUDT(u)
	}
	return out
}

// FieldPathSize is the size of a non-frozen user type's cell path.
const FieldPathSize = 2

// FieldPath returns the cell path of field i of a non-frozen user type.
func FieldPath(i int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(i)) }

// FieldOfPath returns the field position a cell path names.
func FieldOfPath(p []byte) (int, error) {
	if len(p) != FieldPathSize {
		return 0, invalidf("invalid user type field path of %d bytes", len(p))
	}
	return int(binary.BigEndian.Uint16(p)), nil
}

// udtElements splits a (normalized) user type value into the cells of a
// non-frozen one: a cell per non-null field, path FieldPath(i).
func udtElements(nb []byte) *Elements {
	e := &Elements{vals: nb}
	for i, off := 0, 0; off < len(nb); i++ {
		n := int32(binary.BigEndian.Uint32(nb[off:]))
		off += 4
		if n >= 0 {
			e.paths = append(e.paths, FieldPath(i)...)
			e.pathEnds = append(e.pathEnds, uint32(len(e.paths)))
			e.valOffs = append(e.valOffs, uint32(off))
			e.n++
			off += int(n)
		}
	}
	return e
}

// udtFromFields assembles the serialized value of a non-frozen user type
// from its live cells (elements whose paths are FieldPaths), any order.
// No cells gives nil: the value is null. Cells of positions beyond the type
// are ignored.
func udtFromFields(t Type, cells []Element) ([]byte, error) {
	if len(cells) == 0 {
		return nil, nil
	}
	fields := make([][]byte, len(t.Elems))
	for _, c := range cells {
		i, err := FieldOfPath(c.Path)
		if err != nil {
			return nil, err
		}
		if i < len(fields) {
			fields[i] = c.Value
		}
	}
	return buildTuple(fields), nil
}

// QuoteName returns a keyspace, table, type or field name as CQL writes it:
// bare if it is lower-case letters, digits and underscores starting with a
// letter and not a type's name (a user type "date" is not the date type),
// else double-quoted (with " doubled).
func QuoteName(s string) string {
	_, native := nativeByName[s]
	bare := s != "" && s[0] >= 'a' && s[0] <= 'z' && !native && !strings.Contains(" frozen list set map tuple ", " "+s+" ")
	for i := 0; bare && i < len(s); i++ {
		c := s[i]
		bare = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
	}
	if bare {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// nullFields reports whether b holds only null fields.
func nullFields(b []byte) bool {
	for len(b) > 0 {
		v, rest, ok := readValue(b)
		if !ok || v != nil {
			return false
		}
		b = rest
	}
	return true
}
