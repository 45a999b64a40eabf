package catalog

// This file is the content of Cassandra 4's server-side DESCRIBE: rows of
// (keyspace_name, type, name) for the listings (KEYSPACES, TABLES, ...),
// and (keyspace_name, type, name, create_statement) for the elements
// (KEYSPACE, TABLE, SCHEMA, ...), the statements runnable CQL with every
// table option, as Cassandra 4.0 prints them. The schema digest
// (catalog.go) is built from the same CQL.

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
	"wcdb/schema/versions"
)

// Describe returns the rows DESCRIBE st shows in session keyspace
// sessionKS ("" for none), whether they are a listing (names only), and
// the version of the schema they show (for paging). DESCRIBE CLUSTER is
// the executor's.
func (c *Catalog) Describe(st *ast.DescribeStmt, sessionKS string) ([16]byte, [][][]byte, bool, error) {
	version, entries := c.snapshot()
	elems, listing, err := describeElements(st, sessionKS, entries)
	if err != nil {
		return version, nil, false, err
	}
	var rows [][][]byte
	for _, e := range elems {
		row := [][]byte{[]byte(ast.QuoteIdent(e.keyspace)), []byte(e.typ), []byte(ast.QuoteIdent(e.name))}
		if !listing {
			row = append(row, []byte(e.cql()))
		}
		rows = append(rows, row)
	}
	return version, rows, listing, nil
}

// describeElement is one schema element of DESCRIBE's output.
type describeElement struct {
	keyspace, typ, name string
	cql                 func() string
}

// describeElements returns the elements a DESCRIBE statement shows, and
// whether it is a listing (names only).
func describeElements(st *ast.DescribeStmt, sessionKS string, entries []catalogEntry) ([]describeElement, bool, error) {
	find := func(ks string) (*catalogEntry, error) {
		i := slices.IndexFunc(entries, func(e catalogEntry) bool { return e.ks.Name == ks })
		if i < 0 {
			return nil, qerr.Invalidf("'%s' not found in keyspaces", ks)
		}
		return &entries[i], nil
	}
	// elementKeyspace is the keyspace of DESCRIBE TABLE and the like.
	elementKeyspace := func() (*catalogEntry, error) {
		ks := st.Keyspace
		if ks == "" {
			ks = sessionKS
		}
		if ks == "" {
			return nil, qerr.Invalidf("No keyspace specified and no current keyspace")
		}
		return find(ks)
	}
	// listed are the keyspaces of a listing: the session's, else all.
	listed := func() ([]catalogEntry, error) {
		if sessionKS == "" {
			return entries, nil
		}
		e, err := find(sessionKS)
		if err != nil {
			return nil, err
		}
		return []catalogEntry{*e}, nil
	}
	switch st.Kind {
	case ast.DescribeKeyspaces:
		var out []describeElement
		for i := range entries {
			out = append(out, keyspaceElement(&entries[i]))
		}
		return out, true, nil
	case ast.DescribeTables:
		es, err := listed()
		if err != nil {
			return nil, false, err
		}
		var out []describeElement
		for i := range es {
			for j := range es[i].tables {
				out = append(out, tableElement(es[i].tables[j], es[i].params[j], st.WithInternals))
			}
		}
		return out, true, nil
	case ast.DescribeTypes:
		es, err := listed()
		var out []describeElement
		for i := range es {
			for _, t := range es[i].types {
				out = append(out, typeElement(t))
			}
		}
		return out, true, err
	case ast.DescribeFunctions, ast.DescribeAggregates:
		_, err := listed()
		return nil, true, err
	case ast.DescribeSchema:
		var out []describeElement
		for i := range entries {
			if st.Full || !IsSystemKeyspace(entries[i].ks.Name) {
				out = append(out, keyspaceElements(&entries[i], false, st.WithInternals)...)
			}
		}
		return out, false, nil
	case ast.DescribeKeyspace:
		e, err := elementKeyspace()
		if err != nil {
			return nil, false, err
		}
		return keyspaceElements(e, st.Only, st.WithInternals), false, nil
	case ast.DescribeTable:
		e, err := elementKeyspace()
		if err != nil {
			return nil, false, err
		}
		i := slices.IndexFunc(e.tables, func(t *schema.Table) bool { return t.Name == st.Name })
		if i < 0 {
			return nil, false, qerr.Invalidf("Table '%s' not found in keyspace '%s'", st.Name, e.ks.Name)
		}
		return tableElements(e.tables[i], e.params[i], st.WithInternals), false, nil
	case ast.DescribeIndex, ast.DescribeView, ast.DescribeType, ast.DescribeFunction, ast.DescribeAggregate:
		e, err := elementKeyspace()
		if err != nil {
			return nil, false, err
		}
		switch st.Kind {
		case ast.DescribeIndex:
			for _, t := range e.tables {
				for _, ix := range t.Indexes {
					if ix.Name == st.Name {
						return []describeElement{indexElement(t, ix)}, false, nil
					}
				}
			}
			return nil, false, qerr.Invalidf("Table for existing index '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeView:
			return nil, false, qerr.Invalidf("Materialized view '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeType:
			if i := slices.IndexFunc(e.types, func(t schema.Type) bool { return t.User.Name == st.Name }); i >= 0 {
				return []describeElement{typeElement(e.types[i])}, false, nil
			}
			return nil, false, qerr.Invalidf("User defined type '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeFunction:
			return nil, false, qerr.Invalidf("User defined function '%s' not found in '%s'", st.Name, e.ks.Name)
		}
		return nil, false, qerr.Invalidf("User defined aggregate '%s' not found in '%s'", st.Name, e.ks.Name)
	case ast.DescribeName:
		// A keyspace, else a table (index, view) of the keyspace given or
		// the session's, in cqlsh's order.
		ks := st.Keyspace
		if ks == "" {
			if e, err := find(st.Name); err == nil {
				return keyspaceElements(e, false, st.WithInternals), false, nil
			}
			ks = sessionKS
			if ks == "" {
				ks = st.Name
			}
		}
		e, err := find(ks)
		if err != nil {
			return nil, false, err
		}
		if i := slices.IndexFunc(e.tables, func(t *schema.Table) bool { return t.Name == st.Name }); i >= 0 {
			return tableElements(e.tables[i], e.params[i], st.WithInternals), false, nil
		}
		for _, t := range e.tables {
			for _, ix := range t.Indexes {
				if ix.Name == st.Name {
					return []describeElement{indexElement(t, ix)}, false, nil
				}
			}
		}
		if i := slices.IndexFunc(e.types, func(t schema.Type) bool { return t.User.Name == st.Name }); i >= 0 {
			return []describeElement{typeElement(e.types[i])}, false, nil
		}
		return nil, false, qerr.Invalidf("'%s' not found in keyspace '%s'", st.Name, ks)
	}
	return nil, false, qerr.Invalidf("DESCRIBE %s is not supported", st.Kind)
}

func keyspaceElement(e *catalogEntry) describeElement {
	ks := e.ks
	return describeElement{keyspace: ks.Name, typ: "keyspace", name: ks.Name, cql: func() string { return keyspaceCQL(ks) }}
}

func tableElement(t *schema.Table, p *Params, internals bool) describeElement {
	return describeElement{keyspace: t.Keyspace, typ: "table", name: t.Name, cql: func() string { return tableCQL(t, p, internals) }}
}

// keyspaceElements is a keyspace followed (unless only) by its types and
// tables.
func keyspaceElements(e *catalogEntry, only, internals bool) []describeElement {
	out := []describeElement{keyspaceElement(e)}
	if !only {
		for _, t := range e.types {
			out = append(out, typeElement(t))
		}
		for i, t := range e.tables {
			out = append(out, tableElements(t, e.params[i], internals)...)
		}
	}
	return out
}

// keyspaceCQL is CREATE KEYSPACE as Cassandra 4.0 prints it (the two
// spaces before AND are Cassandra's).
func keyspaceCQL(ks *schema.Keyspace) string {
	var b strings.Builder
	b.WriteString("CREATE KEYSPACE ")
	b.WriteString(ast.QuoteIdent(ks.Name))
	b.WriteString(" WITH replication = {'class': ")
	b.WriteString(ast.QuoteString(strings.TrimPrefix(ks.Replication["class"], "org.apache.cassandra.locator.")))
	for _, k := range ddlSortedKeys(ks.Replication) {
		if k == "class" {
			continue
		}
		b.WriteString(", ")
		b.WriteString(ast.QuoteString(k))
		b.WriteString(": ")
		b.WriteString(ast.QuoteString(ks.Replication[k]))
	}
	b.WriteString("}  AND durable_writes = ")
	b.WriteString(strconv.FormatBool(ks.DurableWrites))
	b.WriteByte(';')
	return b.String()
}

// describeColumnOrder returns t's columns in the order CREATE TABLE lists
// them (Cassandra's allColumnsInCreateOrder): partition key and clustering
// columns by position, then static and then regular columns, in each kind
// the single-cell ones before the collections, by name.
func describeColumnOrder(t *schema.Table) []schema.Column {
	cols := slices.Clone(t.Columns)
	slices.SortStableFunc(cols, func(a, b schema.Column) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		if a.Kind == schema.PartitionKeyColumn || a.Kind == schema.ClusteringColumn {
			return a.Position - b.Position
		}
		if am, bm := a.Type.IsMultiCell(), b.Type.IsMultiCell(); am != bm {
			if am {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return cols
}

func describeColumn(name string, t schema.Type, static bool) string {
	s := ast.QuoteIdent(name) + " " + t.String()
	if static {
		s += " static"
	}
	return s
}

// tableCQL is CREATE TABLE as Cassandra 4.0's DESCRIBE prints it; with
// internals, also the table id, and the dropped columns (declared, then
// dropped with ALTER TABLE ... DROP ... USING TIMESTAMP, then added again
// if a column of that name exists now).
func tableCQL(t *schema.Table, p *Params, internals bool) string {
	var b strings.Builder
	qualified := QualifiedName(t.Keyspace, t.Name)
	b.WriteString("CREATE TABLE ")
	b.WriteString(qualified)
	b.WriteString(" (\n")
	cols := describeColumnOrder(t)
	single := len(t.PartitionKey()) == 1 && len(t.Clustering()) == 0
	var dropped []DroppedColumn
	if internals {
		dropped = p.Dropped
	}
	isDropped := func(name string) bool {
		return slices.ContainsFunc(dropped, func(d DroppedColumn) bool { return d.Name == name })
	}
	for i, c := range cols {
		if isDropped(c.Name) {
			continue // re-added after its drop: declared below, then added again
		}
		b.WriteString("    ")
		b.WriteString(describeColumn(c.Name, c.Type, c.Kind == schema.StaticColumn))
		if single && c.Kind == schema.PartitionKeyColumn {
			b.WriteString(" PRIMARY KEY")
		}
		if !single || len(dropped) > 0 || i < len(cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	for i, d := range dropped {
		b.WriteString("    ")
		b.WriteString(describeColumn(d.Name, d.Type, d.Kind == schema.StaticColumn))
		if !single || i < len(dropped)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	if !single {
		b.WriteString("    PRIMARY KEY (")
		pk := t.PartitionKey()
		if len(pk) > 1 {
			b.WriteByte('(')
		}
		for i, c := range pk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ast.QuoteIdent(c.Name))
		}
		if len(pk) > 1 {
			b.WriteByte(')')
		}
		for _, c := range t.Clustering() {
			b.WriteString(", ")
			b.WriteString(ast.QuoteIdent(c.Name))
		}
		b.WriteString(")\n")
	}
	b.WriteString(") WITH ")
	var opts []string
	if internals {
		opts = append(opts, "ID = "+schema.UUID(t.ID).String())
	}
	if cl := t.Clustering(); len(cl) > 0 {
		parts := make([]string, len(cl))
		for i, c := range cl {
			dir := "ASC"
			if c.Desc {
				dir = "DESC"
			}
			parts[i] = ast.QuoteIdent(c.Name) + " " + dir
		}
		opts = append(opts, "CLUSTERING ORDER BY ("+strings.Join(parts, ", ")+")")
	}
	opts = append(opts, tableOptionsCQL(t, p)...)
	b.WriteString(strings.Join(opts, "\n    AND "))
	b.WriteByte(';')
	for _, d := range dropped {
		fmt.Fprintf(&b, "\nALTER TABLE %s DROP %s USING TIMESTAMP %d;", qualified, ast.QuoteIdent(d.Name), d.Time)
		if c := t.Column(d.Name); c != nil {
			fmt.Fprintf(&b, "\nALTER TABLE %s ADD %s;", qualified, describeColumn(c.Name, c.Type, c.Kind == schema.StaticColumn))
		}
	}
	return b.String()
}

// tableOptionsCQL lists a table's options as Cassandra 4.0 prints them, in
// its (alphabetical) order.
func tableOptionsCQL(t *schema.Table, p *Params) []string {
	ext := make(map[string]string, len(p.Extensions))
	for k, v := range p.Extensions {
		ext[k] = "0x" + hex.EncodeToString(v)
	}
	out := []string{
		"additional_write_policy = " + ast.QuoteString(p.AdditionalWritePolicy),
		"bloom_filter_fp_chance = " + funcs.JavaDouble(t.BloomFilterFPChance, 64),
		"caching = " + MapLiteral(p.Caching, true),
		"cdc = " + strconv.FormatBool(p.CDC),
		"comment = " + ast.QuoteString(t.Comment),
		"compaction = " + MapLiteral(t.Compaction, true),
		"compression = " + MapLiteral(t.Compression, true),
		"crc_check_chance = " + funcs.JavaDouble(p.CRCCheckChance, 64),
		"default_time_to_live = " + strconv.Itoa(int(t.DefaultTTL)),
		"extensions = " + MapLiteral(ext, false),
		"gc_grace_seconds = " + strconv.Itoa(int(t.GCGrace)),
		"max_index_interval = " + strconv.Itoa(int(p.MaxIndexInterval)),
		"memtable_flush_period_in_ms = " + strconv.Itoa(int(p.MemtableFlushPeriodMs)),
		"min_index_interval = " + strconv.Itoa(int(p.MinIndexInterval)),
		"read_repair = " + ast.QuoteString(p.ReadRepair),
		"speculative_retry = " + ast.QuoteString(p.SpeculativeRetry),
	}
	// Ours (ScyllaDB's names), printed when not the default so that a
	// default table describes as Cassandra's does; kept in order.
	if t.PropagationDelay != schema.DefaultPropagationDelay {
		out = append(out, "propagation_delay_in_seconds = "+strconv.Itoa(int(t.PropagationDelay)))
	}
	if t.TombstoneGC != "" && t.TombstoneGC != schema.DefaultTombstoneGC {
		out = append(out, "tombstone_gc = "+MapLiteral(map[string]string{"mode": t.TombstoneGC}, true))
	}
	if m := t.CellVersions.Map(); m != nil {
		out = append(out, versions.Option+" = "+MapLiteral(m, true))
	}
	slices.Sort(out)
	return out
}

// MapLiteral prints a map literal with its keys sorted (CqlBuilder.append).
func MapLiteral(m map[string]string, quoteValues bool) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range ddlSortedKeys(m) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ast.QuoteString(k))
		b.WriteString(": ")
		if quoteValues {
			b.WriteString(ast.QuoteString(m[k]))
		} else {
			b.WriteString(m[k])
		}
	}
	b.WriteByte('}')
	return b.String()
}

// writeCanonicalKeyspace renders a keyspace for the schema digest: its
// CQL, and each table's CQL with internals (id, dropped columns) and its
// column ids.
func writeCanonicalKeyspace(b *strings.Builder, e catalogEntry) {
	b.WriteString(keyspaceCQL(e.ks))
	b.WriteByte('\n')
	for _, t := range e.types {
		b.WriteString(userTypeCQL(t))
		b.WriteByte('\n')
	}
	for i, t := range e.tables {
		b.WriteString(tableCQL(t, e.params[i], true))
		b.WriteString("\nids")
		for _, c := range t.Columns {
			fmt.Fprintf(b, " %s=%d", ast.QuoteIdent(c.Name), c.ID)
		}
		fmt.Fprintf(b, " next=%d\n", t.NextColumnID)
		for _, ix := range t.Indexes {
			b.WriteString(indexCQL(t, ix))
			b.WriteByte('\n')
		}
	}
}

// TableCQL returns a table's CREATE TABLE statement with its id and dropped
// columns, after CREATE TYPE IF NOT EXISTS of the user types it uses (what
// a snapshot's schema.cql holds, so that a restore recreates the same
// table), or "" if there is no such table.
func (c *Catalog) TableCQL(keyspace, name string) string {
	t, p := c.Table(keyspace, name), c.TableParams(keyspace, name)
	if t == nil || p == nil {
		return ""
	}
	var b strings.Builder
	for _, ut := range c.UserTypes(keyspace) {
		if slices.ContainsFunc(t.Columns, func(col schema.Column) bool { return col.Type.ReferencesUDT(keyspace, ut.User.Name) }) {
			b.WriteString(strings.Replace(userTypeCQL(ut), "CREATE TYPE ", "CREATE TYPE IF NOT EXISTS ", 1) + "\n")
		}
	}
	return b.String() + tableCQL(t, p, true)
}

// tableElements is a table followed by its indexes, as Cassandra's
// DESCRIBE TABLE shows them.
func tableElements(t *schema.Table, p *Params, internals bool) []describeElement {
	out := []describeElement{tableElement(t, p, internals)}
	for _, ix := range t.Indexes {
		out = append(out, indexElement(t, ix))
	}
	return out
}

func indexElement(t *schema.Table, ix schema.Index) describeElement {
	return describeElement{keyspace: t.Keyspace, typ: "index", name: ix.Name, cql: func() string { return indexCQL(t, ix) }}
}

// indexCQL is an index's CREATE INDEX statement, as Cassandra's
// IndexMetadata.toCqlString prints it.
func indexCQL(t *schema.Table, ix schema.Index) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	custom := ix.Kind == "CUSTOM"
	if custom {
		b.WriteString("CUSTOM ")
	}
	fmt.Fprintf(&b, "INDEX %s ON %s (%s)", ast.QuoteIdent(ix.Name), QualifiedName(t.Keyspace, t.Name), ix.Options["target"])
	if custom {
		fmt.Fprintf(&b, " USING %s", ast.QuoteString(ix.Options["class_name"]))
		rest := map[string]string{}
		for k, v := range ix.Options {
			if k != "target" && k != "class_name" {
				rest[k] = v
			}
		}
		if len(rest) > 0 {
			fmt.Fprintf(&b, " WITH OPTIONS = %s", MapLiteral(rest, true))
		}
	}
	b.WriteByte(';')
	return b.String()
}

const schemaChangedWhilePaging = "The schema has changed since the previous page of the DESCRIBE statement result. Please retry the DESCRIBE statement."

// DescribePage returns the page of a DESCRIBE result's rows that paging
// state ps (nil: the first) and page size (0: all) select, and the state
// of the next page (nil: none), as Cassandra pages them: the state is the
// schema version and a row offset, and a page asked for after the schema
// changed is refused.
func DescribePage(version [16]byte, rows [][][]byte, ps []byte, pageSize int) ([][][]byte, []byte, error) {
	var offset uint64
	if len(ps) > 0 {
		if len(ps) != 24 {
			return nil, nil, qerr.Invalidf("Invalid paging state.")
		}
		if [16]byte(ps[:16]) != version {
			return nil, nil, qerr.Invalidf(schemaChangedWhilePaging)
		}
		offset = binary.BigEndian.Uint64(ps[16:])
	}
	offset = min(offset, uint64(len(rows)))
	rows = rows[offset:]
	var next []byte
	if pageSize > 0 && len(rows) > pageSize {
		rows = rows[:pageSize]
		next = binary.BigEndian.AppendUint64(append([]byte(nil), version[:]...), offset+uint64(pageSize))
	}
	return rows, next, nil
}
