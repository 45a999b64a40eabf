package query

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

func int32Value(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func TestPreparedID(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	q := "SELECT * FROM t WHERE k = ?"
	p, err := h.x.Prepare(h.s, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := md5.Sum([]byte("ks" + q)); p.ID != want {
		t.Errorf("got id %x, want %x", p.ID, want)
	}
	if p.Keyspace != "ks" || p.Query != q {
		t.Errorf("got keyspace %q query %q", p.Keyspace, p.Query)
	}
	p2, err := h.x.Prepare(&Session{}, "SELECT * FROM ks.t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	if want := md5.Sum([]byte("SELECT * FROM ks.t WHERE k = ?")); p2.ID != want {
		t.Errorf("without a keyspace: got id %x, want %x", p2.ID, want)
	}
	if p2.Keyspace != "ks" {
		t.Errorf("got keyspace %q, want the table's", p2.Keyspace)
	}
}

// TestPreparedReanalysis checks that a prepared statement follows schema
// changes made after it was prepared.
func TestPreparedReanalysis(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	h.mustExec("INSERT INTO t (k, v) VALUES (1, 1)")
	p, err := h.x.Prepare(h.s, "SELECT * FROM t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := &Options{Consistency: replication.One, Values: [][]byte{int32Value(1)}}
	res, err := h.x.Execute(ctx, h.s, p, opts)
	if err != nil || len(res.Columns) != 2 {
		t.Fatalf("got %v, %v", res, err)
	}
	// ALTER TABLE ADD w.
	nt := h.x.catalog.Table("ks", "t").Clone()
	if err := nt.AddColumn("w", schema.Native(schema.KindText), false); err != nil {
		t.Fatal(err)
	}
	h.x.catalog.SetTable(nt)
	h.mustExec("UPDATE t SET w = 'x' WHERE k = 1")
	res, err = h.x.Execute(ctx, h.s, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRows(res.Columns, res.Rows); got != "k | v | w\n1 | 1 | 'x'\n" {
		t.Errorf("after ADD: got\n%s", got)
	}
	// DROP TABLE.
	h.x.catalog.DropTable("ks", "t")
	if _, err := h.x.Execute(ctx, h.s, p, opts); err == nil || !strings.Contains(err.Error(), "unconfigured table") {
		t.Errorf("after DROP: got %v", err)
	}
}

func TestNamedValues(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (:key, ?, :val)")
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp,
		Names: []string{"val", "c", "key"}, Values: [][]byte{int32Value(30), int32Value(2), int32Value(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := h.rowsOf("SELECT * FROM t", 0); got != "k | c | v\n1 | 2 | 30\n" {
		t.Errorf("got\n%s", got)
	}
	_, err = h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, Names: []string{"val"}, Values: [][]byte{int32Value(30)}})
	if err == nil {
		t.Errorf("missing names accepted")
	}
	_, err = h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, Values: [][]byte{int32Value(30)}})
	if err == nil || err.Error() != "there were 3 markers(?) in CQL but 1 bound variables" {
		t.Errorf("got %v", err)
	}
	_, err = h.x.Query(ctx, h.s, "INSERT INTO t (k, c, v) VALUES (?, 1, 1)", &Options{Consistency: replication.One})
	if err == nil || err.Error() != "Invalid amount of bind variables" {
		t.Errorf("got %v", err)
	}
	// A bound value of the wrong size.
	_, err = h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, Values: [][]byte{{1}, int32Value(1), int32Value(1)}})
	if c, _ := ErrorKindOf(err); err == nil || c != KindInvalid {
		t.Errorf("got %v", err)
	}
}

func TestConsistency(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		q    string
		cl   replication.Consistency
		want string
	}{
		{"SELECT * FROM t", replication.Any, "ANY ConsistencyLevel is only supported for writes"},
		{"SELECT * FROM t", replication.Serial, "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time"},
		{"SELECT * FROM t WHERE k IN (1, 2)", replication.Serial, "SERIAL/LOCAL_SERIAL consistency may only be requested for one partition at a time"},
		{"SELECT * FROM t WHERE k = 1", replication.Serial, ""},
		{"SELECT * FROM t WHERE k = 1", replication.LocalSerial, ""},
		{"INSERT INTO t (k, v) VALUES (1, 1)", replication.LocalSerial, "You must use conditional updates for serializable writes"},
		{"INSERT INTO t (k, v) VALUES (1, 1)", replication.Quorum, ""},
		{"INSERT INTO t (k, v) VALUES (1, 1)", replication.Any, ""},
		{"SELECT * FROM t", replication.Two, "Cannot achieve consistency level TWO (required 2, alive 1)"},
	} {
		_, err := h.x.Query(ctx, h.s, c.q, &Options{Consistency: c.cl})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s at %s: got %q, want %q", c.q, c.cl, got, c.want)
		}
	}
}

func TestProtocolBatch(t *testing.T) {
	h := newQH(t)
	for _, s := range []string{"CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))", "CREATE TABLE t2 (k int PRIMARY KEY, v int)"} {
		if err := h.createTable(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	entries := []BatchEntry{
		{Prepared: p, Values: [][]byte{int32Value(1), int32Value(1), int32Value(11)}},
		{Prepared: p, Values: [][]byte{int32Value(1), int32Value(2), int32Value(12)}},
		{Query: "UPDATE t2 SET v = ? WHERE k = 5", Values: [][]byte{int32Value(55)}},
		{Query: "DELETE FROM t WHERE k = 1 AND c = 2"},
	}
	if _, err := h.x.Batch(ctx, h.s, ast.LoggedBatch, entries, &Options{Consistency: replication.One, Timestamp: 77}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.rowsOf("SELECT k, c, v, writetime(v) FROM t", 0); got != "k | c | v | writetime(v)\n1 | 1 | 11 | 77\n" {
		t.Errorf("got\n%s", got)
	}
	if got, _ := h.rowsOf("SELECT * FROM t2", 0); got != "k | v\n5 | 55\n" {
		t.Errorf("got\n%s", got)
	}
	sel, err := h.x.Prepare(h.s, "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]BatchEntry{
		{{Prepared: sel}},
		{{Query: "SELECT * FROM t"}},
		{{Prepared: p, Values: [][]byte{int32Value(1)}}},
		{{Query: "INSERT INTO t (k, c, v) VALUES (1, 1, 1) IF NOT EXISTS"}, {Query: "INSERT INTO t (k, c, v) VALUES (2, 1, 1) IF NOT EXISTS"}},
		{{Query: "INSERT INTO t (k, c, v) VALUES (1, 1, 1) IF NOT EXISTS"}, {Query: "INSERT INTO t2 (k, v) VALUES (1, 1)"}},
	} {
		if _, err := h.x.Batch(ctx, h.s, ast.LoggedBatch, bad, nil); err == nil {
			t.Errorf("batch %+v accepted", bad)
		}
	}
	if _, err := h.x.Batch(ctx, h.s, ast.CounterBatch, entries[:1], nil); err == nil {
		t.Errorf("counter batch accepted")
	}
}

// TestConcurrentExecute runs prepared statements from several goroutines
// while the schema changes under them (run with -race).
func TestConcurrentExecute(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	ins, err := h.x.Prepare(h.s, "INSERT INTO t (k, c, v) VALUES (?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := h.x.Prepare(h.s, "SELECT * FROM t WHERE k = ?")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				k := int32Value(int32(i % 7))
				if _, err := h.x.Execute(ctx, h.s, ins, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp,
					Values: [][]byte{k, int32Value(int32(i)), int32Value(1)}}); err != nil {
					done <- err
					return
				}
				if _, err := h.x.Execute(ctx, h.s, sel, &Options{Consistency: replication.One, Values: [][]byte{k}, PageSize: 3}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 20; i++ {
		nt := h.x.catalog.Table("ks", "t").Clone()
		if err := nt.AddColumn(fmt.Sprintf("x%d", i), schema.Native(schema.KindInt), false); err != nil {
			t.Fatal(err)
		}
		h.x.catalog.SetTable(nt)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// e2eTopology is a one-node topology.
type e2eTopology struct{}

func (e2eTopology) ClusterName() string { return "Test Cluster" }
func (e2eTopology) Peers() []Node       { return nil }
func (e2eTopology) Local() Node {
	return Node{Address: []byte{127, 0, 0, 1}, RPCAddress: []byte{127, 0, 0, 1}, RPCPort: 9042,
		DataCenter: "datacenter1", Rack: "rack1", Tokens: []string{"0"}}
}

// TestEndToEnd runs DDL, DML and SELECT (on user and system tables)
// through Query and Prepare on an executor built by New.
func TestEndToEnd(t *testing.T) {
	h := newQH(t)
	x, err := New(context.Background(), Config{Coordinator: h.x.cfg.Coordinator, Backend: h.x.cfg.Backend,
		Topology: e2eTopology{}, Now: h.x.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := &Session{}
	run := func(q string) *Result {
		t.Helper()
		res, err := x.Query(ctx, s, q, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	run("CREATE KEYSPACE app WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	if res := run("USE app"); res.Kind != ResultSetKeyspace {
		t.Fatalf("USE: got %+v", res)
	}
	s.Keyspace = "app"
	run("CREATE TABLE users (id int, seq int, name text, PRIMARY KEY (id, seq))")
	for i := 0; i < 5; i++ {
		run(fmt.Sprintf("INSERT INTO users (id, seq, name) VALUES (%d, %d, 'n%d')", i%2, i, i))
	}
	p, err := x.Prepare(s, "SELECT * FROM users WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	exec := func() string {
		res, err := x.Execute(ctx, s, p, &Options{Consistency: replication.One, Values: [][]byte{int32Value(0)}})
		if err != nil {
			return err.Error()
		}
		return formatRows(res.Columns, res.Rows)
	}
	if got := exec(); got != "id | seq | name\n0 | 0 | 'n0'\n0 | 2 | 'n2'\n0 | 4 | 'n4'\n" {
		t.Errorf("got\n%s", got)
	}
	run("ALTER TABLE users ADD email text")
	run("UPDATE users SET email = 'e' WHERE id = 0 AND seq = 2")
	if got := exec(); got != "id | seq | email | name\n0 | 0 | null | 'n0'\n0 | 2 | 'e' | 'n2'\n0 | 4 | null | 'n4'\n" {
		t.Errorf("after ALTER: got\n%s", got)
	}
	res := run("SELECT keyspace_name, table_name FROM system_schema.tables WHERE keyspace_name = 'app'")
	if got := formatRows(res.Columns, res.Rows); got != "keyspace_name | table_name\n'app' | 'users'\n" {
		t.Errorf("system_schema.tables: got\n%s", got)
	}
	res = run("SELECT data_center, rack FROM system.local WHERE key = 'local'")
	if got := formatRows(res.Columns, res.Rows); got != "data_center | rack\n'datacenter1' | 'rack1'\n" {
		t.Errorf("system.local: got\n%s", got)
	}
	// Paging over a system table, as drivers read schemas.
	cols, err := x.Prepare(s, "SELECT * FROM system_schema.columns")
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := (&qh{t: t, x: x, s: s}).queryAll(cols, &Options{Consistency: replication.One}, 0)
	if err != nil {
		t.Fatal(err)
	}
	paged, pages, err := (&qh{t: t, x: x, s: s}).queryAll(cols, &Options{Consistency: replication.One}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := formatRows(all.Columns, all.Rows), formatRows(paged.Columns, paged.Rows); a != b || pages < 3 {
		t.Errorf("paged system_schema.columns (%d pages) differs", pages)
	}
	run("DROP TABLE users")
	if got := exec(); !strings.Contains(got, "unconfigured table") {
		t.Errorf("after DROP: got %s", got)
	}
}
