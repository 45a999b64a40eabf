package compaction

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"wcdb/mutation"
)

// Table is what a strategy knows about one live SSTable. Storage builds it
// from the file's metadata; strategies never open files.
type Table struct {
	ID uint64
	// Size is the file's size in bytes.
	Size int64
	// Level is the LCS level (0 holds freshly flushed, overlapping files).
	// Size-tiered and time-window tables have every file at level 0.
	Level int
	// MinKey and MaxKey bound the file's partition keys, inclusive.
	MinKey, MaxKey mutation.Key
	// MinTimestamp and MaxTimestamp bound the cells' write timestamps, in
	// microseconds (or the unit of TWCS's timestamp_resolution).
	MinTimestamp, MaxTimestamp int64
	// MaxLocalDeletionTime is the latest local deletion time in the file
	// (seconds): of its tombstones and TTL expiries, and
	// mutation.NoDeletionTime if it holds any live data that does not
	// expire; see FullyExpired.
	MaxLocalDeletionTime int64
	// Partitions is the number of partitions in the file and
	// DroppableTombstones the estimated number of tombstones older than
	// gc_grace_seconds. Their ratio is the file's droppable tombstone ratio,
	// compared with the tombstone_threshold option.
	Partitions          int64
	DroppableTombstones int64
	// CreatedAt is when the file was written. A single-file tombstone
	// compaction waits tombstone_compaction_interval after it, so that a file
	// whose tombstones cannot be dropped is not rewritten over and over. The
	// zero value means unknown: no wait.
	CreatedAt time.Time
	// Compacting marks a file that is an input of a running compaction. A
	// strategy never picks it, nor anything that would conflict with it.
	Compacting bool
}

// Task is a compaction a strategy picked: merge Inputs into new files at
// OutputLevel, then replace the inputs by the outputs atomically.
type Task struct {
	// Inputs are table IDs, ascending.
	Inputs []uint64
	// OutputLevel is the level of the new files (0 outside LCS).
	OutputLevel int
	// MaxOutputBytes asks the merge to start a new output file once one
	// reaches this size (LCS); 0 means a single output file.
	MaxOutputBytes int64
	// Reason says why the task was picked, for logs and tests.
	Reason string
	// Drop asks for the inputs to be deleted without merging: they are
	// fully expired (see FullyExpired).
	Drop bool
}

// Strategy decides what to compact. Implementations are safe for concurrent
// use; Pick and Major neither block nor do I/O.
type Strategy interface {
	// Pick returns the next background compaction, or nil when there is
	// nothing to do. Tables marked Compacting are never inputs. Pick is
	// deterministic given the same tables, now, and history of calls (LCS
	// remembers where it last compacted each level).
	Pick(tables []Table, now time.Time) *Task
	// Major returns the tasks of a major compaction ("nodetool compact"). It
	// needs every table: it returns nil while any table is Compacting, so the
	// caller first waits for (or cancels) running compactions, as Cassandra
	// does.
	Major(tables []Table) []*Task
	// Name returns the strategy's short CQL class name, for example
	// "SizeTieredCompactionStrategy".
	Name() string
}

// Class names as CQL spells them in `compaction = {'class': ...}`.
const (
	SizeTiered = "SizeTieredCompactionStrategy"
	Leveled    = "LeveledCompactionStrategy"
	TimeWindow = "TimeWindowCompactionStrategy"

	// classPrefix is the Java package Cassandra's schemas name the classes in.
	classPrefix = "org.apache.cassandra.db.compaction."
)

// DefaultThroughput is Cassandra's default compaction_throughput, in bytes
// per second.
const DefaultThroughput = 64 << 20

// ErrUnknownStrategy is returned by New for a class it does not know.
var ErrUnknownStrategy = errors.New("compaction: unknown strategy class")

// New returns the strategy named by class (a short CQL class name, or the
// full "org.apache.cassandra.db.compaction." one) configured by options, the
// rest of the CQL compaction map, with Cassandra's option names and defaults.
// An option the strategy does not know, or a bad value, is an *OptionError.
func New(class string, options map[string]string) (Strategy, error) {
	name := strings.TrimPrefix(class, classPrefix)
	switch name {
	case SizeTiered:
		return newSizeTiered(options)
	case Leveled:
		return newLeveled(options)
	case TimeWindow:
		return newTimeWindow(options)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownStrategy, class)
}

// overlaps reports whether the inclusive key ranges [aMin, aMax] and
// [bMin, bMax] share a key.
func overlaps(aMin, aMax, bMin, bMax mutation.Key) bool {
	return aMin.Compare(bMax) <= 0 && bMin.Compare(aMax) <= 0
}

// keyRange is an inclusive range of partition keys.
type keyRange struct{ min, max mutation.Key }

func (r keyRange) overlaps(t *Table) bool { return overlaps(r.min, r.max, t.MinKey, t.MaxKey) }

// bounds returns the smallest range holding every key of ts (non-empty).
func bounds(ts ...[]*Table) keyRange {
	var r keyRange
	first := true
	for _, s := range ts {
		for _, t := range s {
			if first || t.MinKey.Compare(r.min) < 0 {
				r.min = t.MinKey
			}
			if first || t.MaxKey.Compare(r.max) > 0 {
				r.max = t.MaxKey
			}
			first = false
		}
	}
	return r
}

// pointers returns pointers into tables, so that strategies sort and group
// without copying.
func pointers(tables []Table) []*Table {
	ps := make([]*Table, len(tables))
	for i := range tables {
		ps[i] = &tables[i]
	}
	return ps
}

// idle returns the tables not in a running compaction.
func idle(ts []*Table) []*Table {
	var out []*Table
	for _, t := range ts {
		if !t.Compacting {
			out = append(out, t)
		}
	}
	return out
}

func anyCompacting(tables []Table) bool {
	for i := range tables {
		if tables[i].Compacting {
			return true
		}
	}
	return false
}

// bySize orders tables by size, then ID, so that picks are deterministic.
func bySize(a, b *Table) int {
	return cmp.Or(cmp.Compare(a.Size, b.Size), cmp.Compare(a.ID, b.ID))
}

// byMinKey orders tables by their first key, then ID.
func byMinKey(a, b *Table) int {
	return cmp.Or(a.MinKey.Compare(b.MinKey), cmp.Compare(a.ID, b.ID))
}

func totalSize(ts []*Table) int64 {
	var n int64
	for _, t := range ts {
		n += t.Size
	}
	return n
}

// newTask builds a task over ts with the inputs in ascending ID order.
func newTask(level int, maxOutput int64, reason string, ts ...[]*Table) *Task {
	task := &Task{OutputLevel: level, MaxOutputBytes: maxOutput, Reason: reason}
	for _, s := range ts {
		for _, t := range s {
			task.Inputs = append(task.Inputs, t.ID)
		}
	}
	slices.Sort(task.Inputs)
	return task
}

// formatBytes renders n in the largest binary unit that keeps it readable,
// for task reasons.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
