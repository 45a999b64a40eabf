package query

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/parser"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
)

// columnIDs returns name=id of a table's columns, and its next id.
func columnIDs(tab *schema.Table) string {
	s := ""
	for _, c := range tab.Columns {
		s += fmt.Sprintf("%s=%d ", c.Name, c.ID)
	}
	return s + fmt.Sprintf("next=%d", tab.NextColumnID)
}

func TestDDLRestartKeepsColumnIDs(t *testing.T) {
	e := newDDLEnv(t)
	for _, s := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int, c int, a text, b text, PRIMARY KEY (k, c))",
		"ALTER TABLE ks.t ADD (m map<int, int>, z int static)",
		"ALTER TABLE ks.t DROP a",
		"ALTER TABLE ks.t ADD a blob",
		"ALTER TABLE ks.t RENAME c TO cc",
		"CREATE TABLE ks.u (k int PRIMARY KEY)",
	} {
		e.mustExec(s)
	}
	before := e.x.catalog.Table("ks", "t")
	// a was 2 and is dropped: the new a gets a new id (6), 2 is never reused.
	const want = "k=0 cc=1 z=5 a=6 b=3 m=4 next=7"
	if got := columnIDs(before); got != want {
		t.Fatalf("before restart: got %s, want %s", got, want)
	}
	version := e.x.catalog.Version()
	e.restart()
	after := e.x.catalog.Table("ks", "t")
	if after == nil {
		t.Fatal("table lost in restart")
	}
	if got := columnIDs(after); got != want {
		t.Errorf("after restart: got %s, want %s", got, want)
	}
	if after.ID != before.ID {
		t.Errorf("table id: got %x, want %x", after.ID, before.ID)
	}
	if got := e.x.catalog.Version(); got != version {
		t.Errorf("version after restart: got %x, want %x", got, version)
	}
	if e.engine.Table(after.ID) == nil {
		t.Error("no storage for the table after restart")
	}
	e.mustExec("ALTER TABLE ks.t ADD d int")
	if c := e.x.catalog.Table("ks", "t").Column("d"); c == nil || c.ID != 7 {
		t.Errorf("column added after restart: got %+v, want id 7", c)
	}
	// Dropping the keyspace drops the tables' storage.
	e.mustExec("DROP KEYSPACE ks")
	if e.engine.Table(after.ID) != nil {
		t.Error("storage of a dropped table still there")
	}
}

func TestLoadRepairsMissingColumnIDs(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, a int, b int)")
	e.mustExec("ALTER TABLE ks.t DROP b") // next stays 3
	// Forget a's id, as if a crash had cut a change short.
	b := catalog.NewBatch(e.x.now())
	b.Upsert(catalog.SystemTable("system_schema", "wcdb_columns"), []any{"ks", "t"}, map[string]any{
		"column_ids": []schema.MapEntry{{Key: "k", Value: int32(0)}}, "next_column_id": int32(3),
	}, true)
	if err := b.Apply(context.Background(), e.x.cfg.Coordinator, catalog.SchemaKeyspace()); err != nil {
		t.Fatal(err)
	}
	e.restart()
	const want = "k=0 a=3 next=4"
	if got := columnIDs(e.x.catalog.Table("ks", "t")); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	e.restart() // the repaired id was recorded
	if got := columnIDs(e.x.catalog.Table("ks", "t")); got != want {
		t.Fatalf("after a second restart: got %s, want %s", got, want)
	}
}

func TestDDLWithStuckClock(t *testing.T) {
	// Every change takes a timestamp above the last one, even when the
	// clock does not move (or goes back after a restart).
	e := newDDLEnv(t)
	e.x.cfg.Now = func() int64 { return 1000 }
	for _, s := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v int)",
		"DROP TABLE ks.t",
		"CREATE TABLE ks.t (k int PRIMARY KEY, w text)",
		"DROP KEYSPACE ks",
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, x blob)",
	} {
		e.mustExec(s)
	}
	e.restart()
	tab := e.x.catalog.Table("ks", "t")
	if tab == nil || tab.Column("x") == nil || tab.Column("w") != nil {
		t.Fatalf("after restart: got %+v, want the last ks.t", tab)
	}
	if rf := e.x.catalog.Keyspace("ks").Replication["replication_factor"]; rf != "2" {
		t.Errorf("replication factor: got %s, want 2", rf)
	}
}

func TestSchemaVersionIsDigest(t *testing.T) {
	ddl := []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v text) WITH id = 00000000-0000-4000-8000-000000000001",
	}
	a, b := newDDLEnv(t), newDDLEnv(t)
	if a.x.catalog.Version() != b.x.catalog.Version() {
		t.Error("two new nodes have different schema versions")
	}
	for _, s := range ddl {
		a.mustExec(s)
		b.mustExec(s)
	}
	if a.x.catalog.Version() != b.x.catalog.Version() {
		t.Error("two nodes with the same schema have different versions")
	}
	b.mustExec("ALTER TABLE ks.t WITH comment = 'x'")
	if a.x.catalog.Version() == b.x.catalog.Version() {
		t.Error("two nodes with different schemas have the same version")
	}
	if v := b.x.catalog.Version(); v[6]>>4 != 3 {
		t.Errorf("version %x is not a version 3 UUID", v)
	}
}

// readLocal reads system.local's one row through the coordinator, as a
// SELECT would.
func readLocal(t *testing.T, e *ddlEnv) map[string]any {
	t.Helper()
	key := []byte("local")
	p, err := e.x.cfg.Coordinator.Read(context.Background(), replication.ReadCommand{
		Keyspace: catalog.SystemKeyspace(), Table: catalog.SystemTable("system", "local").ID, Key: mutation.Key{Token: ring.Murmur3(key), Bytes: key},
	}, replication.One)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || len(p.Rows) != 1 || len(p.Rows[0].Clustering) != 0 || p.Rows[0].Liveness.IsEmpty() {
		t.Fatalf("system.local: got %+v, want one row with a marker at the empty clustering", p)
	}
	out := map[string]any{}
	var tokens []schema.Element
	for _, c := range p.Rows[0].Cells {
		col := catalog.SystemTable("system", "local").ColumnByID(c.Column)
		if col.Type.IsMultiCell() {
			tokens = append(tokens, schema.Element{Path: c.Path, Value: c.Value})
			continue
		}
		v, err := schema.Decode(col.Type, c.Value)
		if err != nil {
			t.Fatalf("%s: %v", col.Name, err)
		}
		out[col.Name] = v
	}
	b, err := schema.CollectionFromElements(catalog.SystemTable("system", "local").Column("tokens").Type, tokens)
	if err != nil {
		t.Fatal(err)
	}
	out["tokens"], _ = schema.Decode(catalog.SystemTable("system", "local").Column("tokens").Type, b)
	return out
}

func TestSystemLocalRow(t *testing.T) {
	e := newDDLEnv(t)
	row := readLocal(t, e)
	local := e.topo.Local()
	checks := map[string]any{
		"bootstrapped":            "COMPLETED",
		"cluster_name":            "Test Cluster",
		"cql_version":             "3.4.5",
		"data_center":             "datacenter1",
		"rack":                    "rack1",
		"native_protocol_version": "4",
		"partitioner":             "org.apache.cassandra.dht.Murmur3Partitioner",
		"release_version":         "4.0.0-wcdb",
		"rpc_port":                int32(9042),
		"host_id":                 schema.UUID(local.HostID),
		"schema_version":          schema.UUID(e.x.catalog.Version()),
	}
	for k, want := range checks {
		if got := row[k]; got != want {
			t.Errorf("%s: got %v, want %v", k, got, want)
		}
	}
	for _, k := range []string{"broadcast_address", "listen_address", "rpc_address"} {
		if ip, _ := row[k].(net.IP); !ip.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("%s: got %v, want 127.0.0.1", k, row[k])
		}
	}
	if got := fmt.Sprint(row["tokens"]); got != "[-9000000000000000000 3074457345618258602]" {
		t.Errorf("tokens: got %s", got)
	}
	// A schema change moves schema_version with the catalog.
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	if got, want := readLocal(t, e)["schema_version"], schema.UUID(e.x.catalog.Version()); got != want {
		t.Errorf("schema_version after CREATE KEYSPACE: got %v, want %v", got, want)
	}
	// RefreshTopology rewrites the row: tokens replaced, not merged.
	e.topo.mu.Lock()
	e.topo.local.Tokens = []string{"42"}
	e.topo.mu.Unlock()
	if err := e.x.RefreshTopology(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readLocal(t, e)["tokens"]); got != "[42]" {
		t.Errorf("tokens after refresh: got %s, want [42]", got)
	}
}

func TestConcurrentCreateTableIfNotExists(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	const n = 16
	results := make([]*Result, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Session{}
			st, err := parser.Parse("CREATE TABLE IF NOT EXISTS ks.t (k int PRIMARY KEY, v text)")
			if err != nil {
				errs[i] = err
				return
			}
			pl, err := e.x.prepareSchemaStatement(s, st)
			if err != nil {
				errs[i] = err
				return
			}
			results[i], errs[i] = pl.execute(context.Background(), e.x, s,
				&Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
		}()
	}
	// Readers meanwhile.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 100 {
			_ = e.x.catalog.Version()
			_, _, _, _ = e.x.catalog.Describe(&ast.DescribeStmt{Kind: ast.DescribeSchema}, "")
		}
	}()
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		switch results[i].Kind {
		case ResultSchemaChange:
			created++
		case ResultVoid:
		default:
			t.Errorf("goroutine %d: result kind %d", i, results[i].Kind)
		}
	}
	if created != 1 {
		t.Errorf("got %d CREATED results, want 1", created)
	}
	tab := e.x.catalog.Table("ks", "t")
	if tab == nil {
		t.Fatal("no table")
	}
	var ids []mutation.TableID
	for _, st := range e.engine.Tables() {
		ids = append(ids, st.ID())
	}
	if user := len(ids) - len(catalog.SystemTables()) - len(catalog.ReplicatedSystemTables()); user != 1 || !slices.Contains(ids, tab.ID) {
		t.Errorf("got %d storage tables besides the system ones, want 1 (ks.t)", user)
	}
	rows, _, err := catalog.ReadTable(context.Background(), e.x.cfg.Coordinator, catalog.SchemaKeyspace(), catalog.SystemTable("system_schema", "tables"))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, r := range rows {
		if r.Text("keyspace_name") == "ks" {
			count++
		}
	}
	if count != 1 {
		t.Errorf("got %d rows for ks in system_schema.tables, want 1", count)
	}
}

// TestLoadDeletesOrphanColumnRows: a CREATE TABLE cut short by a crash
// leaves column rows without the tables row (written last); the next start
// deletes them, so drivers reading system_schema see no half table.
func TestLoadDeletesOrphanColumnRows(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, a int)")
	half := &schema.Table{Keyspace: "ks", Name: "half", Columns: []schema.Column{{Name: "k", Kind: schema.PartitionKeyColumn, Type: schema.Type{Kind: schema.KindInt}}}}
	b := catalog.NewBatch(e.x.now())
	b.AddColumnIDs(half)
	b.AddColumn(half, &half.Columns[0])
	if err := b.Apply(context.Background(), e.x.cfg.Coordinator, catalog.SchemaKeyspace()); err != nil {
		t.Fatal(err)
	}
	count := func(table string) int {
		res, err := e.x.Query(context.Background(), &Session{}, "SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = '"+table+"'", &Options{Consistency: replication.One})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Rows)
	}
	if count("half") != 1 {
		t.Fatalf("orphan column row not written")
	}
	e.restart()
	if n := count("half"); n != 0 {
		t.Errorf("after restart: %d column rows of a table that does not exist, want 0", n)
	}
	if n := count("t"); n != 2 {
		t.Errorf("after restart: %d column rows of ks.t, want 2", n)
	}
}
