// Package clock is the query executor's sequence of write timestamps and
// now() timeuuids: strictly increasing per executor, so that two writes in
// a row from one client never tie.
package clock

import (
	"encoding/binary"
	"sync/atomic"

	"wcdb/schema"
)

// Sequence is an executor's last write timestamp and timeuuid time. The
// zero value is ready; it is safe for concurrent use.
type Sequence struct {
	lastMicros atomic.Int64
	lastTicks  atomic.Uint64
}

// Timestamp returns now (microseconds since the epoch), or one more than
// the last timestamp returned if that is not below it.
func (s *Sequence) Timestamp(now int64) int64 {
	for {
		last := s.lastMicros.Load()
		next := max(now, last+1)
		if s.lastMicros.CompareAndSwap(last, next) {
			return next
		}
	}
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// Timeuuid returns a version 1 UUID of time now (microseconds since the
// epoch), its time later than the last one's, with schema's clock sequence
// and node.
func (s *Sequence) Timeuuid(now int64) schema.UUID {
	ticks := uint64(now*10 + uuidEpochOffset)
	for {
		last := s.lastTicks.Load()
		next := max(ticks, last+1)
		if s.lastTicks.CompareAndSwap(last, next) {
			ticks = next
			break
		}
	}
	ticks &= 1<<60 - 1
	u := schema.NewTimeuuid() // for its clock sequence and node
	msb := ticks<<32 | (ticks>>16)&0xFFFF0000 | ticks>>48 | 0x1000
	binary.BigEndian.PutUint64(u[:8], msb)
	return u
}
