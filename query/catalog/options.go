package catalog

// This file holds the WITH options of CREATE/ALTER KEYSPACE and TABLE:
// reading the parser's properties with Cassandra's rules and messages
// (PropertyDefinitions, TableAttributes, KeyspaceAttributes), normalizing
// compaction, compression and caching maps as Cassandra stores them, and
// the table options schema.TableOptions does not carry (Params).

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"wcdb/query/ast"
	"wcdb/query/catalog/tableopts"
	"wcdb/query/funcs"
	"wcdb/query/qerr"
	"wcdb/schema"
	"wcdb/schema/versions"
)

// Params are a table's options beyond schema.TableOptions: accepted,
// stored in system_schema.tables and printed by DESCRIBE so that a
// Cassandra schema re-runs, but without effect on wcdb's storage. It also
// records the table's dropped columns (system_schema.dropped_columns). A
// Params is immutable once in the catalog: changes copy it (Clone).
type Params struct {
	Caching               map[string]string // keys, rows_per_partition
	CDC                   bool
	CRCCheckChance        float64
	MemtableFlushPeriodMs int32
	MinIndexInterval      int32
	MaxIndexInterval      int32
	SpeculativeRetry      string
	AdditionalWritePolicy string
	ReadRepair            string
	Extensions            map[string][]byte
	// Dropped are the dropped columns, sorted by name; a column dropped
	// twice keeps its last drop.
	Dropped []DroppedColumn
}

// DroppedColumn is a column ALTER TABLE DROP removed.
type DroppedColumn struct {
	Name string
	Type schema.Type
	Kind schema.ColumnKind // StaticColumn or RegularColumn
	// Time is the drop's timestamp in microseconds (USING TIMESTAMP, or
	// the statement's).
	Time int64
}

// Defaults of the options in Params, as Cassandra 4.0's.
const (
	defaultCRCCheckChance   = 1.0
	defaultMinIndexInterval = 128
	defaultMaxIndexInterval = 2048
	defaultSpeculativeRetry = "99p"
	defaultReadRepair       = "BLOCKING"
)

func defaultTableParams() *Params {
	return &Params{
		Caching:               map[string]string{"keys": "ALL", "rows_per_partition": "NONE"},
		CRCCheckChance:        defaultCRCCheckChance,
		MinIndexInterval:      defaultMinIndexInterval,
		MaxIndexInterval:      defaultMaxIndexInterval,
		SpeculativeRetry:      defaultSpeculativeRetry,
		AdditionalWritePolicy: defaultSpeculativeRetry,
		ReadRepair:            defaultReadRepair,
		Extensions:            map[string][]byte{},
	}
}

// Clone returns a copy of p to change.
func (p *Params) Clone() *Params {
	c := *p
	c.Caching = maps.Clone(p.Caching)
	c.Extensions = maps.Clone(p.Extensions)
	c.Dropped = slices.Clone(p.Dropped)
	return &c
}

// AddDropped records the drop of column c at time (microseconds), its user
// types expanded to tuples (ExpandUDTs), as system_schema records it.
func (p *Params) AddDropped(c *schema.Column, time int64) {
	p.Dropped = slices.DeleteFunc(p.Dropped, func(d DroppedColumn) bool { return d.Name == c.Name })
	p.Dropped = append(p.Dropped, DroppedColumn{Name: c.Name, Type: ExpandUDTs(c.Type), Kind: c.Kind, Time: time})
	sort.Slice(p.Dropped, func(i, j int) bool { return p.Dropped[i].Name < p.Dropped[j].Name })
}

// ddlProps are the properties of a WITH clause: a string for a constant
// (its text as written), a map[string]string for a map literal.
type ddlProps map[string]any

func newDDLProps(ps []ast.Property) ddlProps {
	out := ddlProps{}
	for _, p := range ps {
		switch v := p.Value.(type) {
		case *ast.Constant:
			out[p.Name] = v.Text
		case *ast.MapLit:
			m := make(map[string]string, len(v.Entries))
			for _, e := range v.Entries {
				m[PropText(e.Key)] = PropText(e.Value)
			}
			out[p.Name] = m
		case *ast.EmptyCollection:
			out[p.Name] = map[string]string{}
		default:
			out[p.Name] = p.Value.String()
		}
	}
	return out
}

// PropText is the text of a property value as written: a constant's
// text, else the term printed.
func PropText(t ast.Term) string {
	if c, ok := t.(*ast.Constant); ok {
		return c.Text
	}
	return t.String()
}

// check refuses a property not in valid: "Unknown property 'x'" (the
// first in name order, for a deterministic message).
func (p ddlProps) check(valid ...string) error {
	names := slices.Sorted(maps.Keys(p))
	for _, n := range names {
		if !slices.Contains(valid, n) {
			return qerr.Syntaxf("Unknown property '%s'", n)
		}
	}
	return nil
}

func (p ddlProps) has(name string) bool { _, ok := p[name]; return ok }

func (p ddlProps) simple(name string) (string, bool, error) {
	v, ok := p[name]
	if !ok {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", true, qerr.Syntaxf("Invalid value for property '%s'. It should be a string", name)
	}
	return s, true, nil
}

func (p ddlProps) mapValue(name string) (map[string]string, bool, error) {
	v, ok := p[name]
	if !ok {
		return nil, false, nil
	}
	m, isMap := v.(map[string]string)
	if !isMap {
		return nil, true, qerr.Syntaxf("Invalid value for property '%s'. It should be a map.", name)
	}
	return m, true, nil
}

func (p ddlProps) int32(name string, dst *int32) error {
	s, ok, err := p.simple(name)
	if !ok || err != nil {
		return err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if perr != nil {
		return qerr.Syntaxf("Invalid integer value %s for '%s'", s, name)
	}
	*dst = int32(n)
	return nil
}

func (p ddlProps) double(name string, dst *float64) error {
	s, ok, err := p.simple(name)
	if !ok || err != nil {
		return err
	}
	f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if perr != nil {
		return qerr.Syntaxf("Invalid double value %s for '%s'", s, name)
	}
	*dst = f
	return nil
}

func (p ddlProps) boolean(name string, dst *bool) error {
	s, ok, err := p.simple(name)
	if !ok || err != nil {
		return err
	}
	b, perr := parseDDLBool(name, s)
	if perr != nil {
		return perr
	}
	*dst = b
	return nil
}

// parseDDLBool reads a boolean property as Cassandra's
// PropertyDefinitions.parseBoolean.
func parseDDLBool(name, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		return true, nil
	case "0", "false", "no":
		return false, nil
	}
	return false, qerr.Syntaxf("Invalid boolean value %s for '%s'. Positive values can be '1', 'true' or 'yes'. Negative values can be '0', 'false' or 'no'.", s, name)
}

// Keyspace properties.

var keyspaceKeywords = []string{"replication", "durable_writes"}

// KeyspaceProps are the parsed options of CREATE or ALTER KEYSPACE;
// replication is nil when not given.
type KeyspaceProps struct {
	Replication   map[string]string
	DurableWrites *bool
}

// ParseKeyspaceProps reads the WITH options of CREATE or ALTER KEYSPACE.
func ParseKeyspaceProps(ps []ast.Property) (KeyspaceProps, error) {
	var out KeyspaceProps
	p := newDDLProps(ps)
	if err := p.check(keyspaceKeywords...); err != nil {
		return out, err
	}
	m, ok, err := p.mapValue("replication")
	if err != nil {
		return out, err
	}
	if ok {
		out.Replication = m
	}
	if p.has("durable_writes") {
		var b bool
		if err := p.boolean("durable_writes", &b); err != nil {
			return out, err
		}
		out.DurableWrites = &b
	}
	return out, nil
}

// NormalizeReplication validates and completes replication options for
// keyspace ks, as Cassandra 4.0: the class in full, and for
// NetworkTopologyStrategy the replication_factor shorthand expanded to
// every known datacenter (dcs) not named explicitly (and to those of
// previous, for ALTER), and every datacenter checked to be known.
func NormalizeReplication(ks string, opts map[string]string, dcs []string, previous map[string]string) (map[string]string, error) {
	out, err := normalizeStrategy(ks, opts)
	if err != nil {
		return nil, err
	}
	if out["class"] != schema.NetworkTopologyStrategy {
		return out, nil
	}
	if rf, ok := out["replication_factor"]; ok {
		delete(out, "replication_factor")
		all := slices.Clone(dcs)
		for k := range previous {
			if k != "class" && k != "replication_factor" {
				all = append(all, k)
			}
		}
		for _, dc := range all {
			if _, set := out[dc]; !set {
				out[dc] = rf
			}
		}
	}
	names := slices.Sorted(maps.Keys(out))
	for _, k := range names {
		if k != "class" && !slices.Contains(dcs, k) {
			return nil, qerr.Configf("Unrecognized strategy option {%s} passed to NetworkTopologyStrategy for keyspace %s", k, ks)
		}
	}
	if len(out) == 1 {
		return nil, qerr.Configf("Configuration for at least one datacenter must be present")
	}
	return out, nil
}

// Table properties.

// tableKeywords are the options CREATE and ALTER TABLE accept: Cassandra
// 4.0's TableParams.Option names and id.
var tableKeywords = []string{
	"additional_write_policy", "bloom_filter_fp_chance", "caching", "cdc", "comment", "compaction",
	"compression", "crc_check_chance", "default_time_to_live", "extensions", "gc_grace_seconds", "id",
	"max_index_interval", "memtable_flush_period_in_ms", "min_index_interval", "read_repair",
	"speculative_retry",
	// ScyllaDB's, not Cassandra's: when tombstones may be purged.
	"propagation_delay_in_seconds", "tombstone_gc",
	// Ours: Bigtable's cell versions (docs/VERSIONS.md).
	versions.Option,
}

// ApplyTableProps applies WITH options to opts and params (which it
// changes), with Cassandra's parsing and validation. It returns the id
// option, if given.
func ApplyTableProps(ps []ast.Property, opts *schema.TableOptions, params *Params) (id *schema.UUID, err error) {
	p := newDDLProps(ps)
	if err := p.check(tableKeywords...); err != nil {
		return nil, err
	}
	if s, ok, err := p.simple("id"); err != nil {
		return nil, err
	} else if ok {
		u, perr := schema.ParseUUID(s)
		if perr != nil {
			return nil, qerr.Configf("Invalid table id")
		}
		id = &u
	}
	if err := p.double("bloom_filter_fp_chance", &opts.BloomFilterFPChance); err != nil {
		return nil, err
	}
	if m, ok, err := p.mapValue("caching"); err != nil {
		return nil, err
	} else if ok {
		if params.Caching, err = tableopts.NormalizeCaching(m); err != nil {
			return nil, err
		}
	}
	if s, ok, err := p.simple("comment"); err != nil {
		return nil, err
	} else if ok {
		opts.Comment = s
	}
	if m, ok, err := p.mapValue("compaction"); err != nil {
		return nil, err
	} else if ok {
		if opts.Compaction, err = tableopts.NormalizeCompaction(m); err != nil {
			return nil, err
		}
	}
	if m, ok, err := p.mapValue("compression"); err != nil {
		return nil, err
	} else if ok {
		var crc *float64
		if opts.Compression, crc, err = tableopts.NormalizeCompression(m); err != nil {
			return nil, err
		}
		if crc != nil {
			params.CRCCheckChance = *crc
		}
	}
	if err := p.int32("default_time_to_live", &opts.DefaultTTL); err != nil {
		return nil, err
	}
	if _, _, err := p.mapValue("extensions"); err != nil {
		return nil, err
	}
	if err := p.int32("gc_grace_seconds", &opts.GCGrace); err != nil {
		return nil, err
	}
	if m, ok, err := p.mapValue("tombstone_gc"); err != nil {
		return nil, err
	} else if ok {
		for k := range m {
			if k != "mode" {
				return nil, qerr.Configf("Unknown tombstone_gc option: %s (only mode)", k)
			}
		}
		mode, ok := m["mode"]
		if !ok {
			return nil, qerr.Configf("tombstone_gc needs a mode (one of %s)", strings.Join(schema.TombstoneGCModes, ", "))
		}
		opts.TombstoneGC = strings.ToLower(mode)
	}
	if err := p.int32("propagation_delay_in_seconds", &opts.PropagationDelay); err != nil {
		return nil, err
	}
	if m, ok, err := p.mapValue(versions.Option); err != nil {
		return nil, err
	} else if ok {
		r, err := versions.Parse(m)
		if err != nil {
			return nil, qerr.Configf("%s", err)
		}
		// Versions written so far would outlive their rule.
		if opts.CellVersions.Enabled() && !r.Enabled() {
			return nil, qerr.Configf("cell_versions cannot be turned off once set (change max_versions or max_age)")
		}
		opts.CellVersions = r
	}
	if err := p.int32("max_index_interval", &params.MaxIndexInterval); err != nil {
		return nil, err
	}
	if err := p.int32("memtable_flush_period_in_ms", &params.MemtableFlushPeriodMs); err != nil {
		return nil, err
	}
	if err := p.int32("min_index_interval", &params.MinIndexInterval); err != nil {
		return nil, err
	}
	for _, name := range []string{"speculative_retry", "additional_write_policy"} {
		s, ok, err := p.simple(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		v, err := tableopts.NormalizeSpeculativeRetry(name, s)
		if err != nil {
			return nil, err
		}
		if name == "speculative_retry" {
			params.SpeculativeRetry = v
		} else {
			params.AdditionalWritePolicy = v
		}
	}
	if err := p.double("crc_check_chance", &params.CRCCheckChance); err != nil {
		return nil, err
	}
	if p.has("cdc") {
		if err := p.boolean("cdc", &params.CDC); err != nil {
			return nil, err
		}
	}
	if s, ok, err := p.simple("read_repair"); err != nil {
		return nil, err
	} else if ok {
		switch u := strings.ToUpper(s); u {
		case "BLOCKING", "NONE":
			params.ReadRepair = u
		default:
			return nil, qerr.Configf("Invalid value %s for option 'read_repair'", s)
		}
	}
	if err := validateTableOptions(opts, params); err != nil {
		return nil, err
	}
	return id, nil
}

// validateTableOptions checks the options' ranges (TableParams.validate).
func validateTableOptions(opts *schema.TableOptions, params *Params) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	switch {
	case params.CRCCheckChance < 0 || params.CRCCheckChance > 1:
		return qerr.Configf("crc_check_chance must be larger than or equal to 0 and smaller than or equal to 1.0 (got %s)", funcs.JavaDouble(params.CRCCheckChance, 64))
	case params.MinIndexInterval < 1:
		return qerr.Configf("min_index_interval must be greater than or equal to 1 (got %d)", params.MinIndexInterval)
	case params.MaxIndexInterval < params.MinIndexInterval:
		return qerr.Configf("max_index_interval must be greater than or equal to min_index_interval (%d) (got %d)", params.MinIndexInterval, params.MaxIndexInterval)
	case params.MemtableFlushPeriodMs < 0:
		return qerr.Configf("memtable_flush_period_in_ms must be greater than or equal to 0 (got %d)", params.MemtableFlushPeriodMs)
	}
	return nil
}
