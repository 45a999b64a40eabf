package compaction

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// droppableRatio is the share of a file's content that is tombstones old
// enough to purge.
func droppableRatio(t *Table) float64 {
	if t.DroppableTombstones <= 0 {
		return 0
	}
	return float64(t.DroppableTombstones) / float64(max(t.Partitions, 1))
}

// worthDropping reports whether rewriting t alone is likely to purge enough
// tombstones, following Cassandra's rule: the droppable ratio exceeds the
// threshold and, unless unchecked_tombstone_compaction is set, it still does
// once the part of t's token range that other files overlap is discounted
// (there a tombstone may shadow data in another file, so it must stay).
func (c tombstoneConfig) worthDropping(t *Table, all []*Table, now time.Time) (float64, bool) {
	if !t.CreatedAt.IsZero() && now.Before(t.CreatedAt.Add(c.interval)) {
		return 0, false
	}
	ratio := droppableRatio(t)
	if ratio <= c.threshold {
		return ratio, false
	}
	if c.unchecked {
		return ratio, true
	}
	var others []*Table
	for _, o := range all {
		if o != t && overlaps(t.MinKey, t.MaxKey, o.MinKey, o.MaxKey) {
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		return ratio, true
	}
	ratio *= uncoveredTokens(t, others)
	return ratio, ratio > c.threshold
}

// uncoveredTokens returns the fraction of t's token range that no file of
// others covers. Tokens are uniformly distributed, so it estimates the share
// of t's partitions no other file can hold.
func uncoveredTokens(t *Table, others []*Table) float64 {
	lo, hi := t.MinKey.Token, t.MaxKey.Token
	type span struct{ lo, hi int64 }
	var spans []span
	for _, o := range others {
		s := span{max(lo, o.MinKey.Token), min(hi, o.MaxKey.Token)}
		if s.lo <= s.hi {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	// Widths in float64: a token span may exceed math.MaxInt64.
	width := func(lo, hi int64) float64 { return float64(uint64(hi)-uint64(lo)) + 1 }
	var covered float64
	next := lo // first token not yet counted
	done := false
	for _, s := range spans {
		if done || s.hi < next {
			continue
		}
		covered += width(max(s.lo, next), s.hi)
		if s.hi == math.MaxInt64 {
			done = true
		} else {
			next = s.hi + 1
		}
	}
	return max(0, 1-covered/width(lo, hi))
}

// droppable is a file worth a single-file tombstone compaction.
type droppable struct {
	t     *Table
	ratio float64 // droppable ratio, discounted for overlaps
}

// droppables returns the idle tables of cands worth a single-file tombstone
// compaction, judged against all live tables.
func (c tombstoneConfig) droppables(cands, all []*Table, now time.Time) []droppable {
	var ds []droppable
	for _, t := range cands {
		if t.Compacting {
			continue
		}
		if ratio, ok := c.worthDropping(t, all, now); ok {
			ds = append(ds, droppable{t, ratio})
		}
	}
	return ds
}

// task rewrites d's file alone, its output at level.
func (d droppable) task(level int, maxOutput int64, threshold float64) *Task {
	return newTask(level, maxOutput,
		fmt.Sprintf("tombstones: %d has droppable ratio %.2f > %g", d.t.ID, d.ratio, threshold),
		[]*Table{d.t})
}

// pickSmallestTombstone returns a single-file compaction of the smallest file
// worth dropping tombstones from, as size-tiered and time-window compaction
// do, or nil.
func (c tombstoneConfig) pickSmallestTombstone(all []*Table, now time.Time) *Task {
	ds := c.droppables(all, all, now)
	if len(ds) == 0 {
		return nil
	}
	best := slices.MinFunc(ds, func(a, b droppable) int { return bySize(a.t, b.t) })
	return best.task(0, 0, c.threshold)
}

// FullyExpired returns the IDs, ascending, of the tables storage may delete
// without compacting them: every cell and tombstone in them is past
// gcBefore (MaxLocalDeletionTime < gcBefore, in seconds, with gcBefore = now
// − gc_grace_seconds), and they can shadow nothing still alive, because every
// table overlapping their key range that is not itself expired, and every
// memtable, holds only newer data. minLiveTimestamp is the oldest timestamp
// in the memtables (math.MaxInt64 when they are empty). Tables in a running
// compaction are never returned.
//
// This is Cassandra's rule for dropping fully expired SSTables, which TWCS
// depends on; storage applies it before asking the strategy for a task.
func FullyExpired(tables []Table, gcBefore, minLiveTimestamp int64) []uint64 {
	var ids []uint64
	for i := range tables {
		t := &tables[i]
		if t.Compacting || t.MaxLocalDeletionTime >= gcBefore {
			continue
		}
		oldestLive := minLiveTimestamp
		for j := range tables {
			o := &tables[j]
			if o.MaxLocalDeletionTime >= gcBefore && overlaps(t.MinKey, t.MaxKey, o.MinKey, o.MaxKey) {
				oldestLive = min(oldestLive, o.MinTimestamp)
			}
		}
		if t.MaxTimestamp < oldestLive {
			ids = append(ids, t.ID)
		}
	}
	slices.Sort(ids)
	return ids
}
