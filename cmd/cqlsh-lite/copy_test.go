package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"wcdb/server"
)

// copySchema is a table with a column of most types, and a second table
// like it to import into.
const copySchema = `
CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.src (k int, c text, t text, a ascii, bi bigint, si smallint, ti tinyint, vi varint,
  de decimal, f float, d double, b boolean, bl blob, u uuid, tu timeuuid, ts timestamp, dt date,
  tm time, du duration, ip inet, l list<text>, s set<int>, m map<text, frozen<list<int>>>,
  tp frozen<tuple<int, text, timestamp>>, PRIMARY KEY (k, c));
CREATE TABLE ks.dst (k int, c text, t text, a ascii, bi bigint, si smallint, ti tinyint, vi varint,
  de decimal, f float, d double, b boolean, bl blob, u uuid, tu timeuuid, ts timestamp, dt date,
  tm time, du duration, ip inet, l list<text>, s set<int>, m map<text, frozen<list<int>>>,
  tp frozen<tuple<int, text, timestamp>>, PRIMARY KEY (k, c));
INSERT INTO ks.src (k, c, t, a, bi, si, ti, vi, de, f, d, b, bl, u, tu, ts, dt, tm, du, ip, l, s, m, tp)
  VALUES (1, 'a', 'plain', 'ascii', -9223372036854775808, 32767, -128, 123456789012345678901234567890,
  -12.345e-7, 3.1415927, 0.1, true, 0xcafe, 5a1f1a8e-0d2e-4a37-9a40-21ad0c1fd2a1, 50554d6e-29bb-11e5-b345-feff819cdc9f,
  '2024-02-29 12:34:56.789+0000', '1970-01-01', '23:59:59.999999999', 1h30m5s, '::1',
  ['x', 'it''s', 'a, "b"'], {3, 1, 2}, {'k1': [1, 2], 'k''2': []}, (7, 'seven, "7"', '2001-01-01 00:00:00+0000'));
INSERT INTO ks.src (k, c, t, d, f) VALUES (1, 'b', 'comma, "quote" and
newline, back\slash and |pipe| and tab	here', 1e300, NaN);
INSERT INTO ks.src (k, c, t, tp, l) VALUES (2, '', '', (null, null, null), []);
INSERT INTO ks.src (k, c, t) VALUES (3, 'NULL', 'NULL');
INSERT INTO ks.src (k, c) VALUES (4, 'nulls');
`

// TestCopyRoundTrip exports a table with many types, nulls, empty
// strings, quotes and delimiters inside text, and collections, imports the
// file into a second table, and compares the two, with several dialects.
func TestCopyRoundTrip(t *testing.T) {
	addr := startNode(t, nil)
	mustRun(t, copySchema, addr)
	want := mustRun(t, "", addr, "-e", "SELECT * FROM ks.src")
	if !strings.Contains(want, "(5 rows)") {
		t.Fatalf("the source table: got\n%s", want)
	}
	dir := t.TempDir()
	for i, with := range []string{
		"",
		" WITH HEADER = true AND DELIMITER = '|' AND NULL = 'NULL'",
		" WITH DELIMITER = '\\t' AND QUOTE = '''' AND ESCAPE = '''' AND PAGESIZE = 2",
	} {
		file := filepath.Join(dir, fmt.Sprintf("src%d.csv", i))
		out := mustRun(t, "", addr, "-e", "COPY ks.src TO '"+file+"'"+with)
		if !regexp.MustCompile(`(?s)^\nStarting copy of ks.src with columns \['k', 'c', 'a', .*\.\n.*Processed: 5 rows; .*\n5 rows exported to 1 files in [0-9.]+ seconds\.\n$`).MatchString(out) {
			t.Errorf("COPY TO%s: got %q", with, out)
		}
		mustRun(t, "", addr, "-e", "TRUNCATE ks.dst")
		fromWith := strings.Replace(with, "PAGESIZE = 2", "MAXBATCHSIZE = 2 AND CHUNKSIZE = 3", 1)
		out = mustRun(t, "", addr, "-e", "COPY ks.dst FROM '"+file+"'"+fromWith)
		if !regexp.MustCompile(`(?s)^\nStarting copy of ks.dst with columns .*\n5 rows imported from 1 files in [0-9.]+ seconds \(0 skipped\)\.\n$`).MatchString(out) {
			t.Errorf("COPY FROM%s: got %q", fromWith, out)
		}
		if got := mustRun(t, "", addr, "-e", "SELECT * FROM ks.dst"); got != want {
			data, _ := os.ReadFile(file)
			t.Errorf("after COPY TO and FROM%s: got\n%s\nwant\n%s\nfile:\n%s", with, got, want, data)
		}
	}

	// HEADER writes the names first; STDOUT gets the rows and nothing else.
	out := mustRun(t, "", addr, "-e", "COPY ks.src (k, c, t) TO STDOUT WITH HEADER = true")
	if want := "k,c,t\n1,a,plain\n1,b,\"comma, \\\"quote\\\" and\nnewline, back\\\\slash and |pipe| and tab\there\"\n2,\"\",\"\"\n4,nulls,\n3,NULL,NULL\n"; out != want {
		t.Errorf("COPY TO STDOUT: got %q, want %q", out, want)
	}
}

// TestCopyFromErrors imports a file with bad rows: each is reported with
// its line and why, the good ones go in; MAXPARSEERRORS stops the import.
func TestCopyFromErrors(t *testing.T) {
	addr := startNode(t, nil)
	mustRun(t, `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.t (k int PRIMARY KEY, v int, s set<int>);`, addr)
	file := filepath.Join(t.TempDir(), "bad.csv")
	data := "k,v,s\n1,10,{1}\n2,abc,\n3,30\n,40,\n\n5,50,\"{1, x}\"\n6,60,\"{2, 3}\"\n7,99999999999,\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	errFile := filepath.Join(t.TempDir(), "bad.err")
	out, errOut, code := runShell(t, "", addr, "-e", "COPY ks.t (k, v, s) FROM '"+file+"' WITH HEADER = true AND ERRFILE = '"+errFile+"'")
	for _, want := range []string{
		`Failed to import 1 rows (line 3): ParseError - Failed to parse abc for column v: "abc" is not an integer of type int,  given up without retries`,
		`Failed to import 1 rows (line 4): ParseError - Invalid row length 2 should be 3,  given up without retries`,
		`Failed to import 1 rows (line 5): ParseError - Cannot insert null value for primary key column 'k',  given up without retries`,
		`Failed to import 1 rows (line 7): ParseError - Failed to parse {1, x} for column s: "x" is not an integer of type int,  given up without retries`,
		`Failed to import 1 rows (line 9): ParseError - Failed to parse 99999999999 for column v: value 99999999999 out of range for int,  given up without retries`,
		"Failed to process 5 rows; failed rows written to " + errFile,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr: got\n%s\nwant it to contain\n%s", errOut, want)
		}
	}
	if code != 2 || !strings.Contains(out, "\n2 rows imported from 1 files in ") {
		t.Errorf("got exit %d, stdout %q, want exit 2 and 2 rows imported", code, out)
	}
	if got := mustRun(t, "", addr, "-e", "SELECT k, v, s FROM ks.t"); !strings.Contains(got, " 1 | 10 |    {1}\n") || !strings.Contains(got, " 6 | 60 | {2, 3}\n") {
		t.Errorf("imported: got\n%s", got)
	}
	if got, _ := os.ReadFile(errFile); string(got) != "2,abc,\n3,30\n,40,\n5,50,\"{1, x}\"\n7,99999999999,\n" {
		t.Errorf("error file: got %q", got)
	}

	// Statements that cannot run.
	for stmt, want := range map[string]string{
		"COPY ks.nosuch TO STDOUT":               "Table 'ks.nosuch' not found",
		"COPY t TO STDOUT":                       "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename",
		"COPY ks.t (k, nosuch) TO STDOUT":        "Column 'nosuch' not found in table ks.t",
		"COPY ks.t (v, s) FROM STDIN":            "Primary key column 'k' missing or skipped",
		"COPY ks.t FROM '/nonexistent/x.csv'":    "Can't open '/nonexistent/x.csv' for reading: open /nonexistent/x.csv: no such file or directory",
		"COPY ks.t TO '/nonexistent/x.csv'":      "Can't open '/nonexistent/x.csv' for writing: open /nonexistent/x.csv: no such file or directory",
		"COPY ks.t FROM STDIN WITH PAGESIZE = 1": "Unrecognized COPY FROM options: pagesize",
	} {
		if _, errOut, _ := runShell(t, "", addr, "-e", stmt); errOut != "<stdin>:1:"+want+"\n" {
			t.Errorf("%s: got stderr %q, want %q", stmt, errOut, want)
		}
	}

	// Rows the node refuses (an empty partition key) fail the batch; the
	// rows are then tried one by one, and only the bad ones fail.
	mustRun(t, "CREATE TABLE ks.s (k text PRIMARY KEY, v int);", addr)
	if err := os.WriteFile(file, []byte("a,1\n\"\",2\nb,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, _ = runShell(t, "", addr, "-e", "COPY ks.s FROM '"+file+"'")
	if !strings.Contains(errOut, "Failed to import 1 rows (line 2): InvalidRequest: Error from server: code=2200 [Invalid query] message=") ||
		!strings.Contains(errOut, ",  given up after 2 attempts\n") || !strings.Contains(out, "\n2 rows imported") {
		t.Errorf("a row the node refuses: got stdout %q, stderr\n%s", out, errOut)
	}
	_, errOut, _ = runShell(t, "", addr, "-e", "COPY ks.s FROM '"+file+"' WITH MAXINSERTERRORS = 0")
	if !strings.Contains(errOut, "Exceeded maximum number of insert errors 0\n") {
		t.Errorf("MAXINSERTERRORS = 0: got stderr\n%s", errOut)
	}

	// Three bad rows then many good ones, one chunk of ten at a time: the
	// second error stops it, long before the end.
	var b strings.Builder
	b.WriteString("100,x,\n101,y,\n102,z,\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d,%d,\n", 1000+i, i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "", addr, "-e", "TRUNCATE ks.t")
	out, errOut, _ = runShell(t, "", addr, "-e", "COPY ks.t (k, v, s) FROM '"+file+"' WITH MAXPARSEERRORS = 1 AND CHUNKSIZE = 10 AND NUMPROCESSES = 1")
	if !strings.Contains(errOut, "(line 2): ParseError") || !strings.Contains(errOut, "Exceeded maximum number of parse errors 1\n") || strings.Contains(errOut, "(line 3)") {
		t.Errorf("MAXPARSEERRORS = 1: got stderr\n%s", errOut)
	}
	m := regexp.MustCompile(`\n(\d+) rows imported`).FindStringSubmatch(out)
	if m == nil || len(m[1]) > 3 {
		t.Errorf("MAXPARSEERRORS = 1: got %q, want fewer than 1000 rows imported", out)
	}
}

// TestCopyMany imports and exports a few thousand rows, logging the time.
func TestCopyMany(t *testing.T) {
	// The commit log synced periodically, as nodes run by default: the
	// tests' batch mode waits for a sync per write, and the time would be
	// the disk's.
	addr := startNode(t, func(c *server.Config) { c.CommitLog.Sync = "periodic" })
	mustRun(t, `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.t (k int, c int, v text, ts timestamp, PRIMARY KEY (k, c));`, addr)
	const rows = 5000
	var b strings.Builder
	for i := range rows {
		fmt.Fprintf(&b, "%d,%d,value %d,2024-01-01 00:00:%02d.000000+0000\n", i%100, i, i, i%60)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "many.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := mustRun(t, "", addr, "-e", "COPY ks.t (k, c, v, ts) FROM '"+file+"'")
	t.Logf("COPY FROM of %d rows took %v: %q", rows, time.Since(start), out[strings.LastIndex(out[:len(out)-1], "\n")+1:])
	if !strings.Contains(out, fmt.Sprintf("\n%d rows imported", rows)) {
		t.Errorf("COPY FROM: got %q", out)
	}
	if got := mustRun(t, "", addr, "-e", "SELECT count(*) FROM ks.t"); !strings.Contains(got, fmt.Sprintf(" %d\n", rows)) {
		t.Errorf("count after COPY FROM: got\n%s", got)
	}
	start = time.Now()
	out = mustRun(t, "", addr, "-e", "COPY ks.t TO '"+filepath.Join(dir, "out.csv")+"' WITH PAGESIZE = 700")
	t.Logf("COPY TO of %d rows took %v", rows, time.Since(start))
	if !strings.Contains(out, fmt.Sprintf("\n%d rows exported", rows)) {
		t.Errorf("COPY TO: got %q", out)
	}
}

// TestCopyStdin reads rows typed after COPY FROM STDIN, up to \. .
func TestCopyStdin(t *testing.T) {
	addr := startNode(t, nil)
	out := mustRun(t, `CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE ks.t (k int PRIMARY KEY, v text);
USE ks;
COPY t (k, v) FROM STDIN;
1,one
2,"two, too"
\.
SELECT * FROM t;
`, addr)
	for _, want := range []string{"[Use \\. on a line by itself to end input]\n", "\n2 rows imported from 1 files", " 2 | two, too\n", "(2 rows)"} {
		if !strings.Contains(out, want) {
			t.Errorf("got\n%s\nwant it to contain %q", out, want)
		}
	}

	// At the terminal, each line is asked for with cqlsh's [copy] prompt.
	var transcript strings.Builder
	conn := connConfig{host: "127.0.0.1", port: portOf(t, addr), connectTimeout: 5 * time.Second, requestTimeout: 5 * time.Second}
	session, err := conn.connect("")
	if err != nil {
		t.Fatal(err)
	}
	sh := newShell(conn, session, &transcript, &transcript)
	defer sh.close()
	term := &scriptedTerminal{out: &transcript, lines: []string{"COPY ks.t FROM STDIN;", "3,three", `\.`, "SELECT count(*) FROM ks.t;"}}
	sh.term = term
	sh.run(term, true, "<stdin>")
	got := regexp.MustCompile(`Rate: +\d+ rows/s; Avg. rate: +\d+ rows/s|[0-9.]+ seconds`).ReplaceAllString(transcript.String(), "…")
	want := `cqlsh> COPY ks.t FROM STDIN;

Starting copy of ks.t with columns ['k', 'v'].
[Use \. on a line by itself to end input]
[copy] 3,three
[copy] \.
Processed: 1 rows; …` + "\r" + `
1 rows imported from 1 files in … (0 skipped).
cqlsh> SELECT count(*) FROM ks.t;

 count
-------
     3

(1 rows)
cqlsh> 
`
	if got != want {
		t.Errorf("at the terminal: got\n%s\nwant\n%s", got, want)
	}
}

func TestParseCopy(t *testing.T) {
	c, err := parseCopy(`COPY ks."T" (a, "B") FROM 'f.csv' WITH header = TRUE AND delimiter = '\t' AND maxerrors = -1 AND NUMPROCESSES = 3 AND NULL = 'n'`)
	if err != nil {
		t.Fatal(err)
	}
	if c.keyspace != "ks" || c.table != "T" || strings.Join(c.columns, ",") != "a,B" || !c.from || c.file != "f.csv" ||
		!c.opts.header || c.opts.dialect.Delim != '\t' || c.opts.maxErrors != -1 || c.opts.workers != 3 || c.opts.null != "n" {
		t.Errorf("got %+v", c)
	}
	if doc, ok := helpDoc("COPY"); !ok || !strings.Contains(doc, "MAXBATCHSIZE = 20") {
		t.Errorf("HELP COPY: got %q", doc)
	}
	for stmt, want := range map[string]string{
		"COPY t TO":                                "Improper COPY command.",
		"COPY t TO STDIN":                          "Improper COPY command.",
		"COPY t (a TO 'f'":                         "Improper COPY command.",
		"COPY t TO 'f' WITH PAGESIZE = 0":          "PAGESIZE must be an integer of at least 1, not '0'",
		"COPY t TO 'f' WITH MAXBATCHSIZE = 2":      "Unrecognized COPY TO options: maxbatchsize",
		"COPY t FROM 'f' WITH DELIMITER = ';;'":    "DELIMITER must be a single character, not ';;'",
		"COPY t FROM 'f' WITH HEADER = yes":        "HEADER must be true or false, not 'yes'",
		"COPY t FROM 'f' WITH HEADER = true AND x": "Improper COPY command.",
	} {
		if _, err := parseCopy(stmt); err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", stmt, err, want)
		}
	}
}

func TestDescribeInterval(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500 * time.Millisecond:             "1.500 seconds",
		61 * time.Second:                    "1 minute and 1.000 seconds",
		2*time.Hour + 3*time.Minute + 4e8:   "2 hours, 3 minutes, and 0.400 seconds",
		25*time.Hour + 250*time.Millisecond: "1 day, 1 hour, and 0.250 seconds",
	} {
		if got := describeInterval(d); got != want {
			t.Errorf("%v: got %q, want %q", d, got, want)
		}
	}
}

func TestErrorCounts(t *testing.T) {
	o := defaultCopyOptions()
	o.maxParseErrors, o.maxErrors = 1, 2
	var n errorCounts
	for i, tc := range []struct {
		insert bool
		want   string
	}{
		{false, ""},
		{true, ""},
		{true, "Exceeded maximum number of errors 2"},
		{false, "Exceeded maximum number of parse errors 1"},
	} {
		if got := n.add(rowError{insert: tc.insert}, o); got != tc.want {
			t.Errorf("error %d: got %q, want %q", i+1, got, tc.want)
		}
	}
}
