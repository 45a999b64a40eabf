package render

import (
	"wcdb/cmd/cqlsh-lite/internal/cqlvalue"
	"wcdb/schema"
)

// Colours as cqlsh's (formatting.py): column names magenta, text yellow,
// numbers, times, uuids, addresses and booleans green, blobs dark
// magenta, collections and tuples blue, null and errors red.
const (
	reset       = "\x1b[0m"
	ColorRed    = "\x1b[0;1;31m"
	ColorGreen  = "\x1b[0;1;32m"
	ColorYellow = "\x1b[0;1;33m"
	ColorBlue   = "\x1b[0;1;34m"
	ColorName   = "\x1b[0;1;35m" // magenta
	ColorBlob   = "\x1b[0;35m"   // dark magenta
)

// ValueColor is the colour of a value v of column c.
func ValueColor(c cqlvalue.Column, v cqlvalue.Raw) string {
	switch {
	case v.Null:
		return ColorRed
	case !c.Known:
		return ColorBlob
	}
	switch c.Type.Kind {
	case schema.KindAscii, schema.KindText:
		return ColorYellow
	case schema.KindBlob:
		return ColorBlob
	case schema.KindList, schema.KindSet, schema.KindMap, schema.KindTuple, schema.KindUDT:
		return ColorBlue
	}
	return ColorGreen
}

// Paint wraps s in colour; no colour leaves it as it is.
func Paint(color, s string) string {
	if color == "" {
		return s
	}
	return color + s + reset
}
