// Package plan is the query planner. It analyzes, against a table's
// schema and with Cassandra's rules and messages, what a statement
// computes: terms (literals, bind markers, collection and tuple literals,
// native function calls), WHERE clauses into restrictions (partition keys,
// a token range, clustering ranges, filters), and SELECT statements into a
// Select with its selectors and aggregates. It evaluates them with a
// statement's bound values (Binder) and on the rows read (RowView).
//
// It does no I/O: the executor (package query) reads and writes through
// the coordinator, and runs the plans.
package plan
