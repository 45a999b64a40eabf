package ast

import (
	"strings"
)

// Types and value expressions.

// TypeKind classifies a TypeExpr.
type TypeKind uint8

const (
	// TypeNative is one of ascii, bigint, blob, boolean, counter, date,
	// decimal, double, duration, float, inet, int, smallint, text, time,
	// timestamp, timeuuid, tinyint, uuid, varchar, varint (Name).
	TypeNative TypeKind = iota
	// TypeList is list<Args[0]>.
	TypeList
	// TypeSet is set<Args[0]>.
	TypeSet
	// TypeMap is map<Args[0], Args[1]>.
	TypeMap
	// TypeTuple is tuple<Args...>.
	TypeTuple
	// TypeUser is a user-defined type, named by Keyspace and Name.
	TypeUser
	// TypeCustom is a Java class name given as a string (Name).
	TypeCustom
)

// TypeExpr is a CQL type as written.
type TypeExpr struct {
	Kind     TypeKind
	Keyspace string // user types only: the keyspace qualifier, if written
	Name     string // native type name, user type name or custom class
	Args     []TypeExpr
	Frozen   bool // written as frozen<...>
}

// String prints the type as CQL, e.g. map<text, frozen<list<int>>>.
func (t TypeExpr) String() string {
	var b strings.Builder
	t.writeTo(&b)
	return b.String()
}

func (t TypeExpr) writeTo(b *strings.Builder) {
	if t.Frozen {
		b.WriteString("frozen<")
	}
	switch t.Kind {
	case TypeNative:
		b.WriteString(t.Name)
	case TypeList, TypeSet, TypeMap, TypeTuple:
		b.WriteString([...]string{TypeList: "list", TypeSet: "set", TypeMap: "map", TypeTuple: "tuple"}[t.Kind])
		b.WriteByte('<')
		for i, a := range t.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.writeTo(b)
		}
		b.WriteByte('>')
	case TypeUser:
		writeUserTypeName(b, TableName{Keyspace: t.Keyspace, Name: t.Name})
	case TypeCustom:
		writeString(b, t.Name)
	}
	if t.Frozen {
		b.WriteByte('>')
	}
}

// Term is a value expression: a constant, a collection or tuple literal, a
// bind marker, a function call, a cast or an arithmetic operation. In a
// SELECT clause (and GROUP BY) terms may also refer to columns: *ColumnRef,
// *CountRows, *WritetimeExpr, *ElementExpr, *SliceExpr appear only there.
type Term interface {
	String() string
	writeTo(b *strings.Builder)
}

func termString(t interface{ writeTo(*strings.Builder) }) string {
	var b strings.Builder
	t.writeTo(&b)
	return b.String()
}

// ConstKind is the lexical class of a constant.
type ConstKind uint8

const (
	// StringConst is '...' or $$...$$; Text is the contents, unescaped.
	StringConst ConstKind = iota + 1
	// IntegerConst is -?[0-9]+, as written.
	IntegerConst
	// FloatConst is a decimal with a point or an exponent, as written, or
	// NaN, Infinity, -Infinity (spelled so).
	FloatConst
	// BooleanConst is true or false (in lower case).
	BooleanConst
	// UUIDConst is an unquoted 8-4-4-4-12 UUID, as written.
	UUIDConst
	// HexConst is a blob literal 0x..., as written.
	HexConst
	// DurationConst is a duration literal such as 1h30m or P1DT2H, as written.
	DurationConst
)

// Constant is a literal value. Numbers keep their source text: the analyzer
// converts them once it knows the receiver's type.
type Constant struct {
	Kind ConstKind
	Text string
}

// String implements Term.
func (c *Constant) String() string { return termString(c) }

func (c *Constant) writeTo(b *strings.Builder) {
	if c.Kind == StringConst {
		writeString(b, c.Text)
		return
	}
	b.WriteString(c.Text)
}

// NullLit is the literal null.
type NullLit struct{}

// String implements Term.
func (*NullLit) String() string                  { return "NULL" }
func (*NullLit) writeTo(b *strings.Builder)      { b.WriteString("NULL") }
func (m *BindMarker) writeTo(b *strings.Builder) { writeMarker(b, m) }

// String implements Term.
func (m *BindMarker) String() string { return termString(m) }

func writeMarker(b *strings.Builder, m *BindMarker) {
	if m.Name == "" {
		b.WriteByte('?')
		return
	}
	b.WriteByte(':')
	writeIdent(b, m.Name)
}

// ListLit is [a, b, ...].
type ListLit struct{ Elems []Term }

// SetLit is {a, b, ...} with at least one element.
type SetLit struct{ Elems []Term }

// MapLit is {k: v, ...}. Properties may hold an empty one.
type MapLit struct{ Entries []MapEntry }

// MapEntry is one k: v of a map literal.
type MapEntry struct{ Key, Value Term }

// EmptyCollection is {}: an empty set or an empty map, whichever the
// receiver is (Cassandra reads it as a set and converts).
type EmptyCollection struct{}

// TupleLit is (a, b, ...). A single parenthesised term is a one-element
// tuple, as in Cassandra.
type TupleLit struct{ Elems []Term }

// String implements Term.
func (l *ListLit) String() string { return termString(l) }

// String implements Term.
func (s *SetLit) String() string { return termString(s) }

// String implements Term.
func (m *MapLit) String() string { return termString(m) }

// String implements Term.
func (*EmptyCollection) String() string { return "{}" }

// String implements Term.
func (t *TupleLit) String() string { return termString(t) }

func (l *ListLit) writeTo(b *strings.Builder)       { writeTerms(b, '[', l.Elems, ']') }
func (s *SetLit) writeTo(b *strings.Builder)        { writeTerms(b, '{', s.Elems, '}') }
func (*EmptyCollection) writeTo(b *strings.Builder) { b.WriteString("{}") }
func (t *TupleLit) writeTo(b *strings.Builder)      { writeTerms(b, '(', t.Elems, ')') }
func (m *MapLit) writeTo(b *strings.Builder) {
	b.WriteByte('{')
	for i, e := range m.Entries {
		if i > 0 {
			b.WriteString(", ")
		}
		e.Key.writeTo(b)
		b.WriteString(": ")
		e.Value.writeTo(b)
	}
	b.WriteByte('}')
}

func writeTerms(b *strings.Builder, open byte, ts []Term, close byte) {
	b.WriteByte(open)
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		t.writeTo(b)
	}
	b.WriteByte(close)
}

// FunctionCall is [ks.]name(args). Unquoted names are folded to lower case
// (toTimestamp is totimestamp), as Cassandra's function names are. In a
// SELECT clause the arguments may refer to columns.
type FunctionCall struct {
	Keyspace string
	Name     string
	Args     []Term
}

// String implements Term.
func (f *FunctionCall) String() string { return termString(f) }

func (f *FunctionCall) writeTo(b *strings.Builder) {
	if f.Keyspace != "" {
		writeIdent(b, f.Keyspace)
		b.WriteByte('.')
	}
	if f.Name == "token" { // reserved, but a valid function name
		b.WriteString("token")
	} else {
		writeIdent(b, f.Name)
	}
	writeTerms(b, '(', f.Args, ')')
}

// CastExpr is CAST(term AS type); Type is always a native type.
type CastExpr struct {
	Term Term
	Type TypeExpr
}

// String implements Term.
func (c *CastExpr) String() string { return termString(c) }

func (c *CastExpr) writeTo(b *strings.Builder) {
	b.WriteString("CAST(")
	c.Term.writeTo(b)
	b.WriteString(" AS ")
	c.Type.writeTo(b)
	b.WriteByte(')')
}

// TypeHint is (type) term: it tells the analyzer the type of a literal or
// bind marker whose receiver does not fix one (a function argument, say).
type TypeHint struct {
	Type TypeExpr
	Term Term
}

// String implements Term.
func (h *TypeHint) String() string { return termString(h) }

func (h *TypeHint) writeTo(b *strings.Builder) {
	b.WriteByte('(')
	h.Type.writeTo(b)
	b.WriteString(") ")
	h.Term.writeTo(b)
}

// Negate is unary minus on a term that is not a numeric literal (those are
// folded into a negative Constant).
type Negate struct{ Term Term }

// String implements Term.
func (n *Negate) String() string { return termString(n) }

func (n *Negate) writeTo(b *strings.Builder) {
	b.WriteString("- ") // the space keeps "- -x" from lexing as a comment
	n.Term.writeTo(b)
}

// BinaryExpr is Left Op Right with Op one of + - * / %. The tree follows
// Cassandra's precedence (* / % before + -, left to right); CQL has no
// grouping parentheses in terms, so the printed form needs none either.
type BinaryExpr struct {
	Op          byte
	Left, Right Term
}

// String implements Term.
func (e *BinaryExpr) String() string { return termString(e) }

func (e *BinaryExpr) writeTo(b *strings.Builder) {
	e.Left.writeTo(b)
	b.WriteByte(' ')
	b.WriteByte(e.Op)
	b.WriteByte(' ')
	e.Right.writeTo(b)
}

// ColumnRef names a column, in a selector or GROUP BY.
type ColumnRef struct{ Name string }

// String implements Term.
func (c *ColumnRef) String() string             { return termString(c) }
func (c *ColumnRef) writeTo(b *strings.Builder) { writeIdent(b, c.Name) }

// CountRows is COUNT(*) in a selector. COUNT(1) stays a FunctionCall, as in
// Cassandra (the result column is named count(1) there, not count).
type CountRows struct{}

// String implements Term.
func (*CountRows) String() string             { return "COUNT(*)" }
func (*CountRows) writeTo(b *strings.Builder) { b.WriteString("COUNT(*)") }

// WritetimeExpr is WRITETIME(col) or TTL(col) in a selector.
type WritetimeExpr struct {
	Column string
	TTL    bool // TTL(col) rather than WRITETIME(col)
}

// String implements Term.
func (w *WritetimeExpr) String() string { return termString(w) }

func (w *WritetimeExpr) writeTo(b *strings.Builder) {
	if w.TTL {
		b.WriteString("TTL(")
	} else {
		b.WriteString("WRITETIME(")
	}
	writeIdent(b, w.Column)
	b.WriteByte(')')
}

// ElementExpr is term[key] in a selector: a map value or list or set element.
type ElementExpr struct {
	Term Term
	Key  Term
}

// String implements Term.
func (e *ElementExpr) String() string { return termString(e) }

func (e *ElementExpr) writeTo(b *strings.Builder) {
	e.Term.writeTo(b)
	b.WriteByte('[')
	e.Key.writeTo(b)
	b.WriteByte(']')
}

// SliceExpr is term[from..to] in a selector; a nil bound is open.
type SliceExpr struct {
	Term     Term
	From, To Term
}

// String implements Term.
func (s *SliceExpr) String() string { return termString(s) }

func (s *SliceExpr) writeTo(b *strings.Builder) {
	s.Term.writeTo(b)
	b.WriteByte('[')
	if s.From != nil {
		s.From.writeTo(b)
	}
	b.WriteString("..")
	if s.To != nil {
		s.To.writeTo(b)
	}
	b.WriteByte(']')
}
