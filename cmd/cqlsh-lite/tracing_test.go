package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestTracing: TRACING ON against a real node prints, after each
// statement's result, the trace the node recorded in system_traces, in
// cqlsh's layout; SHOW SESSION prints it again; TRACING OFF stops it.
func TestTracing(t *testing.T) {
	addr := startNode(t, nil)
	out, errOut, code := runShell(t, `TRACING
TRACING ON
TRACING ON
CREATE KEYSPACE tr WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
CREATE TABLE tr.t (k int PRIMARY KEY, v text);
INSERT INTO tr.t (k, v) VALUES (1, 'one');
SELECT v FROM tr.t WHERE k = 1;
TRACING OFF
SELECT v FROM tr.t WHERE k = 1;
TRACING OFF
`, addr)
	if code != 2 || errOut != "<stdin>:3:Tracing is already enabled. Use TRACING OFF to disable.\n<stdin>:10:Tracing is not enabled.\n" {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"Tracing is currently disabled. Use TRACING ON to enable.\nNow Tracing is enabled\n",
		"Disabled Tracing.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	sessions := regexp.MustCompile(`(?m)^Tracing session: ([0-9a-f-]{36})$`).FindAllStringSubmatch(out, -1)
	// Two DDL statements, the INSERT and the first SELECT.
	if len(sessions) != 4 {
		t.Fatalf("got %d traces, want 4:\n%s", len(sessions), out)
	}
	insert := out[strings.Index(out, sessions[2][0]):strings.Index(out, sessions[3][0])]
	sel := out[strings.Index(out, sessions[3][0]):strings.Index(out, "Disabled Tracing.")]
	head := regexp.MustCompile(`(?m)^ activity +\| timestamp +\| source +\| source_elapsed \| client$`)
	for name, tc := range map[string]struct {
		text string
		want []string
	}{
		"insert": {insert, []string{
			`Execute CQL3 prepared query \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \| 127\.0\.0\.1 \| +0 \| 127\.0\.0\.1`,
			`Writing at consistency ONE \(1 needed\) to \[/127\.0\.0\.1:\d+\], pending \[\], down \[\] \(0 hinted\) \[MutationStage\] \|`,
			`Mutation applied locally \[MutationStage\] \| [^|]+ \| 127\.0\.0\.1 \| +\d+ \| 127\.0\.0\.1`,
			`Request complete \| [^|]+ \| 127\.0\.0\.1 \| +\d+ \| 127\.0\.0\.1`,
		}},
		"select": {sel, []string{
			`Reading at consistency ONE \(1 needed of 1 replicas\) from \[/127\.0\.0\.1:\d+\], spare \[\] \[ReadStage\]`,
			`Read 1 rows from /127\.0\.0\.1:\d+ \[ReadStage\]`,
			`Returning 1 rows of 1 columns \[Native-Transport-Requests\]`,
			`Request complete`,
		}},
	} {
		if !head.MatchString(tc.text) {
			t.Errorf("%s: no trace table header in\n%s", name, tc.text)
		}
		for _, w := range tc.want {
			if !regexp.MustCompile(w).MatchString(tc.text) {
				t.Errorf("%s: trace lacks /%s/:\n%s", name, w, tc.text)
			}
		}
	}
	// The rows come before the trace, as cqlsh prints them.
	if i := strings.Index(out, "(1 rows)"); i < strings.Index(out, sessions[2][0]) || i > strings.Index(out, sessions[3][0]) {
		t.Errorf("the SELECT's rows do not come before its trace:\n%s", out)
	}
	if !strings.Contains(out, "Parsing CREATE TABLE tr.t (k int PRIMARY KEY, v text) [Native-Transport-Requests]") {
		t.Errorf("the DDL's trace lacks its parsing:\n%s", out)
	}

	// SHOW SESSION reads the same trace back.
	out, errOut, _ = runShell(t, "SHOW SESSION "+sessions[3][1]+"\n", addr)
	if errOut != "" || !strings.Contains(out, sessions[3][0]) || !strings.Contains(out, "Returning 1 rows of 1 columns") {
		t.Errorf("SHOW SESSION: stderr %q, output:\n%s", errOut, out)
	}
}
