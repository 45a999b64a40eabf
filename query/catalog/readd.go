package catalog

// Re-adding a dropped column: Cassandra refuses a type whose values the
// dropped column's could not be read as (its data may still be on disk),
// another kind (static or regular), and any re-add in a counter table.

import (
	"wcdb/query/qerr"
	"wcdb/schema"
)

// CheckReAdd refuses to add column name of type typ (static or not) to
// table t with parameters p when a dropped column of that name forbids it,
// with Cassandra's messages.
func CheckReAdd(p *Params, t *schema.Table, name string, typ schema.Type, static bool) error {
	var d *DroppedColumn
	for i := range p.Dropped {
		if p.Dropped[i].Name == name {
			d = &p.Dropped[i]
		}
	}
	if d == nil {
		return nil
	}
	if !SerializationCompatible(typ, d.Type) {
		return qerr.Invalidf("Cannot re-add previously dropped column '%s' of type %s, incompatible with previous type %s",
			name, typ, d.Type)
	}
	if (d.Kind == schema.StaticColumn) != static {
		kind, prev := "REGULAR", "REGULAR"
		if static {
			kind = "STATIC"
		}
		if d.Kind == schema.StaticColumn {
			prev = "STATIC"
		}
		return qerr.Invalidf("Cannot re-add previously dropped column '%s' of kind %s, incompatible with previous kind %s", name, kind, prev)
	}
	// A table whose last counter was dropped is still a counter table in
	// Cassandra, which flags the table rather than its columns.
	if t.IsCounter() || d.Type.Kind == schema.KindCounter {
		return qerr.Invalidf("Cannot re-add previously dropped counter column %s", name)
	}
	return nil
}

// SerializationCompatible reports whether values written as type prev can
// be read as type typ (Cassandra's isSerializationCompatibleWith).
func SerializationCompatible(typ, prev schema.Type) bool {
	if typ.IsCollection() {
		if !valueCompatible(typ, prev) {
			return false
		}
		// The values of a collection's cells (its elements, or a map's
		// values) must be readable too; a set's cells have none.
		if typ.Kind == schema.KindSet {
			return true
		}
		n := len(typ.Elems) - 1
		return SerializationCompatible(typ.Elems[n], prev.Elems[n])
	}
	return valueCompatible(typ, prev)
}

// compatible is Cassandra's isCompatibleWith: the same type, or one that
// sorts and reads prev's values the same way.
func compatible(typ, prev schema.Type) bool {
	if typ.Equal(prev) {
		return true
	}
	switch typ.Kind {
	case schema.KindBlob:
		return prev.Kind == schema.KindAscii || prev.Kind == schema.KindText
	case schema.KindText:
		return prev.Kind == schema.KindAscii
	case schema.KindUUID:
		return prev.Kind == schema.KindTimeuuid
	case schema.KindList, schema.KindSet, schema.KindMap:
		if prev.Kind != typ.Kind || prev.IsMultiCell() != typ.IsMultiCell() {
			return false
		}
		if !typ.IsMultiCell() {
			return frozenCompatible(typ, prev, compatible)
		}
		// Cell paths (a set's elements, a map's keys) sort as before;
		// cell values read as before.
		switch typ.Kind {
		case schema.KindList:
			return valueCompatible(typ.Elems[0], prev.Elems[0])
		case schema.KindSet:
			return compatible(typ.Elems[0], prev.Elems[0])
		}
		return compatible(typ.Elems[0], prev.Elems[0]) && valueCompatible(typ.Elems[1], prev.Elems[1])
	case schema.KindTuple:
		return tupleCompatible(typ, prev, compatible)
	}
	return false
}

// valueCompatible is Cassandra's isValueCompatibleWith: prev's values read
// as typ's, whatever their order.
func valueCompatible(typ, prev schema.Type) bool {
	if typ.Equal(prev) {
		return true
	}
	switch typ.Kind {
	case schema.KindBlob:
		return true
	case schema.KindBigint:
		return prev.Kind == schema.KindTimestamp
	case schema.KindTimestamp, schema.KindTime:
		return prev.Kind == schema.KindBigint
	case schema.KindDate:
		return prev.Kind == schema.KindInt
	case schema.KindVarint:
		switch prev.Kind {
		case schema.KindInt, schema.KindBigint, schema.KindTimestamp:
			return true
		}
		return false
	case schema.KindList, schema.KindSet, schema.KindMap:
		if typ.IsMultiCell() {
			return compatible(typ, prev)
		}
		if prev.Kind != typ.Kind || prev.IsMultiCell() {
			return false
		}
		return frozenCompatible(typ, prev, valueCompatible)
	case schema.KindTuple:
		return tupleCompatible(typ, prev, valueCompatible)
	}
	return compatible(typ, prev)
}

// frozenCompatible compares frozen collections of the same kind: a set's
// elements and a map's keys must sort as before, list elements and map
// values are checked with elem.
func frozenCompatible(typ, prev schema.Type, elem func(a, b schema.Type) bool) bool {
	switch typ.Kind {
	case schema.KindList:
		return elem(typ.Elems[0], prev.Elems[0])
	case schema.KindSet:
		return compatible(typ.Elems[0], prev.Elems[0])
	}
	return compatible(typ.Elems[0], prev.Elems[0]) && elem(typ.Elems[1], prev.Elems[1])
}

// tupleCompatible: typ may add fields after prev's, each of prev's being
// compatible by elem.
func tupleCompatible(typ, prev schema.Type, elem func(a, b schema.Type) bool) bool {
	if prev.Kind != schema.KindTuple || len(typ.Elems) < len(prev.Elems) {
		return false
	}
	for i := range prev.Elems {
		if !elem(typ.Elems[i], prev.Elems[i]) {
			return false
		}
	}
	return true
}
