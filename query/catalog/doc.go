// Package catalog holds the schema a node knows and how it is kept: the
// keyspaces and tables the executor resolves names against (Catalog, with
// its version digest and DDL lock), the table options CREATE and ALTER
// take in WITH (Params), the system keyspaces defined in code, the user
// schema as rows of system_schema (Batch, ReadTable) loaded at start
// (OpenLocked), the merge of schema from other nodes (SchemaMutations,
// MergeLocked), and the CQL text of DESCRIBE. It is also where partition
// key values become the ring's keys (keys.go), for all of query/.
//
// It knows nothing of the executor: it reads and writes the system tables
// through a Store (the coordinator) and creates storage through a Storage.
package catalog
