package storage

import (
	"errors"
	"fmt"
	"path/filepath"

	"wcdb/internal/vfs"
	"wcdb/sstable"
)

// FileImport adds to a table an SSTable received whole, byte for byte: a
// file of another node that lies entirely in the token ranges being
// streamed, sent as it is on disk (its format, compression and statistics
// stay the sender's, as files written before an ALTER keep theirs). Bytes
// are written to a temporary file; Commit syncs it, renames it into place,
// opens it (the footer, summary, bloom filter and statistics are checked;
// data blocks are checked as they are read, as for any file) and adds it
// atomically, as Import does. A crash before Commit leaves only a file no
// manifest names, which the next Open deletes. A FileImport is not safe for
// concurrent use.
type FileImport struct {
	t    *Table
	num  uint64
	tmp  string
	f    vfs.File
	n    int64
	done bool
	err  error // sticky
}

// NewFileImport starts a whole-file import into t.
func (t *Table) NewFileImport() (*FileImport, error) {
	if t.isDropped() {
		return nil, errDropped(t)
	}
	num := t.allocFile()
	tmp := filepath.Join(t.dir, sstName(num)) + ".tmp"
	f, err := t.e.fs.Create(tmp)
	if err != nil {
		return nil, t.importFailed(fmt.Errorf("storage: import: create %s: %w", tmp, err))
	}
	return &FileImport{t: t, num: num, tmp: tmp, f: f}, nil
}

// Write appends p to the file.
func (fi *FileImport) Write(p []byte) error {
	if fi.err != nil {
		return fi.err
	}
	if fi.done {
		return errors.New("storage: import already committed or aborted")
	}
	if _, err := fi.f.Write(p); err != nil {
		fi.err = fmt.Errorf("storage: import: write %s: %w", fi.tmp, err)
		fi.Abort()
		return fi.t.importFailed(fi.err)
	}
	fi.n += int64(len(p))
	return nil
}

// Size returns the number of bytes written.
func (fi *FileImport) Size() int64 { return fi.n }

// Commit makes the file durable, opens it, calls check (if set) with its
// metadata, and adds it to the table unless check or anything before fails;
// the file is removed then. A file that does not open as an SSTable fails
// with an error wrapping sstable.ErrCorrupt. As for Import, an error of the
// manifest rewrite alone leaves the file live in memory.
func (fi *FileImport) Commit(check func(sstable.Meta) error) (sstable.Meta, error) {
	if fi.err != nil {
		return sstable.Meta{}, fi.err
	}
	if fi.done {
		return sstable.Meta{}, errors.New("storage: import already committed or aborted")
	}
	t := fi.t
	if t.isDropped() {
		fi.Abort()
		return sstable.Meta{}, errDropped(t)
	}
	fi.done = true
	err := fi.f.Sync()
	if cerr := fi.f.Close(); err == nil {
		err = cerr
	}
	fi.f = nil
	if err != nil {
		t.e.fs.Remove(fi.tmp)
		return sstable.Meta{}, t.importFailed(fmt.Errorf("storage: import: sync %s: %w", fi.tmp, err))
	}
	path := filepath.Join(t.dir, sstName(fi.num))
	if err := t.e.fs.Rename(fi.tmp, path); err != nil {
		t.e.fs.Remove(fi.tmp)
		return sstable.Meta{}, t.importFailed(fmt.Errorf("storage: import: publish %s: %w", path, err))
	}
	if err := t.e.fs.SyncDir(t.dir); err != nil {
		t.removeUnpublished(fi.num)
		return sstable.Meta{}, t.importFailed(fmt.Errorf("storage: import: sync dir of %s: %w", path, err))
	}
	meta, err := t.publishImport(fi.num, check)
	if err == nil {
		t.sai.BuildMissing() // a file received whole has no index component
	}
	return meta, err
}

// Abort abandons the import and removes the temporary file. It is a no-op
// after Commit.
func (fi *FileImport) Abort() {
	if fi.done {
		return
	}
	fi.done = true
	if fi.f != nil {
		fi.f.Close()
		fi.f = nil
	}
	fi.t.e.fs.Remove(fi.tmp)
}
