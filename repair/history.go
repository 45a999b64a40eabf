package repair

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"sync"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
)

// History records, for each table, when the last successful repair of
// each part of the ring started: what tombstone_gc's repair mode purges
// by (a tombstone older than that, less the propagation delay, has
// reached every replica). Both the repair's initiator and its peers record
// it. It is kept in one file, rewritten atomically (vfs.WriteFileAtomic)
// at every change, before the change is relied on.
//
// The file, version 1, is JSON:
//
//	{"version": 1, "tables": {"<table id, hex>": [{"from": T, "at": S}, ...]}}
//
// Each table's list is a step function over the ring's tokens, in token
// order: from token T (inclusive) up to the next entry's T, the last
// successful repair started at S (unix seconds); before the first entry,
// and where S is absent, never. The last entry runs to the end of the
// ring.
type History struct {
	fs   vfs.FS
	path string
	mu   sync.RWMutex
	// tables' steps, each sorted by from.
	tables map[mutation.TableID][]step
}

// step is one piece of a table's history: from its token on, repaired at.
type step struct {
	From int64 `json:"from"`
	At   int64 `json:"at"` // math.MinInt64: never
}

const historyVersion = 1

type historyFile struct {
	Version int               `json:"version"`
	Tables  map[string][]step `json:"tables"`
}

// OpenHistory loads the history kept at path (an empty one if the file
// does not exist).
func OpenHistory(fsys vfs.FS, path string) (*History, error) {
	h := &History{fs: fsys, path: path, tables: map[mutation.TableID][]step{}}
	b, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("repair: history: %w", err)
	}
	var f historyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("repair: history %s: %w", path, err)
	}
	if f.Version != historyVersion {
		return nil, fmt.Errorf("repair: history %s: version %d (this node reads %d)", path, f.Version, historyVersion)
	}
	for k, steps := range f.Tables {
		var id mutation.TableID
		raw, err := hex.DecodeString(k)
		if err != nil || len(raw) != len(id) {
			return nil, fmt.Errorf("repair: history %s: bad table id %q", path, k)
		}
		copy(id[:], raw)
		if !slices.IsSortedFunc(steps, func(a, b step) int { return cmp.Compare(a.From, b.From) }) {
			return nil, fmt.Errorf("repair: history %s: table %s out of order", path, k)
		}
		h.tables[id] = steps
	}
	return h, nil
}

// RepairedAt returns when the last successful repair of the range holding
// token started (unix seconds), math.MinInt64 if none.
func (h *History) RepairedAt(table mutation.TableID, token int64) int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	steps := h.tables[table]
	i := sort.Search(len(steps), func(i int) bool { return steps[i].From > token }) - 1
	if i < 0 {
		return math.MinInt64
	}
	return steps[i].At
}

// Record notes a successful repair of r that started at (unix seconds),
// and makes it durable before returning.
func (h *History) Record(table mutation.TableID, r ring.Range, at int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	steps := h.tables[table]
	for _, p := range Intersect(r, ring.Range{Start: ring.MinToken, End: ring.MinToken}) {
		lo := int64(math.MinInt64) // the piece's first token
		if p.Start != ring.MinToken {
			lo = p.Start + 1
		}
		steps = raise(steps, lo, p.End, at)
	}
	h.tables[table] = steps
	return h.saveLocked()
}

// raise sets the history of tokens lo..hi (inclusive; hi MinToken: to the
// end of the ring) to at wherever it was older.
func raise(steps []step, lo, hi, at int64) []step {
	valueAt := func(tok int64) int64 {
		i := sort.Search(len(steps), func(i int) bool { return steps[i].From > tok }) - 1
		if i < 0 {
			return math.MinInt64
		}
		return steps[i].At
	}
	// Breakpoints at lo and just after hi keep the outside unchanged.
	var out []step
	afterHi, toEnd := hi+1, hi == ring.MinToken || hi == math.MaxInt64
	for _, s := range steps {
		if s.From < lo {
			out = append(out, s)
		}
	}
	out = append(out, step{From: lo, At: max(valueAt(lo), at)})
	for _, s := range steps {
		if s.From > lo && (toEnd || s.From <= hi) {
			out = append(out, step{From: s.From, At: max(s.At, at)})
		}
	}
	if !toEnd {
		out = append(out, step{From: afterHi, At: valueAt(afterHi)})
		for _, s := range steps {
			if s.From > afterHi {
				out = append(out, s)
			}
		}
	}
	// Merge neighbours that say the same.
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && merged[n-1].At == s.At {
			continue
		}
		if n := len(merged); n == 0 && s.At == math.MinInt64 {
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// Drop forgets a dropped table's history.
func (h *History) Drop(table mutation.TableID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.tables[table]; !ok {
		return nil
	}
	delete(h.tables, table)
	return h.saveLocked()
}

func (h *History) saveLocked() error {
	f := historyFile{Version: historyVersion, Tables: map[string][]step{}}
	for id, steps := range h.tables {
		f.Tables[hex.EncodeToString(id[:])] = steps
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(h.fs, h.path, b); err != nil {
		return fmt.Errorf("repair: history: %w", err)
	}
	return nil
}

// OldestIn returns when the part of r repaired longest ago was last
// repaired (unix seconds), math.MinInt64 if some part never was.
func (h *History) OldestIn(table mutation.TableID, r ring.Range) int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	steps := h.tables[table]
	at := func(tok int64) int64 {
		i := sort.Search(len(steps), func(i int) bool { return steps[i].From > tok }) - 1
		if i < 0 {
			return math.MinInt64
		}
		return steps[i].At
	}
	oldest := int64(math.MaxInt64)
	for _, p := range Intersect(r, ring.Range{Start: ring.MinToken, End: ring.MinToken}) {
		lo := int64(math.MinInt64)
		if p.Start != ring.MinToken {
			lo = p.Start + 1
		}
		oldest = min(oldest, at(lo))
		for _, s := range steps {
			if s.From > lo && (p.End == ring.MinToken || s.From <= p.End) {
				oldest = min(oldest, s.At)
			}
		}
	}
	return oldest
}
