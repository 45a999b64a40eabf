// Package cqldb is the YCSB driver for wcdb and Cassandra, over gocql.
//
// It keeps the records in a table of YCSB's Cassandra binding's shape,
//
//	CREATE TABLE ycsb.usertable (y_id text PRIMARY KEY, field0 text, ..., field9 text)
//
// in a SimpleStrategy keyspace of the given replication factor, both
// created if missing. Statements are prepared (gocql prepares every
// statement with values and caches it) and routed token-aware: each goes
// to a replica of its key, falling back to round robin. gocql retries
// nothing here, so every failure is counted.
//
// Scans, as YCSB's Cassandra binding: records from the key's token on, in
// token order (SELECT ... WHERE token(y_id) >= token(?) LIMIT ?). Keys are
// hashed by the partitioner, so a scan is a walk along the ring, not a
// range of keys in key order; near the end of the ring it returns fewer
// rows than asked for.
package cqldb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gocql/gocql"

	"wcdb/bench/ycsb"
)

// Config is how to reach the cluster and what to create.
type Config struct {
	// Hosts are the contact points, host or host:port.
	Hosts []string
	// Port is the CQL port of hosts given without one.
	Port int
	// Consistency is the level of every statement (ONE, QUORUM, ...).
	Consistency string
	// RF is the keyspace's replication factor when it is created.
	RF int
	// Connections is the number of connections per host.
	Connections int
	// Timeout is gocql's per-request timeout.
	Timeout time.Duration
	// Keyspace and Table name the records' table (ycsb, usertable).
	Keyspace, Table string
	// Fields is the number of fields (field0...).
	Fields int
	// Fresh drops the table before creating it.
	Fresh bool
	// CAFile, if set, connects with TLS, checking the nodes' certificates
	// against the CA certificates in this PEM file.
	CAFile string
}

// DefaultConfig returns the defaults: 127.0.0.1:9042, ONE, RF 1, two
// connections per host, 10 fields.
func DefaultConfig() Config {
	return Config{
		Hosts: []string{"127.0.0.1"}, Port: 9042, Consistency: "ONE", RF: 1,
		Connections: 2, Timeout: 10 * time.Second, Keyspace: "ycsb", Table: "usertable", Fields: 10,
	}
}

// DB is a gocql session on the cluster, shared by the workers' clients.
type DB struct {
	cfg     Config
	session *gocql.Session

	insert, read, scan string
	update             []string // per field
}

func (c Config) cluster(keyspace string) (*gocql.ClusterConfig, error) {
	cons, err := gocql.ParseConsistencyWrapper(c.Consistency)
	if err != nil {
		return nil, fmt.Errorf("cqldb: consistency %q: %w", c.Consistency, err)
	}
	cl := gocql.NewCluster(c.Hosts...)
	cl.Port = c.Port
	cl.ProtoVersion = 4
	cl.Keyspace = keyspace
	cl.Consistency = cons
	cl.NumConns = c.Connections
	cl.Timeout = c.Timeout
	cl.ConnectTimeout = c.Timeout
	cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	if c.CAFile != "" {
		cl.SslOpts = &gocql.SslOptions{CaPath: c.CAFile, EnableHostVerification: true}
	}
	// gocql holds each request up to 200 µs hoping to coalesce writes; the
	// timer fires late on a busy machine (about 1 ms here), a floor under
	// every operation's latency. Write each request at once.
	cl.WriteCoalesceWaitTime = 0
	return cl, nil
}

// Open connects, creates the keyspace and table if missing, and prepares
// the statements.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if len(cfg.Hosts) == 0 || cfg.Fields < 1 || cfg.RF < 1 || cfg.Connections < 1 {
		return nil, errors.New("cqldb: need hosts, fields, rf and connections")
	}
	var cols strings.Builder
	for i := range cfg.Fields {
		fmt.Fprintf(&cols, ", %s text", ycsb.FieldName(i))
	}
	s, err := OpenSession(ctx, cfg, []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (y_id text PRIMARY KEY%s)", cfg.Table, cols.String())},
		[]string{cfg.Table})
	if err != nil {
		return nil, err
	}
	db := &DB{cfg: cfg, session: s}
	names := make([]string, cfg.Fields)
	marks := make([]string, cfg.Fields)
	for i := range names {
		names[i] = ycsb.FieldName(i)
		marks[i] = "?"
		db.update = append(db.update, fmt.Sprintf("UPDATE %s SET %s = ? WHERE y_id = ?", cfg.Table, names[i]))
	}
	all := "y_id, " + strings.Join(names, ", ")
	db.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES (?, %s)", cfg.Table, all, strings.Join(marks, ", "))
	db.read = fmt.Sprintf("SELECT %s FROM %s WHERE y_id = ?", all, cfg.Table)
	db.scan = fmt.Sprintf("SELECT %s FROM %s WHERE token(y_id) >= token(?) LIMIT ?", all, cfg.Table)
	return db, nil
}

// Facts reports the server's version as system.local has it.
func (db *DB) Facts(ctx context.Context) map[string]string {
	f := map[string]string{"driver": "gocql (token-aware, prepared, no retries, no write coalescing)", "consistency": db.cfg.Consistency}
	var version, cluster, partitioner string
	if err := db.session.Query("SELECT release_version, cluster_name, partitioner FROM system.local").WithContext(ctx).Scan(&version, &cluster, &partitioner); err == nil {
		f["release_version"], f["cluster_name"], f["partitioner"] = version, cluster, partitioner
	}
	return f
}

// Client returns a client on the shared session.
func (db *DB) Client(context.Context) (ycsb.Client, error) {
	c := &client{db: db, dest: make([]any, db.cfg.Fields+1), strs: make([]string, db.cfg.Fields+1)}
	for i := range c.dest {
		c.dest[i] = &c.strs[i]
	}
	return c, nil
}

// Close closes the session.
func (db *DB) Close() error {
	db.session.Close()
	return nil
}

type client struct {
	db   *DB
	args []any
	dest []any
	strs []string
}

func (c *client) Insert(ctx context.Context, key string, fields []ycsb.Field) error {
	c.args = append(c.args[:0], key)
	for _, f := range fields {
		c.args = append(c.args, f.Value) // fields come in column order, all of them
	}
	return wrap(c.db.session.Query(c.db.insert, c.args...).WithContext(ctx).Exec())
}

func (c *client) Read(ctx context.Context, key string) error {
	return wrap(c.db.session.Query(c.db.read, key).WithContext(ctx).Scan(c.dest...))
}

func (c *client) Update(ctx context.Context, key string, fields []ycsb.Field) error {
	for _, f := range fields {
		i, ok := fieldIndex(f.Name)
		if !ok || i >= len(c.db.update) {
			return fmt.Errorf("cqldb: unknown field %q", f.Name)
		}
		if err := c.db.session.Query(c.db.update[i], f.Value, key).WithContext(ctx).Exec(); err != nil {
			return wrap(err)
		}
	}
	return nil
}

func (c *client) Scan(ctx context.Context, key string, n int) (int, error) {
	it := c.db.session.Query(c.db.scan, key, n).WithContext(ctx).Iter()
	rows := 0
	for it.Scan(c.dest...) {
		rows++
	}
	return rows, wrap(it.Close())
}

func (c *client) Close() error { return nil }

// fieldIndex parses "fieldN".
func fieldIndex(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, "field")
	if !ok || s == "" {
		return 0, false
	}
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int(ch-'0')
	}
	return n, true
}

// wrap marks gocql's errors with their ycsb kind.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var (
		unavailable  *gocql.RequestErrUnavailable
		writeTimeout *gocql.RequestErrWriteTimeout
		readTimeout  *gocql.RequestErrReadTimeout
	)
	switch {
	case errors.Is(err, gocql.ErrNotFound):
		return fmt.Errorf("%w: %w", ycsb.ErrNotFound, err)
	case errors.As(err, &writeTimeout), errors.As(err, &readTimeout), errors.Is(err, gocql.ErrTimeoutNoResponse):
		return fmt.Errorf("%w: %w", ycsb.ErrTimeout, err)
	case errors.As(err, &unavailable), errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrConnectionClosed):
		return fmt.Errorf("%w: %w", ycsb.ErrUnavailable, err)
	}
	return err
}
