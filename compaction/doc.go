// Package compaction decides which SSTables of a table to merge; the merge
// itself is storage's (compact.go), which runs the tasks decided here.
//
// The deciding part is pure: a Strategy sees a []Table (what the manifest
// knows of each live file: size, level, key and timestamp ranges, tombstone
// estimates, whether a compaction already holds it) and returns a Task, the
// input IDs and where the output goes. It does no I/O, starts no goroutines
// and reads no clock but the now it is given, so storage drives it and tests
// replay it from testdata. The strategies are Cassandra's, chosen with the
// same CQL compaction map (New):
//
//   - SizeTieredCompactionStrategy, the default, buckets files of similar
//     size (within bucket_low..bucket_high of a bucket's average; every file
//     under min_sstable_size in one bucket) and merges a bucket once it holds
//     min_threshold files, at most max_threshold at a time. Cassandra
//     compacts the bucket most read from; we track no read rates, so the
//     bucket of the smallest files goes first, Cassandra's own tie-break.
//
//   - LeveledCompactionStrategy keeps L1 and up as sorted runs of
//     non-overlapping files of sstable_size_in_mb, level L holding
//     fanout_size^L files' worth of bytes. Four files in L0 send the oldest
//     (up to 32) into L1 with every L1 file they overlap; otherwise the
//     level furthest over its size pushes one file, taken round-robin by key,
//     into the next level with the files it overlaps there.
//
//   - TimeWindowCompactionStrategy groups files by the time window of their
//     newest cell and never merges across windows: the newest window is
//     size-tiered, and each older one compacted into a single file, so whole
//     files expire by TTL and are dropped without a merge (FullyExpired).
//
// Every strategy falls back to rewriting one file alone when its droppable
// tombstone ratio exceeds tombstone_threshold, discounted, unless
// unchecked_tombstone_compaction is set, by the share of its token range
// other files overlap. Major returns the tasks of "nodetool compact".
//
// A Limiter throttles compaction I/O to compaction_throughput, and with a
// Share paces it to compaction_cpu_share of a core while requests run.
//
// The merge of a task's inputs by timestamp into new SSTables (split at
// Task.MaxOutputBytes), and the purge of tombstones during it (only those
// older than gc_grace_seconds that shadow nothing an SSTable outside the
// compaction, or a memtable, may hold), are package storage's: they need
// the engine's files, readers and memtables, which this package never sees.
package compaction
