package query

import (
	"context"
	"slices"
	"testing"

	"wcdb/mutation"
	"wcdb/query/catalog"
)

// TestMergeSchema checks that schema made on one node reaches another by
// its mutations: tables created, altered and dropped, the same version on
// both, and merging again (or merging back) changes nothing.
func TestMergeSchema(t *testing.T) {
	ctx := context.Background()
	a, b := newDDLEnv(t), newDDLEnv(t)
	b.clock += 1000 // the nodes' clocks differ
	merge := func(from, to *ddlEnv) []SchemaChange {
		t.Helper()
		ms, err := from.x.SchemaMutations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ch, err := to.x.MergeSchema(ctx, ms)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	a.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
	a.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	ch := merge(a, b)
	want := []SchemaChange{{Change: "CREATED", Target: "KEYSPACE", Keyspace: "ks"}, {Change: "CREATED", Target: "TABLE", Keyspace: "ks", Name: "t"}}
	if !slices.Equal(ch, want) {
		t.Fatalf("changes: got %+v, want %+v", ch, want)
	}
	if a.x.SchemaVersion() != b.x.SchemaVersion() {
		t.Fatal("versions differ after the merge")
	}
	if ta, tb := a.x.catalog.Table("ks", "t"), b.x.catalog.Table("ks", "t"); tb == nil || ta.ID != tb.ID {
		t.Fatalf("table on b: %+v, want id %v", tb, ta.ID)
	}
	// The table works on b, and local data stays local.
	b.mustExec("INSERT INTO ks.t (k, v) VALUES (1, 'x')")
	if r := b.mustExec("SELECT v FROM ks.t WHERE k = 1"); len(r.Rows) != 1 {
		t.Fatalf("select on b: %d rows", len(r.Rows))
	}
	if ch := merge(a, b); len(ch) != 0 {
		t.Fatalf("merging again: changes %+v", ch)
	}
	if ch := merge(b, a); len(ch) != 0 || a.x.SchemaVersion() != b.x.SchemaVersion() {
		t.Fatalf("merging back: changes %+v", ch)
	}

	// Changes on b reach a.
	b.mustExec("ALTER TABLE ks.t ADD w int")
	b.mustExec("CREATE TABLE ks.u (k int PRIMARY KEY)")
	ch = merge(b, a)
	want = []SchemaChange{{Change: "UPDATED", Target: "TABLE", Keyspace: "ks", Name: "t"}, {Change: "CREATED", Target: "TABLE", Keyspace: "ks", Name: "u"}}
	if !slices.Equal(ch, want) {
		t.Fatalf("changes: got %+v, want %+v", ch, want)
	}
	if a.x.catalog.Table("ks", "t").Column("w") == nil {
		t.Fatal("column w missing on a")
	}
	// Drops travel as tombstones.
	a.mustExec("DROP TABLE ks.u")
	ch = merge(a, b)
	if want := []SchemaChange{{Change: "DROPPED", Target: "TABLE", Keyspace: "ks", Name: "u"}}; !slices.Equal(ch, want) {
		t.Fatalf("changes: got %+v, want %+v", ch, want)
	}
	a.mustExec("DROP KEYSPACE ks")
	ch = merge(a, b)
	if want := []SchemaChange{{Change: "DROPPED", Target: "KEYSPACE", Keyspace: "ks"}}; !slices.Equal(ch, want) {
		t.Fatalf("changes: got %+v, want %+v", ch, want)
	}
	if b.x.catalog.Keyspace("ks") != nil || a.x.SchemaVersion() != b.x.SchemaVersion() {
		t.Fatal("keyspace still on b, or versions differ")
	}
	// A restarted node loads the merged schema.
	b.restart()
	if b.x.SchemaVersion() != a.x.SchemaVersion() {
		t.Fatal("version changed across a restart")
	}
}

// TestMergeSchemaRefusesOtherTables checks that only schema mutations are
// merged.
func TestMergeSchemaRefusesOtherTables(t *testing.T) {
	ctx := context.Background()
	a := newDDLEnv(t)
	a.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	ms, err := a.x.SchemaMutations(ctx)
	if err != nil || len(ms) == 0 {
		t.Fatalf("schema mutations: %d, %v", len(ms), err)
	}
	bad := ms[0]
	bad.Table = catalog.SystemTable("system", "local").ID
	if _, err := a.x.MergeSchema(ctx, []mutation.Mutation{bad}); err == nil {
		t.Fatal("merging a system.local mutation: no error")
	}
}

// TestPartitionKey checks keys given as nodetool getendpoints takes them,
// against the partitioner's known tokens.
func TestPartitionKey(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.i (k int PRIMARY KEY)")
	e.mustExec("CREATE TABLE ks.s (k text PRIMARY KEY)")
	e.mustExec("CREATE TABLE ks.c (a int, b text, PRIMARY KEY ((a, b)))")
	for _, c := range []struct {
		table, key string
		token      int64
	}{
		{"i", "1", -4069959284402364209},
		{"s", "hello", -3758069500696749310},
		{"c", "1:a", 6516349416904725244},
	} {
		_, k, err := e.x.PartitionKey("ks", c.table, c.key)
		if err != nil || int64(k.Token) != c.token {
			t.Errorf("%s %q: token %d, %v; want %d", c.table, c.key, k.Token, err, c.token)
		}
	}
	for _, c := range []struct{ table, key string }{{"i", "x"}, {"c", "1"}, {"nope", "1"}} {
		if _, _, err := e.x.PartitionKey("ks", c.table, c.key); err == nil {
			t.Errorf("%s %q: no error", c.table, c.key)
		}
	}
}

// TestLoadSkipsTableWithoutColumns checks that a tables row whose columns
// are missing (a crash between the two writes) does not stop the node
// from starting: the table is left out until a merge completes it.
func TestLoadSkipsTableWithoutColumns(t *testing.T) {
	ctx := context.Background()
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	e.mustExec("CREATE TABLE ks.u (k int PRIMARY KEY)")
	e.x.catalog.LockDDL()
	b := catalog.NewBatch(e.x.ddlTimestampLocked(nil))
	b.DeletePrefix(catalog.SystemTable("system_schema", "columns"), []any{"ks", "t"})
	err := b.Apply(ctx, e.x.cfg.Coordinator, catalog.SchemaKeyspace())
	e.x.catalog.UnlockDDL()
	if err != nil {
		t.Fatal(err)
	}
	e.restart()
	if e.x.catalog.Table("ks", "t") != nil || e.x.catalog.Table("ks", "u") == nil {
		t.Fatalf("after restart: t %v (want absent), u %v (want present)", e.x.catalog.Table("ks", "t"), e.x.catalog.Table("ks", "u"))
	}
}
