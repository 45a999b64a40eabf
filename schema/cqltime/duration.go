package cqltime

// Parsing durations as Cassandra's Duration.from: an optional '-', then
//
//   - units: one or more <integer><unit>, units y, mo, w, d, h, m, s, ms,
//     us (or µs) and ns in that order, each at most once, in any case
//     ("1h30m", "2d", "-5mo");
//   - ISO 8601 with designators: P[nY][nM][nD][T[nH][nM][nS]] ("P1DT2H",
//     "PT90S"), integers only;
//   - ISO 8601 weeks: PnW;
//   - the ISO 8601 alternative format: PYYYY-MM-DDThh:mm:ss.

import (
	"math"
	"strconv"
	"strings"
)

// Unit indexes, in the order a duration must give them, and their names
// in messages.
const (
	unitYears = iota + 1
	unitMonths
	unitWeeks
	unitDays
	unitHours
	unitMinutes
	unitSeconds
	unitMillis
	unitMicros
	unitNanos
)

var unitNames = [...]string{"", "years", "months", "weeks", "days", "hours", "minutes", "seconds",
	"milliseconds", "microseconds", "nanoseconds"}

// durationBuilder adds units in order, checking each total stays in range,
// as Cassandra's Duration.Builder.
type durationBuilder struct {
	months, days int64
	nanos        int64
	last         int
}

func (b *durationBuilder) add(unit int, n int64) error {
	if unit == b.last {
		return errorf("Invalid duration. The %s are specified multiple times", unitNames[unit])
	}
	if unit < b.last {
		return errorf("Invalid duration. The %s should be after %s", unitNames[b.last], unitNames[unit])
	}
	b.last = unit
	check := func(total *int64, per, max int64, name string) error {
		if n > (max-*total)/per {
			// Cassandra names the int maximum for nanoseconds too.
			return errorf("Invalid duration. The total number of %s must be less or equal to %d", name, math.MaxInt32)
		}
		*total += n * per
		return nil
	}
	switch unit {
	case unitYears:
		return check(&b.months, 12, math.MaxInt32, "months")
	case unitMonths:
		return check(&b.months, 1, math.MaxInt32, "months")
	case unitWeeks:
		return check(&b.days, 7, math.MaxInt32, "days")
	case unitDays:
		return check(&b.days, 1, math.MaxInt32, "days")
	}
	per := [...]int64{unitHours: 3600e9, unitMinutes: 60e9, unitSeconds: 1e9, unitMillis: 1e6, unitMicros: 1e3, unitNanos: 1}[unit]
	return check(&b.nanos, per, math.MaxInt64, "nanoseconds")
}

func (b *durationBuilder) build(neg bool) Duration {
	d := Duration{Months: int32(b.months), Days: int32(b.days), Nanos: b.nanos}
	if neg {
		d = Duration{Months: -d.Months, Days: -d.Days, Nanos: -d.Nanos}
	}
	return d
}

// ParseDuration parses a duration in any of Cassandra's forms (the file
// comment lists them), with Cassandra's messages.
func ParseDuration(s string) (Duration, error) {
	neg := strings.HasPrefix(s, "-")
	src := s
	if neg {
		src = s[1:]
	}
	bad := func() (Duration, error) { return Duration{}, errorf("Unable to convert '%s' to a duration", src) }
	var b durationBuilder
	var err error
	switch {
	case strings.HasPrefix(src, "P") && strings.HasSuffix(src, "W"):
		n, ok := digits(src[1 : len(src)-1])
		if !ok {
			return bad()
		}
		err = b.add(unitWeeks, n)
	case strings.HasPrefix(src, "P") && strings.Contains(src, "-"):
		err = parseAlternative(&b, src)
		if err == errBadForm {
			return bad()
		}
	case strings.HasPrefix(src, "P"):
		err = parseDesignators(&b, src[1:])
		if err == errBadForm {
			return bad()
		}
	default:
		err = parseUnits(&b, src)
		if err == errBadForm {
			return bad()
		}
	}
	if err != nil {
		return Duration{}, err
	}
	return b.build(neg), nil
}

// errBadForm marks a string that is not in the form tried.
var errBadForm = errorf("bad form")

// digits parses a non-empty run of ASCII digits.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseAlternative parses PYYYY-MM-DDThh:mm:ss.
func parseAlternative(b *durationBuilder, s string) error {
	if len(s) != 20 || s[5] != '-' || s[8] != '-' || s[11] != 'T' || s[14] != ':' || s[17] != ':' {
		return errBadForm
	}
	for i, f := range [][2]int{{1, 5}, {6, 8}, {9, 11}, {12, 14}, {15, 17}, {18, 20}} {
		n, ok := digits(s[f[0]:f[1]])
		if !ok {
			return errBadForm
		}
		unit := [...]int{unitYears, unitMonths, unitDays, unitHours, unitMinutes, unitSeconds}[i]
		if err := b.add(unit, n); err != nil {
			return err
		}
	}
	return nil
}

// parseDesignators parses [nY][nM][nD][T[nH][nM][nS]] (after the P).
func parseDesignators(b *durationBuilder, s string) error {
	date, clock, hasT := strings.Cut(s, "T")
	groups := func(s, designators string, units []int) error {
		for s != "" {
			i := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			if i == 0 || i == len(s) {
				return errBadForm
			}
			k := strings.IndexByte(designators, s[i])
			if k < 0 {
				return errBadForm
			}
			n, ok := digits(s[:i])
			if !ok {
				return errBadForm
			}
			if err := b.add(units[k], n); err != nil {
				return err
			}
			designators, units, s = designators[k+1:], units[k+1:], s[i+1:]
		}
		return nil
	}
	if err := groups(date, "YMD", []int{unitYears, unitMonths, unitDays}); err != nil {
		return err
	}
	if hasT {
		return groups(clock, "HMS", []int{unitHours, unitMinutes, unitSeconds})
	}
	return nil
}

// parseUnits parses (<integer><unit>)+.
func parseUnits(b *durationBuilder, s string) error {
	if s == "" {
		return errBadForm
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		j := i
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		if i == 0 || j == i {
			return errBadForm
		}
		n, ok := digits(s[:i])
		if !ok {
			return errBadForm
		}
		var unit int
		switch strings.ToLower(s[i:j]) {
		case "y":
			unit = unitYears
		case "mo":
			unit = unitMonths
		case "w":
			unit = unitWeeks
		case "d":
			unit = unitDays
		case "h":
			unit = unitHours
		case "m":
			unit = unitMinutes
		case "s":
			unit = unitSeconds
		case "ms":
			unit = unitMillis
		case "us", "µs":
			unit = unitMicros
		case "ns":
			unit = unitNanos
		default:
			return errBadForm
		}
		if err := b.add(unit, n); err != nil {
			return err
		}
		s = s[j:]
	}
	return nil
}
