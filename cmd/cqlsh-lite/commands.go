package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
	"wcdb/cmd/cqlsh-lite/internal/render"
)

// The shell commands about the session: SHOW, CAPTURE and LOGIN.

// commandArgs returns the arguments of a shell command: the words after
// the first, a quoted string being one word even with spaces in it.
// Comments are left out.
func commandArgs(stmt string) []string {
	var args []string
	var cur strings.Builder
	word := false // cur holds a word
	first := true
	flush := func() {
		if word && !first {
			args = append(args, cur.String())
		}
		if word {
			first = false
		}
		cur.Reset()
		word = false
	}
	for _, t := range cqllex.Lex(stmt) {
		if !t.Significant() {
			flush()
			continue
		}
		if first && !word && t.Text == "?" { // "? topic" is HELP's short form
			first = false
			continue
		}
		cur.WriteString(t.Text)
		word = true
	}
	flush()
	return args
}

// hasPassword reports whether a statement gives a password, which the
// shell keeps out of its history: LOGIN user password.
func hasPassword(stmt string) bool {
	return cqllex.FirstWord(stmt) == "login" && len(commandArgs(stmt)) > 1
}

// passwordReader is a lineReader that can ask for a password without
// showing it (the terminal).
type passwordReader interface {
	ReadPassword(prompt string) (string, error)
}

// show is SHOW VERSION, SHOW HOST and SHOW SESSION <uuid>.
func (s *Shell) show(args []string) {
	switch {
	case len(args) == 1 && strings.EqualFold(args[0], "version"):
		s.printf("%s\n", s.versionLine())
	case len(args) == 1 && strings.EqualFold(args[0], "host"):
		s.printf("%s\n", s.hostLine())
	case len(args) == 2 && strings.EqualFold(args[0], "session"):
		id, err := gocql.ParseUUID(args[1])
		if err != nil {
			s.improper("show")
			return
		}
		s.showSession(id)
	default:
		s.improper("show")
	}
}

// traceSession is a row of system_traces.sessions, traceEvent one of
// system_traces.events.
type traceSession struct {
	request, coordinator, client string
	started                      time.Time
	duration                     *int // microseconds; nil while the request runs
}

type traceEvent struct {
	id                       gocql.UUID // a timeuuid: when it happened
	activity, source, thread string
	elapsed                  *int // microseconds since the request reached source
}

// showSession prints a trace recorded in system_traces, as cqlsh does.
func (s *Shell) showSession(id gocql.UUID) {
	ctx, done := s.queryContext()
	defer done()
	var ts traceSession
	err := s.session.Query("SELECT request, coordinator, client, started_at, duration FROM system_traces.sessions WHERE session_id = ?", id).
		WithContext(ctx).Consistency(gocql.One).Scan(&ts.request, &ts.coordinator, &ts.client, &ts.started, &ts.duration)
	var re gocql.RequestError
	switch {
	case errors.Is(err, gocql.ErrNotFound):
		s.printErr(fmt.Sprintf("Session %s wasn't found.", id))
		return
	case errors.As(err, &re) && re.Code() == gocql.ErrCodeInvalid && strings.Contains(re.Message(), "unconfigured table"):
		s.printErr("Traces are not available: the node has no system_traces.sessions table.")
		return
	case err != nil:
		s.printErr(errorText(err))
		return
	}
	iter := s.session.Query("SELECT event_id, activity, source, source_elapsed, thread FROM system_traces.events WHERE session_id = ?", id).
		WithContext(ctx).Consistency(gocql.One).Iter()
	var events []traceEvent
	var e traceEvent
	for iter.Scan(&e.id, &e.activity, &e.source, &e.elapsed, &e.thread) {
		events = append(events, e)
		e = traceEvent{}
	}
	if err := iter.Close(); err != nil {
		s.printErr(errorText(err))
		return
	}
	heading := "Tracing session: "
	if s.color && s.capture == nil {
		heading = render.Paint(render.ColorName, heading)
	}
	s.rprintf("\n%s%s\n\n", heading, id)
	render.Table(s.results(), traceColumns, traceRows(ts, events, s.loc), true, true)
}

var traceColumns = []string{"activity", "timestamp", "source", "source_elapsed", "client"}

// traceRows lays a trace out as cqlsh prints it: a row for the request,
// one per event ("activity [thread]"), and "Request complete" with the
// duration; times in loc,
// elapsed times in microseconds, "--" where not known yet.
func traceRows(ts traceSession, events []traceEvent, loc *time.Location) [][]string {
	const layout = "2006-01-02 15:04:05.000000"
	micros := func(v *int) string {
		if v == nil {
			return "--"
		}
		return strconv.Itoa(*v)
	}
	rows := [][]string{{ts.request, ts.started.In(loc).Format(layout), ts.coordinator, "0", ts.client}}
	for _, e := range events {
		activity := e.activity
		if e.thread != "" {
			activity += " [" + e.thread + "]"
		}
		rows = append(rows, []string{activity, e.id.Time().In(loc).Format(layout), e.source, micros(e.elapsed), ts.client})
	}
	finished := "--"
	if ts.duration != nil {
		finished = ts.started.Add(time.Duration(*ts.duration) * time.Microsecond).In(loc).Format(layout)
	}
	return append(rows, []string{"Request complete", finished, ts.coordinator, micros(ts.duration), ts.client})
}

// captureCommand is CAPTURE ['file' | OFF], as cqlsh's: the results of
// queries are appended to the file instead of shown, until CAPTURE OFF;
// the shell's own messages and errors still show.
func (s *Shell) captureCommand(args []string) {
	switch {
	case len(args) == 0:
		if s.capture == nil {
			s.printf("Currently not capturing query output.\n")
		} else {
			s.printf("Currently capturing query output to '%s'.\n", s.captureName)
		}
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
		if s.capture == nil {
			s.printErr("Not currently capturing output.")
			return
		}
		if err := s.capture.Close(); err != nil {
			s.printErr(fmt.Sprintf("Could not write '%s': %v", s.captureName, err))
		}
		s.capture, s.captureName = nil, ""
	case len(args) == 1:
		name, ok := parseString(args[0])
		if !ok {
			s.improper("capture")
			return
		}
		if s.capture != nil {
			s.printErr(fmt.Sprintf("Already capturing output to '%s'. Use CAPTURE OFF to disable.", s.captureName))
			return
		}
		name = expandHome(name)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			s.printErr(fmt.Sprintf("Could not open '%s' for append: %v", name, err))
			return
		}
		s.capture, s.captureName = f, name
		s.printf("Now capturing query output to '%s'.\n", name)
	default:
		s.improper("capture")
	}
}

// login is LOGIN user ['password']: a new session as that user (asked for
// the password at a terminal when not given), in the same keyspace. The
// old session stays if the new one cannot be opened.
func (s *Shell) login(args []string) {
	if len(args) == 0 || len(args) > 2 {
		s.improper("login")
		return
	}
	unquote := func(a string) string {
		if v, ok := parseString(a); ok {
			return v
		}
		if v, ok := cqllex.ParseIdent(a); ok && strings.HasPrefix(a, `"`) {
			return v
		}
		return a
	}
	conn := s.conn
	conn.user = unquote(args[0])
	if len(args) == 2 {
		conn.password = unquote(args[1])
	} else {
		pr, ok := s.term.(passwordReader)
		if !s.tty || !ok {
			s.printErr("LOGIN needs the password when not at a terminal: LOGIN user 'password'")
			return
		}
		pw, err := pr.ReadPassword("Password: ")
		if err != nil {
			return
		}
		conn.password = pw
	}
	session, err := conn.connect(s.keyspace)
	if err != nil {
		s.printErr("Connection error: " + err.Error())
		return
	}
	s.session.Close()
	s.session, s.conn = session, conn
}
