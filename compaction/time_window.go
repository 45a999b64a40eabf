package compaction

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// timeWindow is Cassandra's TimeWindowCompactionStrategy, for time series
// written in time order and expired by TTL: files are grouped into windows
// by their newest timestamp and never merged across windows, so a window's
// data ends in one file that expires, and is dropped, whole.
type timeWindow struct {
	common     commonConfig
	cfg        sizeTieredConfig // for the newest window
	window     int64            // window length in seconds
	resolution int64            // timestamp units per second; 0 when a unit spans seconds
	perUnit    int64            // seconds per timestamp unit when resolution is 0
}

// Seconds in one compaction_window_unit.
var windowUnits = map[string]int64{"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}

func newTimeWindow(opts map[string]string) (*timeWindow, error) {
	p := newOptionParser(TimeWindow, opts, commonOptions, sizeTieredOptions,
		[]string{"compaction_window_unit", "compaction_window_size", "timestamp_resolution"})
	s := &timeWindow{common: p.common(), cfg: p.sizeTiered()}
	unit := windowUnits[p.choice("compaction_window_unit", "DAYS", "MINUTES", "HOURS", "DAYS")]
	s.window = unit * p.int("compaction_window_size", 1, 1, math.MaxInt64/unit)
	switch p.choice("timestamp_resolution", "MICROSECONDS",
		"NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS") {
	case "NANOSECONDS":
		s.resolution = 1e9
	case "MICROSECONDS":
		s.resolution = 1e6
	case "MILLISECONDS":
		s.resolution = 1e3
	case "SECONDS":
		s.resolution = 1
	case "MINUTES":
		s.perUnit = 60
	case "HOURS":
		s.perUnit = 3600
	case "DAYS":
		s.perUnit = 86400
	}
	if p.err != nil {
		return nil, p.err
	}
	return s, nil
}

func (s *timeWindow) Name() string { return TimeWindow }

// windowOf returns the start, in seconds since the epoch, of the window
// holding timestamp ts. Windows are aligned on the epoch, as in Cassandra.
func (s *timeWindow) windowOf(ts int64) int64 {
	var sec int64
	if s.resolution > 0 {
		sec = floorDiv(ts, s.resolution)
	} else {
		sec = ts * s.perUnit
	}
	return floorDiv(sec, s.window) * s.window
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// window is the tables of one time window.
type window struct {
	start  int64 // seconds since the epoch
	tables []*Table
}

func (w window) String() string { return time.Unix(w.start, 0).UTC().Format(time.RFC3339) }

// windows groups ts by the window of their MaxTimestamp, newest first.
func (s *timeWindow) windows(ts []*Table) []window {
	var ws []window
	for _, t := range ts {
		start := s.windowOf(t.MaxTimestamp)
		i := slices.IndexFunc(ws, func(w window) bool { return w.start == start })
		if i < 0 {
			ws = append(ws, window{start: start})
			i = len(ws) - 1
		}
		ws[i].tables = append(ws[i].tables, t)
	}
	slices.SortFunc(ws, func(a, b window) int { return cmp.Compare(b.start, a.start) })
	return ws
}

// Pick walks the windows from the newest. The newest window, the one still
// written to, is size-tiered so fresh flushes merge cheaply; an older window
// with two or more files is compacted whole (its max_threshold smallest
// files at a time) into one. Failing those, a single-file tombstone
// compaction.
//
// As in Cassandra, "newest" is the window of the newest data, not of now:
// until newer data arrives, the last window stays size-tiered.
func (s *timeWindow) Pick(tables []Table, now time.Time) *Task {
	if !s.common.enabled || len(tables) == 0 {
		return nil
	}
	all := pointers(tables)
	newest := s.windows(all)[0].start
	for _, w := range s.windows(idle(all)) {
		if w.start == newest {
			if b, ok := s.cfg.pick(w.tables); ok {
				return newTask(0, 0, fmt.Sprintf("time-window: newest window %s, size-tiered %d files of average %s",
					w, len(b.tables), formatBytes(int64(b.avg))), b.tables)
			}
			continue
		}
		if len(w.tables) >= 2 {
			ts := slices.Clone(w.tables)
			slices.SortFunc(ts, bySize)
			ts = ts[:min(len(ts), s.cfg.maxThreshold)]
			return newTask(0, 0, fmt.Sprintf("time-window: window %s has %d files; %d into one",
				w, len(w.tables), len(ts)), ts)
		}
	}
	return s.common.tombstones.pickSmallestTombstone(all, now)
}

// Major compacts each window into one file; windows stay apart.
func (s *timeWindow) Major(tables []Table) []*Task {
	if len(tables) == 0 || anyCompacting(tables) {
		return nil
	}
	var tasks []*Task
	for _, w := range s.windows(pointers(tables)) {
		tasks = append(tasks, newTask(0, 0, fmt.Sprintf("major: window %s", w), w.tables))
	}
	return tasks
}
