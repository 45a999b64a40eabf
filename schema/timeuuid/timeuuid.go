// Package timeuuid makes version 1 UUIDs as Cassandra's UUIDGen does, for
// CQL's now(), minTimeuuid(), maxTimeuuid() and the paths of list
// elements: a 60-bit timestamp (100 ns units since 1582-10-15) and a clock
// sequence and node random per process, each UUID later than the one
// before. UUIDs are 16 bytes in RFC 4122 order (schema.UUID).
package timeuuid

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// UUID is a UUID in its 16-byte serialization.
type UUID = [16]byte

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

// fromTicks builds a version 1 UUID from a 60-bit timestamp (100 ns units
// since 1582-10-15) and its low 8 bytes (variant, clock sequence, node).
func fromTicks(ticks, lsb uint64) UUID {
	ticks &= maxTicks
	msb := ticks<<32 | (ticks>>16)&0xFFFF0000 | ticks>>48 | 0x1000
	var u UUID
	binary.BigEndian.PutUint64(u[:8], msb)
	binary.BigEndian.PutUint64(u[8:], lsb)
	return u
}

// ticksOf returns the 60-bit timestamp of a version 1 UUID.
func ticksOf(u UUID) uint64 {
	msb := binary.BigEndian.Uint64(u[:8])
	return (msb<<48 | (msb<<16)&0xFFFF00000000 | msb>>32) & maxTicks
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

// Time returns the time embedded in a version 1 UUID (100 ns
// precision).
func Time(u UUID) time.Time {
	ticks := int64(ticksOf(u)) - uuidEpochOffset
	return time.Unix(floorDiv(ticks, 1e7), (ticks-floorDiv(ticks, 1e7)*1e7)*100).UTC()
}

// Millis is Cassandra's UUIDGen.unixTimestamp: the embedded time in
// milliseconds, rounded down.
func Millis(u UUID) int64 {
	return int64(ticksOf(u)/10000) - uuidEpochOffset/10000
}

// Min returns the smallest timeuuid (under Compare) whose time is
// t's millisecond, as Cassandra's minTimeuuid().
func Min(t time.Time) UUID {
	return fromTicks(msTicks(t.UnixMilli()), minClockSeqAndNode)
}

// Max returns the greatest timeuuid whose time is t's millisecond,
// as Cassandra's maxTimeuuid().
func Max(t time.Time) UUID {
	ms := t.UnixMilli()
	ticks := msTicks(ms)
	if ticks < maxTicks {
		ticks = msTicks(ms+1) - 1
	}
	return fromTicks(ticks, maxClockSeqAndNode)
}

// gen is the process's timeuuid generator state.
var gen struct {
	once sync.Once
	// lsb is the variant, clock sequence and node: random per process.
	lsb uint64
	// last is the timestamp of the last timeuuid made; every new one is
	// later, even within one 100 ns tick.
	last atomic.Uint64
	// prepend is the lowest timestamp handed out by ReservePrepend.
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
func nextTicks() uint64 { return Reserve(1) }

// Reserve returns the first of n consecutive timestamps (n > 0), later
// than every one returned before (New's too); later calls return later
// ones. FromTicks makes their timeuuids.
func Reserve(n int) uint64 {
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

// ReserveFrom is Reserve(1) for a timestamp no earlier than from: a
// Paxos ballot must be later than every ballot a replica has promised.
func ReserveFrom(from uint64) uint64 {
	initGen()
	for {
		last := gen.last.Load()
		next := max(ticksAt(time.Now()), last+1, from)
		if gen.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

// Ticks returns the 60-bit timestamp of a version 1 UUID, in 100 ns units
// since 1582-10-15.
func Ticks(u UUID) uint64 { return ticksOf(u) }

// Micros returns the time of a version 1 UUID as microseconds since the
// Unix epoch, rounded down: the write timestamp of a Paxos ballot's
// update.
func Micros(u UUID) int64 { return floorDiv(int64(ticksOf(u))-uuidEpochOffset, 10) }

// New returns a new version 1 UUID for the current time, as CQL's
// now(): the clock sequence and node are random per process, and each UUID
// made by a process is later than the one before, even within one 100 ns
// tick.
func New() UUID {
	t := nextTicks()
	return fromTicks(t, gen.lsb)
}

// NewRandom returns a new random (version 4) UUID, as CQL's uuid().
func NewRandom() UUID {
	var u UUID
	if _, err := rand.Read(u[:]); err != nil {
		u = New()
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// FromTicks returns the timeuuid of a timestamp from Reserve or
// ReservePrepend, with the process's clock sequence and node.
func FromTicks(ticks uint64) UUID {
	initGen()
	return fromTicks(ticks, gen.lsb)
}

// prependReference is Cassandra's reference time for prepends, 2010-01-01,
// as a UUID timestamp.
var prependReference = ticksAt(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC))

// ReservePrepend returns the first of n consecutive timestamps that lie
// before every timestamp handed out before by this process (Reserve's and
// its own), for list prepends: they mirror the current time around
// 2010-01-01, and each batch lies below the previous one.
func ReservePrepend(n int) uint64 {
	initGen()
	now := ticksAt(time.Now())
	base := prependReference
	if now > prependReference {
		base -= min(now-prependReference, prependReference)
	}
	for {
		last := gen.prepend.Load()
		b := base
		if last != 0 && b+uint64(n) > last {
			b = last - uint64(n)
		}
		if gen.prepend.CompareAndSwap(last, b) {
			base = b
			break
		}
	}
	return base
}

// floorDiv is a / b rounded toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
