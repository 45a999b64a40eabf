package query

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"wcdb/mutation"
)

// TestCellVersionsOption: cell_versions is set at CREATE and ALTER,
// checked, shown by DESCRIBE only when set, kept across a restart (in
// system_schema.tables' extensions), and reaches the table's storage.
func TestCellVersionsOption(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.plain (k int PRIMARY KEY, v text)")
	if d := describeTable(e, "ks.plain"); strings.Contains(d, "cell_versions") {
		t.Fatalf("a plain table describes with cell_versions:\n%s", d)
	}
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, v text) WITH cell_versions = {'max_versions': '3'}")
	want, rule := "cell_versions = {'max_versions': '3'}", mutation.VersionRule{MaxVersions: 3}
	check := func(when string) {
		t.Helper()
		if d := describeTable(e, "ks.t"); !strings.Contains(d, want) || strings.Contains(d, "wcdb.cell_versions") {
			t.Fatalf("%s: DESCRIBE lacks %q (or shows the extension key):\n%s", when, want, d)
		}
		st := e.engine.Table(e.x.catalog.Table("ks", "t").ID)
		if got := st.Options().Versions; got != rule {
			t.Fatalf("%s: storage has rule %+v, want %+v", when, got, rule)
		}
	}
	check("after CREATE")
	e.restart()
	check("after a restart")
	e.mustExec("ALTER TABLE ks.t WITH cell_versions = {'max_versions': '5', 'max_age': '36h'}")
	want, rule = "cell_versions = {'max_age': '1d12h', 'max_versions': '5'}", mutation.VersionRule{MaxVersions: 5, MaxAge: (36 * time.Hour).Microseconds()}
	check("after ALTER")
	e.restart()
	check("after ALTER and a restart")
	for stmt, msg := range map[string]string{
		"ALTER TABLE ks.t WITH cell_versions = {}":                         "cell_versions cannot be turned off once set",
		"ALTER TABLE ks.t WITH cell_versions = {'max_age': '1mo'}":         "cell_versions max_age: invalid duration",
		"ALTER TABLE ks.t WITH cell_versions = 'all'":                      "It should be a map",
		"ALTER TABLE ks.plain WITH cell_versions = {'max_versions': '-1'}": "cell_versions max_versions must be an integer between 1 and 10000",
	} {
		if _, err := e.exec(stmt, nil); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", stmt, err, msg)
		}
	}
}

// versionsText renders a versions() result (map<bigint, text>) as
// "ts:value ...", in the order it is serialized.
func versionsText(t *testing.T, b []byte) string {
	t.Helper()
	if b == nil {
		return "null"
	}
	n := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	var out []string
	for range n {
		kl := int(binary.BigEndian.Uint32(b))
		k := int64(binary.BigEndian.Uint64(b[4 : 4+kl]))
		b = b[4+kl:]
		vl := int(binary.BigEndian.Uint32(b))
		out = append(out, fmt.Sprintf("%d:%s", k, b[4:4+vl]))
		b = b[4+vl:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes after the map", len(b))
	}
	return strings.Join(out, " ")
}

// TestCellVersionsSemantics: through the executor, a TTL expires one
// version (which still counts among the newest N), a batch's writes of
// one cell at different timestamps are versions, a row deletion and a
// null deletes the history up to their times, and a plain column and a
// collection of the same table keep Cassandra's semantics.
func TestCellVersionsSemantics(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.h (k int, c int, v text, s set<int>, PRIMARY KEY (k, c)) WITH cell_versions = {'max_versions': '3'}")
	read := func(sel string) string {
		t.Helper()
		r := e.mustExec("SELECT " + sel + " FROM ks.h WHERE k = 1 AND c = 1")
		if len(r.Rows) == 0 {
			return "no row"
		}
		if strings.HasPrefix(sel, "versions") {
			return versionsText(t, r.Rows[0][0])
		}
		if r.Rows[0][0] == nil {
			return "null"
		}
		return string(r.Rows[0][0])
	}
	base := e.clock
	e.mustExec(fmt.Sprintf("INSERT INTO ks.h (k, c, v) VALUES (1, 1, 'a') USING TIMESTAMP %d", base+10))
	e.mustExec(fmt.Sprintf("INSERT INTO ks.h (k, c, v) VALUES (1, 1, 'b') USING TIMESTAMP %d AND TTL 60", base+20))
	e.mustExec(fmt.Sprintf("INSERT INTO ks.h (k, c, v) VALUES (1, 1, 'c') USING TIMESTAMP %d", base+30))
	if got, want := read("versions(v)"), fmt.Sprintf("%d:a %d:b %d:c", base+10, base+20, base+30); got != want {
		t.Fatalf("versions(v) = %s, want %s", got, want)
	}
	// Past the TTL (the engine's clock moves at a restart), b is gone and
	// a remains; a fourth version then pushes a out, the expired b
	// counting as one of the newest three.
	e.clock += 61_000_000
	e.restart()
	if got, want := read("versions(v)"), fmt.Sprintf("%d:a %d:c", base+10, base+30); got != want {
		t.Fatalf("after b's TTL: versions(v) = %s, want %s", got, want)
	}
	e.mustExec(fmt.Sprintf("BEGIN UNLOGGED BATCH "+
		"UPDATE ks.h USING TIMESTAMP %d SET v = 'd' WHERE k = 1 AND c = 1; "+
		"UPDATE ks.h USING TIMESTAMP %d SET v = 'e' WHERE k = 1 AND c = 2; "+
		"UPDATE ks.h USING TIMESTAMP %d SET v = 'e2' WHERE k = 1 AND c = 2; "+
		"APPLY BATCH", base+40, base+41, base+42))
	if got, want := read("versions(v)"), fmt.Sprintf("%d:c %d:d", base+30, base+40); got != want {
		t.Fatalf("after d: versions(v) = %s, want %s", got, want)
	}
	r := e.mustExec("SELECT versions(v) FROM ks.h WHERE k = 1 AND c = 2")
	if got, want := versionsText(t, r.Rows[0][0]), fmt.Sprintf("%d:e %d:e2", base+41, base+42); got != want {
		t.Fatalf("a batch's two writes: versions(v) = %s, want %s", got, want)
	}
	if got := read("v"); got != "d" {
		t.Fatalf("SELECT v = %s, want the newest version d", got)
	}
	// A collection keeps Cassandra's semantics: an overwrite replaces it.
	e.mustExec(fmt.Sprintf("UPDATE ks.h USING TIMESTAMP %d SET s = {1, 2} WHERE k = 1 AND c = 1", base+43))
	e.mustExec(fmt.Sprintf("UPDATE ks.h USING TIMESTAMP %d SET s = {3} WHERE k = 1 AND c = 1", base+44))
	if r := e.mustExec("SELECT s FROM ks.h WHERE k = 1 AND c = 1"); len(r.Rows) != 1 || len(r.Rows[0][0]) != 12 {
		t.Fatalf("the set after an overwrite: %x, want {3} alone", r.Rows)
	}
	// A null at T deletes the versions up to T; a later one shows.
	e.mustExec(fmt.Sprintf("UPDATE ks.h USING TIMESTAMP %d SET v = null WHERE k = 1 AND c = 1", base+45))
	e.mustExec(fmt.Sprintf("UPDATE ks.h USING TIMESTAMP %d SET v = 'f' WHERE k = 1 AND c = 1", base+46))
	if got, want := read("versions(v)"), fmt.Sprintf("%d:f", base+46); got != want {
		t.Fatalf("after a null at 45 and f at 46: versions(v) = %s, want %s", got, want)
	}
	// AS OF before the null: the history is gone, as Bigtable's
	// DeleteCell leaves it; the row still exists by its marker.
	r = e.mustExec(fmt.Sprintf("SELECT v FROM ks.h AS OF TIMESTAMP %d WHERE k = 1 AND c = 1", base+44))
	if len(r.Rows) != 1 || r.Rows[0][0] != nil {
		t.Fatalf("AS OF before the deletion: %q, want the row with v null", r.Rows)
	}
	// Conditional writes read the newest version and write versions.
	e.mustExec("INSERT INTO ks.h (k, c, v) VALUES (2, 1, 'x') IF NOT EXISTS")
	e.mustExec("UPDATE ks.h SET v = 'y' WHERE k = 2 AND c = 1 IF v = 'x'")
	if r := e.mustExec("UPDATE ks.h SET v = 'z' WHERE k = 2 AND c = 1 IF v = 'x'"); len(r.Rows) != 1 || string(r.Rows[0][1]) != "y" {
		t.Fatalf("UPDATE IF v = 'x' after y: %q, want not applied, v y", r.Rows)
	}
	if r := e.mustExec("SELECT versions(v) FROM ks.h WHERE k = 2 AND c = 1"); !strings.HasSuffix(versionsText(t, r.Rows[0][0]), ":y") ||
		strings.Count(versionsText(t, r.Rows[0][0]), ":") != 2 {
		t.Fatalf("after two conditional writes: versions(v) = %s, want x then y", versionsText(t, r.Rows[0][0]))
	}
	// A row deletion deletes every version it is newer than.
	e.mustExec(fmt.Sprintf("DELETE FROM ks.h USING TIMESTAMP %d WHERE k = 1 AND c = 1", base+47))
	if got := read("v"); got != "no row" {
		t.Fatalf("after the row deletion: %s, want no row", got)
	}
}

// TestCellVersionsAfterAlter: a table given cell_versions by ALTER keeps
// each cell's value from before as its oldest version: plain reads show
// the newer of it and the versions, versions() lists it, and deleting
// the cell deletes it too.
func TestCellVersionsAfterAlter(t *testing.T) {
	e := newDDLEnv(t)
	e.mustExec("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
	e.mustExec("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
	base := e.clock
	e.mustExec(fmt.Sprintf("INSERT INTO ks.t (k, v) VALUES (1, 'old') USING TIMESTAMP %d", base+1))
	e.mustExec("ALTER TABLE ks.t WITH cell_versions = {'max_versions': '2'}")
	get := func(sel string) string {
		t.Helper()
		r := e.mustExec("SELECT " + sel + " FROM ks.t WHERE k = 1")
		if len(r.Rows) != 1 {
			t.Fatalf("SELECT %s: %d rows, want 1", sel, len(r.Rows))
		}
		if strings.HasPrefix(sel, "versions") {
			return versionsText(t, r.Rows[0][0])
		}
		if r.Rows[0][0] == nil {
			return "null"
		}
		return string(r.Rows[0][0])
	}
	if got, vs := get("v"), get("versions(v)"); got != "old" || vs != fmt.Sprintf("%d:old", base+1) {
		t.Fatalf("after ALTER: v %s, versions %s; want old, the one version", got, vs)
	}
	e.mustExec(fmt.Sprintf("UPDATE ks.t USING TIMESTAMP %d SET v = 'new' WHERE k = 1", base+2))
	if got, vs := get("v"), get("versions(v)"); got != "new" || vs != fmt.Sprintf("%d:old %d:new", base+1, base+2) {
		t.Fatalf("after a versioned write: v %s, versions %s; want new, old then new", got, vs)
	}
	e.mustExec(fmt.Sprintf("DELETE v FROM ks.t USING TIMESTAMP %d WHERE k = 1", base+2))
	if got, vs := get("v"), get("versions(v)"); got != "null" || vs != "null" {
		t.Fatalf("after DELETE v: v %s, versions %s; want null, null", got, vs)
	}
}
