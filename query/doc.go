// Package query executes CQL: it resolves the statements that
// query/parser builds (package ast) against the schema, turns them into
// mutations and reads for the coordinator (package replication), pages the
// results, and runs schema changes. The native protocol (package cql)
// sits above it.
//
// The parts it is built of, each a package below it:
//
//   - parser and ast: CQL text into statements;
//   - catalog: the schema (keyspaces, tables and their options), its rows
//     in system_schema, the schema merge between nodes, DESCRIBE's CQL,
//     and partition keys;
//   - plan: the analysis of terms, WHERE clauses and SELECT statements
//     into plans, and the evaluation of selectors and filters on rows;
//   - funcs: what CQL computes on values with Java's semantics: CAST's
//     conversions, arithmetic and its type promotion;
//   - grouping: GROUP BY and aggregates over a SELECT's rows, groups
//     whole on every page;
//   - cursor: one partition's rows over clustering ranges, a chunk at a
//     time through the coordinator;
//   - merge: a statement's writes, and a batch's, into one partition's
//     update;
//   - cas: lightweight transactions (IF clauses, the CAS request the
//     coordinator runs, the [applied] result);
//   - systables: system.local and system.peers;
//   - qerr: the request errors every part returns.
package query
