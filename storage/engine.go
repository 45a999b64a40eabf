// Package storage is wcdb's node-local engine: one store per table, each a
// commit log (shared by all tables, as Cassandra's), memtables, SSTables and
// compaction.
//
// Write: Apply encodes the mutation once, appends it to the commit log
// (durable as the sync mode promises), and inserts the same bytes into the
// table's memtable. Flush: a memtable over its size is frozen and written as
// an SSTable in the background; the table's MANIFEST is then rewritten
// atomically, and commit log segments that no table needs are released.
// Read: memtables and SSTables (bloom filter first) are merged row by row,
// reconciled by timestamp, and tombstones applied. Readers hold references to
// the files they read, so compaction can replace files under them.
package storage

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"wcdb/commitlog"
	"wcdb/compaction"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable"
)

var (
	// ErrNoTable is returned for a table the engine does not have.
	ErrNoTable = errors.New("storage: no such table")
	// ErrTableExists is returned by CreateTable for an existing table.
	ErrTableExists = errors.New("storage: table exists")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("storage: engine closed")

	errNotExist = fs.ErrNotExist
)

// Metrics are the engine's counters.
type Metrics struct {
	// WriteStalls counts writes that waited for a flush to catch up.
	WriteStalls atomic.Int64
	// Stalled counts the writers waiting for a flush now; Flushing the
	// memtables being written to SSTables now.
	Stalled, Flushing atomic.Int64
	Flushes           atomic.Int64
	Compactions       atomic.Int64
	// BytesWritten counts user bytes applied (encoded mutations); the
	// flushed and compacted counters are SSTable bytes written, so
	// (BytesFlushed+BytesCompacted)/BytesWritten is the write
	// amplification (the commit log adds one more).
	BytesWritten   atomic.Int64
	BytesFlushed   atomic.Int64
	BytesCompacted atomic.Int64
}

// Engine is a node's storage: a commit log and a set of tables.
type Engine struct {
	opts    Options
	fs      vfs.FS
	log     *commitlog.Log
	cache   *sstable.Cache
	limiter *compaction.Limiter
	running compactions // the compactions running now (Compactions)
	metrics Metrics

	encPool sync.Pool

	mu struct {
		sync.Mutex
		tables map[mutation.TableID]*Table
		closed bool
	}
	catalogMu sync.Mutex // serializes catalog rewrites

	bg bgWork
	// lock keeps other engines (and processes) out of Dir while open.
	lock io.Closer
}

// Open opens (or creates) the engine in opts.Dir: it reads the catalog and
// every table's manifest, deletes files no manifest names (left by a crash
// mid-flush or mid-compaction), replays the commit log into memtables and
// flushes them, then starts background flushing and compaction.
func Open(opts Options) (*Engine, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, fs: opts.FS, cache: sstable.NewCache(opts.BlockCacheSize)}
	rate := opts.CompactionThroughput
	if rate < 0 {
		rate = 0
	}
	e.limiter = compaction.NewLimiter(rate).WithShare(opts.CompactionShare)
	e.mu.tables = map[mutation.TableID]*Table{}
	if err := vfs.MkdirAllSynced(e.fs, opts.Dir); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", opts.Dir, err)
	}
	lock, err := e.fs.Lock(filepath.Join(opts.Dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("storage: %s is in use (another wcdb process?): %w", opts.Dir, err)
	}
	e.lock = lock
	opened := false
	defer func() {
		if !opened {
			lock.Close()
		}
	}()
	if err := vfs.MkdirAllSynced(e.fs, e.dataDir()); err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", e.dataDir(), err)
	}
	var cat catalogFile
	if _, err := readEnvelope(e.fs, e.catalogPath(), catalogMagic, &cat); err != nil {
		return nil, err
	}
	for _, ce := range cat.Tables {
		id, err := parseTableID(ce.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, e.catalogPath(), err)
		}
		t, err := openTable(e, id, ce.Options)
		if err != nil {
			e.closeTables()
			return nil, err
		}
		e.mu.tables[id] = t
	}
	if err := e.removeDroppedTableDirs(); err != nil {
		e.closeTables()
		return nil, err
	}
	// Replay points name segments that a power loss may have taken (see
	// commitlog.Options.MinSegmentID).
	var minSeg uint64
	for _, t := range e.mu.tables {
		minSeg = max(minSeg, t.replayFrom().Segment+1)
	}
	log, err := commitlog.Open(commitlog.Options{
		MinSegmentID: minSeg,
		FS:           e.fs,
		Dir:          filepath.Join(opts.Dir, "commitlog"),
		SegmentSize:  opts.CommitLogSegmentSize,
		Sync:         opts.CommitLogSync,
		SyncPeriod:   opts.CommitLogSyncPeriod,
		GroupWindow:  opts.CommitLogGroupWindow,
		SkipCorrupt:  opts.SkipCorruptCommitLog,
		// The log's notices are all of damage: torn tails cut, corrupt
		// records skipped, writes again after a failure.
		Logf:    opts.Warnf,
		OnError: opts.CommitFailure,
	})
	if err != nil {
		e.closeTables()
		return nil, err
	}
	e.log = log
	if err := e.replay(); err != nil {
		log.Close()
		e.closeTables()
		return nil, err
	}
	e.bg.start(e)
	opened = true
	return e, nil
}

func (e *Engine) dataDir() string     { return filepath.Join(e.opts.Dir, "data") }
func (e *Engine) catalogPath() string { return filepath.Join(e.opts.Dir, "CATALOG") }

func (e *Engine) tableDir(id mutation.TableID) string {
	return filepath.Join(e.dataDir(), hex.EncodeToString(id[:]))
}

func parseTableID(s string) (mutation.TableID, error) {
	var id mutation.TableID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("bad table id %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// removeDroppedTableDirs deletes table directories the catalog does not name
// (a crash between a DROP's catalog write and its directory removal).
func (e *Engine) removeDroppedTableDirs() error {
	names, err := e.fs.List(e.dataDir())
	if err != nil {
		return err
	}
	for _, n := range names {
		id, err := parseTableID(n)
		if err != nil {
			continue
		}
		if _, ok := e.mu.tables[id]; !ok {
			e.opts.Logf("storage: removing directory of dropped table %s", n)
			if err := e.fs.RemoveAll(filepath.Join(e.dataDir(), n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// replay applies the commit log's records to the memtables of the tables
// they belong to (skipping what the table's SSTables already hold), then
// flushes, so the next start-up has little to replay.
func (e *Engine) replay() error {
	n := 0
	err := e.log.Replay(func(pos commitlog.Position, rec []byte) error {
		v, err := mutation.DecodeView(rec)
		if err != nil {
			return fmt.Errorf("storage: commit log record at %s: %w", pos, err)
		}
		t := e.mu.tables[v.Table]
		if t == nil || pos.Less(t.replayFrom()) {
			return nil
		}
		ms := t.mem.Load()
		ms.markDirty(pos)
		ms.noteTimestamp(math.MinInt64) // not decoded; replayed memtables are flushed next
		n++
		return ms.m.Apply(&v)
	})
	if err != nil {
		return err
	}
	if n > 0 {
		e.opts.Logf("storage: replayed %d commit log records", n)
	}
	for _, t := range e.mu.tables {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return e.releaseLog()
}

// CreateTable creates a table's store. The catalog is rewritten atomically.
func (e *Engine) CreateTable(id mutation.TableID, opts TableOptions) (*Table, error) {
	e.catalogMu.Lock()
	defer e.catalogMu.Unlock()
	e.mu.Lock()
	if e.mu.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if _, ok := e.mu.tables[id]; ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %x", ErrTableExists, id)
	}
	e.mu.Unlock()
	if _, err := newTableConfig(e, opts); err != nil {
		return nil, err
	}
	// A stale directory (a crash after a drop) must not leak files into
	// the new table.
	if err := e.fs.RemoveAll(e.tableDir(id)); err != nil {
		return nil, err
	}
	t, err := openTable(e, id, opts)
	if err != nil {
		return nil, err
	}
	t.setReplayFrom(e.log.Current())
	if err := t.writeManifest(); err != nil {
		t.close()
		return nil, err
	}
	e.mu.Lock()
	e.mu.tables[id] = t
	e.mu.Unlock()
	if err := e.writeCatalog(); err != nil {
		e.mu.Lock()
		delete(e.mu.tables, id)
		e.mu.Unlock()
		t.close()
		return nil, err
	}
	return t, nil
}

// AlterTable changes a table's options: later flushes and compactions use
// them (files already written keep their compression and bloom filters).
// The catalog is rewritten atomically.
func (e *Engine) AlterTable(id mutation.TableID, opts TableOptions) error {
	e.catalogMu.Lock()
	defer e.catalogMu.Unlock()
	t := e.Table(id)
	if t == nil {
		return fmt.Errorf("%w: %x", ErrNoTable, id)
	}
	cfg, err := newTableConfig(e, opts)
	if err != nil {
		return err
	}
	cfg.wopts.Observe = t.sai.Observe
	old := t.cfg.Swap(cfg)
	if err := e.writeCatalog(); err != nil {
		t.cfg.Store(old)
		return err
	}
	e.bg.requestCompaction() // a new strategy may have work at once
	return nil
}

// DropTable removes a table and its files.
func (e *Engine) DropTable(id mutation.TableID) error {
	e.catalogMu.Lock()
	defer e.catalogMu.Unlock()
	e.mu.Lock()
	t, ok := e.mu.tables[id]
	if ok {
		delete(e.mu.tables, id)
	}
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %x", ErrNoTable, id)
	}
	if err := e.writeCatalog(); err != nil {
		return err
	}
	t.drop()
	if err := e.fs.RemoveAll(t.dir); err != nil {
		return err
	}
	return e.releaseLog()
}

func (e *Engine) writeCatalog() error {
	e.mu.Lock()
	var cat catalogFile
	for id, t := range e.mu.tables {
		cat.Tables = append(cat.Tables, catalogEntry{ID: hex.EncodeToString(id[:]), Options: t.Options()})
	}
	e.mu.Unlock()
	sort.Slice(cat.Tables, func(i, j int) bool { return cat.Tables[i].ID < cat.Tables[j].ID })
	return writeEnvelope(e.fs, e.catalogPath(), catalogMagic, &cat)
}

// CompactionThroughput returns the cap on compaction's reading, bytes per
// second (0: none).
func (e *Engine) CompactionThroughput() int64 { return e.limiter.Rate() }

// SetCompactionThroughput changes the cap at once, for the compactions
// running too (nodetool setcompactionthroughput).
func (e *Engine) SetCompactionThroughput(bytesPerSec int64) { e.limiter.SetRate(bytesPerSec) }

// Table returns the table with id, or nil.
func (e *Engine) Table(id mutation.TableID) *Table {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.tables[id]
}

// Tables returns every table, in id order.
func (e *Engine) Tables() []*Table {
	e.mu.Lock()
	ts := make([]*Table, 0, len(e.mu.tables))
	for _, t := range e.mu.tables {
		ts = append(ts, t)
	}
	e.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return strings.Compare(string(ts[i].id[:]), string(ts[j].id[:])) < 0 })
	return ts
}

// Metrics returns the engine's counters.
func (e *Engine) Metrics() *Metrics { return &e.metrics }

// CacheStats returns the block cache's counters.
func (e *Engine) CacheStats() sstable.CacheStats { return e.cache.Stats() }

// Apply writes a mutation: commit log, then memtable. It returns once the
// write is as durable as the commit log's sync mode promises.
func (e *Engine) Apply(m *mutation.Mutation) error {
	t := e.Table(m.Table)
	if t == nil {
		return fmt.Errorf("%w: %x", ErrNoTable, m.Table)
	}
	return t.Apply(m)
}

// releaseLog lets the commit log drop the segments no table needs: those
// before the oldest unflushed write of every table.
func (e *Engine) releaseLog() error {
	bound := e.log.Current()
	for _, t := range e.Tables() {
		if p, ok := t.oldestUnflushed(); ok && p.Less(bound) {
			bound = p
		}
	}
	return e.log.Release(bound)
}

// SyncLog makes every write applied so far durable, whatever the commit
// log's sync mode: an fsync of the log, after the records before it.
func (e *Engine) SyncLog() error { return e.log.Sync() }

// SyncsEachWrite reports whether Apply returns only once the write is
// synced (the batch and group modes): SyncLog after it would add nothing.
func (e *Engine) SyncsEachWrite() bool { return e.opts.CommitLogSync != commitlog.Periodic }

// FlushAll flushes every table's memtable.
func (e *Engine) FlushAll() error {
	for _, t := range e.Tables() {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return e.releaseLog()
}

// Close stops background work, flushes nothing (the commit log has every
// acknowledged write), syncs and closes the commit log and every file.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.mu.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	e.mu.closed = true
	e.mu.Unlock()
	e.bg.stop()
	err := e.log.Close()
	e.closeTables()
	if lerr := e.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

func (e *Engine) closeTables() {
	e.mu.Lock()
	ts := e.mu.tables
	e.mu.tables = map[mutation.TableID]*Table{}
	e.mu.Unlock()
	for _, t := range ts {
		t.close()
	}
}
