package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"wcdb/bench/ycsb/cqldb"
	"wcdb/bench/ycsb/pgdb"
	"wcdb/bench/ycsb/redisdb"
)

// benchFlags are the flags wcdb bench ycsb and wcdb bench timeline share:
// how to reach each database and what to report.
type benchFlags struct {
	cd         cqldb.Config
	pd         pgdb.Config
	rd         redisdb.Config
	hosts      *string
	serverPIDs *string
	json       *string
	quiet      *bool
	label      *string
}

// addBenchFlags defines the shared flags on fs; rfHelp describes --rf.
func addBenchFlags(fs *flag.FlagSet, rfHelp string) *benchFlags {
	b := &benchFlags{cd: cqldb.DefaultConfig(), pd: pgdb.DefaultConfig(), rd: redisdb.DefaultConfig()}
	b.serverPIDs = fs.String("server-pids", "", "comma-separated PIDs of the server's processes: their CPU time (with descendants') is reported too")
	b.json = fs.String("json", "", "write the full result as JSON to this file")
	b.quiet = fs.Bool("quiet", false, "no progress lines on stderr")
	b.label = fs.String("label", "", "name of this run's database column in reports (default: --db), to tell apart runs of one database, such as a cluster beside a single node")
	b.hosts = fs.String("hosts", strings.Join(b.cd.Hosts, ","), "CQL: contact points, host or host:port, comma-separated")
	fs.IntVar(&b.cd.Port, "port", b.cd.Port, "CQL: port of hosts given without one")
	fs.StringVar(&b.cd.Consistency, "consistency", b.cd.Consistency, "CQL: consistency level of every statement")
	fs.IntVar(&b.cd.RF, "rf", b.cd.RF, "CQL: "+rfHelp)
	fs.IntVar(&b.cd.Connections, "connections", b.cd.Connections, "CQL: connections per host")
	fs.StringVar(&b.cd.Keyspace, "keyspace", b.cd.Keyspace, "CQL: keyspace")
	fs.StringVar(&b.cd.CAFile, "ssl-ca", "", "CQL: connect with TLS, checking the nodes' certificates against this CA (PEM)")
	fs.StringVar(&b.pd.DSN, "dsn", b.pd.DSN, "PostgreSQL: connection string or URL")
	fs.StringVar(&b.rd.Addr, "addr", b.rd.Addr, "Redis: host:port")
	fs.IntVar(&b.rd.DB, "redis-db", b.rd.DB, "Redis: logical database")
	return b
}

// pids returns the --server-pids, or an error naming the flag.
func (b *benchFlags) pids() ([]int, error) {
	var out []int
	for _, p := range splitList(*b.serverPIDs) {
		pid, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("--server-pids: %q is not a PID", p)
		}
		out = append(out, pid)
	}
	return out, nil
}

// setup checks the flags both commands share once parsed: the server
// processes whose CPU is sampled, and where progress lines go (nil with
// --quiet).
func (b *benchFlags) setup(stderr io.Writer) (pids []int, progress io.Writer, err error) {
	pids, err = b.pids()
	if err != nil {
		return nil, nil, err
	}
	if !*b.quiet {
		progress = stderr
	}
	return pids, progress, nil
}

// openers open the database --db names, each returning it with the
// settings the report shows.
type openers[D io.Closer] struct {
	cql, postgres, redis func(ctx context.Context) (D, map[string]string, error)
}

// openDB opens the database named (wcdb and cassandra both speak CQL),
// giving it a minute; code is the exit status when it fails: 2 for a name
// it does not know, 1 for a failure to connect.
func openDB[D io.Closer](ctx context.Context, name string, o openers[D]) (db D, settings map[string]string, code int, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var open func(context.Context) (D, map[string]string, error)
	switch name {
	case "wcdb", "cassandra":
		open = o.cql
	case "postgres":
		open = o.postgres
	case "redis":
		open = o.redis
	default:
		return db, nil, 2, fmt.Errorf("--db %q: want wcdb, cassandra, postgres or redis", name)
	}
	db, settings, err = open(ctx)
	if err != nil {
		return db, nil, 1, err
	}
	return db, settings, 0, nil
}

// result is what a run of ycsb or timeline returns.
type result interface {
	WriteText(io.Writer) error
	WriteJSONFile(path string) error
}

// finish prints a run's result and writes its JSON file (jsonPath, if
// set), says how many operations failed, and returns the exit status: 1
// if anything went wrong, the run itself included.
func finish(stdout, stderr io.Writer, res result, failed int64, runErr error, jsonPath string) int {
	if err := res.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if jsonPath != "" {
		if err := res.WriteJSONFile(jsonPath); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "wcdb: %d operations failed (counted by kind above)\n", failed)
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "wcdb:", runErr)
		return 1
	}
	return 0
}
