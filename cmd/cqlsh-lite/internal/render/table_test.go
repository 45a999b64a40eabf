package render

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestTable runs testdata/table. The input's first line holds the column
// names, the others the formatted values, cells separated by '|' (spaces
// around them trimmed).
//
//	table [tty] [noheader] [norows]: Table
//	expanded [offset=N]: Expanded
//	columnize: the input's lines as names
func TestTable(t *testing.T) {
	datadriven.RunTest(t, "testdata/table", func(t *testing.T, d *datadriven.TestData) string {
		var b strings.Builder
		lines := strings.Split(d.Input, "\n")
		cells := func(line string) []string {
			c := strings.Split(line, "|")
			for i := range c {
				c[i] = strings.TrimSpace(c[i])
			}
			return c
		}
		names := cells(lines[0])
		var rows [][]string
		for _, l := range lines[1:] {
			rows = append(rows, cells(l))
		}
		switch d.Cmd {
		case "table":
			if d.HasArg("norows") {
				rows = nil
			}
			Table(&b, names, rows, !d.HasArg("noheader"), d.HasArg("tty"))
		case "expanded":
			offset := 0
			if d.HasArg("offset") {
				d.ScanArgs(t, "offset", &offset)
			}
			Expanded(&b, names, rows, offset)
		case "columnize":
			Columnize(&b, lines)
		default:
			t.Fatalf("unknown command %q", d.Cmd)
		}
		// Trailing spaces are part of the output; show where lines end.
		return strings.ReplaceAll(b.String(), "\n", "$\n")
	})
}
