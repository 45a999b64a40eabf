package ast

import (
	"strings"
)

// Queries and data changes: SELECT (with its selectors, relations and
// orderings), INSERT, UPDATE, DELETE, BATCH and USE.

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
	Field    string   // RelColumn in IF: col.field op value (a user type's field)
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
		if r.Field != "" {
			b.WriteByte('.')
			writeIdent(b, r.Field)
		}
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
	AsOf              *AsOf // nil, or AS OF (cell versions)
	Where             []Relation
	GroupBy           []Term // column references (or selector expressions)
	OrderBy           []Ordering
	PerPartitionLimit Term // nil, integer *Constant or *BindMarker
	Limit             Term // nil, integer *Constant or *BindMarker
	AllowFiltering    bool
}

// AsOf is SELECT's AS OF clause (wcdb's, for tables with cell versions,
// docs/VERSIONS.md): the time at which the rows are read.
type AsOf struct {
	// Micros: AS OF TIMESTAMP <µs>, Value a bigint (an integer *Constant
	// or a *BindMarker); else AS OF <timestamp>, Value a timestamp (a
	// string *Constant or a *BindMarker).
	Micros bool
	Value  Term
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
	if s.AsOf != nil {
		b.WriteString(" AS OF ")
		if s.AsOf.Micros {
			b.WriteString("TIMESTAMP ")
		}
		s.AsOf.Value.writeTo(b)
	}
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
	// AssignField is col.field = value (a field of a non-frozen user type).
	AssignField
)

// Assignment is one item of UPDATE's SET clause.
type Assignment struct {
	Column string
	Op     AssignOp
	Key    Term   // AssignSetElement only
	Field  string // AssignField only
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
	case AssignField:
		b.WriteByte('.')
		writeIdent(b, a.Field)
		b.WriteString(" = ")
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
	Field  string // DELETE col.field: a field of a non-frozen user type
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
		if c.Field != "" {
			b.WriteByte('.')
			writeIdent(b, c.Field)
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
