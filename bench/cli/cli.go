// Package cli is the command line of wcdb bench ycsb, wcdb bench
// timeline and wcdb bench report: their flags, the database each run is
// pointed at, and what is printed and written. Each command is a function
// of its arguments (after "wcdb bench NAME") that writes to stdout and
// stderr and returns the exit status: 0, 1 when it failed, 2 for a usage
// error. cmd/wcdb dispatches to them.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseFlags parses args with fs, which takes no positional arguments,
// and returns the exit status if the command should stop there.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wcdb: unexpected arguments %q\n", fs.Args())
		return 2, true
	}
	return 0, false
}

// splitList splits a comma-separated flag value, dropping empty
// elements and the spaces around each.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
