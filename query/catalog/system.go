package catalog

// This file defines the system keyspaces.
//
// system and system_schema are LocalStrategy keyspaces defined in code,
// with Cassandra 4.0's tables (the columns, types and primary keys drivers
// and cqlsh read) and ids derived from their names as Cassandra derives
// them. system_auth, system_distributed and system_traces are replicated
// keyspaces, created on first start, so that keyspace listings look like
// Cassandra's, with their tables (replicatedTableDefs: roles and
// permissions, the repair history), also created on first start.

import (
	"crypto/md5"
	"fmt"
	"slices"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/parser"
	"wcdb/schema"
)

// Names of the system keyspaces.
const (
	systemKeyspaceName      = "system"
	schemaKeyspaceName      = "system_schema"
	authKeyspaceName        = "system_auth"
	distributedKeyspaceName = "system_distributed"
	tracesKeyspaceName      = "system_traces"
	// virtualKeyspaceName describes Cassandra 4's virtual keyspaces (which
	// system_schema does not list); drivers read it on connect. Here it
	// describes itself.
	virtualKeyspaceName = "system_virtual_schema"
)

// IsLocalSystemKeyspace reports whether ks is defined in code and kept on
// each node alone (system, system_schema).
func IsLocalSystemKeyspace(ks string) bool {
	return ks == systemKeyspaceName || ks == schemaKeyspaceName || ks == virtualKeyspaceName
}

// IsReplicatedSystemKeyspace reports whether ks is one of the replicated
// system keyspaces (system_auth, system_distributed, system_traces).
func IsReplicatedSystemKeyspace(ks string) bool {
	return ks == authKeyspaceName || ks == distributedKeyspaceName || ks == tracesKeyspaceName
}

// IsSystemKeyspace reports whether ks is a system keyspace, local or
// replicated (DESCRIBE SCHEMA leaves them out).
func IsSystemKeyspace(ks string) bool {
	return IsLocalSystemKeyspace(ks) || IsReplicatedSystemKeyspace(ks)
}

// systemTableDefs are the system tables, as Cassandra 4.0 declares them
// (SystemKeyspace, SchemaKeyspace) plus wcdb_columns. Columns are only
// ever appended (their position is their id).
var systemTableDefs = []struct {
	keyspace, comment, cql string
}{
	{systemKeyspaceName, "information about the local node", `CREATE TABLE local (
		key text, bootstrapped text, broadcast_address inet, broadcast_port int, cluster_name text,
		cql_version text, data_center text, gossip_generation int, host_id uuid, listen_address inet,
		listen_port int, native_protocol_version text, partitioner text, rack text, release_version text,
		rpc_address inet, rpc_port int, schema_version uuid, tokens set<varchar>, truncated_at map<uuid, blob>,
		PRIMARY KEY ((key)))`},
	{systemKeyspaceName, "information about known peers in the cluster", `CREATE TABLE peers (
		peer inet, data_center text, host_id uuid, preferred_ip inet, rack text, release_version text,
		rpc_address inet, schema_version uuid, tokens set<varchar>,
		PRIMARY KEY ((peer)))`},
	{systemKeyspaceName, "per-table primary range size estimates, table is deprecated in favor of table_estimates", `CREATE TABLE size_estimates (
		keyspace_name text, table_name text, range_start text, range_end text,
		mean_partition_size bigint, partitions_count bigint,
		PRIMARY KEY ((keyspace_name), table_name, range_start, range_end))`},
	{systemKeyspaceName, "per-table range size estimates", `CREATE TABLE table_estimates (
		keyspace_name text, table_name text, range_type text, range_start text, range_end text,
		mean_partition_size bigint, partitions_count bigint,
		PRIMARY KEY ((keyspace_name), table_name, range_type, range_start, range_end))`},
	{systemKeyspaceName, "in-progress paxos proposals", `CREATE TABLE paxos (
		row_key blob, cf_id uuid, in_progress_ballot timeuuid, most_recent_commit blob,
		most_recent_commit_at timeuuid, most_recent_commit_version int, proposal blob,
		proposal_ballot timeuuid, proposal_version int,
		PRIMARY KEY ((row_key), cf_id))`},
	{systemKeyspaceName, "information about known peers in the cluster", `CREATE TABLE peers_v2 (
		peer inet, peer_port int, data_center text, host_id uuid, preferred_ip inet, preferred_port int,
		rack text, release_version text, native_address inet, native_port int, schema_version uuid,
		tokens set<varchar>,
		PRIMARY KEY ((peer), peer_port))`},
	{schemaKeyspaceName, "keyspace definitions", `CREATE TABLE keyspaces (
		keyspace_name text, durable_writes boolean, replication frozen<map<text, text>>,
		PRIMARY KEY ((keyspace_name)))`},
	{schemaKeyspaceName, "table definitions", `CREATE TABLE tables (
		keyspace_name text, table_name text, bloom_filter_fp_chance double, caching frozen<map<text, text>>,
		comment text, compaction frozen<map<text, text>>, compression frozen<map<text, text>>,
		crc_check_chance double, dclocal_read_repair_chance double, default_time_to_live int,
		extensions frozen<map<text, blob>>, flags frozen<set<text>>, gc_grace_seconds int, id uuid,
		max_index_interval int, memtable_flush_period_in_ms int, min_index_interval int,
		read_repair_chance double, speculative_retry text, additional_write_policy text, cdc boolean,
		read_repair text,
		PRIMARY KEY ((keyspace_name), table_name))`},
	{schemaKeyspaceName, "column definitions", `CREATE TABLE columns (
		keyspace_name text, table_name text, column_name text, clustering_order text,
		column_name_bytes blob, kind text, position int, type text,
		PRIMARY KEY ((keyspace_name), table_name, column_name))`},
	{schemaKeyspaceName, "trigger definitions", `CREATE TABLE triggers (
		keyspace_name text, table_name text, trigger_name text, options frozen<map<text, text>>,
		PRIMARY KEY ((keyspace_name), table_name, trigger_name))`},
	{schemaKeyspaceName, "dropped column registry", `CREATE TABLE dropped_columns (
		keyspace_name text, table_name text, column_name text, dropped_time timestamp, kind text, type text,
		PRIMARY KEY ((keyspace_name), table_name, column_name))`},
	{schemaKeyspaceName, "view definitions", `CREATE TABLE views (
		keyspace_name text, view_name text, base_table_id uuid, base_table_name text, where_clause text,
		bloom_filter_fp_chance double, caching frozen<map<text, text>>, comment text,
		compaction frozen<map<text, text>>, compression frozen<map<text, text>>, crc_check_chance double,
		dclocal_read_repair_chance double, default_time_to_live int, extensions frozen<map<text, blob>>,
		gc_grace_seconds int, id uuid, include_all_columns boolean, max_index_interval int,
		memtable_flush_period_in_ms int, min_index_interval int, read_repair_chance double,
		speculative_retry text, additional_write_policy text, cdc boolean, read_repair text,
		PRIMARY KEY ((keyspace_name), view_name))`},
	{schemaKeyspaceName, "user defined type definitions", `CREATE TABLE types (
		keyspace_name text, type_name text, field_names frozen<list<text>>, field_types frozen<list<text>>,
		PRIMARY KEY ((keyspace_name), type_name))`},
	{schemaKeyspaceName, "user defined function definitions", `CREATE TABLE functions (
		keyspace_name text, function_name text, argument_types frozen<list<text>>,
		argument_names frozen<list<text>>, body text, language text, return_type text,
		called_on_null_input boolean,
		PRIMARY KEY ((keyspace_name), function_name, argument_types))`},
	{schemaKeyspaceName, "user defined aggregate definitions", `CREATE TABLE aggregates (
		keyspace_name text, aggregate_name text, argument_types frozen<list<text>>, final_func text,
		initcond text, return_type text, state_func text, state_type text,
		PRIMARY KEY ((keyspace_name), aggregate_name, argument_types))`},
	{schemaKeyspaceName, "secondary index definitions", `CREATE TABLE indexes (
		keyspace_name text, table_name text, index_name text, kind text, options frozen<map<text, text>>,
		PRIMARY KEY ((keyspace_name), table_name, index_name))`},
	{virtualKeyspaceName, "virtual keyspace definitions", `CREATE TABLE keyspaces (
		keyspace_name text,
		PRIMARY KEY ((keyspace_name)))`},
	{virtualKeyspaceName, "virtual table definitions", `CREATE TABLE tables (
		keyspace_name text, table_name text, comment text,
		PRIMARY KEY ((keyspace_name), table_name))`},
	{virtualKeyspaceName, "virtual column definitions", `CREATE TABLE columns (
		keyspace_name text, table_name text, column_name text, clustering_order text,
		column_name_bytes blob, kind text, position int, type text,
		PRIMARY KEY ((keyspace_name), table_name, column_name))`},
	{schemaKeyspaceName, "wcdb column ids (schema.Column.ID) of every table", `CREATE TABLE wcdb_columns (
		keyspace_name text, table_name text, column_ids frozen<map<text, int>>, next_column_id int,
		PRIMARY KEY ((keyspace_name), table_name))`},
}

// replicatedTableDefs are the tables of the replicated system keyspaces,
// as Cassandra 4.0 declares them (AuthKeyspace, with its own spelling of
// resource_role_permissons_index; SystemDistributedKeyspace; TraceKeyspace). Unlike the
// local ones they are ordinary tables of the schema, created at timestamp
// 0 on first start with the same id and column ids on every node (so
// that all nodes agree on them). The repair history is kept for 30 days
// (Cassandra's TTL, CASSANDRA-12701), traces for 24 hours (TraceKeyspace's
// TTL); the repair coordinator writes the history, the role statements the
// auth tables, tracing.Writer the traces.
var replicatedTableDefs = []struct {
	keyspace, comment, cql string
}{
	{authKeyspaceName, "role definitions", `CREATE TABLE roles (
		role text, can_login boolean, is_superuser boolean, member_of set<text>, salted_hash text,
		PRIMARY KEY ((role)))
		WITH gc_grace_seconds = 7776000`},
	{authKeyspaceName, "role memberships lookup table", `CREATE TABLE role_members (
		role text, member text,
		PRIMARY KEY ((role), member))
		WITH gc_grace_seconds = 7776000`},
	{authKeyspaceName, "permissions granted to db roles", `CREATE TABLE role_permissions (
		role text, resource text, permissions set<text>,
		PRIMARY KEY ((role), resource))
		WITH gc_grace_seconds = 7776000`},
	{authKeyspaceName, "index of db roles with permissions granted on a resource", `CREATE TABLE resource_role_permissons_index (
		resource text, role text,
		PRIMARY KEY ((resource), role))
		WITH gc_grace_seconds = 7776000`},
	{distributedKeyspaceName, "Repair history", `CREATE TABLE repair_history (
		keyspace_name text, columnfamily_name text, id timeuuid, parent_id timeuuid,
		range_begin text, range_end text, coordinator inet, coordinator_port int,
		participants set<inet>, participants_v2 set<text>, exception_message text,
		exception_stacktrace text, status text, started_at timestamp, finished_at timestamp,
		PRIMARY KEY ((keyspace_name, columnfamily_name), id))
		WITH CLUSTERING ORDER BY (id DESC) AND default_time_to_live = 2592000`},
	{distributedKeyspaceName, "Repair history", `CREATE TABLE parent_repair_history (
		parent_id timeuuid, keyspace_name text, columnfamily_names set<text>,
		started_at timestamp, finished_at timestamp, exception_message text,
		exception_stacktrace text, requested_ranges set<text>, successful_ranges set<text>,
		options map<text, text>,
		PRIMARY KEY ((parent_id)))
		WITH default_time_to_live = 2592000`},
	{tracesKeyspaceName, "tracing sessions", `CREATE TABLE sessions (
		session_id uuid, command text, client inet, coordinator inet, coordinator_port int,
		duration int, parameters map<text, text>, request text, started_at timestamp,
		PRIMARY KEY ((session_id)))
		WITH default_time_to_live = 86400`},
	{tracesKeyspaceName, "tracing events", `CREATE TABLE events (
		session_id uuid, event_id timeuuid, activity text, source inet, source_elapsed int,
		thread text, source_port int,
		PRIMARY KEY ((session_id), event_id))
		WITH default_time_to_live = 86400`},
}

// sysTab holds the system keyspaces and tables, built once from the
// definitions above.
var sysTab struct {
	system, schema, virtual *schema.Keyspace
	// replicated are the replicated system keyspaces as first created.
	replicated []*schema.Keyspace
	tables     []*schema.Table // all local ones, in definition order
	params     []*Params       // params[i] for tables[i]
	// replicatedTables are the replicated system keyspaces' tables as
	// first created, and replicatedParams their parameters.
	replicatedTables []*schema.Table
	replicatedParams []*Params

	local, peers, peersV2                                        *schema.Table
	keyspaces, tablesT, columns, droppedColumns, wcdbColumns     *schema.Table
	triggers, views, types, functions, aggregates, indexesTables *schema.Table
	vKeyspaces, vTables, vColumns                                *schema.Table
}

func init() {
	if err := buildSystemTables(); err != nil {
		panic(err) // the definitions above are constant; the tests build them
	}
}

// systemTableID is Cassandra's id of a system table:
// UUID.nameUUIDFromBytes(keyspace + table).
func systemTableID(ks, table string) mutation.TableID {
	u := md5.Sum([]byte(ks + table))
	u[6] = u[6]&0x0f | 0x30
	u[8] = u[8]&0x3f | 0x80
	return u
}

func buildSystemTables() error {
	local := map[string]string{"class": schema.LocalStrategy}
	sysTab.system = &schema.Keyspace{Name: systemKeyspaceName, Replication: local, DurableWrites: true}
	sysTab.schema = &schema.Keyspace{Name: schemaKeyspaceName, Replication: local, DurableWrites: true}
	sysTab.virtual = &schema.Keyspace{Name: virtualKeyspaceName, Replication: local, DurableWrites: true}
	simple := func(name, rf string) *schema.Keyspace {
		return &schema.Keyspace{Name: name, DurableWrites: true,
			Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": rf}}
	}
	sysTab.replicated = []*schema.Keyspace{simple(authKeyspaceName, "1"), simple(distributedKeyspaceName, "3"),
		simple(tracesKeyspaceName, "2")}
	byName := map[string]*schema.Table{}
	for _, d := range systemTableDefs {
		t, params, err := buildSystemTable(d.keyspace, d.comment, d.cql)
		if err != nil {
			return err
		}
		params.MemtableFlushPeriodMs = 3600000
		if d.keyspace == systemKeyspaceName {
			t.GCGrace = 0
		} else {
			t.GCGrace = 7 * 86400
		}
		sysTab.tables = append(sysTab.tables, t)
		sysTab.params = append(sysTab.params, params)
		byName[d.keyspace+"."+t.Name] = t
	}
	for _, d := range replicatedTableDefs {
		t, params, err := buildSystemTable(d.keyspace, d.comment, d.cql)
		if err != nil {
			return err
		}
		sysTab.replicatedTables = append(sysTab.replicatedTables, t)
		sysTab.replicatedParams = append(sysTab.replicatedParams, params)
	}
	sysTab.local = byName["system.local"]
	sysTab.peers = byName["system.peers"]
	sysTab.peersV2 = byName["system.peers_v2"]
	sysTab.keyspaces = byName["system_schema.keyspaces"]
	sysTab.tablesT = byName["system_schema.tables"]
	sysTab.columns = byName["system_schema.columns"]
	sysTab.droppedColumns = byName["system_schema.dropped_columns"]
	sysTab.wcdbColumns = byName["system_schema.wcdb_columns"]
	sysTab.triggers = byName["system_schema.triggers"]
	sysTab.views = byName["system_schema.views"]
	sysTab.types = byName["system_schema.types"]
	sysTab.functions = byName["system_schema.functions"]
	sysTab.aggregates = byName["system_schema.aggregates"]
	sysTab.indexesTables = byName["system_schema.indexes"]
	sysTab.vKeyspaces = byName["system_virtual_schema.keyspaces"]
	sysTab.vTables = byName["system_virtual_schema.tables"]
	sysTab.vColumns = byName["system_virtual_schema.columns"]
	return nil
}

// buildSystemTable builds a system table from its definition, with
// Cassandra's id and column ids by declaration order (so that appending a
// column to a definition keeps the ids of the others).
func buildSystemTable(keyspace, comment, cql string) (*schema.Table, *Params, error) {
	st, err := parser.Parse(cql)
	if err != nil {
		return nil, nil, fmt.Errorf("query: system table %q: %w", cql, err)
	}
	ct, ok := st.(*ast.CreateTableStmt)
	if !ok {
		return nil, nil, fmt.Errorf("query: system table %q is not CREATE TABLE", cql)
	}
	t, params, _, err := BuildTableIn(keyspace, ct, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("query: system table %s.%s: %w", keyspace, ct.Table.Name, err)
	}
	for i := range t.Columns {
		t.Columns[i].ID = uint32(slices.IndexFunc(ct.Columns, func(c ast.ColumnDef) bool { return c.Name == t.Columns[i].Name }))
	}
	t.NextColumnID = uint32(len(ct.Columns))
	t.ID = systemTableID(keyspace, t.Name)
	t.Comment = comment
	if err := t.Validate(); err != nil {
		return nil, nil, err
	}
	return t, params, nil
}

// SystemKeyspace returns the system keyspace (system.local, system.peers,
// ...).
func SystemKeyspace() *schema.Keyspace { return sysTab.system }

// SchemaKeyspace returns the system_schema keyspace.
func SchemaKeyspace() *schema.Keyspace { return sysTab.schema }

// SystemTables returns the tables of the local system keyspaces, in
// definition order.
func SystemTables() []*schema.Table { return slices.Clone(sysTab.tables) }

// SystemTable returns the system table keyspace.name defined in code
// (system.local, system_schema.columns, ...), or nil.
func SystemTable(keyspace, name string) *schema.Table {
	for _, t := range sysTab.tables {
		if t.Keyspace == keyspace && t.Name == name {
			return t
		}
	}
	return nil
}

// schemaTables are the system_schema tables a keyspace has rows in, in
// the order a DROP KEYSPACE deletes them.
func schemaTables() []*schema.Table {
	return []*schema.Table{sysTab.keyspaces, sysTab.tablesT, sysTab.columns, sysTab.droppedColumns,
		sysTab.wcdbColumns, sysTab.triggers, sysTab.views, sysTab.types, sysTab.functions, sysTab.aggregates,
		sysTab.indexesTables}
}

// ReplicatedSystemTables returns the tables of the replicated system
// keyspaces (system_distributed.repair_history, ...) as first created.
func ReplicatedSystemTables() []*schema.Table { return slices.Clone(sysTab.replicatedTables) }
