// Package cqltime parses CQL's temporal literals as Cassandra does:
// timestamps, dates, times and durations (and prints durations). It knows
// nothing of types or serializations: package schema builds on it.
package cqltime

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Error is a literal that does not parse, with the message Cassandra gives.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// MaxTimeNanos is the last nanosecond of a day, the largest time value.
const MaxTimeNanos = 86399999999999

// ParseTimestamp parses a timestamp literal as Cassandra does and returns
// milliseconds since the epoch: "now", an integer (milliseconds), or
// yyyy-mm-dd[(T| )hh:mm[:ss[.fff]]][zone], where zone is Z, ±hh, ±hhmm,
// ±hh:mm, UTC or GMT (optionally followed by ±hh:mm), optionally after a
// space. Without a zone the time is UTC (Cassandra takes the coordinator's
// zone, which is UTC on a usual server). The fraction of a second may have
// up to 9 digits and is rounded down to the millisecond.
func ParseTimestamp(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, errorf("Unable to coerce '%s' to a formatted date (long)", s)
	}
	if strings.EqualFold(s, "now") {
		return time.Now().UnixMilli(), nil
	}
	if isInteger(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, errorf("Unable to make long (for date) from: '%s'", s)
		}
		return ms, nil
	}
	p := litParser{s: s}
	year, month, day, ok := p.date()
	if !ok {
		return bad()
	}
	var hour, minute, sec, nanos int
	if p.peek() == 'T' || p.peek() == ' ' && p.digitAt(1) {
		p.pos++
		if hour, ok = p.fixed(2); !ok || !p.eat(':') {
			return bad()
		}
		if minute, ok = p.fixed(2); !ok {
			return bad()
		}
		if p.eat(':') {
			if sec, ok = p.fixed(2); !ok {
				return bad()
			}
			if p.eat('.') {
				if nanos, ok = p.fraction(); !ok {
					return bad()
				}
			}
		}
		if hour > 23 || minute > 59 || sec > 59 {
			return bad()
		}
	}
	offset, ok := p.zone()
	if !ok || p.pos != len(p.s) {
		return bad()
	}
	if year > 292000000 || year < -292000000 {
		return 0, errorf("Timestamp '%s' out of range", s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day {
		return bad()
	}
	return t.Add(-time.Duration(offset) * time.Second).UnixMilli(), nil
}

// ParseDate parses a date literal as Cassandra does and returns the raw
// date value (days with the epoch at 2^31): yyyy-mm-dd (the year may have a
// sign and more digits), or an integer, taken as the raw value.
func ParseDate(s string) (uint32, error) {
	if isInteger(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > math.MaxUint32 {
			return 0, errorf("Input date %s is out of bounds", s)
		}
		return uint32(n), nil
	}
	p := litParser{s: s}
	year, month, day, ok := p.date()
	if !ok || p.pos != len(s) {
		return 0, errorf("Unable to coerce '%s' to a formatted date (long)", s)
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day {
		return 0, errorf("Unable to coerce '%s' to a formatted date (long)", s)
	}
	days := t.Unix()/86400 + 1<<31 // midnight UTC: the division is exact
	if days < 0 || days > math.MaxUint32 {
		return 0, errorf("Input date %s is out of bounds", s)
	}
	return uint32(days), nil
}

// ParseTime parses a time-of-day literal as Cassandra does and returns
// nanoseconds since midnight: hh:mm:ss[.fffffffff] (hours, minutes and
// seconds of one or two digits), or an integer, taken as nanoseconds.
func ParseTime(s string) (int64, error) {
	if isInteger(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > MaxTimeNanos {
			return 0, errorf("Input long out of bounds: %s", s)
		}
		return n, nil
	}
	bad := func() (int64, error) {
		return 0, errorf("Timestamp format must be hh:mm:ss[.fffffffff]")
	}
	p := litParser{s: s}
	h, ok1 := p.upTo(2)
	ok2 := p.eat(':')
	m, ok3 := p.upTo(2)
	ok4 := p.eat(':')
	sec, ok5 := p.upTo(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return bad()
	}
	var nanos int
	if p.eat('.') {
		var ok bool
		if nanos, ok = p.fraction(); !ok {
			return bad()
		}
	}
	if p.pos != len(s) {
		return bad()
	}
	switch {
	case h > 23:
		return 0, errorf("Hour out of bounds.")
	case m > 59:
		return 0, errorf("Minute out of bounds.")
	case sec > 59:
		return 0, errorf("Second out of bounds.")
	}
	return ((int64(h)*60+int64(m))*60+int64(sec))*1e9 + int64(nanos), nil
}

func isInteger(s string) bool {
	t := strings.TrimPrefix(s, "-")
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// litParser scans date and time literals.
type litParser struct {
	s   string
	pos int
}

func (p *litParser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func (p *litParser) digitAt(off int) bool {
	i := p.pos + off
	return i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9'
}

func (p *litParser) eat(c byte) bool {
	if p.peek() == c {
		p.pos++
		return true
	}
	return false
}

// digits reads between lo and hi digits.
func (p *litParser) digits(lo, hi int) (int, bool) {
	start := p.pos
	v := 0
	for p.pos < len(p.s) && p.pos-start < hi && p.digitAt(0) {
		v = v*10 + int(p.s[p.pos]-'0')
		p.pos++
	}
	return v, p.pos-start >= lo
}

func (p *litParser) fixed(n int) (int, bool) { return p.digits(n, n) }
func (p *litParser) upTo(n int) (int, bool)  { return p.digits(1, n) }

// fraction reads 1 to 9 digits after a point, as nanoseconds.
func (p *litParser) fraction() (int, bool) {
	start := p.pos
	v, ok := p.digits(1, 9)
	for range 9 - (p.pos - start) {
		v *= 10
	}
	return v, ok
}

// date reads [-+]yyyy[y...]-mm-dd.
func (p *litParser) date() (year, month, day int, ok bool) {
	neg := false
	if c := p.peek(); c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
	}
	if year, ok = p.digits(4, 9); !ok || !p.eat('-') {
		return 0, 0, 0, false
	}
	if neg {
		year = -year
	}
	if month, ok = p.fixed(2); !ok || !p.eat('-') {
		return 0, 0, 0, false
	}
	if day, ok = p.fixed(2); !ok {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// zone reads an optional zone and returns its offset east of UTC in seconds.
func (p *litParser) zone() (int, bool) {
	if p.pos == len(p.s) {
		return 0, true
	}
	if p.peek() == ' ' {
		p.pos++
	}
	rest := p.s[p.pos:]
	switch {
	case rest == "Z" || rest == "z":
		p.pos = len(p.s)
		return 0, true
	case strings.HasPrefix(rest, "UTC"), strings.HasPrefix(rest, "GMT"):
		p.pos += 3
		if p.pos == len(p.s) {
			return 0, true
		}
	}
	c := p.peek()
	if c != '+' && c != '-' {
		return 0, false
	}
	p.pos++
	h, ok := p.fixed(2)
	if !ok {
		return 0, false
	}
	m := 0
	if p.pos < len(p.s) {
		p.eat(':')
		if m, ok = p.fixed(2); !ok {
			return 0, false
		}
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if c == '-' {
		off = -off
	}
	return off, true
}

// Duration is a CQL duration: months, days and nanoseconds, all of the same
// sign.
type Duration struct {
	Months int32
	Days   int32
	Nanos  int64
}

var durationUnits = []struct {
	name  string
	nanos int64
}{
	{"h", 3600e9}, {"m", 60e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1},
}

// String returns d in Cassandra's duration literal form ("1y2mo3d4h5m6s",
// "-7ms"); the zero duration is "0s".
func (d Duration) String() string {
	var b strings.Builder
	months, days, nanos := int64(d.Months), int64(d.Days), d.Nanos
	if months < 0 || days < 0 || nanos < 0 {
		b.WriteByte('-')
		months, days = -months, -days
		if nanos != math.MinInt64 {
			nanos = -nanos
		}
	}
	put := func(v uint64, unit string) {
		if v != 0 {
			b.WriteString(strconv.FormatUint(v, 10))
			b.WriteString(unit)
		}
	}
	put(uint64(months/12), "y")
	put(uint64(months%12), "mo")
	put(uint64(days), "d")
	rest := uint64(nanos)
	for _, u := range durationUnits {
		put(rest/uint64(u.nanos), u.name)
		rest %= uint64(u.nanos)
	}
	if b.Len() == 0 || b.String() == "-" {
		return "0s"
	}
	return b.String()
}
