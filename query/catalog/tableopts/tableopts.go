// Package tableopts normalizes the map-valued and textual table options
// (caching, compaction, compression, speculative_retry) as Cassandra
// validates and stores them, with its messages.
package tableopts

import (
	"maps"
	"math"
	"math/bits"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"wcdb/query/funcs"
	"wcdb/query/qerr"
)

// NormalizeCaching validates a caching map (CachingParams.fromMap) and
// returns it as Cassandra stores it.
func NormalizeCaching(m map[string]string) (map[string]string, error) {
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

// NormalizeCompaction validates a compaction map and returns it as
// Cassandra stores it: the class in full, min_threshold and max_threshold
// filled in, the other options as given.
func NormalizeCompaction(m map[string]string) (map[string]string, error) {
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
			return 0, true, qerr.Configf("%s must be greater than 0, but was %s", name, funcs.JavaDouble(f, 64))
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
		return qerr.Configf("bucket_high value (%s) is less than or equal to the bucket_low value (%s)", funcs.JavaDouble(high, 64), funcs.JavaDouble(low, 64))
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

// NormalizeCompression validates a compression map and returns it as
// Cassandra stores it ({'enabled': 'false'} when disabled; else class in
// full, chunk_length_in_kb, and the other options given), and the
// crc_check_chance found in it (deprecated there; Cassandra moves it to
// the table option).
func NormalizeCompression(m map[string]string) (map[string]string, *float64, error) {
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
				out[k] = funcs.JavaDouble(f, 64)
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

// NormalizeSpeculativeRetry parses a speculative_retry or
// additional_write_policy value (SpeculativeRetryPolicy.fromString) and
// returns it as Cassandra prints it: NONE, ALWAYS, 99p, 50ms,
// MIN(99p,50ms).
func NormalizeSpeculativeRetry(option, s string) (string, error) {
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
		a, err := NormalizeSpeculativeRetry(option, m[2])
		if err != nil {
			return bad()
		}
		b, err := NormalizeSpeculativeRetry(option, m[3])
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
