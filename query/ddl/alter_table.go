// Package ddl computes schema changes: from the schema objects a
// statement changes and the statement, the new objects and the
// system_schema batch that records them, with Cassandra's checks and
// messages. The executor (package query) runs them under the catalog's
// DDL lock, then applies them to storage, system_schema and the catalog.
package ddl

import (
	"fmt"
	"slices"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// TableChange is what an ALTER TABLE changes.
type TableChange struct {
	Table  *schema.Table
	Params *catalog.Params
	Batch  *catalog.Batch
	// Storage is set when the storage options changed (WITH ...): the
	// backend must alter the table before the schema records it.
	Storage bool
}

// AlterTable computes ALTER TABLE st on old, whose parameters are params,
// at timestamp ts, with the keyspace's user types (resolve). A nil change
// (and nil error) is a no-op: IF [NOT] EXISTS matched nothing to do.
func AlterTable(old *schema.Table, params *catalog.Params, st *ast.AlterTableStmt, ts int64, resolve schema.Resolver) (*TableChange, error) {
	t := old.Clone()
	params = params.Clone()
	b := catalog.NewBatch(ts)
	qualified := catalog.QualifiedName(t.Keyspace, t.Name)
	changed := false
	storage := false
	switch st.Action {
	case ast.AlterAdd:
		var added []string
		for _, c := range st.Add {
			if t.Column(c.Name) != nil && st.IfColumnNotExists {
				continue
			}
			if t.Column(c.Name) != nil {
				return nil, qerr.Invalidf("Column with name '%s' already exists", c.Name)
			}
			typ, err := catalog.ColumnTypeIn(t.Keyspace, c.Type, resolve)
			if err == nil {
				err = catalog.CheckReAdd(params, t, c.Name, typ, c.Static)
			}
			if err != nil {
				return nil, err
			}
			if err := t.AddColumn(c.Name, typ, c.Static); err != nil {
				return nil, qerr.FromSchema(err)
			}
			added = append(added, c.Name)
		}
		if len(added) == 0 {
			return nil, nil
		}
		// The ids first: a crash before the columns leaves an unused id.
		b.AddColumnIDs(t)
		// A column added again after a drop keeps its dropped_columns
		// record, as in Cassandra (DESCRIBE ... WITH INTERNALS replays
		// both); having a new id, it never sees the old column's data.
		for _, n := range added {
			b.AddColumn(t, t.Column(n))
		}
		changed = true
	case ast.AlterDrop:
		dropTime := ts
		if st.DropTimestamp != nil {
			if _, err := fmt.Sscan(catalog.PropText(st.DropTimestamp), &dropTime); err != nil {
				return nil, qerr.Invalidf("Invalid timestamp %s", catalog.PropText(st.DropTimestamp))
			}
		}
		var dropped []schema.Column
		for _, n := range st.Drop {
			c := t.Column(n)
			if c == nil {
				if st.IfColumnExists {
					continue
				}
				return nil, qerr.Invalidf("Column %s was not found in table '%s'", n, qualified)
			}
			if c.Kind == schema.PartitionKeyColumn || c.Kind == schema.ClusteringColumn {
				return nil, qerr.Invalidf("Cannot drop PRIMARY KEY column %s", n)
			}
			if err := checkNoDependentIndexes(t, n); err != nil {
				return nil, err
			}
			cc := *c
			if err := t.DropColumn(n); err != nil {
				return nil, qerr.FromSchema(err)
			}
			// system_schema.dropped_columns keeps milliseconds: so does
			// the catalog, so that the schema digest is the same after a
			// restart.
			params.AddDropped(&cc, dropTime/1000*1000)
			dropped = append(dropped, cc)
		}
		if len(dropped) == 0 {
			return nil, nil
		}
		for _, c := range dropped {
			b.DeleteColumn(t, c.Name)
		}
		for _, c := range dropped {
			i := slices.IndexFunc(params.Dropped, func(d catalog.DroppedColumn) bool { return d.Name == c.Name })
			b.AddDroppedColumn(t, params.Dropped[i])
		}
		b.AddColumnIDs(t)
		changed = true
	case ast.AlterRename:
		renamed := false
		for _, r := range st.Renames {
			i := slices.IndexFunc(t.Columns, func(c schema.Column) bool { return c.Name == r.From })
			if i < 0 {
				if st.IfColumnExists {
					continue
				}
				return nil, qerr.Invalidf("Column %s was not found in table %s", r.From, qualified)
			}
			if k := t.Columns[i].Kind; k != schema.PartitionKeyColumn && k != schema.ClusteringColumn {
				return nil, qerr.Invalidf("Cannot rename non PRIMARY KEY column %s", r.From)
			}
			if t.Column(r.To) != nil {
				return nil, qerr.Invalidf("Cannot rename column %s to %s in table '%s'; another column with that name already exists", r.From, r.To, qualified)
			}
			t.Columns[i].Name = r.To
			renamed = true
			// One mutation of system_schema.columns (merged): the old row
			// goes and the new one comes together.
			b.DeleteColumn(t, r.From)
			b.AddColumn(t, &t.Columns[i])
		}
		if !renamed {
			return nil, nil
		}
		if err := t.Validate(); err != nil {
			return nil, qerr.FromSchema(err)
		}
		b.AddColumnIDs(t)
		changed = true
	case ast.AlterWith:
		id, err := catalog.ApplyTableProps(st.Properties, &t.TableOptions, params)
		if err != nil {
			return nil, qerr.FromSchema(err)
		}
		if id != nil {
			return nil, qerr.Configf("Cannot alter table id.")
		}
		if err := t.CheckCounterOptions(); err != nil {
			return nil, qerr.FromSchema(err)
		}
		b.AddTableRow(t, params)
		changed, storage = true, true
	}
	if !changed {
		return nil, nil
	}
	return &TableChange{Table: t, Params: params, Batch: b, Storage: storage}, nil
}
