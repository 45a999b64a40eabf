package ddl

// CREATE and ALTER TYPE: pure functions of the statement and the schema,
// with Cassandra's checks and messages (its CreateTypeStatement and
// AlterTypeStatement, including the misspelt "Unkown field"). The executor
// writes what they return.

import (
	"slices"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// BuildUserType analyzes CREATE TYPE in keyspace ks, its field types
// resolved by resolve, into a (non-frozen) user type.
func BuildUserType(ks string, st *ast.CreateTypeStmt, resolve schema.Resolver) (schema.Type, error) {
	name := st.Name.Name
	seen := map[string]bool{}
	names := make([]string, len(st.Fields))
	types := make([]schema.Type, len(st.Fields))
	for i, f := range st.Fields {
		if seen[f.Name] {
			return schema.Type{}, qerr.Invalidf("Duplicate field name '%s' in type '%s'", f.Name, name)
		}
		seen[f.Name] = true
		t, err := fieldType(ks, f.Type, resolve)
		if err != nil {
			return schema.Type{}, err
		}
		names[i], types[i] = f.Name, t
	}
	return schema.UDTOf(ks, name, names, types), nil
}

// fieldType analyzes the type of a user type's field: no counters, no
// non-frozen user types (collections are frozen implicitly).
func fieldType(ks string, te ast.TypeExpr, resolve schema.Resolver) (schema.Type, error) {
	if te.Kind == ast.TypeNative && strings.EqualFold(te.Name, "counter") {
		return schema.Type{}, qerr.Invalidf("A user type cannot contain counters")
	}
	if te.Kind == ast.TypeUser && !te.Frozen {
		return schema.Type{}, qerr.Invalidf("A user type cannot contain non-frozen UDTs")
	}
	t, err := catalog.ColumnTypeIn(ks, te, resolve)
	if err != nil {
		return schema.Type{}, err
	}
	if t.References(schema.KindCounter) {
		return schema.Type{}, qerr.Invalidf("A user type cannot contain counters")
	}
	return t, nil
}

// AlterUserType analyzes ALTER TYPE on the user type old, given the tables
// of its keyspace: it returns the new type, or old itself when IF (NOT)
// EXISTS makes the statement a no-op.
func AlterUserType(old schema.Type, st *ast.AlterTypeStmt, resolve schema.Resolver, tables []*schema.Table) (schema.Type, error) {
	u := old.User
	qualified := catalog.QualifiedName(u.Keyspace, u.Name)
	switch st.Action {
	case ast.AlterTypeAdd:
		f := st.Add
		if old.FieldIndex(f.Name) >= 0 {
			if st.IfFieldNotExists {
				return old, nil
			}
			return schema.Type{}, qerr.Invalidf("Cannot add field %s to type %s: a field with name %s already exists", ast.QuoteIdent(f.Name), qualified, ast.QuoteIdent(f.Name))
		}
		t, err := fieldType(u.Keyspace, f.Type, resolve)
		if err != nil {
			return schema.Type{}, err
		}
		if t.ReferencesUDT(u.Keyspace, u.Name) {
			return schema.Type{}, qerr.Invalidf("Cannot add new field %s of type %s to user type %s as it would create a circular reference", ast.QuoteIdent(f.Name), f.Type, qualified)
		}
		var inKey []string
		for _, tb := range tables {
			// A column of the type non-frozen cannot take a non-frozen
			// collection field (as CREATE TABLE refuses it).
			if t.IsMultiCell() && slices.ContainsFunc(tb.Columns, func(c schema.Column) bool {
				return c.Type.Kind == schema.KindUDT && !c.Type.Frozen && c.Type.User.Name == u.Name
			}) {
				return schema.Type{}, qerr.Invalidf("Non-frozen UDTs with nested non-frozen collections are not supported")
			}
			if slices.ContainsFunc(tb.PartitionKey(), func(c schema.Column) bool { return c.Type.ReferencesUDT(u.Keyspace, u.Name) }) {
				inKey = append(inKey, catalog.QualifiedName(tb.Keyspace, tb.Name))
			}
		}
		if len(inKey) > 0 {
			return schema.Type{}, qerr.Invalidf("Cannot add new field %s of type %s to user type %s as the type is being used in partition key by the following tables: %s", ast.QuoteIdent(f.Name), f.Type, qualified, strings.Join(inKey, ", "))
		}
		return schema.UDTOf(u.Keyspace, u.Name, append(slices.Clone(u.Fields), f.Name), append(slices.Clone(old.Elems), t)), nil
	case ast.AlterTypeRename:
		names := slices.Clone(u.Fields)
		for _, r := range st.Renames {
			i := old.FieldIndex(r.From)
			if i < 0 {
				if st.IfFieldExists {
					continue
				}
				return schema.Type{}, qerr.Invalidf("Unkown field %s in user type %s", ast.QuoteIdent(r.From), qualified)
			}
			names[i] = r.To
		}
		for i, n := range names {
			if slices.Index(names, n) != i {
				return schema.Type{}, qerr.Invalidf("Duplicate field name %s in type %s", ast.QuoteIdent(n), qualified)
			}
		}
		if slices.Equal(names, u.Fields) {
			return old, nil
		}
		return schema.UDTOf(u.Keyspace, u.Name, names, old.Elems), nil
	}
	return schema.Type{}, qerr.Invalidf("Altering field types is no longer supported")
}

// TypeDependents returns what uses the user type t (by keyspace and name)
// rewritten for its new definition: the other types of its keyspace that
// nest it and the tables with a column of a type that does.
func TypeDependents(c *catalog.Catalog, t schema.Type) ([]schema.Type, []*schema.Table) {
	ks, name := t.User.Keyspace, t.User.Name
	var types []schema.Type
	for _, o := range c.UserTypes(ks) {
		if o.User.Name != name && o.ReferencesUDT(ks, name) {
			types = append(types, o.WithUDT(t))
		}
	}
	var tables []*schema.Table
	for _, tb := range c.Tables(ks) {
		var nt *schema.Table
		for i, col := range tb.Columns {
			if col.Type.ReferencesUDT(ks, name) {
				if nt == nil {
					nt = tb.Clone()
				}
				nt.Columns[i].Type = col.Type.WithUDT(t)
			}
		}
		if nt != nil {
			tables = append(tables, nt)
		}
	}
	return types, tables
}

// TypeChange is what a type statement changes: the types to install (a
// new one, or an altered one and the types nesting it) and the tables
// rewritten, or the type dropped; the system_schema rows; the change to
// report (CREATED, UPDATED, DROPPED) on Name.
type TypeChange struct {
	Types  []schema.Type
	Tables []*schema.Table
	Drop   bool
	Batch  *catalog.Batch
	Change string
	Name   string
}

// CreateType computes CREATE TYPE st in keyspace ks at timestamp ts; nil
// (and nil error) is a no-op (IF NOT EXISTS).
func CreateType(c *catalog.Catalog, ks string, st *ast.CreateTypeStmt, ts int64) (*TypeChange, error) {
	if c.Keyspace(ks) == nil {
		return nil, qerr.Invalidf("Keyspace '%s' doesn't exist", ks)
	}
	if _, ok := c.UserType(ks, st.Name.Name); ok {
		if st.IfNotExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("A user type with name '%s' already exists", st.Name.Name)
	}
	t, err := BuildUserType(ks, st, c.Resolver(ks))
	if err != nil {
		return nil, err
	}
	b := catalog.NewBatch(ts)
	b.AddUserType(t)
	return &TypeChange{Types: []schema.Type{t}, Batch: b, Change: "CREATED", Name: t.User.Name}, nil
}

// AlterType computes ALTER TYPE st; nil is a no-op (IF EXISTS, or nothing
// to change).
func AlterType(c *catalog.Catalog, ks string, st *ast.AlterTypeStmt, ts int64) (*TypeChange, error) {
	old, ok := c.UserType(ks, st.Name.Name)
	if !ok {
		if st.IfExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("Type %s.%s doesn't exist", ks, st.Name.Name)
	}
	t, err := AlterUserType(old, st, c.Resolver(ks), c.Tables(ks))
	if err != nil || t.Equal(old) {
		return nil, err
	}
	types, tables := TypeDependents(c, t)
	types = append(types, t)
	b := catalog.NewBatch(ts)
	for _, o := range types {
		b.AddUserType(o)
	}
	return &TypeChange{Types: types, Tables: tables, Batch: b, Change: "UPDATED", Name: t.User.Name}, nil
}

// DropType computes DROP TYPE st; nil is a no-op (IF EXISTS).
func DropType(c *catalog.Catalog, ks string, st *ast.DropTypeStmt, ts int64) (*TypeChange, error) {
	name := st.Name.Name
	if _, ok := c.UserType(ks, name); !ok {
		if st.IfExists {
			return nil, nil
		}
		return nil, qerr.Invalidf("Type '%s.%s' doesn't exist", ks, name)
	}
	tables, types := c.TypesUsing(ks, name)
	if len(types) > 0 {
		return nil, qerr.Invalidf("Cannot drop user type '%s.%s' as it is still used by user types %s", ks, name, strings.Join(types, ", "))
	}
	if len(tables) > 0 {
		return nil, qerr.Invalidf("Cannot drop user type '%s.%s' as it is still used by tables %s", ks, name, strings.Join(tables, ", "))
	}
	b := catalog.NewBatch(ts)
	b.DropUserType(ks, name)
	return &TypeChange{Drop: true, Batch: b, Change: "DROPPED", Name: name}, nil
}

// TypeStatement returns the type a CREATE, ALTER or DROP TYPE names and
// the permission it needs on its keyspace (CREATE, ALTER, DROP); false
// for other statements.
func TypeStatement(st ast.Statement) (ast.TableName, string, bool) {
	switch st := st.(type) {
	case *ast.CreateTypeStmt:
		return st.Name, "CREATE", true
	case *ast.AlterTypeStmt:
		return st.Name, "ALTER", true
	case *ast.DropTypeStmt:
		return st.Name, "DROP", true
	}
	return ast.TableName{}, "", false
}

// ChangeType computes a type statement (CreateType, AlterType, DropType).
func ChangeType(c *catalog.Catalog, ks string, st ast.Statement, ts int64) (*TypeChange, error) {
	switch st := st.(type) {
	case *ast.CreateTypeStmt:
		return CreateType(c, ks, st, ts)
	case *ast.AlterTypeStmt:
		return AlterType(c, ks, st, ts)
	case *ast.DropTypeStmt:
		return DropType(c, ks, st, ts)
	}
	return nil, qerr.Invalidf("query: statement %T is not a type statement", st)
}
