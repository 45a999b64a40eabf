package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// The CSV dialect of COPY, as cqlsh's (Python's csv module with its
// options): fields split by the delimiter; a field holding the delimiter,
// the quote, the escape or a line break is written in quotes; inside, the
// quote and the escape are written after the escape (or, when the escape
// is the quote, the quote doubled). encoding/csv knows no escape
// character, hence this one.

// csvDialect is COPY's DELIMITER, QUOTE and ESCAPE.
type csvDialect struct {
	delim, quote, escape rune
}

// needsQuotes reports whether a field must be written in quotes.
func (d csvDialect) needsQuotes(f string) bool {
	return strings.ContainsAny(f, string([]rune{d.delim, d.quote, d.escape, '\r', '\n'}))
}

// appendRecord appends a record and its line break to b. force quotes the
// fields it is true for even when they need no quotes: a value written as
// the null string (an empty string, say), told apart from a null.
func (d csvDialect) appendRecord(b *strings.Builder, fields []string, force []bool) {
	for i, f := range fields {
		if i > 0 {
			b.WriteRune(d.delim)
		}
		if !d.needsQuotes(f) && !force[i] {
			b.WriteString(f)
			continue
		}
		b.WriteRune(d.quote)
		for _, r := range f {
			if r == d.quote || r == d.escape {
				b.WriteRune(d.escape)
			}
			b.WriteRune(r)
		}
		b.WriteRune(d.quote)
	}
	b.WriteByte('\n')
}

// csvRecord is a record read from a file: its fields, which of them were
// quoted, and the line it starts on.
type csvRecord struct {
	fields []string
	quoted []bool
	line   int
}

// errBadCSV is a record the reader cannot make out; it stops the reading.
var errBadCSV = errors.New("unterminated quoted field at the end of the input")

// csvReader reads records in a csvDialect. Empty lines are skipped, as
// cqlsh skips them.
type csvReader struct {
	d    csvDialect
	r    *bufio.Reader
	line int // lines read so far
}

func newCSVReader(r io.Reader, d csvDialect) *csvReader {
	return &csvReader{d: d, r: bufio.NewReaderSize(r, 64<<10)}
}

// read returns the next record, io.EOF at the end.
func (c *csvReader) read() (csvRecord, error) {
	for {
		rec, err := c.readRecord()
		if err != nil {
			return rec, err
		}
		if len(rec.fields) == 1 && rec.fields[0] == "" && !rec.quoted[0] {
			continue // an empty line
		}
		return rec, nil
	}
}

func (c *csvReader) readRecord() (csvRecord, error) {
	rec := csvRecord{line: c.line + 1}
	var f strings.Builder
	quoted, inQuotes, seen := false, false, false
	end := func() {
		rec.fields = append(rec.fields, f.String())
		rec.quoted = append(rec.quoted, quoted)
		f.Reset()
		quoted = false
	}
	for {
		r, _, err := c.r.ReadRune()
		if err == io.EOF {
			if inQuotes {
				return rec, errBadCSV
			}
			if !seen {
				return rec, io.EOF
			}
			c.line++
			end()
			return rec, nil
		}
		if err != nil {
			return rec, err
		}
		seen = true
		switch {
		case r == c.d.escape && c.d.escape != c.d.quote:
			// The escaped character stands for itself, quoted or not.
			next, _, err := c.r.ReadRune()
			if err != nil {
				f.WriteRune(r)
				continue
			}
			if next == '\n' {
				c.line++
			}
			f.WriteRune(next)
		case r == c.d.quote && inQuotes:
			if next, _, err := c.r.ReadRune(); err == nil {
				if next == c.d.quote && c.d.escape == c.d.quote {
					f.WriteRune(r) // doubled: a quote inside
					continue
				}
				c.r.UnreadRune()
			}
			inQuotes = false
		case r == c.d.quote && f.Len() == 0 && !quoted:
			inQuotes, quoted = true, true
		case inQuotes:
			if r == '\n' {
				c.line++
			}
			f.WriteRune(r)
		case r == c.d.delim:
			end()
		case r == '\n' || r == '\r':
			if r == '\r' {
				if next, _, err := c.r.ReadRune(); err == nil && next != '\n' {
					c.r.UnreadRune()
				}
			}
			c.line++
			end()
			return rec, nil
		default:
			f.WriteRune(r)
		}
	}
}
