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
