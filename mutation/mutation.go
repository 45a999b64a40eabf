package mutation

import (
	"bytes"
	"math"
)

// NoTimestamp marks an absent timestamp (no row marker, no deletion).
const NoTimestamp = math.MinInt64

// NoDeletionTime marks a live, non-expiring cell's local deletion time.
const NoDeletionTime = math.MaxInt64

// TableID identifies a table (a UUID, as Cassandra's table ids).
type TableID [16]byte

// Deletion is a tombstone's content: the write timestamp of the delete
// (microseconds) and the local time it was made (seconds since the epoch),
// which gc_grace_seconds counts from. The zero value is not live; use Live.
type Deletion struct {
	Timestamp         int64
	LocalDeletionTime int64
}

// Live is the absence of a deletion.
var Live = Deletion{Timestamp: NoTimestamp, LocalDeletionTime: NoDeletionTime}

// IsLive reports whether d deletes nothing.
func (d Deletion) IsLive() bool { return d.Timestamp == NoTimestamp }

// Shadows reports whether data written at ts is deleted by d.
func (d Deletion) Shadows(ts int64) bool { return !d.IsLive() && ts <= d.Timestamp }

// Supersedes reports whether d wins over o (higher timestamp, then later
// local deletion time).
func (d Deletion) Supersedes(o Deletion) bool {
	if d.Timestamp != o.Timestamp {
		return d.Timestamp > o.Timestamp
	}
	return !d.IsLive() && d.LocalDeletionTime > o.LocalDeletionTime
}

// Max returns the deletion that wins of d and o.
func (d Deletion) Max(o Deletion) Deletion {
	if o.Supersedes(d) {
		return o
	}
	return d
}

// Liveness is a row's primary-key liveness (the row marker an INSERT writes):
// the row exists, even with every regular column null, while it is live.
type Liveness struct {
	Timestamp int64
	// TTL in seconds; 0 when not expiring.
	TTL int32
	// ExpiresAt is the local time (seconds) the marker expires; NoDeletionTime
	// when not expiring.
	ExpiresAt int64
}

// NoLiveness is the absence of a row marker.
var NoLiveness = Liveness{Timestamp: NoTimestamp, ExpiresAt: NoDeletionTime}

// IsEmpty reports whether there is no marker.
func (l Liveness) IsEmpty() bool { return l.Timestamp == NoTimestamp }

// IsLive reports whether the marker makes the row exist at now (seconds).
func (l Liveness) IsLive(now int64) bool { return !l.IsEmpty() && now < l.ExpiresAt }

// Supersedes reports whether l wins over o: higher timestamp, then (as
// Cassandra) the one expiring later, non-expiring counting as latest.
func (l Liveness) Supersedes(o Liveness) bool {
	if l.Timestamp != o.Timestamp {
		return l.Timestamp > o.Timestamp
	}
	return l.ExpiresAt > o.ExpiresAt
}

// Cell flags.
const (
	// CellTombstone: the cell is a deletion; LocalDeletionTime is when.
	CellTombstone uint8 = 1 << iota
	// CellExpiring: the cell has a TTL and expires at LocalDeletionTime.
	CellExpiring
	// CellColumnDeletion: not a value but a deletion of a whole complex
	// (collection) column: it shadows the column's elements written at or
	// before Timestamp. Path is empty; it sorts before the column's elements.
	CellColumnDeletion
	// CellCounter: the cell is a counter's context, a set of shards
	// (counter.go); two live counter cells merge rather than one winning.
	CellCounter
)

// CellCounterUpdate marks an increment not yet applied by a counter leader
// (counter.go): Value is the delta. 0x10 is the encoding's has-path bit.
const CellCounterUpdate uint8 = 0x20

// Cell is one column value of a row, or one element of a collection column
// (Path set), or a tombstone for either.
type Cell struct {
	Column uint32
	Flags  uint8
	// Path identifies a collection element (a set element, a map key, a list
	// element's timeuuid); byte-comparable; empty for simple columns.
	Path      []byte
	Timestamp int64
	// TTL in seconds, for expiring cells.
	TTL int32
	// LocalDeletionTime: for a tombstone, when it was deleted; for an
	// expiring cell, when it expires; NoDeletionTime otherwise.
	LocalDeletionTime int64
	Value             []byte
}

// IsTombstone reports whether c is a cell or column deletion.
func (c *Cell) IsTombstone() bool { return c.Flags&(CellTombstone|CellColumnDeletion) != 0 }

// IsColumnDeletion reports whether c deletes a whole complex column.
func (c *Cell) IsColumnDeletion() bool { return c.Flags&CellColumnDeletion != 0 }

// IsLive reports whether c holds a value visible at now (seconds).
func (c *Cell) IsLive(now int64) bool {
	if c.IsTombstone() {
		return false
	}
	return c.Flags&CellExpiring == 0 || now < c.LocalDeletionTime
}

// hasDeletionTime mirrors Cassandra's "expiring or tombstone".
func (c *Cell) hasDeletionTime() bool {
	return c.Flags&(CellTombstone|CellColumnDeletion|CellExpiring) != 0
}

// compareCellPos orders cells within a row: by column, then a column
// deletion first, then by path.
func compareCellPos(a, b *Cell) int {
	switch {
	case a.Column < b.Column:
		return -1
	case a.Column > b.Column:
		return 1
	}
	ad, bd := a.IsColumnDeletion(), b.IsColumnDeletion()
	if ad != bd {
		if ad {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.Path, b.Path)
}

// Reconcile returns the winner of two versions of the same cell, with
// Cassandra's rules: higher timestamp; on a tie, a tombstone or expiring cell
// beats a live one, a tombstone beats an expiring cell, the later local
// deletion time wins, then the greater value.
//
// Counter cells (CellCounter) follow their own rules (counter.go): two
// live ones merge into a new cell, and a tombstone beats a live one; two
// counter updates (not yet applied by a leader) add up.
func Reconcile(a, b *Cell) *Cell {
	if (a.Flags|b.Flags)&(CellCounter|CellCounterUpdate) != 0 {
		if c := reconcileCounter(a, b); c != nil {
			return c
		}
	}
	if a.Timestamp != b.Timestamp {
		if a.Timestamp > b.Timestamp {
			return a
		}
		return b
	}
	ad, bd := a.hasDeletionTime(), b.hasDeletionTime()
	if ad || bd {
		if ad != bd {
			if ad {
				return a
			}
			return b
		}
		at, bt := a.IsTombstone(), b.IsTombstone()
		if at != bt {
			if at {
				return a
			}
			return b
		}
		if a.LocalDeletionTime != b.LocalDeletionTime {
			if a.LocalDeletionTime > b.LocalDeletionTime {
				return a
			}
			return b
		}
	}
	if bytes.Compare(a.Value, b.Value) >= 0 {
		return a
	}
	return b
}

// Row is one CQL row: its clustering key, row marker, row deletion and cells
// sorted by (column, column deletion first, path). The static row of a
// partition has an empty clustering key; the schema's clustering encoding
// never yields an empty key for a regular row of a table with clustering
// columns.
type Row struct {
	Clustering []byte
	Liveness   Liveness
	Deletion   Deletion
	Cells      []Cell
}

// NewRow returns an empty row with no marker and no deletion.
func NewRow(clustering []byte) Row {
	return Row{Clustering: clustering, Liveness: NoLiveness, Deletion: Live}
}

// IsEmpty reports whether the row carries nothing at all.
func (r *Row) IsEmpty() bool {
	return r.Liveness.IsEmpty() && r.Deletion.IsLive() && len(r.Cells) == 0
}

// RangeTombstone deletes every regular row whose clustering key c satisfies
// Start <= c < End (bytes.Compare). A nil End means no upper bound. Bounds on
// clustering prefixes are turned into such half-open ranges by the schema
// (with PrefixEnd); range tombstones never cover the static row.
type RangeTombstone struct {
	Start, End []byte
	Deletion   Deletion
}

// Covers reports whether clustering key c lies in the range.
func (rt *RangeTombstone) Covers(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	return bytes.Compare(c, rt.Start) >= 0 && (rt.End == nil || bytes.Compare(c, rt.End) < 0)
}

// PrefixEnd returns the smallest key greater than every key having prefix p,
// or nil when there is none (p is empty or all 0xff).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// Partition is the content of one partition: as written by one mutation, as
// held by a memtable, or as read back. Rows are sorted by clustering key; the
// static row, when present, is Static (never in Rows).
type Partition struct {
	Key             Key
	Deletion        Deletion
	RangeTombstones []RangeTombstone
	Static          *Row
	Rows            []Row
}

// Mutation is an atomic change to one partition of one table.
type Mutation struct {
	Table     TableID
	Partition Partition
}
