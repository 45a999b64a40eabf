package ddl

// CREATE INDEX and DROP INDEX (docs/INDEXES.md): the table with its new
// list of indexes and the system_schema.indexes row that records the
// change. Storage (the backend's AlterTable) then indexes the memtables
// and builds the SSTables' components in the background.

import (
	"slices"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/catalog"
	"wcdb/query/qerr"
	"wcdb/schema"
	"wcdb/schema/indexing"
)

// saiClasses are the names USING accepts for a storage-attached index.
var saiClasses = []string{"sai", "storageattachedindex", strings.ToLower(catalog.SAIClass)}

// IndexChange is what CREATE INDEX or DROP INDEX changes.
type IndexChange struct {
	Table *schema.Table
	Batch *catalog.Batch
}

// CreateIndex computes CREATE INDEX st in keyspace ks of catalog c at
// timestamp ts, with Cassandra's checks and messages
// (CreateIndexStatement). A nil change (and nil error) is a no-op: IF NOT
// EXISTS matched an index.
func CreateIndex(c *catalog.Catalog, ks string, st *ast.CreateIndexStmt, ts int64) (*IndexChange, error) {
	if c.Keyspace(ks) == nil {
		return nil, qerr.Invalidf("Keyspace '%s' doesn't exist", ks)
	}
	old := c.Table(ks, st.Table.Name)
	if old == nil {
		return nil, qerr.Invalidf("Table '%s' doesn't exist", st.Table.Name)
	}
	if st.Name != "" {
		if !indexing.ValidName(st.Name) {
			return nil, qerr.Configf("Index name must not be empty, or contain non-alphanumeric-underscore characters (got \"%s\")", st.Name)
		}
		if t, _ := c.FindIndex(ks, st.Name); t != nil {
			if st.IfNotExists {
				return nil, nil
			}
			return nil, qerr.Invalidf("Index '%s' already exists", st.Name)
		}
	}
	if old.IsCounter() {
		return nil, qerr.Invalidf("Secondary indexes on counter tables aren't supported")
	}
	custom := st.Custom || st.Using != ""
	switch {
	case st.Using == "" && st.Custom:
		return nil, qerr.Invalidf("CUSTOM index requires specifying the index class")
	case st.Using == "":
	case slices.Contains(saiClasses, strings.ToLower(st.Using)):
		// A storage-attached index.
	case strings.EqualFold(st.Using, "legacy_local_table"):
		custom = false
	default:
		return nil, qerr.Invalidf("Unable to find custom indexer class '%s'", st.Using)
	}
	options, err := indexOptions(st, custom)
	if err != nil {
		return nil, err
	}
	switch len(st.Targets) {
	case 0:
		return nil, qerr.Invalidf("Only CUSTOM indexes can be created without specifying a target column")
	case 1:
	default:
		if !custom {
			return nil, qerr.Invalidf("Only CUSTOM indexes support multiple columns")
		}
		return nil, qerr.Invalidf("Storage-attached indexes support a single column each")
	}
	tg := indexing.Target{Column: st.Targets[0].Column, Kind: st.Targets[0].Kind}
	if col := old.Column(tg.Column); col != nil && tg.Kind == indexing.Simple && col.Type.IsMultiCell() {
		tg.Kind = indexing.Values // as Cassandra's IndexTarget.Raw.simpleIndexOn
	}
	if msg := indexing.Check(old, tg); msg != "" {
		return nil, qerr.Invalidf("%s", msg)
	}
	name := st.Name
	if name == "" {
		name = c.DefaultIndexName(ks, old.Name, tg.Column)
	}
	ix := schema.Index{Name: name, Kind: "COMPOSITES", Options: map[string]string{"target": tg.String()}}
	if custom {
		ix.Kind = "CUSTOM"
		ix.Options["class_name"] = catalog.SAIClass
		for k, v := range options {
			ix.Options[k] = v
		}
	}
	for _, o := range old.Indexes {
		if o.Kind == ix.Kind && o.Options["target"] == ix.Options["target"] && o.Options["class_name"] == ix.Options["class_name"] {
			if st.IfNotExists {
				return nil, nil
			}
			return nil, qerr.Invalidf("Index %s is a duplicate of existing index %s", name, o.Name)
		}
	}
	t := old.Clone()
	t.Indexes = append(t.Indexes, ix)
	slices.SortFunc(t.Indexes, func(a, b schema.Index) int { return strings.Compare(a.Name, b.Name) })
	b := catalog.NewBatch(ts)
	b.AddIndex(t, ix)
	return &IndexChange{Table: t, Batch: b}, nil
}

// indexOptions reads WITH OPTIONS = {...}: SAI's analyzer options, of
// which only the settings wcdb's exact comparison amounts to are taken.
func indexOptions(st *ast.CreateIndexStmt, custom bool) (map[string]string, error) {
	options := map[string]string{}
	for _, prop := range st.Properties {
		if !strings.EqualFold(prop.Name, "options") {
			return nil, qerr.Syntaxf("Unknown property '%s'", prop.Name)
		}
		m, ok := prop.Value.(*ast.MapLit)
		if !ok || !custom {
			return nil, qerr.Invalidf("Cannot specify options for a non-CUSTOM index")
		}
		for _, e := range m.Entries {
			options[strings.ToLower(catalog.PropText(e.Key))] = catalog.PropText(e.Value)
		}
	}
	for k, v := range options {
		switch {
		case k == "target" || k == "class_name":
			return nil, qerr.Invalidf("Cannot specify %s as a CUSTOM option", k)
		case k == "case_sensitive" && strings.EqualFold(v, "true"), (k == "normalize" || k == "ascii") && strings.EqualFold(v, "false"):
		default:
			return nil, qerr.Invalidf("Unsupported SAI option %s = '%s' (wcdb's SAI compares values exactly)", k, v)
		}
	}
	return options, nil
}

// DropIndex computes DROP INDEX st in keyspace ks of catalog c at
// timestamp ts. A nil change (and nil error) is a no-op: IF EXISTS
// matched nothing.
func DropIndex(c *catalog.Catalog, ks string, st *ast.DropIndexStmt, ts int64) (*IndexChange, error) {
	old, _ := c.FindIndex(ks, st.Name)
	if old == nil {
		if st.IfExists {
			return nil, nil
		}
		// The stray quote is Cassandra's.
		return nil, qerr.Invalidf("Index '%s.%s' doesn't exist'", ks, st.Name)
	}
	t := old.Clone()
	t.Indexes = slices.DeleteFunc(t.Indexes, func(ix schema.Index) bool { return ix.Name == st.Name })
	b := catalog.NewBatch(ts)
	b.DeleteIndex(t, st.Name)
	return &IndexChange{Table: t, Batch: b}, nil
}

// checkNoDependentIndexes refuses to drop an indexed column, as Cassandra.
func checkNoDependentIndexes(t *schema.Table, column string) error {
	var names []string
	for _, ix := range t.Indexes {
		if indexing.ParseTarget(ix.Options["target"]).Column == column {
			names = append(names, ix.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return qerr.Invalidf("Cannot drop column %s because it has dependent secondary indexes (%s)", column, strings.Join(names, ", "))
}
