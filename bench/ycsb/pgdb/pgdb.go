// Package pgdb is the YCSB driver for PostgreSQL, over pgx.
//
// The records live in a table of the same shape as on wcdb,
//
//	CREATE TABLE usertable (y_id text COLLATE "C" PRIMARY KEY, field0 text, ..., field9 text)
//
// created if missing (byte-order collation, so that scans follow the keys'
// byte order, as a Redis lexicographic index does). Each worker has its own
// connection (as YCSB's JDBC binding has); statements are prepared once
// per connection (pgx's statement cache). A read of a missing key, and an
// update that changed no row, fail as not found; an insert of an existing
// key fails (load into an empty table: see Config.Fresh).
//
// Scans: WHERE y_id >= $1 ORDER BY y_id LIMIT $2, a range of the primary
// key's index in key order.
//
// The result reports the server's synchronous_commit, fsync and
// shared_buffers as the benchmark's connections see them: with
// synchronous_commit off a commit returns before its WAL is flushed.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wcdb/bench/ycsb"
)

// Config is how to reach the server and what to create.
type Config struct {
	// DSN is a libpq connection string or URL.
	DSN string
	// Table names the records' table (usertable).
	Table string
	// Fields is the number of fields (field0...).
	Fields int
	// Fresh drops the table before creating it.
	Fresh bool
}

// DefaultConfig returns the defaults: PostgreSQL on 127.0.0.1:5432,
// database and user postgres, table usertable, 10 fields.
func DefaultConfig() Config {
	return Config{DSN: "postgres://postgres@127.0.0.1:5432/postgres", Table: "usertable", Fields: 10}
}

// DB holds the parsed connection settings and the statements.
type DB struct {
	cfg     Config
	connCfg *pgx.ConnConfig
	setup   *pgx.Conn

	insert, read, scan string
	update             []string
}

// Open connects, creates the table if missing, and builds the
// statements.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Fields < 1 || cfg.Table == "" {
		return nil, errors.New("pgdb: need a table and fields")
	}
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgdb: dsn: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("pgdb: connect: %w", err)
	}
	db := &DB{cfg: cfg, connCfg: cc, setup: conn}
	table := pgx.Identifier{cfg.Table}.Sanitize()
	names := make([]string, cfg.Fields)
	var cols strings.Builder
	for i := range names {
		names[i] = ycsb.FieldName(i)
		fmt.Fprintf(&cols, ", %s text", names[i])
		db.update = append(db.update, fmt.Sprintf("UPDATE %s SET %s = $1 WHERE y_id = $2", table, names[i]))
	}
	var stmts []string
	if cfg.Fresh {
		stmts = append(stmts, "DROP TABLE IF EXISTS "+table)
	}
	stmts = append(stmts, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (y_id text COLLATE "C" PRIMARY KEY%s)`, table, cols.String()))
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("pgdb: %s: %w", s, err)
		}
	}
	marks := make([]string, cfg.Fields)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	all := "y_id, " + strings.Join(names, ", ")
	db.insert = fmt.Sprintf("INSERT INTO %s (%s) VALUES ($1, %s)", table, all, strings.Join(marks, ", "))
	db.read = fmt.Sprintf("SELECT %s FROM %s WHERE y_id = $1", all, table)
	db.scan = fmt.Sprintf("SELECT %s FROM %s WHERE y_id >= $1 ORDER BY y_id LIMIT $2", all, table)
	return db, nil
}

// Facts reports the server's version and the settings that decide what an
// acknowledged write means.
func (db *DB) Facts(ctx context.Context) map[string]string {
	f := map[string]string{"driver": "pgx (connection per worker, prepared statements)"}
	for _, s := range []string{"server_version", "synchronous_commit", "fsync", "wal_sync_method", "shared_buffers", "full_page_writes"} {
		var v string
		if err := db.setup.QueryRow(ctx, "SELECT current_setting($1)", s).Scan(&v); err == nil {
			f[s] = v
		}
	}
	return f
}

// Settings describes where the benchmark connects, without the password.
func (db *DB) Settings() map[string]string {
	c := db.connCfg
	return map[string]string{
		"host": c.Host, "port": fmt.Sprint(c.Port), "database": c.Database, "user": c.User, "table": db.cfg.Table,
	}
}

// Client opens a connection for one worker.
func (db *DB) Client(ctx context.Context) (ycsb.Client, error) {
	conn, err := pgx.ConnectConfig(ctx, db.connCfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: connect: %w", err)
	}
	c := &client{db: db, conn: conn, dest: make([]any, db.cfg.Fields+1), strs: make([]string, db.cfg.Fields+1)}
	for i := range c.dest {
		c.dest[i] = &c.strs[i]
	}
	return c, nil
}

// Close closes the setup connection.
func (db *DB) Close() error { return db.setup.Close(context.Background()) }

type client struct {
	db   *DB
	conn *pgx.Conn
	args []any
	dest []any
	strs []string
}

// ready reconnects if the connection was lost (a server restart), so that
// one failure does not fail every later operation of the worker.
func (c *client) ready(ctx context.Context) error {
	if !c.conn.IsClosed() {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, c.db.connCfg)
	if err != nil {
		return wrap(err)
	}
	c.conn = conn
	return nil
}

func (c *client) Insert(ctx context.Context, key string, fields []ycsb.Field) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	c.args = append(c.args[:0], key)
	for _, f := range fields {
		c.args = append(c.args, f.Value) // all fields, in column order
	}
	_, err := c.conn.Exec(ctx, c.db.insert, c.args...)
	return wrap(err)
}

func (c *client) Read(ctx context.Context, key string) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	return wrap(c.conn.QueryRow(ctx, c.db.read, key).Scan(c.dest...))
}

func (c *client) Update(ctx context.Context, key string, fields []ycsb.Field) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	for _, f := range fields {
		i, ok := fieldIndex(f.Name)
		if !ok || i >= len(c.db.update) {
			return fmt.Errorf("pgdb: unknown field %q", f.Name)
		}
		tag, err := c.conn.Exec(ctx, c.db.update[i], f.Value, key)
		if err != nil {
			return wrap(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: update of %s changed no row", ycsb.ErrNotFound, key)
		}
	}
	return nil
}

func (c *client) Scan(ctx context.Context, key string, n int) (int, error) {
	if err := c.ready(ctx); err != nil {
		return 0, err
	}
	rows, err := c.conn.Query(ctx, c.db.scan, key, n)
	if err != nil {
		return 0, wrap(err)
	}
	count := 0
	for rows.Next() {
		if err := rows.Scan(c.dest...); err != nil {
			rows.Close()
			return count, wrap(err)
		}
		count++
	}
	rows.Close()
	return count, wrap(rows.Err())
}

func (c *client) Close() error { return c.conn.Close(context.Background()) }

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

// wrap marks pgx's errors with their ycsb kind: no rows is not found; a
// timeout or a statement cancelled by statement_timeout is a timeout; a
// failed connection, or a server shutting down or not accepting
// connections, is unavailable.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %w", ycsb.ErrNotFound, err)
	case pgconn.Timeout(err):
		return fmt.Errorf("%w: %w", ycsb.ErrTimeout, err)
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "57014": // query_canceled
			return fmt.Errorf("%w: %w", ycsb.ErrTimeout, err)
		case strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08"): // shutdown, connection exceptions
			return fmt.Errorf("%w: %w", ycsb.ErrUnavailable, err)
		}
	case errors.As(err, &connErr):
		return fmt.Errorf("%w: %w", ycsb.ErrUnavailable, err)
	}
	return err
}
