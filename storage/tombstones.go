package storage

import (
	"math"

	"wcdb/mutation"
)

// Tombstone purging: which tombstones a table lets go, by its tombstone_gc
// mode, for compaction (which drops them) and raw reads (which leave them
// out, so that replicas compare alike whether or not they compacted).

// gcBefore returns the local deletion time (unix seconds) before which a
// tombstone of a partition of the token may be purged at now:
// math.MinInt64 for none, math.MaxInt64 for all.
func (t *Table) gcBefore(cfg *tableConfig, token, now int64) int64 {
	o := &cfg.opts
	switch o.TombstoneGC {
	case TombstoneGCDisabled:
		return math.MinInt64
	case TombstoneGCImmediate:
		return math.MaxInt64
	case TombstoneGCRepair:
		h := t.e.opts.RepairHorizon
		if h == nil {
			return math.MinInt64
		}
		at, single := h(t.id, token)
		if single {
			return now - o.GCGraceSeconds
		}
		if at == math.MinInt64 {
			return math.MinInt64
		}
		return at - o.PropagationDelaySeconds
	}
	return now - o.GCGraceSeconds
}

// fileGCBefore is gcBefore for what concerns a whole file (tombstone
// compactions, fully expired files): repair mode answers per range, so
// it lets none go there.
func (t *Table) fileGCBefore(cfg *tableConfig, now int64) int64 {
	if cfg.opts.TombstoneGC == TombstoneGCRepair {
		return math.MinInt64
	}
	return t.gcBefore(cfg, 0, now)
}

// purgeRow drops from a canonical row (its expired cells already
// tombstones) the deletions purgeable says may go: its deletion, an
// expired row marker (a deletion at its write), cell tombstones. The row
// may be left empty.
func purgeRow(r *mutation.Row, now int64, purgeable func(mutation.Deletion) bool) {
	if l := r.Liveness; !l.IsEmpty() && l.ExpiresAt != mutation.NoDeletionTime && l.ExpiresAt <= now {
		// An expired row marker counts as deleted when it was written
		// (Cassandra: expiry minus TTL).
		if purgeable(mutation.Deletion{Timestamp: l.Timestamp, LocalDeletionTime: l.ExpiresAt - int64(l.TTL)}) {
			r.Liveness = mutation.NoLiveness
		}
	}
	if purgeable(r.Deletion) {
		r.Deletion = mutation.Live
	}
	cells, out := r.Cells, r.Cells[:0]
	for i, cell := range cells {
		if cellPurgeable(&cell, purgeable) && !ranksOlder(cells, i, purgeable) {
			continue
		}
		out = append(out, cell)
	}
	r.Cells = out
}

func cellPurgeable(c *mutation.Cell, purgeable func(mutation.Deletion) bool) bool {
	return c.IsTombstone() && purgeable(mutation.Deletion{Timestamp: c.Timestamp, LocalDeletionTime: c.LocalDeletionTime})
}

// ranksOlder reports whether cells[i], an expired version's tombstone,
// must stay for an older version of its cell that stays: the older one's
// rank counts it (Row.ApplyVersions), and newer versions in SSTables
// outside a compaction do not stop the purge, so without it the older
// version could rank back into the newest N. Cells are in row order
// (versions newest first); cells after i are not yet purged.
func ranksOlder(cells []mutation.Cell, i int, purgeable func(mutation.Deletion) bool) bool {
	for j := i + 1; cells[i].IsVersion() && j < len(cells) && cells[j].Column == cells[i].Column; j++ {
		if cells[j].IsVersion() && !cellPurgeable(&cells[j], purgeable) {
			return true
		}
	}
	return false
}

// olderThan returns the purge test of a raw read: a deletion goes if its
// local deletion time is before gcBefore.
func olderThan(gcBefore int64) func(mutation.Deletion) bool {
	return func(d mutation.Deletion) bool { return !d.IsLive() && d.LocalDeletionTime < gcBefore }
}
