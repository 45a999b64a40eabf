package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestUDTSchemaSurvivesRestart: user types, and tables whose columns name
// them, load back from system_schema at start (types before tables, a type
// nesting another after it), with ALTER TYPE's changes, and the data reads
// as before.
func TestUDTSchemaSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE r WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		// Named so that the nesting type sorts first.
		"CREATE TYPE r.zz (a int, b text)",
		"CREATE TYPE r.aa (inner frozen<zz>, n int)",
		"CREATE TABLE r.t (k int PRIMARY KEY, u zz, f frozen<aa>)",
		"INSERT INTO r.t (k, u, f) VALUES (1, {a: 1, b: 'x'}, {inner: {a: 2}, n: 3})",
		"ALTER TYPE r.zz RENAME b TO c",
		"ALTER TYPE r.zz ADD d int",
		"UPDATE r.t SET u.d = 4 WHERE k = 1",
	)
	s.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, dir)
	t.Cleanup(func() { n.Close() })
	s = compatSession(t, n, nil)
	var u, f map[string]any
	if err := s.Query("SELECT u, f FROM r.t WHERE k = 1").Scan(&u, &f); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(u, f); got != "map[a:1 c:x d:4] map[inner:map[a:2 c:] n:3]" {
		t.Errorf("after restart: %s", got)
	}
	var stmt string
	if err := s.Query("DESCRIBE TYPE r.aa").Scan(new(string), new(string), new(string), &stmt); err != nil {
		t.Fatal(err)
	}
	if want := "CREATE TYPE r.aa (\n    inner frozen<zz>,\n    n int\n);"; stmt != want {
		t.Errorf("DESCRIBE TYPE: %q, want %q", stmt, want)
	}
}

// TestUDTSchemaPropagates: a type created on one node reaches the other
// with the schema (system_schema.types rows), so the other node takes
// writes and field selections of a table using it, and ALTER and DROP
// TYPE travel the same way.
func TestUDTSchemaPropagates(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	c := startNodes(t, 2, nil)
	n1, n2 := c.nodes[0], c.nodes[1]
	s1 := clusterSession(t, n1, gocql.All)
	mustExec(t, s1,
		"CREATE KEYSPACE p WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}",
		"CREATE TYPE p.pt (x int, y int)",
		"CREATE TABLE p.t (k int PRIMARY KEY, v pt)",
	)
	waitFor(t, "the schema to agree", 10*time.Second, func() bool {
		return n1.exec.SchemaVersion() == n2.exec.SchemaVersion()
	})
	s2 := clusterSession(t, n2, gocql.All)
	mustExec(t, s2, "INSERT INTO p.t (k, v) VALUES (1, {x: 1, y: 2})", "UPDATE p.t SET v.y = 3 WHERE k = 1")
	var y int
	if err := s1.Query("SELECT v.y FROM p.t WHERE k = 1").Scan(&y); err != nil || y != 3 {
		t.Errorf("v.y read on node 1: %d, %v; want 3", y, err)
	}
	mustExec(t, s1, "ALTER TYPE p.pt ADD z int")
	waitFor(t, "node 2 to see the new field", 10*time.Second, func() bool {
		return s2.Query("UPDATE p.t SET v.z = 5 WHERE k = 1").Exec() == nil
	})
	var v map[string]any
	if err := s1.Query("SELECT v FROM p.t WHERE k = 1").Scan(&v); err != nil || fmt.Sprint(v) != "map[x:1 y:3 z:5]" {
		t.Errorf("v after ALTER TYPE through node 2: %v, %v", v, err)
	}
	mustExec(t, s1, "DROP TABLE p.t", "DROP TYPE p.pt")
	waitFor(t, "node 2 to drop the type", 10*time.Second, func() bool {
		return s2.Query("CREATE TABLE p.u (k int PRIMARY KEY, v frozen<pt>)").Exec() != nil
	})
}
