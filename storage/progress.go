package storage

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/mutation"
)

// CompactionInfo is a compaction running now, as nodetool compactionstats
// shows it.
type CompactionInfo struct {
	Table  mutation.TableID
	Reason string
	// Files and Bytes are the inputs' count and size on disk.
	Files   int
	Bytes   int64
	Started time.Time
	// Done estimates the share of the work done (0-1): how far through the
	// inputs' token span the merge is. Partitions are merged in token
	// order, so it only grows, and reaches 1 at the last one.
	Done float64
}

// running is one compaction in the engine's list.
type running struct {
	info     CompactionInfo
	min, max int64        // the inputs' token span
	pos      atomic.Int64 // the token of the partition being merged
}

// compactions lists the engine's running compactions.
type compactions struct {
	mu  sync.Mutex
	set []*running
}

func (cs *compactions) add(r *running) {
	r.pos.Store(r.min)
	cs.mu.Lock()
	cs.set = append(cs.set, r)
	cs.mu.Unlock()
}

func (cs *compactions) remove(r *running) {
	cs.mu.Lock()
	cs.set = slices.DeleteFunc(cs.set, func(o *running) bool { return o == r })
	cs.mu.Unlock()
}

// startRun registers a compaction of inputs of table t.
func (t *Table) startRun(reason string, inputs []*sstFile) *running {
	r := &running{info: CompactionInfo{Table: t.id, Reason: reason, Files: len(inputs), Started: t.e.opts.Now()},
		min: math.MaxInt64, max: math.MinInt64}
	for _, f := range inputs {
		r.info.Bytes += f.meta.FileSize
		r.min = min(r.min, f.meta.MinKey.Token)
		r.max = max(r.max, f.meta.MaxKey.Token)
	}
	t.e.running.add(r)
	return r
}

// Compactions returns the compactions running now, oldest first.
func (e *Engine) Compactions() []CompactionInfo {
	e.running.mu.Lock()
	defer e.running.mu.Unlock()
	out := make([]CompactionInfo, 0, len(e.running.set))
	for _, r := range e.running.set {
		info := r.info
		if span := float64(r.max) - float64(r.min); span > 0 {
			info.Done = min(1, max(0, (float64(r.pos.Load())-float64(r.min))/span))
		}
		out = append(out, info)
	}
	return out
}
