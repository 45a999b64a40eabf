package funcs

// Conversions among the time types, as CQL's toTimestamp(), toDate() and
// toUnixTimestamp() and the casts among timeuuid, timestamp and date.

import (
	"encoding/binary"
	"math"

	"wcdb/query/qerr"
	"wcdb/schema"
	"wcdb/schema/timeuuid"
)

// ToTimestamp converts a serialized timeuuid, date or timestamp to a
// serialized timestamp, as CQL's toTimestamp(). An empty value gives nil
// (null).
func ToTimestamp(t schema.Type, b []byte) ([]byte, error) {
	ms, ok, err := toMillis(t, b)
	if !ok || err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(nil, uint64(ms)), nil
}

// ToUnixTimestamp converts a serialized timeuuid, date or timestamp to a
// serialized bigint of milliseconds since the epoch, as CQL's
// toUnixTimestamp(). An empty value gives nil (null).
func ToUnixTimestamp(t schema.Type, b []byte) ([]byte, error) { return ToTimestamp(t, b) }

// ToDate converts a serialized timeuuid, timestamp or date to a serialized
// date (the day, in UTC), as CQL's toDate(). An empty value gives nil (null).
func ToDate(t schema.Type, b []byte) ([]byte, error) {
	if t.Kind == schema.KindDate {
		if err := schema.Validate(t, b); err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	}
	ms, ok, err := toMillis(t, b)
	if !ok || err != nil {
		return nil, err
	}
	days := FloorDiv(ms, 86400000) + 1<<31
	if days < 0 || days > math.MaxUint32 {
		return nil, qerr.Invalidf("Input date %d is out of bounds", days)
	}
	return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
}

// toMillis returns the time of a timeuuid, date or timestamp value in
// milliseconds; ok is false for an empty value.
func toMillis(t schema.Type, b []byte) (ms int64, ok bool, err error) {
	if err := schema.Validate(t, b); err != nil {
		return 0, false, err
	}
	if len(b) == 0 {
		return 0, false, nil
	}
	switch t.Kind {
	case schema.KindTimeuuid:
		return timeuuid.Millis(schema.UUID(b)), true, nil
	case schema.KindTimestamp:
		return int64(binary.BigEndian.Uint64(b)), true, nil
	case schema.KindDate:
		return (int64(binary.BigEndian.Uint32(b)) - 1<<31) * 86400000, true, nil
	}
	return 0, false, qerr.Invalidf("cannot convert a %s to a time", t)
}
