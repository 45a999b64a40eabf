package mutation

import (
	"encoding/binary"
	"math"
)

// Cell versions (Bigtable's, for tables with the cell_versions option):
// every write of a versioned column is a cell of its own, flagged
// CellVersion, whose Path is VersionPath(its timestamp). Versions of one
// cell therefore sit side by side, newest first, in the ordinary cell
// order, and every merge keeps them apart as it keeps a collection's
// elements: nothing in the merge, the encodings or the digests changes.
// Two writes at the same timestamp are the same version and reconcile as
// usual. A column deletion (CellColumnDeletion) at T shadows every version
// written at or before T (Bigtable's DeleteCell), a row or partition
// deletion all the versions it covers, and a TTL expires one version only:
// an expired version becomes a tombstone at its own path.

// CellVersion marks one version of a versioned column's value. Path is
// VersionPath(Timestamp).
const CellVersion uint8 = 0x40

// VersionPathLen is the length of a version's path.
const VersionPathLen = 8

// VersionPath returns the path of the version written at ts: 8 bytes,
// big-endian, that sort in descending timestamp order (the timestamp with
// its sign bit flipped, then every bit inverted).
func VersionPath(ts int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, VersionPathLen), ^(uint64(ts) ^ 1<<63))
}

// VersionTimestamp is the inverse of VersionPath; ok is false if p is not
// a version's path.
func VersionTimestamp(p []byte) (ts int64, ok bool) {
	if len(p) != VersionPathLen {
		return 0, false
	}
	return int64(^binary.BigEndian.Uint64(p) ^ 1<<63), true
}

// IsVersion reports whether c is a version of a versioned column.
func (c *Cell) IsVersion() bool { return c.Flags&CellVersion != 0 }

// VersionRule is a table's garbage-collection rule for cell versions:
// keep the newest MaxVersions versions of each cell (0: no limit) and none
// written more than MaxAge microseconds before now (0: no limit). The zero
// rule keeps everything.
type VersionRule struct {
	MaxVersions int
	MaxAge      int64
}

// IsZero reports whether the rule drops nothing.
func (v VersionRule) IsZero() bool { return v.MaxVersions <= 0 && v.MaxAge <= 0 }

// Oldest returns the oldest timestamp the rule keeps at now (µs).
func (v VersionRule) Oldest(now int64) int64 {
	if v.MaxAge <= 0 {
		return math.MinInt64
	}
	return now - v.MaxAge
}

// ApplyVersions drops, in place, the versions of r the rule lets go at now
// (microseconds), and reports whether it dropped any. Versions are ranked
// per column, newest first, counting expired ones (tombstones at their
// path) as the versions they were: what is dropped then depends only on
// what was written and on now, never on when compaction ran, so reads and
// compaction can both apply the rule and agree. A version outside the
// newest MaxVersions of some set of writes is outside them for every
// superset, so compacting a subset of the SSTables may apply it too.
// Shadowed versions must have been dropped first (Row.Shadow).
func (r *Row) ApplyVersions(v VersionRule, now int64) bool {
	if v.IsZero() {
		return false
	}
	oldest := v.Oldest(now)
	out := r.Cells[:0]
	rank, col, dropped := 0, uint32(0), false
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Flags&CellVersion != 0 {
			if rank == 0 || c.Column != col {
				col, rank = c.Column, 0
			}
			rank++
			if v.MaxVersions > 0 && rank > v.MaxVersions || c.Timestamp < oldest {
				dropped = true
				continue
			}
		} else {
			rank = 0
		}
		out = append(out, *c)
	}
	r.Cells = out
	return dropped
}

// NewestVersion returns the index in r.Cells of the newest version of
// column col live at now (seconds) and written at or before asOf (µs;
// math.MaxInt64 for the newest), or -1. r is a visible or canonical row
// the rule was applied to.
func (r *Row) NewestVersion(col uint32, now, asOf int64) int {
	for i := range r.Cells {
		c := &r.Cells[i]
		if c.Column == col && c.Flags&CellVersion != 0 && c.Timestamp <= asOf && c.IsLive(now) {
			return i
		}
	}
	return -1
}

// NewestValue returns the index in cells (the cells of one single-cell
// column, in row order) of the value a reader sees, or -1: of its plain
// cell and its newest version, the live one written last. (A table given
// cell_versions by ALTER keeps the plain cells written before; a table
// without versions has only the plain cell.)
func NewestValue(cells []Cell) int {
	best := -1
	for i := range cells {
		c := &cells[i]
		if c.IsTombstone() || len(c.Path) > 0 && c.Flags&CellVersion == 0 {
			continue
		}
		if best < 0 || c.Timestamp > cells[best].Timestamp {
			best = i
		}
		if c.Flags&CellVersion != 0 {
			break // the versions that follow are older
		}
	}
	return best
}

// AsOf reduces r, in place, to what was written at or before at (µs): a
// versioned cell is then left with its newest version up to that time. It
// reports whether r still exists at now (seconds): a live row marker or a
// live cell. Deletions made after at still apply (deleted history is
// gone).
func (r *Row) AsOf(at, now int64) bool {
	if r.Liveness.Timestamp > at {
		r.Liveness = NoLiveness
	}
	out := r.Cells[:0]
	live := false
	for _, c := range r.Cells {
		if c.Timestamp > at {
			continue
		}
		out = append(out, c)
		live = live || c.IsLive(now)
	}
	r.Cells = out
	return live || r.Liveness.IsLive(now)
}
