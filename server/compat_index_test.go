package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/server/nodeops"
)

// indexModelRow is one row of the index tests' table, kept in Go to
// compute what each indexed query must return.
type indexModelRow struct {
	id, ts, age int
	name        string
	tags        []string
	attrs       map[string]string
}

func indexRow(id, ts int) indexModelRow {
	r := indexModelRow{id: id, ts: ts, age: (id*7 + ts*3) % 60, name: fmt.Sprintf("n%d", (id+ts)%5),
		tags:  []string{fmt.Sprintf("t%d", id%3), fmt.Sprintf("t%d", ts%4)},
		attrs: map[string]string{fmt.Sprintf("k%d", id%2): fmt.Sprintf("v%d", ts%3)}}
	slices.Sort(r.tags)
	r.tags = slices.Compact(r.tags)
	return r
}

func (r indexModelRow) key() string { return fmt.Sprintf("%d/%d", r.id, r.ts) }

func insertIndexRows(t *testing.T, s *gocql.Session, model map[string]indexModelRow, from, to int) {
	t.Helper()
	for id := from; id < to; id++ {
		for ts := 0; ts < 4; ts++ {
			r := indexRow(id, ts)
			if err := s.Query("INSERT INTO idx.users (id, ts, age, name, tags, attrs) VALUES (?, ?, ?, ?, ?, ?)",
				r.id, r.ts, r.age, r.name, r.tags, r.attrs).Exec(); err != nil {
				t.Fatal(err)
			}
			model[r.key()] = r
		}
	}
}

// indexQueryKeys runs q (paged by pageSize) and returns the id/ts of its
// rows, sorted.
func indexQueryKeys(t *testing.T, s *gocql.Session, pageSize int, q string, args ...any) []string {
	t.Helper()
	it := s.Query(q, args...).PageSize(pageSize).Iter()
	var out []string
	var id, ts int
	for it.Scan(&id, &ts) {
		out = append(out, fmt.Sprintf("%d/%d", id, ts))
	}
	if err := it.Close(); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
	sort.Strings(out)
	return out
}

func modelKeys(model map[string]indexModelRow, keep func(indexModelRow) bool) []string {
	var out []string
	for k, r := range model {
		if keep(r) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestCompatGocqlIndexes: CREATE INDEX and SAI through gocql on data
// written before and after the index, flushed and not: equality, ranges,
// CONTAINS, CONTAINS KEY, map entries, two indexes ANDed, with the
// partition key, paged; overwritten and deleted rows drop out; DROP INDEX;
// system_schema.indexes; Cassandra's refusals.
func TestCompatGocqlIndexes(t *testing.T) {
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE idx WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE idx.users (id int, ts int, age int, name text, tags set<text>, attrs map<text, text>, PRIMARY KEY (id, ts))")
	model := map[string]indexModelRow{}
	insertIndexRows(t, s, model, 0, 30)
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	insertIndexRows(t, s, model, 30, 40) // in the memtable when the indexes come
	mustExec(t, s,
		"CREATE INDEX ON idx.users (name)",
		"CREATE CUSTOM INDEX age_sai ON idx.users (age) USING 'StorageAttachedIndex'",
		"CREATE INDEX tags_idx ON idx.users (tags)",
		"CREATE INDEX attr_keys ON idx.users (keys(attrs))",
		"CREATE INDEX attr_entries ON idx.users (entries(attrs))",
		"CREATE INDEX IF NOT EXISTS tags_idx ON idx.users (tags)")
	checkIndexStats(t, n, 5)
	insertIndexRows(t, s, model, 40, 60)
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	insertIndexRows(t, s, model, 60, 70)
	// An overwrite and a deletion: the index keeps the old entries, the
	// re-check drops them.
	mustExec(t, s, "UPDATE idx.users SET name = 'renamed', age = 99 WHERE id = 1 AND ts = 1",
		"DELETE FROM idx.users WHERE id = 2 AND ts = 0")
	r := model["1/1"]
	r.name, r.age = "renamed", 99
	model["1/1"] = r
	delete(model, "2/0")

	sel := "SELECT id, ts FROM idx.users WHERE "
	for _, tc := range []struct {
		where string
		args  []any
		keep  func(indexModelRow) bool
	}{
		{"name = ?", []any{"n3"}, func(r indexModelRow) bool { return r.name == "n3" }},
		{"name = ?", []any{"renamed"}, func(r indexModelRow) bool { return r.name == "renamed" }},
		{"age > ? AND age <= ?", []any{20, 35}, func(r indexModelRow) bool { return r.age > 20 && r.age <= 35 }},
		{"age < ?", []any{5}, func(r indexModelRow) bool { return r.age < 5 }},
		{"tags CONTAINS ?", []any{"t2"}, func(r indexModelRow) bool { return slices.Contains(r.tags, "t2") }},
		{"attrs CONTAINS KEY ?", []any{"k1"}, func(r indexModelRow) bool { _, ok := r.attrs["k1"]; return ok }},
		{"attrs['k0'] = ?", []any{"v2"}, func(r indexModelRow) bool { return r.attrs["k0"] == "v2" }},
		{"name = ? AND age >= ?", []any{"n1", 30}, func(r indexModelRow) bool { return r.name == "n1" && r.age >= 30 }},
		{"id = ? AND name = ?", []any{7, "n0"}, func(r indexModelRow) bool { return r.id == 7 && r.name == "n0" }},
		{"name = ? AND ts = ?", []any{"n1", 2}, func(r indexModelRow) bool { return r.name == "n1" && r.ts == 2 }},
		{"name = ? AND tags CONTAINS ? ALLOW FILTERING", []any{"n2", "t0"}, func(r indexModelRow) bool { return r.name == "n2" && slices.Contains(r.tags, "t0") }},
	} {
		want := modelKeys(model, tc.keep)
		for _, page := range []int{3, 1000} {
			got := indexQueryKeys(t, s, page, sel+tc.where, tc.args...)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("WHERE %s %v (page %d): got %d rows %v, want %d %v", tc.where, tc.args, page, len(got), got, len(want), want)
			}
		}
	}

	// Cassandra's refusals.
	for _, tc := range [][2]string{
		{sel + "ts = 1", "ALLOW FILTERING"},
		{sel + "name > 'n1'", "ALLOW FILTERING"},                        // a plain index serves equality only
		{sel + "name = 'n1' AND tags CONTAINS 't0'", "ALLOW FILTERING"}, // two plain indexes: one is read, the other filters
		{"CREATE INDEX ON idx.users (id)", "Cannot create secondary index on the only partition key column id"},
		{"CREATE INDEX name_again ON idx.users (name)", "is a duplicate of existing index users_name_idx"},
		{"CREATE INDEX tags_idx ON idx.users (age)", "Index 'tags_idx' already exists"},
		{"CREATE INDEX ON idx.users (nope)", "Column 'nope' doesn't exist"},
		{"CREATE INDEX ON idx.users (keys(tags))", "Cannot create index on keys of column tags with non-map type"},
		{"CREATE CUSTOM INDEX ON idx.users (age) USING 'Nope'", "Unable to find custom indexer class 'Nope'"},
		{"DROP INDEX idx.nope", "Index 'idx.nope' doesn't exist"},
		{"ALTER TABLE idx.users DROP name", "dependent secondary indexes (users_name_idx)"},
		{"CREATE INDEX ON idx.users (ts) USING 'sai'", ""},
	} {
		stmt, want := tc[0], tc[1]
		err := s.Query(stmt).Exec()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", stmt, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want an error with %q", stmt, err, want)
		}
	}
	// An index on a clustering column, created last, serves too.
	if got, want := indexQueryKeys(t, s, 5, sel+"ts = ?", 3), modelKeys(model, func(r indexModelRow) bool { return r.ts == 3 }); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("WHERE ts = 3: got %v, want %v", got, want)
	}

	// system_schema.indexes, as drivers read it.
	it := s.Query("SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = 'idx' AND table_name = 'users'").Iter()
	got := map[string]string{}
	var name, kind string
	var opts map[string]string
	for it.Scan(&name, &kind, &opts) {
		got[name] = kind + " " + opts["target"] + " " + opts["class_name"]
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"users_name_idx": "COMPOSITES name ",
		"age_sai":        "CUSTOM age org.apache.cassandra.index.sai.StorageAttachedIndex",
		"tags_idx":       "COMPOSITES values(tags) ",
		"attr_keys":      "COMPOSITES keys(attrs) ",
		"attr_entries":   "COMPOSITES entries(attrs) ",
		"users_ts_idx":   "CUSTOM ts org.apache.cassandra.index.sai.StorageAttachedIndex",
	} {
		if want == "" {
			if _, ok := got[name]; !ok {
				t.Errorf("system_schema.indexes: no %s", name)
			}
			continue
		}
		if got[name] != want {
			t.Errorf("system_schema.indexes %s: got %q, want %q", name, got[name], want)
		}
	}
	mustExec(t, s, "DROP INDEX idx.users_name_idx", "DROP INDEX IF EXISTS idx.users_name_idx")
	if err := s.Query(sel + "name = 'n1'").Exec(); err == nil || !strings.Contains(err.Error(), "ALLOW FILTERING") {
		t.Errorf("after DROP INDEX: got %v, want the ALLOW FILTERING refusal", err)
	}
}

// checkIndexStats waits until the node's admin indexstats lists want
// indexes, each built over the SSTables that existed when it was created.
func checkIndexStats(t *testing.T, n *Node, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _, err := n.cl.ops.Handle(context.Background(), []string{"indexstats"})
		if err != nil {
			t.Fatal(err)
		}
		var st []nodeops.IndexStat
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		done := len(st) == want
		for _, s := range st {
			done = done && s.Done && s.Built == s.Total && s.Total > 0 && s.Error == ""
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("indexstats: %+v, want %d indexes built", st, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
