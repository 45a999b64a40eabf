// Package cursor reads the rows of one partition over clustering ranges,
// in read order (reversed for ORDER BY DESC), a chunk at a time through
// the coordinator, and has the range arithmetic that paging and filtering
// need (a range resumed after a row, rows tested against ranges).
package cursor

import (
	"context"
	"slices"

	"wcdb/mutation"
	"wcdb/query/plan"
	"wcdb/replication"
	"wcdb/schema"
)

// Part is the reader's side of a partition being read.
type Part interface {
	// Chunk returns how many rows to ask for, given the reads made so far.
	Chunk(reads int) int
	// SetStatic is called once, after the first read, with the
	// partition's static row (nil if none).
	SetStatic(*mutation.Row)
}

// Cursor reads one partition. Set the fields, then Init; Next gives the
// rows. Not safe for concurrent use.
type Cursor struct {
	Ctx      context.Context
	Coord    replication.Coordinator
	CL       replication.Consistency
	Keyspace *schema.Keyspace
	Table    mutation.TableID
	Key      mutation.Key
	Reversed bool
	// Versions is the table's cell versions rule (ReadCommand.Versions).
	Versions mutation.VersionRule
	// Part is told of the partition as it is read.
	Part Part

	ranges []plan.Range // in read order
	ri     int
	cur    plan.Range
	open   bool
	buf    []mutation.Row
	bi     int
	read   bool // the first read was made (static row known)
	reads  int
}

// Init positions the cursor before the first row of ranges (in table
// order) and keeps the fields set.
func (c *Cursor) Init(rs []plan.Range) {
	if c.Reversed {
		rs = slices.Clone(rs)
		slices.Reverse(rs)
	}
	c.ranges, c.ri, c.cur, c.open, c.buf, c.bi, c.read, c.reads = rs, 0, plan.Range{}, false, nil, 0, false, 0
}

// Next returns the next row, or nil at the end.
func (c *Cursor) Next() (*mutation.Row, error) {
	for {
		if c.bi < len(c.buf) {
			c.bi++
			return &c.buf[c.bi-1], nil
		}
		if !c.open {
			if c.ri >= len(c.ranges) {
				return nil, nil
			}
			c.cur = c.ranges[c.ri]
			c.ri++
			c.open = true
		}
		if err := c.Ctx.Err(); err != nil {
			return nil, err
		}
		n := c.Part.Chunk(c.reads)
		c.reads++
		cmd := replication.ReadCommand{Keyspace: c.Keyspace, Table: c.Table, Key: c.Key,
			Start: c.cur.Start, End: c.cur.End, Reverse: c.Reversed, Limit: n, Versions: c.Versions}
		p, err := c.Coord.Read(c.Ctx, cmd, c.CL)
		if err != nil {
			return nil, err
		}
		if !c.read {
			c.read = true
			var static *mutation.Row
			if p != nil {
				static = p.Static
			}
			c.Part.SetStatic(static)
		}
		c.buf, c.bi = nil, 0
		if p != nil {
			c.buf = p.Rows
		}
		if len(c.buf) < n {
			c.open = false
		} else {
			last := c.buf[len(c.buf)-1].Clustering
			if c.Reversed {
				c.cur.End = slices.Clone(last)
			} else {
				c.cur.Start = append(slices.Clone(last), 0)
			}
			if c.cur.Empty() {
				c.open = false
			}
		}
	}
}

// InRanges reports whether clustering c is in one of the ranges.
func InRanges(rs []plan.Range, c []byte) bool {
	for _, r := range rs {
		if r.Contains(c) {
			return true
		}
	}
	return false
}

// Clip intersects ranges with [lo, hi) (nil: open).
func Clip(rs []plan.Range, lo, hi []byte) []plan.Range {
	return plan.IntersectRanges(rs, []plan.Range{{Start: lo, End: hi}})
}

// Resume clips ranges to what follows clustering c in read order.
func Resume(rs []plan.Range, c []byte, reversed bool) []plan.Range {
	if reversed {
		return Clip(rs, nil, c)
	}
	return Clip(rs, append(slices.Clip(c), 0), nil)
}

// Probe reads whether a partition has any row, and its static row.
func Probe(ctx context.Context, coord replication.Coordinator, cl replication.Consistency, ks *schema.Keyspace, t *schema.Table, key mutation.Key) (*mutation.Row, bool, error) {
	cmd := replication.ReadOf(ks, t, key)
	cmd.Limit = 1
	p, err := coord.Read(ctx, cmd, cl)
	if err != nil || p == nil {
		return nil, false, err
	}
	return p.Static, len(p.Rows) > 0, nil
}
