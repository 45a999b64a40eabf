package catalog

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"wcdb/schema"
)

// Secondary indexes in the schema: rows of system_schema.indexes, as
// Cassandra 5 keeps them (kind COMPOSITES or CUSTOM; options with
// "target" and, for a custom index, "class_name"), loaded into
// schema.Table.Indexes.

// SAIClass is the class name Cassandra records for a storage-attached index.
const SAIClass = "org.apache.cassandra.index.sai.StorageAttachedIndex"

// AddIndex writes the system_schema.indexes row of index ix of t.
func (b *Batch) AddIndex(t *schema.Table, ix schema.Index) {
	opts := make([]schema.MapEntry, 0, len(ix.Options))
	for _, k := range slices.Sorted(maps.Keys(ix.Options)) {
		opts = append(opts, schema.MapEntry{Key: k, Value: ix.Options[k]})
	}
	b.Upsert(sysTab.indexesTables, []any{t.Keyspace, t.Name, ix.Name}, map[string]any{
		"kind":    ix.Kind,
		"options": opts,
	}, true)
}

// DeleteIndex deletes the system_schema.indexes row of t's index name.
func (b *Batch) DeleteIndex(t *schema.Table, name string) {
	b.DeleteRow(sysTab.indexesTables, []any{t.Keyspace, t.Name, name})
}

// indexesFromRows reads a table's rows of system_schema.indexes, by name.
func indexesFromRows(rows []Row) []schema.Index {
	var out []schema.Index
	for _, r := range rows {
		out = append(out, schema.Index{Name: r.Text("index_name"), Kind: r.Text("kind"), Options: r.TextMap("options")})
	}
	slices.SortFunc(out, func(a, b schema.Index) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FindIndex returns the table of keyspace ks holding index name, and the
// index; nil if none. Index names are unique within a keyspace.
func (c *Catalog) FindIndex(ks, name string) (*schema.Table, *schema.Index) {
	for _, t := range c.Tables(ks) {
		for i := range t.Indexes {
			if t.Indexes[i].Name == name {
				return t, &t.Indexes[i]
			}
		}
	}
	return nil, nil
}

var nonWord = regexp.MustCompile(`\W`)

// DefaultIndexName is the name CREATE INDEX gives an unnamed index on
// column of table: table_column_idx, without non-word characters, with
// _1, _2, ... appended while the keyspace has one of that name
// (Cassandra's IndexMetadata.generateDefaultIndexName,
// KeyspaceMetadata.findAvailableIndexName).
func (c *Catalog) DefaultIndexName(ks, table, column string) string {
	base := nonWord.ReplaceAllString(table+"_"+column+"_idx", "")
	name := base
	for i := 1; ; i++ {
		if t, _ := c.FindIndex(ks, name); t == nil {
			return name
		}
		name = base + "_" + strconv.Itoa(i)
	}
}
