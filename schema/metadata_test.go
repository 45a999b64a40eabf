package schema

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"ks": true, "Ks_1": true, strings.Repeat("a", 48): true,
		"": false, strings.Repeat("a", 49): false, "a-b": false, "é": false, "a b": false,
	} {
		if err := ValidName("Keyspace", name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
	err := ValidName("Keyspace", "a-b")
	if want := "schema: Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got 'a-b')"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func col(t *testing.T, name, typ string, static bool) ColumnDef {
	return ColumnDef{Name: name, Type: mustType(t, typ), Static: static}
}

func TestNewTable(t *testing.T) {
	def := TableDef{
		Keyspace: "ks", Name: "events",
		Columns: []ColumnDef{
			col(t, "tenant", "text", false),
			col(t, "day", "date", false),
			col(t, "at", "timestamp", false),
			col(t, "id", "timeuuid", false),
			col(t, "payload", "blob", false),
			col(t, "tags", "set<text>", false),
			col(t, "owner", "text", true),
			col(t, "attrs", "map<text, text>", false),
			col(t, "budget", "decimal", true),
		},
		PartitionKey:    []string{"tenant", "day"},
		Clustering:      []string{"at", "id"},
		ClusteringOrder: []ClusteringOrder{{Name: "at", Desc: true}},
		Options:         DefaultTableOptions(),
	}
	tbl, err := NewTable(def)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tbl.Columns {
		got = append(got, c.Name+":"+c.Kind.String()+":"+c.Type.String())
	}
	want := []string{
		"tenant:partition_key:text", "day:partition_key:date",
		"at:clustering:timestamp", "id:clustering:timeuuid",
		"budget:static:decimal", "owner:static:text",
		"attrs:regular:map<text, text>", "payload:regular:blob", "tags:regular:set<text>",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("columns\n got %v\nwant %v", got, want)
	}
	if c := tbl.Column("at"); c == nil || !c.Desc || c.Position != 0 {
		t.Errorf("column at = %+v", c)
	}
	if c := tbl.Column("id"); c == nil || c.Desc || c.Position != 1 {
		t.Errorf("column id = %+v", c)
	}
	if c := tbl.Column("payload"); c == nil || c.Position != -1 {
		t.Errorf("column payload = %+v", c)
	}
	if len(tbl.PartitionKey()) != 2 || len(tbl.Clustering()) != 2 || !tbl.HasStatic() {
		t.Errorf("key %d, clustering %d, static %v", len(tbl.PartitionKey()), len(tbl.Clustering()), tbl.HasStatic())
	}
	types, desc := tbl.ClusteringTypes()
	if len(types) != 2 || types[0].Kind != KindTimestamp || !desc[0] || desc[1] {
		t.Errorf("ClusteringTypes = %v, %v", types, desc)
	}
	if tbl.GCGrace != 864000 || tbl.BloomFilterFPChance != 0.01 || tbl.Compression["class"] != "org.apache.cassandra.io.compress.LZ4Compressor" ||
		tbl.Compression["chunk_length_in_kb"] != "16" || !strings.HasSuffix(tbl.Compaction["class"], "SizeTieredCompactionStrategy") {
		t.Errorf("options %+v", tbl.TableOptions)
	}

	// IDs are unique and never reused after a drop.
	ids := map[uint32]bool{}
	for _, c := range tbl.Columns {
		ids[c.ID] = true
	}
	if len(ids) != len(tbl.Columns) || tbl.NextColumnID != uint32(len(tbl.Columns)) {
		t.Errorf("ids %v, next %d", ids, tbl.NextColumnID)
	}
	alt := tbl.Clone()
	payloadID := alt.Column("payload").ID
	if err := alt.DropColumn("payload"); err != nil {
		t.Fatal(err)
	}
	if err := alt.AddColumn("payload", Native(KindText), false); err != nil {
		t.Fatal(err)
	}
	if id := alt.Column("payload").ID; id == payloadID || ids[id] {
		t.Errorf("re-added column got id %d (old %d)", id, payloadID)
	}
	if err := alt.AddColumn("aaa", Native(KindInt), true); err != nil {
		t.Fatal(err)
	}
	if err := alt.Validate(); err != nil {
		t.Errorf("altered table invalid: %v", err)
	}
	if alt.Columns[4].Name != "aaa" || tbl.Column("payload").Type.Kind != KindBlob || tbl.Column("aaa") != nil {
		t.Errorf("ALTER changed the original or misplaced the column: %v", alt.Columns)
	}
	if c := alt.ColumnByID(payloadID); c != nil {
		t.Errorf("ColumnByID(dropped id) = %v", c)
	}
	for _, tc := range []struct {
		err string
		do  func() error
	}{
		{"Column with name 'owner' already exists", func() error { return alt.AddColumn("owner", Native(KindInt), false) }},
		{"Cannot drop PRIMARY KEY column at", func() error { return alt.DropColumn("at") }},
		{"Column nope was not found in table events", func() error { return alt.DropColumn("nope") }},
		{"Cannot add a counter column (c) in a non counter column family", func() error { return alt.AddColumn("c", Native(KindCounter), false) }},
	} {
		if err := tc.do(); err == nil || err.(*Error).Msg != tc.err {
			t.Errorf("got %v, want %q", err, tc.err)
		}
	}
}

func TestNewTableErrors(t *testing.T) {
	base := func() TableDef {
		return TableDef{
			Keyspace: "ks", Name: "t",
			Columns:      []ColumnDef{col(t, "k", "int", false), col(t, "c", "int", false), col(t, "v", "text", false)},
			PartitionKey: []string{"k"},
			Clustering:   []string{"c"},
			Options:      DefaultTableOptions(),
		}
	}
	for _, tc := range []struct {
		change func(*TableDef)
		err    string
	}{
		{func(d *TableDef) { d.Columns = append(d.Columns, col(t, "v", "int", false)) }, "Duplicate column 'v' declaration for table 't'"},
		{func(d *TableDef) { d.PartitionKey = nil }, "No PRIMARY KEY specifed for table 't' (exactly one required)"},
		{func(d *TableDef) { d.PartitionKey = []string{"x"} }, "Unknown column 'x' referenced in PRIMARY KEY for table 't'"},
		{func(d *TableDef) { d.Clustering = []string{"k"} }, "Duplicate column 'k' in PRIMARY KEY clause for table 't'"},
		{func(d *TableDef) { d.Columns[1] = col(t, "c", "list<int>", false) }, "Invalid non-frozen collection type list<int> for PRIMARY KEY column 'c'"},
		{func(d *TableDef) { d.Columns[1] = col(t, "c", "frozen<list<int>>", false) }, ""},
		{func(d *TableDef) { d.Columns[1] = col(t, "c", "counter", false) }, "counter type is not supported for PRIMARY KEY column 'c'"},
		{func(d *TableDef) { d.Columns[1] = col(t, "c", "duration", false) }, "duration type is not supported for PRIMARY KEY column 'c'"},
		{func(d *TableDef) { d.Columns[1] = col(t, "c", "frozen<list<duration>>", false) }, "duration type is not supported for PRIMARY KEY column 'c'"},
		{func(d *TableDef) { d.Columns[0].Static = true }, "Static column 'k' cannot be part of the PRIMARY KEY"},
		{func(d *TableDef) { d.Columns[2].Static = true; d.Clustering = nil }, "Static columns are only useful (and thus allowed) if the table has at least one clustering column"},
		{func(d *TableDef) { d.Columns[2].Static = true }, ""},
		{func(d *TableDef) { d.Columns[2] = col(t, "v", "counter", false) }, ""},
		{func(d *TableDef) {
			d.Columns[2] = col(t, "v", "counter", false)
			d.Columns = append(d.Columns, col(t, "w", "int", false))
		}, "Cannot mix counter and non counter columns in the same table"},
		{func(d *TableDef) {
			d.Columns[2] = col(t, "v", "counter", false)
			d.Columns = append(d.Columns, col(t, "s", "text", true))
		}, "Cannot mix counter and non counter columns in the same table"},
		{func(d *TableDef) {
			d.Columns[2] = col(t, "v", "counter", false)
			d.Columns = append(d.Columns, col(t, "s", "counter", true))
		}, ""},
		{func(d *TableDef) { d.Columns[2] = col(t, "v", "counter", false); d.Options.DefaultTTL = 10 }, "Cannot set default_time_to_live on a table with counters"},
		{func(d *TableDef) { d.ClusteringOrder = []ClusteringOrder{{Name: "v"}} }, "Only clustering columns can be defined in CLUSTERING ORDER directive"},
		{func(d *TableDef) { d.ClusteringOrder = []ClusteringOrder{{Name: "c"}, {Name: "v"}} }, "Only clustering columns can be defined in CLUSTERING ORDER directive"},
		{func(d *TableDef) {
			d.Columns = append(d.Columns, col(t, "d", "int", false))
			d.Clustering = []string{"c", "d"}
			d.ClusteringOrder = []ClusteringOrder{{Name: "d"}, {Name: "c"}}
		}, "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (c must appear before d)"},
		{func(d *TableDef) {
			d.Columns = append(d.Columns, col(t, "d", "int", false))
			d.Clustering = []string{"c", "d"}
			d.ClusteringOrder = []ClusteringOrder{{Name: "d"}}
		}, "Missing CLUSTERING ORDER for column c"},
		{func(d *TableDef) { d.Name = "bad-name" }, "Table name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got 'bad-name')"},
		{func(d *TableDef) { d.Columns[2].Type = Type{Kind: KindList} }, "list takes exactly 1 type parameter"},
		{func(d *TableDef) { d.Options.GCGrace = -1 }, "gc_grace_seconds must be greater than or equal to 0 (got -1)"},
		{func(d *TableDef) { d.Options.DefaultTTL = MaxTTL + 1 }, "default_time_to_live must be less than or equal to 630720000 (got 630720001)"},
		{func(d *TableDef) { d.Options.BloomFilterFPChance = 0 }, "bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got 0)"},
	} {
		d := base()
		tc.change(&d)
		_, err := NewTable(d)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("NewTable: %v", err)
		case tc.err != "" && (err == nil || err.(*Error).Msg != tc.err):
			t.Errorf("NewTable error %v, want %q", err, tc.err)
		}
	}
}

func TestTableValidateCatchesCorruption(t *testing.T) {
	d := TableDef{
		Name:         "t",
		Columns:      []ColumnDef{col(t, "k", "int", false), col(t, "c", "int", false), col(t, "a", "int", false), col(t, "b", "int", false)},
		PartitionKey: []string{"k"}, Clustering: []string{"c"}, Options: DefaultTableOptions(),
	}
	for i, corrupt := range []func(*Table){
		func(t *Table) { t.Columns[3].ID = t.Columns[2].ID },
		func(t *Table) { t.NextColumnID = 2 },
		func(t *Table) { t.Columns[2], t.Columns[3] = t.Columns[3], t.Columns[2] },
		func(t *Table) { t.Columns[1].Position = 1 },
		func(t *Table) { t.Columns[2].Position = 0 },
		func(t *Table) { t.Columns[0], t.Columns[1] = t.Columns[1], t.Columns[0] },
		func(t *Table) { t.Columns = t.Columns[1:] },
		func(t *Table) { t.Columns[3].Name = "a" },
		func(t *Table) { t.Columns[1].Type = ListOf(Native(KindInt)) },
	} {
		tbl, err := NewTable(d)
		if err != nil {
			t.Fatal(err)
		}
		corrupt(tbl)
		if err := tbl.Validate(); err == nil {
			t.Errorf("corruption %d not detected", i)
		}
	}
}

func TestCounterTableAddColumn(t *testing.T) {
	tb, err := NewTable(TableDef{Keyspace: "ks", Name: "c",
		Columns:      []ColumnDef{col(t, "k", "int", false), col(t, "n", "counter", false)},
		PartitionKey: []string{"k"}, Options: DefaultTableOptions()})
	if err != nil {
		t.Fatal(err)
	}
	if !tb.IsCounter() {
		t.Fatal("IsCounter: false")
	}
	if err := tb.AddColumn("m", Native(KindCounter), false); err != nil {
		t.Errorf("adding a counter to a counter table: %v", err)
	}
	const want = "Cannot add a non counter column (v) in a counter column family"
	if err := tb.AddColumn("v", Native(KindInt), false); err == nil || err.(*Error).Msg != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
