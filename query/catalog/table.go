package catalog

import (
	"strings"

	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// BuildTableIn analyzes CREATE TABLE in keyspace ks, its user types
// found by resolve (Catalog.Resolver), into a table (without
// an id) and its other options, with Cassandra's checks in Cassandra's
// order (options, then columns and key); it returns the WITH ID option.
func BuildTableIn(ks string, st *ast.CreateTableStmt, resolve schema.Resolver) (*schema.Table, *Params, *schema.UUID, error) {
	opts := schema.DefaultTableOptions()
	params := defaultTableParams()
	id, err := ApplyTableProps(st.Properties, &opts, params)
	if err != nil {
		return nil, nil, nil, qerr.FromSchema(err)
	}
	def := schema.TableDef{Keyspace: ks, Name: st.Table.Name, PartitionKey: st.PartitionKey,
		Clustering: st.Clustering, Options: opts}
	for _, c := range st.Columns {
		typ, err := ColumnTypeIn(ks, c.Type, resolve)
		if err != nil {
			return nil, nil, nil, err
		}
		def.Columns = append(def.Columns, schema.ColumnDef{Name: c.Name, Type: typ, Static: c.Static})
	}
	for _, o := range st.ClusteringOrder {
		def.ClusteringOrder = append(def.ClusteringOrder, schema.ClusteringOrder{Name: o.Column, Desc: o.Desc})
	}
	t, err := schema.NewTable(def)
	if err != nil {
		return nil, nil, nil, qerr.FromSchema(err)
	}
	return t, params, id, nil
}

// ColumnTypeIn converts a type as written into a schema type, its user
// types found by resolve (none if nil). Custom types are not supported.
func ColumnTypeIn(ks string, te ast.TypeExpr, resolve schema.Resolver) (schema.Type, error) {
	var check func(te ast.TypeExpr) error
	check = func(te ast.TypeExpr) error {
		switch te.Kind {
		case ast.TypeUser:
			if resolve != nil {
				return nil
			}
			k := te.Keyspace
			if k == "" {
				k = ks
			}
			return qerr.Invalidf("Unknown type %s.%s", ast.QuoteIdent(k), ast.QuoteIdent(te.Name))
		case ast.TypeCustom:
			return qerr.Invalidf("Custom types are not supported (%s)", ast.QuoteString(te.Name))
		}
		for _, a := range te.Args {
			if err := check(a); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(te); err != nil {
		return schema.Type{}, err
	}
	t, err := schema.ParseTypeIn(te.String(), resolve)
	if err != nil {
		return schema.Type{}, qerr.FromSchema(err)
	}
	return t, nil
}

// QualifiedName prints ks.name as Cassandra's TableMetadata.toString.
func QualifiedName(ks, name string) string {
	var b strings.Builder
	b.WriteString(ast.QuoteIdent(ks))
	b.WriteByte('.')
	b.WriteString(ast.QuoteIdent(name))
	return b.String()
}
