package cqllex

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
			stmts, rest, open := Split(d.Input)
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
				stmts, rest, open := Split(pending + line + "\n")
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

// FuzzSplit checks the tokenizer and splitter on any input: the tokens
// put back together are the input, and reading it line by line (as the
// shell does) yields the statements of reading it whole.
func FuzzSplit(f *testing.F) {
	for _, seed := range []string{
		"SELECT 1; SELECT 'a;b' FROM t;\n",
		"BEGIN BATCH INSERT INTO t (k) VALUES (1);\nINSERT INTO t (k) VALUES (2);\nAPPLY BATCH;\n",
		"BEGIN UNLOGGED BATCH\n-- c\nUPDATE t SET v = $$x;\n$$ WHERE k = 1; APPLY /* */ BATCH; EXIT\n",
		"EXPAND ON\nSELECT \"a\"\"b\" FROM t /* open\n",
		"PAGING 2 -- two\n? topics\nINSERT INTO t (k) VALUES ('it''s');\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var b strings.Builder
		for _, tok := range Lex(src) {
			b.WriteString(tok.Text)
		}
		if b.String() != src {
			t.Fatalf("tokens of %q put together: got %q", src, b.String())
		}
		if !strings.HasSuffix(src, "\n") {
			src += "\n"
		}
		whole, _, wholeOpen := Split(src)
		var fed []string
		pending := ""
		lines := strings.SplitAfter(src, "\n")
		for _, line := range lines[:len(lines)-1] {
			stmts, rest, _ := Split(pending + line)
			fed = append(fed, stmts...)
			pending = rest
		}
		if strings.Join(fed, "\x00") != strings.Join(whole, "\x00") || (pending != "") != wholeOpen {
			t.Fatalf("%q: line by line got %q, open %v; whole got %q, open %v", src, fed, pending != "", whole, wholeOpen)
		}
	})
}
