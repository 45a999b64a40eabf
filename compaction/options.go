package compaction

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OptionError reports an option of a CQL compaction map that a strategy does
// not know, or whose value it rejects.
type OptionError struct {
	Strategy string // short class name
	Option   string
	Value    string
	Reason   string // empty for an unknown option
}

func (e *OptionError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("compaction: %s: unknown option %q", e.Strategy, e.Option)
	}
	return fmt.Sprintf("compaction: %s: option %s = %q: %s", e.Strategy, e.Option, e.Value, e.Reason)
}

// Option names shared by every strategy, as Cassandra spells them.
var commonOptions = []string{
	"class",
	"enabled",
	"min_threshold",
	"max_threshold",
	"tombstone_threshold",
	"tombstone_compaction_interval",
	"unchecked_tombstone_compaction",
}

// Options of size-tiered bucketing, which LCS (in L0) and TWCS (in the newest
// window) accept too.
var sizeTieredOptions = []string{"bucket_low", "bucket_high", "min_sstable_size"}

// optionParser reads a CQL compaction map. It keeps the first error so that
// a constructor parses every option in a row and checks once.
type optionParser struct {
	strategy string
	opts     map[string]string
	err      error
}

// newOptionParser rejects any option outside allowed, naming the first
// (sorted) so the error is deterministic.
func newOptionParser(strategy string, opts map[string]string, allowed ...[]string) *optionParser {
	p := &optionParser{strategy: strategy, opts: opts}
	var unknown []string
	for k := range opts {
		if !slices.ContainsFunc(allowed, func(a []string) bool { return slices.Contains(a, k) }) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		p.err = &OptionError{Strategy: strategy, Option: unknown[0]}
		return p
	}
	if v, ok := opts["class"]; ok && strings.TrimPrefix(v, classPrefix) != strategy {
		p.fail("class", v, "does not name "+strategy)
	}
	return p
}

func (p *optionParser) fail(name, value, reason string) {
	if p.err == nil {
		p.err = &OptionError{Strategy: p.strategy, Option: name, Value: value, Reason: reason}
	}
}

// int parses an integer option that must lie in [lo, hi].
func (p *optionParser) int(name string, def, lo, hi int64) int64 {
	v, ok := p.opts[name]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	switch {
	case err != nil:
		p.fail(name, v, "not an integer")
	case n < lo:
		p.fail(name, v, fmt.Sprintf("must be at least %d", lo))
	case n > hi:
		p.fail(name, v, fmt.Sprintf("must be at most %d", hi))
	default:
		return n
	}
	return def
}

// float parses a finite number option that must be at least lo.
func (p *optionParser) float(name string, def, lo float64) float64 {
	v, ok := p.opts[name]
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	switch {
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		p.fail(name, v, "not a number")
	case f < lo:
		p.fail(name, v, fmt.Sprintf("must be at least %g", lo))
	default:
		return f
	}
	return def
}

func (p *optionParser) bool(name string, def bool) bool {
	v, ok := p.opts[name]
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(name, v, "must be true or false")
	return def
}

// choice parses an option whose value is one of choices, case-insensitively,
// and returns it upper-cased.
func (p *optionParser) choice(name, def string, choices ...string) string {
	v, ok := p.opts[name]
	if !ok {
		return def
	}
	u := strings.ToUpper(strings.TrimSpace(v))
	if !slices.Contains(choices, u) {
		p.fail(name, v, "must be one of "+strings.Join(choices, ", "))
		return def
	}
	return u
}

// commonConfig holds the options every strategy takes.
type commonConfig struct {
	enabled    bool
	tombstones tombstoneConfig
}

// tombstoneConfig decides single-file tombstone compactions.
type tombstoneConfig struct {
	threshold float64       // tombstone_threshold
	interval  time.Duration // tombstone_compaction_interval
	unchecked bool          // unchecked_tombstone_compaction
}

func (p *optionParser) common() commonConfig {
	return commonConfig{
		enabled: p.bool("enabled", true),
		tombstones: tombstoneConfig{
			threshold: p.float("tombstone_threshold", 0.2, 0),
			interval:  time.Duration(p.int("tombstone_compaction_interval", 86400, 0, math.MaxInt64/int64(time.Second))) * time.Second,
			unchecked: p.bool("unchecked_tombstone_compaction", false),
		},
	}
}

// sizeTiered parses min_threshold, max_threshold and the bucketing options.
func (p *optionParser) sizeTiered() sizeTieredConfig {
	c := sizeTieredConfig{
		minThreshold:   int(p.int("min_threshold", 4, 2, math.MaxInt32)),
		maxThreshold:   int(p.int("max_threshold", 32, 2, math.MaxInt32)),
		bucketLow:      p.float("bucket_low", 0.5, 0),
		bucketHigh:     p.float("bucket_high", 1.5, 0),
		minSSTableSize: p.int("min_sstable_size", 50<<20, 0, math.MaxInt64),
	}
	if p.err != nil {
		return c
	}
	// Name the option the user set, so the error points at their mistake.
	if c.maxThreshold < c.minThreshold {
		if v, ok := p.opts["max_threshold"]; ok {
			p.fail("max_threshold", v, fmt.Sprintf("must not be smaller than min_threshold (%d)", c.minThreshold))
		} else {
			p.fail("min_threshold", p.opts["min_threshold"], fmt.Sprintf("must not exceed max_threshold (%d)", c.maxThreshold))
		}
	}
	if c.bucketHigh <= c.bucketLow {
		if v, ok := p.opts["bucket_high"]; ok {
			p.fail("bucket_high", v, fmt.Sprintf("must be greater than bucket_low (%g)", c.bucketLow))
		} else {
			p.fail("bucket_low", p.opts["bucket_low"], fmt.Sprintf("must be smaller than bucket_high (%g)", c.bucketHigh))
		}
	}
	return c
}
