package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
	"wcdb/cmd/cqlsh-lite/internal/cqlvalue"
	"wcdb/cmd/cqlsh-lite/internal/render"
)

// defaultPageSize is the rows per page while paging is on, as cqlsh.
const defaultPageSize = 100

// fetchSize is the page size used to fetch whole results when paging is
// off (and for DESCRIBE): large results still come in several requests.
const fetchSize = 5000

// errInterrupted is what a lineReader returns when the user pressed Ctrl-C.
var errInterrupted = errors.New("interrupted")

// lineReader is a source of input lines: the terminal (with a prompt,
// line editing and history) or a file or pipe.
type lineReader interface {
	// ReadLine returns the next line without its end of line; io.EOF at
	// the end, errInterrupted after Ctrl-C.
	ReadLine(prompt string) (string, error)
	// AddHistory records a complete statement for recall.
	AddHistory(entry string)
}

// plainReader reads lines from a file or pipe; it has no prompt and keeps
// no history.
type plainReader struct{ r *bufio.Reader }

func newPlainReader(r io.Reader) *plainReader { return &plainReader{r: bufio.NewReader(r)} }

func (p *plainReader) ReadLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

func (p *plainReader) AddHistory(string) {}

// Shell is the state of a cqlsh-lite session: the connection, the
// settings its commands change, and where errors are reported.
type Shell struct {
	conn     connConfig
	session  *gocql.Session
	keyspace string // the keyspace of USE, "" for none
	cluster  string // cluster name, release and CQL version from system.local
	release  string
	cqlVer   string

	out, errOut io.Writer
	// term is the terminal when the shell is interactive, for ---MORE---.
	term lineReader
	// input is where statements are being read from, for COPY FROM STDIN.
	input lineReader
	// interrupts, when not nil, delivers Ctrl-C while a statement runs.
	interrupts <-chan os.Signal

	expand      bool
	paging      bool
	pageSize    int
	consistency gocql.Consistency
	serial      gocql.SerialConsistency

	// The input being read: interactive (prompts, paging pauses), and for
	// error messages its name and current line, shown when not
	// interactive (<stdin>:3:...).
	tty    bool
	src    string
	lineNo int

	failed bool // an error was reported (the exit status is 2 when not interactive)
	stop   bool // EXIT, QUIT or the end of the input

	// capture, when not nil, receives the results of queries instead of
	// out (CAPTURE 'file'); captureName is the file's name.
	capture     io.WriteCloser
	captureName string
	// loc is the time zone of traces' times (the local one but in tests).
	loc *time.Location
	// color paints results and errors (not captured results), as cqlsh.
	color bool
	// tracing: TRACING ON, each statement traced and its trace shown.
	tracing bool

	// partial is the statement read so far when a line is being read, for
	// completion; schema gives completion the schema's names.
	partial string
	schema  *liveSchema
}

// newShell returns a shell on an open session.
func newShell(conn connConfig, session *gocql.Session, out, errOut io.Writer) *Shell {
	s := &Shell{
		conn: conn, session: session, out: out, errOut: errOut,
		paging: true, pageSize: defaultPageSize,
		consistency: gocql.One, serial: gocql.Serial,
		loc: time.Local,
	}
	s.schema = &liveSchema{sh: s}
	return s
}

// close ends the session and the capture.
func (s *Shell) close() {
	if s.session != nil {
		s.session.Close()
	}
	if s.capture != nil {
		s.capture.Close()
		s.capture = nil
	}
}

func (s *Shell) printf(format string, args ...any) { fmt.Fprintf(s.out, format, args...) }

// results is where the results of queries go: the CAPTURE file, if any,
// else out. The shell's own messages and errors always go to the screen.
func (s *Shell) results() io.Writer {
	if s.capture != nil {
		return s.capture
	}
	return s.out
}

func (s *Shell) rprintf(format string, args ...any) { fmt.Fprintf(s.results(), format, args...) }

// pausing reports whether results stop at ---MORE--- between pages: at a
// terminal, when they are shown on it.
func (s *Shell) pausing() bool { return s.tty && s.term != nil && s.capture == nil }

// printErr reports an error as cqlsh does: on stderr, prefixed with the
// input's name and line when not interactive.
func (s *Shell) printErr(msg string) {
	s.failed = true
	if !s.tty {
		msg = fmt.Sprintf("%s:%d:%s", s.src, s.lineNo, msg)
	}
	if s.color {
		msg = render.Paint(render.ColorRed, msg)
	}
	fmt.Fprintln(s.errOut, msg)
}

// prompt is cqlsh's: "cqlsh> ", "cqlsh:ks> " after USE, "user@" in front
// when logged in; the continuation prompt lines up under it.
func (s *Shell) prompt(continued bool) string {
	if continued {
		if s.keyspace == "" {
			return "   ... "
		}
		return strings.Repeat(" ", render.Width(s.keyspace)) + "    ... "
	}
	p := "cqlsh> "
	if s.keyspace != "" {
		p = "cqlsh:" + s.keyspace + "> "
	}
	if s.conn.user != "" {
		p = s.conn.user + "@" + p
	}
	return p
}

// loadVersions reads the cluster name and versions shown by the banner and
// SHOW VERSION; they stay empty if system.local cannot be read.
func (s *Shell) loadVersions() {
	s.session.Query("SELECT cluster_name, release_version, cql_version FROM system.local").
		Scan(&s.cluster, &s.release, &s.cqlVer)
}

func (s *Shell) hostLine() string {
	return fmt.Sprintf("Connected to %s at %s", s.cluster, s.conn.addr())
}

func (s *Shell) versionLine() string {
	return fmt.Sprintf("[cqlsh-lite | wcdb %s | CQL spec %s | Native protocol v4]", s.release, s.cqlVer)
}

// run reads and executes statements from r until its end, EXIT or QUIT.
// tty makes it interactive: prompts, a pause between pages of results, and
// errors without a location; src names r in errors otherwise.
func (s *Shell) run(r lineReader, tty bool, src string) {
	prevTTY, prevSrc, prevLine, prevInput := s.tty, s.src, s.lineNo, s.input
	s.tty, s.src, s.lineNo, s.input = tty, src, 0, r
	defer func() { s.tty, s.src, s.lineNo, s.input = prevTTY, prevSrc, prevLine, prevInput }()
	var pending string
	var hist []string
	for !s.stop {
		s.partial = pending
		line, err := r.ReadLine(s.prompt(pending != ""))
		if errors.Is(err, errInterrupted) {
			pending, hist = "", nil
			continue
		}
		if err != nil {
			if tty {
				s.printf("\n")
			}
			if pending != "" {
				s.printErr("Incomplete statement at end of file")
			}
			break
		}
		s.lineNo++
		pending += line + "\n"
		hist = append(hist, strings.TrimSpace(line))
		stmts, rest, open := cqllex.Split(pending)
		pending = rest
		if len(stmts) > 0 && !slices.ContainsFunc(stmts, hasPassword) {
			r.AddHistory(strings.Join(hist, " "))
		}
		if len(stmts) > 0 || !open {
			hist = nil
		}
		for _, st := range stmts {
			s.execute(st)
			if s.stop {
				break
			}
		}
	}
}

// runString executes the statements of -e, all reported at line 1 as cqlsh
// does.
func (s *Shell) runString(text string) {
	s.tty, s.src, s.lineNo = false, "<stdin>", 1
	if !strings.HasSuffix(strings.TrimSpace(text), ";") {
		text += "\n;" // on a line of its own, so a trailing -- comment cannot swallow it
	}
	stmts, _, open := cqllex.Split(text)
	for _, st := range stmts {
		s.execute(st)
		if s.stop {
			return
		}
	}
	if open {
		s.printErr("Incomplete statement at end of file")
	}
}

// execute runs one statement: a shell command, or CQL sent to the node.
func (s *Shell) execute(stmt string) {
	word := cqllex.FirstWord(stmt)
	args := commandArgs(stmt)
	switch word {
	case "exit", "quit":
		if len(args) > 0 {
			s.improper(word)
			return
		}
		s.stop = true
	case "help", "?":
		s.help(args)
	case "use":
		s.use(strings.TrimSpace(stmt[len("use"):]))
	case "expand":
		s.expand, _ = s.onOff("EXPAND", s.expand, args)
	case "paging":
		s.pagingCommand(args)
	case "consistency":
		s.consistencyCommand(args)
	case "serial":
		s.serialCommand(args)
	case "describe", "desc":
		s.describe(stmt)
	case "source":
		s.source(strings.TrimSpace(stmt[len("source"):]))
	case "show":
		s.show(args)
	case "capture":
		s.captureCommand(args)
	case "login":
		s.login(args)
	case "clear", "cls":
		if s.tty {
			s.printf("\033[H\033[2J")
		}
	case "copy":
		s.copyStatement(stmt)
	case "tracing":
		s.tracingCommand(args)
	case "debug", "history":
		s.printErr(fmt.Sprintf("%s is not supported by cqlsh-lite.", strings.ToUpper(word)))
	default:
		s.perform(stmt)
		switch word {
		case "create", "alter", "drop":
			s.schema.forget() // completion offers the new names at once
		}
	}
}

func (s *Shell) improper(word string) {
	s.printErr(fmt.Sprintf("Improper %s command.", strings.ToUpper(word)))
}

// onOff is cqlsh's ON/OFF switch: with no argument it shows the setting;
// ok is false (and an error reported) for anything but ON or OFF.
func (s *Shell) onOff(name string, cur bool, args []string) (v, ok bool) {
	state := map[bool]string{true: "ON", false: "OFF"}
	if len(args) == 0 {
		s.printf("%s is %s\n", name, state[cur])
		return cur, true
	}
	var want bool
	switch {
	case len(args) == 1 && strings.EqualFold(args[0], "on"):
		want = true
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
	default:
		s.improper(name)
		return cur, false
	}
	if want == cur {
		s.printf("%s is already %s\n", name, state[cur])
	} else {
		s.printf("%s set to %s\n", name, state[want])
	}
	return want, true
}

// pagingCommand is PAGING [ON | OFF | N]: N turns paging on with N rows
// a page.
func (s *Shell) pagingCommand(args []string) {
	if len(args) == 1 && isDigits(args[0]) {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 {
			s.improper("paging")
			return
		}
		s.paging, s.pageSize = true, n
		s.printf("Page size: %d\n", s.pageSize)
		return
	}
	on, ok := s.onOff("PAGING", s.paging, args)
	if !ok {
		return
	}
	s.paging = on
	if on {
		s.printf("Page size: %d\n", s.pageSize)
	} else {
		s.pageSize = defaultPageSize
	}
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// consistencies are the levels CONSISTENCY accepts, by name.
var consistencies = map[string]gocql.Consistency{
	"ANY": gocql.Any, "ONE": gocql.One, "TWO": gocql.Two, "THREE": gocql.Three,
	"QUORUM": gocql.Quorum, "ALL": gocql.All, "LOCAL_QUORUM": gocql.LocalQuorum,
	"EACH_QUORUM": gocql.EachQuorum, "LOCAL_ONE": gocql.LocalOne,
	"SERIAL": gocql.Consistency(gocql.Serial), "LOCAL_SERIAL": gocql.Consistency(gocql.LocalSerial),
}

func consistencyName(c gocql.Consistency) string {
	for name, v := range consistencies {
		if v == c {
			return name
		}
	}
	return c.String()
}

func (s *Shell) consistencyCommand(args []string) {
	switch len(args) {
	case 0:
		s.printf("Current consistency level is %s.\n", consistencyName(s.consistency))
		return
	case 1:
		if c, ok := consistencies[strings.ToUpper(args[0])]; ok {
			s.consistency = c
			s.printf("Consistency level set to %s.\n", strings.ToUpper(args[0]))
			return
		}
	}
	s.improper("consistency")
}

func (s *Shell) serialCommand(args []string) {
	if len(args) == 0 || !strings.EqualFold(args[0], "consistency") {
		s.improper("serial")
		return
	}
	switch args = args[1:]; len(args) {
	case 0:
		s.printf("Current serial consistency level is %s.\n", consistencyName(gocql.Consistency(s.serial)))
		return
	case 1:
		switch strings.ToUpper(args[0]) {
		case "SERIAL":
			s.serial = gocql.Serial
		case "LOCAL_SERIAL":
			s.serial = gocql.LocalSerial
		default:
			s.improper("serial")
			return
		}
		s.printf("Serial consistency level set to %s.\n", strings.ToUpper(args[0]))
		return
	}
	s.improper("serial")
}

// requestError is an error the shell makes up in the server's form.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Code() int       { return e.code }
func (e *requestError) Message() string { return e.msg }
func (e *requestError) Error() string   { return e.msg }

// use switches to a keyspace. gocql refuses USE statements (a session
// binds a keyspace to all of its connections), so the shell checks that
// the keyspace exists, as the node would, and opens a session bound to it.
func (s *Shell) use(arg string) {
	name, ok := cqllex.ParseIdent(arg)
	if !ok {
		s.improper("use")
		return
	}
	if err := s.switchKeyspace(name); err != nil {
		s.printErr(errorText(err))
	}
}

func (s *Shell) switchKeyspace(name string) error {
	var found string
	err := s.session.Query("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", name).
		Consistency(gocql.One).Scan(&found)
	if errors.Is(err, gocql.ErrNotFound) {
		return &requestError{gocql.ErrCodeInvalid, fmt.Sprintf("Keyspace '%s' does not exist", name)}
	}
	if err != nil {
		return err
	}
	session, err := s.conn.connect(name)
	if err != nil {
		return err
	}
	s.session.Close()
	s.session, s.keyspace = session, name
	return nil
}

// parseString reads a CQL string literal (a quote in it doubled).
func parseString(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
		return "", false
	}
	return strings.ReplaceAll(inner, "''", "'"), true
}

// source runs the statements of a file, as cqlsh's SOURCE: errors do not
// stop it, and are reported with the file's name and line.
func (s *Shell) source(arg string) {
	name, ok := parseString(arg)
	if !ok {
		s.improper("source")
		return
	}
	name = expandHome(name)
	f, err := os.Open(name)
	if err != nil {
		s.printErr(fmt.Sprintf("Could not open '%s': %v", name, err))
		return
	}
	defer f.Close()
	s.run(newPlainReader(f), false, name)
	s.stop = false // EXIT in a sourced file ends only the file
}

// queryContext returns the context a statement runs under: cancelled by
// Ctrl-C when interactive.
func (s *Shell) queryContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if s.interrupts == nil {
		return ctx, cancel
	}
	for len(s.interrupts) > 0 { // a Ctrl-C from before this statement
		<-s.interrupts
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-s.interrupts:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() { close(done); cancel() }
}

// page is one page of a result, its values formatted.
type page struct {
	names    []string
	rows     [][]string
	colors   [][]string       // the colour of each value, when the shell has colour
	raw      [][]cqlvalue.Raw // the values as received (DESCRIBE reads them)
	state    []byte           // paging state of the next page, nil at the end
	warnings []string
}

// fetch runs stmt for one page of at most size rows (0: no limit) from
// paging state state.
func (s *Shell) fetch(ctx context.Context, stmt string, cons gocql.Consistency, size int, state []byte, keepRaw bool) (*page, error) {
	return s.fetchTraced(ctx, stmt, cons, size, state, keepRaw, nil)
}

// fetchTraced is fetch, traced when trace is not nil.
func (s *Shell) fetchTraced(ctx context.Context, stmt string, cons gocql.Consistency, size int, state []byte, keepRaw bool, trace gocql.Tracer) (*page, error) {
	q := s.session.Query(stmt).WithContext(ctx).Consistency(cons).SerialConsistency(s.serial).
		PageSize(size).PageState(state)
	if trace != nil {
		q = q.Trace(trace)
	}
	iter := q.Iter()
	p := &page{}
	p.names = scanRows(iter, func(columns []cqlvalue.Column, vals []cqlvalue.Raw) {
		row := make([]string, len(columns))
		for i, c := range columns {
			row[i] = cqlvalue.Format(c, vals[i])
		}
		p.rows = append(p.rows, row)
		if s.color {
			colors := make([]string, len(columns))
			for i, c := range columns {
				colors[i] = render.ValueColor(c, vals[i])
			}
			p.colors = append(p.colors, colors)
		}
		if keepRaw {
			raw := make([]cqlvalue.Raw, len(vals))
			for i, v := range vals {
				raw[i] = cqlvalue.Raw{Bytes: append([]byte(nil), v.Bytes...), Null: v.Null}
			}
			p.raw = append(p.raw, raw)
		}
	})
	p.state = iter.PageState()
	p.warnings = iter.Warnings()
	if err := iter.Close(); err != nil {
		return nil, err
	}
	return p, nil
}

// scanRows reads the rows of a page as the node serialized them, handing
// each to fn with the columns' types (vals is reused from row to row); it
// returns the columns' names.
func scanRows(iter *gocql.Iter, fn func(columns []cqlvalue.Column, vals []cqlvalue.Raw)) []string {
	cols := iter.Columns()
	names := make([]string, len(cols))
	columns := make([]cqlvalue.Column, len(cols))
	ndest := 0
	for i := range cols {
		names[i] = cols[i].Name
		typ, ok := cqlvalue.TypeOf(cols[i].TypeInfo)
		columns[i] = cqlvalue.Column{Name: cols[i].Name, Type: typ, Known: ok}
		if tuple, ok := cols[i].TypeInfo.(gocql.TupleTypeInfo); ok {
			// Columns is this response's own metadata (the session never
			// skips metadata, see connect), so the change stays here.
			ndest += len(tuple.Elems)
			cols[i].TypeInfo = cqlvalue.Opaque{TypeInfo: cols[i].TypeInfo}
		} else {
			ndest++
		}
	}
	vals := make([]cqlvalue.Raw, len(cols))
	dest := make([]any, ndest)
	for i := range vals {
		dest[i] = &vals[i]
	}
	for iter.Scan(dest...) {
		fn(columns, vals)
	}
	return names
}

// perform sends a CQL statement to the node and prints its result as
// cqlsh: for a SELECT the rows page by page (pausing at ---MORE--- when
// interactive and paging is on) and the count; for another statement
// that returns rows (a conditional update's [applied]) the rows alone.
func (s *Shell) perform(stmt string) {
	ctx, done := s.queryContext()
	defer done()
	isSelect := cqllex.FirstWord(stmt) == "select"
	size := s.pageSize
	if !s.paging {
		size = fetchSize
	}
	var state []byte
	total := 0
	var warnings []string
	var tracer gocql.Tracer
	ids := &traceIDs{}
	if s.tracing {
		tracer = ids
	}
	for first := true; ; first = false {
		p, err := s.fetchTraced(ctx, stmt, s.consistency, size, state, false, tracer)
		if err != nil {
			s.printErr(errorText(err))
			return
		}
		for !s.paging && len(p.state) > 0 { // paging off: the whole result at once
			next, err := s.fetch(ctx, stmt, s.consistency, size, p.state, false)
			if err != nil {
				s.printErr(errorText(err))
				return
			}
			p.rows, p.colors, p.state = append(p.rows, next.rows...), append(p.colors, next.colors...), next.state
			p.warnings = append(p.warnings, next.warnings...)
		}
		warnings = append(warnings, p.warnings...)
		if !isSelect {
			if len(p.names) > 0 && len(p.rows) > 0 {
				s.rprintf("\n")
				s.printRows(p, true, 0)
			}
			break
		}
		if first {
			s.rprintf("\n")
		}
		if len(p.rows) > 0 || first {
			s.printRows(p, first || s.pausing(), total)
			total += len(p.rows)
		}
		if len(p.state) == 0 {
			if !s.pausing() {
				s.rprintf("\n")
			}
			s.rprintf("(%d rows)\n", total)
			break
		}
		state = p.state
		if s.pausing() {
			if _, err := s.term.ReadLine("---MORE---"); err != nil {
				if !errors.Is(err, errInterrupted) { // the terminal echoed ^C and a newline
					s.printf("\n")
				}
				return
			}
		}
	}
	if len(warnings) > 0 {
		s.rprintf("\nWarnings :\n")
		for _, w := range warnings {
			s.rprintf("%s\n\n", w)
		}
	}
	if s.tracing {
		s.printTrace(ctx, ids)
	}
}

// printRows prints a page as a table, or vertically with EXPAND ON; a page
// without rows shows its header.
func (s *Shell) printRows(p *page, header bool, offset int) {
	if len(p.names) == 0 {
		return
	}
	colors := p.colors
	if s.capture != nil { // a file gets no colour, as with cqlsh
		colors = nil
	} else if s.color && colors == nil {
		colors = [][]string{} // the header is coloured even without rows
	}
	switch {
	case len(p.rows) == 0:
		render.ColoredTable(s.results(), p.names, nil, colors, true, s.pausing())
	case s.expand:
		render.ColoredExpanded(s.results(), p.names, p.rows, colors, offset)
	default:
		render.ColoredTable(s.results(), p.names, p.rows, colors, header, s.pausing())
	}
}

// describe sends DESCRIBE to the node (Cassandra 4 runs it server-side)
// and prints what comes back as cqlsh does: listings as columns of names,
// elements as their CREATE statements, runnable as they are.
func (s *Shell) describe(stmt string) {
	ctx, done := s.queryContext()
	defer done()
	var rows []map[string]string
	var names []string
	var state []byte
	for {
		p, err := s.fetch(ctx, stmt, gocql.LocalOne, fetchSize, state, true)
		if err != nil {
			s.printErr(serverMessage(err))
			return
		}
		names = p.names
		for _, raw := range p.raw {
			row := make(map[string]string, len(raw))
			for i, v := range raw {
				row[p.names[i]] = string(v.Bytes)
			}
			rows = append(rows, row)
		}
		if state = p.state; len(state) == 0 {
			break
		}
	}
	has := func(col string) bool {
		for _, n := range names {
			if n == col {
				return true
			}
		}
		return false
	}
	what := ""
	if f := strings.Fields(stmt); len(f) > 1 {
		what = strings.ToLower(f[1])
	}
	var b strings.Builder
	switch {
	case has("create_statement"):
		for _, r := range rows {
			fmt.Fprintf(&b, "\n%s\n", r["create_statement"])
		}
	case has("cluster"):
		for _, r := range rows {
			fmt.Fprintf(&b, "\nCluster: %s\nPartitioner: %s\nSnitch: %s\n\n", r["cluster"], r["partitioner"], r["snitch"])
		}
	case what == "keyspaces":
		list := make([]string, len(rows))
		for i, r := range rows {
			list[i] = r["name"]
		}
		b.WriteString("\n")
		render.Columnize(&b, list)
		b.WriteString("\n")
	default:
		// Names grouped by keyspace, under a heading unless in a keyspace.
		for i := 0; i < len(rows); {
			ks := rows[i]["keyspace_name"]
			var list []string
			for ; i < len(rows) && rows[i]["keyspace_name"] == ks; i++ {
				list = append(list, rows[i]["name"])
			}
			b.WriteString("\n")
			if s.keyspace == "" {
				fmt.Fprintf(&b, "Keyspace %s\n---------%s\n", ks, strings.Repeat("-", len(ks)))
			}
			render.Columnize(&b, list)
		}
		if len(rows) > 0 {
			b.WriteString("\n")
		}
	}
	io.WriteString(s.results(), b.String())
}
