package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/render"
)

func TestCommandArgs(t *testing.T) {
	for _, tc := range []struct {
		stmt string
		want []string
	}{
		{"EXPAND", nil},
		{"PAGING  10", []string{"10"}},
		{"help create table", []string{"create", "table"}},
		{"? topics", []string{"topics"}},
		{"?expand", []string{"expand"}},
		{"CAPTURE '/tmp/a file.txt'", []string{"'/tmp/a file.txt'"}},
		{"LOGIN \"Ann\" 'it''s secret'", []string{`"Ann"`, "'it''s secret'"}},
		{"SHOW SESSION 01234567-89ab-cdef-0123-456789abcdef", []string{"SESSION", "01234567-89ab-cdef-0123-456789abcdef"}},
		{"CONSISTENCY /* c */ quorum", []string{"quorum"}},
	} {
		if got := commandArgs(tc.stmt); !slices.Equal(got, tc.want) {
			t.Errorf("commandArgs(%q): got %q, want %q", tc.stmt, got, tc.want)
		}
	}
	for stmt, want := range map[string]bool{
		"LOGIN ann 'secret'": true, "login ann": false, "SELECT 'login a b'": false,
	} {
		if got := hasPassword(stmt); got != want {
			t.Errorf("hasPassword(%q): got %v, want %v", stmt, got, want)
		}
	}
}

// TestTraceRows lays out a trace as SHOW SESSION prints it, cqlsh's way.
func TestTraceRows(t *testing.T) {
	started := time.Date(2024, 1, 31, 13, 45, 0, 0, time.UTC)
	micros := func(n int) *int { return &n }
	event := func(after time.Duration) gocql.UUID { return gocql.UUIDFromTime(started.Add(after)) }
	ts := traceSession{request: "Execute CQL3 query", coordinator: "127.0.0.1", client: "127.0.0.2", started: started, duration: micros(1500)}
	events := []traceEvent{
		{id: event(200 * time.Microsecond), activity: "Parsing SELECT * FROM t", source: "127.0.0.1", elapsed: micros(200),
			thread: "Native-Transport-Requests"},
		{id: event(time.Millisecond), activity: "Read 1 live rows", source: "127.0.0.3"},
	}
	var b strings.Builder
	render.Table(&b, traceColumns, traceRows(ts, events, time.UTC), true, true)
	want := ` activity                                            | timestamp                  | source    | source_elapsed | client
-----------------------------------------------------+----------------------------+-----------+----------------+-----------
                                  Execute CQL3 query | 2024-01-31 13:45:00.000000 | 127.0.0.1 |              0 | 127.0.0.2
 Parsing SELECT * FROM t [Native-Transport-Requests] | 2024-01-31 13:45:00.000200 | 127.0.0.1 |            200 | 127.0.0.2
                                    Read 1 live rows | 2024-01-31 13:45:00.001000 | 127.0.0.3 |             -- | 127.0.0.2
                                    Request complete | 2024-01-31 13:45:00.001500 | 127.0.0.1 |           1500 | 127.0.0.2

`
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	ts.duration = nil // still running
	rows := traceRows(ts, nil, time.UTC)
	if got := rows[len(rows)-1]; !slices.Equal(got, []string{"Request complete", "--", "127.0.0.1", "--", "127.0.0.2"}) {
		t.Errorf("unfinished: got last row %q", got)
	}
}
