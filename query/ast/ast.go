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
		if t.Keyspace != "" {
			writeIdent(b, t.Keyspace)
			b.WriteByte('.')
		}
		writeIdent(b, t.Name)
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

// Selector is one item of a SELECT clause.
type Selector struct {
	Expr  Term
	Alias string // "" when there is no AS
}

// Ordering is one column of ORDER BY or CLUSTERING ORDER BY.
type Ordering struct {
	Column string
	Desc   bool
}

// Operator is a relation's operator.
type Operator uint8

const (
	OpEq          Operator = iota + 1 // =
	OpLt                              // <
	OpLte                             // <=
	OpGt                              // >
	OpGte                             // >=
	OpNeq                             // != (the analyzer accepts it in IF conditions only)
	OpIn                              // IN
	OpContains                        // CONTAINS
	OpContainsKey                     // CONTAINS KEY
	OpLike                            // LIKE
	OpIsNotNull                       // IS NOT NULL (materialized views; the analyzer rejects it)
)

var operatorNames = [...]string{
	OpEq: "=", OpLt: "<", OpLte: "<=", OpGt: ">", OpGte: ">=", OpNeq: "!=",
	OpIn: "IN", OpContains: "CONTAINS", OpContainsKey: "CONTAINS KEY", OpLike: "LIKE",
	OpIsNotNull: "IS NOT NULL",
}

// String returns the operator as written in CQL.
func (op Operator) String() string {
	if int(op) < len(operatorNames) && operatorNames[op] != "" {
		return operatorNames[op]
	}
	return "?op"
}

// RelationKind tells the shapes of Relation apart.
type RelationKind uint8

const (
	// RelColumn is col op value (Column).
	RelColumn RelationKind = iota
	// RelElement is col[key] op value (Column, Key): a map entry in WHERE,
	// a collection element in IF.
	RelElement
	// RelTuple is (c1, c2, ...) op value (Columns): multi-column slices and
	// IN on clustering columns.
	RelTuple
	// RelToken is token(c1, c2, ...) op value (Columns).
	RelToken
)

// Relation is one restriction of a WHERE clause or one condition of an IF
// clause (IF conditions are RelColumn or RelElement).
//
// The right-hand side is Value, except for IN with a literal list, which
// is InValues (possibly empty, as in "IN ()"). For IN bound as a whole
// ("col IN ?") Value is the *BindMarker, whose Role is MarkerInList. For
// RelTuple, Value and the InValues elements are *TupleLit or *BindMarker.
// For IS NOT NULL Value is nil.
type Relation struct {
	Kind     RelationKind
	Column   string   // RelColumn, RelElement
	Columns  []string // RelTuple, RelToken
	Key      Term     // RelElement
	Op       Operator
	Value    Term
	InValues []Term
}

// String prints the relation as CQL.
func (r *Relation) String() string { return termString(r) }

func (r *Relation) writeTo(b *strings.Builder) {
	switch r.Kind {
	case RelColumn:
		writeIdent(b, r.Column)
	case RelElement:
		writeIdent(b, r.Column)
		b.WriteByte('[')
		r.Key.writeTo(b)
		b.WriteByte(']')
	case RelTuple:
		writeIdents(b, r.Columns)
	case RelToken:
		b.WriteString("token")
		writeIdents(b, r.Columns)
	}
	b.WriteByte(' ')
	b.WriteString(r.Op.String())
	switch {
	case r.Op == OpIsNotNull:
	case r.Op == OpIn && r.Value == nil:
		b.WriteByte(' ')
		writeTerms(b, '(', r.InValues, ')')
	default:
		b.WriteByte(' ')
		r.Value.writeTo(b)
	}
}

func writeIdents(b *strings.Builder, names []string) {
	b.WriteByte('(')
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		writeIdent(b, n)
	}
	b.WriteByte(')')
}

func writeRelations(b *strings.Builder, rs []Relation) {
	for i := range rs {
		if i > 0 {
			b.WriteString(" AND ")
		}
		rs[i].writeTo(b)
	}
}

// Using holds USING TTL and USING TIMESTAMP. Each is nil when absent, else
// an integer *Constant or a *BindMarker (or whatever term the analyzer must
// reject: Cassandra's grammar only allows those two).
type Using struct {
	TTL       Term
	Timestamp Term
}

func (u *Using) writeTo(b *strings.Builder) {
	if u.TTL == nil && u.Timestamp == nil {
		return
	}
	b.WriteString(" USING ")
	if u.TTL != nil {
		b.WriteString("TTL ")
		u.TTL.writeTo(b)
		if u.Timestamp != nil {
			b.WriteString(" AND ")
		}
	}
	if u.Timestamp != nil {
		b.WriteString("TIMESTAMP ")
		u.Timestamp.writeTo(b)
	}
}

// SelectStmt is SELECT.
type SelectStmt struct {
	stmtBase
	JSON              bool
	Distinct          bool
	Selectors         []Selector // nil for *
	Table             TableName
	Where             []Relation
	GroupBy           []Term // column references (or selector expressions)
	OrderBy           []Ordering
	PerPartitionLimit Term // nil, integer *Constant or *BindMarker
	Limit             Term // nil, integer *Constant or *BindMarker
	AllowFiltering    bool
}

// String implements Statement.
func (s *SelectStmt) String() string { return termString(s) }

func (s *SelectStmt) writeTo(b *strings.Builder) {
	b.WriteString("SELECT ")
	if s.JSON {
		b.WriteString("JSON ")
	}
	if s.Distinct {
		b.WriteString("DISTINCT ")
	}
	if s.Selectors == nil {
		b.WriteByte('*')
	}
	for i, sel := range s.Selectors {
		if i > 0 {
			b.WriteString(", ")
		}
		sel.Expr.writeTo(b)
		if sel.Alias != "" {
			b.WriteString(" AS ")
			writeIdent(b, sel.Alias)
		}
	}
	b.WriteString(" FROM ")
	s.Table.writeTo(b)
	if len(s.Where) > 0 {
		b.WriteString(" WHERE ")
		writeRelations(b, s.Where)
	}
	if len(s.GroupBy) > 0 {
		b.WriteString(" GROUP BY ")
		for i, g := range s.GroupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			g.writeTo(b)
		}
	}
	if len(s.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		writeOrderings(b, s.OrderBy)
	}
	if s.PerPartitionLimit != nil {
		b.WriteString(" PER PARTITION LIMIT ")
		s.PerPartitionLimit.writeTo(b)
	}
	if s.Limit != nil {
		b.WriteString(" LIMIT ")
		s.Limit.writeTo(b)
	}
	if s.AllowFiltering {
		b.WriteString(" ALLOW FILTERING")
	}
}

func writeOrderings(b *strings.Builder, os []Ordering) {
	for i, o := range os {
		if i > 0 {
			b.WriteString(", ")
		}
		writeIdent(b, o.Column)
		if o.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
	}
}

// InsertStmt is INSERT INTO ... VALUES or INSERT INTO ... JSON.
type InsertStmt struct {
	stmtBase
	Table   TableName
	Columns []string
	Values  []Term
	// JSON is the document of INSERT ... JSON: a string *Constant or a
	// *BindMarker (Role MarkerJSON); nil for INSERT ... VALUES.
	JSON         Term
	DefaultUnset bool // JSON ... DEFAULT UNSET (DEFAULT NULL is the default)
	IfNotExists  bool
	Using        Using
}

// String implements Statement.
func (s *InsertStmt) String() string { return termString(s) }

func (s *InsertStmt) writeTo(b *strings.Builder) {
	b.WriteString("INSERT INTO ")
	s.Table.writeTo(b)
	if s.JSON != nil {
		b.WriteString(" JSON ")
		s.JSON.writeTo(b)
		if s.DefaultUnset {
			b.WriteString(" DEFAULT UNSET")
		}
	} else {
		b.WriteByte(' ')
		writeIdents(b, s.Columns)
		b.WriteString(" VALUES ")
		writeTerms(b, '(', s.Values, ')')
	}
	if s.IfNotExists {
		b.WriteString(" IF NOT EXISTS")
	}
	s.Using.writeTo(b)
}

// AssignOp is the shape of an UPDATE assignment.
type AssignOp uint8

const (
	// AssignSet is col = value.
	AssignSet AssignOp = iota
	// AssignSetElement is col[key] = value.
	AssignSetElement
	// AssignAdd is col = col + value, also written col += value; counter
	// increments, collection appends and "col = col -3" (Value -3) have
	// this shape.
	AssignAdd
	// AssignSubtract is col = col - value, also written col -= value.
	AssignSubtract
	// AssignPrepend is col = value + col (list prepend).
	AssignPrepend
)

// Assignment is one item of UPDATE's SET clause.
type Assignment struct {
	Column string
	Op     AssignOp
	Key    Term // AssignSetElement only
	Value  Term
}

// String prints the assignment as canonical CQL.
func (a *Assignment) String() string {
	var b strings.Builder
	a.writeTo(&b)
	return b.String()
}

func (a *Assignment) writeTo(b *strings.Builder) {
	writeIdent(b, a.Column)
	switch a.Op {
	case AssignSet:
		b.WriteString(" = ")
		a.Value.writeTo(b)
	case AssignSetElement:
		b.WriteByte('[')
		a.Key.writeTo(b)
		b.WriteString("] = ")
		a.Value.writeTo(b)
	case AssignAdd, AssignSubtract:
		b.WriteString(" = ")
		writeIdent(b, a.Column)
		if a.Op == AssignAdd {
			b.WriteString(" + ")
		} else {
			b.WriteString(" - ")
		}
		a.Value.writeTo(b)
	case AssignPrepend:
		b.WriteString(" = ")
		a.Value.writeTo(b)
		b.WriteString(" + ")
		writeIdent(b, a.Column)
	}
}

// UpdateStmt is UPDATE.
type UpdateStmt struct {
	stmtBase
	Table    TableName
	Using    Using
	Set      []Assignment
	Where    []Relation
	IfExists bool
	If       []Relation // IF conditions, RelColumn or RelElement
}

// String implements Statement.
func (s *UpdateStmt) String() string { return termString(s) }

func (s *UpdateStmt) writeTo(b *strings.Builder) {
	b.WriteString("UPDATE ")
	s.Table.writeTo(b)
	s.Using.writeTo(b)
	b.WriteString(" SET ")
	for i := range s.Set {
		if i > 0 {
			b.WriteString(", ")
		}
		s.Set[i].writeTo(b)
	}
	b.WriteString(" WHERE ")
	writeRelations(b, s.Where)
	writeIf(b, s.IfExists, s.If)
}

func writeIf(b *strings.Builder, ifExists bool, conds []Relation) {
	if ifExists {
		b.WriteString(" IF EXISTS")
	} else if len(conds) > 0 {
		b.WriteString(" IF ")
		writeRelations(b, conds)
	}
}

// DeleteTarget is one item before FROM in DELETE: a column, or one element
// of a collection column (Key non-nil).
type DeleteTarget struct {
	Column string
	Key    Term
}

// DeleteStmt is DELETE.
type DeleteStmt struct {
	stmtBase
	Columns  []DeleteTarget // empty: delete whole rows
	Table    TableName
	Using    Using // TIMESTAMP only
	Where    []Relation
	IfExists bool
	If       []Relation
}

// String implements Statement.
func (s *DeleteStmt) String() string { return termString(s) }

func (s *DeleteStmt) writeTo(b *strings.Builder) {
	b.WriteString("DELETE ")
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		writeIdent(b, c.Column)
		if c.Key != nil {
			b.WriteByte('[')
			c.Key.writeTo(b)
			b.WriteByte(']')
		}
	}
	if len(s.Columns) > 0 {
		b.WriteByte(' ')
	}
	b.WriteString("FROM ")
	s.Table.writeTo(b)
	s.Using.writeTo(b)
	b.WriteString(" WHERE ")
	writeRelations(b, s.Where)
	writeIf(b, s.IfExists, s.If)
}

// BatchType is the kind of a batch.
type BatchType uint8

const (
	LoggedBatch   BatchType = iota // BEGIN BATCH
	UnloggedBatch                  // BEGIN UNLOGGED BATCH
	CounterBatch                   // BEGIN COUNTER BATCH
)

// BatchStmt is BEGIN ... BATCH ... APPLY BATCH.
type BatchStmt struct {
	stmtBase
	Type       BatchType
	Using      Using
	Statements []Statement // *InsertStmt, *UpdateStmt or *DeleteStmt
}

// String implements Statement.
func (s *BatchStmt) String() string { return termString(s) }

func (s *BatchStmt) writeTo(b *strings.Builder) {
	b.WriteString("BEGIN ")
	switch s.Type {
	case UnloggedBatch:
		b.WriteString("UNLOGGED ")
	case CounterBatch:
		b.WriteString("COUNTER ")
	}
	b.WriteString("BATCH")
	s.Using.writeTo(b)
	for _, st := range s.Statements {
		b.WriteByte(' ')
		st.writeTo(b)
		b.WriteByte(';')
	}
	b.WriteString(" APPLY BATCH")
}

// UseStmt is USE keyspace.
type UseStmt struct {
	stmtBase
	Keyspace string
}

// String implements Statement.
func (s *UseStmt) String() string { return termString(s) }

func (s *UseStmt) writeTo(b *strings.Builder) {
	b.WriteString("USE ")
	writeIdent(b, s.Keyspace)
}

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
		AssignSubtract: "subtract", AssignPrepend: "prepend"}, int(op))
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
