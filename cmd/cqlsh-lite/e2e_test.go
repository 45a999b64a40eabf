package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"wcdb/server"
)

// mustRun runs the shell and fails the test unless it succeeds quietly.
func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := runShell(t, stdin, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("cqlsh-lite %q: exit %d, stderr:\n%s", args, code, errOut)
	}
	return out
}

const describedSchema = `
CREATE KEYSPACE app WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND durable_writes = true;
CREATE TABLE app.events (
  tenant text, day date, at timeuuid, kind text static, body text, tags set<text>,
  attrs map<text, frozen<list<int>>>, pos frozen<tuple<double, double>>,
  PRIMARY KEY ((tenant, day), at)
) WITH CLUSTERING ORDER BY (at DESC) AND comment = 'it''s the events' AND default_time_to_live = 3600
  AND gc_grace_seconds = 3600;
CREATE TABLE app."Users" ("Id" uuid PRIMARY KEY, "Name" text, counts list<bigint>);
CREATE KEYSPACE other WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1};
CREATE TABLE other.kv (k blob, c1 int, c2 text, v varint, PRIMARY KEY (k, c1, c2))
  WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC);
`

// TestDescribeRunnable checks that what DESCRIBE prints is CQL that
// recreates the schema: DESCRIBE SCHEMA run on a fresh node describes the
// same, and DESCRIBE TABLE run into another keyspace makes the same table.
func TestDescribeRunnable(t *testing.T) {
	a := startNode(t, nil)
	mustRun(t, describedSchema, a)
	schema := mustRun(t, "", a, "-e", "DESCRIBE SCHEMA")
	for _, want := range []string{"CREATE KEYSPACE app ", "CREATE TABLE app.events (", `CREATE TABLE app."Users" (`, "CREATE TABLE other.kv ("} {
		if !strings.Contains(schema, want) {
			t.Fatalf("DESCRIBE SCHEMA: got\n%s\nwant it to contain %q", schema, want)
		}
	}

	b := startNode(t, nil)
	mustRun(t, schema, b)
	if again := mustRun(t, "", b, "-e", "DESCRIBE SCHEMA"); again != schema {
		t.Fatalf("DESCRIBE SCHEMA after running it on a fresh node: got\n%s\nwant\n%s", again, schema)
	}

	// DESCRIBE KEYSPACE and TABLE print the same statements as SCHEMA.
	ks := mustRun(t, "", a, "-k", "app", "-e", "DESCRIBE KEYSPACE")
	if !strings.Contains(schema, strings.TrimSpace(ks)) {
		t.Fatalf("DESCRIBE KEYSPACE app: got\n%s\nwant a part of DESCRIBE SCHEMA:\n%s", ks, schema)
	}
	table := mustRun(t, "", a, "-e", "DESC TABLE app.events")
	if !strings.HasPrefix(table, "\nCREATE TABLE app.events (\n") || !strings.Contains(schema, strings.TrimSpace(table)) {
		t.Fatalf("DESCRIBE TABLE app.events: got\n%s", table)
	}
	copied := strings.Replace(table, "CREATE TABLE app.events", "CREATE TABLE copy.events", 1)
	mustRun(t, "CREATE KEYSPACE copy WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\n"+copied, a)
	got := mustRun(t, "", a, "-e", "DESCRIBE TABLE copy.events")
	if want := copied; got != want {
		t.Fatalf("DESCRIBE TABLE of the copy: got\n%s\nwant\n%s", got, want)
	}
}

// TestSelectStar reads whole system tables, whose columns cover many
// types, in both layouts.
func TestSelectStar(t *testing.T) {
	addr := startNode(t, nil)
	for _, stmt := range []string{
		"SELECT * FROM system.local",
		"EXPAND ON; SELECT * FROM system.local",
		"SELECT * FROM system_schema.tables",
		"SELECT * FROM system_schema.columns WHERE keyspace_name = 'system_schema'",
	} {
		out := mustRun(t, "", addr, "-e", stmt)
		if !strings.Contains(out, " rows)\n") {
			t.Errorf("%s: got\n%s\nwant a row count", stmt, out)
		}
	}
	out := mustRun(t, "", addr, "-e", "EXPAND ON; SELECT * FROM system.local")
	for _, want := range []string{"@ Row 1\n", " cluster_name            | wcdb\n", " key                     | local\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("SELECT * FROM system.local, expanded: got\n%s\nwant it to contain %q", out, want)
		}
	}
}

// TestConnectErrors checks that an unreachable node gives a clear message
// and status 1, within the connect timeout.
func TestConnectErrors(t *testing.T) {
	// A port nothing listens on: refused at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	_, errOut, code := runShell(t, "", refused, "-e", "SELECT * FROM system.local")
	if want := "Connection error: unable to connect to " + refused + ": dial tcp " + refused + ": connect: connection refused\n"; code != 1 || errOut != want {
		t.Errorf("refused: got exit %d, stderr %q, want exit 1, %q", code, errOut, want)
	}

	// A listener that accepts and never answers: the connect timeout.
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	start := time.Now()
	_, errOut, code = runShell(t, "", ln.Addr().String(), "--connect-timeout", "1", "-e", "SELECT * FROM system.local")
	if took := time.Since(start); code != 1 || !strings.HasPrefix(errOut, "Connection error: unable to connect to "+ln.Addr().String()+": ") || took > 5*time.Second {
		t.Errorf("silent node: got exit %d, stderr %q after %v, want exit 1 and a connection error within 5s", code, errOut, took)
	}

	// -k of a keyspace that does not exist.
	addr := startNode(t, nil)
	_, errOut, code = runShell(t, "", addr, "-k", "nosuch", "-e", "SELECT * FROM system.local")
	if want := "Connection error: InvalidRequest: Error from server: code=2200 [Invalid query] message=\"Keyspace 'nosuch' does not exist\"\n"; code != 1 || errOut != want {
		t.Errorf("-k nosuch: got exit %d, stderr %q, want exit 1, %q", code, errOut, want)
	}
}

// TestLogin connects to a node that asks for a password.
func TestLogin(t *testing.T) {
	addr := startNode(t, func(c *server.Config) {
		c.Auth.Authenticator = "PasswordAuthenticator"
		c.Auth.Users = map[string]string{"ann": "secret", "bob": "hunter2"}
	})
	out := mustRun(t, "", addr, "-u", "ann", "-p", "secret", "-e", "SELECT key FROM system.local")
	if !strings.Contains(out, "(1 rows)") {
		t.Errorf("logged in: got\n%s", out)
	}
	_, errOut, code := runShell(t, "", addr, "-u", "ann", "-p", "wrong", "-e", "SELECT key FROM system.local")
	if code != 1 || !strings.HasPrefix(errOut, "Connection error: unable to connect to "+addr) {
		t.Errorf("wrong password: got exit %d, stderr %q, want exit 1 and a connection error", code, errOut)
	}
	_, errOut, code = runShell(t, "", addr, "-u", "ann", "-e", "SELECT key FROM system.local")
	if want := "cqlsh-lite: -u needs -p when stdin is not a terminal\n"; code != 2 || errOut != want {
		t.Errorf("no password, no terminal: got exit %d, stderr %q, want exit 2, %q", code, errOut, want)
	}

	// LOGIN as another user: a wrong password keeps the session; the right
	// one changes the prompt, and USE reconnects as the new user; without a
	// password the terminal asks for it. Passwords stay out of the history.
	var transcript strings.Builder
	conn := connConfig{host: "127.0.0.1", port: portOf(t, addr), user: "ann", password: "secret",
		connectTimeout: 5 * time.Second, requestTimeout: 5 * time.Second}
	session, err := conn.connect("")
	if err != nil {
		t.Fatal(err)
	}
	sh := newShell(conn, session, &transcript, &transcript)
	defer sh.close()
	term := &scriptedTerminal{out: &transcript, lines: []string{
		"LOGIN bob 'wrong'",
		"LOGIN bob 'hunter2'",
		"USE system;",
		"SELECT count(*) FROM local;",
		"LOGIN ann",
		"secret",
		"LOGIN",
	}}
	sh.term = term
	sh.run(term, true, "<stdin>")
	want := `ann@cqlsh> LOGIN bob 'wrong'
Connection error: unable to connect to ` + addr + `: Provided username bob and/or password are incorrect
ann@cqlsh> LOGIN bob 'hunter2'
bob@cqlsh> USE system;
bob@cqlsh:system> SELECT count(*) FROM local;

 count
-------
     1

(1 rows)
bob@cqlsh:system> LOGIN ann
Password: 
ann@cqlsh:system> LOGIN
Improper LOGIN command.
ann@cqlsh:system> 
`
	if got := transcript.String(); got != want {
		t.Errorf("transcript: got\n%s\nwant\n%s", got, want)
	}
	wantHistory := []string{"USE system;", "SELECT count(*) FROM local;", "LOGIN ann", "LOGIN"}
	if !slices.Equal(term.history, wantHistory) {
		t.Errorf("history: got %q, want %q", term.history, wantHistory)
	}
}

// scriptedTerminal stands in for the terminal: it hands out its lines in
// turn and writes prompt and line to the transcript, as they would appear
// on the screen.
type scriptedTerminal struct {
	lines   []string
	out     io.Writer
	history []string
}

func (s *scriptedTerminal) ReadLine(prompt string) (string, error) {
	if len(s.lines) == 0 {
		io.WriteString(s.out, prompt)
		return "", io.EOF
	}
	line := s.lines[0]
	s.lines = s.lines[1:]
	if line == "^C" {
		io.WriteString(s.out, prompt+"^C\n")
		return "", errInterrupted
	}
	io.WriteString(s.out, prompt+line+"\n")
	return line, nil
}

func (s *scriptedTerminal) AddHistory(entry string) { s.history = append(s.history, entry) }

// ReadPassword takes the next line, which the screen does not show.
func (s *scriptedTerminal) ReadPassword(prompt string) (string, error) {
	io.WriteString(s.out, prompt+"\n")
	if len(s.lines) == 0 {
		return "", io.EOF
	}
	line := s.lines[0]
	s.lines = s.lines[1:]
	return line, nil
}

// TestInteractiveSession runs the shell as at a terminal, with the lines a
// user types: prompts that follow USE, a statement over several lines,
// ---MORE--- between pages, Ctrl-C at ---MORE--- and in a statement, and
// errors without a location.
func TestInteractiveSession(t *testing.T) {
	addr := startNode(t, nil)
	mustRun(t, `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.t (k int PRIMARY KEY, v text);
INSERT INTO ks.t (k, v) VALUES (1, 'a'); INSERT INTO ks.t (k, v) VALUES (2, 'b'); INSERT INTO ks.t (k, v) VALUES (3, 'c');`, addr)
	var transcript strings.Builder
	conn := connConfig{host: "127.0.0.1", port: portOf(t, addr), connectTimeout: 5 * time.Second, requestTimeout: 5 * time.Second}
	session, err := conn.connect("")
	if err != nil {
		t.Fatal(err)
	}
	sh := newShell(conn, session, &transcript, &transcript)
	defer sh.close()
	term := &scriptedTerminal{out: &transcript, lines: []string{
		"USE ks;",
		"SELECT k, v",
		"FROM t",
		"WHERE k IN (1, 2);",
		"PAGING 2",
		"SELECT * FROM t;",
		"",
		"SELECT * FROM t;",
		"^C",
		"SELECT",
		"^C",
		"EXPAND ON",
		"SELECT * FROM t;",
		"",
		"SELECT * FROM nosuch;",
	}}
	sh.term = term
	sh.run(term, true, "<stdin>")
	want := `cqlsh> USE ks;
cqlsh:ks> SELECT k, v
      ... FROM t
      ... WHERE k IN (1, 2);

 k | v
---+---
 1 | a
 2 | b

(2 rows)
cqlsh:ks> PAGING 2
Page size: 2
cqlsh:ks> SELECT * FROM t;

 k | v
---+---
 1 | a
 2 | b

---MORE---
 k | v
---+---
 3 | c

(3 rows)
cqlsh:ks> SELECT * FROM t;

 k | v
---+---
 1 | a
 2 | b

---MORE---^C
cqlsh:ks> SELECT
      ... ^C
cqlsh:ks> EXPAND ON
EXPAND set to ON
cqlsh:ks> SELECT * FROM t;

@ Row 1
---+---
 k | 1
 v | a

@ Row 2
---+---
 k | 2
 v | b

---MORE---
@ Row 3
---+---
 k | 3
 v | c

(3 rows)
cqlsh:ks> SELECT * FROM nosuch;
InvalidRequest: Error from server: code=2200 [Invalid query] message="unconfigured table nosuch"
cqlsh:ks> 
`
	if got := transcript.String(); got != want {
		t.Errorf("transcript: got\n%s\nwant\n%s", got, want)
	}
	wantHistory := []string{"USE ks;", "SELECT k, v FROM t WHERE k IN (1, 2);", "PAGING 2", "SELECT * FROM t;", "SELECT * FROM t;", "EXPAND ON", "SELECT * FROM t;", "SELECT * FROM nosuch;"}
	if strings.Join(term.history, "\n") != strings.Join(wantHistory, "\n") {
		t.Errorf("history: got %q, want %q", term.history, wantHistory)
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseArgs(t *testing.T) {
	t.Setenv("CQLSH_HOST", "")
	t.Setenv("CQLSH_PORT", "")
	for _, tc := range []struct {
		args     []string
		host     string
		port     int
		keyspace string
		execute  string
	}{
		{nil, "127.0.0.1", 9042, "", ""},
		{[]string{"10.0.0.1"}, "10.0.0.1", 9042, "", ""},
		{[]string{"10.0.0.1:9999"}, "10.0.0.1", 9999, "", ""},
		{[]string{"10.0.0.1", "9999"}, "10.0.0.1", 9999, "", ""},
		{[]string{"[::1]:9043"}, "::1", 9043, "", ""},
		{[]string{"-k", "ks", "h:1", "-e", "SELECT 1"}, "h", 1, "ks", "SELECT 1"},
		{[]string{"h:1", "--keyspace=ks", "--execute", "x"}, "h", 1, "ks", "x"},
	} {
		o, code, ok := parseArgs(tc.args, io.Discard, io.Discard)
		if !ok {
			t.Errorf("%q: exit %d", tc.args, code)
			continue
		}
		if o.conn.host != tc.host || o.conn.port != tc.port || o.keyspace != tc.keyspace || o.execute != tc.execute {
			t.Errorf("%q: got %s:%d -k %q -e %q, want %s:%d -k %q -e %q", tc.args, o.conn.host, o.conn.port, o.keyspace, o.execute,
				tc.host, tc.port, tc.keyspace, tc.execute)
		}
	}
	t.Setenv("CQLSH_HOST", "envhost")
	t.Setenv("CQLSH_PORT", "7000")
	if o, _, _ := parseArgs(nil, io.Discard, io.Discard); o.conn.host != "envhost" || o.conn.port != 7000 {
		t.Errorf("from the environment: got %s:%d, want envhost:7000", o.conn.host, o.conn.port)
	}
	// Colour: the flags, else the cqlshrc's [ui] color, else automatic.
	rc := filepath.Join(t.TempDir(), "cqlshrc")
	if err := os.WriteFile(rc, []byte("[ui]\ncolor = off\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want colorMode
	}{
		{[]string{"--cqlshrc", ""}, colorAuto},
		{[]string{"--cqlshrc", "", "-C"}, colorOn},
		{[]string{"--cqlshrc", "", "--no-color"}, colorOff},
		{[]string{"--cqlshrc", rc}, colorOff},
		{[]string{"--cqlshrc", rc, "--color"}, colorOn},
	} {
		if o, code, ok := parseArgs(tc.args, io.Discard, io.Discard); !ok || o.color != tc.want {
			t.Errorf("%q: got ok %v (exit %d), colour %v, want %v", tc.args, ok, code, o.color, tc.want)
		}
	}
	for _, args := range [][]string{{"a", "b", "c"}, {"h:notaport"}, {"--nosuch"}, {"-e", "x", "-f", "y"}, {"--connect-timeout", "0"}, {"--color", "--no-color"}} {
		if _, code, ok := parseArgs(args, io.Discard, io.Discard); ok || code != 2 {
			t.Errorf("%q: got ok %v, exit %d, want a usage error (2)", args, ok, code)
		}
	}
	var out strings.Builder
	if _, code, ok := parseArgs([]string{"--help"}, &out, io.Discard); ok || code != 0 || !strings.HasPrefix(out.String(), usageLine) {
		t.Errorf("--help: got ok %v, exit %d, output %q", ok, code, out.String())
	}
}

// TestFileNotFound checks -f of a missing file: reported before
// connecting.
func TestFileNotFound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.cql")
	_, errOut, code := runShell(t, "", "127.0.0.1:1", "-f", path)
	if want := "Can't open '" + path + "': open " + path + ": no such file or directory\n"; code != 1 || errOut != want {
		t.Errorf("got exit %d, stderr %q, want exit 1, %q", code, errOut, want)
	}
}
