package indexing

import (
	"bytes"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/schema"
)

func testTable(t *testing.T) *schema.Table {
	t.Helper()
	typ := func(s string) schema.Type {
		ty, err := schema.ParseType(s)
		if err != nil {
			t.Fatal(err)
		}
		return ty
	}
	tb, err := schema.NewTable(schema.TableDef{Keyspace: "ks", Name: "t",
		Columns: []schema.ColumnDef{{Name: "k1", Type: typ("int")}, {Name: "k2", Type: typ("text")},
			{Name: "c", Type: typ("int")}, {Name: "v", Type: typ("int")}, {Name: "s", Type: typ("set<text>")},
			{Name: "m", Type: typ("map<text, int>")}, {Name: "f", Type: typ("frozen<list<int>>")},
			{Name: "d", Type: typ("duration")}, {Name: "st", Type: typ("text"), Static: true}},
		PartitionKey: []string{"k1", "k2"}, Clustering: []string{"c"},
		ClusteringOrder: []schema.ClusteringOrder{{Name: "c", Desc: true}}, Options: schema.DefaultTableOptions()})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func enc(t *testing.T, typ string, v any) []byte {
	t.Helper()
	ty, _ := schema.ParseType(typ)
	b, err := schema.Encode(ty, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTermsMatchQueryTerms checks that what a row's terms hold is what the
// query side computes for the same values: both sides of an index agree.
func TestTermsMatchQueryTerms(t *testing.T) {
	tb := testTable(t)
	col := func(n string) *schema.Column { return tb.Column(n) }
	types, desc := tb.ClusteringTypes()
	ck, err := schema.ClusteringKey(types, desc, [][]byte{enc(t, "int", int32(7))})
	if err != nil {
		t.Fatal(err)
	}
	pk := []byte{0, 4, 0, 0, 0, 1, 0, 0, 2, 'h', 'i', 0}
	sPath := Term(col("s").Type.Key(), enc(t, "text", "x"))
	mPath := Term(col("m").Type.Key(), enc(t, "text", "a"))
	r := mutation.NewRow(ck)
	cell := func(c string, path, v []byte) mutation.Cell {
		return mutation.Cell{Column: col(c).ID, Path: path, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: v}
	}
	r.Cells = []mutation.Cell{cell("v", nil, enc(t, "int", int32(5))), cell("s", sPath, nil),
		cell("m", mPath, enc(t, "int", int32(9))), cell("f", nil, enc(t, "frozen<list<int>>", []any{int32(1)}))}
	dead := cell("v", nil, nil)
	dead.Flags = mutation.CellTombstone
	for _, tc := range []struct {
		target string
		want   []byte
	}{
		{"k1", Term(col("k1").Type, enc(t, "int", int32(1)))},
		{"k2", Term(col("k2").Type, enc(t, "text", "hi"))},
		{"c", Term(col("c").Type, enc(t, "int", int32(7)))},
		{"v", Term(col("v").Type, enc(t, "int", int32(5)))},
		{"values(s)", Term(col("s").Type.Elem(), enc(t, "text", "x"))},
		{"s", Term(col("s").Type.Elem(), enc(t, "text", "x"))},
		{"keys(m)", Term(col("m").Type.Key(), enc(t, "text", "a"))},
		{"values(m)", Term(col("m").Type.Elem(), enc(t, "int", int32(9)))},
		{"entries(m)", EntryTerm(col("m").Type, enc(t, "text", "a"), enc(t, "int", int32(9)))},
		{"full(f)", Term(col("f").Type, enc(t, "frozen<list<int>>", []any{int32(1)}))},
	} {
		tg := ParseTarget(tc.target)
		if tg.String() != tc.target && tc.target != "s" {
			t.Errorf("ParseTarget(%q).String() = %q", tc.target, tg)
		}
		fn, err := Terms(tb, tg)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		fn(pk, &r, func(b []byte) { got = append(got, bytes.Clone(b)) })
		if len(got) != 1 || !bytes.Equal(got[0], tc.want) {
			t.Errorf("%s: got terms %x, want [%x]", tc.target, got, tc.want)
		}
	}
	// A tombstone has no term; the static row has no clustering term.
	fn, _ := Terms(tb, ParseTarget("v"))
	tr := mutation.NewRow(ck)
	tr.Cells = []mutation.Cell{dead}
	fn(pk, &tr, func(b []byte) { t.Errorf("tombstone gave term %x", b) })
	fn, _ = Terms(tb, ParseTarget("c"))
	static := mutation.NewRow(nil)
	fn(pk, &static, func(b []byte) { t.Errorf("static row gave clustering term %x", b) })
}

func TestTermOrder(t *testing.T) {
	ty := schema.Native(schema.KindInt)
	a, b := Term(ty, enc(t, "int", int32(-5))), Term(ty, enc(t, "int", int32(3)))
	if bytes.Compare(a, b) >= 0 {
		t.Fatalf("term of -5 %x not below term of 3 %x", a, b)
	}
}

func TestCheckMessages(t *testing.T) {
	tb := testTable(t)
	for target, want := range map[string]string{
		"v":          "",
		"k1":         "",
		"values(s)":  "",
		"entries(m)": "",
		"full(f)":    "",
		"nope":       "Column 'nope' doesn't exist",
		"d":          "Secondary indexes are not supported on duration columns",
		"f":          "Cannot create values() index on frozen column f. Frozen collections are immutable and must be fully indexed by using the 'full(f)' modifier",
		"full(m)":    "full() indexes can only be created on frozen collections",
		"keys(v)":    "Cannot create keys() index on v. Non-collection columns only support simple indexes",
		"keys(s)":    "Cannot create index on keys of column s with non-map type",
	} {
		if got := Check(tb, ParseTarget(target)); got != want {
			t.Errorf("Check(%s) = %q, want %q", target, got, want)
		}
	}
	single, _ := schema.NewTable(schema.TableDef{Keyspace: "ks", Name: "u",
		Columns:      []schema.ColumnDef{{Name: "k", Type: schema.Native(schema.KindInt)}},
		PartitionKey: []string{"k"}, Options: schema.DefaultTableOptions()})
	if got := Check(single, ParseTarget("k")); !strings.HasPrefix(got, "Cannot create secondary index on the only partition key column k") {
		t.Errorf("Check(only pk) = %q", got)
	}
}
