package complete

import (
	"slices"
	"strings"

	"wcdb/cmd/cqlsh-lite/internal/cqllex"
)

// Completion of what DDL and expressions name besides the schema's
// tables and columns: types where a column's type goes, functions where a
// value or selector goes, and the WITH options of CREATE/ALTER TABLE and
// KEYSPACE with the classes their maps take.

var (
	// cqlTypes are the native types, then the parameterized ones.
	cqlTypes = []string{
		"ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double", "duration",
		"float", "inet", "int", "smallint", "text", "time", "timestamp", "timeuuid", "tinyint",
		"uuid", "varchar", "varint",
	}
	cqlTypeConstructors = []string{"frozen<", "list<", "map<", "set<", "tuple<"}

	// nativeFunctions are the functions a selector or a value may call,
	// as the node knows them (blobAsType and typeAsBlob exist for every
	// type; the common ones are offered).
	nativeFunctions = []string{
		"now(", "uuid(", "currentTimestamp(", "currentDate(", "currentTime(", "currentTimeUUID(",
		"toTimestamp(", "toDate(", "toUnixTimestamp(", "dateOf(", "unixTimestampOf(",
		"minTimeuuid(", "maxTimeuuid(", "token(", "textAsBlob(", "blobAsText(", "intAsBlob(", "blobAsInt(",
	}
	// selectorFunctions are only for selectors.
	selectorFunctions = []string{"WRITETIME(", "TTL(", "COUNT(", "MIN(", "MAX(", "SUM(", "AVG("}

	tableOptions = []string{
		"bloom_filter_fp_chance", "caching", "cdc", "comment", "compaction", "compression",
		"crc_check_chance", "default_time_to_live", "gc_grace_seconds", "max_index_interval",
		"memtable_flush_period_in_ms", "min_index_interval", "read_repair", "speculative_retry",
		"additional_write_policy", "extensions",
	}
	keyspaceOptions = []string{"replication", "durable_writes"}

	// mapKeys are the keys each map-valued option takes, and classes the
	// values of its 'class' key.
	mapKeys = map[string][]string{
		"replication": {"'class'", "'replication_factor'"},
		"compaction": {"'class'", "'enabled'", "'min_threshold'", "'max_threshold'", "'sstable_size_in_mb'",
			"'compaction_window_unit'", "'compaction_window_size'", "'tombstone_threshold'", "'unchecked_tombstone_compaction'"},
		"compression": {"'class'", "'chunk_length_in_kb'", "'compression_level'", "'enabled'", "'min_compress_ratio'",
			"'lz4_compressor_type'", "'lz4_high_compressor_level'"},
		"caching": {"'keys'", "'rows_per_partition'"},
	}
	classes = map[string][]string{
		"replication": {"'SimpleStrategy'", "'NetworkTopologyStrategy'"},
		"compaction":  {"'SizeTieredCompactionStrategy'", "'LeveledCompactionStrategy'", "'TimeWindowCompactionStrategy'"},
		"compression": {"'LZ4Compressor'", "'SnappyCompressor'", "'ZstdCompressor'", "'DeflateCompressor'", "'NoopCompressor'"},
	}
)

// ddlCandidates returns what goes at the cursor of a CREATE or ALTER
// statement (kind is its object: table, keyspace, type), and whether the
// place is one it knows.
func (c Request) ddlCandidates(toks []cqllex.Token, words []string) (out []string, ok bool) {
	if len(words) < 2 || words[0] != "create" && words[0] != "alter" {
		return nil, false
	}
	kind := words[1]
	if kind == "columnfamily" {
		kind = "table"
	}
	last := func(n int) string {
		if n >= 1 && len(words) >= n {
			return words[len(words)-n]
		}
		return ""
	}
	with := slices.Index(words, "with")
	if with >= 0 && (kind == "table" || kind == "keyspace") {
		if owner, open := openMap(toks); open {
			switch {
			case last(1) == "{" || last(1) == ",":
				return withSuffix(mapKeys[owner], ": "), true
			case last(1) == ":" && last(2) == "'class'":
				return withSuffix(classes[owner], " "), true
			}
			return nil, true
		}
		opts := tableOptions
		if kind == "keyspace" {
			opts = keyspaceOptions
		}
		switch {
		case last(1) == "with" || last(1) == "and":
			out = withSuffix(opts, " = ")
			if kind == "table" && words[0] == "create" {
				out = append(out, "CLUSTERING ORDER BY (")
			}
			return out, true
		case slices.Contains(opts, last(1)):
			return []string{"= "}, true
		case last(1) == "=" && mapKeys[last(2)] != nil:
			return []string{"{"}, true
		}
		return nil, false
	}
	if t := c.typePlace(toks, words, kind); t {
		return c.typeNames(), true
	}
	return nil, false
}

// typePlace reports whether a type goes at the cursor: after a new
// column's (or field's) name in CREATE TABLE/TYPE's parentheses, after
// ALTER TABLE … ADD name, and inside a collection's or tuple's < >.
func (c Request) typePlace(toks []cqllex.Token, words []string, kind string) bool {
	n := len(toks)
	if n == 0 {
		return false
	}
	angle, paren := 0, 0
	segment := 0 // significant tokens since the last '(' or ',' at depth 1
	for _, t := range toks {
		switch t.Text {
		case "<":
			angle++
		case ">":
			angle--
		case "(":
			paren++
			segment = -1
		case ")":
			paren--
		case ",":
			if paren == 1 && angle == 0 {
				segment = -1
			}
		}
		segment++
	}
	last := toks[n-1].Text
	if angle > 0 && (last == "<" || last == ",") {
		return true
	}
	isName := toks[n-1].Kind == cqllex.Word || toks[n-1].Kind == cqllex.Ident
	if !isName {
		return false
	}
	if words[0] == "create" && (kind == "table" || kind == "type") && paren == 1 && angle == 0 && segment == 1 {
		return words[len(words)-1] != "primary"
	}
	return words[0] == "alter" && kind == "table" && len(words) >= 2 && words[len(words)-2] == "add"
}

// typeNames are the native types, the type constructors and the current
// keyspace's user-defined types.
func (c Request) typeNames() []string {
	out := withSuffix(cqlTypes, " ")
	out = append(out, cqlTypeConstructors...)
	if c.Keyspace != "" {
		for _, t := range c.Schema.Types(c.Keyspace) {
			out = append(out, quoteName(t)+" ")
		}
	}
	return out
}

// functionNames are the functions a value may call: the native ones, and
// the current keyspace's user-defined ones.
func (c Request) functionNames() []string {
	out := slices.Clone(nativeFunctions)
	if c.Keyspace != "" {
		for _, f := range c.Schema.Functions(c.Keyspace) {
			out = append(out, quoteName(f)+"(")
		}
	}
	return out
}

// openMap finds the map literal the cursor is inside, if any, and the
// option it is the value of (the word before "= {").
func openMap(toks []cqllex.Token) (owner string, open bool) {
	depth, at := 0, -1
	for i, t := range toks {
		switch t.Text {
		case "{":
			depth++
			if depth == 1 {
				at = i
			}
		case "}":
			depth--
		}
	}
	if depth <= 0 || at < 2 {
		return "", false
	}
	if toks[at-1].Text == "=" {
		return strings.ToLower(toks[at-2].Text), true
	}
	return "", true
}

func withSuffix(list []string, suffix string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s + suffix
	}
	return out
}
