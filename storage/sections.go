package storage

import (
	"wcdb/internal/vfs"
	"wcdb/sstable"
)

// FileSection is a live SSTable of a table, held open for the duration of
// a WithFiles call so that its sections can be read (streamed to another
// node) while compactions replace it.
type FileSection struct {
	// Num is the file's number within its table.
	Num uint64
	// Reader reads the file; use ScanUncached (with the key bounds of
	// TokenRange) or Blocks for a single pass, which leave the shared block
	// cache alone.
	Reader *sstable.Reader
	// Size is the file's size in bytes.
	Size int64

	t    *Table
	path string
}

// OpenRaw opens the file's bytes for reading (to send the file whole).
// Close it before WithFiles returns.
func (f FileSection) OpenRaw() (vfs.File, error) {
	return f.t.e.fs.Open(f.path)
}

// Path returns the file's path: stable while WithFiles holds it (a
// snapshot hard-links it).
func (f FileSection) Path() string { return f.path }

// WithFiles calls fn with a consistent set of the table's live SSTables,
// in ascending number, each held (reference-counted, as a read holds its
// files) until fn returns: a compaction that finishes meanwhile deletes its
// inputs only afterwards. Memtables are not included: flush first to have
// their data in the set. fn must not keep the readers after it returns.
func (t *Table) WithFiles(fn func(files []FileSection) error) error {
	s := t.acquire(false)
	defer s.release()
	out := make([]FileSection, len(s.files))
	for i, f := range s.files {
		out[i] = FileSection{Num: f.num, Reader: f.r, Size: f.meta.FileSize, t: t, path: f.path}
	}
	return fn(out)
}
