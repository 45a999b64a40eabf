package schema

import (
	"encoding/hex"
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
