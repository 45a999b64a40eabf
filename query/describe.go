package query

// This file is Cassandra 4's server-side DESCRIBE (cqlsh 6 sends the
// statement to the server and prints what comes back): rows of
// (keyspace_name, type, name) for the listings (KEYSPACES, TABLES, ...),
// and (keyspace_name, type, name, create_statement) for the elements
// (KEYSPACE, TABLE, SCHEMA, ...), the statements runnable CQL with every
// table option, as Cassandra 4.0 prints them. Results page like
// Cassandra's: the paging state is the schema version and a row offset,
// and a page asked for after the schema changed is refused.

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/schema"
)

type describePlan struct{ st *ast.DescribeStmt }

func prepareDescribe(s *Session, st *ast.DescribeStmt) (plan, error) {
	return &describePlan{st: st}, nil
}

var describeTextType = schema.Native(schema.KindText)

func describeColumns(names ...string) []ColumnSpec {
	out := make([]ColumnSpec, len(names))
	for i, n := range names {
		out[i] = ColumnSpec{Keyspace: "system", Table: "describe", Name: n, Type: describeTextType}
	}
	return out
}

var (
	describeListColumns    = describeColumns("keyspace_name", "type", "name")
	describeElementColumns = describeColumns("keyspace_name", "type", "name", "create_statement")
)

// describeElement is one schema element of DESCRIBE's output.
type describeElement struct {
	keyspace, typ, name string
	cql                 func() string
}

const schemaChangedWhilePaging = "The schema has changed since the previous page of the DESCRIBE statement result. Please retry the DESCRIBE statement."

func (p *describePlan) execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error) {
	version, entries := x.catalog.snapshot()
	sessionKS := ""
	if s != nil {
		sessionKS = s.Keyspace
	}
	var rows [][][]byte
	var columns []ColumnSpec
	if p.st.Kind == ast.DescribeCluster {
		columns = describeColumns("cluster", "partitioner", "snitch")
		rows = [][][]byte{{[]byte(x.cfg.Topology.ClusterName()), []byte("Murmur3Partitioner"),
			[]byte("GossipingPropertyFileSnitch")}}
	} else {
		elems, listing, err := describeElements(p.st, sessionKS, entries)
		if err != nil {
			return nil, err
		}
		columns = describeElementColumns
		if listing {
			columns = describeListColumns
		}
		for _, e := range elems {
			row := [][]byte{[]byte(ast.QuoteIdent(e.keyspace)), []byte(e.typ), []byte(ast.QuoteIdent(e.name))}
			if !listing {
				row = append(row, []byte(e.cql()))
			}
			rows = append(rows, row)
		}
	}
	res := &Result{Kind: ResultRows, Columns: columns}
	var offset uint64
	if opts != nil && len(opts.PagingState) > 0 {
		ps := opts.PagingState
		if len(ps) != 24 {
			return nil, invalidRequest("Invalid paging state.")
		}
		if [16]byte(ps[:16]) != version {
			return nil, invalidRequest(schemaChangedWhilePaging)
		}
		offset = binary.BigEndian.Uint64(ps[16:])
	}
	offset = min(offset, uint64(len(rows)))
	rows = rows[offset:]
	if opts != nil && opts.PageSize > 0 && len(rows) > opts.PageSize {
		rows = rows[:opts.PageSize]
		next := binary.BigEndian.AppendUint64(append([]byte(nil), version[:]...), offset+uint64(opts.PageSize))
		res.PagingState = next
	}
	res.Rows = rows
	return res, nil
}

// describeElements returns the elements a DESCRIBE statement shows, and
// whether it is a listing (names only).
func describeElements(st *ast.DescribeStmt, sessionKS string, entries []catalogEntry) ([]describeElement, bool, error) {
	find := func(ks string) (*catalogEntry, error) {
		i := slices.IndexFunc(entries, func(e catalogEntry) bool { return e.ks.Name == ks })
		if i < 0 {
			return nil, invalidRequest("'%s' not found in keyspaces", ks)
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
			return nil, invalidRequest("No keyspace specified and no current keyspace")
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
	case ast.DescribeTypes, ast.DescribeFunctions, ast.DescribeAggregates:
		_, err := listed()
		return nil, true, err
	case ast.DescribeSchema:
		var out []describeElement
		for i := range entries {
			if st.Full || !isSystemKeyspace(entries[i].ks.Name) {
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
			return nil, false, invalidRequest("Table '%s' not found in keyspace '%s'", st.Name, e.ks.Name)
		}
		return []describeElement{tableElement(e.tables[i], e.params[i], st.WithInternals)}, false, nil
	case ast.DescribeIndex, ast.DescribeView, ast.DescribeType, ast.DescribeFunction, ast.DescribeAggregate:
		e, err := elementKeyspace()
		if err != nil {
			return nil, false, err
		}
		switch st.Kind {
		case ast.DescribeIndex:
			return nil, false, invalidRequest("Table for existing index '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeView:
			return nil, false, invalidRequest("Materialized view '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeType:
			return nil, false, invalidRequest("User defined type '%s' not found in '%s'", st.Name, e.ks.Name)
		case ast.DescribeFunction:
			return nil, false, invalidRequest("User defined function '%s' not found in '%s'", st.Name, e.ks.Name)
		}
		return nil, false, invalidRequest("User defined aggregate '%s' not found in '%s'", st.Name, e.ks.Name)
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
			return []describeElement{tableElement(e.tables[i], e.params[i], st.WithInternals)}, false, nil
		}
		return nil, false, invalidRequest("'%s' not found in keyspace '%s'", st.Name, ks)
	}
	return nil, false, invalidRequest("DESCRIBE %s is not supported", st.Kind)
}

func keyspaceElement(e *catalogEntry) describeElement {
	ks := e.ks
	return describeElement{keyspace: ks.Name, typ: "keyspace", name: ks.Name, cql: func() string { return keyspaceCQL(ks) }}
}

func tableElement(t *schema.Table, p *tableParams, internals bool) describeElement {
	return describeElement{keyspace: t.Keyspace, typ: "table", name: t.Name, cql: func() string { return tableCQL(t, p, internals) }}
}

// keyspaceElements is a keyspace followed (unless only) by its tables.
func keyspaceElements(e *catalogEntry, only, internals bool) []describeElement {
	out := []describeElement{keyspaceElement(e)}
	if !only {
		for i, t := range e.tables {
			out = append(out, tableElement(t, e.params[i], internals))
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
func tableCQL(t *schema.Table, p *tableParams, internals bool) string {
	var b strings.Builder
	qualified := ddlQualifiedName(t.Keyspace, t.Name)
	b.WriteString("CREATE TABLE ")
	b.WriteString(qualified)
	b.WriteString(" (\n")
	cols := describeColumnOrder(t)
	single := len(t.PartitionKey()) == 1 && len(t.Clustering()) == 0
	var dropped []droppedColumn
	if internals {
		dropped = p.dropped
	}
	isDropped := func(name string) bool {
		return slices.ContainsFunc(dropped, func(d droppedColumn) bool { return d.name == name })
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
		b.WriteString(describeColumn(d.name, d.typ, d.kind == schema.StaticColumn))
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
		fmt.Fprintf(&b, "\nALTER TABLE %s DROP %s USING TIMESTAMP %d;", qualified, ast.QuoteIdent(d.name), d.time)
		if c := t.Column(d.name); c != nil {
			fmt.Fprintf(&b, "\nALTER TABLE %s ADD %s;", qualified, describeColumn(c.Name, c.Type, c.Kind == schema.StaticColumn))
		}
	}
	return b.String()
}

// tableOptionsCQL lists a table's options as Cassandra 4.0 prints them, in
// its (alphabetical) order.
func tableOptionsCQL(t *schema.Table, p *tableParams) []string {
	ext := make(map[string]string, len(p.extensions))
	for k, v := range p.extensions {
		ext[k] = "0x" + hex.EncodeToString(v)
	}
	return []string{
		"additional_write_policy = " + ast.QuoteString(p.additionalWritePolicy),
		"bloom_filter_fp_chance = " + javaDouble(t.BloomFilterFPChance),
		"caching = " + describeMap(p.caching, true),
		"cdc = " + strconv.FormatBool(p.cdc),
		"comment = " + ast.QuoteString(t.Comment),
		"compaction = " + describeMap(t.Compaction, true),
		"compression = " + describeMap(t.Compression, true),
		"crc_check_chance = " + javaDouble(p.crcCheckChance),
		"default_time_to_live = " + strconv.Itoa(int(t.DefaultTTL)),
		"extensions = " + describeMap(ext, false),
		"gc_grace_seconds = " + strconv.Itoa(int(t.GCGrace)),
		"max_index_interval = " + strconv.Itoa(int(p.maxIndexInterval)),
		"memtable_flush_period_in_ms = " + strconv.Itoa(int(p.memtableFlushPeriodMs)),
		"min_index_interval = " + strconv.Itoa(int(p.minIndexInterval)),
		"read_repair = " + ast.QuoteString(p.readRepair),
		"speculative_retry = " + ast.QuoteString(p.speculativeRetry),
	}
}

// describeMap prints a map literal with its keys sorted (CqlBuilder.append).
func describeMap(m map[string]string, quoteValues bool) string {
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
	for i, t := range e.tables {
		b.WriteString(tableCQL(t, e.params[i], true))
		b.WriteString("\nids")
		for _, c := range t.Columns {
			fmt.Fprintf(b, " %s=%d", ast.QuoteIdent(c.Name), c.ID)
		}
		fmt.Fprintf(b, " next=%d\n", t.NextColumnID)
	}
}
