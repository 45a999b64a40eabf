package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cmd/cqlsh-lite/internal/cqlvalue"
	"wcdb/schema"
)

// serialized is a value already in its CQL serialization (schema.Encode's),
// bound as it is: the shell parses the file's text with the node's own
// literal rules and gocql need not know the type.
type serialized []byte

// MarshalCQL implements gocql.Marshaler.
func (v serialized) MarshalCQL(gocql.TypeInfo) ([]byte, error) { return v, nil }

// copyRow is a row of the file ready to insert.
type copyRow struct {
	line int
	vals []any
	rec  cqlvalue.CSVRecord
}

// rowError is a row that could not be imported.
type rowError struct {
	line     int
	insert   bool // rejected by the node, else not parsed
	msg      string
	attempts int
	rec      cqlvalue.CSVRecord
}

// copyReport is what the reader and the workers tell the COPY FROM loop.
type copyReport struct {
	imported int
	errs     []rowError
}

// rowConverter turns a record of the file into the values of an INSERT.
type rowConverter struct {
	cols []copyColumn
	null string
}

func (c rowConverter) convert(rec cqlvalue.CSVRecord) ([]any, error) {
	if len(rec.Fields) != len(c.cols) {
		return nil, copyErrorf("Invalid row length %d should be %d", len(rec.Fields), len(c.cols))
	}
	vals := make([]any, len(c.cols))
	for i, col := range c.cols {
		f, quoted := rec.Fields[i], rec.Quoted[i]
		text := col.typ.Kind == schema.KindText || col.typ.Kind == schema.KindAscii
		// A bare field that is the null string is a null; a quoted one is a
		// string, or a null for types that have no empty form.
		if !quoted && f == c.null || quoted && !text && (f == "" || f == c.null) {
			if col.key {
				return nil, copyErrorf("Cannot insert null value for primary key column '%s'", col.name)
			}
			continue
		}
		v, err := cqlvalue.ParseCopy(col.typ, f)
		if err == nil {
			var b []byte
			if b, err = schema.Encode(col.typ, v); err == nil {
				vals[i] = serialized(b)
				continue
			}
		}
		var se *schema.Error
		if errors.As(err, &se) {
			err = errors.New(se.Msg)
		}
		return nil, copyErrorf("Failed to parse %s for column %s: %v", f, col.name, err)
	}
	return vals, nil
}

// copyFrom imports a file into the table: a goroutine reads it in chunks of
// CHUNKSIZE rows, NUMPROCESSES workers parse them and insert them in
// unlogged batches of MAXBATCHSIZE, a row at a time when a batch fails (so
// that each bad row is reported with its line and the others go in), and
// this goroutine prints the progress and the errors until the input ends
// or too many errors stop it.
func (s *Shell) copyFrom(c *copyCommand, all, cols []copyColumn) {
	start := time.Now()
	for _, col := range all {
		if col.key && !containsColumn(cols, col.name) {
			s.printErr(fmt.Sprintf("Primary key column '%s' missing or skipped", col.name))
			return
		}
		if col.known && col.typ.Kind == schema.KindCounter {
			s.printErr("COPY FROM into a counter table is not supported by cqlsh-lite.")
			return
		}
	}
	for _, col := range cols {
		if !col.known {
			s.printErr(fmt.Sprintf("COPY FROM does not support the type of column %s (user-defined types).", col.name))
			return
		}
	}
	s.printf("\nStarting copy of %s.%s with columns %s.\n", c.keyspace, c.table, columnList(cols))
	var src io.Reader
	if c.file == "" {
		src = s.readCopyInput()
	} else {
		f, err := os.Open(c.file)
		if err != nil {
			s.printErr(fmt.Sprintf("Can't open '%s' for reading: %v", c.file, err))
			return
		}
		defer f.Close()
		src = f
	}
	var errFile *os.File
	if c.opts.errFile != "" {
		var err error
		if errFile, err = os.Create(c.opts.errFile); err != nil {
			s.printErr(fmt.Sprintf("Can't open '%s' for writing: %v", c.opts.errFile, err))
			return
		}
		defer errFile.Close()
	}

	// gocql sends many requests over a connection at once: a few
	// connections carry the workers' requests to one node.
	conn := s.conn
	conn.numConns = min(c.opts.workers, 8)
	session, err := conn.connect("")
	if err != nil {
		s.printErr("Connection error: " + err.Error())
		return
	}
	defer session.Close()

	ctx, done := s.queryContext()
	defer done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	prefix := "INSERT INTO " + quotedTable(c.keyspace, c.table) + " (" + quotedNames(cols) + ") VALUES ("
	w := &copyWorker{session: session, prefix: prefix, cons: s.consistency, opts: c.opts,
		conv: rowConverter{cols: cols, null: c.opts.null}}
	w.insert = prefix + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for _, col := range cols {
		// gocql counts a tuple column's fields as bind markers of their
		// own and then cannot bind it; such rows go as CQL literals.
		w.literal = w.literal || col.typ.Kind == schema.KindTuple
	}
	chunks := make(chan []cqlvalue.CSVRecord, c.opts.workers)
	reports := make(chan copyReport, 4*c.opts.workers)
	var wg sync.WaitGroup
	wg.Add(1 + c.opts.workers)
	go func() {
		defer wg.Done()
		readChunks(ctx, cqlvalue.NewCSVReader(src, c.opts.dialect), c.opts, chunks, reports)
	}()
	for range c.opts.workers {
		go func() {
			defer wg.Done()
			w.run(ctx, chunks, reports)
		}()
	}
	go func() {
		wg.Wait()
		close(reports)
	}()

	meter := newRateMeter(s.printf)
	var errs errorCounts
	stopped := false
	var errRec strings.Builder
	var errFileErr error
	for rep := range reports {
		meter.increment(rep.imported)
		for _, e := range rep.errs {
			if stopped {
				break
			}
			if e.insert {
				s.printErr(fmt.Sprintf("Failed to import 1 rows (line %d): %s,  given up after %d attempts", e.line, e.msg, e.attempts))
			} else {
				s.printErr(fmt.Sprintf("Failed to import 1 rows (line %d): ParseError - %s,  given up without retries", e.line, e.msg))
			}
			if errFile != nil && e.rec.Fields != nil && errFileErr == nil {
				errRec.Reset()
				c.opts.dialect.AppendRecord(&errRec, e.rec.Fields, e.rec.Quoted)
				_, errFileErr = io.WriteString(errFile, errRec.String())
			}
			if msg := errs.add(e, c.opts); msg != "" {
				s.printErr(msg)
				stopped = true
				cancel() // the reader and the workers stop; their reports are drained
			}
		}
	}
	if errFileErr != nil {
		s.printErr(fmt.Sprintf("Can't write '%s': %v", c.opts.errFile, errFileErr))
	}
	if failed := errs.all; failed > 0 {
		if errFile != nil {
			s.printErr(fmt.Sprintf("Failed to process %d rows; failed rows written to %s", failed, c.opts.errFile))
		} else {
			s.printErr(fmt.Sprintf("Failed to process %d rows", failed))
		}
	}
	total := meter.finish()
	s.printf("\n%d rows imported from 1 files in %s (0 skipped).\n", total, describeInterval(time.Since(start)))
}

// errorCounts counts the rows that failed, against MAXINSERTERRORS,
// MAXPARSEERRORS and MAXERRORS.
type errorCounts struct{ insert, parse, all int }

// add counts a failed row; it returns the message that stops the import
// when the row is one more than a maximum allows, else "".
func (n *errorCounts) add(e rowError, o copyOptions) string {
	n.all++
	if e.insert {
		n.insert++
	} else {
		n.parse++
	}
	exceeds := func(n, limit int) bool { return limit >= 0 && n > limit }
	switch {
	case exceeds(n.insert, o.maxInsertErrors):
		return fmt.Sprintf("Exceeded maximum number of insert errors %d", o.maxInsertErrors)
	case exceeds(n.parse, o.maxParseErrors):
		return fmt.Sprintf("Exceeded maximum number of parse errors %d", o.maxParseErrors)
	case exceeds(n.all, o.maxErrors):
		return fmt.Sprintf("Exceeded maximum number of errors %d", o.maxErrors)
	}
	return ""
}

func containsColumn(cols []copyColumn, name string) bool {
	for _, c := range cols {
		if c.name == name {
			return true
		}
	}
	return false
}

// readCopyInput reads the rows of COPY FROM STDIN from the shell's input,
// up to a line "\." or the end, as cqlsh does.
func (s *Shell) readCopyInput() io.Reader {
	if s.input == nil {
		return strings.NewReader("")
	}
	s.printf("[Use \\. on a line by itself to end input]\n")
	var b strings.Builder
	for {
		line, err := s.input.ReadLine("[copy] ")
		if err != nil || line == `\.` {
			break
		}
		s.lineNo++
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.NewReader(b.String())
}

// readChunks reads the file's records into chunks of CHUNKSIZE. A record
// the reader cannot make out ends the reading, reported as a parse error.
func readChunks(ctx context.Context, r *cqlvalue.CSVReader, opts copyOptions, chunks chan<- []cqlvalue.CSVRecord, reports chan<- copyReport) {
	defer close(chunks)
	send := func(chunk []cqlvalue.CSVRecord) bool {
		select {
		case chunks <- chunk:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var chunk []cqlvalue.CSVRecord
	header := opts.header
	for ctx.Err() == nil {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			reports <- copyReport{errs: []rowError{{line: rec.Line, msg: err.Error()}}}
			break
		}
		if header {
			header = false
			continue
		}
		if chunk = append(chunk, rec); len(chunk) == opts.chunkSize {
			if !send(chunk) {
				return
			}
			chunk = nil
		}
	}
	if len(chunk) > 0 {
		send(chunk)
	}
}

// copyWorker parses and inserts chunks of rows.
type copyWorker struct {
	session *gocql.Session
	insert  string // the prepared INSERT
	// literal makes each row an INSERT of its values as CQL literals, after
	// prefix, for the tables gocql cannot bind (see copyFrom).
	literal bool
	prefix  string
	cons    gocql.Consistency
	opts    copyOptions
	conv    rowConverter
}

func (w *copyWorker) run(ctx context.Context, chunks <-chan []cqlvalue.CSVRecord, reports chan<- copyReport) {
	for chunk := range chunks {
		if ctx.Err() != nil {
			continue // stopped: drain what the reader has sent
		}
		var rows []copyRow
		var rep copyReport
		for _, rec := range chunk {
			vals, err := w.conv.convert(rec)
			if err != nil {
				rep.errs = append(rep.errs, rowError{line: rec.Line, msg: err.Error(), rec: rec})
				continue
			}
			rows = append(rows, copyRow{line: rec.Line, vals: vals, rec: rec})
		}
		if len(rep.errs) > 0 {
			reports <- rep
		}
		for len(rows) > 0 && ctx.Err() == nil {
			n := min(len(rows), w.opts.maxBatch)
			reports <- w.insertBatch(ctx, rows[:n])
			rows = rows[n:]
		}
	}
}

// insertBatch inserts rows in an unlogged batch; if the batch fails, each
// row on its own, so that only the bad ones fail.
func (w *copyWorker) insertBatch(ctx context.Context, rows []copyRow) copyReport {
	if len(rows) > 1 {
		b := w.session.NewBatch(gocql.UnloggedBatch).WithContext(ctx)
		b.SetConsistency(w.cons)
		for _, r := range rows {
			stmt, vals := w.statement(r)
			b.Query(stmt, vals...)
		}
		if w.session.ExecuteBatch(b) == nil {
			return copyReport{imported: len(rows)}
		}
	}
	var rep copyReport
	for _, r := range rows {
		attempts, err := w.insertRow(ctx, r)
		if err == nil {
			rep.imported++
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if len(rows) > 1 {
			attempts++ // the batch was the first
		}
		rep.errs = append(rep.errs, rowError{line: r.line, insert: true, msg: errorText(err), attempts: attempts, rec: r.rec})
	}
	return rep
}

// insertRow inserts a row, trying again up to MAXATTEMPTS times while the
// node times out or is overloaded; a rejected row is not tried again.
func (w *copyWorker) insertRow(ctx context.Context, r copyRow) (attempts int, err error) {
	for attempts = 1; ; attempts++ {
		stmt, vals := w.statement(r)
		err = w.session.Query(stmt, vals...).WithContext(ctx).Consistency(w.cons).Exec()
		var re gocql.RequestError
		if err == nil || ctx.Err() != nil || attempts >= w.opts.maxAttempts ||
			errors.As(err, &re) && re.Code() != gocql.ErrCodeWriteTimeout && re.Code() != gocql.ErrCodeOverloaded && re.Code() != gocql.ErrCodeUnavailable {
			return attempts, err
		}
	}
}

// statement returns the INSERT of a row and the values it binds.
func (w *copyWorker) statement(r copyRow) (string, []any) {
	if !w.literal {
		return w.insert, r.vals
	}
	var b strings.Builder
	b.WriteString(w.prefix)
	for i, v := range r.vals {
		if i > 0 {
			b.WriteString(", ")
		}
		if v == nil {
			b.WriteString("null")
		} else {
			b.WriteString(schema.Format(w.conv.cols[i].typ, v.(serialized)))
		}
	}
	b.WriteString(")")
	return b.String(), nil
}
