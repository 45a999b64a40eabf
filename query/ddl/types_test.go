package ddl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/parser"
	"wcdb/query/qerr"
	"wcdb/schema"
)

// TestUserTypesDDL runs type and table DDL against a catalog with keyspace
// ks, as the executor does with the same catalog functions (without
// storage): "exec" prints the change or the error, "describe" DESCRIBE
// KEYSPACE ks.
func TestUserTypesDDL(t *testing.T) {
	datadriven.RunTest(t, "testdata/types", func(t *testing.T, d *datadriven.TestData) string {
		c := typesCatalog
		switch d.Cmd {
		case "reset":
			typesCatalog = catalog.New()
			typesCatalog.SetKeyspace(&schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "1"}})
			return ""
		case "exec":
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				msg, err := execTypeDDL(c, line)
				if err != nil {
					msg = "error: " + qerr.Message(err)
				}
				fmt.Fprintf(&out, "%s\n", msg)
			}
			return out.String()
		case "describe":
			_, rows, _, err := c.Describe(&ast.DescribeStmt{Kind: ast.DescribeKeyspace, Keyspace: "ks"}, "")
			if err != nil {
				return "error: " + err.Error()
			}
			var out strings.Builder
			for _, r := range rows {
				fmt.Fprintf(&out, "%s\n", r[3])
			}
			return out.String()
		}
		return "unknown command " + d.Cmd
	})
}

var typesCatalog *catalog.Catalog

// execTypeDDL applies one statement to the catalog as the executor does.
func execTypeDDL(c *catalog.Catalog, src string) (string, error) {
	st, err := parser.Parse(src)
	if err != nil {
		return "", err
	}
	ks := "ks"
	switch s := st.(type) {
	case *ast.CreateTypeStmt:
		if _, ok := c.UserType(ks, s.Name.Name); ok {
			if s.IfNotExists {
				return "no change", nil
			}
			return "", qerr.Invalidf("A user type with name '%s' already exists", s.Name.Name)
		}
		ut, err := BuildUserType(ks, s, c.Resolver(ks))
		if err != nil {
			return "", err
		}
		c.SetUserTypes([]schema.Type{ut}, nil)
		return "CREATED TYPE " + ut.User.Name, nil
	case *ast.AlterTypeStmt:
		old, ok := c.UserType(ks, s.Name.Name)
		if !ok {
			return "", qerr.Invalidf("Type %s.%s doesn't exist", ks, s.Name.Name)
		}
		ut, err := AlterUserType(old, s, c.Resolver(ks), c.Tables(ks))
		if err != nil {
			return "", err
		}
		if ut.Equal(old) {
			return "no change", nil
		}
		types, tables := TypeDependents(c, ut)
		c.SetUserTypes(append(types, ut), tables)
		names := []string{}
		for _, tb := range tables {
			names = append(names, tb.Name)
		}
		return fmt.Sprintf("UPDATED TYPE %s (tables %v)", ut.User.Name, names), nil
	case *ast.DropTypeStmt:
		if _, ok := c.UserType(ks, s.Name.Name); !ok {
			return "", qerr.Invalidf("Type '%s.%s' doesn't exist", ks, s.Name.Name)
		}
		tables, types := c.TypesUsing(ks, s.Name.Name)
		if len(types) > 0 {
			return "", qerr.Invalidf("Cannot drop user type '%s.%s' as it is still used by user types %s", ks, s.Name.Name, strings.Join(types, ", "))
		}
		if len(tables) > 0 {
			return "", qerr.Invalidf("Cannot drop user type '%s.%s' as it is still used by tables %s", ks, s.Name.Name, strings.Join(tables, ", "))
		}
		c.DropUserType(ks, s.Name.Name)
		return "DROPPED TYPE " + s.Name.Name, nil
	case *ast.DropTableStmt:
		c.DropTable(ks, s.Table.Name)
		return "DROPPED TABLE " + s.Table.Name, nil
	case *ast.CreateTableStmt:
		tb, _, _, err := catalog.BuildTableIn(ks, s, c.Resolver(ks))
		if err != nil {
			return "", err
		}
		tb.ID = mutation.TableID(schema.NewRandomUUID())
		c.SetTable(tb)
		return "CREATED TABLE " + tb.Name, nil
	}
	return "", fmt.Errorf("unexpected statement %T", st)
}
