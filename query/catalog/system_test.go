package catalog

import (
	"testing"

	"wcdb/query/ast"
	"wcdb/query/parser"
	"wcdb/schema"
)

func TestSystemTableIDs(t *testing.T) {
	// Cassandra's ids of these tables (UUID.nameUUIDFromBytes of keyspace
	// and table names), as drivers and tools have seen them for years.
	for _, c := range []struct{ ks, table, id string }{
		{"system", "local", "7ad54392-bcdd-35a6-8417-4e047860b377"},
		{"system", "peers", "37f71aca-7dc2-383b-a706-72528af04d4f"},
	} {
		if got := schema.UUID(systemTableID(c.ks, c.table)).String(); got != c.id {
			t.Errorf("id of %s.%s: got %s, want %s", c.ks, c.table, got, c.id)
		}
	}
	for i, d := range systemTableDefs {
		tab := sysTab.tables[i]
		st, err := parser.Parse(d.cql)
		if err != nil {
			t.Fatal(err)
		}
		ct := st.(*ast.CreateTableStmt)
		for j, c := range ct.Columns {
			col := tab.Column(c.Name)
			if col == nil || col.ID != uint32(j) {
				t.Errorf("%s.%s column %s: got %+v, want id %d", tab.Keyspace, tab.Name, c.Name, col, j)
			}
		}
	}
}
