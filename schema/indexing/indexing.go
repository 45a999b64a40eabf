// Package indexing says what a secondary index of a CQL table holds: the
// terms of a row for an index target (a column, or a collection's keys,
// values or entries, or a frozen value whole), and the term of a value a
// query looks for. Terms are the byte-comparable encoding of the values
// (schema.AppendComparable), so an index sorted by term answers ranges in
// the column type's order. storage/sai stores the terms; the query layer
// turns restrictions into terms with the same functions, so both sides
// agree by construction.
package indexing

import (
	"encoding/binary"
	"fmt"
	"strings"

	"wcdb/mutation"
	"wcdb/schema"
)

// Kinds of target, as Cassandra's IndexTarget.Type spells them in the
// "target" option.
const (
	Simple  = ""
	Keys    = "keys"
	Values  = "values"
	Entries = "entries"
	Full    = "full"
)

// Target is what an index covers.
type Target struct {
	Column string
	Kind   string
}

// String is the target as the "target" option of system_schema.indexes
// records it: the column name (double-quoted unless a bare lower-case
// identifier) or kind(column).
func (t Target) String() string {
	c := quote(t.Column)
	if t.Kind == Simple {
		return c
	}
	return t.Kind + "(" + c + ")"
}

func quote(name string) string {
	bare := name != "" && name[0] >= 'a' && name[0] <= 'z'
	for i := 0; i < len(name) && bare; i++ {
		c := name[i]
		bare = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	if bare {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ParseTarget reads a "target" option.
func ParseTarget(s string) Target {
	for _, k := range []string{Keys, Values, Entries, Full} {
		if strings.HasPrefix(s, k+"(") && strings.HasSuffix(s, ")") {
			return Target{Kind: k, Column: unquote(s[len(k)+1 : len(s)-1])}
		}
	}
	return Target{Column: unquote(s)}
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// Terms returns the function giving the terms a row holds for target tg of
// table t: for a partition key component, its value (on every row); for a
// clustering column, the row's value; for a regular or static column, its
// live cell's value (a collection's elements, keys or entries per the
// kind). Tombstones give none; a stale term (the value overwritten since)
// is dropped by the re-check of the rows read.
func Terms(t *schema.Table, tg Target) (func(pk []byte, r *mutation.Row, emit func([]byte)), error) {
	c := t.Column(tg.Column)
	if c == nil {
		return nil, fmt.Errorf("indexing: no column %s", tg.Column)
	}
	typ := c.Type
	switch c.Kind {
	case schema.PartitionKeyColumn:
		n, pos := len(t.PartitionKey()), c.Position
		return func(pk []byte, r *mutation.Row, emit func([]byte)) {
			if v, ok := keyComponent(pk, n, pos); ok {
				emit(schema.AppendComparable(nil, typ, v, false))
			}
		}, nil
	case schema.ClusteringColumn:
		types, desc := t.ClusteringTypes()
		pos := c.Position
		return func(_ []byte, r *mutation.Row, emit func([]byte)) {
			if len(r.Clustering) == 0 {
				return
			}
			vs, err := schema.SplitClustering(types, desc, r.Clustering)
			if err != nil || pos >= len(vs) || vs[pos] == nil {
				return
			}
			emit(schema.AppendComparable(nil, typ, vs[pos], false))
		}, nil
	}
	id := c.ID
	multi := typ.IsMultiCell()
	kind := tg.Kind
	if multi && kind == Simple {
		kind = Values
	}
	return func(_ []byte, r *mutation.Row, emit func([]byte)) {
		var buf []byte
		for i := range r.Cells {
			cell := &r.Cells[i]
			if cell.Column != id || cell.IsTombstone() {
				continue
			}
			switch {
			case !multi:
				emit(schema.AppendComparable(buf[:0], typ, cell.Value, false))
			case kind == Keys:
				emit(cell.Path)
			case kind == Values && typ.Kind == schema.KindSet:
				emit(cell.Path)
			case kind == Values:
				emit(schema.AppendComparable(buf[:0], typ.Elem(), cell.Value, false))
			case kind == Entries:
				emit(schema.AppendComparable(append(buf[:0], cell.Path...), typ.Elem(), cell.Value, false))
			}
		}
	}, nil
}

// Term is the term of value v of type typ (a column's, or a collection's
// element or key type).
func Term(typ schema.Type, v []byte) []byte { return schema.AppendComparable(nil, typ, v, false) }

// EntryTerm is the term of the map entry k: v of an entries() index.
func EntryTerm(m schema.Type, k, v []byte) []byte {
	return schema.AppendComparable(schema.AppendComparable(nil, m.Key(), k, false), m.Elem(), v, false)
}

// keyComponent returns component pos of n of a partition key: the key
// itself when n is 1, else per component a 2-byte length, the bytes and a
// 0 byte (Cassandra's CompositeType).
func keyComponent(k []byte, n, pos int) ([]byte, bool) {
	if n == 1 {
		return k, true
	}
	for i := 0; i < n; i++ {
		if len(k) < 2 {
			return nil, false
		}
		l := int(binary.BigEndian.Uint16(k))
		if len(k) < 3+l {
			return nil, false
		}
		if i == pos {
			return k[2 : 2+l], true
		}
		k = k[3+l:]
	}
	return nil, false
}

// ValidName reports whether name may name an index: 1 or more letters,
// digits and underscores (Cassandra's isValidName). Storage puts it in the
// names of the index's files.
func ValidName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return name != ""
}

// Check validates target tg on table t: "" or the reason, in Cassandra's
// words (CreateIndexStatement.validateIndexTarget), for an Invalid error.
func Check(t *schema.Table, tg Target) string {
	c := t.Column(tg.Column)
	if c == nil {
		return fmt.Sprintf("Column '%s' doesn't exist", tg.Column)
	}
	typ := c.Type
	name := quote(c.Name)
	if typ.References(schema.KindDuration) {
		switch {
		case typ.IsCollection():
			return "Secondary indexes are not supported on collections containing durations"
		case typ.Kind == schema.KindTuple:
			return "Secondary indexes are not supported on tuples containing durations"
		}
		return "Secondary indexes are not supported on duration columns"
	}
	if typ.Kind == schema.KindUDT && typ.IsMultiCell() {
		return "Secondary indexes are not supported on non-frozen UDTs"
	}
	if c.Kind == schema.PartitionKeyColumn && len(t.PartitionKey()) == 1 {
		return fmt.Sprintf("Cannot create secondary index on the only partition key column %s", name)
	}
	frozenColl := typ.IsCollection() && typ.Frozen
	if frozenColl && tg.Kind != Full {
		kind := tg.Kind
		if kind == Simple {
			kind = Values
		}
		return fmt.Sprintf("Cannot create %s() index on frozen column %s. Frozen collections are immutable and must be fully indexed by using the 'full(%s)' modifier", kind, name, name)
	}
	if !frozenColl && tg.Kind == Full {
		return "full() indexes can only be created on frozen collections"
	}
	if !typ.IsCollection() && tg.Kind != Simple {
		return fmt.Sprintf("Cannot create %s() index on %s. Non-collection columns only support simple indexes", tg.Kind, name)
	}
	if (tg.Kind == Keys || tg.Kind == Entries) && !(typ.Kind == schema.KindMap && typ.IsMultiCell()) {
		return fmt.Sprintf("Cannot create index on %s of column %s with non-map type", tg.Kind, name)
	}
	return ""
}
