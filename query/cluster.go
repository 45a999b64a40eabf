package query

// This file is what the node's cluster wiring (server/) needs from the
// executor: the schema as mutations to send to other nodes and merging
// theirs (the catalog's merge), the schema version, and partition keys for
// nodetool getendpoints. Rewriting system.local and system.peers when the
// topology changes is system.go's RefreshTopology.

import (
	"context"
	"strings"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/plan"
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
	pk := t.PartitionKey()
	parts := []string{key}
	if len(pk) > 1 {
		parts = strings.Split(key, ":")
		if len(parts) != len(pk) {
			return nil, mutation.Key{}, qerr.Invalidf("the partition key of %s.%s has %d components, %q has %d (separate them with ':')",
				keyspace, table, len(pk), key, len(parts))
		}
	}
	comps := make([][]byte, len(pk))
	for i, c := range pk {
		v, err := term.LiteralValue(textConstant(parts[i], c.Type), plan.Receiver{Name: c.Name, Type: c.Type})
		if err != nil {
			return nil, mutation.Key{}, err
		}
		comps[i] = v
	}
	k, err := catalog.PartitionKey(comps)
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
