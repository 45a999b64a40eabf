package query

// This file defines the system keyspaces and builds an Executor on them.
//
// system and system_schema are LocalStrategy keyspaces defined in code,
// with Cassandra 4.0's tables (the columns, types and primary keys drivers
// and cqlsh read) and ids derived from their names as Cassandra derives
// them. system_auth, system_distributed and system_traces are replicated
// keyspaces without tables, created on first start, so that keyspace
// listings look like Cassandra's.
//
// The user schema lives in system_schema as in Cassandra: a row per
// keyspace in keyspaces, per table in tables, per column in columns, per
// dropped column in dropped_columns. Each DDL statement writes its change
// there (at the statement's timestamp) and New reads it back.
//
// Column ids. A cell names its column by schema.Column.ID, so the ids of a
// table's columns, and the next id to hand out, must survive restarts (a
// dropped column's id is never reused, so its old data cannot reappear in
// a column added later under the same name). Cassandra's tables have no
// place for them; wcdb keeps them in a table of its own,
//
//	system_schema.wcdb_columns (keyspace_name text, table_name text,
//	    column_ids frozen<map<text, int>>, next_column_id int,
//	    PRIMARY KEY ((keyspace_name), table_name))
//
// one row per table, rewritten whole by every change to the table's
// columns. Drivers never read it. The ids of the system tables themselves
// are their columns' positions in the definitions below: new columns must
// be appended to a definition, never inserted.
//
// Crash safety. A schema change is several mutations (one per schema
// table), applied in an order that leaves a loadable schema after any
// prefix: CREATE TABLE writes wcdb_columns, then all columns (one
// mutation), then the tables row that makes the table exist; DROP TABLE
// deletes the tables row first; ADD writes the new id before the column.

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

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

// What system.local reports.
const (
	// ReleaseVersion is the Cassandra release wcdb presents itself as
	// (system.local and system.peers release_version when the topology
	// gives none): drivers parse it as 4.0.0 and pick their Cassandra 4
	// code paths.
	ReleaseVersion = "4.0.0-wcdb"
	// CQLVersion is the CQL language version.
	CQLVersion            = "3.4.5"
	nativeProtocolVersion = "4"
	partitionerClass      = "org.apache.cassandra.dht.Murmur3Partitioner"
	// defaultStoragePort is reported as the internode port (broadcast_port,
	// listen_port, peers_v2.peer_port).
	defaultStoragePort = 7000
	defaultNativePort  = 9042
)

// isLocalSystemKeyspace reports whether ks is defined in code and kept on
// each node alone (system, system_schema).
func isLocalSystemKeyspace(ks string) bool {
	return ks == systemKeyspaceName || ks == schemaKeyspaceName || ks == virtualKeyspaceName
}

// isReplicatedSystemKeyspace reports whether ks is one of the replicated
// system keyspaces (system_auth, system_distributed, system_traces).
func isReplicatedSystemKeyspace(ks string) bool {
	return ks == authKeyspaceName || ks == distributedKeyspaceName || ks == tracesKeyspaceName
}

// isSystemKeyspace reports whether ks is a system keyspace, local or
// replicated (DESCRIBE SCHEMA leaves them out).
func isSystemKeyspace(ks string) bool {
	return isLocalSystemKeyspace(ks) || isReplicatedSystemKeyspace(ks)
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

// sysTab holds the system keyspaces and tables, built once from the
// definitions above.
var sysTab struct {
	system, schema, virtual *schema.Keyspace
	// replicated are the replicated system keyspaces as first created.
	replicated []*schema.Keyspace
	tables     []*schema.Table // all, in definition order
	params     []*tableParams  // params[i] for tables[i]

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
		st, err := parser.Parse(d.cql)
		if err != nil {
			return fmt.Errorf("query: system table %q: %w", d.cql, err)
		}
		ct, ok := st.(*ast.CreateTableStmt)
		if !ok {
			return fmt.Errorf("query: system table %q is not CREATE TABLE", d.cql)
		}
		t, params, _, err := buildTable(d.keyspace, ct)
		if err != nil {
			return fmt.Errorf("query: system table %s.%s: %w", d.keyspace, ct.Table.Name, err)
		}
		// Ids by declaration order, so that appending a column to a
		// definition keeps the ids of the others.
		for i := range t.Columns {
			t.Columns[i].ID = uint32(slices.IndexFunc(ct.Columns, func(c ast.ColumnDef) bool { return c.Name == t.Columns[i].Name }))
		}
		t.NextColumnID = uint32(len(ct.Columns))
		t.ID = systemTableID(d.keyspace, t.Name)
		t.Comment = d.comment
		params.memtableFlushPeriodMs = 3600000
		if d.keyspace == systemKeyspaceName {
			t.GCGrace = 0
		} else {
			t.GCGrace = 7 * 86400
		}
		if err := t.Validate(); err != nil {
			return err
		}
		sysTab.tables = append(sysTab.tables, t)
		sysTab.params = append(sysTab.params, params)
		byName[d.keyspace+"."+t.Name] = t
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

// schemaTables are the system_schema tables a keyspace has rows in, in
// the order a DROP KEYSPACE deletes them.
func schemaTables() []*schema.Table {
	return []*schema.Table{sysTab.keyspaces, sysTab.tablesT, sysTab.columns, sysTab.droppedColumns,
		sysTab.wcdbColumns, sysTab.triggers, sysTab.views, sysTab.types, sysTab.functions, sysTab.aggregates,
		sysTab.indexesTables}
}

// New returns the executor of a node: it defines the system keyspaces,
// creates (or reopens) the storage of every table through cfg.Backend,
// loads the user schema from system_schema, records the system keyspaces'
// own schema there (as Cassandra rewrites it at every start), and writes
// system.local and system.peers from cfg.Topology.
func New(ctx context.Context, cfg Config) (*Executor, error) {
	if cfg.Coordinator == nil || cfg.Backend == nil || cfg.Topology == nil {
		return nil, errors.New("query: Config needs a Coordinator, a Backend and a Topology")
	}
	x := &Executor{cfg: cfg, catalog: newCatalog()}
	for _, t := range sysTab.tables {
		if err := cfg.Backend.CreateTable(t); err != nil {
			return nil, fmt.Errorf("query: create system table %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	x.catalog.install([]*schema.Keyspace{sysTab.system, sysTab.schema, sysTab.virtual}, sysTab.tables, sysTab.params)

	x.catalog.ddl.Lock()
	defer x.catalog.ddl.Unlock()
	ld, err := x.loadSchema(ctx)
	if err != nil {
		return nil, err
	}
	x.catalog.ddl.lastTimestamp = max(x.catalog.ddl.lastTimestamp, ld.maxTimestamp)
	for _, t := range ld.tables {
		if err := cfg.Backend.CreateTable(t); err != nil {
			return nil, fmt.Errorf("query: open table %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	// The replicated system keyspaces, on first start: at timestamp 0, so
	// that any ALTER KEYSPACE of them wins (as Cassandra).
	first := newSysBatch(0)
	for _, ks := range sysTab.replicated {
		if !slices.ContainsFunc(ld.keyspaces, func(k *schema.Keyspace) bool { return k.Name == ks.Name }) {
			ld.keyspaces = append(ld.keyspaces, ks)
			first.addKeyspace(ks)
		}
	}
	if err := first.apply(ctx, x, sysTab.schema); err != nil {
		return nil, fmt.Errorf("query: create system keyspaces: %w", err)
	}
	if len(ld.repaired) > 0 || len(ld.orphans) > 0 {
		b := newSysBatch(x.ddlTimestampLocked(nil))
		for _, t := range ld.repaired {
			b.addColumnIDs(t)
		}
		for _, o := range ld.orphans {
			b.deletePrefix(sysTab.columns, []any{o[0], o[1]})
			b.deletePrefix(sysTab.droppedColumns, []any{o[0], o[1]})
			b.deleteRow(sysTab.wcdbColumns, []any{o[0], o[1]})
		}
		if err := b.apply(ctx, x, sysTab.schema); err != nil {
			return nil, fmt.Errorf("query: record column ids: %w", err)
		}
	}
	x.catalog.install(ld.keyspaces, ld.tables, ld.params)
	if err := x.saveSystemSchemaLocked(ctx); err != nil {
		return nil, err
	}
	if err := x.refreshTopologyLocked(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// saveSystemSchemaLocked records the definitions of system and
// system_schema in system_schema (deleting what an older release wrote).
func (x *Executor) saveSystemSchemaLocked(ctx context.Context) error {
	del := newSysBatch(x.ddlTimestampLocked(nil))
	for _, st := range schemaTables() {
		for _, ks := range []string{systemKeyspaceName, schemaKeyspaceName} {
			del.deletePartition(st, []any{ks})
		}
	}
	if err := del.apply(ctx, x, sysTab.schema); err != nil {
		return fmt.Errorf("query: record system schema: %w", err)
	}
	b := newSysBatch(x.ddlTimestampLocked(nil))
	b.addKeyspace(sysTab.system)
	b.addKeyspace(sysTab.schema)
	vb := newSysBatch(x.ddlTimestampLocked(nil))
	vb.upsert(sysTab.vKeyspaces, []any{virtualKeyspaceName}, nil, true)
	for i, t := range sysTab.tables {
		if t.Keyspace != virtualKeyspaceName {
			b.addTable(t, sysTab.params[i])
			continue
		}
		// Virtual tables are described in system_virtual_schema only.
		vb.upsert(sysTab.vTables, []any{t.Keyspace, t.Name}, map[string]any{"comment": t.Comment}, true)
		for j := range t.Columns {
			vb.upsert(sysTab.vColumns, []any{t.Keyspace, t.Name, t.Columns[j].Name}, columnRow(&t.Columns[j]), true)
		}
	}
	if err := b.apply(ctx, x, sysTab.schema); err != nil {
		return fmt.Errorf("query: record system schema: %w", err)
	}
	if err := vb.apply(ctx, x, sysTab.virtual); err != nil {
		return fmt.Errorf("query: record system_virtual_schema: %w", err)
	}
	return nil
}

// ddlTimestampLocked returns the timestamp of a schema change: the
// client's (opts.Timestamp, when given) or the clock's, and always above
// the last one, so that a change never loses to an earlier one. The ddl
// lock must be held.
func (x *Executor) ddlTimestampLocked(opts *Options) int64 {
	ts := x.now()
	if opts != nil && opts.Timestamp != mutation.NoTimestamp && opts.Timestamp > 0 {
		ts = opts.Timestamp
	}
	ts = max(ts, x.catalog.ddl.lastTimestamp+1)
	x.catalog.ddl.lastTimestamp = ts
	return ts
}

// Schema rows.

// addKeyspace writes the system_schema.keyspaces row of ks.
func (b *sysBatch) addKeyspace(ks *schema.Keyspace) {
	b.upsert(sysTab.keyspaces, []any{ks.Name}, map[string]any{
		"durable_writes": ks.DurableWrites,
		"replication":    ddlStringEntries(ks.Replication),
	}, true)
}

// ddlStringEntries returns a map<text, text> as schema.Encode takes it.
func ddlStringEntries(m map[string]string) []schema.MapEntry {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]schema.MapEntry, len(keys))
	for i, k := range keys {
		out[i] = schema.MapEntry{Key: k, Value: m[k]}
	}
	return out
}

// addTable writes every schema row of a new table, the tables row last
// (it is what makes the table exist at the next start).
func (b *sysBatch) addTable(t *schema.Table, p *tableParams) {
	b.addColumnIDs(t)
	for i := range t.Columns {
		b.addColumn(t, &t.Columns[i])
	}
	for _, d := range p.dropped {
		b.addDroppedColumn(t, d)
	}
	b.addTableRow(t, p)
}

// addTableRow writes the system_schema.tables row of t.
func (b *sysBatch) addTableRow(t *schema.Table, p *tableParams) {
	ext := make([]schema.MapEntry, 0, len(p.extensions))
	for _, k := range ddlSortedKeys(p.extensions) {
		ext = append(ext, schema.MapEntry{Key: k, Value: p.extensions[k]})
	}
	values := map[string]any{
		"bloom_filter_fp_chance":      t.BloomFilterFPChance,
		"caching":                     ddlStringEntries(p.caching),
		"comment":                     t.Comment,
		"compaction":                  ddlStringEntries(t.Compaction),
		"compression":                 ddlStringEntries(t.Compression),
		"crc_check_chance":            p.crcCheckChance,
		"dclocal_read_repair_chance":  0.0,
		"default_time_to_live":        t.DefaultTTL,
		"extensions":                  ext,
		"flags":                       []any{"compound"},
		"gc_grace_seconds":            t.GCGrace,
		"id":                          schema.UUID(t.ID),
		"max_index_interval":          p.maxIndexInterval,
		"memtable_flush_period_in_ms": p.memtableFlushPeriodMs,
		"min_index_interval":          p.minIndexInterval,
		"read_repair_chance":          0.0,
		"speculative_retry":           p.speculativeRetry,
		"additional_write_policy":     p.additionalWritePolicy,
		"read_repair":                 p.readRepair,
	}
	if p.cdc {
		values["cdc"] = true // as Cassandra: written only when set
	}
	b.upsert(sysTab.tablesT, []any{t.Keyspace, t.Name}, values, true)
}

// ddlSortedKeys returns the keys of m in order.
func ddlSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addColumn writes the system_schema.columns row of c.
func (b *sysBatch) addColumn(t *schema.Table, c *schema.Column) {
	b.upsert(sysTab.columns, []any{t.Keyspace, t.Name, c.Name}, columnRow(c), true)
}

// columnRow is the non-key content of c's row in a columns table.
func columnRow(c *schema.Column) map[string]any {
	order := "none"
	if c.Kind == schema.ClusteringColumn {
		order = "asc"
		if c.Desc {
			order = "desc"
		}
	}
	return map[string]any{
		"clustering_order":  order,
		"column_name_bytes": []byte(c.Name),
		"kind":              c.Kind.String(),
		"position":          int32(c.Position),
		"type":              c.Type.String(),
	}
}

// addDroppedColumn writes the system_schema.dropped_columns row of d.
func (b *sysBatch) addDroppedColumn(t *schema.Table, d droppedColumn) {
	b.upsert(sysTab.droppedColumns, []any{t.Keyspace, t.Name, d.name}, map[string]any{
		"dropped_time": d.time / 1000,
		"kind":         d.kind.String(),
		"type":         d.typ.String(),
	}, true)
}

// addColumnIDs writes the system_schema.wcdb_columns row of t.
func (b *sysBatch) addColumnIDs(t *schema.Table) {
	ids := make([]schema.MapEntry, len(t.Columns))
	for i, c := range t.Columns {
		ids[i] = schema.MapEntry{Key: c.Name, Value: int32(c.ID)}
	}
	b.upsert(sysTab.wcdbColumns, []any{t.Keyspace, t.Name}, map[string]any{
		"column_ids":     ids,
		"next_column_id": int32(t.NextColumnID),
	}, true)
}

// dropTable deletes every schema row of t, the tables row first.
func (b *sysBatch) dropTable(t *schema.Table) {
	b.deleteRow(sysTab.tablesT, []any{t.Keyspace, t.Name})
	b.deletePrefix(sysTab.columns, []any{t.Keyspace, t.Name})
	b.deletePrefix(sysTab.droppedColumns, []any{t.Keyspace, t.Name})
	b.deletePrefix(sysTab.triggers, []any{t.Keyspace, t.Name})
	b.deletePrefix(sysTab.indexesTables, []any{t.Keyspace, t.Name})
	b.deleteRow(sysTab.wcdbColumns, []any{t.Keyspace, t.Name})
}

// dropKeyspace deletes every schema row of a keyspace.
func (b *sysBatch) dropKeyspace(name string) {
	for _, st := range schemaTables() {
		b.deletePartition(st, []any{name})
	}
}

// Loading.

// loadedSchema is the user schema read from system_schema.
type loadedSchema struct {
	keyspaces []*schema.Keyspace
	tables    []*schema.Table
	params    []*tableParams
	// repaired are tables some of whose columns had no recorded id and
	// were given new ones (to be recorded).
	repaired []*schema.Table
	// orphans are tables (keyspace, name) with column rows but no tables
	// row: a CREATE TABLE cut short by a crash (the tables row is written
	// last) or a DROP (it is deleted first). Their rows are deleted.
	orphans      [][2]string
	maxTimestamp int64
}

// loadSchema reads the keyspaces and tables other than the local system
// ones from system_schema.
func (x *Executor) loadSchema(ctx context.Context) (*loadedSchema, error) {
	ld := &loadedSchema{maxTimestamp: mutation.NoTimestamp}
	read := func(t *schema.Table) ([]sysRow, error) {
		rows, ts, err := x.readSysTable(ctx, sysTab.schema, t)
		if err != nil {
			return nil, fmt.Errorf("query: read %s.%s: %w", t.Keyspace, t.Name, err)
		}
		ld.maxTimestamp = max(ld.maxTimestamp, ts)
		kept := rows[:0]
		for _, r := range rows {
			if !isLocalSystemKeyspace(r.text("keyspace_name")) {
				kept = append(kept, r)
			}
		}
		return kept, nil
	}
	ksRows, err := read(sysTab.keyspaces)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, r := range ksRows {
		ks := &schema.Keyspace{Name: r.text("keyspace_name"), DurableWrites: r.boolean("durable_writes"),
			Replication: r.textMap("replication")}
		ld.keyspaces = append(ld.keyspaces, ks)
		known[ks.Name] = true
	}
	tableRows, err := read(sysTab.tablesT)
	if err != nil {
		return nil, err
	}
	type key struct{ ks, table string }
	group := func(t *schema.Table) (map[key][]sysRow, error) {
		rows, err := read(t)
		if err != nil {
			return nil, err
		}
		out := map[key][]sysRow{}
		for _, r := range rows {
			k := key{r.text("keyspace_name"), r.text("table_name")}
			out[k] = append(out[k], r)
		}
		return out, nil
	}
	columns, err := group(sysTab.columns)
	if err != nil {
		return nil, err
	}
	dropped, err := group(sysTab.droppedColumns)
	if err != nil {
		return nil, err
	}
	ids, err := group(sysTab.wcdbColumns)
	if err != nil {
		return nil, err
	}
	for _, r := range tableRows {
		k := key{r.text("keyspace_name"), r.text("table_name")}
		if !known[k.ks] {
			continue // a keyspace dropped while its tables were being dropped
		}
		if len(columns[k]) == 0 {
			// A tables row without its columns (they are written together,
			// one partition, so it is all or none): a crash between the two
			// writes of a CREATE or a DROP, or of a schema merge, which
			// applies partitions in no set order. Not loaded, and not
			// deleted either: a deletion now would shadow the table on the
			// other nodes at the next merge; the next pull brings the rest.
			continue
		}
		var idRow sysRow
		if rs := ids[k]; len(rs) > 0 {
			idRow = rs[0]
		}
		t, p, repaired, err := tableFromRows(r, columns[k], dropped[k], idRow)
		if err != nil {
			return nil, fmt.Errorf("query: load table %s.%s: %w", k.ks, k.table, err)
		}
		ld.tables = append(ld.tables, t)
		ld.params = append(ld.params, p)
		if repaired {
			ld.repaired = append(ld.repaired, t)
		}
	}
	have := map[key]bool{}
	for _, r := range tableRows {
		if k := (key{r.text("keyspace_name"), r.text("table_name")}); known[k.ks] {
			have[k] = true
		}
	}
	seen := map[key]bool{}
	for _, g := range []map[key][]sysRow{columns, dropped, ids} {
		for k := range g {
			if !have[k] && !seen[k] {
				seen[k] = true
				ld.orphans = append(ld.orphans, [2]string{k.ks, k.table})
			}
		}
	}
	slices.SortFunc(ld.orphans, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	return ld, nil
}

// tableFromRows rebuilds a table from its rows in system_schema.tables,
// columns, dropped_columns and wcdb_columns. A column without a recorded
// id gets a new one (repaired).
func tableFromRows(tr sysRow, cols, dropped []sysRow, idRow sysRow) (*schema.Table, *tableParams, bool, error) {
	id, ok := tr["id"].(schema.UUID)
	if !ok {
		return nil, nil, false, errors.New("no id")
	}
	t := &schema.Table{Keyspace: tr.text("keyspace_name"), Name: tr.text("table_name"), ID: mutation.TableID(id)}
	t.BloomFilterFPChance = tr.double("bloom_filter_fp_chance", schema.DefaultBloomFilterFPChance)
	t.Comment = tr.text("comment")
	t.Compaction = tr.textMap("compaction")
	t.Compression = tr.textMap("compression")
	t.DefaultTTL = tr.int32("default_time_to_live", 0)
	t.GCGrace = tr.int32("gc_grace_seconds", schema.DefaultGCGrace)
	p := defaultTableParams()
	if m := tr.textMap("caching"); m != nil {
		p.caching = m
	}
	p.cdc = tr.boolean("cdc")
	p.crcCheckChance = tr.double("crc_check_chance", defaultCRCCheckChance)
	p.memtableFlushPeriodMs = tr.int32("memtable_flush_period_in_ms", 0)
	p.minIndexInterval = tr.int32("min_index_interval", defaultMinIndexInterval)
	p.maxIndexInterval = tr.int32("max_index_interval", defaultMaxIndexInterval)
	if s := tr.text("speculative_retry"); s != "" {
		p.speculativeRetry = s
	}
	if s := tr.text("additional_write_policy"); s != "" {
		p.additionalWritePolicy = s
	}
	if s := tr.text("read_repair"); s != "" {
		p.readRepair = s
	}
	if es, ok := tr["extensions"].([]schema.MapEntry); ok {
		for _, e := range es {
			k, _ := e.Key.(string)
			v, _ := e.Value.([]byte)
			p.extensions[k] = v
		}
	}
	for _, d := range dropped {
		typ, err := schema.ParseType(d.text("type"))
		if err != nil {
			return nil, nil, false, err
		}
		kind := schema.RegularColumn
		if d.text("kind") == "static" {
			kind = schema.StaticColumn
		}
		var ms int64
		if tm, ok := d["dropped_time"].(interface{ UnixMilli() int64 }); ok {
			ms = tm.UnixMilli()
		}
		p.dropped = append(p.dropped, droppedColumn{name: d.text("column_name"), typ: typ, kind: kind, time: ms * 1000})
	}
	sort.Slice(p.dropped, func(i, j int) bool { return p.dropped[i].name < p.dropped[j].name })

	recorded := map[string]uint32{}
	if idRow != nil {
		if es, ok := idRow["column_ids"].([]schema.MapEntry); ok {
			for _, e := range es {
				k, _ := e.Key.(string)
				v, _ := e.Value.(int32)
				recorded[k] = uint32(v)
			}
		}
		t.NextColumnID = uint32(idRow.int32("next_column_id", 0))
	}
	for _, id := range recorded {
		t.NextColumnID = max(t.NextColumnID, id+1)
	}
	var missing []int
	for _, r := range cols {
		typ, err := schema.ParseType(r.text("type"))
		if err != nil {
			return nil, nil, false, err
		}
		c := schema.Column{Name: r.text("column_name"), Type: typ, Position: int(r.int32("position", -1)),
			Desc: r.text("clustering_order") == "desc"}
		switch r.text("kind") {
		case "partition_key":
			c.Kind = schema.PartitionKeyColumn
		case "clustering":
			c.Kind = schema.ClusteringColumn
		case "static":
			c.Kind = schema.StaticColumn
		case "regular":
			c.Kind = schema.RegularColumn
		default:
			return nil, nil, false, fmt.Errorf("column %s has an unknown kind %q", c.Name, r.text("kind"))
		}
		if c.Kind == schema.StaticColumn || c.Kind == schema.RegularColumn {
			c.Position = -1
		}
		if id, ok := recorded[c.Name]; ok {
			c.ID = id
		} else {
			missing = append(missing, len(t.Columns))
		}
		t.Columns = append(t.Columns, c)
	}
	sort.SliceStable(t.Columns, func(i, j int) bool {
		a, b := t.Columns[i], t.Columns[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Kind == schema.PartitionKeyColumn || a.Kind == schema.ClusteringColumn {
			return a.Position < b.Position
		}
		return a.Name < b.Name
	})
	for i := range t.Columns {
		if _, ok := recorded[t.Columns[i].Name]; !ok {
			t.Columns[i].ID = t.NextColumnID
			t.NextColumnID++
		}
	}
	if err := t.Validate(); err != nil {
		return nil, nil, false, err
	}
	return t, p, len(missing) > 0, nil
}

// system.local and system.peers.

// RefreshTopology rewrites system.local, system.peers and system.peers_v2
// from the topology (the server calls it when the cluster's membership or
// a node's metadata changes).
func (x *Executor) RefreshTopology(ctx context.Context) error {
	x.catalog.ddl.Lock()
	defer x.catalog.ddl.Unlock()
	return x.refreshTopologyLocked(ctx)
}

func (x *Executor) refreshTopologyLocked(ctx context.Context) error {
	topo := x.cfg.Topology
	local := topo.Local()
	peers := topo.Peers()
	b := newSysBatch(x.ddlTimestampLocked(nil))
	version := x.catalog.Version()
	b.upsert(sysTab.local, []any{"local"}, map[string]any{
		"bootstrapped":            "COMPLETED",
		"broadcast_address":       sysInetValue(local.Address),
		"broadcast_port":          int32(defaultStoragePort),
		"cluster_name":            topo.ClusterName(),
		"cql_version":             CQLVersion,
		"data_center":             local.DataCenter,
		"gossip_generation":       int32(x.now() / 1e6),
		"host_id":                 schema.UUID(local.HostID),
		"listen_address":          sysInetValue(local.Address),
		"listen_port":             int32(defaultStoragePort),
		"native_protocol_version": nativeProtocolVersion,
		"partitioner":             partitionerClass,
		"rack":                    local.Rack,
		"release_version":         sysReleaseVersion(local),
		"rpc_address":             sysInetValue(local.RPCAddress),
		"rpc_port":                int32(sysNativePort(local)),
		"schema_version":          schema.UUID(version),
		"tokens":                  sysTokenSet(local.Tokens),
	}, true)

	current := map[string]bool{}
	for _, n := range peers {
		if len(n.Address) == 0 {
			continue
		}
		addr := net.IP(n.Address)
		current[addr.String()] = true
		var sv any
		switch {
		case n.Down:
			sv = schema.UUID(version)
		case n.SchemaVersion != ([16]byte{}):
			sv = schema.UUID(n.SchemaVersion)
		}
		common := map[string]any{
			"data_center":     n.DataCenter,
			"host_id":         schema.UUID(n.HostID),
			"rack":            n.Rack,
			"release_version": sysReleaseVersion(n),
			"schema_version":  sv,
			"tokens":          sysTokenSet(n.Tokens),
		}
		v1 := map[string]any{"rpc_address": sysInetValue(n.RPCAddress)}
		v2 := map[string]any{"native_address": sysInetValue(n.RPCAddress), "native_port": int32(sysNativePort(n))}
		for k, v := range common {
			v1[k], v2[k] = v, v
		}
		b.upsert(sysTab.peers, []any{addr}, v1, true)
		b.upsert(sysTab.peersV2, []any{addr, int32(defaultStoragePort)}, v2, true)
	}
	// Peers that left.
	for _, t := range []*schema.Table{sysTab.peers, sysTab.peersV2} {
		rows, _, err := x.readSysTable(ctx, sysTab.system, t)
		if err != nil {
			return fmt.Errorf("query: read %s: %w", t.Name, err)
		}
		for _, r := range rows {
			if ip, ok := r["peer"].(net.IP); ok && !current[ip.String()] {
				b.deletePartition(t, []any{ip})
			}
		}
	}
	if err := b.apply(ctx, x, sysTab.system); err != nil {
		return fmt.Errorf("query: write system.local and system.peers: %w", err)
	}
	return nil
}

// recordSchemaVersionLocked writes the catalog's version into
// system.local after a schema change.
func (x *Executor) recordSchemaVersionLocked(ctx context.Context) error {
	b := newSysBatch(x.ddlTimestampLocked(nil))
	version := schema.UUID(x.catalog.Version())
	b.update(sysTab.local, []any{"local"}, map[string]any{"schema_version": version})
	// Down peers show this node's version (see Node.Down), the new one.
	if x.cfg.Topology != nil {
		for _, n := range x.cfg.Topology.Peers() {
			if !n.Down || len(n.Address) == 0 {
				continue
			}
			addr := net.IP(n.Address)
			b.update(sysTab.peers, []any{addr}, map[string]any{"schema_version": version})
			b.update(sysTab.peersV2, []any{addr, int32(defaultStoragePort)}, map[string]any{"schema_version": version})
		}
	}
	return b.apply(ctx, x, sysTab.system)
}

func sysInetValue(b []byte) any {
	if len(b) != 4 && len(b) != 16 {
		return nil
	}
	return net.IP(b)
}

func sysTokenSet(tokens []string) any {
	if len(tokens) == 0 {
		return nil
	}
	out := make([]any, len(tokens))
	for i, t := range tokens {
		out[i] = t
	}
	return out
}

func sysReleaseVersion(n Node) string {
	if n.ReleaseVersion != "" {
		return n.ReleaseVersion
	}
	return ReleaseVersion
}

func sysNativePort(n Node) int {
	if n.RPCPort != 0 {
		return n.RPCPort
	}
	return defaultNativePort
}
