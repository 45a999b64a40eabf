package schema

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"
	"wcdb/schema/timeuuid"
)

// UUID is a UUID in its 16-byte serialization (RFC 4122 byte order).
type UUID [16]byte

// ParseUUID parses the canonical 8-4-4-4-12 hexadecimal form, in either
// case.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, invalidf("Unable to make UUID from '%s'", s)
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		if _, err := hex.Decode(u[j:j+1], []byte(s[i:i+2])); err != nil {
			return UUID{}, invalidf("Unable to make UUID from '%s'", s)
		}
		i += 2
		j++
	}
	return u, nil
}

// String returns u in the canonical lower-case 8-4-4-4-12 form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Version returns the UUID version (1 for time-based, 4 for random).
func (u UUID) Version() int { return int(u[6] >> 4) }

// TimeuuidTime returns the time embedded in a version 1 UUID (100 ns
// precision).
func TimeuuidTime(u UUID) time.Time { return timeuuid.Time(u) }

// MinTimeuuid returns the smallest timeuuid (under Compare) whose time is
// t's millisecond, as Cassandra's minTimeuuid().
func MinTimeuuid(t time.Time) UUID { return timeuuid.Min(t) }

// MaxTimeuuid returns the greatest timeuuid whose time is t's millisecond,
// as Cassandra's maxTimeuuid().
func MaxTimeuuid(t time.Time) UUID { return timeuuid.Max(t) }

// NewTimeuuid returns a new version 1 UUID for the current time, as CQL's
// now() (timeuuid.New).
func NewTimeuuid() UUID { return timeuuid.New() }

// NewRandomUUID returns a new random (version 4) UUID, as CQL's uuid().
func NewRandomUUID() UUID { return timeuuid.NewRandom() }

// ToTimestamp converts a serialized timeuuid, date or timestamp to a
// serialized timestamp, as CQL's toTimestamp(). An empty value gives nil
// (null).
func ToTimestamp(t Type, b []byte) ([]byte, error) {
	ms, ok, err := toMillis(t, b)
	if !ok || err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint64(nil, uint64(ms)), nil
}

// ToUnixTimestamp converts a serialized timeuuid, date or timestamp to a
// serialized bigint of milliseconds since the epoch, as CQL's
// toUnixTimestamp(). An empty value gives nil (null).
func ToUnixTimestamp(t Type, b []byte) ([]byte, error) { return ToTimestamp(t, b) }

// ToDate converts a serialized timeuuid, timestamp or date to a serialized
// date (the day, in UTC), as CQL's toDate(). An empty value gives nil (null).
func ToDate(t Type, b []byte) ([]byte, error) {
	if t.Kind == KindDate {
		if err := Validate(t, b); err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	}
	ms, ok, err := toMillis(t, b)
	if !ok || err != nil {
		return nil, err
	}
	days := floorDiv(ms, 86400000) + 1<<31
	if days < 0 || days > math.MaxUint32 {
		return nil, invalidf("Input date %d is out of bounds", days)
	}
	return binary.BigEndian.AppendUint32(nil, uint32(days)), nil
}

// toMillis returns the time of a timeuuid, date or timestamp value in
// milliseconds; ok is false for an empty value.
func toMillis(t Type, b []byte) (ms int64, ok bool, err error) {
	if err := Validate(t, b); err != nil {
		return 0, false, err
	}
	if len(b) == 0 {
		return 0, false, nil
	}
	switch t.Kind {
	case KindTimeuuid:
		return timeuuid.Millis(UUID(b)), true, nil
	case KindTimestamp:
		return int64(binary.BigEndian.Uint64(b)), true, nil
	case KindDate:
		return (int64(binary.BigEndian.Uint32(b)) - 1<<31) * 86400000, true, nil
	}
	return 0, false, invalidf("cannot convert a %s to a time", t)
}
