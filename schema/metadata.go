package schema

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"wcdb/mutation"
	"wcdb/schema/versions"
)

// Keyspace is a keyspace definition.
type Keyspace struct {
	Name string
	// Replication holds "class" (the full class name) and the
	// strategy's options.
	Replication   map[string]string
	DurableWrites bool
}

// Replication strategy class names, as system_schema.keyspaces shows them.
const (
	SimpleStrategy          = "org.apache.cassandra.locator.SimpleStrategy"
	NetworkTopologyStrategy = "org.apache.cassandra.locator.NetworkTopologyStrategy"
	LocalStrategy           = "org.apache.cassandra.locator.LocalStrategy"
)

// MaxNameLength is the longest keyspace or table name.
const MaxNameLength = 48

// ValidName reports whether name is a legal keyspace or table name (what,
// "Keyspace" or "Table", goes into the message): 1 to 48 letters, digits
// and underscores.
func ValidName(what, name string) error {
	ok := name != "" && len(name) <= MaxNameLength
	for i := 0; ok && i < len(name); i++ {
		ok = isIdentChar(name[i])
	}
	if !ok {
		return invalidf("%s name must not be empty, more than %d characters long, or contain non-alphanumeric-underscore characters (got '%s')", what, MaxNameLength, name)
	}
	return nil
}

// ColumnKind is the role of a column in its table.
type ColumnKind uint8

// Column kinds, in the order SELECT * lists them.
const (
	PartitionKeyColumn ColumnKind = iota
	ClusteringColumn
	StaticColumn
	RegularColumn
)

// String returns the kind as system_schema.columns.kind shows it.
func (k ColumnKind) String() string {
	switch k {
	case PartitionKeyColumn:
		return "partition_key"
	case ClusteringColumn:
		return "clustering"
	case StaticColumn:
		return "static"
	case RegularColumn:
		return "regular"
	}
	return fmt.Sprintf("ColumnKind(%d)", uint8(k))
}

// Column is a column of a table.
type Column struct {
	Name string
	Type Type
	Kind ColumnKind
	// Position is the column's index in the partition key or among the
	// clustering columns; -1 for static and regular columns.
	Position int
	// Desc is set for a clustering column in descending order.
	Desc bool
	// ID is the column's number in mutation.Cell.Column. It is assigned when
	// the column is created and never reused within the table, so data of a
	// dropped column cannot reappear under a new column of the same name.
	ID uint32
}

// TableOptions are the table options of CREATE and ALTER TABLE ... WITH.
type TableOptions struct {
	// DefaultTTL is default_time_to_live in seconds; 0 for none.
	DefaultTTL int32
	// GCGrace is gc_grace_seconds.
	GCGrace int32
	// Compaction holds "class" and the strategy's options.
	Compaction map[string]string
	// Compression holds "class" and "chunk_length_in_kb", or "enabled":
	// "false".
	Compression map[string]string
	// BloomFilterFPChance is bloom_filter_fp_chance.
	BloomFilterFPChance float64
	Comment             string
	// TombstoneGC is tombstone_gc's mode (ScyllaDB's option): "timeout"
	// (tombstones go after gc_grace_seconds, Cassandra's rule), "repair"
	// (once a repair has covered them), "disabled" (never), "immediate".
	TombstoneGC string
	// PropagationDelay is propagation_delay_in_seconds: in repair mode, a
	// tombstone goes only if a repair that started this long after it
	// succeeded (writes and hints in flight).
	PropagationDelay int32
	// CellVersions is cell_versions (Bigtable's cell versions, package
	// versions); the zero rule is last write wins.
	CellVersions versions.Rule
}

// Option defaults, as Cassandra's.
const (
	DefaultGCGrace             = 864000
	DefaultTombstoneGC         = "timeout"
	DefaultPropagationDelay    = 3600
	DefaultBloomFilterFPChance = 0.01
	// MaxTTL is the largest TTL Cassandra accepts: 20 years.
	MaxTTL = 630720000
)

// DefaultTableOptions returns Cassandra's defaults: no default TTL,
// gc_grace_seconds 864000 (10 days), size-tiered compaction, LZ4 compression
// in 16 KiB chunks, bloom filter false-positive chance 0.01.
func DefaultTableOptions() TableOptions {
	return TableOptions{
		GCGrace: DefaultGCGrace,
		Compaction: map[string]string{
			"class":         "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
			"max_threshold": "32",
			"min_threshold": "4",
		},
		Compression: map[string]string{
			"class":              "org.apache.cassandra.io.compress.LZ4Compressor",
			"chunk_length_in_kb": "16",
		},
		BloomFilterFPChance: DefaultBloomFilterFPChance,
		TombstoneGC:         DefaultTombstoneGC,
		PropagationDelay:    DefaultPropagationDelay,
	}
}

// TombstoneGCModes are tombstone_gc's modes.
var TombstoneGCModes = []string{"timeout", "repair", "disabled", "immediate"}

// Validate checks the options' ranges with Cassandra's messages.
func (o *TableOptions) Validate() error {
	switch {
	case o.DefaultTTL < 0:
		return configf("default_time_to_live must be greater than or equal to 0 (got %d)", o.DefaultTTL)
	case o.DefaultTTL > MaxTTL:
		return configf("default_time_to_live must be less than or equal to %d (got %d)", MaxTTL, o.DefaultTTL)
	case o.GCGrace < 0:
		return configf("gc_grace_seconds must be greater than or equal to 0 (got %d)", o.GCGrace)
	case o.TombstoneGC != "" && !slices.Contains(TombstoneGCModes, o.TombstoneGC):
		return configf("Invalid tombstone_gc mode: %s (one of %s)", o.TombstoneGC, strings.Join(TombstoneGCModes, ", "))
	case o.PropagationDelay < 0:
		return configf("propagation_delay_in_seconds must be greater than or equal to 0 (got %d)", o.PropagationDelay)
	case !(o.BloomFilterFPChance > 0 && o.BloomFilterFPChance <= 1):
		return configf("bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got %v)", o.BloomFilterFPChance)
	}
	return nil
}

func (o TableOptions) clone() TableOptions {
	o.Compaction = maps.Clone(o.Compaction)
	o.Compression = maps.Clone(o.Compression)
	return o
}

// Table is a table definition.
type Table struct {
	Keyspace, Name string
	ID             mutation.TableID
	// Columns in SELECT * order: the partition key columns, the clustering
	// columns (both by position), then static and then regular columns, each
	// by name.
	Columns []Column
	// NextColumnID is the ID the next added column gets.
	NextColumnID uint32
	TableOptions
	// Indexes are the table's secondary indexes, by name.
	Indexes []Index
}

// Index is a secondary index as system_schema.indexes records it.
type Index struct {
	Name string
	// Kind is COMPOSITES (CREATE INDEX) or CUSTOM (a USING class).
	Kind string
	// Options holds "target" (the column, or keys(c), values(c),
	// entries(c), full(c)) and for a custom index "class_name".
	Options map[string]string
}

// ColumnDef is a column as declared in CREATE TABLE.
type ColumnDef struct {
	Name   string
	Type   Type
	Static bool
}

// ClusteringOrder is one entry of WITH CLUSTERING ORDER BY.
type ClusteringOrder struct {
	Name string
	Desc bool
}

// TableDef is what CREATE TABLE says: the columns as declared, the primary
// key, the clustering order and the options (start from
// DefaultTableOptions).
type TableDef struct {
	Keyspace, Name  string
	ID              mutation.TableID
	Columns         []ColumnDef
	PartitionKey    []string
	Clustering      []string
	ClusteringOrder []ClusteringOrder
	Options         TableOptions
}

// NewTable builds a table from its definition with Cassandra's checks and
// messages: columns declared once, a primary key of declared columns each
// named once, no non-frozen collection, counter or duration in the primary
// key, static columns only with clustering columns and not in the key, a
// clustering order that names the clustering columns in order, counter
// columns only in a table whose non-key columns all are counters, and no
// default_time_to_live on such a table. Column IDs are assigned 0, 1, ...
// in Columns order.
func NewTable(def TableDef) (*Table, error) {
	if err := ValidName("Table", def.Name); err != nil {
		return nil, err
	}
	declared := make(map[string]ColumnDef, len(def.Columns))
	for _, c := range def.Columns {
		if _, dup := declared[c.Name]; dup {
			return nil, invalidf("Duplicate column '%s' declaration for table '%s'", c.Name, def.Name)
		}
		if err := c.Type.Check(); err != nil {
			return nil, err
		}
		declared[c.Name] = c
	}
	if len(def.PartitionKey) == 0 {
		return nil, invalidf("No PRIMARY KEY specifed for table '%s' (exactly one required)", def.Name)
	}
	inKey := map[string]bool{}
	for _, name := range slices.Concat(def.PartitionKey, def.Clustering) {
		c, ok := declared[name]
		if !ok {
			return nil, invalidf("Unknown column '%s' referenced in PRIMARY KEY for table '%s'", name, def.Name)
		}
		if inKey[name] {
			return nil, invalidf("Duplicate column '%s' in PRIMARY KEY clause for table '%s'", name, def.Name)
		}
		inKey[name] = true
		switch {
		case c.Type.IsMultiCell() && c.Type.Kind == KindUDT:
			return nil, invalidf("Invalid non-frozen user-defined type %s for PRIMARY KEY column '%s'", c.Type, name)
		case c.Type.IsMultiCell():
			return nil, invalidf("Invalid non-frozen collection type %s for PRIMARY KEY column '%s'", c.Type, name)
		case c.Type.Kind == KindCounter:
			return nil, invalidf("counter type is not supported for PRIMARY KEY column '%s'", name)
		case c.Type.References(KindDuration):
			return nil, invalidf("duration type is not supported for PRIMARY KEY column '%s'", name)
		case c.Static:
			return nil, invalidf("Static column '%s' cannot be part of the PRIMARY KEY", name)
		}
	}
	if len(def.ClusteringOrder) > len(def.Clustering) {
		return nil, invalidf("Only clustering columns can be defined in CLUSTERING ORDER directive")
	}
	desc := map[string]bool{}
	for i, o := range def.ClusteringOrder {
		if c := def.Clustering[i]; o.Name != c {
			if slices.ContainsFunc(def.ClusteringOrder, func(x ClusteringOrder) bool { return x.Name == c }) {
				return nil, invalidf("The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (%s must appear before %s)", c, o.Name)
			}
			if !slices.Contains(def.Clustering, o.Name) {
				return nil, invalidf("Only clustering columns can be defined in CLUSTERING ORDER directive")
			}
			return nil, invalidf("Missing CLUSTERING ORDER for column %s", c)
		}
		desc[o.Name] = o.Desc
	}
	var statics, regulars []ColumnDef
	for _, c := range def.Columns {
		if inKey[c.Name] {
			continue
		}
		if c.Static {
			statics = append(statics, c)
		} else {
			regulars = append(regulars, c)
		}
	}
	if len(def.Clustering) == 0 && len(statics) > 0 {
		return nil, invalidf("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
	}
	byName := func(a, b ColumnDef) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(statics, byName)
	slices.SortFunc(regulars, byName)

	t := &Table{Keyspace: def.Keyspace, Name: def.Name, ID: def.ID, TableOptions: def.Options.clone()}
	add := func(c ColumnDef, kind ColumnKind, pos int) {
		t.Columns = append(t.Columns, Column{
			Name: c.Name, Type: c.Type, Kind: kind, Position: pos, Desc: desc[c.Name] && kind == ClusteringColumn, ID: t.NextColumnID,
		})
		t.NextColumnID++
	}
	for i, name := range def.PartitionKey {
		add(declared[name], PartitionKeyColumn, i)
	}
	for i, name := range def.Clustering {
		add(declared[name], ClusteringColumn, i)
	}
	for _, c := range statics {
		add(c, StaticColumn, -1)
	}
	for _, c := range regulars {
		add(c, RegularColumn, -1)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Validate checks the table's invariants: a legal name, at least one
// partition key column, columns in SELECT * order with consistent kinds and
// positions, unique names, unique IDs below NextColumnID, well-formed
// types, and the options' ranges.
func (t *Table) Validate() error {
	if err := ValidName("Table", t.Name); err != nil {
		return err
	}
	names := map[string]bool{}
	ids := map[uint32]bool{}
	var nKey, nClust int
	for i, c := range t.Columns {
		if c.Name == "" {
			return invalidf("column %d of table %s has no name", i, t.Name)
		}
		if names[c.Name] {
			return invalidf("Duplicate column '%s' declaration for table '%s'", c.Name, t.Name)
		}
		names[c.Name] = true
		if ids[c.ID] || c.ID >= t.NextColumnID {
			return invalidf("column %s of table %s has a bad id %d", c.Name, t.Name, c.ID)
		}
		ids[c.ID] = true
		if err := c.Type.Check(); err != nil {
			return err
		}
		if i > 0 && c.Kind < t.Columns[i-1].Kind {
			return invalidf("columns of table %s are out of order", t.Name)
		}
		switch c.Kind {
		case PartitionKeyColumn, ClusteringColumn:
			n := &nKey
			if c.Kind == ClusteringColumn {
				n = &nClust
			}
			if c.Position != *n {
				return invalidf("column %s of table %s has position %d, want %d", c.Name, t.Name, c.Position, *n)
			}
			*n++
			if c.Type.IsMultiCell() || c.Type.Kind == KindCounter || c.Type.References(KindDuration) {
				return invalidf("Invalid type %s for PRIMARY KEY column '%s'", c.Type, c.Name)
			}
		case StaticColumn, RegularColumn:
			if c.Position != -1 {
				return invalidf("column %s of table %s has position %d, want -1", c.Name, t.Name, c.Position)
			}
			if i > 0 && c.Kind == t.Columns[i-1].Kind && c.Name < t.Columns[i-1].Name {
				return invalidf("columns of table %s are out of order", t.Name)
			}
			if c.Kind == StaticColumn && nClust == 0 {
				return invalidf("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
			}
		default:
			return invalidf("column %s of table %s has an invalid kind %d", c.Name, t.Name, c.Kind)
		}
	}
	if nKey == 0 {
		return invalidf("No PRIMARY KEY specifed for table '%s' (exactly one required)", t.Name)
	}
	if err := t.checkCounters(); err != nil {
		return err
	}
	return t.TableOptions.Validate()
}

// IsCounter reports whether t is a counter table: its non-key columns are
// counters (and there is at least one).
func (t *Table) IsCounter() bool {
	for _, c := range t.Columns {
		if c.Type.Kind == KindCounter {
			return true
		}
	}
	return false
}

// checkCounters checks Cassandra's rules of counter tables: counters and
// other non-key columns do not mix, and rows cannot expire.
func (t *Table) checkCounters() error {
	if !t.IsCounter() {
		return nil
	}
	for _, c := range t.Columns {
		if (c.Kind == RegularColumn || c.Kind == StaticColumn) && c.Type.Kind != KindCounter {
			return invalidf("Cannot mix counter and non counter columns in the same table")
		}
	}
	return t.CheckCounterOptions()
}

// CheckCounterOptions refuses the options a counter table cannot have
// (ALTER TABLE WITH checks them too).
func (t *Table) CheckCounterOptions() error {
	if t.IsCounter() && t.DefaultTTL != 0 {
		return invalidf("Cannot set default_time_to_live on a table with counters")
	}
	if t.IsCounter() && t.CellVersions.Enabled() {
		return invalidf("Cannot set cell_versions on a table with counters")
	}
	return nil
}

// Versioned reports whether c keeps cell versions (cell_versions; package
// versions): a regular column of a versioned table, not a non-frozen
// collection (whose elements keep Cassandra's semantics).
func (t *Table) Versioned(c *Column) bool {
	return t.CellVersions.Enabled() && c.Kind == RegularColumn && !c.Type.IsMultiCell() && c.Type.Kind != KindCounter
}

// Clone returns a deep copy of t, for ALTER TABLE to change.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = slices.Clone(t.Columns)
	for i := range c.Columns {
		c.Columns[i].Type = cloneType(c.Columns[i].Type)
	}
	c.TableOptions = t.TableOptions.clone()
	c.Indexes = slices.Clone(t.Indexes)
	return &c
}

func cloneType(t Type) Type {
	if t.Elems != nil {
		elems := make([]Type, len(t.Elems))
		for i, e := range t.Elems {
			elems[i] = cloneType(e)
		}
		t.Elems = elems
	}
	return t
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// ColumnByID returns the column whose ID is id, or nil.
func (t *Table) ColumnByID(id uint32) *Column {
	for i := range t.Columns {
		if t.Columns[i].ID == id {
			return &t.Columns[i]
		}
	}
	return nil
}

// columnsOfKind returns the columns of kind k (they are contiguous).
func (t *Table) columnsOfKind(k ColumnKind) []Column {
	lo := sort.Search(len(t.Columns), func(i int) bool { return t.Columns[i].Kind >= k })
	hi := sort.Search(len(t.Columns), func(i int) bool { return t.Columns[i].Kind > k })
	return t.Columns[lo:hi]
}

// PartitionKey returns the partition key columns, in key order (a slice of
// Columns, not a copy).
func (t *Table) PartitionKey() []Column { return t.columnsOfKind(PartitionKeyColumn) }

// Clustering returns the clustering columns, in clustering order (a slice
// of Columns, not a copy).
func (t *Table) Clustering() []Column { return t.columnsOfKind(ClusteringColumn) }

// ClusteringTypes returns the types and descending flags of the clustering
// columns, as ClusteringKey and SplitClustering take them.
func (t *Table) ClusteringTypes() (types []Type, desc []bool) {
	for _, c := range t.Clustering() {
		types = append(types, c.Type)
		desc = append(desc, c.Desc)
	}
	return types, desc
}

// HasStatic reports whether the table has static columns.
func (t *Table) HasStatic() bool { return len(t.columnsOfKind(StaticColumn)) > 0 }

// AddColumn adds a regular or static column, as ALTER TABLE ADD, with a new
// ID.
func (t *Table) AddColumn(name string, typ Type, static bool) error {
	if t.Column(name) != nil {
		return invalidf("Column with name '%s' already exists", name)
	}
	if err := typ.Check(); err != nil {
		return err
	}
	if counter := typ.Kind == KindCounter; counter != t.IsCounter() {
		if counter {
			return invalidf("Cannot add a counter column (%s) in a non counter column family", name)
		}
		return invalidf("Cannot add a non counter column (%s) in a counter column family", name)
	}
	if static && len(t.Clustering()) == 0 {
		return invalidf("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
	}
	kind := RegularColumn
	if static {
		kind = StaticColumn
	}
	c := Column{Name: name, Type: typ, Kind: kind, Position: -1, ID: t.NextColumnID}
	t.NextColumnID++
	i := sort.Search(len(t.Columns), func(i int) bool {
		o := t.Columns[i]
		return o.Kind > kind || o.Kind == kind && o.Name > name
	})
	t.Columns = slices.Insert(t.Columns, i, c)
	return nil
}

// DropColumn removes a regular or static column, as ALTER TABLE DROP. Its
// ID is not reused.
func (t *Table) DropColumn(name string) error {
	i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return invalidf("Column %s was not found in table %s", name, t.Name)
	}
	if k := t.Columns[i].Kind; k == PartitionKeyColumn || k == ClusteringColumn {
		return invalidf("Cannot drop PRIMARY KEY column %s", name)
	}
	t.Columns = slices.Delete(t.Columns, i, i+1)
	return nil
}
