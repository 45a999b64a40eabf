package storage

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/commitlog"
	"wcdb/compaction"
	"wcdb/internal/vfs"
	"wcdb/memtable"
	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage/internal/sststats"
	"wcdb/storage/sai"
)

// Table is one table's store. Its methods are safe for concurrent use.
type Table struct {
	e   *Engine
	id  mutation.TableID
	dir string
	// cfg is the table's options and what is derived from them; AlterTable
	// swaps it while flushes and compactions run.
	cfg atomic.Pointer[tableConfig]

	// applyMu: writers hold it shared from commit log append to memtable
	// insert; freezing the memtable holds it exclusively, so a frozen
	// memtable never receives a write after its flush has begun.
	applyMu sync.RWMutex
	mem     atomic.Pointer[memState]
	// immCount mirrors len(mu.imm) for the write-stall check.
	immCount atomic.Int32

	// readState is what reads see; republished (under mu) whenever the
	// memtables or files change, so that a read takes no lock.
	readState atomic.Pointer[readState]

	metrics TableMetrics
	sai     *sai.Set // secondary indexes (index.go)

	manifestMu sync.Mutex // serializes manifest rewrites (flush, compaction)
	compactMu  sync.Mutex // one compaction at a time per table
	flushMu    sync.Mutex // one flush at a time per table, oldest memtable first

	mu struct {
		sync.Mutex
		// imm are frozen memtables waiting for flush, oldest first.
		imm []*memState
		// files are the live SSTables, by ascending number.
		files      []*sstFile
		nextFile   uint64
		replayFrom commitlog.Position
		dropped    bool
		// flushed is broadcast when a frozen memtable has been flushed.
		flushed *sync.Cond
	}
}

// memState is a memtable with the commit log position of its oldest write.
type memState struct {
	m *memtable.Memtable
	// minTS is the oldest write or deletion timestamp in the memtable
	// (math.MaxInt64 while empty; math.MinInt64 when unknown, after
	// replay): fully expired SSTables may be dropped only if everything
	// alive is newer than their data.
	minTS atomic.Int64
	// first is the log position (or a lower bound of it) before the first
	// write to this memtable; nil while it holds nothing.
	first atomic.Pointer[commitlog.Position]
	// taken counts the encoded bytes of the writes given to this
	// memtable, including those being applied: what the writer path
	// freezes it by, so that writers applying at once cannot all pass the
	// size check before any of them is counted.
	taken atomic.Int64
}

func newMemState() *memState {
	ms := &memState{m: memtable.New()}
	ms.minTS.Store(math.MaxInt64)
	return ms
}

// noteTimestamp lowers minTS to ts.
func (ms *memState) noteTimestamp(ts int64) {
	for {
		cur := ms.minTS.Load()
		if ts >= cur || ms.minTS.CompareAndSwap(cur, ts) {
			return
		}
	}
}

// minTimestamp returns the oldest timestamp in the partition's content.
func minTimestamp(p *mutation.Partition) int64 {
	m := int64(math.MaxInt64)
	del := func(d mutation.Deletion) {
		if !d.IsLive() {
			m = min(m, d.Timestamp)
		}
	}
	row := func(r *mutation.Row) {
		if !r.Liveness.IsEmpty() {
			m = min(m, r.Liveness.Timestamp)
		}
		del(r.Deletion)
		for i := range r.Cells {
			m = min(m, r.Cells[i].Timestamp)
		}
	}
	del(p.Deletion)
	for i := range p.RangeTombstones {
		del(p.RangeTombstones[i].Deletion)
	}
	if p.Static != nil {
		row(p.Static)
	}
	for i := range p.Rows {
		row(&p.Rows[i])
	}
	return m
}

// markDirty records, before the first write's append, a lower bound of its
// log position.
func (ms *memState) markDirty(cur commitlog.Position) {
	if ms.first.Load() == nil {
		ms.first.CompareAndSwap(nil, &cur)
	}
}

// sstFile is a live (or obsolete but still read) SSTable.
type sstFile struct {
	num       uint64
	level     int
	createdAt int64
	path      string
	r         *sstable.Reader
	meta      sstable.Meta
	// refs: one for being live, one per reader snapshot or compaction
	// using it. At zero the file is closed, and deleted if obsolete.
	refs     atomic.Int32
	obsolete atomic.Bool
	// corrupt is set when reading the file failed its checksums; it is
	// then never compaction input.
	corrupt atomic.Bool
	// cleaning is set while a Cleanup holds the file for rewriting; it is
	// then never compaction input (see cleanup.go).
	cleaning atomic.Bool
	t        *Table
}

func (f *sstFile) ref() { f.refs.Add(1) }

func (f *sstFile) unref() {
	if f.refs.Add(-1) != 0 {
		return
	}
	f.r.Close()
	if f.obsolete.Load() {
		f.t.sai.Remove(f.path)
		if err := f.t.e.fs.Remove(f.path); err != nil {
			f.t.e.opts.Warnf("storage: remove %s: %v", f.path, err)
		}
	}
}

func sstName(num uint64) string { return fmt.Sprintf("%08d.sst", num) }

// tableConfig is a table's options with the strategy and writer options
// derived from them.
type tableConfig struct {
	// given are the options as given (what the catalog keeps: -1 there
	// still means zero), opts them with the defaults filled in.
	given    TableOptions
	opts     TableOptions
	strategy compaction.Strategy
	wopts    sstable.WriterOptions
}

func newTableConfig(e *Engine, given TableOptions) (*tableConfig, error) {
	opts := given.WithDefaults()
	strat, err := compaction.New(opts.Compaction, opts.CompactionOptions)
	if err != nil {
		return nil, err
	}
	wopts, err := opts.WriterOptions(e.opts.BlockSize)
	if err != nil {
		return nil, err
	}
	switch opts.TombstoneGC {
	case TombstoneGCTimeout, TombstoneGCRepair, TombstoneGCDisabled, TombstoneGCImmediate:
	default:
		return nil, fmt.Errorf("storage: unknown tombstone_gc mode %q", opts.TombstoneGC)
	}
	return &tableConfig{given: given, opts: opts, strategy: strat,
		wopts: wopts}, nil
}

func openTable(e *Engine, id mutation.TableID, opts TableOptions) (*Table, error) {
	cfg, err := newTableConfig(e, opts)
	if err != nil {
		return nil, err
	}
	t := &Table{e: e, id: id, dir: e.tableDir(id)}
	t.sai = newIndexSet(t)
	cfg.wopts.Observe = t.sai.Observe
	t.cfg.Store(cfg)
	t.mu.flushed = sync.NewCond(&t.mu.Mutex)
	t.mu.nextFile = 1
	t.mem.Store(newMemState())
	if err := vfs.MkdirAllSynced(e.fs, t.dir); err != nil {
		return nil, err
	}
	var man manifestFile
	found, err := readEnvelope(e.fs, t.manifestPath(), manifestMagic, &man)
	if err != nil {
		return nil, err
	}
	if found {
		t.mu.nextFile = max(man.NextFile, 1)
		t.mu.replayFrom = man.ReplayFrom
	}
	live := map[string]bool{"MANIFEST": true}
	for _, mf := range man.Files {
		f, err := t.openFile(mf.Num, mf.Level, mf.CreatedAt)
		if err != nil {
			t.close()
			return nil, err
		}
		t.mu.files = append(t.mu.files, f)
		live[sstName(mf.Num)] = true
	}
	sort.Slice(t.mu.files, func(i, j int) bool { return t.mu.files[i].num < t.mu.files[j].num })
	t.mu.Lock()
	t.publishLocked()
	t.mu.Unlock()
	// Anything else in the directory is debris of an interrupted flush or
	// compaction, or a file a finished compaction had not yet deleted.
	names, err := e.fs.List(t.dir)
	if err != nil {
		t.close()
		return nil, err
	}
	for _, n := range names {
		if live[n] || strings.HasPrefix(n, "snapshots") {
			continue
		}
		if sst, ok := sai.IsComponent(n); ok && live[sst] {
			continue
		}
		e.opts.Logf("storage: removing unreferenced file %s", filepath.Join(t.dir, n))
		if err := e.fs.Remove(filepath.Join(t.dir, n)); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

func (t *Table) manifestPath() string { return filepath.Join(t.dir, "MANIFEST") }

func (t *Table) openFile(num uint64, level int, createdAt int64) (*sstFile, error) {
	path := filepath.Join(t.dir, sstName(num))
	r, err := sstable.Open(t.e.fs, path, sstable.ReaderOptions{Cache: t.e.cache, FileNum: t.e.fileCacheID(t, num)})
	if err != nil {
		return nil, err
	}
	f := &sstFile{num: num, level: level, createdAt: createdAt, path: path, r: r, meta: r.Meta(), t: t}
	f.refs.Store(1)
	return f, nil
}

// fileCacheID gives each (table, file) pair a distinct block cache id.
func (e *Engine) fileCacheID(t *Table, num uint64) uint64 {
	// File numbers are per table; spread tables apart with the id's hash.
	var h uint64 = 14695981039346656037
	for _, b := range t.id {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h<<20 ^ num
}

// ID returns the table's id.
func (t *Table) ID() mutation.TableID { return t.id }

// Options returns the table's storage options as given (zero fields for
// the defaults, -1 for zero where the field says so), as the catalog keeps
// them.
func (t *Table) Options() TableOptions { return t.cfg.Load().given }

func (t *Table) replayFrom() commitlog.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.replayFrom
}

func (t *Table) setReplayFrom(p commitlog.Position) {
	t.mu.Lock()
	t.mu.replayFrom = p
	t.mu.Unlock()
}

// oldestUnflushed returns the log position of the table's oldest write not
// yet in an SSTable.
func (t *Table) oldestUnflushed() (commitlog.Position, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.mu.imm) > 0 {
		return *t.mu.imm[0].first.Load(), true
	}
	if p := t.mem.Load().first.Load(); p != nil {
		return *p, true
	}
	return commitlog.Position{}, false
}

// Apply writes a mutation of this table.
func (t *Table) Apply(m *mutation.Mutation) error {
	if m.Table != t.id {
		return fmt.Errorf("storage: mutation for table %x applied to %x", m.Table, t.id)
	}
	defer t.metrics.WriteLatency.Since(time.Now())
	e := t.e
	bp, _ := e.encPool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	enc := mutation.AppendMutation((*bp)[:0], m)
	err := t.applyEncoded(enc, minTimestamp(&m.Partition))
	*bp = enc
	e.encPool.Put(bp)
	return err
}

// applyEncoded applies an encoded mutation whose oldest timestamp is minTS
// (math.MinInt64 if unknown).
func (t *Table) applyEncoded(enc []byte, minTS int64) error {
	v, err := mutation.DecodeView(enc)
	if err != nil {
		return err
	}
	var ms *memState
	for {
		if int(t.immCount.Load()) >= t.e.opts.MaxFlushingMemtables {
			t.waitForFlush()
		}
		t.applyMu.RLock()
		ms = t.mem.Load()
		// A write that would take the memtable past the flush size goes
		// to the next one (unless it is the first: a mutation larger
		// than the flush size has a memtable of its own).
		n := int64(len(enc))
		if after := ms.taken.Add(n); after <= t.e.opts.MemtableFlushSize || after == n {
			break
		}
		t.applyMu.RUnlock()
		if t.freezeFull(ms) {
			t.e.bg.requestFlush(t)
		}
	}
	if ms.first.Load() == nil {
		ms.markDirty(t.e.log.Current())
	}
	ms.noteTimestamp(minTS)
	if _, err := t.e.log.Append(enc); err != nil {
		t.applyMu.RUnlock()
		return err
	}
	err = ms.m.Apply(&v)
	if err == nil {
		err = t.sai.Apply(ms.m, &v)
	}
	t.applyMu.RUnlock()
	if err != nil {
		return err
	}
	t.e.metrics.BytesWritten.Add(int64(len(enc)))
	// The writer that fills the memtable freezes it, at once: were it left
	// to the flush goroutine, it would grow for as long as the flush before
	// takes, and the stall above (MaxFlushingMemtables) would never bound
	// the memory writers hold.
	if t.memSize(ms.m) >= t.e.opts.MemtableFlushSize && t.freezeFull(ms) {
		t.e.bg.requestFlush(t)
	}
	return nil
}

// freezeFull freezes ms if it is still the active memtable; false if
// another writer did.
func (t *Table) freezeFull(ms *memState) bool {
	t.applyMu.Lock()
	defer t.applyMu.Unlock()
	if t.mem.Load() != ms {
		return false
	}
	t.freezeLocked(ms)
	return true
}

// waitForFlush slows a writer while the table has too many memtables
// waiting for flush.
func (t *Table) waitForFlush() {
	t.mu.Lock()
	if len(t.mu.imm) >= t.e.opts.MaxFlushingMemtables && !t.mu.dropped {
		t.e.metrics.WriteStalls.Add(1)
		t.e.metrics.Stalled.Add(1)
		defer t.e.metrics.Stalled.Add(-1)
	}
	for len(t.mu.imm) >= t.e.opts.MaxFlushingMemtables && !t.mu.dropped {
		t.mu.flushed.Wait()
	}
	t.mu.Unlock()
}

// freeze makes the active memtable immutable and queues it for flush. It
// returns false when there was nothing to freeze.
func (t *Table) freeze() bool {
	t.applyMu.Lock()
	defer t.applyMu.Unlock()
	ms := t.mem.Load()
	if ms.first.Load() == nil {
		return false
	}
	t.freezeLocked(ms)
	return true
}

// freezeLocked queues ms, the active memtable, for flush. Caller holds
// applyMu for writing.
func (t *Table) freezeLocked(ms *memState) {
	t.mu.Lock()
	t.mu.imm = append(t.mu.imm, ms)
	t.immCount.Store(int32(len(t.mu.imm)))
	t.mem.Store(newMemState())
	t.publishLocked()
	t.mu.Unlock()
}

// flush freezes the active memtable and writes every frozen memtable to
// SSTables, oldest first.
func (t *Table) flush() error { return t.flushAll(true) }

// flushAll flushes the frozen memtables, after freezing the active one if
// active is set or none is frozen (the background flush of a memtable a
// writer froze leaves the one that took its place alone).
func (t *Table) flushAll(active bool) error {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	if active || t.immCount.Load() == 0 {
		t.freeze()
	}
	for {
		t.mu.Lock()
		if len(t.mu.imm) == 0 || t.mu.dropped {
			t.mu.Unlock()
			return nil
		}
		ms := t.mu.imm[0]
		t.mu.Unlock()
		if err := t.flushMemtable(ms); err != nil {
			t.diskFailure(OpFlush, err)
			return err
		}
	}
}

func (t *Table) allocFile() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.mu.nextFile
	t.mu.nextFile++
	return n
}

// flushMemtable writes ms as an SSTable and publishes it.
func (t *Table) flushMemtable(ms *memState) error {
	var out *sstFile
	if ms.m.Len() > 0 {
		t.e.metrics.Flushing.Add(1)
		defer t.e.metrics.Flushing.Add(-1)
		num := t.allocFile()
		path := filepath.Join(t.dir, sstName(num))
		t.e.opts.Logf("storage: flushing table %s: %d partitions, %d bytes of memtable to %s", t, ms.m.Len(), ms.m.Size(), sstName(num))
		w, err := sstable.NewWriter(t.e.fs, path, t.cfg.Load().wopts)
		if err != nil {
			return err
		}
		var st sststats.Acc
		st.Init()
		it := ms.m.Iter(nil, nil)
		for it.Next() {
			p := it.Partition()
			h := p.Header()
			if h == nil {
				h = emptyHeader
			}
			if err := st.Header(h); err != nil {
				w.Abort()
				return err
			}
			if err := w.StartPartition(p.Key(), h); err != nil {
				w.Abort()
				return err
			}
			ri := p.Rows(nil, nil, false)
			for ri.Next() {
				if err := st.Row(ri.Row()); err != nil {
					w.Abort()
					return err
				}
				if err := w.AddRow(ri.Clustering(), ri.Row()); err != nil {
					w.Abort()
					return err
				}
			}
			if err := w.FinishPartition(); err != nil {
				w.Abort()
				return err
			}
		}
		meta, err := w.Finish(st.Stats)
		if err != nil {
			w.Abort()
			return err
		}
		out, err = t.openFile(num, 0, t.e.opts.Now().Unix())
		if err != nil {
			return err
		}
		t.e.metrics.Flushes.Add(1)
		t.e.metrics.BytesFlushed.Add(meta.FileSize)
	}
	// Read the log position before looking at the active memtable: a write
	// that marks the memtable after the look appends after this position.
	cur := t.e.log.Current()
	t.manifestMu.Lock()
	t.mu.Lock()
	if t.mu.dropped {
		t.mu.Unlock()
		t.manifestMu.Unlock()
		if out != nil {
			out.obsolete.Store(true)
			out.unref()
		}
		return nil
	}
	if out != nil {
		t.mu.files = append(t.mu.files, out)
	}
	t.mu.imm = t.mu.imm[1:]
	t.immCount.Store(int32(len(t.mu.imm)))
	t.publishLocked()
	t.sai.Forget(ms.m)
	if len(t.mu.imm) > 0 {
		t.mu.replayFrom = *t.mu.imm[0].first.Load()
	} else if p := t.mem.Load().first.Load(); p != nil {
		t.mu.replayFrom = *p
	} else {
		// Nothing unflushed: every write before cur is in SSTables.
		t.mu.replayFrom = cur
	}
	man := t.manifestLocked()
	t.mu.flushed.Broadcast()
	t.mu.Unlock()
	err := writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
	t.manifestMu.Unlock()
	if err != nil {
		return fmt.Errorf("storage: flush of %x: %w", t.id, err)
	}
	if out != nil {
		t.e.opts.Logf("storage: flushed table %s to %s (%d bytes)", t, sstName(out.num), out.meta.FileSize)
		t.e.bg.requestCompaction()
	}
	return t.e.releaseLog()
}

func (t *Table) manifestLocked() manifestFile {
	man := manifestFile{NextFile: t.mu.nextFile, ReplayFrom: t.mu.replayFrom}
	for _, f := range t.mu.files {
		man.Files = append(man.Files, manifestSSTable{Num: f.num, Level: f.level, CreatedAt: f.createdAt})
	}
	return man
}

func (t *Table) writeManifest() error {
	t.manifestMu.Lock()
	defer t.manifestMu.Unlock()
	t.mu.Lock()
	man := t.manifestLocked()
	t.mu.Unlock()
	return writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
}

// Flush writes the table's memtables to SSTables.
func (t *Table) Flush() error {
	if err := t.flush(); err != nil {
		return err
	}
	return t.e.releaseLog()
}

// Truncate removes every row of the table: memtables are discarded, the
// SSTables dropped, and commit log records before now are not replayed.
func (t *Table) Truncate() error {
	t.applyMu.Lock()
	t.manifestMu.Lock()
	t.mu.Lock()
	old := t.mu.files
	t.mu.files = nil
	t.mu.imm = nil
	t.immCount.Store(0)
	t.mem.Store(newMemState())
	t.publishLocked()
	t.sai.Reset()
	t.mu.replayFrom = t.e.log.Current()
	man := t.manifestLocked()
	t.mu.flushed.Broadcast()
	t.mu.Unlock()
	t.applyMu.Unlock()
	err := writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
	t.manifestMu.Unlock()
	if err != nil {
		return err
	}
	for _, f := range old {
		f.obsolete.Store(true)
		f.unref()
	}
	return t.e.releaseLog()
}

// readState is a published view of a table's memtables and files.
// Immutable once published; it holds a reference on each file, dropped
// when the last read using it (and the table, until it publishes the
// next) lets go.
type readState struct {
	refs  atomic.Int32
	mems  []*memtable.Memtable // newest first
	files []*sstFile
}

func (s *readState) unref() {
	if s.refs.Add(-1) == 0 {
		for _, f := range s.files {
			f.unref()
		}
	}
}

// publishLocked makes the current memtables and files what reads see.
// t.mu must be held.
func (t *Table) publishLocked() {
	s := &readState{mems: make([]*memtable.Memtable, 0, 1+len(t.mu.imm)), files: slices.Clone(t.mu.files)}
	s.refs.Store(1)
	if !t.mu.dropped {
		s.mems = append(s.mems, t.mem.Load().m)
		for i := len(t.mu.imm) - 1; i >= 0; i-- {
			s.mems = append(s.mems, t.mu.imm[i].m)
		}
	}
	for _, f := range s.files {
		f.ref()
	}
	if old := t.readState.Swap(s); old != nil {
		old.unref()
	}
}

// snapshot is a consistent view of a table's memtables and files for one
// read, valid until release.
type snapshot struct {
	mems  []*memtable.Memtable // newest first
	files []*sstFile
	rs    *readState
}

func (t *Table) acquire(withMem bool) snapshot {
	for {
		rs := t.readState.Load()
		// A state whose count reached zero is retired: its files may be
		// closed. Take the table's newer one.
		if n := rs.refs.Load(); n > 0 && rs.refs.CompareAndSwap(n, n+1) {
			s := snapshot{files: rs.files, rs: rs}
			if withMem {
				s.mems = rs.mems
			}
			return s
		}
	}
}

func (s snapshot) release() { s.rs.unref() }

// FileInfo describes a live SSTable, for tools and tests.
type FileInfo struct {
	Num   uint64
	Level int
	Path  string
	Meta  sstable.Meta
}

// Files lists the live SSTables.
func (t *Table) Files() []FileInfo {
	s := t.acquire(false)
	defer s.release()
	out := make([]FileInfo, len(s.files))
	for i, f := range s.files {
		out[i] = FileInfo{Num: f.num, Level: f.level, Path: f.path, Meta: f.meta}
	}
	return out
}

// Verify checks every live SSTable (checksums, order, bloom filter).
func (t *Table) Verify() error {
	s := t.acquire(false)
	defer s.release()
	var errs []error
	for _, f := range s.files {
		if err := f.r.Verify(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (t *Table) drop() {
	t.sai.Close()
	t.applyMu.Lock()
	t.mu.Lock()
	t.mu.dropped = true
	files := t.mu.files
	t.mu.files = nil
	t.mu.imm = nil
	t.publishLocked()
	t.mu.flushed.Broadcast()
	t.mu.Unlock()
	t.applyMu.Unlock()
	for _, f := range files {
		f.obsolete.Store(true)
		f.unref()
	}
}

func (t *Table) close() {
	t.sai.Close()
	t.mu.Lock()
	files := t.mu.files
	t.mu.files = nil
	t.mu.dropped = true
	t.publishLocked()
	t.mu.flushed.Broadcast()
	t.mu.Unlock()
	for _, f := range files {
		f.unref()
	}
}

// String names the table for logs.
func (t *Table) String() string { return strconv.Quote(fmt.Sprintf("%x", t.id[:4])) }

var emptyHeader = []byte{0}
