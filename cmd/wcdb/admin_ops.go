package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"wcdb/server/nodeops"
)

// longAdminTimeout bounds the admin requests that work through the data
// (flush, compact, snapshot).
const longAdminTimeout = 6 * time.Hour

// adminOpsUsage lists the commands of server/nodeops for adminUsage.
func adminOpsUsage() string {
	var b strings.Builder
	const indent = "                 "
	for _, c := range nodeops.Commands {
		b.WriteString("  " + c.Name)
		col := 2 + len(c.Name)
		if col >= len(indent) {
			b.WriteString("\n" + indent)
		} else {
			b.WriteString(indent[col:])
		}
		col = len(indent)
		for i, word := range strings.Fields(c.Help) {
			if i > 0 && col+1+len(word) > 77 {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else if i > 0 {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += len(word)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// adminOpsCmd runs one of nodeops.Commands: flags, the request, the
// answer printed (or as JSON).
func adminOpsCmd(c *nodeops.Command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb admin "+c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: wcdb admin %s [--host HOST[:PORT]] [--json] %s\n%s\n", c.Name, c.Args, c.Help)
		fs.PrintDefaults()
	}
	host := fs.String("host", "127.0.0.1", "node to ask, host[:internode port] (port 7000 unless given)")
	asJSON := fs.Bool("json", false, "print the node's answer as JSON")
	var tag string
	var all bool
	if c.Tag {
		fs.StringVar(&tag, "t", "", "the snapshot's name")
	}
	if c.All {
		fs.BoolVar(&all, "all", false, "every snapshot")
	}
	// Flags may come after arguments too, as nodetool takes them
	// (keyspace and table names never start with '-').
	var pos []string
	for rest := args; ; {
		if code, stop := parseFlagsArgs(fs, rest); stop {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) < c.MinArgs || c.MaxArgs >= 0 && len(pos) > c.MaxArgs {
		fmt.Fprintf(stderr, "wcdb: %s wants %s, got %d arguments\n", c.Name, c.Args, len(pos))
		fs.Usage()
		return 2
	}
	req, err := c.Request(tag, all, pos)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	addr, err := internodeAddress(*host)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 2
	}
	timeout := adminTimeout
	if c.Long {
		timeout = longAdminTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := adminCall(ctx, addr, req)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if *asJSON {
		return writeRaw(stdout, stderr, b)
	}
	if err := c.Print(stdout, b); err != nil {
		fmt.Fprintf(stderr, "wcdb: %s's answer: %v\n", addr, err)
		return 1
	}
	return 0
}
