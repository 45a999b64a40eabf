package query

import (
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
