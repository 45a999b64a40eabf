package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"wcdb/bench/report"
)

const benchReportUsage = `usage: wcdb bench report [flags] RESULT.json ...

Turns results of wcdb bench ycsb and wcdb bench timeline (--json) into a
Markdown report: per workload and database the throughput, latency
percentiles per operation, server CPU per operation and errors; wcdb's
ratios against each other database; the machine, the settings and each
database's durability. --charts DIR adds PNG charts, linked from the
report. Flags and files may come in any order.

`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, "; ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// Report runs wcdb bench report with args (its flags and files) and returns
// the exit status.
func Report(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, benchReportUsage)
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "write the Markdown to this file (default: standard output)")
	charts := fs.String("charts", "", "write PNG charts into this directory and link them from the report")
	title := fs.String("title", "", "the report's title (default: wcdb benchmarks)")
	commands := fs.String("commands", "", "file with the commands that produced the results, quoted in the report")
	var notes, facts stringList
	fs.Var(&notes, "note", "a paragraph for the report's scope (repeatable)")
	fs.Var(&facts, "fact", "DB:KEY=VALUE, a setting of a database its driver cannot read, e.g. wcdb:commitlog_sync=periodic (repeatable)")
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "wcdb: bench report: no result files given")
		fs.Usage()
		return 2
	}
	opts := report.Options{Title: *title, Notes: notes, Facts: map[string]map[string]string{}}
	for _, f := range facts {
		db, kv, ok1 := strings.Cut(f, ":")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok1 || !ok2 || db == "" || k == "" {
			fmt.Fprintf(stderr, "wcdb: --fact %q: want DB:KEY=VALUE\n", f)
			return 2
		}
		if opts.Facts[db] == nil {
			opts.Facts[db] = map[string]string{}
		}
		opts.Facts[db][k] = v
	}
	if *commands != "" {
		b, err := os.ReadFile(*commands)
		if err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		opts.Commands = string(b)
	}
	if *charts != "" {
		opts.ChartsLink = filepath.ToSlash(*charts)
		if *out != "" {
			if rel, err := filepath.Rel(filepath.Dir(*out), *charts); err == nil {
				opts.ChartsLink = filepath.ToSlash(rel)
			}
		}
	}
	in, err := report.ReadFiles(files)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	rep, err := report.New(in, opts)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if *charts != "" {
		written, err := rep.WriteCharts(*charts)
		if err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		fmt.Fprintf(stderr, "wcdb: %d charts in %s\n", len(written), *charts)
	}
	if *out == "" {
		if err := rep.WriteMarkdown(stdout); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		return 0
	}
	f, err := os.Create(*out)
	if err == nil {
		err = rep.WriteMarkdown(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}
