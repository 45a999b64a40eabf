package ast

import (
	"fmt"
	"strings"
)

// This file holds the syntax tree the parser builds. It is purely syntactic:
// names are strings (unquoted ones already folded to lower case), types are
// TypeExpr, values are Terms. Nothing here knows about schemas; the analyzer
// resolves names and types.
//
// Every node prints itself as canonical CQL (String): keywords in upper case,
// names quoted only when they must be, single spaces. Parsing that text gives
// back a tree that prints the same.

// Statement is one parsed CQL statement: one of *SelectStmt, *InsertStmt,
// *UpdateStmt, *DeleteStmt, *BatchStmt, *UseStmt, *CreateKeyspaceStmt,
// *AlterKeyspaceStmt, *DropKeyspaceStmt, *CreateTableStmt, *AlterTableStmt,
// *DropTableStmt, *TruncateStmt or *DescribeStmt.
type Statement interface {
	// String prints the statement as canonical CQL, without a trailing ';'.
	String() string
	// BindMarkers returns the statement's bind markers (? and :name) in
	// order of appearance; marker i has Index i. A batch returns the
	// markers of all its statements, numbered across the batch, and each
	// statement inside it returns its own share of them.
	BindMarkers() []*BindMarker
	// SetBindMarkers gives the statement its bind markers (the parser
	// does, as it finds them).
	SetBindMarkers(ms []*BindMarker)
	writeTo(b *strings.Builder)
}

// stmtBase carries what every statement has: its bind markers.
type stmtBase struct {
	markers []*BindMarker
}

// BindMarkers implements Statement.
func (s *stmtBase) BindMarkers() []*BindMarker { return s.markers }

func (s *stmtBase) SetBindMarkers(ms []*BindMarker) { s.markers = ms }

// MarkerRole says what a bind marker stands for, so the analyzer can give it
// a type (for a PREPARE's metadata) without searching the tree.
type MarkerRole uint8

const (
	// MarkerValue is an ordinary term. Its type is that of the receiver the
	// enclosing node gives it: the column of a relation, assignment or
	// INSERT value, the element type of a collection literal, the argument
	// of a function, and so on.
	MarkerValue MarkerRole = iota
	// MarkerInList stands for the whole value list of an IN relation or
	// condition (col IN ?): a list<type of col>, or a list of tuples for
	// (a, b) IN ?.
	MarkerInList
	// MarkerLimit is the value of LIMIT (int).
	MarkerLimit
	// MarkerPerPartitionLimit is the value of PER PARTITION LIMIT (int).
	MarkerPerPartitionLimit
	// MarkerTimestamp is the value of USING TIMESTAMP (bigint).
	MarkerTimestamp
	// MarkerTTL is the value of USING TTL (int).
	MarkerTTL
	// MarkerJSON is the JSON document of INSERT ... JSON ? (text).
	MarkerJSON
)

var markerRoleNames = [...]string{
	MarkerValue:             "value",
	MarkerInList:            "in-list",
	MarkerLimit:             "limit",
	MarkerPerPartitionLimit: "per-partition-limit",
	MarkerTimestamp:         "timestamp",
	MarkerTTL:               "ttl",
	MarkerJSON:              "json",
}

// String returns a short lower-case name for the role.
func (r MarkerRole) String() string {
	if int(r) < len(markerRoleNames) {
		return markerRoleNames[r]
	}
	return "unknown"
}

// BindMarker is a ? or :name placeholder. It is also a Term, and sits in the
// tree where it was written.
type BindMarker struct {
	// Index is the marker's position among the statement's markers, from 0.
	// Markers with the same name still get an index each, as in Cassandra.
	Index int
	// Name is the name of a :name marker (folded to lower case unless
	// quoted), or "" for ?.
	Name string
	// Role says what the marker stands for.
	Role MarkerRole
	// Line (from 1) and Col (from 0, in characters) locate the marker.
	Line, Col int
}

// TableName is a table name, optionally qualified by its keyspace.
type TableName struct {
	Keyspace string // "" when not given: the session's keyspace applies
	Name     string
}

// String prints the name as CQL, quoting the parts that need it.
func (n TableName) String() string {
	var b strings.Builder
	n.writeTo(&b)
	return b.String()
}

func (n TableName) writeTo(b *strings.Builder) {
	if n.Keyspace != "" {
		writeIdent(b, n.Keyspace)
		b.WriteByte('.')
	}
	writeIdent(b, n.Name)
}

// writeIdent writes name as a CQL identifier: bare when it reads back as
// itself (lower case letters, digits and _, starting with a letter, and not
// a reserved word), else double-quoted with " doubled.
func writeIdent(b *strings.Builder, name string) {
	if identIsBare(name) {
		b.WriteString(name)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' {
			b.WriteByte('"')
		}
		b.WriteByte(name[i])
	}
	b.WriteByte('"')
}

// QuoteIdent returns name as a CQL identifier, quoted only if it must be
// (the rule of Cassandra's ColumnIdentifier.maybeQuote).
func QuoteIdent(name string) string {
	var b strings.Builder
	writeIdent(&b, name)
	return b.String()
}

func identIsBare(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return !IsReservedKeyword(name) && name != "true" && name != "false"
}

// reservedKeywords are Cassandra 4.x's reserved keywords
// (src/resources/org/apache/cassandra/cql3/reserved_keywords.txt), lower
// case: never an unquoted identifier. The lexer takes them from here.
var reservedKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`add allow alter and apply asc authorize batch begin by
	columnfamily create delete desc describe drop entries execute from full grant if in index
	infinity insert into is keyspace limit materialized modify nan norecursive not null of on or
	order primary rename revoke schema select set table to token truncate unlogged update use
	using view where with`) {
		m[w] = true
	}
	return m
}()

// IsReservedKeyword reports whether word (in any case) is a reserved
// keyword, which an identifier must be quoted to be.
func IsReservedKeyword(word string) bool { return reservedKeywords[strings.ToLower(word)] }

// writeString writes s as a single-quoted CQL string literal.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b.WriteByte('\'')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// QuoteString returns s as a single-quoted CQL string literal.
func QuoteString(s string) string {
	var b strings.Builder
	writeString(&b, s)
	return b.String()
}

// enumName returns names[i], or a placeholder for an out-of-range value.
func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("(%d)", i)
}

// String names the kind.
func (k ConstKind) String() string {
	return enumName([]string{StringConst: "string", IntegerConst: "integer", FloatConst: "float",
		BooleanConst: "boolean", UUIDConst: "uuid", HexConst: "hex", DurationConst: "duration"}, int(k))
}

// String names the kind.
func (k TypeKind) String() string {
	return enumName([]string{TypeNative: "native", TypeList: "list", TypeSet: "set", TypeMap: "map",
		TypeTuple: "tuple", TypeUser: "user", TypeCustom: "custom"}, int(k))
}

// String names the kind.
func (k RelationKind) String() string {
	return enumName([]string{RelColumn: "column", RelElement: "element", RelTuple: "tuple", RelToken: "token"}, int(k))
}

// String names the operation.
func (op AssignOp) String() string {
	return enumName([]string{AssignSet: "set", AssignSetElement: "set-element", AssignAdd: "add",
		AssignSubtract: "subtract", AssignPrepend: "prepend", AssignField: "field"}, int(op))
}

// String names the batch type.
func (t BatchType) String() string {
	return enumName([]string{LoggedBatch: "logged", UnloggedBatch: "unlogged", CounterBatch: "counter"}, int(t))
}

// String names the action.
func (a AlterTableAction) String() string {
	return enumName([]string{AlterAdd: "add", AlterDrop: "drop", AlterRename: "rename", AlterWith: "with"}, int(a))
}

// String names the kind.
func (k DescribeKind) String() string {
	return enumName([]string{DescribeCluster: "cluster", DescribeSchema: "schema", DescribeKeyspaces: "keyspaces",
		DescribeKeyspace: "keyspace", DescribeTables: "tables", DescribeTable: "table", DescribeIndex: "index",
		DescribeView: "view", DescribeTypes: "types", DescribeType: "type", DescribeFunctions: "functions",
		DescribeFunction: "function", DescribeAggregates: "aggregates", DescribeAggregate: "aggregate",
		DescribeName: "name"}, int(k))
}
