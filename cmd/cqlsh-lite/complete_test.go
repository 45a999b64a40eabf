package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"wcdb/cmd/cqlsh-lite/internal/complete"
)

// fakeSchema is a schema for completion tests.
type fakeSchema map[string]map[string][]string // keyspace → table → columns

func (f fakeSchema) Keyspaces() []string { return slices.Sorted(maps.Keys(f)) }

func (f fakeSchema) Tables(ks string) []string { return slices.Sorted(maps.Keys(f[ks])) }

func (f fakeSchema) Columns(ks, t string) []string { return f[ks][t] }

// types and functions: one of each in keyspace app.
func (f fakeSchema) Types(ks string) []string {
	if ks == "app" {
		return []string{"address"}
	}
	return nil
}

func (f fakeSchema) Functions(ks string) []string {
	if ks == "app" {
		return []string{"fLog"}
	}
	return nil
}

// TestComplete runs testdata/complete:
//
//	complete [ks=KEYSPACE]: the input is the statement so far, '|' the
//	cursor (text after it is the rest of the line); prints the length of
//	the word that would be replaced and each candidate in brackets.
func TestComplete(t *testing.T) {
	schema := fakeSchema{
		"app": {
			"users":  {"id", "name", "Email"},
			"events": {"tenant", "day", "at", "body"},
		},
		"Other":         {"kv": {"k", "v"}},
		"system_schema": {"tables": {"keyspace_name", "table_name"}},
	}
	datadriven.RunTest(t, "testdata/complete", func(t *testing.T, d *datadriven.TestData) string {
		c := complete.Request{Schema: schema, Help: shellHelpTopics(), Copy: copyOptionNames}
		if d.HasArg("ks") {
			d.ScanArgs(t, "ks", &c.Keyspace)
		}
		before, after, ok := strings.Cut(d.Input, "|")
		if !ok {
			t.Fatalf("no cursor '|' in %q", d.Input)
		}
		c.Before, c.After = before, after
		cands, n := c.Complete()
		var b strings.Builder
		fmt.Fprintf(&b, "word %d\n", n)
		for _, cand := range cands {
			fmt.Fprintf(&b, "[%s]\n", cand)
		}
		return b.String()
	})
}

// TestCompleteLive completes against a node's schema, through liner's
// word completer: names come from system_schema, the statement's earlier
// lines count, and a table the shell creates is offered at once.
func TestCompleteLive(t *testing.T) {
	addr := startNode(t, nil)
	mustRun(t, `CREATE KEYSPACE shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE shop.orders (id int PRIMARY KEY, "Total" decimal);`, addr)
	conn := connConfig{host: "127.0.0.1", port: portOf(t, addr), connectTimeout: 5 * time.Second, requestTimeout: 5 * time.Second}
	session, err := conn.connect("")
	if err != nil {
		t.Fatal(err)
	}
	sh := newShell(conn, session, io.Discard, io.Discard)
	defer sh.close()

	check := func(line string, wantHead string, want ...string) {
		t.Helper()
		head, cands, tail := sh.completeWord(line, len([]rune(line)))
		if head != wantHead || tail != "" || !slices.Equal(cands, want) {
			t.Errorf("complete %q after %q: got %q %q %q, want %q %q", line, sh.partial, head, cands, tail, wantHead, want)
		}
	}
	check("USE sh", "USE ", "shop ")
	sh.partial = "SELECT id,\n"
	check(`"T`, "") // FROM is not typed yet: no table, no columns
	check("FROM sho", "FROM ", "shop.")
	check("FROM shop.", "FROM shop.", "orders ")
	sh.partial = ""
	check("SELECT * FROM shop.orders WHERE ", "SELECT * FROM shop.orders WHERE ", "\"Total\" ", "id ")
	sh.execute("CREATE TABLE shop.items (sku text PRIMARY KEY)")
	check("SELECT * FROM shop.", "SELECT * FROM shop.", "items ", "orders ")
	// Types and classes need no schema query that could fail; the
	// keyspace's types and functions come from system_schema.
	sh.execute("USE shop")
	check("CREATE TABLE t (a tinyi", "CREATE TABLE t (a ", "tinyint ")
	check("CREATE KEYSPACE k WITH replication = {'class': 'Sim", "CREATE KEYSPACE k WITH replication = {'class': ", "'SimpleStrategy' ")
	check("INSERT INTO orders (id, \"Total\") VALUES (1, toU", "INSERT INTO orders (id, \"Total\") VALUES (1, ", "toUnixTimestamp(")
}
