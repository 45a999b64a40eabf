// Package config holds the storage engine's options (storage.Options and
// storage.TableOptions are these types) and their defaults and checks.
package config

import (
	"fmt"
	"math/bits"
	"time"

	"wcdb/commitlog"
	"wcdb/compaction"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/sstable/codec"
)

// Options configure an Engine. The zero value of every field means its
// documented default; DefaultOptions spells them out.
type Options struct {
	// FS is where every file goes. Default: the operating system's.
	FS vfs.FS
	// Dir holds the engine's files: commitlog/ and data/<table id>/.
	// Required.
	Dir string

	// CommitLogSync is how the commit log acknowledges writes: Periodic
	// (default: fsync every CommitLogSyncPeriod, as Cassandra), Batch (ack
	// after an fsync covering the write) or Group (ack after an fsync
	// shared by the writes of a CommitLogGroupWindow).
	CommitLogSync commitlog.SyncMode
	// CommitLogSyncPeriod is the periodic mode's fsync interval. Default 10 s.
	CommitLogSyncPeriod time.Duration
	// CommitLogGroupWindow is the group mode's gathering window. Default 2 ms.
	CommitLogGroupWindow time.Duration
	// CommitLogSegmentSize is the size of a commit log segment. Default 32 MiB.
	CommitLogSegmentSize int64
	// SkipCorruptCommitLog makes start-up skip a corrupt record in the
	// middle of the commit log (logged) instead of refusing to start.
	SkipCorruptCommitLog bool

	// MemtableFlushSize is the size at which a table's memtable is frozen
	// and flushed. Default 64 MiB.
	MemtableFlushSize int64
	// MaxFlushingMemtables is how many frozen memtables a table may have
	// waiting for flush before writes to it are slowed (not failed) until
	// a flush finishes. Default 2.
	MaxFlushingMemtables int

	// BlockCacheSize is the size of the block cache shared by all tables.
	// Default 64 MiB.
	BlockCacheSize int64
	// BlockSize is the SSTable data block size. Default 16 KiB.
	BlockSize int

	// CompactionThroughput limits compaction's reading, in bytes per
	// second; 0 means Cassandra's default of 64 MiB/s, negative unlimited.
	CompactionThroughput int64
	// CompactionShare paces compaction and cleanup to a share of a core
	// while foreground requests run (see compaction.Share); the node feeds
	// it its requests. Nil: no pacing.
	CompactionShare *compaction.Share
	// DisableAutoCompaction stops background compaction (Compact still
	// works); tests use it to control file layouts.
	DisableAutoCompaction bool

	// Now returns the current time; TTL expiry and gc_grace use it.
	// Default time.Now.
	Now func() time.Time
	// RepairHorizon tells the tables in tombstone_gc mode "repair" what
	// repairs covered: for a token of a table, the start (unix seconds) of
	// the last successful repair of the range holding it among all its
	// replicas (math.MinInt64: never), and single true when the range has
	// one replica, which no repair concerns (gc_grace_seconds applies).
	// Nil: no range was ever repaired.
	RepairHorizon func(table mutation.TableID, token int64) (repairedAt int64, single bool)
	// Logf receives notable events (flushes, compactions, replay).
	// Default: discarded.
	Logf func(format string, args ...any)
	// Warnf receives what went wrong but was dealt with: a flush or
	// compaction that failed (and is tried again), a corrupt file set
	// aside, a file that could not be removed, a torn commit log tail
	// cut. Default: Logf.
	Warnf func(format string, args ...any)
	// CommitFailure is told of every failed commit log write or fsync,
	// with an error naming the segment (the node's
	// commit_failure_policy). The appends it covers fail; the log writes
	// again by itself once it can (see commitlog.Log.Append). It runs on
	// the commit log's goroutine: it must return quickly and must not
	// write. Default: Warnf.
	CommitFailure func(err error)
	// DiskFailure is told of every I/O error of a flush, compaction,
	// cleanup or read of SSTables (storage.OpFlush...), with the table's
	// directory (the node's disk_failure_policy); corruption is not one
	// (see failure.go). It must return quickly. Default: Warnf.
	DiskFailure func(op, dir string, err error)
	// LargePartitionWarningThreshold is the size (bytes written) from
	// which a compaction reports a partition it writes to LargePartition
	// (Cassandra's compaction_large_partition_warning_threshold): a
	// partition that large makes every read, repair and compaction of it
	// slow. 0: never.
	LargePartitionWarningThreshold int64
	// LargePartition is told of each partition over the threshold a
	// compaction of table wrote, with its size and the SSTable's path.
	// Default: Logf.
	LargePartition func(table mutation.TableID, key mutation.Key, size int64, sstable string)
}

// DefaultOptions returns the defaults for an engine in dir.
func DefaultOptions(dir string) Options {
	return Options{
		FS:                   vfs.Default,
		Dir:                  dir,
		CommitLogSync:        commitlog.Periodic,
		CommitLogSyncPeriod:  10 * time.Second,
		CommitLogGroupWindow: 2 * time.Millisecond,
		CommitLogSegmentSize: 32 << 20,
		MemtableFlushSize:    64 << 20,
		MaxFlushingMemtables: 2,
		BlockCacheSize:       64 << 20,
		BlockSize:            16 << 10,
		CompactionThroughput: 64 << 20,
		Now:                  time.Now,
		Logf:                 func(string, ...any) {},
	}
}

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	d := DefaultOptions(o.Dir)
	orDefault(&o.FS, d.FS)
	orDefault(&o.CommitLogSyncPeriod, d.CommitLogSyncPeriod)
	orDefault(&o.CommitLogGroupWindow, d.CommitLogGroupWindow)
	orDefault(&o.CommitLogSegmentSize, d.CommitLogSegmentSize)
	orDefault(&o.MemtableFlushSize, d.MemtableFlushSize)
	orDefault(&o.MaxFlushingMemtables, d.MaxFlushingMemtables)
	orDefault(&o.BlockCacheSize, d.BlockCacheSize)
	orDefault(&o.BlockSize, d.BlockSize)
	orDefault(&o.CompactionThroughput, d.CompactionThroughput)
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.Logf == nil {
		o.Logf = d.Logf
	}
	if o.Warnf == nil {
		o.Warnf = o.Logf
	}
	if o.CommitFailure == nil {
		warnf := o.Warnf
		o.CommitFailure = func(err error) { warnf("storage: commit log failure: %v", err) }
	}
	if o.DiskFailure == nil {
		warnf := o.Warnf
		o.DiskFailure = func(op, dir string, err error) { warnf("storage: %s failure in %s: %v", op, dir, err) }
	}
	if o.LargePartition == nil {
		warnf := o.Warnf
		o.LargePartition = func(table mutation.TableID, key mutation.Key, size int64, sstable string) {
			warnf("storage: writing large partition %x of table %x (%d bytes) to %s", key.Bytes, table, size, sstable)
		}
	}
	return o
}

// orDefault sets *p to d when *p is the zero value.
func orDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// Validate reports the first setting that cannot work.
func (o Options) Validate() error {
	switch {
	case o.Dir == "":
		return fmt.Errorf("storage: Dir is required")
	case o.MemtableFlushSize < 0:
		return fmt.Errorf("storage: MemtableFlushSize %d is negative", o.MemtableFlushSize)
	case o.MaxFlushingMemtables < 0:
		return fmt.Errorf("storage: MaxFlushingMemtables %d is negative", o.MaxFlushingMemtables)
	case o.BlockCacheSize < 0:
		return fmt.Errorf("storage: BlockCacheSize %d is negative", o.BlockCacheSize)
	case o.BlockSize < 0:
		return fmt.Errorf("storage: BlockSize %d is negative", o.BlockSize)
	case o.CommitLogSegmentSize < 0:
		return fmt.Errorf("storage: CommitLogSegmentSize %d is negative", o.CommitLogSegmentSize)
	case o.LargePartitionWarningThreshold < 0:
		return fmt.Errorf("storage: LargePartitionWarningThreshold %d is negative", o.LargePartitionWarningThreshold)
	}
	return nil
}

// TableOptions are a table's storage settings (CQL's WITH options that
// storage honours).
type TableOptions struct {
	// Compaction is the strategy class, as in CQL's compaction = {'class':
	// ...}; default SizeTieredCompactionStrategy.
	Compaction string `json:"compaction,omitempty"`
	// CompactionOptions are the strategy's other options.
	CompactionOptions map[string]string `json:"compaction_options,omitempty"`
	// Compression of SSTable blocks: "lz4" (the default for new tables,
	// as Cassandra's), "snappy", "zstd", "deflate" or "none"; Cassandra's
	// class names (LZ4Compressor, NoopCompressor, ...) are accepted too.
	// Every block records its codec, so a change applies to SSTables
	// written from then on (flushes, compactions, recompress).
	Compression string `json:"compression,omitempty"`
	// ChunkLengthKB is chunk_length_in_kb: the SSTable data block size in
	// KiB, a power of 2; 0 means the engine's Options.BlockSize.
	ChunkLengthKB int `json:"chunk_length_in_kb,omitempty"`
	// CompressionLevel is zstd's compression_level (0: 3, Cassandra's
	// default), or with LZ4High lz4_high_compressor_level (0: 9), or
	// deflate's level (0: 6).
	CompressionLevel int `json:"compression_level,omitempty"`
	// LZ4High is lz4_compressor_type: high.
	LZ4High bool `json:"lz4_high,omitempty"`
	// MinCompressRatio is min_compress_ratio: a block is stored compressed
	// only when its size over its compressed size reaches it; 0 keeps
	// compressed blocks that save at least an eighth.
	MinCompressRatio float64 `json:"min_compress_ratio,omitempty"`
	// BloomFPChance is the bloom filter false-positive chance; default 0.01.
	BloomFPChance float64 `json:"bloom_filter_fp_chance,omitempty"`
	// GCGraceSeconds is how long tombstones are kept before compaction may
	// purge them; default 864000 (10 days). -1 means 0: purge at once.
	GCGraceSeconds int64 `json:"gc_grace_seconds,omitempty"`
	// TombstoneGC says when a tombstone may go (tombstone_gc's mode, as
	// ScyllaDB's): TombstoneGCTimeout (the default) once GCGraceSeconds old;
	// TombstoneGCRepair once a repair of its range that started
	// PropagationDelaySeconds after its deletion has succeeded
	// (Options.RepairHorizon); TombstoneGCDisabled never;
	// TombstoneGCImmediate at once. Compaction purges by it, and raw reads
	// (what replicas compare) leave out what it lets go, so that a replica
	// that compacted and one that did not still agree.
	TombstoneGC string `json:"tombstone_gc,omitempty"`
	// PropagationDelaySeconds allows, in repair mode, for the writes and
	// hints in flight when a repair starts; default 3600. -1 means 0.
	PropagationDelaySeconds int64 `json:"propagation_delay_in_seconds,omitempty"`
	// Versions is cell_versions' rule (mutation/versions.go): reads and
	// compaction drop the versions it lets go; the zero rule, none.
	Versions mutation.VersionRule `json:"cell_versions,omitzero"`
}

// The tombstone_gc modes.
const (
	TombstoneGCTimeout   = "timeout"
	TombstoneGCRepair    = "repair"
	TombstoneGCDisabled  = "disabled"
	TombstoneGCImmediate = "immediate"
)

// WithDefaults returns o with every zero field set to its default.
func (o TableOptions) WithDefaults() TableOptions {
	orDefault(&o.Compaction, "SizeTieredCompactionStrategy")
	orDefault(&o.Compression, "lz4")
	orDefault(&o.BloomFPChance, 0.01)
	orDefault(&o.GCGraceSeconds, 864000)
	if o.GCGraceSeconds < 0 {
		o.GCGraceSeconds = 0
	}
	orDefault(&o.TombstoneGC, TombstoneGCTimeout)
	orDefault(&o.PropagationDelaySeconds, 3600)
	if o.PropagationDelaySeconds < 0 {
		o.PropagationDelaySeconds = 0
	}
	return o
}

// Codec returns the SSTable compression o names.
func (o TableOptions) Codec() (sstable.Compression, error) {
	id, err := codec.Parse(o.Compression)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	return sstable.CompressionOf(id)
}

// WriterOptions returns the SSTable writer options o gives, with
// blockSize (the engine's) when o sets no chunk length.
func (o TableOptions) WriterOptions(blockSize int) (sstable.WriterOptions, error) {
	comp, err := o.Codec()
	if err != nil {
		return sstable.WriterOptions{}, err
	}
	switch {
	case o.ChunkLengthKB < 0 || bits.OnesCount(uint(o.ChunkLengthKB)) > 1:
		return sstable.WriterOptions{}, fmt.Errorf("storage: chunk_length_in_kb %d is not a positive power of 2", o.ChunkLengthKB)
	case o.ChunkLengthKB > 0:
		blockSize = o.ChunkLengthKB << 10
	}
	if o.MinCompressRatio < 0 {
		return sstable.WriterOptions{}, fmt.Errorf("storage: min_compress_ratio %v is negative", o.MinCompressRatio)
	}
	w := sstable.WriterOptions{BlockSize: blockSize, Compression: comp, BloomFPChance: o.BloomFPChance,
		CompressionLevel: o.CompressionLevel, LZ4High: o.LZ4High, MinCompressRatio: o.MinCompressRatio}
	id, _ := comp.Codec()
	if _, err := codec.NewEncoder(id, codec.Options{Level: w.CompressionLevel, High: w.LZ4High}); err != nil {
		return sstable.WriterOptions{}, fmt.Errorf("storage: %w", err)
	}
	return w, nil
}
