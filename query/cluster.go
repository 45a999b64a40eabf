package query

// This file is what the node's cluster wiring (server/) needs from the
// executor: the schema as mutations to send to other nodes and merging
// theirs (the catalog's merge), the schema version, and partition keys for
// nodetool getendpoints. Rewriting system.local and system.peers when the
// topology changes is system.go's RefreshTopology.

import (
	"context"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// SchemaMutations returns the node's schema as mutations of the
// system_schema tables: every partition, tombstones included, but those of
// the local system keyspaces (each node writes its own).
func (x *Executor) SchemaMutations(ctx context.Context) ([]mutation.Mutation, error) {
	return catalog.SchemaMutations(ctx, x.cfg.Coordinator)
}

// MergeSchema merges schema mutations from another node (SchemaMutations
// there) into this node's schema, and returns the changes it made to the
// catalog, for SCHEMA_CHANGE events. Mutations of other tables, or of the
// local system keyspaces, are refused.
func (x *Executor) MergeSchema(ctx context.Context, ms []mutation.Mutation) ([]SchemaChange, error) {
	if err := catalog.CheckSchemaMutations(ms); err != nil {
		return nil, err
	}
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	before := x.catalog.Version()
	changes, err := x.catalog.MergeLocked(ctx, x.cfg.Coordinator, x.cfg.Backend, ms)
	if err != nil {
		return nil, err
	}
	if x.catalog.Version() == before {
		return changes, nil
	}
	return changes, x.recordSchemaVersionLocked(ctx)
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
		return nil, mutation.Key{}, qerr.Invalidf("unconfigured table %s.%s", keyspace, table)
	}
	comps, err := term.KeyComponents(keyspace+"."+table, t.PartitionKey(), key)
	if err != nil {
		return nil, mutation.Key{}, err
	}
	k, err := catalog.PartitionKey(comps)
	if err != nil {
		return nil, mutation.Key{}, err
	}
	return ks, k, nil
}
