package cqlvalue

import (
	"strings"
	"testing"
)

// TestCSV checks the dialect's writer against its reader: delimiters,
// quotes, escapes and line breaks inside fields, empty strings apart from
// empty fields, and a quote used as its own escape.
func TestCSV(t *testing.T) {
	fields := []string{"a", "", "b,c", `say "hi"`, `back\slash`, "two\nlines", "cr\r\n", "x"}
	quote := []bool{false, true, false, false, false, false, false, false}
	for _, d := range []CSVDialect{{',', '"', '\\'}, {'|', '\'', '\''}, {'\t', '"', '"'}} {
		var b strings.Builder
		d.AppendRecord(&b, fields, quote)
		d.AppendRecord(&b, []string{"", "z"}, []bool{false, false})
		r := NewCSVReader(strings.NewReader(b.String()+"\n"), d)
		rec, err := r.Read()
		if err != nil || strings.Join(rec.Fields, "|") != strings.Join(fields, "|") || rec.Line != 1 || !rec.Quoted[1] {
			t.Errorf("%q: got %q %v (line %d), %v, want %q", b.String(), rec.Fields, rec.Quoted, rec.Line, err, fields)
		}
		rec, err = r.Read()
		if err != nil || strings.Join(rec.Fields, "|") != "|z" || rec.Quoted[0] || rec.Line != 4 {
			t.Errorf("%q: second record: got %q %v (line %d), %v", b.String(), rec.Fields, rec.Quoted, rec.Line, err)
		}
		if _, err := r.Read(); err == nil {
			t.Errorf("%q: got a third record", b.String())
		}
	}
	if _, err := NewCSVReader(strings.NewReader(`1,"open`), CSVDialect{',', '"', '\\'}).Read(); err != ErrBadCSV {
		t.Errorf("unterminated quote: got %v, want %v", err, ErrBadCSV)
	}
}
