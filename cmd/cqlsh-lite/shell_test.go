package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestShell runs testdata/shell against one node, whose schema and data
// carry from one command to the next:
//
//	exec [e] [f] [args=(...)]: runs cqlsh-lite connected to the node, the
//	input as its stdin (not a terminal), or as -e's statements (e), or as
//	a file run with -f (f); prints stdout, then stderr and the exit status
//	when there are.
//	write name=FILE: writes the input to FILE in a temporary directory.
//	cat name=FILE: prints FILE of that directory.
//
// $TMP in the input and the arguments stands for that directory, and in
// the output replaces it; $ADDR in the output replaces the node's address,
// \e the escape character of colours.
func TestShell(t *testing.T) {
	addr := startNode(t, nil)
	dir := t.TempDir()
	datadriven.RunTest(t, "testdata/shell", func(t *testing.T, d *datadriven.TestData) string {
		input := strings.ReplaceAll(d.Input, "$TMP", dir)
		switch d.Cmd {
		case "write":
			var name string
			d.ScanArgs(t, "name", &name)
			if err := os.WriteFile(filepath.Join(dir, name), []byte(input+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return ""
		case "cat":
			var name string
			d.ScanArgs(t, "name", &name)
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return fmt.Sprintf("error: %v\n", errors.Unwrap(err))
			}
			return string(b)
		case "exec":
			args := []string{addr}
			stdin := input + "\n"
			switch {
			case d.HasArg("e"):
				args = append(args, "-e", input)
				stdin = ""
			case d.HasArg("f"):
				path := filepath.Join(dir, "input.cql")
				if err := os.WriteFile(path, []byte(input+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-f", path)
				stdin = ""
			}
			for _, a := range d.CmdArgs {
				if a.Key == "args" {
					for _, v := range a.Vals {
						args = append(args, strings.ReplaceAll(v, "$TMP", dir))
					}
				}
			}
			stdout, stderr, code := runShell(t, stdin, args...)
			var b strings.Builder
			b.WriteString(stdout)
			if stderr != "" {
				fmt.Fprintf(&b, "stderr:\n%s", stderr)
			}
			if code != 0 {
				fmt.Fprintf(&b, "exit %d\n", code)
			}
			return strings.NewReplacer(dir, "$TMP", addr, "$ADDR", "\x1b", `\e`).Replace(b.String())
		}
		t.Fatalf("unknown command %q", d.Cmd)
		return ""
	})
}
