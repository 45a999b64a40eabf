// Package query analyzes and executes CQL: it resolves the statements that
// query/parser builds (package ast) against the schema, turns them into
// mutations and reads for the coordinator (package replication), pages and
// shapes the results, and serves the system keyspaces. The native protocol
// (package cql) sits above it.
package query
