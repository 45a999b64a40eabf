package query

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
)

// TestCellVersionsAsOfLimits: AS OF drops rows written after its time,
// so the engine must not stop at the per-partition limit (PER PARTITION
// LIMIT, DISTINCT) or the LIMIT before AS OF has seen the rows it keeps.
// In every partition the first row was written after the AS OF time and
// the second before it.
func TestCellVersionsAsOfLimits(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.p (k int, c int, v text, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
	base := e.clock
	for k := 1; k <= 3; k++ {
		e.mustExec(fmt.Sprintf("INSERT INTO ks.p (k, c, v) VALUES (%d, 1, 'late') USING TIMESTAMP %d", k, base+100))
		e.mustExec(fmt.Sprintf("INSERT INTO ks.p (k, c, v) VALUES (%d, 2, 'early') USING TIMESTAMP %d", k, base+10))
	}
	asOf := fmt.Sprintf(" AS OF TIMESTAMP %d ", base+50)
	for _, c := range []struct {
		stmt string
		want int
	}{
		{"SELECT k, c FROM ks.p" + asOf + "PER PARTITION LIMIT 1", 3},
		{"SELECT k, c FROM ks.p" + asOf + "WHERE k = 1 PER PARTITION LIMIT 1", 1},
		{"SELECT k, c FROM ks.p" + asOf + "WHERE k IN (1, 2) PER PARTITION LIMIT 1", 2},
		{"SELECT DISTINCT k FROM ks.p" + asOf, 3},
		{"SELECT k, c FROM ks.p" + asOf + "LIMIT 2", 2},
		{"SELECT k, c FROM ks.p" + asOf, 3},
		{"SELECT count(*) FROM ks.p" + asOf, 1},
	} {
		for _, page := range []int{0, 1, 2} {
			var rows [][][]byte
			var state []byte
			for range 20 {
				r, err := e.exec(c.stmt, &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, PageSize: page, PagingState: state})
				if err != nil {
					t.Fatalf("%s: %v", c.stmt, err)
				}
				rows = append(rows, r.Rows...)
				if state = r.PagingState; state == nil {
					break
				}
			}
			if len(rows) != c.want {
				t.Errorf("%s (page size %d): %d rows, want %d", c.stmt, page, len(rows), c.want)
			}
			for _, row := range rows {
				if strings.HasPrefix(c.stmt, "SELECT k, c") && binary.BigEndian.Uint32(row[1]) != 2 {
					t.Errorf("%s: row c = %d, written after the AS OF time", c.stmt, binary.BigEndian.Uint32(row[1]))
				}
				if strings.HasPrefix(c.stmt, "SELECT count") && binary.BigEndian.Uint64(row[0]) != 3 {
					t.Errorf("%s: count %d, want 3", c.stmt, binary.BigEndian.Uint64(row[0]))
				}
			}
		}
	}
}

// TestCellVersionsBadInput: every malformed versions() or AS OF gets a
// typed InvalidRequest (or syntax) error, never a panic or a result.
func TestCellVersionsBadInput(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int, c int, v text, s text static, l list<int>, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3', 'max_age': '1d'}")
	e.mustExec("CREATE TABLE ks.cnt (k int PRIMARY KEY, n counter)")
	e.mustExec("INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'a')")
	unset := Unset
	for _, c := range []struct {
		stmt   string
		values [][]byte
		want   string
	}{
		{"SELECT versions(v, 0) FROM ks.t WHERE k = 1", nil, "versions() count must be positive"},
		{"SELECT versions(v, -1) FROM ks.t WHERE k = 1", nil, "versions() count must be positive"},
		{"SELECT versions(v, 99999999999) FROM ks.t WHERE k = 1", nil, ""},
		{"SELECT versions(v, 'x') FROM ks.t WHERE k = 1", nil, ""},
		{"SELECT versions(v, ?) FROM ks.t WHERE k = 1", [][]byte{{0, 0, 0, 0}}, "versions() count must be positive"},
		{"SELECT versions(v, ?) FROM ks.t WHERE k = 1", [][]byte{{0xff, 0xff, 0xff, 0xff}}, "versions() count must be positive"},
		{"SELECT versions(v, ?) FROM ks.t WHERE k = 1", [][]byte{{1, 2}}, ""},
		{"SELECT versions(k) FROM ks.t WHERE k = 1", nil, "Column k keeps no versions"},
		{"SELECT versions(c) FROM ks.t WHERE k = 1", nil, "Column c keeps no versions"},
		{"SELECT versions(s) FROM ks.t WHERE k = 1", nil, "Column s keeps no versions"},
		{"SELECT versions(l) FROM ks.t WHERE k = 1", nil, "Column l keeps no versions"},
		{"SELECT versions(nope) FROM ks.t WHERE k = 1", nil, "Undefined column name nope"},
		{"SELECT versions() FROM ks.t WHERE k = 1", nil, "versions() takes a column"},
		{"SELECT versions(v, 1, 2) FROM ks.t WHERE k = 1", nil, "versions() takes a column"},
		{"SELECT versions(n) FROM ks.cnt WHERE k = 1", nil, "Table ks.cnt does not keep cell versions"},
		{"SELECT * FROM ks.cnt AS OF TIMESTAMP 1 WHERE k = 1", nil, "Table ks.cnt does not keep cell versions"},
		{"SELECT * FROM ks.t AS OF TIMESTAMP ? WHERE k = 1", [][]byte{nil}, "Invalid null value of AS OF"},
		{"SELECT * FROM ks.t AS OF TIMESTAMP ? WHERE k = 1", [][]byte{unset}, "Invalid unset value of AS OF"},
		{"SELECT * FROM ks.t AS OF TIMESTAMP ? WHERE k = 1", [][]byte{{1}}, ""},
		{"SELECT * FROM ks.t AS OF TIMESTAMP -1 WHERE k = 1", nil, "is outside the retention of ks.t (max_age 1d)"},
		{"SELECT * FROM ks.t AS OF TIMESTAMP null WHERE k = 1", nil, ""},
		{"SELECT * FROM ks.t AS OF 'yesterday' WHERE k = 1", nil, ""},
		{"SELECT * FROM ks.t AS OF ? WHERE k = 1", [][]byte{{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, "out of range"},
		{"SELECT * FROM ks.t AS OF TIMESTAMP 'x' WHERE k = 1", nil, ""},
	} {
		opts := &Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp, Values: c.values}
		_, err := e.exec(c.stmt, opts)
		if err == nil {
			t.Errorf("%s %x: no error", c.stmt, c.values)
			continue
		}
		if _, ok := ErrorKindOf(err); !ok {
			t.Errorf("%s %x: untyped error %v", c.stmt, c.values, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %x: %v, want %q", c.stmt, c.values, err, c.want)
		}
	}
}

// TestCellVersionsIndexed: an index on a versioned column lists the
// values of older versions too; a query through it answers with the
// newest version only (the value a plain read shows), before and after a
// flush and a compaction, plain and with SAI. AS OF through an index
// answers the rows as they were.
func TestCellVersionsIndexed(t *testing.T) {
	for _, using := range []string{"", " USING 'sai'"} {
		e := newDDLEnv(t)
		e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
		e.mustExec("CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
		e.mustExec("CREATE INDEX ON ks.t (v)" + using)
		base := e.clock
		e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'a') USING TIMESTAMP %d", base+10))
		e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'b') USING TIMESTAMP %d", base+20))
		e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (2, 1, 'a') USING TIMESTAMP %d", base+30))
		count := func(stmt string) int {
			t.Helper()
			return len(e.mustExec(stmt).Rows)
		}
		for _, when := range []string{"memtable", "flushed", "compacted"} {
			switch when {
			case "flushed":
				if err := e.engine.FlushAll(); err != nil {
					t.Fatal(err)
				}
			case "compacted":
				if err := e.engine.Table(e.x.catalog.Table("ks", "t").ID).Compact(); err != nil {
					t.Fatal(err)
				}
			}
			if n := count("SELECT k FROM ks.t WHERE v = 'a'"); n != 1 {
				t.Errorf("index%s, %s: v = 'a' (overwritten by b in k 1): %d rows, want 1", using, when, n)
			}
			if n := count("SELECT k FROM ks.t WHERE v = 'b'"); n != 1 {
				t.Errorf("index%s, %s: v = 'b': %d rows, want 1", using, when, n)
			}
			if n := count(fmt.Sprintf("SELECT k FROM ks.t AS OF TIMESTAMP %d WHERE v = 'a'", base+15)); n != 1 {
				t.Errorf("index%s, %s: AS OF 15, v = 'a': %d rows, want 1 (k 1 then held a)", using, when, n)
			}
			if n := count(fmt.Sprintf("SELECT k FROM ks.t AS OF TIMESTAMP %d WHERE v = 'b'", base+15)); n != 0 {
				t.Errorf("index%s, %s: AS OF 15, v = 'b': %d rows, want 0", using, when, n)
			}
		}
	}
}

// TestCellVersionsAsOfStatic: a partition whose rows were all written
// after the AS OF time but its static column before it was, at that time,
// a partition with a static row only: SELECT * shows it as one row of
// nulls with the static value, as a read at that time would have.
func TestCellVersionsAsOfStatic(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int, c int, v text, s text static, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
	base := e.clock
	e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, s) VALUES (1, 'st') USING TIMESTAMP %d", base+10))
	e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (1, 1, 'late') USING TIMESTAMP %d", base+100))
	for _, stmt := range []string{
		fmt.Sprintf("SELECT c, s FROM ks.t AS OF TIMESTAMP %d WHERE k = 1", base+50),
		fmt.Sprintf("SELECT c, s FROM ks.t AS OF TIMESTAMP %d", base+50),
	} {
		r := e.mustExec(stmt)
		if len(r.Rows) != 1 || r.Rows[0][0] != nil || string(r.Rows[0][1]) != "st" {
			t.Errorf("%s: %q, want one static-only row (null, st)", stmt, r.Rows)
		}
	}
	if r := e.mustExec(fmt.Sprintf("SELECT c, s FROM ks.t AS OF TIMESTAMP %d WHERE k = 1", base+5)); len(r.Rows) != 0 {
		t.Errorf("AS OF before the static write: %q, want no row", r.Rows)
	}
}

// versionsCoord records whether every read the executor sends its
// coordinator carries the table's cell versions rule: the coordinator
// applies it to what several replicas answer (a replica that missed
// writes holds versions the others dropped), and without it a read
// through an index at QUORUM, or an LWT's, could rank an older version
// back in where a plain read does not.
type versionsCoord struct {
	*replication.Local
	t       *testing.T
	want    mutation.VersionRule
	checked int
}

func (c *versionsCoord) check(what string, got mutation.VersionRule) {
	c.t.Helper()
	c.checked++
	if got != c.want {
		c.t.Errorf("%s read with rule %+v, want the table's %+v", what, got, c.want)
	}
}

func (c *versionsCoord) Read(ctx context.Context, cmd replication.ReadCommand, cl replication.Consistency) (*mutation.Partition, error) {
	c.check("Read", cmd.Versions)
	return c.Local.Read(ctx, cmd, cl)
}

func (c *versionsCoord) ReadRange(ctx context.Context, cmd replication.RangeCommand, cl replication.Consistency) (replication.RangeResult, error) {
	c.check("ReadRange", cmd.Versions)
	return c.Local.ReadRange(ctx, cmd, cl)
}

func (c *versionsCoord) CAS(ctx context.Context, req replication.CASRequest, serial, commit replication.Consistency) (replication.CASResult, error) {
	c.check("CAS", req.Read.Versions)
	return c.Local.CAS(ctx, req, serial, commit)
}

// TestCellVersionsReadsCarryRule: every read of a versioned table through
// the coordinator names the table's rule (index re-reads, LWT, the
// static-only probe, reads before list operations among them).
func TestCellVersionsReadsCarryRule(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int, c int, v text, s int static, l list<int>, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '2'}")
	e.mustExec("CREATE INDEX ON ks.t (v)")
	e.mustExec("INSERT INTO ks.t (k, c, v, l) VALUES (1, 1, 'a', [1, 2])")
	e.mustExec("INSERT INTO ks.t (k, s) VALUES (2, 5)")
	rc := &versionsCoord{Local: e.x.cfg.Coordinator.(*replication.Local), t: t, want: mutation.VersionRule{MaxVersions: 2}}
	e.x.cfg.Coordinator = rc
	quorum := &Options{Consistency: replication.Quorum, Timestamp: mutation.NoTimestamp}
	for _, stmt := range []string{
		"SELECT * FROM ks.t WHERE v = 'a'",
		"SELECT * FROM ks.t WHERE k IN (1, 2) ORDER BY c",
		"UPDATE ks.t SET v = 'b' WHERE k = 1 AND c = 1 IF v = 'a'",
		"UPDATE ks.t SET l[0] = 7 WHERE k = 1 AND c = 1",
		"DELETE l[1] FROM ks.t WHERE k = 1 AND c = 1",
		"SELECT * FROM ks.t",
	} {
		if _, err := e.exec(stmt, quorum); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if rc.checked < 6 {
		t.Fatalf("%d reads checked, want at least one a statement", rc.checked)
	}
}

// TestCellVersionsNewestEverywhere: wherever a statement reads a
// versioned column's value — filters, writetime and ttl, JSON,
// aggregates, GROUP BY — it reads the newest live version, not an older
// one and not a list of them.
func TestCellVersionsNewestEverywhere(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int, c int, v int, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
	base := e.clock
	for c := 1; c <= 2; c++ {
		e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (1, %d, 100) USING TIMESTAMP %d", c, base+10))
		e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (1, %d, %d) USING TIMESTAMP %d AND TTL 1000", c, c, base+20))
	}
	i32 := func(b []byte) string {
		if b == nil {
			return "null"
		}
		switch len(b) {
		case 4:
			return fmt.Sprint(int32(binary.BigEndian.Uint32(b)))
		case 8:
			return fmt.Sprint(int64(binary.BigEndian.Uint64(b)))
		}
		return fmt.Sprintf("%x", b)
	}
	for stmt, want := range map[string]string{
		"SELECT c FROM ks.t WHERE v = 100 ALLOW FILTERING":                                                    "",
		"SELECT c FROM ks.t WHERE v = 2 ALLOW FILTERING":                                                      "2",
		"SELECT c FROM ks.t WHERE k = 1 AND v > 50 ALLOW FILTERING":                                           "",
		"SELECT c FROM ks.t WHERE k = 1 AND v IN (1, 100) ALLOW FILTERING":                                    "1",
		"SELECT max(v) FROM ks.t WHERE k = 1":                                                                 "2",
		"SELECT sum(v) FROM ks.t":                                                                             "3",
		"SELECT max(v) FROM ks.t WHERE k = 1 GROUP BY k":                                                      "2",
		"SELECT writetime(v) FROM ks.t WHERE k = 1 AND c = 1":                                                 fmt.Sprint(base + 20),
		"SELECT ttl(v) FROM ks.t WHERE k = 1 AND c = 1":                                                       "1000",
		"SELECT JSON v FROM ks.t WHERE k = 1 AND c = 1":                                                       `{"v": 1}`,
		"SELECT toJson(v) FROM ks.t WHERE k = 1 AND c = 2":                                                    "2",
		fmt.Sprintf("SELECT max(v) FROM ks.t AS OF TIMESTAMP %d WHERE k = 1", base+15):                        "100",
		fmt.Sprintf("SELECT c FROM ks.t AS OF TIMESTAMP %d WHERE k = 1 AND v = 100 ALLOW FILTERING", base+15): "1 2",
	} {
		r := e.mustExec(stmt)
		var got []string
		for _, row := range r.Rows {
			if strings.Contains(stmt, "JSON") || strings.Contains(stmt, "toJson") {
				got = append(got, string(row[0]))
			} else {
				got = append(got, i32(row[0]))
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %q, want %q", stmt, strings.Join(got, " "), want)
		}
	}
}
