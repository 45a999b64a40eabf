package storage

import (
	"wcdb/memtable"
	"wcdb/mutation"
	"wcdb/storage/sai"
)

// SetIndexes makes defs the table's secondary indexes (storage/sai): a new
// one indexes the memtables at once and is built for the SSTables in the
// background (IndexProgress); flushes and compactions write the components.
func (t *Table) SetIndexes(defs []sai.Def) {
	// Under t.mu, as flush's Forget: an index is made only for a memtable
	// not yet flushed, and one made active later sees the new defs.
	t.mu.Lock()
	s := t.acquire(true)
	index := t.sai.SetDefs(defs, s.mems)
	t.mu.Unlock()
	defer s.release()
	index()
}

// IndexProgress reports the background builds of the table's indexes.
func (t *Table) IndexProgress() []sai.Status { return t.sai.Progress() }

// IndexSearch returns the candidate rows of the partitions in [from, to)
// that index name lists under a term of q. The caller re-checks each row it
// reads: entries of overwritten or deleted values stay until compaction.
func (t *Table) IndexSearch(name string, q sai.Query, from, to *mutation.Key) ([]sai.Hit, error) {
	s := t.acquire(true)
	defer s.release()
	return t.sai.Search(name, q, s.mems, saiFiles(s.files), from, to)
}

// memSize is memtable m's size with its index's, which lives as long.
func (t *Table) memSize(m *memtable.Memtable) int64 { return m.Size() + t.sai.MemSize(m) }

func saiFiles(files []*sstFile) []sai.File {
	out := make([]sai.File, len(files))
	for i, f := range files {
		out[i] = sai.File{Path: f.path, R: f.r}
	}
	return out
}

func newIndexSet(t *Table) *sai.Set {
	return sai.NewSet(sai.Options{FS: t.e.fs, Logf: t.e.opts.Logf, Files: func() ([]sai.File, func()) {
		s := t.acquire(false)
		return saiFiles(s.files), s.release
	}})
}
