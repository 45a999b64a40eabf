// Package versions is the cell_versions table option (Bigtable's cell
// versions, docs/VERSIONS.md): its CQL map, validation, its form in
// system_schema.tables' extensions, and the garbage-collection rule it
// gives the engine.
//
//	cell_versions = {'max_versions': '3', 'max_age': '7d'}
//
// Either key or both; an empty map (or no option) is Cassandra's last
// write wins.
package versions

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"wcdb/mutation"
)

// Option is the CQL option's name; Extension the key under which a table
// keeps it in system_schema.tables' extensions (value: Format's text).
const (
	Option    = "cell_versions"
	Extension = "wcdb.cell_versions"
)

// MaxMaxVersions bounds max_versions, so that one cell's history stays a
// size the read path can hold.
const MaxMaxVersions = 10000

// Rule is a table's cell_versions. The zero Rule means the table keeps no
// versions.
type Rule struct {
	// MaxVersions keeps the newest this many versions of a cell; 0: any
	// number.
	MaxVersions int
	// MaxAge drops versions written longer ago than this; 0: none.
	MaxAge time.Duration
}

// Enabled reports whether the table keeps versions.
func (r Rule) Enabled() bool { return r.MaxVersions > 0 || r.MaxAge > 0 }

// Mutation returns the rule as the engine applies it.
func (r Rule) Mutation() mutation.VersionRule {
	return mutation.VersionRule{MaxVersions: r.MaxVersions, MaxAge: r.MaxAge.Microseconds()}
}

// Error is a bad cell_versions option (a ConfigurationException).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Parse reads the option's map. An empty map turns versions off.
func Parse(m map[string]string) (Rule, error) {
	var r Rule
	for k, v := range m {
		switch strings.ToLower(k) {
		case "max_versions":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > MaxMaxVersions {
				return Rule{}, errorf("cell_versions max_versions must be an integer between 1 and %d (got %q)", MaxMaxVersions, v)
			}
			r.MaxVersions = n
		case "max_age":
			d, err := ParseDuration(v)
			if err != nil {
				return Rule{}, errorf("cell_versions max_age: %v", err)
			}
			if d < time.Second {
				return Rule{}, errorf("cell_versions max_age must be at least 1s (got %q)", v)
			}
			r.MaxAge = d
		default:
			return Rule{}, errorf("Unknown cell_versions option: %s (max_versions, max_age)", k)
		}
	}
	return r, nil
}

// Map returns the option's map as DESCRIBE prints it; nil when off.
func (r Rule) Map() map[string]string {
	if !r.Enabled() {
		return nil
	}
	m := map[string]string{}
	if r.MaxVersions > 0 {
		m["max_versions"] = strconv.Itoa(r.MaxVersions)
	}
	if r.MaxAge > 0 {
		m["max_age"] = FormatDuration(r.MaxAge)
	}
	return m
}

// Format is the rule's extension value: "max_age=7d,max_versions=3".
func (r Rule) Format() string {
	m := r.Map()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// ParseExtension is the inverse of Format.
func ParseExtension(s string) (Rule, error) {
	m := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Rule{}, errorf("extension %s: bad entry %q", Extension, part)
		}
		m[k] = v
	}
	return Parse(m)
}

// units are a duration's units, CQL duration literals' (without months
// and years, which have no fixed length), longest names first.
var units = []struct {
	name string
	d    time.Duration
}{
	{"ms", time.Millisecond}, {"us", time.Microsecond}, {"µs", time.Microsecond}, {"ns", time.Nanosecond},
	{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

// ParseDuration reads a duration as CQL writes one: "7d", "1h30m",
// "2w", "90s"; "mo" and "y" are refused (no fixed length).
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return 0, errors.New("empty duration")
	}
	var total time.Duration
	for in != "" {
		i := 0
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("invalid duration %q (write it as 7d, 12h, 1h30m, ...)", s)
		}
		n, err := strconv.ParseInt(in[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		in = in[i:]
		unit := time.Duration(0)
		for _, u := range units {
			if strings.HasPrefix(in, u.name) {
				if u.name == "m" && strings.HasPrefix(in, "mo") {
					break
				}
				unit, in = u.d, in[len(u.name):]
				break
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("invalid duration %q: units are w, d, h, m, s, ms, us, ns", s)
		}
		if n > int64(1<<62)/int64(unit) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(n) * unit
		if total < 0 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
	}
	return total, nil
}

// FormatDuration writes d in the largest units that divide it: "7d",
// "1h30m", "90s".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		d    time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.d
		}
	}
	return b.String()
}

// AppendMap appends versions() result, a map<bigint, T> in the native
// protocol's form, of cells given newest first: an int32 count, then for
// each entry the key (the write time in µs, 8 bytes) and the value, each
// after its int32 length; keys ascending, so oldest first, the order a
// map travels in.
func AppendMap(dst []byte, newestFirst []*mutation.Cell) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(newestFirst)))
	for i := len(newestFirst) - 1; i >= 0; i-- {
		c := newestFirst[i]
		dst = binary.BigEndian.AppendUint32(dst, 8)
		dst = binary.BigEndian.AppendUint64(dst, uint64(c.Timestamp))
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Value)))
		dst = append(dst, c.Value...)
	}
	return dst
}
