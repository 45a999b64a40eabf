package catalog

// This file holds the WITH options of CREATE/ALTER KEYSPACE and TABLE:
// reading the parser's properties with Cassandra's rules and messages
// (PropertyDefinitions, TableAttributes, KeyspaceAttributes), normalizing
// compaction, compression and caching maps as Cassandra stores them, and
// the table options schema.TableOptions does not carry (Params).

import (
	"maps"
	"math"
	"math/bits"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"wcdb/query/ast"
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

// AddDropped records the drop of column c at time (microseconds).
func (p *Params) AddDropped(c *schema.Column, time int64) {
	p.Dropped = slices.DeleteFunc(p.Dropped, func(d DroppedColumn) bool { return d.Name == c.Name })
	p.Dropped = append(p.Dropped, DroppedColumn{Name: c.Name, Type: c.Type, Kind: c.Kind, Time: time})
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
	out, err := schema.NormalizeReplication(ks, opts)
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
		if params.Caching, err = normalizeCaching(m); err != nil {
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
		if opts.Compaction, err = normalizeCompaction(m); err != nil {
			return nil, err
		}
	}
	if m, ok, err := p.mapValue("compression"); err != nil {
		return nil, err
	} else if ok {
		var crc *float64
		if opts.Compression, crc, err = normalizeCompression(m); err != nil {
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
		v, err := normalizeSpeculativeRetry(name, s)
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
		return qerr.Configf("crc_check_chance must be larger than or equal to 0 and smaller than or equal to 1.0 (got %s)", JavaDouble(params.CRCCheckChance))
	case params.MinIndexInterval < 1:
		return qerr.Configf("min_index_interval must be greater than or equal to 1 (got %d)", params.MinIndexInterval)
	case params.MaxIndexInterval < params.MinIndexInterval:
		return qerr.Configf("max_index_interval must be greater than or equal to min_index_interval (%d) (got %d)", params.MinIndexInterval, params.MaxIndexInterval)
	case params.MemtableFlushPeriodMs < 0:
		return qerr.Configf("memtable_flush_period_in_ms must be greater than or equal to 0 (got %d)", params.MemtableFlushPeriodMs)
	}
	return nil
}

// normalizeCaching validates a caching map (CachingParams.fromMap) and
// returns it as Cassandra stores it.
func normalizeCaching(m map[string]string) (map[string]string, error) {
	out := map[string]string{"keys": "NONE", "rows_per_partition": "NONE"}
	var extra []string
	for k, v := range m {
		switch k {
		case "keys":
			switch u := strings.ToUpper(v); u {
			case "ALL", "NONE":
				out[k] = u
			default:
				return nil, qerr.Configf("Invalid value '%s' for caching sub-option 'keys': only 'ALL' and 'NONE' are supported", v)
			}
		case "rows_per_partition":
			switch u := strings.ToUpper(v); {
			case u == "ALL" || u == "NONE":
				out[k] = u
			default:
				n, err := strconv.ParseInt(v, 10, 32)
				if err != nil || n < 0 {
					return nil, qerr.Configf("Invalid value '%s' for caching sub-option 'rows_per_partition': only 'ALL', 'NONE', and integer values are allowed", v)
				}
				if n == 0 {
					out[k] = "NONE"
				} else {
					out[k] = strconv.FormatInt(n, 10)
				}
			}
		default:
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, qerr.Configf("Invalid caching sub-options [%s]: only 'keys' and 'rows_per_partition' are allowed", strings.Join(extra, ", "))
	}
	return out, nil
}

// Compaction.

const compactionPackage = "org.apache.cassandra.db.compaction."

// compactionOptions are the options each strategy accepts: those the
// storage engine's strategies implement (compaction.New), which are
// Cassandra's less a few it has no use for.
var compactionOptions = map[string][]string{
	"SizeTieredCompactionStrategy": nil,
	"LeveledCompactionStrategy":    {"sstable_size_in_mb", "fanout_size"},
	"TimeWindowCompactionStrategy": {"compaction_window_unit", "compaction_window_size", "timestamp_resolution"},
}

var commonCompactionOptions = []string{
	"class", "enabled", "min_threshold", "max_threshold", "tombstone_threshold",
	"tombstone_compaction_interval", "unchecked_tombstone_compaction",
	"bucket_low", "bucket_high", "min_sstable_size",
}

// normalizeCompaction validates a compaction map and returns it as
// Cassandra stores it: the class in full, min_threshold and max_threshold
// filled in, the other options as given.
func normalizeCompaction(m map[string]string) (map[string]string, error) {
	class, ok := m["class"]
	if !ok {
		return nil, qerr.Configf("Missing sub-option 'class' for the 'compaction' option")
	}
	full := class
	if !strings.Contains(class, ".") {
		full = compactionPackage + class
	}
	short := strings.TrimPrefix(full, compactionPackage)
	own, known := compactionOptions[short]
	if !known || !strings.HasPrefix(full, compactionPackage) {
		return nil, qerr.Configf("Unable to find compaction strategy class '%s'", full)
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(commonCompactionOptions, k) && !slices.Contains(own, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, qerr.Configf("Properties specified [%s] are not understood by %s", strings.Join(unknown, ", "), short)
	}
	out := maps.Clone(m)
	out["class"] = full
	if _, ok := out["min_threshold"]; !ok {
		out["min_threshold"] = "4"
	}
	if _, ok := out["max_threshold"]; !ok {
		out["max_threshold"] = "32"
	}
	if err := checkCompactionValues(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkCompactionValues checks the options' values with Cassandra's
// messages, within the ranges the storage engine accepts.
func checkCompactionValues(m map[string]string) error {
	intOpt := func(name string, lo, hi int64) (int64, bool, error) {
		v, ok := m[name]
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, true, qerr.Configf("%s is not a parsable int (base10) for %s", v, name)
		}
		if n < lo || n > hi {
			if n < lo {
				return 0, true, qerr.Configf("%s must be at least %d, but was %d", name, lo, n)
			}
			return 0, true, qerr.Configf("%s must be at most %d, but was %d", name, hi, n)
		}
		return n, true, nil
	}
	floatOpt := func(name string) (float64, bool, error) {
		v, ok := m[name]
		if !ok {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, true, qerr.Configf("%s is not a parsable float for %s", v, name)
		}
		if f < 0 {
			return 0, true, qerr.Configf("%s must be greater than 0, but was %s", name, JavaDouble(f))
		}
		return f, true, nil
	}
	boolOpt := func(name string) error {
		v, ok := m[name]
		if !ok {
			return nil
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "false":
			return nil
		}
		return qerr.Configf("'%s' should be either 'true' or 'false', not '%s'", name, v)
	}
	thr := func(name string) (int64, error) {
		v := m[name]
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return 0, qerr.Configf("Invalid value %s for '%s' compaction sub-option - must be an integer", v, name)
		}
		return n, nil
	}
	minT, err := thr("min_threshold")
	if err != nil {
		return err
	}
	maxT, err := thr("max_threshold")
	if err != nil {
		return err
	}
	switch {
	case minT <= 0 || maxT <= 0:
		return qerr.Configf("Disabling compaction by setting compaction thresholds to 0 has been removed, set the compaction option 'enabled' to false instead.")
	case minT <= 1:
		return qerr.Configf("Min compaction threshold cannot be less than 2 (got %d)", minT)
	case minT > maxT:
		return qerr.Configf("Min compaction threshold (got %d) cannot be greater than max compaction threshold (got %d)", minT, maxT)
	}
	for _, b := range []string{"enabled", "unchecked_tombstone_compaction"} {
		if err := boolOpt(b); err != nil {
			return err
		}
	}
	if _, _, err := floatOpt("tombstone_threshold"); err != nil {
		return err
	}
	if _, _, err := intOpt("tombstone_compaction_interval", 0, math.MaxInt64/1_000_000_000); err != nil {
		return err
	}
	low, hasLow, err := floatOpt("bucket_low")
	if err != nil {
		return err
	}
	high, hasHigh, err := floatOpt("bucket_high")
	if err != nil {
		return err
	}
	if !hasLow {
		low = 0.5
	}
	if !hasHigh {
		high = 1.5
	}
	if high <= low {
		return qerr.Configf("bucket_high value (%s) is less than or equal to the bucket_low value (%s)", JavaDouble(high), JavaDouble(low))
	}
	if _, _, err := intOpt("min_sstable_size", 0, math.MaxInt64); err != nil {
		return err
	}
	if _, _, err := intOpt("sstable_size_in_mb", 1, 1<<20); err != nil {
		return err
	}
	if _, _, err := intOpt("fanout_size", 2, 1000); err != nil {
		return err
	}
	if v, ok := m["compaction_window_unit"]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "MINUTES", "HOURS", "DAYS":
		default:
			return qerr.Configf("%s is not valid for compaction_window_unit", v)
		}
	}
	if _, _, err := intOpt("compaction_window_size", 1, math.MaxInt32); err != nil {
		return err
	}
	if v, ok := m["timestamp_resolution"]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS":
		default:
			return qerr.Configf("%s is not valid for timestamp_resolution", v)
		}
	}
	return nil
}

// Compression.

const compressionPackage = "org.apache.cassandra.io.compress."

// compressorOptions are the compressor-specific options of each class.
var compressorOptions = map[string][]string{
	"LZ4Compressor":     {"lz4_compressor_type", "lz4_high_compressor_level"},
	"SnappyCompressor":  nil,
	"DeflateCompressor": nil,
	"ZstdCompressor":    {"compression_level"},
	"NoopCompressor":    nil,
}

// normalizeCompression validates a compression map and returns it as
// Cassandra stores it ({'enabled': 'false'} when disabled; else class in
// full, chunk_length_in_kb, and the other options given), and the
// crc_check_chance found in it (deprecated there; Cassandra moves it to
// the table option).
func normalizeCompression(m map[string]string) (map[string]string, *float64, error) {
	m = maps.Clone(m)
	var crc *float64
	if v, ok := m["crc_check_chance"]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, nil, qerr.Syntaxf("Invalid double value %s for crc_check_chance.'", v)
		}
		crc = &f
		delete(m, "crc_check_chance")
	}
	if v, ok := m["enabled"]; ok {
		enabled, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v)))
		if err != nil {
			return nil, nil, qerr.Configf("Invalid value %s for 'enabled' compression sub-option - must be a boolean", v)
		}
		if !enabled {
			return map[string]string{"enabled": "false"}, crc, nil
		}
		delete(m, "enabled")
	}
	class, ok := m["class"]
	if !ok || class == "" {
		return nil, nil, qerr.Configf("Missing sub-option 'class' for the 'compression' option.")
	}
	full := class
	if !strings.Contains(class, ".") {
		full = compressionPackage + class
	}
	own, known := compressorOptions[strings.TrimPrefix(full, compressionPackage)]
	if !known || !strings.HasPrefix(full, compressionPackage) {
		return nil, nil, qerr.Configf("Could not create Compression for type %s", full)
	}
	out := map[string]string{"class": full, "chunk_length_in_kb": "16"}
	var unknown []string
	var err error
	for k, v := range m {
		switch k {
		case "class":
		case "chunk_length_in_kb":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			switch {
			case err != nil:
				return nil, nil, qerr.Configf("Invalid value %s for chunk_length_in_kb", v)
			case n <= 0:
				return nil, nil, qerr.Configf("Invalid negative or null chunk_length_in_kb")
			case bits.OnesCount64(uint64(n)) != 1:
				return nil, nil, qerr.Configf("chunk_length_in_kb must be a power of 2")
			}
			out[k] = strconv.FormatInt(n, 10)
		case "min_compress_ratio":
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 {
				return nil, nil, qerr.Configf("Invalid value %s for min_compress_ratio", v)
			}
			if f != 0 {
				out[k] = JavaDouble(f)
			}
		default:
			if slices.Contains(own, k) {
				if out[k], err = compressorOption(k, v); err != nil {
					return nil, nil, err
				}
			} else {
				unknown = append(unknown, k)
			}
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, nil, qerr.Configf("Unknown compression options [%s]", strings.Join(unknown, ", "))
	}
	return out, crc, nil
}

// compressorOption validates a compressor's own option as Cassandra's
// compressor does when it is created, and returns it as stored; the
// engine writes SSTable blocks with it.
func compressorOption(k, v string) (string, error) {
	t := strings.TrimSpace(v)
	intIn := func(lo, hi int64) (string, error) {
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil || n < lo || n > hi {
			return "", qerr.Configf("Invalid value [%s] for parameter '%s'. Value must be between %d and %d.", v, k, lo, hi)
		}
		return strconv.FormatInt(n, 10), nil
	}
	switch k {
	case "lz4_compressor_type":
		switch strings.ToLower(t) {
		case "fast", "high":
			return strings.ToLower(t), nil
		}
		return "", qerr.Configf("Invalid compressor type '%s' specified for LZ4 parameter '%s'. Valid options are [fast, high].", v, k)
	case "lz4_high_compressor_level":
		return intIn(1, 17)
	case "compression_level":
		return intIn(-131072, 22)
	}
	return v, nil
}

// Speculative retry.

var (
	percentileRE = regexp.MustCompile(`^(?i)([0-9]+(?:\.[0-9]+)?)(p|percentile)$`)
	fixedRE      = regexp.MustCompile(`^(?i)([0-9]+(?:\.[0-9]+)?)ms$`)
	hybridRE     = regexp.MustCompile(`^(?i)(min|max)\((.+),(.+)\)$`)
)

// normalizeSpeculativeRetry parses a speculative_retry or
// additional_write_policy value (SpeculativeRetryPolicy.fromString) and
// returns it as Cassandra prints it: NONE, ALWAYS, 99p, 50ms,
// MIN(99p,50ms).
func normalizeSpeculativeRetry(option, s string) (string, error) {
	bad := func() (string, error) {
		return "", qerr.Configf("Invalid value %s for option '%s'", s, option)
	}
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "NONE", "NEVER":
		return "NONE", nil
	case "ALWAYS":
		return "ALWAYS", nil
	}
	if m := percentileRE.FindStringSubmatch(t); m != nil {
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil || f <= 0 || f >= 100 {
			return "", qerr.Configf("Invalid value %s for PERCENTILE option '%s': must be between (0.0 and 100.0)", s, option)
		}
		return strconv.FormatFloat(math.Round(f*1e4)/1e4, 'f', -1, 64) + "p", nil
	}
	if m := fixedRE.FindStringSubmatch(t); m != nil {
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil || f > math.MaxInt32 {
			return bad()
		}
		return strconv.FormatInt(int64(f), 10) + "ms", nil
	}
	if m := hybridRE.FindStringSubmatch(t); m != nil {
		a, err := normalizeSpeculativeRetry(option, m[2])
		if err != nil {
			return bad()
		}
		b, err := normalizeSpeculativeRetry(option, m[3])
		if err != nil {
			return bad()
		}
		isP := func(x string) bool { return strings.HasSuffix(x, "p") }
		isMs := func(x string) bool { return strings.HasSuffix(x, "ms") }
		if isMs(a) && isP(b) {
			a, b = b, a
		}
		if !isP(a) || !isMs(b) {
			return bad()
		}
		return strings.ToUpper(m[1]) + "(" + a + "," + b + ")", nil
	}
	return bad()
}

// JavaDouble formats f as Java's Double.toString does (Cassandra prints
// doubles so in DESCRIBE and messages): 0.01, 1.0, 1.0E-5, 1.0E7.
func JavaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // 1E-05, 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}
