package query

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/replication"
	"wcdb/schema"
)

// TestLWTResultMetadata checks the result of a conditional statement as
// drivers read it (gocql's MapScanCAS, the Python driver's was_applied):
// a ROWS result whose first column is [applied], a boolean of the table,
// then, when not applied, the current row's columns with their types.
func TestLWTResultMetadata(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, v text, l list<int>)"); err != nil {
		t.Fatal(err)
	}
	p, err := h.x.Prepare(h.s, "INSERT INTO t (k, v, l) VALUES (?, ?, [1, 2]) IF NOT EXISTS")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Columns) != 0 {
		t.Errorf("prepared result metadata %v, want none (it depends on the outcome)", p.Columns)
	}
	ctx := context.Background()
	run := func() *Result {
		t.Helper()
		res, err := h.x.Execute(ctx, h.s, p, &Options{Consistency: replication.One, SerialConsistency: replication.Serial,
			Timestamp: mutation.NoTimestamp, Values: [][]byte{int32Value(1), []byte("a")}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Kind != ResultRows {
			t.Fatalf("result kind %d, want rows", res.Kind)
		}
		return res
	}
	res := run()
	applied := ColumnSpec{Keyspace: "ks", Table: "t", Name: "[applied]", Type: schema.Native(schema.KindBoolean)}
	if len(res.Columns) != 1 || !specEqual(res.Columns[0], applied) || len(res.Rows) != 1 || len(res.Rows[0]) != 1 || string(res.Rows[0][0]) != "\x01" {
		t.Fatalf("applied: got %+v %q", res.Columns, res.Rows)
	}
	res = run()
	want := []ColumnSpec{applied,
		{Keyspace: "ks", Table: "t", Name: "k", Type: schema.Native(schema.KindInt)},
		{Keyspace: "ks", Table: "t", Name: "l", Type: schema.ListOf(schema.Native(schema.KindInt))},
		{Keyspace: "ks", Table: "t", Name: "v", Type: schema.Native(schema.KindText)},
	}
	if len(res.Columns) != len(want) {
		t.Fatalf("not applied: got columns %+v, want %+v", res.Columns, want)
	}
	for i := range want {
		if !specEqual(res.Columns[i], want[i]) {
			t.Errorf("column %d: got %+v, want %+v", i, res.Columns[i], want[i])
		}
	}
	if got, want := formatRows(res.Columns, res.Rows), "[applied] | k | l | v\nfalse | 1 | [1, 2] | 'a'\n"; got != want {
		t.Errorf("not applied: got\n%s\nwant\n%s", got, want)
	}
}

func specEqual(a, b ColumnSpec) bool {
	return a.Keyspace == b.Keyspace && a.Table == b.Table && a.Name == b.Name && a.Type.Equal(b.Type)
}

// TestLWTRace races 16 clients inserting the same 100 keys IF NOT EXISTS:
// each key is applied exactly once, and holds the value of the client
// that was told so.
func TestLWTRace(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE users (name int PRIMARY KEY, owner int)"); err != nil {
		t.Fatal(err)
	}
	p, err := h.x.Prepare(h.s, "INSERT INTO users (name, owner) VALUES (?, ?) IF NOT EXISTS")
	if err != nil {
		t.Fatal(err)
	}
	const clients, keys = 16, 100
	var mu sync.Mutex
	winners := map[int32][]int32{}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range int32(clients) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range int32(keys) {
				res, err := h.x.Execute(context.Background(), h.s, p, &Options{Consistency: replication.One,
					Timestamp: mutation.NoTimestamp, Values: [][]byte{int32Value(k), int32Value(c)}})
				if err != nil {
					errs <- err
					return
				}
				if string(res.Rows[0][0]) == "\x01" {
					mu.Lock()
					winners[k] = append(winners[k], c)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k := range int32(keys) {
		w := winners[k]
		if len(w) != 1 {
			t.Errorf("key %d applied by %v, want exactly one client", k, w)
			continue
		}
		got, _ := h.rowsOf(fmt.Sprintf("SELECT owner FROM users WHERE name = %d", k), 0)
		if want := fmt.Sprintf("owner\n%d\n", w[0]); got != want {
			t.Errorf("key %d: got %q, want %q", k, got, want)
		}
	}
}

// noCAS is a coordinator without lightweight transactions.
type noCAS struct{ replication.Coordinator }

func TestLWTLevels(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := "INSERT INTO t (k, v) VALUES (1, 1) IF NOT EXISTS"
	for _, c := range []struct {
		serial, commit replication.Consistency
		want           string
	}{
		{replication.Quorum, replication.One, "Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL"},
		{replication.Serial, replication.Serial, `SERIAL is not supported as conditional update commit consistency. Use ANY if you mean "make sure it is accepted but I don't care how many replicas commit it for non-SERIAL reads"`},
		{replication.LocalSerial, replication.Quorum, ""},
		{replication.Serial, replication.Two, "Cannot achieve consistency level TWO (required 2, alive 1)"},
	} {
		_, err := h.x.Query(ctx, h.s, q, &Options{Consistency: c.commit, SerialConsistency: c.serial})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("serial %s, commit %s: got %q, want %q", c.serial, c.commit, got, c.want)
		}
	}
	// A read at SERIAL sees the transaction (Local's Read serves it).
	res, err := h.x.Query(ctx, h.s, "SELECT v FROM t WHERE k = 1", &Options{Consistency: replication.Serial})
	if err != nil {
		t.Fatal(err)
	}
	if got := formatRows(res.Columns, res.Rows); got != "v\n1\n" {
		t.Errorf("SERIAL read: got %q", got)
	}
	h.x.cfg.Coordinator = noCAS{h.x.cfg.Coordinator}
	if _, err := h.x.Query(ctx, h.s, q, nil); err == nil {
		t.Errorf("a coordinator without CAS ran a conditional insert")
	}
}

// TestLWTProtocolBatch runs a conditional batch given as a protocol BATCH
// message.
func TestLWTProtocolBatch(t *testing.T) {
	h := newQH(t)
	if err := h.createTable("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := h.x.Prepare(h.s, "UPDATE t SET v = ? WHERE k = ? AND c = ? IF v = ?")
	if err != nil {
		t.Fatal(err)
	}
	batch := func(want string, entries ...BatchEntry) {
		t.Helper()
		res, err := h.x.Batch(ctx, h.s, ast.LoggedBatch, entries, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatRows(res.Columns, res.Rows); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
	batch("[applied]\ntrue\n",
		BatchEntry{Query: "INSERT INTO t (k, c, v) VALUES (1, 1, 10) IF NOT EXISTS"},
		BatchEntry{Query: "INSERT INTO t (k, c, v) VALUES (1, 2, 20)"})
	batch("[applied] | k | c | v\nfalse | 1 | 1 | 10\nfalse | 1 | 2 | 20\n",
		BatchEntry{Prepared: p, Values: [][]byte{int32Value(11), int32Value(1), int32Value(1), int32Value(10)}},
		BatchEntry{Prepared: p, Values: [][]byte{int32Value(21), int32Value(1), int32Value(2), int32Value(99)}})
	batch("[applied]\ntrue\n",
		BatchEntry{Prepared: p, Values: [][]byte{int32Value(11), int32Value(1), int32Value(1), int32Value(10)}},
		BatchEntry{Prepared: p, Values: [][]byte{int32Value(21), int32Value(1), int32Value(2), int32Value(20)}})
	if got, _ := h.rowsOf("SELECT * FROM t WHERE k = 1", 0); got != "k | c | v\n1 | 1 | 11\n1 | 2 | 21\n" {
		t.Errorf("got\n%s", got)
	}
}
