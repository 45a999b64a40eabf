package catalog

import (
	"strings"
	"testing"

	"wcdb/schema"
)

// TestUserTypeRows: user types written as system_schema.types rows load
// back as the same types, a type before the types that nest it whatever
// the order of the rows, and a type whose field names a missing type is
// left out.
func TestUserTypeRows(t *testing.T) {
	addr := schema.UDTOf("ks", "address", []string{"street", "Zip"}, []schema.Type{schema.Native(schema.KindText), schema.Native(schema.KindInt)})
	person := schema.UDTOf("ks", "person", []string{"name", "homes"}, []schema.Type{schema.Native(schema.KindText), schema.ListOf(addr.Freeze())})
	orphan := schema.UDTOf("ks", "orphan", []string{"g"}, []schema.Type{schema.UDTOf("ks", "gone", []string{"x"}, []schema.Type{schema.Native(schema.KindInt)}).Freeze()})
	var rows []Row
	for _, ut := range []schema.Type{person, orphan, addr} {
		b := NewBatch(1)
		b.AddUserType(ut)
		rs, _, err := decodeSysPartition(sysTab.types, &b.ms[0].Partition)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rs...)
	}
	if got := rows[0].TextSet("field_types"); len(got) != 2 || got[1] != "list<frozen<address>>" {
		t.Errorf("person's field_types = %q", got)
	}
	loaded := loadTypes(rows)["ks"]
	for _, want := range []schema.Type{addr, person} {
		if got, ok := loaded[want.User.Name]; !ok || !got.Equal(want) {
			t.Errorf("%s loads back as %v, want %v", want.User.Name, got, want)
		}
	}
	if _, ok := loaded["orphan"]; ok || len(loaded) != 2 {
		t.Errorf("loaded %d types, want address and person only", len(loaded))
	}
	if got := ExpandUDTs(schema.MapOf(schema.Native(schema.KindInt), person.Freeze())).String(); got != "map<int, frozen<tuple<text, frozen<list<frozen<tuple<text, int>>>>>>>" {
		t.Errorf("ExpandUDTs = %s", got)
	}
}

// TestTableCQLTypes: a snapshot's schema of a table creates the user types
// it uses, nested ones first, and only those.
func TestTableCQLTypes(t *testing.T) {
	c := New()
	c.SetKeyspace(&schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "1"}})
	addr := schema.UDTOf("ks", "zaddr", []string{"street"}, []schema.Type{schema.Native(schema.KindText)})
	person := schema.UDTOf("ks", "person", []string{"home"}, []schema.Type{addr.Freeze()})
	other := schema.UDTOf("ks", "other", []string{"x"}, []schema.Type{schema.Native(schema.KindInt)})
	c.SetUserTypes([]schema.Type{addr, person, other}, nil)
	tb, err := schema.NewTable(schema.TableDef{Keyspace: "ks", Name: "t", PartitionKey: []string{"k"}, Options: schema.DefaultTableOptions(),
		Columns: []schema.ColumnDef{{Name: "k", Type: schema.Native(schema.KindInt)}, {Name: "p", Type: schema.ListOf(person.Freeze())}}})
	if err != nil {
		t.Fatal(err)
	}
	c.SetTable(tb)
	got := c.TableCQL("ks", "t")
	want := "CREATE TYPE IF NOT EXISTS ks.zaddr (\n    street text\n);\nCREATE TYPE IF NOT EXISTS ks.person (\n    home frozen<zaddr>\n);\nCREATE TABLE ks.t ("
	if !strings.HasPrefix(got, want) || strings.Contains(got, "other") {
		t.Errorf("TableCQL =\n%s\nwant it to start with\n%s", got, want)
	}
}
