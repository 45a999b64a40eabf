package query

// The executor's clock: the time of writes and of now() and the like.
// Tests replace it (Config.Now).

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"wcdb/query/plan"
	"wcdb/schema"
)

// clockState is an executor's write-timestamp clock and now() timeuuid
// sequence.
type clockState struct {
	lastMicros atomic.Int64
	lastTicks  atomic.Uint64
}

// execClock is an executor as the planner's Clock (now(),
// currenttimestamp() and the like read it).
type execClock Executor

func (c *execClock) Now() int64               { return (*Executor)(c).now() }
func (c *execClock) NewTimeuuid() schema.UUID { return (*Executor)(c).newTimeuuid() }

// clock returns x as the planner's Clock.
func (x *Executor) clock() plan.Clock { return (*execClock)(x) }

// writeTimestamp returns a server-side write timestamp: the clock in
// microseconds, made strictly increasing per executor so that two writes in
// a row from one client never tie.
func (x *Executor) writeTimestamp() int64 {
	c := &x.clk
	now := x.now()
	for {
		last := c.lastMicros.Load()
		next := max(now, last+1)
		if c.lastMicros.CompareAndSwap(last, next) {
			return next
		}
	}
}

// uuidEpochOffset is the number of 100 ns intervals between the UUID epoch
// (1582-10-15) and the Unix epoch.
const uuidEpochOffset = 0x01B21DD213814000

// newTimeuuid returns a new version 1 UUID for now(): from schema's
// generator on the real clock, or built from the executor's clock when it
// is replaced (tests), increasing per executor.
func (x *Executor) newTimeuuid() schema.UUID {
	if x.cfg.Now == nil {
		return schema.NewTimeuuid()
	}
	c := &x.clk
	ticks := uint64(x.cfg.Now()*10 + uuidEpochOffset)
	for {
		last := c.lastTicks.Load()
		next := max(ticks, last+1)
		if c.lastTicks.CompareAndSwap(last, next) {
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

// now returns the current time in microseconds since the epoch.
func (x *Executor) now() int64 {
	if x.cfg.Now != nil {
		return x.cfg.Now()
	}
	return timeNowMicros()
}

func timeNowMicros() int64 { return time.Now().UnixMicro() }
