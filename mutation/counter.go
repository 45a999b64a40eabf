package mutation

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Counters, as Cassandra keeps them. A counter cell (CellCounter) holds a
// context: one shard per node that has led an increment of the counter,
// each the node's counter id (its host id), a logical clock and the
// node's running total. Only the node that owns a shard writes it, each
// write with the clock one higher, so for a given counter id the shard with
// the higher clock is the newer one. The counter's value is the sum of its
// shards' values.
//
// Two live counter cells merge (see MergeCounterContexts): the union of
// their counter ids, each with the shard of the higher clock (on equal
// clocks, the greater value, so that the result does not depend on the
// order), at the higher of the two timestamps. Merging is commutative,
// associative and idempotent, and the merged context is sorted by counter
// id with each id once, so replicas that received the same shards hold the
// same bytes whatever the order and grouping of their writes.
//
// A counter tombstone (a plain CellTombstone on a counter column) wins over
// a live counter cell whatever their timestamps, as Cassandra's
// (CASSANDRA-7346): a last-write-wins rule would not be associative, since
// a merge of two counter cells takes the later timestamp of the two. So a
// deleted counter cannot be used again: increments after a DELETE of the
// column stay invisible until the tombstone is purged. Increments after a
// row or partition deletion start a new shard, which a merge keeps apart
// from the deleted ones only where the deletion takes part in it
// (MergeRows drops what the row deletion shadows before reconciling): a
// replica, a memtable or a compaction that merged old and new shards
// without the deletion hands the old ones on under the new timestamp.
// Cassandra documents the same restriction; delete counters only for
// good.
//
// An increment travels from the client's coordinator to the leader replica
// as a counter update (CellCounterUpdate): Value is the delta, 8 bytes big
// endian; Timestamp the statement's write timestamp (as Cassandra's), or 0
// for the leader's clock. The leader turns it into a counter cell holding
// its own shard alone, at that timestamp; updates never reach storage.

// CounterIDLen is the length of a counter id (a host id, a UUID).
const CounterIDLen = 16

// Shard is one node's part of a counter.
type Shard struct {
	ID    [CounterIDLen]byte
	Clock int64
	Value int64
}

// counterContextVersion starts a counter context's encoding.
const counterContextVersion = 1

const shardLen = CounterIDLen + 16

// ErrBadCounterContext is returned for bytes that are not a counter context.
var ErrBadCounterContext = errors.New("mutation: bad counter context")

/*
Counter context encoding (a CellCounter cell's Value), version 1:

	version      u8    counterContextVersion (1)
	shard*             sorted by id (bytes.Compare), each id at most once:
	  id         16 bytes   counter id: the host id of the shard's owner
	  clock      8 bytes    big-endian two's complement
	  value      8 bytes    big-endian two's complement

	example: one shard, id 00…01, clock 3, value -2:
	  01 | 00 … 00 01 | 00 00 00 00 00 00 00 03 | ff ff ff ff ff ff ff fe
*/

// AppendCounterContext appends the encoding of shards, which must be sorted
// by id with no id twice.
func AppendCounterContext(dst []byte, shards ...Shard) []byte {
	dst = append(dst, counterContextVersion)
	for _, s := range shards {
		dst = appendShard(dst, s.ID[:], s.Clock, s.Value)
	}
	return dst
}

func appendShard(dst, id []byte, clock, value int64) []byte {
	dst = append(dst, id...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(clock))
	return binary.BigEndian.AppendUint64(dst, uint64(value))
}

// checkContext validates b and returns its shards' bytes.
func checkContext(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != counterContextVersion || (len(b)-1)%shardLen != 0 {
		return nil, ErrBadCounterContext
	}
	b = b[1:]
	for i := shardLen; i < len(b); i += shardLen {
		if bytes.Compare(b[i-shardLen:i-shardLen+CounterIDLen], b[i:i+CounterIDLen]) >= 0 {
			return nil, ErrBadCounterContext
		}
	}
	return b, nil
}

func shardAt(b []byte) Shard {
	var s Shard
	copy(s.ID[:], b)
	s.Clock = int64(binary.BigEndian.Uint64(b[CounterIDLen:]))
	s.Value = int64(binary.BigEndian.Uint64(b[CounterIDLen+8:]))
	return s
}

// CounterShards decodes a counter context.
func CounterShards(b []byte) ([]Shard, error) {
	sb, err := checkContext(b)
	if err != nil {
		return nil, err
	}
	out := make([]Shard, 0, len(sb)/shardLen)
	for ; len(sb) > 0; sb = sb[shardLen:] {
		out = append(out, shardAt(sb))
	}
	return out, nil
}

// CounterShard returns the shard of counter id id in context b.
func CounterShard(b []byte, id [CounterIDLen]byte) (Shard, bool, error) {
	sb, err := checkContext(b)
	if err != nil {
		return Shard{}, false, err
	}
	for ; len(sb) > 0; sb = sb[shardLen:] {
		if bytes.Equal(sb[:CounterIDLen], id[:]) {
			return shardAt(sb), true, nil
		}
	}
	return Shard{}, false, nil
}

// CounterTotal returns a counter's value: the sum of its shards' values
// (wrapping around on overflow, as Cassandra's long arithmetic does).
func CounterTotal(b []byte) (int64, error) {
	sb, err := checkContext(b)
	if err != nil {
		return 0, err
	}
	var sum int64
	for ; len(sb) > 0; sb = sb[shardLen:] {
		sum += int64(binary.BigEndian.Uint64(sb[CounterIDLen+8:]))
	}
	return sum, nil
}

// MergeCounterContexts merges two counter contexts: every counter id of
// either, each with the shard of the higher clock, or of the greater value
// on equal clocks.
func MergeCounterContexts(a, b []byte) ([]byte, error) {
	as, err := checkContext(a)
	if err != nil {
		return nil, err
	}
	bs, err := checkContext(b)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, len(a)+len(bs))
	out[0] = counterContextVersion
	for len(as) > 0 || len(bs) > 0 {
		switch {
		case len(bs) == 0:
			out = append(out, as...)
			as = nil
		case len(as) == 0:
			out = append(out, bs...)
			bs = nil
		default:
			switch c := bytes.Compare(as[:CounterIDLen], bs[:CounterIDLen]); {
			case c < 0:
				out = append(out, as[:shardLen]...)
				as = as[shardLen:]
			case c > 0:
				out = append(out, bs[:shardLen]...)
				bs = bs[shardLen:]
			default:
				x, y := shardAt(as), shardAt(bs)
				if y.Clock > x.Clock || y.Clock == x.Clock && y.Value > x.Value {
					x = y
				}
				out = appendShard(out, x.ID[:], x.Clock, x.Value)
				as, bs = as[shardLen:], bs[shardLen:]
			}
		}
	}
	return out, nil
}

// IsCounter reports whether c is a live counter cell (a context).
func (c *Cell) IsCounter() bool {
	return c.Flags&CellCounter != 0 && !c.IsTombstone()
}

// IsCounterUpdate reports whether c is an increment not yet applied by a
// leader.
func (c *Cell) IsCounterUpdate() bool { return c.Flags&CellCounterUpdate != 0 }

// CounterUpdateCell returns an increment of column by delta, written at ts
// (0: at the leader's clock).
func CounterUpdateCell(column uint32, ts, delta int64) Cell {
	return Cell{Column: column, Flags: CellCounterUpdate, Timestamp: ts, LocalDeletionTime: NoDeletionTime,
		Value: binary.BigEndian.AppendUint64(nil, uint64(delta))}
}

// CounterDelta returns the delta of a counter update cell.
func (c *Cell) CounterDelta() (int64, error) {
	if !c.IsCounterUpdate() || len(c.Value) != 8 {
		return 0, errors.New("mutation: not a counter update")
	}
	return int64(binary.BigEndian.Uint64(c.Value)), nil
}

// CounterCell returns a counter cell of column holding one shard, written
// at ts.
func CounterCell(column uint32, ts int64, s Shard) Cell {
	return Cell{Column: column, Flags: CellCounter, Timestamp: ts, LocalDeletionTime: NoDeletionTime,
		Value: AppendCounterContext(nil, s)}
}

// HasCounterUpdates reports whether m carries counter updates, which only
// a counter leader may apply.
func (m *Mutation) HasCounterUpdates() bool {
	has := func(r *Row) bool {
		for i := range r.Cells {
			if r.Cells[i].Flags&CellCounterUpdate != 0 {
				return true
			}
		}
		return false
	}
	if m.Partition.Static != nil && has(m.Partition.Static) {
		return true
	}
	for i := range m.Partition.Rows {
		if has(&m.Partition.Rows[i]) {
			return true
		}
	}
	return false
}

// reconcileCounter applies the counter rules to two versions of a cell of
// which at least one is flagged as a counter; nil when they do not apply
// (the usual rules decide). Two live counter cells merge into a new cell
// (or the one of them that already is the merge); a tombstone beats a live
// counter cell whatever the timestamps. Two counter updates of one counter
// (a statement or a batch incrementing it twice) add up: they are requests
// to a leader, not data, and never reach storage.
func reconcileCounter(a, b *Cell) *Cell {
	if a.IsCounterUpdate() && b.IsCounterUpdate() {
		x, err1 := a.CounterDelta()
		y, err2 := b.CounterDelta()
		if err1 != nil || err2 != nil {
			return nil
		}
		c := CounterUpdateCell(a.Column, max(a.Timestamp, b.Timestamp), x+y)
		c.Path = a.Path
		return &c
	}
	ac, bc := a.IsCounter(), b.IsCounter()
	switch {
	case ac && bc:
	case ac && b.IsTombstone():
		return b
	case bc && a.IsTombstone():
		return a
	default:
		return nil
	}
	v, err := MergeCounterContexts(a.Value, b.Value)
	if err != nil {
		// Corrupt: the usual rules keep the merge deterministic.
		return nil
	}
	ts := max(a.Timestamp, b.Timestamp)
	if a.Timestamp == ts && bytes.Equal(v, a.Value) {
		return a
	}
	if b.Timestamp == ts && bytes.Equal(v, b.Value) {
		return b
	}
	return &Cell{Column: a.Column, Flags: CellCounter, Path: a.Path, Timestamp: ts,
		LocalDeletionTime: NoDeletionTime, Value: v}
}
