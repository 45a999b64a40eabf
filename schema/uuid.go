package schema

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"math"
	"sync"
	"sync/atomic"
	"time"
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

// uuidEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// maxTicks is the largest 60-bit UUID timestamp.
const maxTicks = 1<<60 - 1

// Cassandra's bounds for the clock sequence and node of minTimeuuid and
// maxTimeuuid: the least and greatest 8 bytes when compared as signed bytes.
const (
	minClockSeqAndNode = 0x8080808080808080
	maxClockSeqAndNode = 0x7f7f7f7f7f7f7f7f
)

// timeuuid builds a version 1 UUID from a 60-bit timestamp (100 ns units
// since 1582-10-15) and its low 8 bytes (variant, clock sequence, node).
func timeuuid(ticks, lsb uint64) UUID {
	ticks &= maxTicks
	msb := ticks<<32 | (ticks>>16)&0xFFFF0000 | ticks>>48 | 0x1000
	var u UUID
	binary.BigEndian.PutUint64(u[:8], msb)
	binary.BigEndian.PutUint64(u[8:], lsb)
	return u
}

// timeuuidTicks returns the 60-bit timestamp of a version 1 UUID.
func timeuuidTicks(u UUID) uint64 {
	return reorderTimestamp(binary.BigEndian.Uint64(u[:8])) & maxTicks
}

func ticksAt(t time.Time) uint64 {
	ns := t.UnixNano()
	return uint64(floorDiv(ns, 100) + uuidEpochOffset)
}

// msTicks returns the UUID timestamp of a Unix time in milliseconds,
// clamped to the 60-bit range.
func msTicks(ms int64) uint64 {
	const lo, hi = -uuidEpochOffset / 10000, (maxTicks - uuidEpochOffset) / 10000
	switch {
	case ms < lo:
		return 0
	case ms > hi:
		return maxTicks
	}
	return uint64(ms*10000 + uuidEpochOffset)
}

// TimeuuidTime returns the time embedded in a version 1 UUID (100 ns
// precision).
func TimeuuidTime(u UUID) time.Time {
	ticks := int64(timeuuidTicks(u)) - uuidEpochOffset
	return time.Unix(floorDiv(ticks, 1e7), (ticks-floorDiv(ticks, 1e7)*1e7)*100).UTC()
}

// timeuuidMillis is Cassandra's UUIDGen.unixTimestamp: the embedded time in
// milliseconds, rounded down.
func timeuuidMillis(u UUID) int64 {
	return int64(timeuuidTicks(u)/10000) - uuidEpochOffset/10000
}

// MinTimeuuid returns the smallest timeuuid (under Compare) whose time is
// t's millisecond, as Cassandra's minTimeuuid().
func MinTimeuuid(t time.Time) UUID {
	return timeuuid(msTicks(t.UnixMilli()), minClockSeqAndNode)
}

// MaxTimeuuid returns the greatest timeuuid whose time is t's millisecond,
// as Cassandra's maxTimeuuid().
func MaxTimeuuid(t time.Time) UUID {
	ms := t.UnixMilli()
	ticks := msTicks(ms)
	if ticks < maxTicks {
		ticks = msTicks(ms+1) - 1
	}
	return timeuuid(ticks, maxClockSeqAndNode)
}

// gen is the process's timeuuid generator state.
var gen struct {
	once sync.Once
	// lsb is the variant, clock sequence and node: random per process.
	lsb uint64
	// last is the timestamp of the last timeuuid made; every new one is
	// later, even within one 100 ns tick.
	last atomic.Uint64
	// prepend is the lowest timestamp handed to PrependListPaths.
	prepend atomic.Uint64
}

func initGen() {
	gen.once.Do(func() {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			// crypto/rand does not fail on supported platforms; a clock-derived
			// value still gives distinct, if less random, ids.
			binary.BigEndian.PutUint64(b[:], uint64(time.Now().UnixNano()))
		}
		lsb := binary.BigEndian.Uint64(b[:])
		lsb &^= 0xC000000000000000
		lsb |= 0x8000000000000000 // RFC 4122 variant
		lsb |= 0x0000010000000000 // multicast bit: a random, not a MAC, node
		gen.lsb = lsb
	})
}

// nextTicks returns a timestamp later than every one returned before.
func nextTicks() uint64 { return reserveTicks(1) }

// reserveTicks returns the first of n consecutive timestamps (n > 0), later
// than every one returned before; later calls return later ones.
func reserveTicks(n int) uint64 {
	initGen()
	for {
		now := ticksAt(time.Now())
		last := gen.last.Load()
		next := max(now, last+1)
		if gen.last.CompareAndSwap(last, next+uint64(max(n, 1))-1) {
			return next
		}
	}
}

// NewTimeuuid returns a new version 1 UUID for the current time, as CQL's
// now(): the clock sequence and node are random per process, and each UUID
// made by a process is later than the one before, even within one 100 ns
// tick.
func NewTimeuuid() UUID {
	t := nextTicks()
	return timeuuid(t, gen.lsb)
}

// NewRandomUUID returns a new random (version 4) UUID, as CQL's uuid().
func NewRandomUUID() UUID {
	var u UUID
	if _, err := rand.Read(u[:]); err != nil {
		u = NewTimeuuid()
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

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
		return timeuuidMillis(UUID(b)), true, nil
	case KindTimestamp:
		return int64(binary.BigEndian.Uint64(b)), true, nil
	case KindDate:
		return (int64(binary.BigEndian.Uint32(b)) - 1<<31) * 86400000, true, nil
	}
	return 0, false, invalidf("cannot convert a %s to a time", t)
}
