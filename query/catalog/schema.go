package catalog

// The user schema lives in system_schema as in Cassandra: a row per
// keyspace in keyspaces, per table in tables, per column in columns, per
// dropped column in dropped_columns. Each DDL statement writes its change
// there (at the statement's timestamp) and OpenLocked reads it back.
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
// are their columns' positions in their definitions (system.go): new
// columns must be appended to a definition, never inserted.
//
// Crash safety. A schema change is several mutations (one per schema
// table), applied in an order that leaves a loadable schema after any
// prefix: CREATE TABLE writes wcdb_columns, then all columns (one
// mutation), then the tables row that makes the table exist; DROP TABLE
// deletes the tables row first; ADD writes the new id before the column.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"wcdb/mutation"
	"wcdb/schema"
	"wcdb/schema/versions"
)

// Storage is what the catalog needs from the node's storage when it opens
// or merges the schema: the storage of tables as they appear, change and
// go (the executor's Backend is one). Methods are safe for concurrent use.
type Storage interface {
	// CreateTable creates (or reopens) the storage of t. It must be
	// idempotent.
	CreateTable(t *schema.Table) error
	// AlterTable applies changed options to the storage of t.
	AlterTable(t *schema.Table) error
	// DropTable removes the storage of the table.
	DropTable(id mutation.TableID) error
	// SyncSchema makes the schema rows written so far durable, whatever
	// the commit log's sync mode: a schema change must survive a power
	// loss once acknowledged (Cassandra flushes its schema tables on
	// every change), while data written with it may follow the log's
	// period.
	SyncSchema() error
}

// OpenLocked loads the catalog of a node: it defines the system keyspaces,
// creates (or reopens) the storage of every table, loads the user schema
// from system_schema, and records the system keyspaces' own schema there
// (as Cassandra rewrites it at every start). now is the clock (in
// microseconds) of the schema changes it writes. The catalog must be new.
func (c *Catalog) OpenLocked(ctx context.Context, st Store, storage Storage, now func() int64) error {
	for _, t := range sysTab.tables {
		if err := storage.CreateTable(t); err != nil {
			return fmt.Errorf("query: create system table %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	c.install([]*schema.Keyspace{sysTab.system, sysTab.schema, sysTab.virtual}, sysTab.tables, sysTab.params, nil)

	ld, err := loadSchema(ctx, st)
	if err != nil {
		return err
	}
	c.ddl.lastTimestamp = max(c.ddl.lastTimestamp, ld.maxTimestamp)
	for _, t := range ld.tables {
		if err := storage.CreateTable(t); err != nil {
			return fmt.Errorf("query: open table %s.%s: %w", t.Keyspace, t.Name, err)
		}
	}
	// The replicated system keyspaces and their tables, on first start: at
	// timestamp 0, so that any ALTER KEYSPACE of them wins (as Cassandra)
	// and every node writes the same rows.
	first := NewBatch(0)
	for _, ks := range sysTab.replicated {
		if !slices.ContainsFunc(ld.keyspaces, func(k *schema.Keyspace) bool { return k.Name == ks.Name }) {
			ld.keyspaces = append(ld.keyspaces, ks)
			first.AddKeyspace(ks)
		}
	}
	for i, t := range sysTab.replicatedTables {
		if !slices.ContainsFunc(ld.tables, func(l *schema.Table) bool { return l.ID == t.ID }) {
			if err := storage.CreateTable(t); err != nil {
				return fmt.Errorf("query: create system table %s.%s: %w", t.Keyspace, t.Name, err)
			}
			ld.tables = append(ld.tables, t)
			ld.params = append(ld.params, sysTab.replicatedParams[i])
			first.AddTable(t, sysTab.replicatedParams[i])
		}
	}
	if err := first.Apply(ctx, st, sysTab.schema); err != nil {
		return fmt.Errorf("query: create system keyspaces: %w", err)
	}
	if len(ld.repaired) > 0 || len(ld.orphans) > 0 {
		b := NewBatch(c.NextTimestampLocked(now()))
		for _, t := range ld.repaired {
			b.AddColumnIDs(t)
		}
		for _, o := range ld.orphans {
			b.DeletePrefix(sysTab.columns, []any{o[0], o[1]})
			b.DeletePrefix(sysTab.droppedColumns, []any{o[0], o[1]})
			b.DeleteRow(sysTab.wcdbColumns, []any{o[0], o[1]})
		}
		if err := b.Apply(ctx, st, sysTab.schema); err != nil {
			return fmt.Errorf("query: record column ids: %w", err)
		}
	}
	c.install(ld.keyspaces, ld.tables, ld.params, ld.types)
	return c.saveSystemSchemaLocked(ctx, st, now)
}

// saveSystemSchemaLocked records the definitions of system and
// system_schema in system_schema (deleting what an older release wrote).
func (c *Catalog) saveSystemSchemaLocked(ctx context.Context, st Store, now func() int64) error {
	del := NewBatch(c.NextTimestampLocked(now()))
	for _, t := range schemaTables() {
		for _, ks := range []string{systemKeyspaceName, schemaKeyspaceName} {
			del.DeletePartition(t, []any{ks})
		}
	}
	if err := del.Apply(ctx, st, sysTab.schema); err != nil {
		return fmt.Errorf("query: record system schema: %w", err)
	}
	b := NewBatch(c.NextTimestampLocked(now()))
	b.AddKeyspace(sysTab.system)
	b.AddKeyspace(sysTab.schema)
	vb := NewBatch(c.NextTimestampLocked(now()))
	vb.Upsert(sysTab.vKeyspaces, []any{virtualKeyspaceName}, nil, true)
	for i, t := range sysTab.tables {
		if t.Keyspace != virtualKeyspaceName {
			b.AddTable(t, sysTab.params[i])
			continue
		}
		// Virtual tables are described in system_virtual_schema only.
		vb.Upsert(sysTab.vTables, []any{t.Keyspace, t.Name}, map[string]any{"comment": t.Comment}, true)
		for j := range t.Columns {
			vb.Upsert(sysTab.vColumns, []any{t.Keyspace, t.Name, t.Columns[j].Name}, columnRow(&t.Columns[j]), true)
		}
	}
	if err := b.Apply(ctx, st, sysTab.schema); err != nil {
		return fmt.Errorf("query: record system schema: %w", err)
	}
	if err := vb.Apply(ctx, st, sysTab.virtual); err != nil {
		return fmt.Errorf("query: record system_virtual_schema: %w", err)
	}
	return nil
}

// AddKeyspace writes the system_schema.keyspaces row of ks.
func (b *Batch) AddKeyspace(ks *schema.Keyspace) {
	b.Upsert(sysTab.keyspaces, []any{ks.Name}, map[string]any{
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

// AddTable writes every schema row of a new table, the tables row last
// (it is what makes the table exist at the next start).
func (b *Batch) AddTable(t *schema.Table, p *Params) {
	b.AddColumnIDs(t)
	for i := range t.Columns {
		b.AddColumn(t, &t.Columns[i])
	}
	for _, d := range p.Dropped {
		b.AddDroppedColumn(t, d)
	}
	b.AddTableRow(t, p)
}

// The extensions keys of tombstone_gc's mode and
// propagation_delay_in_seconds (values: the mode, the number, as text).
const (
	extTombstoneGC      = "wcdb.tombstone_gc"
	extPropagationDelay = "wcdb.propagation_delay_in_seconds"
)

// AddTableRow writes the system_schema.tables row of t.
func (b *Batch) AddTableRow(t *schema.Table, p *Params) {
	exts := maps.Clone(p.Extensions)
	// Options of ours that Cassandra's tables row has no column for ride
	// in extensions, which drivers ignore; only when not the default.
	if t.TombstoneGC != "" && t.TombstoneGC != schema.DefaultTombstoneGC {
		exts[extTombstoneGC] = []byte(t.TombstoneGC)
	}
	if t.PropagationDelay != schema.DefaultPropagationDelay {
		exts[extPropagationDelay] = []byte(strconv.Itoa(int(t.PropagationDelay)))
	}
	if t.CellVersions.Enabled() {
		exts[versions.Extension] = []byte(t.CellVersions.Format())
	}
	ext := make([]schema.MapEntry, 0, len(exts))
	for _, k := range ddlSortedKeys(exts) {
		ext = append(ext, schema.MapEntry{Key: k, Value: exts[k]})
	}
	values := map[string]any{
		"bloom_filter_fp_chance":      t.BloomFilterFPChance,
		"caching":                     ddlStringEntries(p.Caching),
		"comment":                     t.Comment,
		"compaction":                  ddlStringEntries(t.Compaction),
		"compression":                 ddlStringEntries(t.Compression),
		"crc_check_chance":            p.CRCCheckChance,
		"dclocal_read_repair_chance":  0.0,
		"default_time_to_live":        t.DefaultTTL,
		"extensions":                  ext,
		"flags":                       []any{"compound"},
		"gc_grace_seconds":            t.GCGrace,
		"id":                          schema.UUID(t.ID),
		"max_index_interval":          p.MaxIndexInterval,
		"memtable_flush_period_in_ms": p.MemtableFlushPeriodMs,
		"min_index_interval":          p.MinIndexInterval,
		"read_repair_chance":          0.0,
		"speculative_retry":           p.SpeculativeRetry,
		"additional_write_policy":     p.AdditionalWritePolicy,
		"read_repair":                 p.ReadRepair,
	}
	if p.CDC {
		values["cdc"] = true // as Cassandra: written only when set
	}
	b.Upsert(sysTab.tablesT, []any{t.Keyspace, t.Name}, values, true)
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

// AddColumn writes the system_schema.columns row of c.
func (b *Batch) AddColumn(t *schema.Table, c *schema.Column) {
	b.Upsert(sysTab.columns, []any{t.Keyspace, t.Name, c.Name}, columnRow(c), true)
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

// AddDroppedColumn writes the system_schema.dropped_columns row of d.
func (b *Batch) AddDroppedColumn(t *schema.Table, d DroppedColumn) {
	b.Upsert(sysTab.droppedColumns, []any{t.Keyspace, t.Name, d.Name}, map[string]any{
		"dropped_time": d.Time / 1000,
		"kind":         d.Kind.String(),
		"type":         d.Type.String(),
	}, true)
}

// AddColumnIDs writes the system_schema.wcdb_columns row of t.
func (b *Batch) AddColumnIDs(t *schema.Table) {
	ids := make([]schema.MapEntry, len(t.Columns))
	for i, c := range t.Columns {
		ids[i] = schema.MapEntry{Key: c.Name, Value: int32(c.ID)}
	}
	b.Upsert(sysTab.wcdbColumns, []any{t.Keyspace, t.Name}, map[string]any{
		"column_ids":     ids,
		"next_column_id": int32(t.NextColumnID),
	}, true)
}

// DeleteColumn deletes the system_schema.columns row of t's column name.
func (b *Batch) DeleteColumn(t *schema.Table, name string) {
	b.DeleteRow(sysTab.columns, []any{t.Keyspace, t.Name, name})
}

// DropTable deletes every schema row of t, the tables row first.
func (b *Batch) DropTable(t *schema.Table) {
	b.DeleteRow(sysTab.tablesT, []any{t.Keyspace, t.Name})
	b.DeletePrefix(sysTab.columns, []any{t.Keyspace, t.Name})
	b.DeletePrefix(sysTab.droppedColumns, []any{t.Keyspace, t.Name})
	b.DeletePrefix(sysTab.triggers, []any{t.Keyspace, t.Name})
	b.DeletePrefix(sysTab.indexesTables, []any{t.Keyspace, t.Name})
	b.DeleteRow(sysTab.wcdbColumns, []any{t.Keyspace, t.Name})
}

// DropKeyspace deletes every schema row of a keyspace.
func (b *Batch) DropKeyspace(name string) {
	for _, st := range schemaTables() {
		b.DeletePartition(st, []any{name})
	}
}

// loadedSchema is the user schema read from system_schema.
type loadedSchema struct {
	keyspaces []*schema.Keyspace
	types     map[string]map[string]schema.Type // by keyspace, name
	tables    []*schema.Table
	params    []*Params
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
func loadSchema(ctx context.Context, st Store) (*loadedSchema, error) {
	ld := &loadedSchema{maxTimestamp: mutation.NoTimestamp}
	read := func(t *schema.Table) ([]Row, error) {
		rows, ts, err := ReadTable(ctx, st, sysTab.schema, t)
		if err != nil {
			return nil, fmt.Errorf("query: read %s.%s: %w", t.Keyspace, t.Name, err)
		}
		ld.maxTimestamp = max(ld.maxTimestamp, ts)
		kept := rows[:0]
		for _, r := range rows {
			if !IsLocalSystemKeyspace(r.Text("keyspace_name")) {
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
		ks := &schema.Keyspace{Name: r.Text("keyspace_name"), DurableWrites: r.Boolean("durable_writes"),
			Replication: r.TextMap("replication")}
		ld.keyspaces = append(ld.keyspaces, ks)
		known[ks.Name] = true
	}
	typeRows, err := read(sysTab.types)
	if err != nil {
		return nil, err
	}
	ld.types = loadTypes(typeRows)
	tableRows, err := read(sysTab.tablesT)
	if err != nil {
		return nil, err
	}
	type key struct{ ks, table string }
	group := func(t *schema.Table) (map[key][]Row, error) {
		rows, err := read(t)
		if err != nil {
			return nil, err
		}
		out := map[key][]Row{}
		for _, r := range rows {
			k := key{r.Text("keyspace_name"), r.Text("table_name")}
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
	indexes, err := group(sysTab.indexesTables)
	if err != nil {
		return nil, err
	}
	for _, r := range tableRows {
		k := key{r.Text("keyspace_name"), r.Text("table_name")}
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
		var idRow Row
		if rs := ids[k]; len(rs) > 0 {
			idRow = rs[0]
		}
		t, p, repaired, err := tableFromRows(r, columns[k], dropped[k], idRow, mapResolver(k.ks, ld.types[k.ks]))
		if err != nil {
			return nil, fmt.Errorf("query: load table %s.%s: %w", k.ks, k.table, err)
		}
		t.Indexes = indexesFromRows(indexes[k])
		ld.tables = append(ld.tables, t)
		ld.params = append(ld.params, p)
		if repaired {
			ld.repaired = append(ld.repaired, t)
		}
	}
	have := map[key]bool{}
	for _, r := range tableRows {
		if k := (key{r.Text("keyspace_name"), r.Text("table_name")}); known[k.ks] {
			have[k] = true
		}
	}
	seen := map[key]bool{}
	for _, g := range []map[key][]Row{columns, dropped, ids} {
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
func tableFromRows(tr Row, cols, dropped []Row, idRow Row, resolve schema.Resolver) (*schema.Table, *Params, bool, error) {
	id, ok := tr["id"].(schema.UUID)
	if !ok {
		return nil, nil, false, errors.New("no id")
	}
	t := &schema.Table{Keyspace: tr.Text("keyspace_name"), Name: tr.Text("table_name"), ID: mutation.TableID(id)}
	t.BloomFilterFPChance = tr.Double("bloom_filter_fp_chance", schema.DefaultBloomFilterFPChance)
	t.Comment = tr.Text("comment")
	t.Compaction = tr.TextMap("compaction")
	t.Compression = tr.TextMap("compression")
	t.DefaultTTL = tr.Int32("default_time_to_live", 0)
	t.GCGrace = tr.Int32("gc_grace_seconds", schema.DefaultGCGrace)
	p := defaultTableParams()
	if m := tr.TextMap("caching"); m != nil {
		p.Caching = m
	}
	p.CDC = tr.Boolean("cdc")
	p.CRCCheckChance = tr.Double("crc_check_chance", defaultCRCCheckChance)
	p.MemtableFlushPeriodMs = tr.Int32("memtable_flush_period_in_ms", 0)
	p.MinIndexInterval = tr.Int32("min_index_interval", defaultMinIndexInterval)
	p.MaxIndexInterval = tr.Int32("max_index_interval", defaultMaxIndexInterval)
	if s := tr.Text("speculative_retry"); s != "" {
		p.SpeculativeRetry = s
	}
	if s := tr.Text("additional_write_policy"); s != "" {
		p.AdditionalWritePolicy = s
	}
	if s := tr.Text("read_repair"); s != "" {
		p.ReadRepair = s
	}
	t.TombstoneGC = schema.DefaultTombstoneGC
	t.PropagationDelay = schema.DefaultPropagationDelay
	if es, ok := tr["extensions"].([]schema.MapEntry); ok {
		for _, e := range es {
			k, _ := e.Key.(string)
			v, _ := e.Value.([]byte)
			switch k {
			case extTombstoneGC:
				t.TombstoneGC = string(v)
			case versions.Extension:
				r, err := versions.ParseExtension(string(v))
				if err != nil {
					return nil, nil, false, err
				}
				t.CellVersions = r
			case extPropagationDelay:
				n, err := strconv.Atoi(string(v))
				if err != nil {
					return nil, nil, false, fmt.Errorf("extension %s: %q", k, v)
				}
				t.PropagationDelay = int32(n)
			default:
				p.Extensions[k] = v
			}
		}
	}
	for _, d := range dropped {
		typ, err := schema.ParseTypeIn(d.Text("type"), resolve)
		if err != nil {
			return nil, nil, false, err
		}
		kind := schema.RegularColumn
		if d.Text("kind") == "static" {
			kind = schema.StaticColumn
		}
		var ms int64
		if tm, ok := d["dropped_time"].(interface{ UnixMilli() int64 }); ok {
			ms = tm.UnixMilli()
		}
		p.Dropped = append(p.Dropped, DroppedColumn{Name: d.Text("column_name"), Type: typ, Kind: kind, Time: ms * 1000})
	}
	sort.Slice(p.Dropped, func(i, j int) bool { return p.Dropped[i].Name < p.Dropped[j].Name })

	recorded := map[string]uint32{}
	if idRow != nil {
		if es, ok := idRow["column_ids"].([]schema.MapEntry); ok {
			for _, e := range es {
				k, _ := e.Key.(string)
				v, _ := e.Value.(int32)
				recorded[k] = uint32(v)
			}
		}
		t.NextColumnID = uint32(idRow.Int32("next_column_id", 0))
	}
	for _, id := range recorded {
		t.NextColumnID = max(t.NextColumnID, id+1)
	}
	var missing []int
	for _, r := range cols {
		typ, err := schema.ParseTypeIn(r.Text("type"), resolve)
		if err != nil {
			return nil, nil, false, err
		}
		c := schema.Column{Name: r.Text("column_name"), Type: typ, Position: int(r.Int32("position", -1)),
			Desc: r.Text("clustering_order") == "desc"}
		switch r.Text("kind") {
		case "partition_key":
			c.Kind = schema.PartitionKeyColumn
		case "clustering":
			c.Kind = schema.ClusteringColumn
		case "static":
			c.Kind = schema.StaticColumn
		case "regular":
			c.Kind = schema.RegularColumn
		default:
			return nil, nil, false, fmt.Errorf("column %s has an unknown kind %q", c.Name, r.Text("kind"))
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
