package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestSplit runs testdata/split:
//
//	split: the input as one text; prints each statement in brackets, then
//	the rest if a statement is left open.
//	feed: the input line by line, as the shell reads it; prints per line
//	the statements it completes, or "..." while one is open.
func TestSplit(t *testing.T) {
	datadriven.RunTest(t, "testdata/split", func(t *testing.T, d *datadriven.TestData) string {
		var b strings.Builder
		switch d.Cmd {
		case "split":
			stmts, rest, open := splitStatements(d.Input)
			for _, s := range stmts {
				fmt.Fprintf(&b, "[%s]\n", s)
			}
			if open {
				fmt.Fprintf(&b, "open: %q\n", rest)
			} else if rest != "" {
				t.Fatalf("got rest %q with open false, want none", rest)
			}
		case "feed":
			pending := ""
			for i, line := range strings.Split(d.Input, "\n") {
				stmts, rest, open := splitStatements(pending + line + "\n")
				pending = rest
				fmt.Fprintf(&b, "%d:", i+1)
				for _, s := range stmts {
					fmt.Fprintf(&b, " [%s]", s)
				}
				if open {
					b.WriteString(" ...")
				}
				b.WriteString("\n")
			}
		default:
			t.Fatalf("unknown command %q", d.Cmd)
		}
		return b.String()
	})
}
