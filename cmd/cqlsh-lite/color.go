package main

import (
	"os"

	"wcdb/schema"
)

// Colours as cqlsh's (formatting.py): column names magenta, text yellow,
// numbers, times, uuids, addresses and booleans green, blobs dark
// magenta, collections and tuples blue, null and errors red.
const (
	ansiReset   = "\x1b[0m"
	colorRed    = "\x1b[0;1;31m"
	colorGreen  = "\x1b[0;1;32m"
	colorYellow = "\x1b[0;1;33m"
	colorBlue   = "\x1b[0;1;34m"
	colorName   = "\x1b[0;1;35m" // magenta
	colorBlob   = "\x1b[0;35m"   // dark magenta
)

// valueColor is the colour of a value of column c.
func valueColor(c column, v rawValue) string {
	switch {
	case v.null:
		return colorRed
	case !c.known:
		return colorBlob
	}
	switch c.typ.Kind {
	case schema.KindAscii, schema.KindText:
		return colorYellow
	case schema.KindBlob:
		return colorBlob
	case schema.KindList, schema.KindSet, schema.KindMap, schema.KindTuple:
		return colorBlue
	}
	return colorGreen
}

// paint wraps s in colour; no colour leaves it as it is.
func paint(color, s string) string {
	if color == "" {
		return s
	}
	return color + s + ansiReset
}

// colorMode is the colour setting before the terminal is looked at.
type colorMode int

const (
	colorAuto colorMode = iota // when the output is a terminal that shows colour
	colorOn
	colorOff
)

// useColor decides the shell's colour, as cqlsh does: --color or
// --no-color, else the cqlshrc's [ui] color, else colour when the shell is
// interactive on a terminal that is not dumb (and $NO_COLOR is not set).
func useColor(mode colorMode, interactive bool) bool {
	switch mode {
	case colorOn:
		return true
	case colorOff:
		return false
	}
	term := os.Getenv("TERM")
	return interactive && isTerminalOutput(os.Stdout) && term != "" && term != "dumb" && os.Getenv("NO_COLOR") == ""
}
