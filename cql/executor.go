package cql

import (
	"context"

	"wcdb/internal/tracing"
	"wcdb/query"
	"wcdb/query/ast"
)

// Executor runs statements for the server; *query.Executor implements it.
//
// Its methods are called concurrently, from one goroutine per request. The
// Session is a copy of the connection's session taken when the request
// arrived: the executor may read or change it freely, and reports a USE
// through a Result of kind query.ResultSetKeyspace, which the server
// applies to the connection. Byte slices in Options and query.BatchEntry values
// belong to the request and are never reused by the server: the executor
// may keep them. ctx carries the request deadline (Config.RequestTimeout)
// and is cancelled when the server shuts down.
//
// Errors are sent to the client by their type: *replication.UnavailableError,
// *replication.WriteTimeoutError and *replication.ReadTimeoutError with
// their fields, *query.Error with the code of its Kind (AlreadyExists with
// its keyspace and table), and whatever query.ErrorKindOf classifies;
// anything else is a Server error carrying err.Error().
type Executor interface {
	// Prepare analyzes q in s's keyspace.
	Prepare(s *query.Session, q string) (*query.Prepared, error)
	// Execute runs a prepared statement with opts' bound values.
	Execute(ctx context.Context, s *query.Session, p *query.Prepared, opts *query.Options) (*query.Result, error)
	// Query parses and runs q (a QUERY message; opts may bind markers by
	// position or, with opts.Names, by name).
	Query(ctx context.Context, s *query.Session, q string, opts *query.Options) (*query.Result, error)
	// Batch runs the statements as one batch of the given type; opts has
	// no Values (each entry has its own).
	Batch(ctx context.Context, s *query.Session, typ ast.BatchType, entries []query.BatchEntry, opts *query.Options) (*query.Result, error)
}

// The query package's executor is the one the node serves.
var _ Executor = (*query.Executor)(nil)

// TraceRecorder keeps the traces of traced requests (*tracing.Writer,
// which writes them to system_traces). Record is called once per trace,
// from the request's goroutine, and must return at once.
type TraceRecorder interface {
	Record(t *tracing.Trace)
}
