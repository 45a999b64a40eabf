package ast

import (
	"strings"
)

// Schema statements: keyspaces, tables, TRUNCATE and DESCRIBE.

// Property is one name = value of a WITH clause. Value is a *Constant (an
// unquoted keyword value such as ALL becomes a string constant) or a
// *MapLit whose keys and values are all *Constant.
type Property struct {
	Name  string
	Value Term
}

func writeProperties(b *strings.Builder, ps []Property, first bool) {
	for _, p := range ps {
		if first {
			first = false
		} else {
			b.WriteString(" AND ")
		}
		writeIdent(b, p.Name)
		b.WriteString(" = ")
		p.Value.writeTo(b)
	}
}

// CreateKeyspaceStmt is CREATE KEYSPACE.
type CreateKeyspaceStmt struct {
	stmtBase
	IfNotExists bool
	Name        string
	Properties  []Property // replication, durable_writes, ...
}

// String implements Statement.
func (s *CreateKeyspaceStmt) String() string { return termString(s) }

func (s *CreateKeyspaceStmt) writeTo(b *strings.Builder) {
	b.WriteString("CREATE KEYSPACE ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	writeIdent(b, s.Name)
	b.WriteString(" WITH ")
	writeProperties(b, s.Properties, true)
}

// AlterKeyspaceStmt is ALTER KEYSPACE.
type AlterKeyspaceStmt struct {
	stmtBase
	IfExists   bool
	Name       string
	Properties []Property
}

// String implements Statement.
func (s *AlterKeyspaceStmt) String() string { return termString(s) }

func (s *AlterKeyspaceStmt) writeTo(b *strings.Builder) {
	b.WriteString("ALTER KEYSPACE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeIdent(b, s.Name)
	b.WriteString(" WITH ")
	writeProperties(b, s.Properties, true)
}

// DropKeyspaceStmt is DROP KEYSPACE.
type DropKeyspaceStmt struct {
	stmtBase
	IfExists bool
	Name     string
}

// String implements Statement.
func (s *DropKeyspaceStmt) String() string { return termString(s) }

func (s *DropKeyspaceStmt) writeTo(b *strings.Builder) {
	b.WriteString("DROP KEYSPACE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeIdent(b, s.Name)
}

// ColumnDef is one column of CREATE TABLE or ALTER TABLE ADD.
type ColumnDef struct {
	Name   string
	Type   TypeExpr
	Static bool
}

func (c *ColumnDef) writeTo(b *strings.Builder) {
	writeIdent(b, c.Name)
	b.WriteByte(' ')
	c.Type.writeTo(b)
	if c.Static {
		b.WriteString(" STATIC")
	}
}

// CreateTableStmt is CREATE TABLE. The primary key is always in
// PartitionKey and Clustering, whether it was written after a column or as
// a PRIMARY KEY (...) clause.
type CreateTableStmt struct {
	stmtBase
	IfNotExists     bool
	Table           TableName
	Columns         []ColumnDef
	PartitionKey    []string
	Clustering      []string
	ClusteringOrder []Ordering // CLUSTERING ORDER BY, as written
	Properties      []Property
}

// String implements Statement.
func (s *CreateTableStmt) String() string { return termString(s) }

func (s *CreateTableStmt) writeTo(b *strings.Builder) {
	b.WriteString("CREATE TABLE ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	s.Table.writeTo(b)
	b.WriteString(" (")
	for i := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		s.Columns[i].writeTo(b)
	}
	if len(s.Columns) > 0 {
		b.WriteString(", ")
	}
	b.WriteString("PRIMARY KEY (")
	if len(s.PartitionKey) == 1 {
		writeIdent(b, s.PartitionKey[0])
	} else {
		writeIdents(b, s.PartitionKey)
	}
	for _, c := range s.Clustering {
		b.WriteString(", ")
		writeIdent(b, c)
	}
	b.WriteString("))")
	if len(s.ClusteringOrder) > 0 || len(s.Properties) > 0 {
		b.WriteString(" WITH ")
		first := true
		if len(s.ClusteringOrder) > 0 {
			b.WriteString("CLUSTERING ORDER BY (")
			writeOrderings(b, s.ClusteringOrder)
			b.WriteByte(')')
			first = false
		}
		writeProperties(b, s.Properties, first)
	}
}

// AlterTableAction is what an ALTER TABLE does.
type AlterTableAction uint8

const (
	AlterAdd    AlterTableAction = iota // ADD columns
	AlterDrop                           // DROP columns
	AlterRename                         // RENAME columns (primary key columns only, in Cassandra)
	AlterWith                           // WITH properties
)

// ColumnRename is one "from TO to" of ALTER TABLE RENAME.
type ColumnRename struct{ From, To string }

// AlterTableStmt is ALTER TABLE.
type AlterTableStmt struct {
	stmtBase
	IfExists bool
	Table    TableName
	Action   AlterTableAction
	// IfColumnNotExists is ADD IF NOT EXISTS; IfColumnExists is DROP or
	// RENAME IF EXISTS (Cassandra 4.1).
	IfColumnNotExists bool
	IfColumnExists    bool
	Add               []ColumnDef    // AlterAdd
	Drop              []string       // AlterDrop
	DropTimestamp     Term           // AlterDrop: USING TIMESTAMP, or nil
	Renames           []ColumnRename // AlterRename
	Properties        []Property     // AlterWith
}

// String implements Statement.
func (s *AlterTableStmt) String() string { return termString(s) }

func (s *AlterTableStmt) writeTo(b *strings.Builder) {
	b.WriteString("ALTER TABLE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	s.Table.writeTo(b)
	switch s.Action {
	case AlterAdd:
		b.WriteString(" ADD ")
		if s.IfColumnNotExists {
			b.WriteString("IF NOT EXISTS ")
		}
		if len(s.Add) == 1 {
			s.Add[0].writeTo(b)
			return
		}
		b.WriteByte('(')
		for i := range s.Add {
			if i > 0 {
				b.WriteString(", ")
			}
			s.Add[i].writeTo(b)
		}
		b.WriteByte(')')
	case AlterDrop:
		b.WriteString(" DROP ")
		if s.IfColumnExists {
			b.WriteString("IF EXISTS ")
		}
		if len(s.Drop) == 1 {
			writeIdent(b, s.Drop[0])
		} else {
			writeIdents(b, s.Drop)
		}
		if s.DropTimestamp != nil {
			b.WriteString(" USING TIMESTAMP ")
			s.DropTimestamp.writeTo(b)
		}
	case AlterRename:
		b.WriteString(" RENAME ")
		if s.IfColumnExists {
			b.WriteString("IF EXISTS ")
		}
		for i, r := range s.Renames {
			if i > 0 {
				b.WriteString(" AND ")
			}
			writeIdent(b, r.From)
			b.WriteString(" TO ")
			writeIdent(b, r.To)
		}
	case AlterWith:
		b.WriteString(" WITH ")
		writeProperties(b, s.Properties, true)
	}
}

// DropTableStmt is DROP TABLE.
type DropTableStmt struct {
	stmtBase
	IfExists bool
	Table    TableName
}

// String implements Statement.
func (s *DropTableStmt) String() string { return termString(s) }

func (s *DropTableStmt) writeTo(b *strings.Builder) {
	b.WriteString("DROP TABLE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	s.Table.writeTo(b)
}

// TruncateStmt is TRUNCATE [TABLE].
type TruncateStmt struct {
	stmtBase
	Table TableName
}

// String implements Statement.
func (s *TruncateStmt) String() string { return termString(s) }

func (s *TruncateStmt) writeTo(b *strings.Builder) {
	b.WriteString("TRUNCATE ")
	s.Table.writeTo(b)
}

// DescribeKind is what a DESCRIBE statement asks for.
type DescribeKind uint8

const (
	DescribeCluster    DescribeKind = iota // DESCRIBE CLUSTER
	DescribeSchema                         // DESCRIBE [FULL] SCHEMA
	DescribeKeyspaces                      // DESCRIBE KEYSPACES
	DescribeKeyspace                       // DESCRIBE [ONLY] KEYSPACE [ks]
	DescribeTables                         // DESCRIBE TABLES
	DescribeTable                          // DESCRIBE TABLE [ks.]t
	DescribeIndex                          // DESCRIBE INDEX [ks.]i
	DescribeView                           // DESCRIBE MATERIALIZED VIEW [ks.]v
	DescribeTypes                          // DESCRIBE TYPES
	DescribeType                           // DESCRIBE TYPE [ks.]t
	DescribeFunctions                      // DESCRIBE FUNCTIONS
	DescribeFunction                       // DESCRIBE FUNCTION [ks.]f
	DescribeAggregates                     // DESCRIBE AGGREGATES
	DescribeAggregate                      // DESCRIBE AGGREGATE [ks.]a
	DescribeName                           // DESCRIBE [ks.]name: whatever has that name
)

// DescribeStmt is DESCRIBE (or DESC), which cqlsh 4.0 and later sends to
// the server rather than answering from driver metadata.
type DescribeStmt struct {
	stmtBase
	Kind          DescribeKind
	Full          bool   // DESCRIBE FULL SCHEMA
	Only          bool   // DESCRIBE ONLY KEYSPACE
	Keyspace      string // the qualifier, or the keyspace of DESCRIBE KEYSPACE
	Name          string // the object's name
	WithInternals bool   // ... WITH INTERNALS
}

// String implements Statement.
func (s *DescribeStmt) String() string { return termString(s) }

func (s *DescribeStmt) writeTo(b *strings.Builder) {
	b.WriteString("DESCRIBE ")
	qualified := func() {
		if s.Keyspace != "" {
			writeIdent(b, s.Keyspace)
			b.WriteByte('.')
		}
		writeIdent(b, s.Name)
	}
	switch s.Kind {
	case DescribeCluster:
		b.WriteString("CLUSTER")
	case DescribeSchema:
		if s.Full {
			b.WriteString("FULL ")
		}
		b.WriteString("SCHEMA")
	case DescribeKeyspaces:
		b.WriteString("KEYSPACES")
	case DescribeKeyspace:
		if s.Only {
			b.WriteString("ONLY ")
		}
		b.WriteString("KEYSPACE")
		if s.Keyspace != "" {
			b.WriteByte(' ')
			writeIdent(b, s.Keyspace)
		}
	case DescribeTables:
		b.WriteString("TABLES")
	case DescribeTable:
		b.WriteString("TABLE ")
		qualified()
	case DescribeIndex:
		b.WriteString("INDEX ")
		qualified()
	case DescribeView:
		b.WriteString("MATERIALIZED VIEW ")
		qualified()
	case DescribeTypes:
		b.WriteString("TYPES")
	case DescribeType:
		b.WriteString("TYPE ")
		qualified()
	case DescribeFunctions:
		b.WriteString("FUNCTIONS")
	case DescribeFunction:
		b.WriteString("FUNCTION ")
		qualified()
	case DescribeAggregates:
		b.WriteString("AGGREGATES")
	case DescribeAggregate:
		b.WriteString("AGGREGATE ")
		qualified()
	case DescribeName:
		qualified()
	}
	if s.WithInternals {
		b.WriteString(" WITH INTERNALS")
	}
}
