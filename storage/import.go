package storage

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"wcdb/mutation"
	"wcdb/sstable"
	"wcdb/storage/internal/sststats"
)

// Import writes one new SSTable into a table from partitions supplied in
// ring order (a section streamed from another node) and adds it to the
// table atomically at Commit: until then no read sees any of it, and a
// crash leaves only a file no manifest names, which the next Open deletes.
//
// The file is written with the table's current writer options, and its
// statistics are computed from the data as a flush computes them. An Import
// is not safe for concurrent use; several Imports of one table may run at
// once.
type Import struct {
	t      *Table
	num    uint64
	w      *sstable.Writer
	st     sststats.Acc
	parts  int64
	inPart bool
	done   bool
	err    error // sticky
}

// NewImport starts an import into t.
func (t *Table) NewImport() (*Import, error) {
	if t.isDropped() {
		return nil, errDropped(t)
	}
	num := t.allocFile()
	w, err := sstable.NewWriter(t.e.fs, filepath.Join(t.dir, sstName(num)), t.cfg.Load().wopts)
	if err != nil {
		return nil, t.importFailed(err)
	}
	im := &Import{t: t, num: num, w: w}
	im.st.Init()
	return im, nil
}

func (im *Import) check() error {
	if im.err != nil {
		return im.err
	}
	if im.done {
		return errors.New("storage: import already committed or aborted")
	}
	return nil
}

// fail aborts the import on a write error, so that a caller that forgets
// to Abort leaves no temporary file behind.
func (im *Import) fail(err error) error {
	if im.err == nil {
		im.err = err
	}
	im.w.Abort()
	return im.t.importFailed(err)
}

// StartPartition begins the partition key with the given encoded header
// (nil or empty for none). Keys must be strictly ascending in (token, key)
// order; the SSTable writer's error is returned otherwise.
func (im *Import) StartPartition(key mutation.Key, header []byte) error {
	if err := im.check(); err != nil {
		return err
	}
	if len(header) == 0 {
		header = emptyHeader
	}
	if err := im.st.Header(header); err != nil {
		return im.fail(fmt.Errorf("storage: import: partition header of %x: %w", key.Bytes, err))
	}
	if err := im.w.StartPartition(key, header); err != nil {
		return im.fail(err)
	}
	im.inPart = true
	im.parts++
	return nil
}

// AddRow adds an encoded row to the current partition; clusterings must be
// strictly ascending within the partition.
func (im *Import) AddRow(clustering, row []byte) error {
	if err := im.check(); err != nil {
		return err
	}
	if err := im.st.Row(row); err != nil {
		return im.fail(fmt.Errorf("storage: import: row %x: %w", clustering, err))
	}
	if err := im.w.AddRow(clustering, row); err != nil {
		return im.fail(err)
	}
	return nil
}

// FinishPartition ends the current partition.
func (im *Import) FinishPartition() error {
	if err := im.check(); err != nil {
		return err
	}
	if err := im.w.FinishPartition(); err != nil {
		return im.fail(err)
	}
	im.inPart = false
	return nil
}

// AddBlock adds a data block of an SSTable of this engine's format as it is
// stored (sstable.Writer.AddBlock: neither decoded into rows nor compressed
// again); its entries count in the statistics as if added one by one. A
// block that opens with rows continues the current partition; one that
// opens with a partition start needs none current. The block's last
// partition stays current.
func (im *Import) AddBlock(b *sstable.Block) error {
	if err := im.check(); err != nil {
		return err
	}
	var e sstable.BlockEntry
	for i := 0; i < b.Len(); i++ {
		if err := b.Entry(i, &e); err != nil {
			return im.fail(err)
		}
		var err error
		if e.Partition {
			err = im.st.Header(e.Header)
		} else {
			err = im.st.Row(e.Row)
		}
		if err != nil {
			return im.fail(fmt.Errorf("storage: import: block entry %d: %w", i, err))
		}
	}
	if err := im.w.AddBlock(b); err != nil {
		return im.fail(err)
	}
	im.parts += int64(b.Summary().Partitions)
	im.inPart = true
	return nil
}

// Partitions returns the number of partitions started so far.
func (im *Import) Partitions() int64 { return im.parts }

// Commit finishes the file (synced and renamed into place by the SSTable
// writer), adds it to the table's live files, publishes it to reads and
// rewrites the manifest, as a flush does; compaction is then asked to look
// at the table. An import with no partitions adds nothing (an empty SSTable
// is never published): Commit then returns a zero Meta and no error.
//
// If only the manifest rewrite fails, the file is already live in memory
// (as after a failed flush) and the next manifest rewrite records it; the
// error is returned because a crash before then would lose it.
func (im *Import) Commit() (sstable.Meta, error) {
	if err := im.check(); err != nil {
		return sstable.Meta{}, err
	}
	if im.inPart {
		return sstable.Meta{}, im.fail(errors.New("storage: import committed inside a partition"))
	}
	im.done = true
	if im.parts == 0 {
		im.w.Abort()
		return sstable.Meta{}, nil
	}
	t := im.t
	if t.isDropped() {
		im.w.Abort()
		return sstable.Meta{}, errDropped(t)
	}
	if _, err := im.w.Finish(im.st.Stats); err != nil {
		return sstable.Meta{}, t.importFailed(err)
	}
	return t.publishImport(im.num, nil)
}

func errDropped(t *Table) error {
	return fmt.Errorf("%w: import into dropped or closed table %x", ErrNoTable, t.id)
}

// publishImport opens the finished SSTable num, lets check refuse it (it is
// then deleted), and adds it to the table's live files as a flush does:
// published to reads, recorded in the manifest, compaction asked to look.
func (t *Table) publishImport(num uint64, check func(sstable.Meta) error) (sstable.Meta, error) {
	f, err := t.openFile(num, 0, t.e.opts.Now().Unix())
	if err != nil {
		t.removeUnpublished(num)
		return sstable.Meta{}, t.importFailed(err)
	}
	meta := f.meta
	if check != nil {
		if err := check(meta); err != nil {
			f.obsolete.Store(true)
			f.unref()
			return sstable.Meta{}, err
		}
	}
	t.manifestMu.Lock()
	t.mu.Lock()
	if t.mu.dropped {
		t.mu.Unlock()
		t.manifestMu.Unlock()
		f.obsolete.Store(true)
		f.unref()
		return sstable.Meta{}, errDropped(t)
	}
	// Keep files by ascending number: a flush or compaction may have
	// published higher numbers while this import was being written.
	t.mu.files = append(t.mu.files, f)
	slices.SortFunc(t.mu.files, func(a, b *sstFile) int { return cmp.Compare(a.num, b.num) })
	t.publishLocked()
	man := t.manifestLocked()
	t.mu.Unlock()
	err = writeEnvelope(t.e.fs, t.manifestPath(), manifestMagic, &man)
	t.manifestMu.Unlock()
	if err != nil {
		return meta, t.importFailed(fmt.Errorf("storage: import into %x: manifest: %w", t.id, err))
	}
	t.e.opts.Logf("storage: imported %s into table %s (%d partitions, %d bytes)", sstName(num), t, meta.Partitions, meta.FileSize)
	t.e.bg.requestCompaction()
	return meta, nil
}

// Abort abandons the import and removes its temporary file. It is a no-op
// after Commit.
func (im *Import) Abort() {
	if im.done {
		return
	}
	im.done = true
	im.w.Abort()
}

func (t *Table) isDropped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.dropped
}

// removeUnpublished deletes a finished SSTable that was never published.
func (t *Table) removeUnpublished(num uint64) {
	path := filepath.Join(t.dir, sstName(num))
	if err := t.e.fs.Remove(path); err != nil {
		t.e.opts.Warnf("storage: remove %s: %v", path, err)
	}
}
