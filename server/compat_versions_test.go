package server

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// versionsOf reads versions(col[, n]) of one row as gocql decodes a
// map<bigint, text>.
func versionsOf(t *testing.T, s *gocql.Session, sel, where string, args ...any) map[int64]string {
	t.Helper()
	var m map[int64]string
	q := fmt.Sprintf("SELECT %s FROM wt.webtable %s", sel, where)
	if err := s.Query(q, args...).Scan(&m); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return m
}

func wantVersions(t *testing.T, what string, got map[int64]string, want map[int64]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// TestCompatVersionsWebtable is the Bigtable paper's Webtable through
// gocql (docs/VERSIONS.md): row com.cnn.www, contents written at t3, t5
// and t6 read back as three versions, the anchors one each; a fourth
// version pushes the oldest out, a DELETE USING TIMESTAMP deletes the
// history up to it, AS OF reads the row as it was, and compaction changes
// none of the answers.
func TestCompatVersionsWebtable(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE wt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE wt.webtable (row text PRIMARY KEY, contents text, anchor_cnnsi text, anchor_mylook text) WITH cell_versions = {'max_versions': '3'}",
		"INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>3') USING TIMESTAMP 3",
		"INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>6') USING TIMESTAMP 6",
		"INSERT INTO wt.webtable (row, contents) VALUES ('com.cnn.www', '<html>5') USING TIMESTAMP 5",
		"INSERT INTO wt.webtable (row, anchor_cnnsi, anchor_mylook) VALUES ('com.cnn.www', 'CNN', 'CNN.com') USING TIMESTAMP 9",
	)
	const row = "WHERE row = 'com.cnn.www'"
	check := func(when string) {
		t.Helper()
		var contents, anchor string
		var cv, av map[int64]string
		if err := s.Query("SELECT contents, anchor_cnnsi, versions(contents), versions(anchor_cnnsi) FROM wt.webtable "+row).
			Scan(&contents, &anchor, &cv, &av); err != nil {
			t.Fatal(err)
		}
		if contents != "<html>6" || anchor != "CNN" {
			t.Errorf("%s: plain read %q, %q; want the newest versions <html>6, CNN", when, contents, anchor)
		}
		wantVersions(t, when+": versions(contents)", cv, map[int64]string{3: "<html>3", 5: "<html>5", 6: "<html>6"})
		wantVersions(t, when+": versions(anchor_cnnsi)", av, map[int64]string{9: "CNN"})
		wantVersions(t, when+": versions(contents, 2)", versionsOf(t, s, "versions(contents, 2)", row), map[int64]string{5: "<html>5", 6: "<html>6"})
		// AS OF: the row as it was; a prepared time too.
		var at string
		var anchorAt *string
		if err := s.Query("SELECT contents, anchor_cnnsi FROM wt.webtable AS OF TIMESTAMP 5 "+row).Scan(&at, &anchorAt); err != nil {
			t.Fatal(err)
		}
		if at != "<html>5" || anchorAt != nil {
			t.Errorf("%s: AS OF 5: %q, %v; want <html>5 and no anchor yet", when, at, anchorAt)
		}
		if err := s.Query("SELECT contents FROM wt.webtable AS OF TIMESTAMP ? WHERE row = ?", int64(4), "com.cnn.www").Scan(&at); err != nil || at != "<html>3" {
			t.Errorf("%s: AS OF ? (4): %q, %v; want <html>3", when, at, err)
		}
		// Before the first write the row did not exist.
		if err := s.Query("SELECT contents FROM wt.webtable AS OF TIMESTAMP 2 " + row).Scan(&at); err != gocql.ErrNotFound {
			t.Errorf("%s: AS OF 2: %q, %v; want no row", when, at, err)
		}
	}
	check("memtable")
	compactAll(t, "wt", "webtable", n)
	check("compacted")

	// A fourth version pushes the oldest out. (The wire order, oldest
	// first, is checked through the Python driver, whose maps keep it.)
	mustExec(t, s, "UPDATE wt.webtable USING TIMESTAMP 7 SET contents = '<html>7' "+row)
	wantVersions(t, "after t7", versionsOf(t, s, "versions(contents)", row), map[int64]string{5: "<html>5", 6: "<html>6", 7: "<html>7"})
	// DELETE col USING TIMESTAMP T deletes the cell's history up to T.
	mustExec(t, s, "DELETE contents FROM wt.webtable USING TIMESTAMP 6 "+row)
	wantVersions(t, "after DELETE at 6", versionsOf(t, s, "versions(contents)", row), map[int64]string{7: "<html>7"})
	compactAll(t, "wt", "webtable", n)
	wantVersions(t, "after DELETE, compacted", versionsOf(t, s, "versions(contents)", row), map[int64]string{7: "<html>7"})

	// AS OF a timestamp literal (milliseconds) against real write times.
	noon := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, h := range []int{-2, -1, 1} {
		mustExec(t, s, fmt.Sprintf("INSERT INTO wt.webtable (row, contents) VALUES ('r2', 'at %d') USING TIMESTAMP %d", h, noon.Add(time.Duration(h)*time.Hour).UnixMicro()))
	}
	var at string
	if err := s.Query("SELECT contents FROM wt.webtable AS OF '2026-12-01 12:00:00+0000' WHERE row = 'r2'").Scan(&at); err != nil || at != "at -1" {
		t.Errorf("AS OF '2026-12-01 12:00:00+0000': %q, %v; want at -1", at, err)
	}

	// The option is in system_schema.tables' extensions.
	var ext map[string][]byte
	if err := s.Query("SELECT extensions FROM system_schema.tables WHERE keyspace_name = 'wt' AND table_name = 'webtable'").Scan(&ext); err != nil {
		t.Fatal(err)
	}
	if string(ext["wcdb.cell_versions"]) != "max_versions=3" {
		t.Errorf("extensions %q, want wcdb.cell_versions = max_versions=3", ext)
	}
}

// TestCompatVersionsErrors: versions() and AS OF say clearly why they do
// not apply, and max_age bounds AS OF.
func TestCompatVersionsErrors(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE ve WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ve.plain (k int PRIMARY KEY, v text)",
		"CREATE TABLE ve.week (k int PRIMARY KEY, v text, s set<int>) WITH cell_versions = {'max_age': '7d'}",
		"CREATE TABLE ve.counts (k int PRIMARY KEY, n counter)",
	)
	for stmt, msg := range map[string]string{
		"SELECT versions(v) FROM ve.plain WHERE k = 1":                                 "Table ve.plain does not keep cell versions (set cell_versions)",
		"SELECT * FROM ve.plain AS OF TIMESTAMP 1 WHERE k = 1":                         "Table ve.plain does not keep cell versions (set cell_versions)",
		"SELECT versions(s) FROM ve.week WHERE k = 1":                                  "Column s keeps no versions",
		"SELECT versions(k) FROM ve.week WHERE k = 1":                                  "Column k keeps no versions",
		"SELECT versions(v, 0) FROM ve.week WHERE k = 1":                               "versions() count must be positive",
		"SELECT * FROM ve.week AS OF TIMESTAMP 1 WHERE k = 1":                          "is outside the retention of ve.week (max_age 7d)",
		"SELECT * FROM ve.week AS OF 'yesterday' WHERE k = 1":                          "Unable to coerce 'yesterday' to a formatted date (long)",
		"ALTER TABLE ve.week WITH cell_versions = {}":                                  "cell_versions cannot be turned off once set",
		"ALTER TABLE ve.week WITH cell_versions = {'max_versions': '0'}":               "cell_versions max_versions must be an integer between 1 and 10000",
		"ALTER TABLE ve.counts WITH cell_versions = {'max_versions': '2'}":             "Cannot set cell_versions on a table with counters",
		"CREATE TABLE ve.bad (k int PRIMARY KEY) WITH cell_versions = {'keep': 'all'}": "Unknown cell_versions option: keep",
	} {
		err := s.Query(stmt).Exec()
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", stmt, err, msg)
		}
	}
	// Within max_age, AS OF answers.
	now := time.Now()
	mustExec(t, s, fmt.Sprintf("INSERT INTO ve.week (k, v) VALUES (1, 'old') USING TIMESTAMP %d", now.Add(-time.Hour).UnixMicro()),
		fmt.Sprintf("INSERT INTO ve.week (k, v) VALUES (1, 'new') USING TIMESTAMP %d", now.UnixMicro()))
	var v string
	if err := s.Query("SELECT v FROM ve.week AS OF TIMESTAMP ? WHERE k = 1", now.Add(-time.Minute).UnixMicro()).Scan(&v); err != nil || v != "old" {
		t.Errorf("AS OF a minute ago: %q, %v; want old", v, err)
	}
	// A version older than max_age is gone, from reads at once.
	mustExec(t, s, fmt.Sprintf("INSERT INTO ve.week (k, v) VALUES (2, 'ancient') USING TIMESTAMP %d", now.Add(-8*24*time.Hour).UnixMicro()))
	var m map[int64]string
	if err := s.Query("SELECT versions(v) FROM ve.week WHERE k = 2").Scan(&m); err != nil && err != gocql.ErrNotFound || len(m) != 0 {
		t.Errorf("a version older than max_age: %v, %v; want none", m, err)
	}
}
