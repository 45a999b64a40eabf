// Package render writes cqlsh-lite's results as cqlsh lays them out:
// tables (Table), rows one under another (Expanded), lists of names in
// columns (Columnize), and the colours cqlsh gives values (ValueColor,
// Paint).
package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Width is the number of terminal columns s takes (wide characters count
// two), as cqlsh measures values with wcwidth.
func Width(s string) int { return runewidth.StringWidth(s) }

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat(" ", n)
}

// Table writes one page of a result the way cqlsh does:
//
//	 name | n
//	------+---
//	  ann | 1
//
// column names left-aligned, values right-aligned, each column as wide as
// its widest cell. rows nil (no rows) prints the header and an empty line;
// header false (a later page when not on a terminal) prints only the rows;
// tty adds an empty line after the rows.
func Table(w io.Writer, names []string, rows [][]string, header, tty bool) {
	ColoredTable(w, names, rows, nil, header, tty)
}

// ColoredTable is Table with colours: colors[r][c] is the colour
// of rows[r][c], column names get ColorName; nil colors is no colour.
func ColoredTable(w io.Writer, names []string, rows, colors [][]string, header, tty bool) {
	nameColor := ""
	if colors != nil {
		nameColor = ColorName
	}
	widths := make([]int, len(names))
	for i, n := range names {
		widths[i] = Width(n)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], Width(c))
		}
	}
	var b strings.Builder
	if header || rows == nil {
		var h strings.Builder
		for i, n := range names {
			if i > 0 {
				h.WriteString(" | ")
			}
			h.WriteString(Paint(nameColor, n))
			if i < len(names)-1 {
				h.WriteString(pad(widths[i] - Width(n)))
			}
		}
		b.WriteString(" ")
		b.WriteString(h.String())
		b.WriteString("\n-")
		for i, wd := range widths {
			if i > 0 {
				b.WriteString("-+-")
			}
			b.WriteString(strings.Repeat("-", wd))
		}
		b.WriteString("-\n")
	}
	if rows == nil {
		b.WriteString("\n")
		io.WriteString(w, b.String())
		return
	}
	for j, r := range rows {
		b.WriteString(" ")
		for i, c := range r {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(pad(widths[i] - Width(c)))
			b.WriteString(Paint(cellColor(colors, j, i), c))
		}
		b.WriteString("\n")
	}
	if tty {
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// Expanded writes rows vertically, as cqlsh's EXPAND ON:
//
//	@ Row 1
//	------+-----
//	 name | ann
//	 n    | 1
//
// numbering from offset+1; every row is followed by an empty line.
func Expanded(w io.Writer, names []string, rows [][]string, offset int) {
	ColoredExpanded(w, names, rows, nil, offset)
}

// ColoredExpanded is Expanded with colours, as ColoredTable.
func ColoredExpanded(w io.Writer, names []string, rows, colors [][]string, offset int) {
	nameWidth, valueWidth := 0, 0
	for _, n := range names {
		nameWidth = max(nameWidth, Width(n))
	}
	for _, r := range rows {
		for _, c := range r {
			valueWidth = max(valueWidth, Width(c))
		}
	}
	sep := "-" + strings.Repeat("-", nameWidth) + "-+-" + strings.Repeat("-", valueWidth) + "-\n"
	var b strings.Builder
	for i, r := range rows {
		b.WriteString("@ Row ")
		b.WriteString(strconv.Itoa(offset + i + 1))
		b.WriteString("\n")
		b.WriteString(sep)
		for j, c := range r {
			b.WriteString(" ")
			if colors != nil {
				b.WriteString(Paint(ColorName, names[j]))
			} else {
				b.WriteString(names[j])
			}
			c = Paint(cellColor(colors, i, j), c)
			b.WriteString(pad(nameWidth - Width(names[j])))
			b.WriteString(" | ")
			b.WriteString(c)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// Columnize lays names out in columns two spaces apart within 80
// terminal columns, filling column by column with as few rows as fit, as
// Python's cmd.Cmd.columnize (which cqlsh's DESCRIBE KEYSPACES and TABLES
// use).
func Columnize(w io.Writer, names []string) {
	const displayWidth = 80
	switch len(names) {
	case 0:
		io.WriteString(w, "<empty>\n")
		return
	case 1:
		io.WriteString(w, names[0]+"\n")
		return
	}
	var nrows, ncols int
	var colWidths []int
	for nrows = 1; nrows < len(names); nrows++ {
		ncols = (len(names) + nrows - 1) / nrows
		colWidths = colWidths[:0]
		total := -2
		for col := range ncols {
			cw := 0
			for row := range nrows {
				if i := row + nrows*col; i < len(names) {
					cw = max(cw, Width(names[i]))
				}
			}
			colWidths = append(colWidths, cw)
			total += cw + 2
			if total > displayWidth {
				break
			}
		}
		if total <= displayWidth {
			break
		}
	}
	if nrows == len(names) {
		ncols, colWidths = 1, []int{0}
	}
	var b strings.Builder
	for row := range nrows {
		var texts []string
		for col := range ncols {
			if i := row + nrows*col; i < len(names) {
				texts = append(texts, names[i])
			} else {
				texts = append(texts, "")
			}
		}
		for len(texts) > 0 && texts[len(texts)-1] == "" {
			texts = texts[:len(texts)-1]
		}
		for i := range texts {
			texts[i] += pad(colWidths[i] - Width(texts[i]))
		}
		b.WriteString(strings.Join(texts, "  "))
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// cellColor is the colour of row r, column c: none when colors has none.
func cellColor(colors [][]string, r, c int) string {
	if r < len(colors) && c < len(colors[r]) {
		return colors[r][c]
	}
	return ""
}
