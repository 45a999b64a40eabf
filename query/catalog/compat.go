package catalog

// Type compatibility as Cassandra's AbstractType has it: which types read
// another's values (isValueCompatibleWith), also in the same order
// (isCompatibleWith), and in cells (isSerializationCompatibleWith).

import "wcdb/schema"

// SerializationCompatible reports whether values written as type prev can
// be read as type typ (Cassandra's isSerializationCompatibleWith).
func SerializationCompatible(typ, prev schema.Type) bool {
	if typ.IsCollection() {
		if !ValueCompatible(typ, prev) {
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
	return ValueCompatible(typ, prev)
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
			return ValueCompatible(typ.Elems[0], prev.Elems[0])
		case schema.KindSet:
			return compatible(typ.Elems[0], prev.Elems[0])
		}
		return compatible(typ.Elems[0], prev.Elems[0]) && ValueCompatible(typ.Elems[1], prev.Elems[1])
	case schema.KindTuple, schema.KindUDT:
		return tupleCompatible(typ, prev, compatible)
	}
	return false
}

// ValueCompatible is Cassandra's isValueCompatibleWith: prev's values read
// as typ's, whatever their order.
func ValueCompatible(typ, prev schema.Type) bool {
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
		return frozenCompatible(typ, prev, ValueCompatible)
	case schema.KindTuple, schema.KindUDT:
		return tupleCompatible(typ, prev, ValueCompatible)
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
// compatible by elem (a user type is a tuple with names: a dropped user
// type column is recorded as one, see ExpandUDTs).
func tupleCompatible(typ, prev schema.Type, elem func(a, b schema.Type) bool) bool {
	if prev.Kind != schema.KindTuple && prev.Kind != schema.KindUDT || len(typ.Elems) < len(prev.Elems) {
		return false
	}
	for i := range prev.Elems {
		if !elem(typ.Elems[i], prev.Elems[i]) {
			return false
		}
	}
	return true
}
