package ast

import "strings"

// Secondary index statements: CREATE [CUSTOM] INDEX and DROP INDEX.

// IndexTarget is what an index covers: a column, or with Kind "keys",
// "values", "entries" or "full" a collection's keys, values or entries, or
// a frozen collection whole (Cassandra's IndexTarget.Type). Kind is empty
// when the column is written bare.
type IndexTarget struct {
	Column string
	Kind   string
}

func (t *IndexTarget) writeTo(b *strings.Builder) {
	if t.Kind != "" {
		b.WriteString(t.Kind)
		b.WriteByte('(')
	}
	writeIdent(b, t.Column)
	if t.Kind != "" {
		b.WriteByte(')')
	}
}

// CreateIndexStmt is CREATE [CUSTOM] INDEX [IF NOT EXISTS] [name] ON
// table (targets) [USING 'class'] [WITH OPTIONS = {...}].
type CreateIndexStmt struct {
	stmtBase
	Custom      bool
	IfNotExists bool
	Name        string // empty: derived from the table and column
	Table       TableName
	Targets     []IndexTarget
	Using       string // the class, as written; empty without USING
	Properties  []Property
}

// String implements Statement.
func (s *CreateIndexStmt) String() string { return termString(s) }

func (s *CreateIndexStmt) writeTo(b *strings.Builder) {
	b.WriteString("CREATE ")
	if s.Custom {
		b.WriteString("CUSTOM ")
	}
	b.WriteString("INDEX ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	if s.Name != "" {
		writeIdent(b, s.Name)
		b.WriteByte(' ')
	}
	b.WriteString("ON ")
	s.Table.writeTo(b)
	b.WriteString(" (")
	for i := range s.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		s.Targets[i].writeTo(b)
	}
	b.WriteByte(')')
	if s.Using != "" {
		b.WriteString(" USING '")
		b.WriteString(strings.ReplaceAll(s.Using, "'", "''"))
		b.WriteByte('\'')
	}
	if len(s.Properties) > 0 {
		b.WriteString(" WITH ")
		writeProperties(b, s.Properties, true)
	}
}

// DropIndexStmt is DROP INDEX [IF EXISTS] [ks.]name.
type DropIndexStmt struct {
	stmtBase
	IfExists bool
	Keyspace string // empty: the session's keyspace
	Name     string
}

// String implements Statement.
func (s *DropIndexStmt) String() string { return termString(s) }

func (s *DropIndexStmt) writeTo(b *strings.Builder) {
	b.WriteString("DROP INDEX ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	if s.Keyspace != "" {
		writeIdent(b, s.Keyspace)
		b.WriteByte('.')
	}
	writeIdent(b, s.Name)
}
