package parser

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"wcdb/query/ast"
)

// TestParse runs the files in testdata/parse. Commands:
//
//	parse          one statement → its canonical String(), or the error
//	parse-all      a script → one canonical statement per line, then the error if any
//	markers        one statement → its bind markers
//	ast            one statement → its tree, field by field
//
// Every statement that parses is also checked for the round trip: its
// String() parses again to a statement with the same String().
func TestParse(t *testing.T) {
	datadriven.Walk(t, "testdata/parse", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				st, err := Parse(d.Input)
				if err != nil {
					return describeError(err)
				}
				checkRoundTrip(t, d.Pos, st)
				return st.String() + "\n"
			case "parse-all":
				sts, err := ParseAll(d.Input)
				var b strings.Builder
				for _, st := range sts {
					checkRoundTrip(t, d.Pos, st)
					b.WriteString(st.String())
					b.WriteString(";\n")
				}
				if err != nil {
					b.WriteString(describeError(err))
				}
				return b.String()
			case "markers":
				st, err := Parse(d.Input)
				if err != nil {
					return describeError(err)
				}
				out := markerLines(st)
				if bs, ok := st.(*ast.BatchStmt); ok {
					for i, sub := range bs.Statements {
						out += fmt.Sprintf("statement %d:", i)
						for _, m := range sub.BindMarkers() {
							out += fmt.Sprintf(" %d", m.Index)
						}
						out += "\n"
					}
				}
				return out
			case "ast":
				st, err := Parse(d.Input)
				if err != nil {
					return describeError(err)
				}
				var b strings.Builder
				dump(&b, reflect.ValueOf(st), 0)
				return b.String()
			default:
				t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
				return ""
			}
		})
	})
}

func markerLines(st ast.Statement) string {
	var b strings.Builder
	for _, m := range st.BindMarkers() {
		fmt.Fprintf(&b, "%d %q %s %d:%d\n", m.Index, m.Name, m.Role, m.Line, m.Col)
	}
	return b.String()
}

// describeError renders an error with its kind, so tests see which answer
// the server would give.
func describeError(err error) string {
	var se *SyntaxError
	var ie *InvalidError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at %d:%d (eof=%v): %s\n", se.Line, se.Col, se.AtEOF, se.Error())
	case errors.As(err, &ie):
		kind := "invalid"
		if ie.Unsupported {
			kind = "unsupported"
		}
		return fmt.Sprintf("%s at %d:%d: %s\n", kind, ie.Line, ie.Col, ie.Error())
	}
	return "unexpected error type " + reflect.TypeOf(err).String() + ": " + err.Error() + "\n"
}

// checkRoundTrip fails the test unless st's canonical text parses back to a
// statement with the same text and the same number of bind markers.
func checkRoundTrip(t *testing.T, pos string, st ast.Statement) {
	t.Helper()
	text := st.String()
	again, err := Parse(text)
	if err != nil {
		t.Errorf("%s: canonical form %q does not parse: %v", pos, text, err)
		return
	}
	if got := again.String(); got != text {
		t.Errorf("%s: round trip changed the statement:\n got %s\nwant %s", pos, got, text)
	}
	if got, want := len(again.BindMarkers()), len(st.BindMarkers()); got != want {
		t.Errorf("%s: round trip has %d bind markers, want %d", pos, got, want)
	}
}

// dump prints a tree one field per line, skipping zero values, so tests show
// the shape the analyzer will see.
func dump(b *strings.Builder, v reflect.Value, depth int) {
	indent := strings.Repeat("  ", depth)
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil\n")
			return
		}
		if v.Kind() == reflect.Pointer {
			b.WriteString("*")
		}
		dump(b, v.Elem(), depth)
	case reflect.Struct:
		b.WriteString(v.Type().Name())
		if v.Type() == reflect.TypeOf(ast.BindMarker{}) {
			m := v.Interface().(ast.BindMarker)
			fmt.Fprintf(b, " #%d %q %s\n", m.Index, m.Name, m.Role)
			return
		}
		if v.Type() == reflect.TypeOf(ast.TypeExpr{}) {
			fmt.Fprintf(b, " %s\n", v.Interface().(ast.TypeExpr).String())
			return
		}
		if v.Type() == reflect.TypeOf(ast.TableName{}) {
			fmt.Fprintf(b, " %s\n", v.Interface().(ast.TableName).String())
			return
		}
		if v.Type() == reflect.TypeOf(ast.Constant{}) {
			c := v.Interface().(ast.Constant)
			fmt.Fprintf(b, " %s %q\n", c.Kind, c.Text)
			return
		}
		b.WriteString("\n")
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || v.Field(i).IsZero() {
				continue
			}
			fmt.Fprintf(b, "%s  %s: ", indent, f.Name)
			dump(b, v.Field(i), depth+1)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			b.WriteString("[]\n")
			return
		}
		b.WriteString("\n")
		for i := 0; i < v.Len(); i++ {
			fmt.Fprintf(b, "%s  - ", indent)
			dump(b, v.Index(i), depth+1)
		}
	default:
		switch x := v.Interface().(type) {
		case ast.Operator:
			fmt.Fprintf(b, "%s\n", x)
		case byte:
			fmt.Fprintf(b, "%q\n", x)
		case fmt.Stringer:
			fmt.Fprintf(b, "%s\n", x)
		default:
			fmt.Fprintf(b, "%#v\n", v.Interface())
		}
	}
}

// driverQueries are the statements gocql and the DataStax Python driver
// send on connect and for schema metadata (gocql conn.go, host_source.go,
// metadata.go; python-driver cluster.py, metadata.py), with bind parameters
// as the drivers send them (gocql binds ?, the Python driver inlines
// literals).
var driverQueries = []string{
	// gocql
	`SELECT * FROM system.local WHERE key='local'`,
	`SELECT schema_version FROM system.local WHERE key='local'`,
	`SELECT * FROM system.peers`,
	`SELECT * FROM system.peers_v2`,
	`SELECT peer, data_center, host_id, preferred_ip, rack, release_version, rpc_address, schema_version, tokens FROM system.peers`,
	`SELECT * FROM system_schema.keyspaces`,
	`USE "my_keyspace"`,
	"\n\t\tSELECT durable_writes, replication\n\t\tFROM system_schema.keyspaces\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\ttable_name\n\t\tFROM system_schema.tables\n\t\tWHERE keyspace_name = ?",
	"\n\t\t\t\tSELECT\n\t\t\t\t\tview_name\n\t\t\t\tFROM system_schema.views\n\t\t\t\tWHERE keyspace_name = ?",
	"\n\t\t\tSELECT\n\t\t\t\ttable_name,\n\t\t\t\tcolumn_name,\n\t\t\t\tclustering_order,\n\t\t\t\ttype,\n\t\t\t\tkind,\n\t\t\t\tposition\n\t\t\tFROM system_schema.columns\n\t\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\ttype_name,\n\t\t\tfield_names,\n\t\t\tfield_types\n\t\tFROM system_schema.types\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tfunction_name,\n\t\t\targument_types,\n\t\t\targument_names,\n\t\t\tbody,\n\t\t\tcalled_on_null_input,\n\t\t\tlanguage,\n\t\t\treturn_type\n\t\tFROM system_schema.functions\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\taggregate_name,\n\t\t\targument_types,\n\t\t\tfinal_func,\n\t\t\tinitcond,\n\t\t\treturn_type,\n\t\t\tstate_func,\n\t\t\tstate_type\n\t\tFROM system_schema.aggregates\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tview_name,\n\t\t\tbase_table_id,\n\t\t\tbase_table_name,\n\t\t\tbloom_filter_fp_chance,\n\t\t\tcaching,\n\t\t\tcomment,\n\t\t\tcompaction,\n\t\t\tcompression,\n\t\t\tcrc_check_chance,\n\t\t\tdclocal_read_repair_chance,\n\t\t\tdefault_time_to_live,\n\t\t\textensions,\n\t\t\tgc_grace_seconds,\n\t\t\tid,\n\t\t\tinclude_all_columns,\n\t\t\tmax_index_interval,\n\t\t\tmemtable_flush_period_in_ms,\n\t\t\tmin_index_interval,\n\t\t\tread_repair_chance,\n\t\t\tspeculative_retry\n\t\tFROM system_schema.views\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT durable_writes, strategy_class, strategy_options\n\t\tFROM system.schema_keyspaces\n\t\tWHERE keyspace_name = ?",
	"\n\t\tSELECT\n\t\t\tcolumnfamily_name,\n\t\t\tkey_validator,\n\t\t\tcomparator,\n\t\t\tdefault_validator,\n\t\t\tkey_aliases,\n\t\t\tcolumn_aliases,\n\t\t\tvalue_alias\n\t\tFROM system.schema_columnfamilies\n\t\tWHERE keyspace_name = ?",
	// DataStax Python driver: control connection
	`SELECT host_id, peer, data_center, rack, rpc_address, native_transport_address, release_version, schema_version FROM system.peers`,
	`SELECT host_id, cluster_name, data_center, rack, partitioner, release_version, schema_version FROM system.local WHERE key='local'`,
	`SELECT rpc_address FROM system.local WHERE key='local'`,
	`SELECT peer, host_id, rpc_address, schema_version FROM system.peers`,
	`SELECT host_id, peer, peer_port, data_center, rack, native_address, native_port, release_version, schema_version FROM system.peers_v2`,
	`SELECT host_id, peer, peer_port, native_address, native_port, schema_version FROM system.peers_v2`,
	// DataStax Python driver: schema parser V4 (bind_params inlines values)
	`SELECT * FROM system_schema.tables`,
	`SELECT * FROM system_schema.columns`,
	`SELECT * FROM system_schema.indexes`,
	`SELECT * FROM system_schema.triggers`,
	`SELECT * FROM system_schema.types`,
	`SELECT * FROM system_schema.functions`,
	`SELECT * FROM system_schema.aggregates`,
	`SELECT * FROM system_schema.views`,
	`SELECT * from system_virtual_schema.keyspaces`,
	`SELECT * from system_virtual_schema.tables`,
	`SELECT * from system_virtual_schema.columns`,
	`SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'`,
	`SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'`,
	`SELECT * FROM system_schema.indexes WHERE keyspace_name = 'ks' AND table_name = 't'`,
	`SELECT * FROM system_schema.triggers WHERE keyspace_name = 'ks' AND table_name = 't'`,
	`SELECT * FROM system_schema.views WHERE keyspace_name = 'ks' AND view_name = 't'`,
	`SELECT * FROM system_schema.types WHERE keyspace_name = 'ks' AND type_name = 'address'`,
	`SELECT * FROM system_schema.functions WHERE keyspace_name = 'ks' AND function_name = 'f' AND argument_types = ['int', 'text']`,
	`SELECT * FROM system_schema.aggregates WHERE keyspace_name = 'ks' AND aggregate_name = 'a' AND argument_types = ['int']`,
	`SELECT * FROM system_schema.keyspaces WHERE keyspace_name = 'ks'`,
	`USE "Ks"`,
	`USE ks`,
	// Prepared statements the drivers' own examples use.
	`INSERT INTO tweet (timeline, id, text) VALUES (?, ?, ?)`,
	`SELECT id, text FROM tweet WHERE timeline = ? LIMIT 1`,
	`SELECT * FROM users WHERE id=?`,
}

func TestDriverQueries(t *testing.T) {
	for _, q := range driverQueries {
		st, err := Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		if _, ok := st.(*ast.SelectStmt); !ok {
			switch st.(type) {
			case *ast.UseStmt, *ast.InsertStmt:
			default:
				t.Errorf("Parse(%q) = %T, want a SELECT", q, st)
			}
		}
		checkRoundTrip(t, q, st)
	}
}

// cassandra4Describe is what cqlsh (and Cassandra 4.1's DESCRIBE) prints
// for a keyspace and a table; the shell must be able to replay it.
const cassandra4Describe = `
CREATE KEYSPACE resto_ny WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TABLE resto_ny.inspection (
    idrestaurant int,
    inspectiondate date,
    criticalflag text,
    grade text,
    score int,
    violationcode text,
    violationdescription text,
    PRIMARY KEY (idrestaurant, inspectiondate)
) WITH CLUSTERING ORDER BY (inspectiondate ASC)
    AND additional_write_policy = '99p'
    AND allow_auto_snapshot = true
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND incremental_backups = true
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';

CREATE TABLE nosql.applications_by_candidate_job (
    candidate_id uuid,
    job_id uuid,
    applied_at timestamp,
    answers map<text, frozen<list<text>>>,
    PRIMARY KEY ((candidate_id, job_id))
) WITH additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys':'ALL','rows_per_partition':'NONE'}
    AND comment = ''
    AND speculative_retry = '99p';

CREATE TABLE system.local (
    key text PRIMARY KEY,
    bootstrapped text,
    broadcast_address inet,
    broadcast_port int,
    cluster_name text,
    cql_version text,
    data_center text,
    gossip_generation int,
    host_id uuid,
    listen_address inet,
    listen_port int,
    native_protocol_version text,
    partitioner text,
    rack text,
    release_version text,
    rpc_address inet,
    rpc_port int,
    schema_version uuid,
    tokens set<text>,
    truncated_at map<uuid, blob>
) WITH additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = 'information about the local node'
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 0
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 3600000
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';
`

func TestDescribeOutputReplays(t *testing.T) {
	sts, err := ParseAll(cassandra4Describe)
	if err != nil {
		t.Fatalf("ParseAll: %v", err)
	}
	if len(sts) != 4 {
		t.Fatalf("got %d statements, want 4", len(sts))
	}
	ct, ok := sts[1].(*ast.CreateTableStmt)
	if !ok {
		t.Fatalf("statement 1 is %T, want *CreateTableStmt", sts[1])
	}
	if got, want := len(ct.Properties), 19; got != want {
		t.Errorf("got %d properties, want %d", got, want)
	}
	if got, want := ct.Properties[3].Value.String(), `{'keys': 'ALL', 'rows_per_partition': 'NONE'}`; got != want {
		t.Errorf("caching = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(ct.PartitionKey, ct.Clustering), "[idrestaurant] [inspectiondate]"; got != want {
		t.Errorf("primary key %s, want %s", got, want)
	}
	ct2 := sts[2].(*ast.CreateTableStmt)
	if got, want := fmt.Sprint(ct2.PartitionKey, ct2.Clustering), "[candidate_id job_id] []"; got != want {
		t.Errorf("primary key %s, want %s", got, want)
	}
	if got, want := ct2.Columns[3].Type.String(), "map<text, frozen<list<text>>>"; got != want {
		t.Errorf("type %s, want %s", got, want)
	}
	local := sts[3].(*ast.CreateTableStmt)
	if got, want := local.Columns[0].Name, "key"; got != want || local.PartitionKey[0] != "key" {
		t.Errorf("system.local key column %q, partition key %v", got, local.PartitionKey)
	}
	for _, st := range sts {
		checkRoundTrip(t, "describe", st)
	}
}

// TestErrorKinds checks that every failure is one of the two documented
// error types, and that unsupported statements match errors.ErrUnsupported.
func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		src         string
		unsupported bool
	}{
		{"CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE a IS NOT NULL PRIMARY KEY (a)", true},
		{"CREATE OR REPLACE FUNCTION f (a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", true},
		{"GRANT SELECT ON ALL FUNCTIONS TO bob", true},
		{"LIST SUPERUSERS", true},
	} {
		_, err := Parse(tc.src)
		var ie *InvalidError
		if !errors.As(err, &ie) {
			t.Errorf("Parse(%q) error = %v, want *InvalidError", tc.src, err)
			continue
		}
		if got := errors.Is(err, errors.ErrUnsupported); got != tc.unsupported {
			t.Errorf("Parse(%q): errors.Is(ErrUnsupported) = %v, want %v", tc.src, got, tc.unsupported)
		}
	}
}

// TestParseAllPartial checks that ParseAll hands back the statements before
// a bad one.
func TestParseAllPartial(t *testing.T) {
	sts, err := ParseAll("USE ks; SELECT * FROM t;\n SELECT * FORM t; USE other")
	if len(sts) != 2 {
		t.Fatalf("got %d statements, want 2", len(sts))
	}
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want *SyntaxError", err)
	}
	if se.Line != 2 || se.Col != 10 {
		t.Errorf("error at %d:%d, want 2:10", se.Line, se.Col)
	}
}

// TestSyntaxErrorAtEOF checks the flag a shell uses to read more input.
func TestSyntaxErrorAtEOF(t *testing.T) {
	for src, want := range map[string]bool{
		"SELECT * FROM":                 true,
		"SELECT * FROM t WHERE a = 'x":  true,
		"SELECT * FROM t /* comment":    true,
		"INSERT INTO t (a) VALUES (1":   true,
		"SELECT * FROM t WHERE":         true,
		"SELECT * FORM t":               false,
		"SELECT * FROM t WHERE a = 1 )": false,
	} {
		_, err := Parse(src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError", src, err)
			continue
		}
		if se.AtEOF != want {
			t.Errorf("Parse(%q): AtEOF = %v, want %v (%v)", src, se.AtEOF, want, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, q := range driverQueries {
		f.Add(q)
	}
	for _, q := range []string{
		cassandra4Describe,
		"UPDATE t USING TTL 5 SET c = c + 1, l = [1] + l, m['k'] = 'v' WHERE k = ? IF c = 1",
		"BEGIN UNLOGGED BATCH INSERT INTO t (a) VALUES (:a); DELETE m['x'] FROM t WHERE a IN ?; APPLY BATCH",
		"SELECT JSON DISTINCT token(a), CAST(b AS text), writetime(c) AS w FROM t WHERE (x, y) > (1, 2) AND z CONTAINS KEY 'q' ALLOW FILTERING",
		"SELECT m['a'..'b'], (int) ?, -f(x) * 3 % 2 FROM t WHERE token(a) > -9223372036854775808 LIMIT ?",
		"INSERT INTO t JSON '{\"a\": 1}' DEFAULT UNSET IF NOT EXISTS USING TIMESTAMP 1",
		"ALTER TABLE t ADD (a map<text, frozen<tuple<int, text>>>, b int static)",
		"SELECT * FROM t WHERE a = 0x0aff AND b = 123e4567-e89b-12d3-a456-426614174000 AND c = 1h30m AND d = -NaN AND e = $$x$$",
		"DESCRIBE FULL SCHEMA WITH INTERNALS",
		"CREATE TYPE IF NOT EXISTS ks.\"Addr\" (street text, \"Zip\" frozen<map<text, frozen<other>>>, t tuple<int, ks.o>)",
		"ALTER TYPE IF EXISTS a RENAME IF EXISTS f TO g AND \"H\" TO i",
		"UPDATE t SET u.f = {a: 1, \"B\": [{c: ?}]}, v = v + {(1, {x: 2})} WHERE k = 1; DELETE u.f FROM t WHERE k = 2",
		"SELECT u.f.g, (u).f, m['k'].x FROM t WHERE k = 1",
		"CREATE CUSTOM INDEX IF NOT EXISTS i ON ks.t (entries(m)) USING 'StorageAttachedIndex' WITH OPTIONS = {'a': 'b'}",
		"DROP INDEX IF EXISTS ks.\"I\"",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			var ie *InvalidError
			if !errors.As(err, &se) && !errors.As(err, &ie) {
				t.Fatalf("Parse(%q): error of type %T: %v", src, err, err)
			}
			_ = err.Error()
		} else {
			text := st.String()
			again, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q) ok, but its canonical form %q fails: %v", src, text, err)
			}
			if got := again.String(); got != text {
				t.Fatalf("round trip of %q: got %q, want %q", src, got, text)
			}
			for i, m := range st.BindMarkers() {
				if m.Index != i {
					t.Fatalf("Parse(%q): marker %d has index %d", src, i, m.Index)
				}
			}
		}
		sts, err := ParseAll(src)
		if err != nil {
			var se *SyntaxError
			var ie *InvalidError
			if !errors.As(err, &se) && !errors.As(err, &ie) {
				t.Fatalf("ParseAll(%q): error of type %T: %v", src, err, err)
			}
		}
		for _, st := range sts {
			_ = st.String()
		}
	})
}

func BenchmarkParseSelect(b *testing.B) {
	const q = "SELECT id, name, email, created_at FROM app.users WHERE tenant = ? AND id IN (?, ?, ?) AND created_at > '2024-01-01' LIMIT 100"
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInsert(b *testing.B) {
	const q = "INSERT INTO app.events (tenant, id, kind, payload, tags, at) VALUES ('acme', 5b6962dd-3f90-4c93-8f61-eabfa4a803e2, 'click', 0xcafebabe, {'a', 'b'}, 1712345678901) USING TTL 86400"
	b.ReportAllocs()
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSystemLocal(b *testing.B) {
	const q = "SELECT * FROM system.local WHERE key='local'"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleParse() {
	st, err := Parse("select K, v from ks.t where k in (?, :second) limit 10;")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st)
	for _, m := range st.BindMarkers() {
		fmt.Printf("marker %d %q (%s) at %d:%d\n", m.Index, m.Name, m.Role, m.Line, m.Col)
	}
	_, err = Parse("SELECT * FORM t")
	fmt.Println(err)
	// Output:
	// SELECT k, v FROM ks.t WHERE k IN (?, :second) LIMIT 10
	// marker 0 "" (value) at 1:34
	// marker 1 "second" (value) at 1:37
	// line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM]...)
}
