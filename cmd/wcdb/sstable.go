package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"wcdb/internal/sstabletool"
	"wcdb/internal/vfs"
	"wcdb/schema"
	"wcdb/sstable"
)

const sstableUsage = `usage: wcdb sstable dump [-k KEY]... [-x KEY]... [-d] [-e] [-t] [--data-dir DIR] [--table KS.TABLE] FILE
       wcdb sstable verify FILE|DIR
       wcdb sstable metadata [--json] [--gc-grace SECONDS] [--data-dir DIR] [--table KS.TABLE] FILE

Offline tools for SSTable files (as Cassandra's sstabledump, sstableverify
and sstablemetadata); they only read, and work on a running node's files.
dump and metadata decode keys, clusterings and values with the table's
schema, read from the node's data directory (found from FILE's path,
<data dir>/data/<table id>/NNNNNNNN.sst, or given with --data-dir and
--table); without it they print hex and name columns by id.

  dump       the partitions as JSON: key, token, deletion; static row,
             rows and range tombstones with liveness, TTLs, deletions and
             cells (collection elements with their path). -k KEY: only
             these partitions (repeat it; a composite key's components
             separated by ':', or 0x and the key's bytes); -x KEY: not
             these; -d: one line per row in an internal form; -e: the keys
             only; -t: timestamps as numbers (microseconds; seconds for
             deletion times and expiries) rather than dates
  verify     checks every block's checksum, the index, the bloom filter,
             key and clustering order, that rows decode and that the
             statistics agree with the data, for FILE or every *.sst under
             DIR; exit status 1 if any is damaged
  metadata   statistics: partitions, rows, cells, tombstones, timestamps,
             local deletion times, TTLs, compression, sizes, partition
             size distribution, estimated droppable tombstones at
             gc_grace_seconds (the table's, else 864000) and the tombstone
             drop times; --json for a JSON object
`

func sstableCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, sstableUsage)
		return 2
	}
	switch args[0] {
	case "dump":
		return sstableDump(args[1:], stdout, stderr)
	case "verify":
		return sstableVerify(args[1:], stdout, stderr)
	case "metadata":
		return sstableMetadata(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, sstableUsage)
		return 0
	}
	fmt.Fprintf(stderr, "wcdb sstable: unknown command %q\n\n%s", args[0], sstableUsage)
	return 2
}

// keyList is a repeatable flag.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

// parseOneFile parses flags that may come before or after the one
// positional argument (as sstabledump FILE -k KEY), and returns it.
func parseOneFile(fs *flag.FlagSet, args []string, stderr io.Writer) (string, int, bool) {
	var files []string
	for {
		if code, stop := parseFlagsArgs(fs, args); stop {
			return "", code, true
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "%s: want one FILE, got %q\n", fs.Name(), files)
		return "", 2, true
	}
	return files[0], 0, false
}

// openTable opens the SSTable and finds its schema, saying on stderr when
// there is none.
func openTable(path, dataDir, table string, now int64, stderr io.Writer) (*sstable.Reader, *schema.Table, error) {
	r, err := sstable.Open(vfs.Default, path, sstable.ReaderOptions{})
	if err != nil {
		return nil, nil, err
	}
	t, why := sstabletool.FindTable(vfs.Default, path, dataDir, table, now)
	if t == nil {
		fmt.Fprintf(stderr, "wcdb sstable: %s; keys, clusterings and values in hex, columns by id\n", why)
	}
	return r, t, nil
}

func sstableDump(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb sstable dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sstabletool.DumpOptions
	fs.Var((*keyList)(&o.Keys), "k", "dump only this partition `KEY` (repeatable)")
	fs.Var((*keyList)(&o.Exclude), "x", "leave out this partition `KEY` (repeatable)")
	fs.BoolVar(&o.Lines, "d", false, "one line per row, in an internal form, instead of JSON")
	fs.BoolVar(&o.EnumerateKeys, "e", false, "print the partition keys only")
	fs.BoolVar(&o.RawTimestamps, "t", false, "timestamps as numbers rather than dates")
	dataDir := fs.String("data-dir", "", "the node's data directory, for the schema (default: found from FILE's path)")
	table := fs.String("table", "", "the table `KS.TABLE` FILE belongs to (default: from FILE's path)")
	path, code, stop := parseOneFile(fs, args, stderr)
	if stop {
		return code
	}
	o.Now = time.Now().Unix()
	r, t, err := openTable(path, *dataDir, *table, o.Now, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	defer r.Close()
	if err := sstabletool.Dump(stdout, r, t, o); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}

func sstableVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb sstable verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path, code, stop := parseOneFile(fs, args, stderr)
	if stop {
		return code
	}
	bad, err := sstabletool.VerifyAll(stdout, vfs.Default, path)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if bad > 0 {
		return 1
	}
	return 0
}

func sstableMetadata(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb sstable metadata", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print a JSON object")
	gcGrace := fs.Int64("gc-grace", -1, "gc_grace_seconds for the droppable tombstone estimate (default: the table's, else 864000)")
	dataDir := fs.String("data-dir", "", "the node's data directory, for the schema (default: found from FILE's path)")
	table := fs.String("table", "", "the table `KS.TABLE` FILE belongs to (default: from FILE's path)")
	path, code, stop := parseOneFile(fs, args, stderr)
	if stop {
		return code
	}
	now := time.Now().Unix()
	r, t, err := openTable(path, *dataDir, *table, now, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	defer r.Close()
	m, err := sstabletool.ReadMetadata(r, t, *gcGrace, now)
	if err == nil {
		if *asJSON {
			err = m.WriteJSON(stdout)
		} else {
			err = m.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}
