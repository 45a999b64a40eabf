package nodeops

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"wcdb/internal/units"
	"wcdb/storage/snapshot"
)

// Command is a wcdb admin command served by Ops: how the command line
// turns its arguments into a request and prints the answer.
type Command struct {
	Name, Args, Help string
	// Tag: the command takes -t TAG (snapshot, clearsnapshot); All: --all.
	Tag, All bool
	// Long: the work takes as long as the data needs (flush, compact,
	// snapshot), not the few seconds a question does.
	Long bool
	// MinArgs, MaxArgs bound the positional arguments (-1: no bound).
	MinArgs, MaxArgs int
	// Request builds the request from the tag and the positional args.
	Request func(tag string, all bool, args []string) ([]string, error)
	// Print prints the answer for people.
	Print func(w io.Writer, answer []byte) error
}

const mib = 1 << 20

// Commands are the commands of this package, in the order help lists them.
var Commands = slices.Concat(storageCommands, statsCommands, clusterCommands)

// storageCommands act on the node's storage and process.
var storageCommands = []Command{
	{Name: "flush", Args: "[KEYSPACE [TABLE...]]", MaxArgs: -1, Long: true,
		Help:    "write the memtables of the tables (all unless named) to SSTables",
		Request: plain("flush"), Print: printTables("flushed")},
	{Name: "compact", Args: "[KEYSPACE [TABLE...]]", MaxArgs: -1, Long: true,
		Help:    "major compaction: merge each table's SSTables into one (all tables unless named)",
		Request: plain("compact"), Print: printTables("compacted")},
	{Name: "recompress_sstables", Args: "[KEYSPACE [TABLE...]]", MaxArgs: -1, Long: true,
		Help: "rewrite each SSTable of the tables (all unless named) not written with the table's current " +
			"compression (after ALTER TABLE ... WITH compression), one file at a time",
		Request: plain("recompress_sstables"),
		Print: func(w io.Writer, b []byte) error {
			var r TableResult
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "recompressed %d SSTables of %d tables in %.1fs (%d already in their table's compression)\n",
				r.Files, len(r.Tables), float64(r.Millis)/1000, r.Current)
			return err
		}},
	{Name: "snapshot", Args: "[-t TAG] [KEYSPACE [TABLE...]]", Tag: true, MaxArgs: -1, Long: true,
		Help: "flush the tables, then hard-link their SSTables under DATA/snapshots/TAG " +
			"(TAG: the time in milliseconds unless given), with each table's schema.cql",
		Request: func(tag string, _ bool, args []string) ([]string, error) {
			return append([]string{"snapshot", tag}, args...), nil
		},
		Print: func(w io.Writer, b []byte) error {
			var r SnapshotResult
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "Snapshot directory: %s (%d tables, %d files)\n", r.Tag, len(r.Tables), r.Files)
			return err
		}},
	{Name: "listsnapshots", MaxArgs: 0,
		Help:    "the node's snapshots: size, and true size (bytes no live SSTable shares)",
		Request: plain("listsnapshots"), Print: decoded(printSnapshots)},
	{Name: "clearsnapshot", Args: "-t TAG | --all [KEYSPACE...]", Tag: true, All: true, MaxArgs: -1,
		Help: "delete snapshot TAG (or, with --all, every snapshot), of the keyspaces named or all",
		Request: func(tag string, all bool, args []string) ([]string, error) {
			if (tag == "") == !all {
				return nil, fmt.Errorf("clearsnapshot wants -t TAG or --all")
			}
			return append([]string{"clearsnapshot", tag}, args...), nil
		},
		Print: func(w io.Writer, b []byte) error {
			var tags []string
			if err := json.Unmarshal(b, &tags); err != nil {
				return err
			}
			if len(tags) == 0 {
				_, err := fmt.Fprintln(w, "No snapshot cleared")
				return err
			}
			_, err := fmt.Fprintf(w, "Cleared snapshots: %v\n", tags)
			return err
		}},
	{Name: "getcompactionthroughput", MaxArgs: 0,
		Help:    "the cap on compaction's reading, MiB/s (0: unlimited)",
		Request: plain("getcompactionthroughput"), Print: printThroughput("Current compaction throughput")},
	{Name: "setcompactionthroughput", Args: "MIB_PER_SEC", MinArgs: 1, MaxArgs: 1,
		Help: "change the cap on compaction's reading, at once (0: unlimited)",
		Request: func(_ string, _ bool, args []string) ([]string, error) {
			n, err := strconv.ParseFloat(args[0], 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("setcompactionthroughput: %q is not a non-negative number of MiB/s", args[0])
			}
			return []string{"setcompactionthroughput", strconv.FormatInt(int64(n*mib), 10)}, nil
		},
		Print: printThroughput("Compaction throughput set to")},
	{Name: "getcompactioncpushare", MaxArgs: 0,
		Help:    "the share of a core compaction gets while requests run (0: no pacing)",
		Request: plain("getcompactioncpushare"), Print: printCPUShare("Current compaction CPU share")},
	{Name: "setcompactioncpushare", Args: "SHARE", MinArgs: 1, MaxArgs: 1,
		Help: "change the share (0 to 1) of a core compaction gets while requests run, at once; 0 or 1: no pacing",
		Request: func(_ string, _ bool, args []string) ([]string, error) {
			return append([]string{"setcompactioncpushare"}, args...), nil
		},
		Print: printCPUShare("Compaction CPU share set to")},
	{Name: "gettraceprobability", MaxArgs: 0,
		Help:    "the share of requests traced without asking (into system_traces)",
		Request: plain("gettraceprobability"), Print: printProbability("Current trace probability")},
	{Name: "settraceprobability", Args: "PROBABILITY", MinArgs: 1, MaxArgs: 1,
		Help: "trace this share (0 to 1) of the requests that did not ask for it, into system_traces; " +
			"0 (the default) stops it. Until the node restarts",
		Request: func(_ string, _ bool, args []string) ([]string, error) {
			if _, err := parseProbability(args); err != nil {
				return nil, err
			}
			return []string{"settraceprobability", args[0]}, nil
		},
		Print: printProbability("Trace probability set to")},
	{Name: "refreshsizeestimates", MaxArgs: 0,
		Help:    "rewrite system.size_estimates and system.table_estimates now (every 5 minutes otherwise)",
		Request: plain("refreshsizeestimates"),
		Print: decoded(func(w io.Writer, c Count) error {
			_, err := fmt.Fprintf(w, "Size estimates of %d tables recorded\n", c.Tables)
			return err
		})},
	{Name: "getlogginglevel", MaxArgs: 0, Help: "the node's log level",
		Request: plain("getlogginglevel"), Print: printString("Log level")},
	{Name: "setlogginglevel", Args: "DEBUG|INFO|WARN|ERROR", MinArgs: 1, MaxArgs: 1,
		Help: "change the node's log level at once (until it restarts)",
		Request: func(_ string, _ bool, args []string) ([]string, error) {
			return []string{"setlogginglevel", args[0]}, nil
		},
		Print: printString("Log level set to")},
	{Name: "version", MaxArgs: 0, Help: "the node's release version",
		Request: plain("version"),
		Print: func(w io.Writer, b []byte) error {
			var v Version
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			_, err := fmt.Fprintf(w, "ReleaseVersion: %s\n", v.Release)
			return err
		}},
}

// Lookup returns the command named name.
func Lookup(name string) (*Command, bool) {
	for i := range Commands {
		if Commands[i].Name == name {
			return &Commands[i], true
		}
	}
	return nil, false
}

// decoded makes a printer of the answer's JSON from one of its Go value.
func decoded[T any](print func(io.Writer, T) error) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		return print(w, v)
	}
}

func plain(req string) func(string, bool, []string) ([]string, error) {
	return func(_ string, _ bool, args []string) ([]string, error) { return append([]string{req}, args...), nil }
}

func printTables(done string) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		var r TableResult
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "%s %d tables in %.1fs\n", done, len(r.Tables), float64(r.Millis)/1000)
		return err
	}
}

func printThroughput(what string) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		var t Throughput
		if err := json.Unmarshal(b, &t); err != nil {
			return err
		}
		if t.BytesPerSec == 0 {
			_, err := fmt.Fprintf(w, "%s: unlimited\n", what)
			return err
		}
		_, err := fmt.Fprintf(w, "%s: %s MiB/s\n", what, strconv.FormatFloat(float64(t.BytesPerSec)/mib, 'f', -1, 64))
		return err
	}
}

func printString(what string) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "%s: %s\n", what, s)
		return err
	}
}

func printSnapshots(w io.Writer, infos []snapshot.Info) error {
	if len(infos) == 0 {
		_, err := fmt.Fprintln(w, "There are no snapshots")
		return err
	}
	fmt.Fprintln(w, "Snapshot Details:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Snapshot name\tKeyspace name\tTable name\tFiles\tTrue size\tSize on disk\tCreation time")
	var trueTotal int64
	for _, in := range infos {
		created := in.Created.Format("2006-01-02T15:04:05Z")
		if !in.Complete {
			created = "(incomplete)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", in.Tag, in.Keyspace, in.Table, in.Files,
			units.Bytes(in.TrueSize), units.Bytes(in.Size), created)
		trueTotal += in.TrueSize
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nTotal TrueDiskSpaceUsed: %s\n", units.Bytes(trueTotal))
	return err
}

func printCPUShare(what string) func(io.Writer, []byte) error {
	return decoded(func(w io.Writer, p CPUShare) error {
		_, err := fmt.Fprintf(w, "%s: %g\n", what, p.Value)
		return err
	})
}

func printProbability(what string) func(io.Writer, []byte) error {
	return decoded(func(w io.Writer, p Probability) error {
		_, err := fmt.Fprintf(w, "%s: %g\n", what, p.Value)
		return err
	})
}
