package query

// This file is what the node's cluster wiring (server/) needs from the
// executor: the schema as mutations to send to other nodes, merging theirs,
// and rewriting system.local and system.peers when the topology changes.
//
// Schema travels as Cassandra's does: as the mutations of the
// system_schema tables. Merging applies them (reconciliation by timestamp
// makes the merge commutative and idempotent, so pushes and pulls may
// cross and repeat) and reloads the catalog from the tables, creating,
// altering and dropping storage to match. Absence is not deletion: a node
// that has not heard of a keyspace does not drop it from its peers; a DROP
// travels as the tombstones it wrote.

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

// SchemaMutations returns the node's schema as mutations of the
// system_schema tables: every partition, tombstones included, but those of
// the local system keyspaces (each node writes its own).
func (x *Executor) SchemaMutations(ctx context.Context) ([]mutation.Mutation, error) {
	var out []mutation.Mutation
	for _, t := range schemaTables() {
		cmd := replication.RangeCommand{Keyspace: sysTab.schema, Table: t.ID, Raw: true}
		for {
			res, err := x.cfg.Coordinator.ReadRange(ctx, cmd, replication.One)
			if err != nil {
				return nil, fmt.Errorf("query: read %s.%s: %w", t.Keyspace, t.Name, err)
			}
			for _, p := range res.Partitions {
				if ks, ok := schemaPartitionKeyspace(t, p.Key); !ok || isLocalSystemKeyspace(ks) {
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
	comps, err := splitPartitionKey(k.Bytes, len(pk))
	if err != nil {
		return "", false
	}
	return string(comps[0]), true
}

// MergeSchema merges schema mutations from another node (SchemaMutations
// there) into this node's schema, and returns the changes it made to the
// catalog, for SCHEMA_CHANGE events. Mutations of other tables, or of the
// local system keyspaces, are refused.
func (x *Executor) MergeSchema(ctx context.Context, ms []mutation.Mutation) ([]SchemaChange, error) {
	byID := map[mutation.TableID]*schema.Table{}
	for _, t := range schemaTables() {
		byID[t.ID] = t
	}
	for i := range ms {
		t := byID[ms[i].Table]
		if t == nil {
			return nil, fmt.Errorf("query: schema merge: mutation of table %s, not a schema table", ms[i].Table)
		}
		if ks, ok := schemaPartitionKeyspace(t, ms[i].Partition.Key); !ok || isLocalSystemKeyspace(ks) {
			return nil, fmt.Errorf("query: schema merge: mutation of %s.%s for keyspace %q", t.Keyspace, t.Name, ks)
		}
	}
	x.catalog.ddl.Lock()
	defer x.catalog.ddl.Unlock()
	before := x.catalog.Version()
	if len(ms) > 0 {
		if err := x.cfg.Coordinator.Write(ctx, sysTab.schema, ms, replication.One); err != nil {
			return nil, fmt.Errorf("query: schema merge: %w", err)
		}
	}
	ld, err := x.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	x.catalog.ddl.lastTimestamp = max(x.catalog.ddl.lastTimestamp, ld.maxTimestamp)
	changes, err := x.applyLoadedLocked(ld)
	if err != nil {
		return nil, err
	}
	if x.catalog.Version() == before {
		return changes, nil
	}
	return changes, x.recordSchemaVersionLocked(ctx)
}

// applyLoadedLocked makes storage and the catalog match a schema loaded
// from system_schema, and returns what changed. Storage first: a table is
// in the catalog only once its storage exists.
func (x *Executor) applyLoadedLocked(ld *loadedSchema) ([]SchemaChange, error) {
	var changes []SchemaChange
	newKS := map[string]*schema.Keyspace{}
	for _, ks := range ld.keyspaces {
		newKS[ks.Name] = ks
		old := x.catalog.Keyspace(ks.Name)
		switch {
		case old == nil:
			changes = append(changes, SchemaChange{Change: "CREATED", Target: "KEYSPACE", Keyspace: ks.Name})
		case !reflect.DeepEqual(old, ks):
			changes = append(changes, SchemaChange{Change: "UPDATED", Target: "KEYSPACE", Keyspace: ks.Name})
		}
	}
	type key struct{ ks, name string }
	newTables := map[key]*schema.Table{}
	for _, t := range ld.tables {
		newTables[key{t.Keyspace, t.Name}] = t
		old := x.catalog.Table(t.Keyspace, t.Name)
		switch {
		case old != nil && old.ID == t.ID:
			if reflect.DeepEqual(old, t) {
				continue
			}
			if err := x.cfg.Backend.AlterTable(t); err != nil {
				return nil, fmt.Errorf("query: schema merge: alter %s.%s: %w", t.Keyspace, t.Name, err)
			}
			changes = append(changes, SchemaChange{Change: "UPDATED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
		default:
			if old != nil { // dropped and created again elsewhere
				if err := x.cfg.Backend.DropTable(old.ID); err != nil {
					return nil, fmt.Errorf("query: schema merge: drop %s.%s: %w", old.Keyspace, old.Name, err)
				}
			}
			if err := x.cfg.Backend.CreateTable(t); err != nil {
				return nil, fmt.Errorf("query: schema merge: create %s.%s: %w", t.Keyspace, t.Name, err)
			}
			changes = append(changes, SchemaChange{Change: "CREATED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
		}
	}
	// What is gone: tables first, then keyspaces.
	for _, ksName := range x.catalog.Keyspaces() {
		if isLocalSystemKeyspace(ksName) || ksName == virtualKeyspaceName {
			continue
		}
		for _, t := range x.catalog.Tables(ksName) {
			if _, ok := newTables[key{t.Keyspace, t.Name}]; ok {
				continue
			}
			if err := x.cfg.Backend.DropTable(t.ID); err != nil {
				return nil, fmt.Errorf("query: schema merge: drop %s.%s: %w", t.Keyspace, t.Name, err)
			}
			x.catalog.dropTable(t.Keyspace, t.Name)
			if newKS[ksName] != nil {
				changes = append(changes, SchemaChange{Change: "DROPPED", Target: "TABLE", Keyspace: t.Keyspace, Name: t.Name})
			}
		}
		if newKS[ksName] == nil {
			x.catalog.dropKeyspace(ksName)
			changes = append(changes, SchemaChange{Change: "DROPPED", Target: "KEYSPACE", Keyspace: ksName})
		}
	}
	x.catalog.install(ld.keyspaces, ld.tables, ld.params)
	slices.SortStableFunc(changes, func(a, b SchemaChange) int {
		// Keyspaces created before their tables, for event listeners.
		return changeOrder(a) - changeOrder(b)
	})
	return changes, nil
}

func changeOrder(c SchemaChange) int {
	switch {
	case c.Target == "KEYSPACE" && c.Change != "DROPPED":
		return 0
	case c.Target == "TABLE":
		return 1
	}
	return 2
}

// SchemaVersion returns the current schema version.
func (x *Executor) SchemaVersion() [16]byte { return x.catalog.Version() }

// PartitionKey returns the keyspace of a table and the key of one of its
// partitions, written as nodetool getendpoints takes it: each component of
// the partition key as text (no quotes), components separated by ':'.
func (x *Executor) PartitionKey(keyspace, table, key string) (*schema.Keyspace, mutation.Key, error) {
	ks := x.catalog.Keyspace(keyspace)
	t := x.catalog.Table(keyspace, table)
	if ks == nil || t == nil {
		return nil, mutation.Key{}, invalidRequest("unconfigured table %s.%s", keyspace, table)
	}
	pk := t.PartitionKey()
	parts := []string{key}
	if len(pk) > 1 {
		parts = strings.Split(key, ":")
		if len(parts) != len(pk) {
			return nil, mutation.Key{}, invalidRequest("the partition key of %s.%s has %d components, %q has %d (separate them with ':')",
				keyspace, table, len(pk), key, len(parts))
		}
	}
	comps := make([][]byte, len(pk))
	for i, c := range pk {
		v, err := literalValue(textConstant(parts[i], c.Type), receiver{name: c.Name, typ: c.Type})
		if err != nil {
			return nil, mutation.Key{}, err
		}
		comps[i] = v
	}
	k, err := partitionKey(comps)
	if err != nil {
		return nil, mutation.Key{}, err
	}
	return ks, k, nil
}

// textConstant reads s as a constant of type t, as a string literal for
// the types CQL writes quoted.
func textConstant(s string, t schema.Type) *ast.Constant {
	switch t.Kind {
	case schema.KindTinyint, schema.KindSmallint, schema.KindInt, schema.KindBigint, schema.KindVarint,
		schema.KindCounter:
		return &ast.Constant{Kind: ast.IntegerConst, Text: s}
	case schema.KindFloat, schema.KindDouble, schema.KindDecimal:
		if isIntegerText(s) {
			return &ast.Constant{Kind: ast.IntegerConst, Text: s}
		}
		return &ast.Constant{Kind: ast.FloatConst, Text: s}
	case schema.KindBoolean:
		return &ast.Constant{Kind: ast.BooleanConst, Text: strings.ToLower(s)}
	case schema.KindUUID, schema.KindTimeuuid:
		return &ast.Constant{Kind: ast.UUIDConst, Text: s}
	case schema.KindBlob:
		if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
			s = "0x" + s
		}
		return &ast.Constant{Kind: ast.HexConst, Text: s}
	}
	return &ast.Constant{Kind: ast.StringConst, Text: s}
}

func isIntegerText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
