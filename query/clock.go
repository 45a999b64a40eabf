package query

// The executor's clock: the time of writes and of now() and the like.
// Tests replace it (Config.Now).

import (
	"time"

	"wcdb/query/plan"
	"wcdb/schema"
)

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
func (x *Executor) writeTimestamp() int64 { return x.clk.Timestamp(x.now()) }

// newTimeuuid returns a new version 1 UUID for now(): from schema's
// generator on the real clock, or built from the executor's clock when it
// is replaced (tests), increasing per executor.
func (x *Executor) newTimeuuid() schema.UUID {
	if x.cfg.Now == nil {
		return schema.NewTimeuuid()
	}
	return x.clk.Timeuuid(x.cfg.Now())
}

// now returns the current time in microseconds since the epoch.
func (x *Executor) now() int64 {
	if x.cfg.Now != nil {
		return x.cfg.Now()
	}
	return timeNowMicros()
}

func timeNowMicros() int64 { return time.Now().UnixMicro() }
