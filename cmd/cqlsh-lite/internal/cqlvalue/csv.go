package cqlvalue

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

// CSVDialect is COPY's DELIMITER, QUOTE and ESCAPE.
type CSVDialect struct {
	Delim, Quote, Escape rune
}

// needsQuotes reports whether a field must be written in quotes.
func (d CSVDialect) needsQuotes(f string) bool {
	return strings.ContainsAny(f, string([]rune{d.Delim, d.Quote, d.Escape, '\r', '\n'}))
}

// AppendRecord appends a record and its line break to b. force quotes the
// fields it is true for even when they need no quotes: a value written as
// the null string (an empty string, say), told apart from a null.
func (d CSVDialect) AppendRecord(b *strings.Builder, fields []string, force []bool) {
	for i, f := range fields {
		if i > 0 {
			b.WriteRune(d.Delim)
		}
		if !d.needsQuotes(f) && !force[i] {
			b.WriteString(f)
			continue
		}
		b.WriteRune(d.Quote)
		for _, r := range f {
			if r == d.Quote || r == d.Escape {
				b.WriteRune(d.Escape)
			}
			b.WriteRune(r)
		}
		b.WriteRune(d.Quote)
	}
	b.WriteByte('\n')
}

// CSVRecord is a record read from a file: its fields, which of them were
// quoted, and the line it starts on.
type CSVRecord struct {
	Fields []string
	Quoted []bool
	Line   int
}

// ErrBadCSV is a record the reader cannot make out; it stops the reading.
var ErrBadCSV = errors.New("unterminated quoted field at the end of the input")

// CSVReader reads records in a CSVDialect. Empty lines are skipped, as
// cqlsh skips them.
type CSVReader struct {
	d    CSVDialect
	r    *bufio.Reader
	line int // lines read so far
}

// NewCSVReader returns a reader of the records of r in dialect d.
func NewCSVReader(r io.Reader, d CSVDialect) *CSVReader {
	return &CSVReader{d: d, r: bufio.NewReaderSize(r, 64<<10)}
}

// Read returns the next record, io.EOF at the end.
func (c *CSVReader) Read() (CSVRecord, error) {
	for {
		rec, err := c.readRecord()
		if err != nil {
			return rec, err
		}
		if len(rec.Fields) == 1 && rec.Fields[0] == "" && !rec.Quoted[0] {
			continue // an empty line
		}
		return rec, nil
	}
}

func (c *CSVReader) readRecord() (CSVRecord, error) {
	rec := CSVRecord{Line: c.line + 1}
	var f strings.Builder
	quoted, inQuotes, seen := false, false, false
	end := func() {
		rec.Fields = append(rec.Fields, f.String())
		rec.Quoted = append(rec.Quoted, quoted)
		f.Reset()
		quoted = false
	}
	for {
		r, _, err := c.r.ReadRune()
		if err == io.EOF {
			if inQuotes {
				return rec, ErrBadCSV
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
		case r == c.d.Escape && c.d.Escape != c.d.Quote:
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
		case r == c.d.Quote && inQuotes:
			if next, _, err := c.r.ReadRune(); err == nil {
				if next == c.d.Quote && c.d.Escape == c.d.Quote {
					f.WriteRune(r) // doubled: a quote inside
					continue
				}
				c.r.UnreadRune()
			}
			inQuotes = false
		case r == c.d.Quote && f.Len() == 0 && !quoted:
			inQuotes, quoted = true, true
		case inQuotes:
			if r == '\n' {
				c.line++
			}
			f.WriteRune(r)
		case r == c.d.Delim:
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
