package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	"wcdb/compaction"
	"wcdb/memtable"
	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage/internal/sststats"
)

// compactionTables describes the live files to the strategy.
func (t *Table) compactionTables() []compaction.Table {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.e.opts.Now()
	gcBefore := t.fileGCBefore(t.cfg.Load(), now.Unix())
	out := make([]compaction.Table, 0, len(t.mu.files))
	for _, f := range t.mu.files {
		ct := compaction.Table{
			ID: f.num, Size: f.meta.FileSize, Level: f.level,
			MinKey: f.meta.MinKey, MaxKey: f.meta.MaxKey,
			MinTimestamp: f.meta.MinTimestamp, MaxTimestamp: f.meta.MaxTimestamp,
			MaxLocalDeletionTime: f.meta.MaxLocalDeletionTime,
			Partitions:           f.meta.Partitions,
			CreatedAt:            time.Unix(f.createdAt, 0),
			// A file found corrupt is never compaction input again; one
			// held by a Cleanup is not until it is done.
			Compacting: f.corrupt.Load() || f.cleaning.Load(),
		}
		if f.meta.MaxTombstoneTime < gcBefore {
			ct.DroppableTombstones = f.meta.Tombstones
		}
		out = append(out, ct)
	}
	return out
}

// memMinTimestamp returns the oldest timestamp in the table's memtables.
func (t *Table) memMinTimestamp() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.mem.Load().minTS.Load()
	for _, ms := range t.mu.imm {
		m = min(m, ms.minTS.Load())
	}
	return m
}

// compactOnce runs the strategy's next task, if any.
func (t *Table) compactOnce(stop <-chan struct{}) (bool, error) {
	t.compactMu.Lock()
	defer t.compactMu.Unlock()
	cfg, now := t.cfg.Load(), t.e.opts.Now()
	tables := t.compactionTables()
	// Fully expired files go first, as in Cassandra: deleting them is what
	// compacting them would do, at no cost (TWCS relies on it).
	if ids := compaction.FullyExpired(tables, min(t.fileGCBefore(cfg, now.Unix()), now.Unix()), t.memMinTimestamp()); len(ids) > 0 {
		return true, t.runCompaction(&compaction.Task{Inputs: ids, Drop: true, Reason: "fully expired"}, stop)
	}
	task := cfg.strategy.Pick(tables, now)
	t.metrics.compactionPending.Store(task != nil)
	if task == nil {
		return false, nil
	}
	return true, t.runCompaction(task, stop)
}

// CompactPending runs, in the caller, every compaction the table's strategy
// picks until it picks none (or stop is closed): what background compaction
// would do, finished now. Benchmarks use it to start read workloads from a
// settled state.
func (t *Table) CompactPending(stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		did, err := t.compactOnce(stop)
		if err != nil || !did {
			return err
		}
	}
}

// Compact runs a major compaction: every live SSTable merged per the
// strategy's Major tasks.
func (t *Table) Compact() error {
	if err := t.Flush(); err != nil {
		return err
	}
	t.compactMu.Lock()
	defer t.compactMu.Unlock()
	for _, task := range t.cfg.Load().strategy.Major(t.compactionTables()) {
		if err := t.runCompaction(task, nil); err != nil {
			return err
		}
	}
	return nil
}

// Recompress rewrites every live SSTable not written with the table's
// current compression options (codec, level, chunk length and
// min_compress_ratio, as the file records them; a file of a format that
// does not record them is rewritten), one file at a time: each is a
// compaction of that file alone into its own level, so no data is merged
// across files (nodetool recompress_sstables). Memtables are flushed first.
// Files held by a cleanup or found corrupt are left as they are. It returns
// the number of files rewritten and of those skipped as already current.
func (t *Table) Recompress() (rewritten, current int, err error) {
	if err := t.Flush(); err != nil {
		return 0, 0, err
	}
	t.compactMu.Lock()
	defer t.compactMu.Unlock()
	want, err := t.cfg.Load().wopts.CodecParams()
	if err != nil {
		return 0, 0, err
	}
	tables := t.compactionTables()
	same := map[uint64]bool{}
	t.mu.Lock()
	for _, f := range t.mu.files {
		same[f.num] = f.meta.Codec != nil && *f.meta.Codec == want
	}
	t.mu.Unlock()
	for _, ct := range tables {
		if ct.Compacting {
			continue
		}
		if same[ct.ID] {
			current++
			continue
		}
		task := &compaction.Task{Inputs: []uint64{ct.ID}, OutputLevel: ct.Level, Reason: "recompress"}
		if err := t.runCompaction(task, nil); err != nil {
			return rewritten, current, err
		}
		rewritten++
	}
	return rewritten, current, nil
}

// runCompaction merges the task's inputs into new files and swaps them in.
// Tombstones (and expired cells) are purged only once older than
// gc_grace_seconds and only if no file outside the compaction, nor a
// memtable, may hold data they shadow. Caller holds compactMu.
func (t *Table) runCompaction(task *compaction.Task, stop <-chan struct{}) error {
	s := t.acquire(true)
	defer s.release()
	var inputs, others []*sstFile
	for _, f := range s.files {
		if slices.Contains(task.Inputs, f.num) {
			inputs = append(inputs, f)
		} else {
			others = append(others, f)
		}
	}
	if len(inputs) != len(task.Inputs) {
		return fmt.Errorf("storage: compaction inputs %v not all live", task.Inputs)
	}
	now := t.e.opts.Now()
	c := compactor{t: t, task: task, others: others, mems: s.mems, now: now.Unix(), cfg: t.cfg.Load(), stop: stop}
	var inBytes int64
	for _, f := range inputs {
		inBytes += f.meta.FileSize
	}
	t.e.opts.Logf("storage: compacting %d files (%d bytes) of table %s: %s", len(inputs), inBytes, t, task.Reason)
	var outs []*sstFile
	var err error
	if !task.Drop {
		c.prog = t.startRun(task.Reason, inputs)
		outs, err = c.run(inputs)
		t.e.running.remove(c.prog)
	}
	if err != nil {
		for _, o := range outs {
			o.obsolete.Store(true)
			o.unref()
		}
		var ce corruptInput
		if errors.As(err, &ce) {
			ce.f.corrupt.Store(true)
			t.e.opts.Warnf("storage: %v; the file is excluded from compaction", err)
		} else {
			t.diskFailure(OpCompaction, err)
		}
		return err
	}
	// Publish: the manifest names the outputs instead of the inputs.
	t.manifestMu.Lock()
	t.mu.Lock()
	if t.mu.dropped {
		t.mu.Unlock()
		t.manifestMu.Unlock()
		for _, o := range outs {
			o.obsolete.Store(true)
			o.unref()
		}
		return nil
	}
	kept := t.mu.files[:0:0]
	for _, f := range t.mu.files {
		if !slices.Contains(task.Inputs, f.num) {
			kept = append(kept, f)
		}
	}
	kept = append(kept, outs...)
	slices.SortFunc(kept, func(a, b *sstFile) int { return int(a.num - b.num) })
	t.mu.files = kept
	t.publishLocked()
	man := t.manifestLocked()
	t.mu.Unlock()
	err = writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
	t.manifestMu.Unlock()
	if err != nil {
		// The in-memory set is already switched; the old manifest still
		// names the inputs, which are kept on disk until a manifest without
		// them is durable (the next successful rewrite).
		t.diskFailure(OpCompaction, err)
		return fmt.Errorf("storage: compaction manifest: %w", err)
	}
	var outBytes int64
	for _, o := range outs {
		outBytes += o.meta.FileSize
	}
	for _, f := range inputs {
		f.obsolete.Store(true)
		f.unref() // the live reference
	}
	t.e.metrics.Compactions.Add(1)
	t.e.metrics.BytesCompacted.Add(outBytes)
	t.e.opts.Logf("storage: compacted %d files (%d bytes) of table %s into %d (%d bytes): %s", len(inputs), inBytes, t, len(outs), outBytes, task.Reason)
	return nil
}

type corruptInput struct {
	f   *sstFile
	err error
}

func (c corruptInput) Error() string { return fmt.Sprintf("compaction input %s: %v", c.f.path, c.err) }
func (c corruptInput) Unwrap() error { return c.err }

type compactor struct {
	t      *Table
	task   *compaction.Task
	others []*sstFile
	mems   []*memtable.Memtable
	now    int64
	cfg    *tableConfig
	stop   <-chan struct{}
	prog   *running // nil: not listed (cleanup's rewrites list themselves)

	w     *sstable.Writer
	wnum  uint64
	st    sststats.Acc
	outs  []*sstFile
	buf   []byte
	bytes int64
}

// run merges inputs partition by partition.
func (c *compactor) run(inputs []*sstFile) ([]*sstFile, error) {
	iters := make([]*sstable.PartitionIter, len(inputs))
	for i, f := range inputs {
		iters[i] = f.r.ScanUncached(nil, nil)
	}
	defer func() {
		for _, it := range iters {
			it.Close()
		}
	}()
	valid := make([]bool, len(iters))
	advance := func(i int) error {
		valid[i] = iters[i].Next()
		if !valid[i] {
			if err := iters[i].Err(); isIOError(err) {
				// The disk's failure, not the file's: it stays input.
				return fmt.Errorf("storage: compaction input %s: %w", inputs[i].path, err)
			} else if err != nil {
				return corruptInput{inputs[i], err}
			}
		}
		return nil
	}
	for i := range iters {
		if err := advance(i); err != nil {
			return c.outs, err
		}
	}
	var cur []int
	for {
		if c.stop != nil {
			select {
			case <-c.stop:
				c.abort()
				return c.outs, errCompactionStopped
			default:
			}
		}
		var key mutation.Key
		cur, key = smallestKeys(cur, valid, func(i int) mutation.Key { return iters[i].Partition().Key() })
		if len(cur) == 0 {
			break
		}
		if c.prog != nil {
			c.prog.pos.Store(key.Token)
		}
		// Newest file first, as reads merge.
		slices.SortFunc(cur, func(a, b int) int { return int(inputs[b].num - inputs[a].num) })
		srcs := make([]partSource, 0, len(cur))
		for _, i := range cur {
			srcs = append(srcs, sstSource(iters[i].Partition()))
		}
		if err := c.partition(key, srcs); err != nil {
			c.abort()
			var ce corruptInput
			if !errors.As(err, &ce) && errors.Is(err, sstable.ErrCorrupt) {
				err = corruptInput{inputs[cur[0]], err}
			}
			return c.outs, err
		}
		for _, i := range cur {
			if err := advance(i); err != nil {
				c.abort()
				return c.outs, err
			}
		}
	}
	if err := c.finishFile(); err != nil {
		return c.outs, err
	}
	return c.outs, nil
}

// maxPurgeable returns the timestamp below which a tombstone for key
// shadows nothing outside the compaction.
func (c *compactor) maxPurgeable(key mutation.Key) int64 {
	mp := int64(math.MaxInt64)
	for _, m := range c.mems {
		if m.Get(key) != nil {
			return math.MinInt64
		}
	}
	for _, f := range c.others {
		if key.Compare(f.meta.MinKey) < 0 || key.Compare(f.meta.MaxKey) > 0 || !f.r.MayContain(key) {
			continue
		}
		mp = min(mp, f.meta.MinTimestamp)
	}
	return mp
}

func (c *compactor) partition(key mutation.Key, srcs []partSource) error {
	h, err := mergeHeaders(srcs)
	if err != nil {
		return err
	}
	maxPurge := int64(math.MinInt64)
	computed := false
	gcBefore := c.t.gcBefore(c.cfg, key.Token, c.now)
	purgeable := func(d mutation.Deletion) bool {
		if d.IsLive() || d.LocalDeletionTime >= gcBefore {
			return false
		}
		if !computed {
			maxPurge, computed = c.maxPurgeable(key), true
		}
		return d.Timestamp < maxPurge
	}
	// The purged header; the unpurged h still shadows the input rows.
	out := mutation.Header{Deletion: h.Deletion}
	if purgeable(out.Deletion) {
		out.Deletion = mutation.Live
	}
	for _, rt := range h.RangeTombstones {
		if !purgeable(rt.Deletion) {
			out.RangeTombstones = append(out.RangeTombstones, rt)
		}
	}
	if h.Static != nil {
		st := *h.Static
		st.Cells = append([]mutation.Cell(nil), st.Cells...)
		st.Shadow(h.Deletion)
		st.Expire(c.now)
		purgeRow(&st, c.now, purgeable)
		if !st.IsEmpty() {
			out.Static = &st
		}
	}
	started := false
	size := int64(0) // what the partition takes in the file, less the index
	start := func() error {
		if started {
			return nil
		}
		started = true
		if c.w == nil {
			if err := c.newFile(); err != nil {
				return err
			}
		}
		c.buf = mutation.AppendHeader(c.buf[:0], &out)
		if err := c.st.Header(c.buf); err != nil {
			return err
		}
		size += int64(len(key.Bytes) + len(c.buf))
		return c.w.StartPartition(key, c.buf)
	}
	if !out.IsEmpty() {
		if err := start(); err != nil {
			return err
		}
	}
	// Without partition or range deletions and purges, a row only one
	// input holds that carries no tombstone or expiry is written as it was
	// read: canonicalizing and purging would leave it unchanged.
	plainHeader := h.Deletion.IsLive() && len(h.RangeTombstones) == 0 && c.cfg.opts.Versions.IsZero()
	err = mergeRowsRaw(srcs, nil, nil, false, func(row *mutation.Row, raw []byte) (bool, error) {
		copyRaw := raw != nil && plainHeader && plainRow(row)
		if !copyRaw {
			// The form raw reads return; then what gc_grace lets go.
			canonicalRow(row, &h, c.now, c.cfg.opts.Versions)
			purgeRow(row, c.now, purgeable)
			if row.IsEmpty() {
				return false, nil
			}
		}
		if err := start(); err != nil { // start uses c.buf
			return true, err
		}
		enc := raw
		if !copyRaw {
			c.buf = mutation.AppendRow(c.buf[:0], row)
			enc = c.buf
		}
		c.st.Stats.Rows++
		c.st.RowStats(row)
		c.bytes += int64(len(enc) + len(row.Clustering))
		size += int64(len(enc) + len(row.Clustering))
		if err := c.t.e.limiter.Wait(context.Background(), len(enc)+len(row.Clustering)); err != nil {
			return true, err
		}
		return false, c.w.AddRow(row.Clustering, enc)
	})
	if err != nil {
		return err
	}
	if !started {
		return nil
	}
	if err := c.w.FinishPartition(); err != nil {
		return err
	}
	if limit := c.t.e.opts.LargePartitionWarningThreshold; limit > 0 && size > limit {
		c.t.e.opts.LargePartition(c.t.id, key, size, filepath.Join(c.t.dir, sstName(c.wnum)))
	}
	if c.task.MaxOutputBytes > 0 && c.bytes >= c.task.MaxOutputBytes {
		return c.finishFile()
	}
	return nil
}

// plainRow reports whether r holds no deletion, tombstone or expiring
// data: nothing canonicalizing or purging could change.
func plainRow(r *mutation.Row) bool {
	if !r.Deletion.IsLive() || r.IsEmpty() || !r.Liveness.IsEmpty() && r.Liveness.ExpiresAt != mutation.NoDeletionTime {
		return false
	}
	for i := range r.Cells {
		if r.Cells[i].Flags&(mutation.CellTombstone|mutation.CellColumnDeletion|mutation.CellExpiring) != 0 {
			return false
		}
	}
	return true
}

func (c *compactor) newFile() error {
	c.wnum = c.t.allocFile()
	w, err := sstable.NewWriter(c.t.e.fs, filepath.Join(c.t.dir, sstName(c.wnum)), c.t.cfg.Load().wopts)
	if err != nil {
		return err
	}
	c.w = w
	c.st.Init()
	c.bytes = 0
	return nil
}

func (c *compactor) finishFile() error {
	if c.w == nil {
		return nil
	}
	w := c.w
	c.w = nil
	if _, err := w.Finish(c.st.Stats); err != nil {
		w.Abort()
		return err
	}
	f, err := c.t.openFile(c.wnum, c.task.OutputLevel, c.t.e.opts.Now().Unix())
	if err != nil {
		return err
	}
	c.outs = append(c.outs, f)
	return nil
}

func (c *compactor) abort() {
	if c.w != nil {
		c.w.Abort()
		c.w = nil
	}
}
