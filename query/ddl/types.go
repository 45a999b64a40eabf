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
	return t.Freeze(), nil
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
