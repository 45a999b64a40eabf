package funcs

// floor(): a time rounded down to a multiple of a duration from a
// starting time (the epoch by default), as Cassandra's TimeFcts and
// Duration.floorTimestamp: months on the UTC calendar, the rest in
// milliseconds (nanoseconds for time values).

import (
	"encoding/binary"
	"time"

	"wcdb/query/qerr"
	"wcdb/schema"
)

// Floor computes floor(value, duration[, start]) for a value of kind in
// (timestamp, timeuuid, date or time); a null argument gives null.
func Floor(in schema.Kind, args [][]byte) ([]byte, error) {
	for _, a := range args {
		if len(a) == 0 {
			return nil, nil
		}
	}
	dv, err := schema.Decode(schema.Native(schema.KindDuration), args[1])
	if err != nil {
		return nil, qerr.Convert("", err)
	}
	d := dv.(schema.Duration)
	if in == schema.KindTime {
		ns, err := floorTime(int64(binary.BigEndian.Uint64(args[0])), d)
		if err != nil {
			return nil, err
		}
		return binary.BigEndian.AppendUint64(nil, uint64(ns)), nil
	}
	millis := func(k schema.Kind, b []byte) int64 {
		if k == schema.KindDate {
			return (int64(binary.BigEndian.Uint32(b)) - 1<<31) * 86400e3
		}
		return int64(binary.BigEndian.Uint64(b))
	}
	var ms, start int64
	switch in {
	case schema.KindTimeuuid:
		ts, err := ToTimestamp(schema.Native(in), args[0])
		if err != nil {
			return nil, qerr.Convert("", err)
		}
		ms = millis(schema.KindTimestamp, ts)
	default:
		ms = millis(in, args[0])
	}
	if len(args) == 3 {
		sk := schema.KindTimestamp
		if in == schema.KindDate {
			sk = schema.KindDate
		}
		start = millis(sk, args[2])
	}
	if in == schema.KindDate {
		if d.Nanos != 0 {
			return nil, qerr.Invalidf("The floor on date values cannot be computed for the %s duration as precision is below 1 day", d)
		}
	} else if d.Nanos%1e6 != 0 {
		return nil, qerr.Invalidf("The floor cannot be computed for the %s duration as precision is below 1 millisecond", d)
	}
	f, err := FloorTimestamp(ms, d, start)
	if err != nil {
		return nil, err
	}
	if in == schema.KindDate {
		return binary.BigEndian.AppendUint32(nil, uint32(FloorDiv(f, 86400e3)+1<<31)), nil
	}
	return binary.BigEndian.AppendUint64(nil, uint64(f)), nil
}

func negative(d schema.Duration) bool { return d.Months < 0 || d.Days < 0 || d.Nanos < 0 }

// FloorTimestamp is Cassandra's Duration.floorTimestamp, in milliseconds.
func FloorTimestamp(ms int64, d schema.Duration, start int64) (int64, error) {
	if start > ms {
		return 0, qerr.Invalidf("The floor function starting time is greater than the provided time")
	}
	if negative(d) {
		return 0, qerr.Invalidf("Negative durations are not supported by the floor function")
	}
	durMillis := int64(d.Days)*86400e3 + d.Nanos/1e6
	if d.Months == 0 {
		if durMillis == 0 {
			return ms, nil
		}
		return ms - (ms-start)%durMillis, nil
	}
	t, s := time.UnixMilli(ms).UTC(), time.UnixMilli(start).UTC()
	months := (t.Year()-s.Year())*12 + int(t.Month()-s.Month())
	mult := months / int(d.Months)
	cal := addMonths(s, mult*int(d.Months))
	if d.Days == 0 && d.Nanos == 0 {
		return cal.UnixMilli(), nil
	}
	floor := cal.UnixMilli() + int64(mult)*durMillis
	for floor > ms {
		mult--
		cal = addMonths(cal, -int(d.Months))
		floor = cal.UnixMilli() + int64(mult)*durMillis
	}
	return max(floor, start), nil
}

// addMonths adds months as Java's Calendar.add(MONTH): the day clamped
// to the month's last.
func addMonths(t time.Time, n int) time.Time {
	r := t.AddDate(0, n, 0)
	if r.Day() != t.Day() {
		r = r.AddDate(0, 0, -r.Day())
	}
	return r
}

// floorTime is Cassandra's Duration.floorTime, in nanoseconds.
func floorTime(ns int64, d schema.Duration) (int64, error) {
	if negative(d) {
		return 0, qerr.Invalidf("Negative durations are not supported by the floor function")
	}
	if d.Months != 0 || d.Days != 0 || d.Nanos > 86400e9 {
		return 0, qerr.Invalidf("For time values, the floor can only be computed for durations smaller that a day")
	}
	if d.Nanos == 0 {
		return ns, nil
	}
	return ns - ns%d.Nanos, nil
}
