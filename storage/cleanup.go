package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage/internal/sststats"
)

// CleanupStats reports what a Cleanup did.
type CleanupStats struct {
	// Files is the number of SSTables examined. FilesRewritten were
	// replaced by a file holding only their owned partitions; FilesDropped
	// held none and were removed; the rest held nothing to drop and were
	// kept as they were.
	Files, FilesRewritten, FilesDropped int
	// BytesBefore is the size of the files examined, BytesAfter the size of
	// what took their place (a kept file counts in both).
	BytesBefore, BytesAfter int64
	// PartitionsDropped counts partitions removed, once per file holding
	// a version of them.
	PartitionsDropped int64
}

// Cleanup rewrites the table's live SSTables keeping only partitions whose
// token owned(token) reports true, as Cassandra's nodetool cleanup does
// after a node gave ranges up: it returns the bytes before and after.
//
// The memtables are flushed first, so their data is cleaned too and the
// commit log is not replayed over it. Files are then handled one at a time,
// so that cleanup needs at most one file's worth of extra space: a file
// with nothing to drop is kept, one with nothing to keep is removed, and
// any other is copied without the partitions not owned (raw, without
// decoding rows, merging files or purging tombstones) into a new file that
// replaces it atomically in the manifest; a crash leaves either of the two.
// The old file is deleted once reads using it finish.
//
// The files live when cleanup starts are held out of compaction until
// they have been cleaned (as Cassandra marks them compacting), so that no
// compaction carries their data into a file cleanup would not see. Data
// written after the flush is not cleaned. owned is called from the calling
// goroutine, once per partition version, with no lock held. Cancelling ctx
// stops cleanup between partitions (or while it waits for compaction
// throughput): the file being written is abandoned, files already cleaned
// stay so, and the error wraps ctx's. A file found corrupt stops cleanup
// and, as after a compaction, is never compaction input again. On an error
// the stats cover the files finished. Only one Cleanup of a table runs at
// a time; another one fails at once.
func (t *Table) Cleanup(ctx context.Context, owned func(token int64) bool) (CleanupStats, error) {
	var st CleanupStats
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("storage: cleanup of table %s: %w", t, err)
	}
	if err := t.Flush(); err != nil {
		return st, fmt.Errorf("storage: cleanup of table %s: flush: %w", t, err)
	}
	files, err := t.holdForCleanup()
	if err != nil {
		return st, err
	}
	defer func() {
		for _, f := range files {
			f.cleaning.Store(false)
		}
		// Files held back may be due for compaction.
		t.e.bg.requestCompaction()
	}()
	for _, f := range files {
		if err := t.cleanupFile(ctx, f, owned, &st); err != nil {
			t.diskFailure(OpCleanup, err)
			t.e.opts.Warnf("storage: cleanup of table %s stopped after %d of %d files: %v", t, st.Files, len(files), err)
			return st, fmt.Errorf("storage: cleanup of table %s: %w", t, err)
		}
	}
	t.e.opts.Logf("storage: cleaned up table %s: %d files, %d rewritten, %d removed, %d partitions dropped, %d bytes to %d",
		t, st.Files, st.FilesRewritten, st.FilesDropped, st.PartitionsDropped, st.BytesBefore, st.BytesAfter)
	return st, nil
}

// holdForCleanup marks the live files as being cleaned and returns them.
// compactMu ensures no compaction is using them meanwhile; the mark keeps
// later compactions from picking them.
func (t *Table) holdForCleanup() ([]*sstFile, error) {
	t.compactMu.Lock()
	defer t.compactMu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mu.dropped {
		return nil, fmt.Errorf("%w: cleanup of dropped or closed table %x", ErrNoTable, t.id)
	}
	if slices.ContainsFunc(t.mu.files, func(f *sstFile) bool { return f.cleaning.Load() }) {
		return nil, fmt.Errorf("storage: cleanup of table %s: another cleanup is running", t)
	}
	files := slices.Clone(t.mu.files)
	for _, f := range files {
		f.cleaning.Store(true)
	}
	return files, nil
}

// cleanupFile cleans one file and adds what it did to st. A file no longer
// live (the table was truncated meanwhile) is skipped.
func (t *Table) cleanupFile(ctx context.Context, f *sstFile, owned func(int64) bool, st *CleanupStats) error {
	// Hold the file while reading it: a Truncate may drop its live
	// reference. Being in the live set, it has one to add to.
	t.mu.Lock()
	live := slices.Contains(t.mu.files, f)
	if live {
		f.ref()
	}
	t.mu.Unlock()
	if !live {
		return nil
	}
	defer f.unref()
	c := fileCleaner{t: t, f: f, owned: owned}
	out, err := c.run(ctx)
	if err != nil {
		if errors.Is(err, sstable.ErrCorrupt) {
			f.corrupt.Store(true)
		}
		return err
	}
	if c.dropped == 0 {
		st.Files++
		st.BytesBefore += f.meta.FileSize
		st.BytesAfter += f.meta.FileSize
		return nil
	}
	replaced, err := t.replaceFile(f, out)
	if err != nil || !replaced {
		return err
	}
	st.Files++
	st.BytesBefore += f.meta.FileSize
	st.PartitionsDropped += c.dropped
	if out == nil {
		st.FilesDropped++
		return nil
	}
	st.FilesRewritten++
	st.BytesAfter += out.meta.FileSize
	t.e.metrics.BytesCompacted.Add(out.meta.FileSize)
	return nil
}

// replaceFile swaps old for out (nil: for nothing) in the live set and the
// manifest, as a compaction publishes. It reports false, discarding out,
// if old is no longer live.
func (t *Table) replaceFile(old, out *sstFile) (bool, error) {
	discard := func() {
		if out != nil {
			out.obsolete.Store(true)
			out.unref()
		}
	}
	t.manifestMu.Lock()
	t.mu.Lock()
	if t.mu.dropped {
		t.mu.Unlock()
		t.manifestMu.Unlock()
		discard()
		return false, fmt.Errorf("%w: table %x dropped or closed during cleanup", ErrNoTable, t.id)
	}
	i := slices.Index(t.mu.files, old)
	if i < 0 {
		t.mu.Unlock()
		t.manifestMu.Unlock()
		discard()
		return false, nil
	}
	files := slices.Delete(slices.Clone(t.mu.files), i, i+1)
	if out != nil {
		files = append(files, out)
		slices.SortFunc(files, func(a, b *sstFile) int { return cmp.Compare(a.num, b.num) })
	}
	t.mu.files = files
	t.publishLocked()
	man := t.manifestLocked()
	t.mu.Unlock()
	err := writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
	t.manifestMu.Unlock()
	if err != nil {
		// As after a compaction: the old manifest still names old, which
		// stays on disk until a manifest without it is durable.
		return false, fmt.Errorf("manifest: %w", err)
	}
	old.obsolete.Store(true)
	old.unref() // the live reference
	return true, nil
}

// fileCleaner copies the owned partitions of one file into a new one.
type fileCleaner struct {
	t     *Table
	f     *sstFile
	owned func(int64) bool

	w   *sstable.Writer
	num uint64
	st  sststats.Acc
	// kept and dropped count the partitions seen so far.
	kept, dropped int64
}

// run scans the file. It returns the new file, or nil when nothing was
// dropped (no file was written) or nothing was kept. Nothing is written
// before the first partition to drop: a file with none costs one read.
func (c *fileCleaner) run(ctx context.Context) (*sstFile, error) {
	it := c.f.r.ScanUncached(nil, nil)
	defer it.Close()
	for it.Next() {
		if err := ctx.Err(); err != nil {
			c.abort()
			return nil, err
		}
		p := it.Partition()
		if c.owned(p.Key().Token) {
			c.kept++
			if c.dropped > 0 {
				if err := c.copyPartition(ctx, p); err != nil {
					c.abort()
					return nil, err
				}
			}
			continue
		}
		if c.dropped == 0 && c.kept > 0 {
			if err := c.copyBefore(ctx, p.Key()); err != nil {
				c.abort()
				return nil, err
			}
		}
		c.dropped++
	}
	if err := it.Err(); err != nil {
		c.abort()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		c.abort()
		return nil, err
	}
	if c.w == nil {
		return nil, nil
	}
	return c.finish()
}

// copyBefore copies the partitions before key, every one owned: they were
// passed over before the first one to drop was met.
func (c *fileCleaner) copyBefore(ctx context.Context, key mutation.Key) error {
	end := mutation.Key{Token: key.Token, Bytes: slices.Clone(key.Bytes)}
	it := c.f.r.ScanUncached(nil, &end)
	defer it.Close()
	for it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.copyPartition(ctx, it.Partition()); err != nil {
			return err
		}
	}
	return it.Err()
}

// copyPartition writes p to the new file as its bytes are, accounting for its
// statistics as a flush does.
func (c *fileCleaner) copyPartition(ctx context.Context, p *sstable.Partition) error {
	if c.w == nil {
		c.num = c.t.allocFile()
		w, err := sstable.NewWriter(c.t.e.fs, filepath.Join(c.t.dir, sstName(c.num)), c.t.cfg.Load().wopts)
		if err != nil {
			return err
		}
		c.w = w
		c.st.Init()
	}
	h := p.Header()
	if len(h) == 0 {
		h = emptyHeader
	}
	if err := c.st.Header(h); err != nil {
		return fmt.Errorf("partition header of %x in %s: %w", p.Key().Bytes, c.f.path, err)
	}
	if err := c.w.StartPartition(p.Key(), h); err != nil {
		return err
	}
	ri := p.Rows(nil, nil, false)
	for ri.Next() {
		row := ri.Row()
		if err := c.st.Row(row); err != nil {
			ri.Close()
			return fmt.Errorf("row %x of %x in %s: %w", ri.Clustering(), p.Key().Bytes, c.f.path, err)
		}
		// Throttled as compaction is, against the same budget.
		if err := c.t.e.limiter.Wait(ctx, len(row)+len(ri.Clustering())); err != nil {
			ri.Close()
			return err
		}
		if err := c.w.AddRow(ri.Clustering(), row); err != nil {
			ri.Close()
			return err
		}
	}
	if err := ri.Close(); err != nil {
		return err
	}
	return c.w.FinishPartition()
}

// finish completes the new file and opens it at the old one's level and
// creation time: the data is as old as it was, so a tombstone compaction
// of the file that was due stays due.
func (c *fileCleaner) finish() (*sstFile, error) {
	w := c.w
	c.w = nil
	path := filepath.Join(c.t.dir, sstName(c.num))
	if _, err := w.Finish(c.st.Stats); err != nil {
		// Finish removed the temporary file; only a failed directory
		// sync leaves the file at path.
		c.removeOutput(path)
		return nil, err
	}
	out, err := c.t.openFile(c.num, c.f.level, c.f.createdAt)
	if err != nil {
		c.removeOutput(path)
		return nil, err
	}
	return out, nil
}

// removeOutput deletes an unpublished output; one left behind would be
// deleted by the next Open anyway.
func (c *fileCleaner) removeOutput(path string) {
	if _, err := c.t.e.fs.Stat(path); err != nil {
		return
	}
	if err := c.t.e.fs.Remove(path); err != nil {
		c.t.e.opts.Warnf("storage: remove %s: %v", path, err)
	}
}

func (c *fileCleaner) abort() {
	if c.w != nil {
		c.w.Abort()
		c.w = nil
	}
}
