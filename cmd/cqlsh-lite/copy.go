package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
	"wcdb/cmd/cqlsh-lite/internal/cqlvalue"
	"wcdb/schema"
)

// COPY, as cqlsh's: COPY [ks.]table [(col, ...)] TO|FROM 'file'|STDOUT|STDIN
// [WITH opt = value [AND ...]]. TO pages through the table with one query;
// FROM reads the file in one goroutine and inserts its rows with prepared
// statements, in unlogged batches, from several goroutines over a pool of
// connections of its own.

// copyCommand is a parsed COPY statement.
type copyCommand struct {
	keyspace, table string
	columns         []string // as given; nil for all
	from            bool     // FROM, else TO
	file            string   // "" for STDIN or STDOUT
	opts            copyOptions
}

// copyOptions are the WITH options, with cqlsh's defaults.
type copyOptions struct {
	header   bool
	dialect  cqlvalue.CSVDialect
	null     string
	pageSize int // TO: rows per page of the export query
	// FROM: rows per batch, rows handed to a worker at a time, workers
	// (cqlsh's child processes), tries of a failed row.
	maxBatch, chunkSize, workers, maxAttempts int
	// FROM: how many errors are borne before it stops; -1 for no limit.
	maxErrors, maxParseErrors, maxInsertErrors int
	// FROM: where rows that failed are written, "" for nowhere.
	errFile string
}

func defaultCopyOptions() copyOptions {
	return copyOptions{
		dialect:  cqlvalue.CSVDialect{Delim: ',', Quote: '"', Escape: '\\'},
		pageSize: 1000,
		maxBatch: 20, chunkSize: 5000, maxAttempts: 5,
		// Goroutines, not processes as cqlsh's: the node, not the client,
		// sets the pace, and four requests in flight keep it busy.
		workers:   4,
		maxErrors: -1, maxParseErrors: -1, maxInsertErrors: -1,
	}
}

// copyError is a message for the user, in cqlsh's words (capitalized,
// unlike a Go error string).
type copyError struct{ msg string }

func (e *copyError) Error() string { return e.msg }

func copyErrorf(format string, args ...any) error {
	return &copyError{fmt.Sprintf(format, args...)}
}

// copyOptionNames are the options each direction takes. NUMPROCESSES is
// accepted by TO, as cqlsh does, though one query does the export.
var copyOptionNames = map[bool][]string{
	false: {"HEADER", "DELIMITER", "QUOTE", "ESCAPE", "NULL", "PAGESIZE", "NUMPROCESSES"},
	true: {"HEADER", "DELIMITER", "QUOTE", "ESCAPE", "NULL", "MAXBATCHSIZE", "CHUNKSIZE", "NUMPROCESSES",
		"MAXATTEMPTS", "MAXERRORS", "MAXPARSEERRORS", "MAXINSERTERRORS", "ERRFILE"},
}

// parseCopy reads a COPY statement.
func parseCopy(stmt string) (*copyCommand, error) {
	var toks []cqllex.Token
	for _, t := range cqllex.Lex(stmt) {
		if t.Significant() {
			toks = append(toks, t)
		}
	}
	i := 1 // past COPY
	next := func() (cqllex.Token, bool) {
		if i >= len(toks) {
			return cqllex.Token{}, false
		}
		i++
		return toks[i-1], true
	}
	name := func() (string, bool) {
		t, ok := next()
		if !ok || t.Kind != cqllex.Word && t.Kind != cqllex.Ident {
			return "", false
		}
		return cqllex.IdentName(t), true
	}
	bad := copyErrorf("Improper COPY command.")
	c := &copyCommand{opts: defaultCopyOptions()}
	var ok bool
	if c.table, ok = name(); !ok {
		return nil, bad
	}
	if i < len(toks) && toks[i].Text == "." {
		i++
		c.keyspace = c.table
		if c.table, ok = name(); !ok {
			return nil, bad
		}
	}
	if i < len(toks) && toks[i].Text == "(" {
		i++
		for {
			col, ok := name()
			if !ok {
				return nil, bad
			}
			c.columns = append(c.columns, col)
			t, ok := next()
			if ok && t.Text == ")" {
				break
			}
			if !ok || t.Text != "," {
				return nil, bad
			}
		}
	}
	dir, ok := next()
	switch {
	case ok && dir.Is("to"):
	case ok && dir.Is("from"):
		c.from = true
	default:
		return nil, bad
	}
	file, ok := next()
	switch {
	case ok && file.Kind == cqllex.String:
		c.file, _ = parseString(file.Text)
		c.file = expandHome(c.file)
		if c.file == "" {
			return nil, copyErrorf("COPY needs a file name, STDIN or STDOUT")
		}
	case ok && !c.from && file.Is("stdout"), ok && c.from && file.Is("stdin"):
	default:
		return nil, bad
	}
	if i == len(toks) {
		return c, nil
	}
	if t, _ := next(); !t.Is("with") {
		return nil, bad
	}
	var unknown []string
	for {
		opt, ok := next()
		if !ok || opt.Kind != cqllex.Word {
			return nil, bad
		}
		if t, ok := next(); !ok || t.Text != "=" {
			return nil, bad
		}
		val, ok := next()
		if ok && val.Text == "-" { // a negative number
			num, ok2 := next()
			val.Text, ok = "-"+num.Text, ok2 && num.Kind == cqllex.Word
		}
		if !ok {
			return nil, bad
		}
		v := val.Text
		if val.Kind == cqllex.String {
			v, _ = parseString(v)
			v = unescapeOption(v)
		}
		name := strings.ToUpper(opt.Text)
		if !containsString(copyOptionNames[c.from], name) {
			unknown = append(unknown, strings.ToLower(opt.Text))
		} else if err := c.opts.set(name, v); err != nil {
			return nil, err
		}
		if i == len(toks) {
			break
		}
		if t, _ := next(); !t.Is("and") {
			return nil, bad
		}
	}
	if len(unknown) > 0 {
		dir := map[bool]string{false: "TO", true: "FROM"}[c.from]
		return nil, copyErrorf("Unrecognized COPY %s options: %s", dir, strings.Join(unknown, ", "))
	}
	return c, nil
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// unescapeOption decodes the backslash escapes of an option's value, as
// cqlsh does: DELIMITER = '\t' is a tab.
func unescapeOption(s string) string {
	if !strings.Contains(s, `\`) || s == `\` {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// set sets an option from its value as written.
func (o *copyOptions) set(name, v string) error {
	char := func() (rune, error) {
		r := []rune(v)
		if len(r) != 1 {
			return 0, fmt.Errorf("%s must be a single character, not '%s'", name, v)
		}
		return r[0], nil
	}
	num := func(min int) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return 0, fmt.Errorf("%s must be an integer of at least %d, not '%s'", name, min, v)
		}
		return n, nil
	}
	var err error
	switch name {
	case "HEADER":
		switch strings.ToLower(v) {
		case "true":
			o.header = true
		case "false":
			o.header = false
		default:
			return fmt.Errorf("HEADER must be true or false, not '%s'", v)
		}
	case "DELIMITER":
		o.dialect.Delim, err = char()
	case "QUOTE":
		o.dialect.Quote, err = char()
	case "ESCAPE":
		o.dialect.Escape, err = char()
	case "NULL":
		o.null = v
	case "PAGESIZE":
		o.pageSize, err = num(1)
	case "MAXBATCHSIZE":
		o.maxBatch, err = num(1)
	case "CHUNKSIZE":
		o.chunkSize, err = num(1)
	case "NUMPROCESSES":
		o.workers, err = num(1)
	case "MAXATTEMPTS":
		o.maxAttempts, err = num(1)
	case "MAXERRORS":
		o.maxErrors, err = num(-1)
	case "MAXPARSEERRORS":
		o.maxParseErrors, err = num(-1)
	case "MAXINSERTERRORS":
		o.maxInsertErrors, err = num(-1)
	case "ERRFILE":
		o.errFile = expandHome(v)
	}
	return err
}

// copyColumn is a column of the table being copied.
type copyColumn struct {
	name  string
	typ   schema.Type
	known bool // typ parsed (false for user-defined types)
	key   bool // in the primary key
}

// tableColumns returns a table's columns in cqlsh's order: the partition
// key, the clustering columns, then the others by name.
func (s *Shell) tableColumns(ks, table string) ([]copyColumn, error) {
	iter := s.session.Query("SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?", ks, table).
		Consistency(gocql.One).Iter()
	type row struct {
		copyColumn
		rank, pos int
	}
	var rows []row
	var name, kind, typ string
	var pos int
	for iter.Scan(&name, &kind, &pos, &typ) {
		r := row{copyColumn: copyColumn{name: name}, rank: 2, pos: pos}
		switch kind {
		case "partition_key":
			r.rank, r.key = 0, true
		case "clustering":
			r.rank, r.key = 1, true
		}
		if t, err := schema.ParseType(typ); err == nil {
			r.typ, r.known = t, true
		}
		rows = append(rows, r)
	}
	if err := iter.Close(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, copyErrorf("Table '%s.%s' not found", ks, table)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.rank < 2 {
			return a.pos < b.pos
		}
		return a.name < b.name
	})
	cols := make([]copyColumn, len(rows))
	for i, r := range rows {
		cols[i] = r.copyColumn
	}
	return cols, nil
}

// copyStatement runs COPY.
func (s *Shell) copyStatement(stmt string) {
	c, err := parseCopy(stmt)
	if err != nil {
		s.printErr(err.Error())
		return
	}
	if c.keyspace == "" {
		if c.keyspace = s.keyspace; c.keyspace == "" {
			s.printErr("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
			return
		}
	}
	all, err := s.tableColumns(c.keyspace, c.table)
	var ce *copyError
	if errors.As(err, &ce) {
		s.printErr(ce.msg)
		return
	}
	if err != nil {
		s.printErr(errorText(err))
		return
	}
	cols := all
	if c.columns != nil {
		cols = nil
		for _, name := range c.columns {
			i := 0
			for i < len(all) && all[i].name != name {
				i++
			}
			if i == len(all) {
				s.printErr(fmt.Sprintf("Column '%s' not found in table %s.%s", name, c.keyspace, c.table))
				return
			}
			cols = append(cols, all[i])
		}
	}
	if c.from {
		s.copyFrom(c, all, cols)
	} else {
		s.copyTo(c, cols)
	}
}

// columnList is the list of columns as cqlsh prints it: ['k', 'v'].
func columnList(cols []copyColumn) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = "'" + c.name + "'"
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// quotedNames joins the columns' names quoted, so that no name is taken
// for a keyword.
func quotedNames(cols []copyColumn) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = `"` + strings.ReplaceAll(c.name, `"`, `""`) + `"`
	}
	return strings.Join(names, ", ")
}

func quotedTable(ks, table string) string {
	return `"` + strings.ReplaceAll(ks, `"`, `""`) + `"."` + strings.ReplaceAll(table, `"`, `""`) + `"`
}

// copyTo exports the table's rows, a page of PAGESIZE rows at a time.
// Nothing but the rows is printed when they go to STDOUT, as with cqlsh.
func (s *Shell) copyTo(c *copyCommand, cols []copyColumn) {
	start := time.Now()
	out := s.out
	var f *os.File
	if c.file != "" {
		var err error
		if f, err = os.Create(c.file); err != nil {
			s.printErr(fmt.Sprintf("Can't open '%s' for writing: %v", c.file, err))
			return
		}
		out = f
	}
	msg := func(format string, args ...any) {
		if f != nil {
			s.printf(format, args...)
		}
	}
	d := c.opts.dialect
	var b strings.Builder
	if c.opts.header {
		names := make([]string, len(cols))
		for i, col := range cols {
			names[i] = col.name
		}
		d.AppendRecord(&b, names, make([]bool, len(cols)))
	}
	msg("\nStarting copy of %s.%s with columns %s.\n", c.keyspace, c.table, columnList(cols))
	meter := newRateMeter(msg)
	ctx, done := s.queryContext()
	defer done()
	stmt := "SELECT " + quotedNames(cols) + " FROM " + quotedTable(c.keyspace, c.table)
	fields := make([]string, len(cols))
	quote := make([]bool, len(cols))
	var state []byte
	var err error
	for {
		iter := s.session.Query(stmt).WithContext(ctx).Consistency(s.consistency).
			PageSize(c.opts.pageSize).PageState(state).Iter()
		n := 0
		scanRows(iter, func(columns []cqlvalue.Column, vals []cqlvalue.Raw) {
			for i, v := range vals {
				fields[i], quote[i] = "", false
				if v.Null {
					fields[i] = c.opts.null
					continue
				}
				var fb strings.Builder
				if columns[i].Known {
					cqlvalue.WriteCopy(&fb, columns[i].Type, v.Bytes, false)
				} else {
					fb.WriteString(cqlvalue.Format(columns[i], v))
				}
				fields[i] = fb.String()
				// A value written as the null string would read back as
				// a null: quoted, it reads back as itself.
				quote[i] = fields[i] == c.opts.null
			}
			d.AppendRecord(&b, fields, quote)
			n++
		})
		state = iter.PageState()
		if err = iter.Close(); err != nil {
			break
		}
		if _, err = io.WriteString(out, b.String()); err != nil {
			break
		}
		b.Reset()
		meter.increment(n)
		if len(state) == 0 {
			break
		}
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		s.printErr(errorText(err))
	}
	total := meter.finish()
	files := 1
	if f == nil {
		files = 0 // cqlsh counts STDOUT as no file, and says nothing anyway
	}
	msg("\n%d rows exported to %d files in %s.\n", total, files, describeInterval(time.Since(start)))
}

// rateMeter prints the progress of a COPY as cqlsh's: the rows so far, the
// rate of the last interval (averaged with the one before) and the rate
// since the start, every quarter of a second, on one line rewritten with \r.
type rateMeter struct {
	print          func(format string, args ...any)
	start, last    time.Time
	current, total int
	rate           float64
	interval       time.Duration
}

func newRateMeter(print func(format string, args ...any)) *rateMeter {
	now := time.Now()
	return &rateMeter{print: print, start: now, last: now, interval: 250 * time.Millisecond}
}

func (m *rateMeter) increment(n int) {
	m.current += n
	if m.current > 0 && time.Since(m.last) >= m.interval {
		m.update(time.Now())
		m.log()
	}
}

func (m *rateMeter) update(now time.Time) {
	if d := now.Sub(m.last).Seconds(); d >= 1e-9 {
		r := float64(m.current) / d
		if m.rate != 0 {
			r = (m.rate + r) / 2
		}
		m.rate = r
	}
	m.last = now
	m.total += m.current
	m.current = 0
}

func (m *rateMeter) log() {
	avg := 0.0
	if d := time.Since(m.start).Seconds(); d >= 1e-9 {
		avg = float64(m.total) / d
	}
	m.print("Processed: %d rows; Rate: %7.0f rows/s; Avg. rate: %7.0f rows/s\r", m.total, m.rate, avg)
}

// finish prints the last progress line and returns the total.
func (m *rateMeter) finish() int {
	m.update(time.Now())
	m.log()
	return m.total
}

// describeInterval is cqlsh's: "1 minute and 2.500 seconds".
func describeInterval(d time.Duration) string {
	secs := d.Seconds()
	var parts []string
	for _, u := range []struct {
		secs float64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}} {
		if n := int(secs / u.secs); n > 0 {
			p := fmt.Sprintf("%d %s", n, u.name)
			if n > 1 {
				p += "s"
			}
			parts = append(parts, p)
			secs -= float64(n) * u.secs
		}
	}
	words := fmt.Sprintf("%.03f seconds", secs)
	switch len(parts) {
	case 0:
		return words
	case 1:
		return parts[0] + " and " + words
	}
	return strings.Join(parts, ", ") + ", and " + words
}
