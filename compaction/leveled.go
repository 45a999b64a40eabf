package compaction

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"wcdb/mutation"
)

const (
	// maxLevels is Cassandra's level count, L0 to L8. Files at the last level
	// are never compacted upward.
	maxLevels = 9
	// l0Trigger is how many L0 files start an L0 → L1 compaction.
	l0Trigger = 4
	// maxL0Compaction caps the L0 files of one compaction; beyond it L0 is
	// "too far behind" and may be size-tiered in place while L1 is busy.
	maxL0Compaction = 32
)

// leveled is Cassandra's LeveledCompactionStrategy. L0 holds flushed files,
// which may overlap; each level L ≥ 1 is a sorted run of non-overlapping
// files of about sstable_size_in_mb, holding at most fanout^L files' worth of
// bytes. A read consults at most one file per level above L0, and each byte
// is rewritten about fanout times per level it descends.
type leveled struct {
	common      commonConfig
	l0          sizeTieredConfig // size-tiering in L0 when it falls behind
	sstableSize int64
	fanout      int

	mu struct {
		sync.Mutex
		// pointer[L] is the last key of the file last compacted out of
		// level L: the next pick there starts after it, so compactions
		// sweep each level's key space round-robin.
		pointer [maxLevels]*mutation.Key
	}
}

func newLeveled(opts map[string]string) (*leveled, error) {
	p := newOptionParser(Leveled, opts, commonOptions, sizeTieredOptions,
		[]string{"sstable_size_in_mb", "fanout_size"})
	s := &leveled{
		common: p.common(),
		l0:     p.sizeTiered(),
		// The limits keep fanout^8 × size within float64's exact range.
		sstableSize: p.int("sstable_size_in_mb", 160, 1, 1<<20) << 20,
		// Cassandra takes a fanout of 1, but then every level is one file
		// and data never settles; 2 is the smallest that levels anything.
		fanout: int(p.int("fanout_size", 10, 2, 1000)),
	}
	if p.err != nil {
		return nil, p.err
	}
	return s, nil
}

func (s *leveled) Name() string { return Leveled }

// maxBytes is the capacity of level L ≥ 1: fanout^L sstables.
func (s *leveled) maxBytes(level int) float64 {
	return math.Pow(float64(s.fanout), float64(level)) * float64(s.sstableSize)
}

// byLevel groups tables by level, each level sorted by first key. A level
// out of range counts as the nearest valid one.
func byLevel(all []*Table) [maxLevels][]*Table {
	var levels [maxLevels][]*Table
	for _, t := range all {
		l := min(max(t.Level, 0), maxLevels-1)
		levels[l] = append(levels[l], t)
	}
	for _, l := range levels {
		slices.SortFunc(l, byMinKey)
	}
	return levels
}

// Pick tries, in order: L0 → L1 once L0 holds four files; the level whose
// size most exceeds its capacity (the lowest on a tie); a single-file
// tombstone compaction.
//
// Cassandra examines the levels from the highest down, we by score: the
// fullest level is where reads and space suffer most.
func (s *leveled) Pick(tables []Table, now time.Time) *Task {
	if !s.common.enabled {
		return nil
	}
	all := pointers(tables)
	levels := byLevel(all)
	if t := s.pickL0(levels); t != nil {
		return t
	}

	type candidate struct {
		level int
		score float64
	}
	var cands []candidate
	for l := 1; l < maxLevels-1; l++ {
		if score := float64(totalSize(levels[l])) / s.maxBytes(l); score > 1 {
			cands = append(cands, candidate{l, score})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.score, a.score) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cands {
		if t := s.pickLevelLocked(levels, c.level, c.score); t != nil {
			return t
		}
	}

	// Like Cassandra, look for tombstones from the highest level down, where
	// they have the least data left below to shadow.
	for l := maxLevels - 1; l >= 0; l-- {
		ds := s.common.tombstones.droppables(levels[l], all, now)
		if len(ds) == 0 {
			continue
		}
		best := slices.MinFunc(ds, func(a, b droppable) int {
			return cmp.Or(cmp.Compare(b.ratio, a.ratio), cmp.Compare(a.t.ID, b.t.ID))
		})
		return best.task(l, s.outputBytes(l), s.common.tombstones.threshold)
	}
	return nil
}

// outputBytes is the MaxOutputBytes of a compaction into level l.
func (s *leveled) outputBytes(l int) int64 {
	if l == 0 {
		return 0
	}
	return s.sstableSize
}

// pickL0 compacts up to 32 of the oldest L0 files with every L1 file in
// their key range into L1. Running compactions out of L0 will also write
// into L1, so files overlapping them wait. When L1 is busy and L0 has
// fallen behind, it size-tiers within L0 instead, as Cassandra does.
func (s *leveled) pickL0(levels [maxLevels][]*Table) *Task {
	var busy, eligible []*Table
	for _, t := range levels[0] {
		if t.Compacting {
			busy = append(busy, t)
		}
	}
	for _, t := range levels[0] {
		if !t.Compacting && !slices.ContainsFunc(busy, func(b *Table) bool {
			return overlaps(t.MinKey, t.MaxKey, b.MinKey, b.MaxKey)
		}) {
			eligible = append(eligible, t)
		}
	}
	if len(eligible) < l0Trigger {
		return nil
	}
	// Oldest first: newer data stays in L0 until the next round.
	slices.SortFunc(eligible, func(a, b *Table) int {
		return cmp.Or(cmp.Compare(a.MaxTimestamp, b.MaxTimestamp), cmp.Compare(a.ID, b.ID))
	})
	chosen := eligible[:min(len(eligible), maxL0Compaction)]

	// The merged output spans the chosen files' whole bounding range, gaps
	// included, so every L1 file there must join.
	r := bounds(chosen)
	blocked := slices.ContainsFunc(busy, r.overlaps)
	var next []*Table
	for _, t := range levels[1] {
		if r.overlaps(t) {
			blocked = blocked || t.Compacting
			next = append(next, t)
		}
	}
	if !blocked {
		return newTask(1, s.sstableSize, fmt.Sprintf("leveled: L0 has %d files; %d into L1 with %d overlapping",
			len(eligible), len(chosen), len(next)), chosen, next)
	}
	if len(eligible) > maxL0Compaction {
		if b, ok := s.l0.pick(eligible); ok {
			return newTask(0, 0, fmt.Sprintf("leveled: L0 has %d files and L1 is busy; size-tiered %d in L0",
				len(eligible), len(b.tables)), b.tables)
		}
	}
	return nil
}

// pickLevelLocked compacts the next idle file of level l after the level's
// pointer, wrapping around, with its overlapping files of l+1 into l+1. A
// file whose overlap in l+1 is busy is skipped: that file's key range will
// be rewritten by the running compaction.
func (s *leveled) pickLevelLocked(levels [maxLevels][]*Table, l int, score float64) *Task {
	files := levels[l]
	start := 0
	if p := s.mu.pointer[l]; p != nil {
		start, _ = slices.BinarySearchFunc(files, *p, func(t *Table, k mutation.Key) int {
			if t.MinKey.Compare(k) <= 0 {
				return -1
			}
			return 1
		})
	}
	for i := range files {
		f := files[(start+i)%len(files)]
		if f.Compacting {
			continue
		}
		var next []*Table
		busy := false
		for _, t := range levels[l+1] {
			if overlaps(f.MinKey, f.MaxKey, t.MinKey, t.MaxKey) {
				busy = busy || t.Compacting
				next = append(next, t)
			}
		}
		if busy {
			continue
		}
		k := mutation.Key{Token: f.MaxKey.Token, Bytes: slices.Clone(f.MaxKey.Bytes)}
		s.mu.pointer[l] = &k
		return newTask(l+1, s.sstableSize, fmt.Sprintf("leveled: L%d score %.2f; %d into L%d with %d overlapping",
			l, score, f.ID, l+1, len(next)), []*Table{f}, next)
	}
	return nil
}

// Major merges every table into the lowest level that can hold them all,
// split into sstable_size_in_mb files. (Cassandra spreads a major
// compaction's output over L1, L2, ... in order; one level keeps a task to a
// single output level, and any level is a valid place for a sorted run.)
func (s *leveled) Major(tables []Table) []*Task {
	if len(tables) == 0 || anyCompacting(tables) {
		return nil
	}
	all := pointers(tables)
	total := float64(totalSize(all))
	level := 1
	for level < maxLevels-1 && total > s.maxBytes(level) {
		level++
	}
	return []*Task{newTask(level, s.sstableSize, "major", all)}
}
