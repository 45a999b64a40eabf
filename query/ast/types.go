package ast

import "strings"

// User-defined type statements: CREATE, ALTER and DROP TYPE.

// CreateTypeStmt is CREATE TYPE [IF NOT EXISTS] [ks.]name (field type, ...).
// The name is a TableName: a keyspace qualifier and a name.
type CreateTypeStmt struct {
	stmtBase
	IfNotExists bool
	Name        TableName
	Fields      []ColumnDef // Static is never set
}

// String implements Statement.
func (s *CreateTypeStmt) String() string { return termString(s) }

func (s *CreateTypeStmt) writeTo(b *strings.Builder) {
	b.WriteString("CREATE TYPE ")
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	writeUserTypeName(b, s.Name)
	b.WriteString(" (")
	for i := range s.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		s.Fields[i].writeTo(b)
	}
	b.WriteByte(')')
}

// AlterTypeAction is what an ALTER TYPE does.
type AlterTypeAction uint8

const (
	AlterTypeAdd    AlterTypeAction = iota + 1 // ADD [IF NOT EXISTS] field type
	AlterTypeRename                            // RENAME [IF EXISTS] f TO g [AND ...]
	AlterTypeAlter                             // ALTER field TYPE t (refused, as Cassandra 4)
)

// AlterTypeStmt is ALTER TYPE [IF EXISTS] [ks.]name ADD | RENAME | ALTER.
type AlterTypeStmt struct {
	stmtBase
	IfExists bool
	Name     TableName
	Action   AlterTypeAction
	// IfFieldNotExists is ADD IF NOT EXISTS; IfFieldExists RENAME IF EXISTS.
	IfFieldNotExists bool
	IfFieldExists    bool
	Add              ColumnDef      // AlterTypeAdd, AlterTypeAlter
	Renames          []ColumnRename // AlterTypeRename
}

// String implements Statement.
func (s *AlterTypeStmt) String() string { return termString(s) }

func (s *AlterTypeStmt) writeTo(b *strings.Builder) {
	b.WriteString("ALTER TYPE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeUserTypeName(b, s.Name)
	switch s.Action {
	case AlterTypeAdd:
		b.WriteString(" ADD ")
		if s.IfFieldNotExists {
			b.WriteString("IF NOT EXISTS ")
		}
		s.Add.writeTo(b)
	case AlterTypeAlter:
		b.WriteString(" ALTER ")
		writeIdent(b, s.Add.Name)
		b.WriteString(" TYPE ")
		s.Add.Type.writeTo(b)
	case AlterTypeRename:
		b.WriteString(" RENAME ")
		if s.IfFieldExists {
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
	}
}

// DropTypeStmt is DROP TYPE [IF EXISTS] [ks.]name.
type DropTypeStmt struct {
	stmtBase
	IfExists bool
	Name     TableName
}

// String implements Statement.
func (s *DropTypeStmt) String() string { return termString(s) }

func (s *DropTypeStmt) writeTo(b *strings.Builder) {
	b.WriteString("DROP TYPE ")
	if s.IfExists {
		b.WriteString("IF EXISTS ")
	}
	writeUserTypeName(b, s.Name)
}

// reservedTypeNames may name a user type only quoted (Parser.g
// reservedTypeNames; the parser's list).
var reservedTypeNames = map[string]bool{
	"byte": true, "complex": true, "enum": true, "date": true, "interval": true,
	"macaddr": true, "bitstring": true,
}

// typeWords name native and parameterised types: a user type of one of
// these names is printed quoted, so that the type string reads back as it.
const typeWords = " ascii bigint blob boolean counter decimal double duration float inet int smallint text" +
	" time timestamp timeuuid tinyint uuid varchar varint list set map tuple frozen "

// writeUserTypeName prints [ks.]name, quoting a reserved type name.
func writeUserTypeName(b *strings.Builder, n TableName) {
	if n.Keyspace != "" {
		writeIdent(b, n.Keyspace)
		b.WriteByte('.')
	}
	if reservedTypeNames[n.Name] || strings.Contains(typeWords, " "+n.Name+" ") {
		b.WriteByte('"')
		b.WriteString(n.Name)
		b.WriteByte('"')
		return
	}
	writeIdent(b, n.Name)
}

// UDTLit is a user type literal {field: term, ...}.
type UDTLit struct {
	Fields []UDTField
}

// UDTField is one field of a UDTLit.
type UDTField struct {
	Name  string
	Value Term
}

// String implements Term.
func (l *UDTLit) String() string { return termString(l) }

func (l *UDTLit) writeTo(b *strings.Builder) {
	b.WriteByte('{')
	for i, f := range l.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		writeIdent(b, f.Name)
		b.WriteString(": ")
		f.Value.writeTo(b)
	}
	b.WriteByte('}')
}

// FieldExpr is a selector of a field of a user type value: term.field.
type FieldExpr struct {
	Term  Term
	Field string
}

// String implements Term.
func (f *FieldExpr) String() string { return termString(f) }

func (f *FieldExpr) writeTo(b *strings.Builder) {
	f.Term.writeTo(b)
	b.WriteByte('.')
	writeIdent(b, f.Field)
}
