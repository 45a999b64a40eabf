package storage

import (
	"sync/atomic"

	"wcdb/commitlog"
	"wcdb/internal/histogram"
)

// CommitLogMetrics returns the commit log's counters.
func (e *Engine) CommitLogMetrics() *commitlog.Metrics { return e.log.Metrics() }

// CommitLogSegments returns how many commit log segments are live (not
// yet recycled).
func (e *Engine) CommitLogSegments() int { return len(e.log.Segments()) }

// TableMetrics are a table's counters (Cassandra's table metrics), kept
// with atomics on its read and write paths: a few atomic adds and two
// clock reads per operation, no lock and no allocation. Latencies are in
// microseconds.
type TableMetrics struct {
	// ReadLatency times partition reads (Read, ReadCounted, ReadFunc),
	// RangeLatency scans (Scan: a page of a range read), WriteLatency
	// Apply (commit log append and memtable insert, and any wait for a
	// flush to catch up).
	ReadLatency, RangeLatency, WriteLatency histogram.Histogram
	// SSTablesPerRead counts, for each partition read, the SSTables it
	// looked into: those whose key range and bloom filter admit the key.
	// Its sum is the number of bloom filter positives.
	SSTablesPerRead histogram.Histogram
	// TombstonesPerRead counts the tombstones each counted read went
	// through (ReadCounted: the replicas' reads; see ReadStats).
	TombstonesPerRead histogram.Histogram
	// BloomFalsePositives counts SSTables a read looked into for a key
	// they turned out not to hold.
	BloomFalsePositives atomic.Int64

	// compactionPending says the strategy's last pick found work.
	compactionPending atomic.Bool
}

// Metrics returns the table's counters.
func (t *Table) Metrics() *TableMetrics { return &t.metrics }

// TableStatus is a table's state at one moment, for metrics and tools.
type TableStatus struct {
	// LiveSSTables and LiveBytes are the live SSTables and their file
	// sizes (Cassandra's LiveSSTableCount and LiveDiskSpaceUsed).
	LiveSSTables int
	LiveBytes    int64
	// MemtableBytes is the data of the active and frozen memtables
	// with their indexes.
	MemtableBytes int64
	// CompactionPending says the compaction strategy had work at its last
	// pick (running, or about to): Cassandra's pending compactions, as 0
	// or 1 per table.
	CompactionPending bool
}

// Status returns the table's state, without taking its lock.
func (t *Table) Status() TableStatus {
	s := t.acquire(true)
	defer s.release()
	st := TableStatus{LiveSSTables: len(s.files), CompactionPending: t.metrics.compactionPending.Load()}
	for _, f := range s.files {
		st.LiveBytes += f.meta.FileSize
	}
	for _, m := range s.mems {
		st.MemtableBytes += t.memSize(m)
	}
	return st
}
