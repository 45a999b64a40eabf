package query

// This file is the executor's surface: what the native-protocol layer
// (cql/) and the node (server/) see; its errors are in errors.go. The
// executor parses with package parser, resolves names against package
// catalog and analyzes SELECT and terms with package plan (DML and DDL it
// analyzes itself); the other files run what comes out.

import (
	"context"
	"wcdb/query/term"

	"wcdb/mutation"
	"wcdb/query/access"
	"wcdb/query/catalog"
	"wcdb/query/internal/clock"
	"wcdb/query/plan"
	"wcdb/query/systables"
	"wcdb/replication"
)

// Backend is what the executor needs from the node besides the
// coordinator: storage for tables as DDL creates, alters (compaction,
// gc_grace, bloom filter chance, compression, default TTL) and drops them,
// as the catalog needs it too, and truncation. Implemented by server/ over
// storage/. Methods are safe for concurrent use.
type Backend interface {
	catalog.Storage
	// Truncate removes all data of the table.
	Truncate(ctx context.Context, id mutation.TableID) error
}

// Node describes a node for system.local and system.peers.
type Node = systables.Node

// Topology tells the executor about the cluster, for system.local and
// system.peers. Implemented by server/.
type Topology = systables.Topology

// Config is what an Executor is built from.
type Config struct {
	Coordinator replication.Coordinator
	Backend     Backend
	Topology    Topology
	// Now, if set, replaces the clock (microseconds and now() timeuuids
	// are taken from it); for tests.
	Now func() int64
	// SchemaChanged, if set, is called (on a goroutine of its own) after
	// each schema change made by a statement on this node, for the node to
	// send its schema to the others (SchemaMutations).
	SchemaChanged func()
	// Guardrails limit what a request may write (guardrails.go); the zero
	// value, none.
	Guardrails Guardrails
	// Access configures roles and permissions; nil: roles may be managed
	// but permissions are not checked (AllowAllAuthorizer).
	Access *AccessConfig
}

// Session is one client connection's state. Not safe for concurrent use
// by itself; the protocol layer serialises USE with the statements of the
// connection that follow it.
type Session struct {
	// Keyspace is the current keyspace (USE), "" for none.
	Keyspace string
	// User is the role the client logged in as; "" means no login (no
	// authentication configured, or the node's own statements), which
	// permissions do not restrict.
	User string
}

// Unset is the bound value that leaves a column as it is (protocol v4's
// "not set", length -2). A nil bound value is null; an empty non-nil one
// is an empty value.
var Unset = term.Unset

// IsUnset reports whether v is Unset (that slice, not merely an empty one).
func IsUnset(v []byte) bool { return term.IsUnset(v) }

// Options are a request's execution parameters.
type Options struct {
	Consistency       replication.Consistency
	SerialConsistency replication.Consistency
	// Values are the bound values in marker order (nil: null; Unset).
	Values [][]byte
	// Names, if set, name Values (protocol v4 named values): Values[i]
	// binds the marker named Names[i].
	Names []string
	// PageSize is the most rows per page of a SELECT; <= 0 means no paging.
	PageSize int
	// PagingState resumes a SELECT where a previous page stopped (as
	// returned in Result.PagingState).
	PagingState []byte
	// Timestamp is the client-provided default write timestamp in
	// microseconds; mutation.NoTimestamp for none (the server's clock).
	Timestamp int64
}

// ColumnSpec describes a bind variable or a result column.
type ColumnSpec = plan.ColumnSpec

// ResultKind is the kind of a RESULT message.
type ResultKind uint8

// Result kinds, numbered as in the protocol.
const (
	ResultVoid         ResultKind = 1
	ResultRows         ResultKind = 2
	ResultSetKeyspace  ResultKind = 3
	ResultSchemaChange ResultKind = 5
)

// SchemaChange describes what a DDL statement changed, for the
// Schema_change result and the SCHEMA_CHANGE event.
type SchemaChange = catalog.Change

// Result is the outcome of a statement.
type Result struct {
	Kind ResultKind
	// Rows results: the columns, the rows (each value serialized; nil for
	// null), and where the next page starts (nil on the last page).
	Columns     []ColumnSpec
	Rows        [][][]byte
	PagingState []byte
	// SetKeyspace results.
	Keyspace string
	// SchemaChange results.
	Change *SchemaChange
	// Warnings reach the client with the result (the protocol's warning
	// flag): guardrails crossed, such as a large batch or many tombstones
	// read.
	Warnings []string
}

// Prepared is an analyzed statement, ready to execute with bound values.
// It is immutable and may be executed concurrently by many sessions.
type Prepared struct {
	// ID identifies the statement in PREPARE/EXECUTE (Cassandra: the MD5
	// of the keyspace and the query string).
	ID [16]byte
	// Query is the statement text as received.
	Query string
	// Bind describes the bind markers in order.
	Bind []ColumnSpec
	// PKIndexes are, for statements on one table, the indexes in Bind of
	// the partition key columns in key order (so token-aware drivers can
	// route), or nil when some partition key column is not bound by a
	// marker of its own.
	PKIndexes []uint16
	// Columns is the result metadata of a SELECT (nil otherwise).
	Columns []ColumnSpec
	// Keyspace is the keyspace the statement was prepared in (its
	// USE-independent target, used by Result metadata and routing).
	Keyspace string

	plan executable
}

// executable is an analyzed statement's executable form.
type executable interface {
	execute(ctx context.Context, x *Executor, s *Session, opts *Options) (*Result, error)
}

// Executor analyzes and executes statements. It is safe for concurrent use.
type Executor struct {
	cfg     Config
	catalog *catalog.Catalog
	clk     clock.Sequence
	acc     *access.Control
}

// Catalog returns the executor's schema.
func (x *Executor) Catalog() *catalog.Catalog { return x.catalog }
