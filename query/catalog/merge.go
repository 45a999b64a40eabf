package catalog

// Schema travels between nodes as Cassandra's does: as the mutations of
// the system_schema tables. Merging applies them (reconciliation by
// timestamp makes the merge commutative and idempotent, so pushes and
// pulls may cross and repeat) and reloads the catalog from the tables,
// creating, altering and dropping storage to match. Absence is not
// deletion: a node that has not heard of a keyspace does not drop it from
// its peers; a DROP travels as the tombstones it wrote.

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
)

// Change describes a change to the catalog, for the Schema_change result
// and the SCHEMA_CHANGE event.
type Change struct {
	Change   string // "CREATED", "UPDATED" or "DROPPED"
	Target   string // "KEYSPACE", "TABLE" or "TYPE"
	Keyspace string
	Name     string // the table or type; "" for a keyspace
}

// SchemaMutations returns the node's schema as mutations of the
// system_schema tables: every partition, tombstones included, but those of
// the local system keyspaces (each node writes its own).
func SchemaMutations(ctx context.Context, st Store) ([]mutation.Mutation, error) {
	var out []mutation.Mutation
	for _, t := range schemaTables() {
		cmd := replication.RangeCommand{Keyspace: sysTab.schema, Table: t.ID, Raw: true}
		for {
			res, err := st.ReadRange(ctx, cmd, replication.One)
			if err != nil {
				return nil, fmt.Errorf("query: read %s.%s: %w", t.Keyspace, t.Name, err)
			}
			for _, p := range res.Partitions {
				if ks, ok := schemaPartitionKeyspace(t, p.Key); !ok || IsLocalSystemKeyspace(ks) {
					continue
				}
				out = append(out, mutation.Mutation{Table: t.ID, Partition: *p})
			}
			if res.Next == nil {
				break
			}
			cmd.After = res.Next
		}
	}
	return out, nil
}

// schemaPartitionKeyspace returns the keyspace a system_schema partition
// describes (every such table is partitioned by keyspace_name).
func schemaPartitionKeyspace(t *schema.Table, k mutation.Key) (string, bool) {
	pk := t.PartitionKey()
	if len(pk) == 0 || pk[0].Name != "keyspace_name" {
		return "", false
	}
	comps, err := SplitPartitionKey(k.Bytes, len(pk))
	if err != nil {
		return "", false
	}
	return string(comps[0]), true
}

// CheckSchemaMutations refuses schema mutations from another node that
// are not of the system_schema tables, or are of the local system
// keyspaces.
func CheckSchemaMutations(ms []mutation.Mutation) error {
	byID := map[mutation.TableID]*schema.Table{}
	for _, t := range schemaTables() {
		byID[t.ID] = t
	}
	for i := range ms {
		t := byID[ms[i].Table]
		if t == nil {
			return fmt.Errorf("query: schema merge: mutation of table %s, not a schema table", ms[i].Table)
		}
		if ks, ok := schemaPartitionKeyspace(t, ms[i].Partition.Key); !ok || IsLocalSystemKeyspace(ks) {
			return fmt.Errorf("query: schema merge: mutation of %s.%s for keyspace %q", t.Keyspace, t.Name, ks)
		}
	}
	return nil
}

// MergeLocked merges schema mutations from another node (checked by
// CheckSchemaMutations) into the schema: it writes them, reloads the
// schema from system_schema and makes storage and the catalog match. It
// returns the changes it made to the catalog, for SCHEMA_CHANGE events.
func (c *Catalog) MergeLocked(ctx context.Context, st Store, storage Storage, ms []mutation.Mutation) ([]Change, error) {
	if len(ms) > 0 {
		if err := st.Write(ctx, sysTab.schema, ms, replication.One); err != nil {
			return nil, fmt.Errorf("query: schema merge: %w", err)
		}
		if err := storage.SyncSchema(); err != nil {
			return nil, fmt.Errorf("query: schema merge: %w", err)
		}
	}
	ld, err := loadSchema(ctx, st)
	if err != nil {
		return nil, err
	}
	c.ddl.lastTimestamp = max(c.ddl.lastTimestamp, ld.maxTimestamp)
	return c.applyLoadedLocked(ld, storage)
}

// applyLoadedLocked makes storage and the catalog match a schema loaded
// from system_schema, and returns what changed. Storage first: a table is
// in the catalog only once its storage exists.
func (c *Catalog) applyLoadedLocked(ld *loadedSchema, storage Storage) ([]Change, error) {
	var changes []Change
	newKS := map[string]*schema.Keyspace{}
	for _, ks := range ld.keyspaces {
		newKS[ks.Name] = ks
		old := c.Keyspace(ks.Name)
		switch {
		case old == nil:
			changes = append(changes, Change{Change: "CREATED", Target: "KEYSPACE", Keyspace: ks.Name})
		case !reflect.DeepEqual(old, ks):
			changes = append(changes, Change{Change: "UPDATED", Target: "KEYSPACE", Keyspace: ks.Name})
		}
	}
	type key struct{ ks, name string }
	newTables := map[key]*schema.Table{}
	for _, t := range ld.tables {
		newTables[key{t.Keyspace, t.Name}] = t
		old := c.Table(t.Keyspace, t.Name)
		switch {
		case old != nil && old.ID == t.ID:
			if reflect.DeepEqual(old, t) {
				continue
			}
			if err := storage.AlterTable(t); err != nil {
				return nil, fmt.Errorf("query: schema merge: alter %s.%s: %w", t.Keyspace, t.Name, err)
			}
			changes = append(changes, Change{Change: "UPDATED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
		default:
			if old != nil { // dropped and created again elsewhere
				if err := storage.DropTable(old.ID); err != nil {
					return nil, fmt.Errorf("query: schema merge: drop %s.%s: %w", old.Keyspace, old.Name, err)
				}
			}
			if err := storage.CreateTable(t); err != nil {
				return nil, fmt.Errorf("query: schema merge: create %s.%s: %w", t.Keyspace, t.Name, err)
			}
			changes = append(changes, Change{Change: "CREATED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
		}
	}
	// What is gone: tables first, then keyspaces.
	for _, ksName := range c.Keyspaces() {
		if IsLocalSystemKeyspace(ksName) || ksName == virtualKeyspaceName {
			continue
		}
		for _, t := range c.Tables(ksName) {
			if _, ok := newTables[key{t.Keyspace, t.Name}]; ok {
				continue
			}
			if err := storage.DropTable(t.ID); err != nil {
				return nil, fmt.Errorf("query: schema merge: drop %s.%s: %w", t.Keyspace, t.Name, err)
			}
			c.DropTable(t.Keyspace, t.Name)
			if newKS[ksName] != nil {
				changes = append(changes, Change{Change: "DROPPED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
			}
		}
		if newKS[ksName] == nil {
			c.DropKeyspace(ksName)
			changes = append(changes, Change{Change: "DROPPED", Target: "KEYSPACE", Keyspace: ksName})
		}
	}
	changes = append(changes, typeChanges(c, ld)...)
	c.install(ld.keyspaces, ld.tables, ld.params, ld.types)
	slices.SortStableFunc(changes, func(a, b Change) int {
		// Keyspaces created before their tables, for event listeners.
		return changeOrder(a) - changeOrder(b)
	})
	return changes, nil
}

func changeOrder(c Change) int {
	switch {
	case c.Target == "KEYSPACE" && c.Change != "DROPPED":
		return 0
	case c.Target == "TYPE" && c.Change != "DROPPED":
		return 1 // before the tables that use them
	case c.Target == "TABLE":
		return 2
	}
	return 3
}

// typeChanges lists the user types a loaded schema creates, changes and
// drops in the keyspaces it has.
func typeChanges(c *Catalog, ld *loadedSchema) []Change {
	var out []Change
	for _, ks := range ld.keyspaces {
		old := map[string]schema.Type{}
		for _, t := range c.UserTypes(ks.Name) {
			old[t.User.Name] = t
		}
		for _, t := range sortedTypes(ld.types[ks.Name]) {
			o, ok := old[t.User.Name]
			switch {
			case !ok:
				out = append(out, Change{Change: "CREATED", Target: "TYPE", Keyspace: ks.Name, Name: t.User.Name})
			case !o.Equal(t):
				out = append(out, Change{Change: "UPDATED", Target: "TYPE", Keyspace: ks.Name, Name: t.User.Name})
			}
			delete(old, t.User.Name)
		}
		for n := range old {
			out = append(out, Change{Change: "DROPPED", Target: "TYPE", Keyspace: ks.Name, Name: n})
		}
	}
	return out
}
