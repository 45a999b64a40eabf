package catalog

// User-defined types. A keyspace's types live in its catalogKeyspace and,
// as in Cassandra, one row each in system_schema.types:
//
//	keyspace_name text, type_name text,
//	field_names frozen<list<text>>, field_types frozen<list<text>>
//
// field_types are CQL types as schema.Type.String prints them (a nested
// user type by name, frozen<other>). Loading resolves a type's fields
// against the types loaded before it, so types load in dependency order
// (loadTypes). Columns (and field types) name user types the same way;
// tables load after types, their column types resolved against them.

import (
	"slices"
	"sort"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// UserType returns the user type keyspace.name (non-frozen), or false.
func (c *Catalog) UserType(keyspace, name string) (schema.Type, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		t, ok := k.types[name]
		return t, ok
	}
	return schema.Type{}, false
}

// UserTypes returns a keyspace's user types, each after the types it uses
// (then by name): the order of DESCRIBE and of re-creation.
func (c *Catalog) UserTypes(keyspace string) []schema.Type {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		return sortedTypes(k.types)
	}
	return nil
}

// sortedTypes orders types by dependency, then name.
func sortedTypes(m map[string]schema.Type) []schema.Type {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []schema.Type
	done := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		t, ok := m[n]
		if !ok || done[n] {
			return
		}
		done[n] = true
		for _, o := range names {
			if o != n && !done[o] && t.ReferencesUDT(t.User.Keyspace, o) {
				visit(o)
			}
		}
		out = append(out, t)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}

// SetUserTypes installs or replaces user types of an existing keyspace,
// and with them the tables given (those using them, rewritten by
// Dependents), in one step; it changes the version.
func (c *Catalog) SetUserTypes(types []schema.Type, tables []*schema.Table) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range types {
		if k := c.mu.keyspaces[t.User.Keyspace]; k != nil {
			k.types[t.User.Name] = t
		}
	}
	for _, tb := range tables {
		if k := c.mu.keyspaces[tb.Keyspace]; k != nil {
			k.tables[tb.Name] = tb
		}
	}
	c.bumpLocked()
}

// DropUserType removes a user type.
func (c *Catalog) DropUserType(keyspace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.mu.keyspaces[keyspace]; k != nil {
		delete(k.types, name)
		c.bumpLocked()
	}
}

// Resolver returns the schema.Resolver of types named in statements on
// keyspace ks, with Cassandra's messages.
func (c *Catalog) Resolver(ks string) schema.Resolver {
	return func(qual, name string) (schema.Type, error) {
		if qual != "" && qual != ks {
			return schema.Type{}, qerr.Invalidf("Statement on keyspace %s cannot refer to a user type in keyspace %s; user types can only be used in the keyspace they are defined in", ks, qual)
		}
		if t, ok := c.UserType(ks, name); ok {
			return t, nil
		}
		return schema.Type{}, qerr.Invalidf("Unknown type %s.%s", ast.QuoteIdent(ks), ast.QuoteIdent(name))
	}
}

// mapResolver resolves against a fixed set of a keyspace's types.
func mapResolver(ks string, m map[string]schema.Type) schema.Resolver {
	return func(qual, name string) (schema.Type, error) {
		if t, ok := m[name]; ok && (qual == "" || qual == ks) {
			return t, nil
		}
		return schema.Type{}, qerr.Invalidf("Unknown type %s.%s", ast.QuoteIdent(ks), ast.QuoteIdent(name))
	}
}

// TypesUsing returns, sorted, the names of the tables and of the other
// types of keyspace ks that use the type name (DROP TYPE refuses then).
func (c *Catalog) TypesUsing(ks, name string) (tables, types []string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	k := c.mu.keyspaces[ks]
	if k == nil {
		return nil, nil
	}
	for _, t := range k.tables {
		if slices.ContainsFunc(t.Columns, func(col schema.Column) bool { return col.Type.ReferencesUDT(ks, name) }) {
			tables = append(tables, t.Name)
		}
	}
	for n, t := range k.types {
		if n != name && t.ReferencesUDT(ks, name) {
			types = append(types, n)
		}
	}
	sort.Strings(tables)
	sort.Strings(types)
	return tables, types
}

// AddUserType writes the system_schema.types row of t.
func (b *Batch) AddUserType(t schema.Type) {
	names := make([]any, len(t.Elems))
	types := make([]any, len(t.Elems))
	for i, e := range t.Elems {
		names[i] = t.User.Fields[i]
		types[i] = e.String()
	}
	b.Upsert(sysTab.types, []any{t.User.Keyspace, t.User.Name},
		map[string]any{"field_names": names, "field_types": types}, true)
}

// DropUserType deletes the system_schema.types row of keyspace.name.
func (b *Batch) DropUserType(keyspace, name string) {
	b.DeleteRow(sysTab.types, []any{keyspace, name})
}

// loadTypes builds the types of system_schema.types rows, by keyspace:
// in passes, each type once the types its fields name are built. A type
// that never resolves (its rows arrived without those of a type it uses,
// in a schema merge) is left out.
func loadTypes(rows []Row) map[string]map[string]schema.Type {
	out := map[string]map[string]schema.Type{}
	pending := slices.Clone(rows)
	for len(pending) > 0 {
		var next []Row
		for _, r := range pending {
			ks, name := r.Text("keyspace_name"), r.Text("type_name")
			if out[ks] == nil {
				out[ks] = map[string]schema.Type{}
			}
			fields, ftypes := r.TextSet("field_names"), r.TextSet("field_types")
			if len(fields) != len(ftypes) || len(fields) == 0 {
				continue
			}
			types := make([]schema.Type, len(ftypes))
			ok := true
			for i, s := range ftypes {
				t, err := schema.ParseTypeIn(s, mapResolver(ks, out[ks]))
				if err != nil {
					ok = false
					break
				}
				types[i] = t
			}
			if ok {
				out[ks][name] = schema.UDTOf(ks, name, fields, types)
			} else {
				next = append(next, r)
			}
		}
		if len(next) == len(pending) {
			break
		}
		pending = next
	}
	return out
}

// userTypeCQL is CREATE TYPE as Cassandra's DESCRIBE prints it.
func userTypeCQL(t schema.Type) string {
	var b strings.Builder
	b.WriteString("CREATE TYPE ")
	b.WriteString(QualifiedName(t.User.Keyspace, t.User.Name))
	b.WriteString(" (\n")
	for i, e := range t.Elems {
		b.WriteString("    ")
		b.WriteString(ast.QuoteIdent(t.User.Fields[i]))
		b.WriteByte(' ')
		b.WriteString(e.String())
		if i < len(t.Elems)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(");")
	return b.String()
}

func typeElement(t schema.Type) describeElement {
	return describeElement{keyspace: t.User.Keyspace, typ: "type", name: t.User.Name, cql: func() string { return userTypeCQL(t) }}
}

// ExpandUDTs returns t with every user type replaced by the tuple of its
// fields, as Cassandra records a dropped column's type: the user type may
// be dropped or changed later.
func ExpandUDTs(t schema.Type) schema.Type {
	if len(t.Elems) == 0 {
		return t
	}
	out := t
	out.Elems = make([]schema.Type, len(t.Elems))
	for i, e := range t.Elems {
		out.Elems[i] = ExpandUDTs(e)
	}
	if t.Kind == schema.KindUDT {
		out.Kind, out.User, out.Frozen = schema.KindTuple, nil, true
	}
	return out
}
