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
// ks as the executor does (ChangeType, the catalog's table analysis;
// without storage): "exec" prints the change or the error, "describe"
// DESCRIBE KEYSPACE ks.
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
	if n, _, ok := TypeStatement(st); ok && n.Keyspace != "" {
		ks = n.Keyspace
	}
	switch s := st.(type) {
	case *ast.CreateTypeStmt, *ast.AlterTypeStmt, *ast.DropTypeStmt:
		ch, err := ChangeType(c, ks, st, 1)
		if err != nil || ch == nil {
			return "no change", err
		}
		if ch.Drop {
			c.DropUserType(ks, ch.Name)
		} else {
			c.SetUserTypes(ch.Types, ch.Tables)
		}
		names := []string{}
		for _, tb := range ch.Tables {
			names = append(names, tb.Name)
		}
		return fmt.Sprintf("%s TYPE %s (tables %v)", ch.Change, ch.Name, names), nil
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
