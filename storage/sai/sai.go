// Package sai is wcdb's secondary index, in the manner of Cassandra's
// storage-attached index (SAI): local to each node and attached to each
// memtable and SSTable of a table, so an index never disagrees with its
// data. A memtable's index is built as writes are applied and dropped with
// the memtable once flushed; an SSTable's index is a component file beside
// it (format.go), written by observing the rows the SSTable writer emits at
// flush and compaction (sstable.Observer), built in the background for
// SSTables written before the index existed, and removed with the SSTable.
//
// The package knows nothing of CQL: an index is a Def whose Terms function
// (given by the query layer, which knows the schema) says which terms a row
// holds; terms are byte-comparable, so a range of values is a range of
// terms. A search gives candidate rows; the caller reads them and re-checks
// the restriction, which drops the matches an overwrite or deletion has made
// stale (entries are never removed from a component, only with it).
package sai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"wcdb/internal/vfs"
	"wcdb/memtable"
	"wcdb/mutation"
	"wcdb/sstable"
)

// Def is one index as storage sees it.
type Def struct {
	// Name is the index's name: letters, digits and underscores.
	Name string
	// Target identifies what is indexed (e.g. "values(m)"), so that a
	// component of a dropped index with the same name is not used.
	Target string
	// Terms calls emit with each term row r of the partition with key
	// bytes pk holds for this index (the static row has an empty
	// clustering key). emit copies the term. Terms must be safe for
	// concurrent use.
	Terms func(pk []byte, r *mutation.Row, emit func(term []byte))
}

// Query selects terms: Lo <= term <= Hi (bytes.Compare), a nil bound open,
// either made exclusive by its flag.
type Query struct {
	Lo, Hi                   []byte
	LoExclusive, HiExclusive bool
}

// Eq is the query for one term.
func Eq(term []byte) Query { return Query{Lo: term, Hi: term} }

func (q Query) aboveLo(t []byte) bool {
	if q.Lo == nil {
		return true
	}
	c := bytes.Compare(t, q.Lo)
	return c > 0 || (c == 0 && !q.LoExclusive)
}

func (q Query) belowHi(t []byte) bool {
	if q.Hi == nil {
		return true
	}
	c := bytes.Compare(t, q.Hi)
	return c < 0 || (c == 0 && !q.HiExclusive)
}

// Hit is a candidate row: its partition and clustering key.
type Hit struct {
	Key        mutation.Key
	Clustering []byte
}

// File is a live SSTable of the table.
type File struct {
	Path string
	R    *sstable.Reader
}

// Options configure a Set.
type Options struct {
	FS vfs.FS
	// Logf logs progress of background builds.
	Logf func(format string, args ...any)
	// Files returns the table's live SSTables, held open until release.
	Files func() (files []File, release func())
}

// Status is an index's build progress on one node.
type Status struct {
	Name string
	// Built of Total SSTables that existed when the index was created
	// have their component; Done once the background build finished.
	Built, Total int
	Done         bool
	Err          error
}

// Set is the indexes of one table. Its methods are safe for concurrent use.
type Set struct {
	opts Options
	// defs is the current definitions by name, read on every write.
	defs   atomic.Pointer[map[string]*Def]
	last   atomic.Pointer[memIndex] // the memtable written to last
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// buildMu serializes the building of components, so that a search
	// and the background build never write the same file at once.
	buildMu sync.Mutex

	mu struct {
		sync.Mutex
		mems   map[*memtable.Memtable]*memIndex
		comps  map[string]*component // by component path
		status map[string]*Status
		// lastJob is closed when the last background job started ends.
		lastJob chan struct{}
	}
}

// NewSet returns a table's index set, with no indexes.
func NewSet(opts Options) *Set {
	s := &Set{opts: opts}
	if s.opts.Logf == nil {
		s.opts.Logf = func(string, ...any) {}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mu.mems = map[*memtable.Memtable]*memIndex{}
	s.mu.comps = map[string]*component{}
	s.mu.status = map[string]*Status{}
	empty := map[string]*Def{}
	s.defs.Store(&empty)
	return s
}

// ComponentPath is where the component of index name for the SSTable at
// sst lives.
func ComponentPath(sst, name string) string { return sst + ".sai-" + name }

// IsComponent reports whether file name (no directory) is an index
// component, and of which SSTable file name.
func IsComponent(name string) (sst string, ok bool) {
	i := strings.Index(name, ".sai-")
	if i < 0 || strings.HasSuffix(name, ".tmp") {
		return "", false
	}
	return name[:i], true
}

// SetDefs makes defs the table's indexes. A new index (or one whose target
// changed) is built for the live SSTables in the background (Progress); a
// dropped one's components go. The new index must also index the
// memtables mems: SetDefs marks it pending in their indexes and returns
// indexMems, which indexes them (slow: the caller runs it without its
// locks); meanwhile a search indexes a pending memtable for itself. The
// caller holds off Forget for mems until SetDefs returns, so that no index
// is made for a memtable already flushed (it would be kept forever).
func (s *Set) SetDefs(defs []Def, mems []*memtable.Memtable) (indexMems func()) {
	old := *s.defs.Load()
	next := make(map[string]*Def, len(defs))
	var added []*Def
	for i := range defs {
		d := defs[i]
		if !validName(d.Name) {
			// It goes into file names ("../x" would leave the directory).
			s.opts.Logf("sai: ignoring index %q: not a valid index name", d.Name)
			continue
		}
		next[d.Name] = &d
		if o := old[d.Name]; o == nil || o.Target != d.Target {
			added = append(added, &d)
		}
	}
	var mis []*memIndex
	if len(added) > 0 {
		for _, m := range mems {
			mi := s.memFor(m)
			mi.mu.Lock()
			for _, d := range added {
				mi.pending[d.Name] = true
			}
			mi.mu.Unlock()
			mis = append(mis, mi)
		}
	}
	s.defs.Store(&next)
	s.mu.Lock()
	for name, o := range old {
		if n := next[name]; n == nil || n.Target != o.Target {
			for p := range s.mu.comps {
				if strings.HasSuffix(p, ".sai-"+name) {
					delete(s.mu.comps, p)
				}
			}
			delete(s.mu.status, name)
			for _, mi := range s.mu.mems {
				mi.drop(name)
			}
		}
	}
	for _, d := range added {
		s.mu.status[d.Name] = &Status{Name: d.Name}
	}
	s.mu.Unlock()
	if gone := dropped(old, next); (len(added) > 0 || len(gone) > 0) && s.opts.Files != nil {
		s.startJob(func() { s.build(added, gone) })
	}
	return func() {
		for i, m := range mems[:len(mis)] {
			for _, d := range added {
				indexInto(d, m, mis[i])
				mis[i].mu.Lock()
				delete(mis[i].pending, d.Name)
				mis[i].mu.Unlock()
			}
		}
	}
}

// startJob runs job in the background after the jobs started before it:
// the removal of a dropped index's components must not come after the
// building of those of an index created again under its name.
func (s *Set) startJob(job func()) {
	s.mu.Lock()
	prev, done := s.mu.lastJob, make(chan struct{})
	s.mu.lastJob = done
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		if prev != nil {
			<-prev
		}
		job()
	}()
}

// BuildMissing builds in the background the components the live SSTables
// lack, as after an SSTable arrived whole (streamed) with none, so that
// no search waits for them.
func (s *Set) BuildMissing() {
	if s.opts.Files == nil || len(*s.defs.Load()) == 0 {
		return
	}
	s.startJob(func() {
		files, release := s.opts.Files()
		defer release()
		for _, d := range *s.defs.Load() {
			for _, f := range files {
				if s.ctx.Err() != nil {
					return
				}
				if _, err := s.component(d, f); err != nil {
					s.opts.Logf("sai: building index %s for %s: %v", d.Name, f.Path, err)
					break
				}
			}
		}
	})
}

func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return name != ""
}

func dropped(old, next map[string]*Def) []string {
	var out []string
	for name, o := range old {
		if n := next[name]; n == nil || n.Target != o.Target {
			out = append(out, name)
		}
	}
	return out
}

// build writes the components of the added indexes for the live SSTables
// and removes those of the dropped ones.
func (s *Set) build(added []*Def, gone []string) {
	files, release := s.opts.Files()
	defer release()
	for _, name := range gone {
		for _, f := range files {
			// The cached component goes too: an index created again under
			// the name, by a job before this one ended, cached what this
			// removes.
			// Under buildMu: a search must not cache the file between.
			p := ComponentPath(f.Path, name)
			s.buildMu.Lock()
			s.mu.Lock()
			delete(s.mu.comps, p)
			s.mu.Unlock()
			if err := s.opts.FS.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
				s.opts.Logf("sai: remove %s: %v", p, err)
			}
			s.buildMu.Unlock()
		}
	}
	for _, d := range added {
		s.setStatus(d.Name, func(st *Status) { st.Total = len(files) })
		s.opts.Logf("sai: building index %s over %d SSTables", d.Name, len(files))
		var err error
		for _, f := range files {
			if s.ctx.Err() != nil {
				return
			}
			if cur := (*s.defs.Load())[d.Name]; cur == nil || cur.Target != d.Target {
				break // dropped meanwhile
			}
			if _, err = s.component(d, f); err != nil {
				break
			}
			s.setStatus(d.Name, func(st *Status) { st.Built++ })
		}
		s.setStatus(d.Name, func(st *Status) { st.Done, st.Err = true, err })
		if err != nil {
			s.opts.Logf("sai: building index %s failed: %v", d.Name, err)
		} else {
			s.opts.Logf("sai: built index %s over %d SSTables", d.Name, len(files))
		}
	}
}

func (s *Set) setStatus(name string, fn func(*Status)) {
	s.mu.Lock()
	if st := s.mu.status[name]; st != nil {
		fn(st)
	}
	s.mu.Unlock()
}

// Progress returns the build status of each index, by name.
func (s *Set) Progress() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.mu.status))
	for _, st := range s.mu.status {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Wait waits for the background builds started so far.
func (s *Set) Wait() { s.wg.Wait() }

// Close stops the background builds and waits for them.
func (s *Set) Close() {
	s.cancel()
	s.wg.Wait()
}

// Search returns the rows of partitions in [from, to) (nil bounds open)
// that the index name lists under a term of q, in the memtables mems and
// the SSTables files, sorted by key and clustering, without duplicates.
// They are candidates: the caller re-checks each row it reads.
func (s *Set) Search(name string, q Query, mems []*memtable.Memtable, files []File, from, to *mutation.Key) ([]Hit, error) {
	d := (*s.defs.Load())[name]
	if d == nil {
		return nil, fmt.Errorf("sai: no index %s", name)
	}
	var hits []Hit
	in := func(k mutation.Key) bool {
		return (from == nil || k.Compare(*from) >= 0) && (to == nil || k.Compare(*to) < 0)
	}
	for _, m := range mems {
		s.mu.Lock()
		mi := s.mu.mems[m]
		s.mu.Unlock()
		if mi == nil || mi.isPending(name) {
			// m's index is gone (m was flushed after this search's
			// caller took its view of the table), was never made (m
			// is empty) or is being made for a new index: index m
			// now, for this search.
			mi = newMemIndex(m)
			indexInto(d, m, mi)
		}
		hits = mi.search(name, q, in, hits)
	}
	for _, f := range files {
		c, err := s.component(d, f)
		if err != nil {
			return nil, err
		}
		c.search(q, func(e *entry) {
			if in(e.key) {
				hits = append(hits, Hit{Key: e.key, Clustering: e.clustering})
			}
		})
	}
	sort.Slice(hits, func(i, j int) bool {
		if c := hits[i].Key.Compare(hits[j].Key); c != 0 {
			return c < 0
		}
		return bytes.Compare(hits[i].Clustering, hits[j].Clustering) < 0
	})
	out := hits[:0]
	for _, h := range hits {
		if n := len(out); n > 0 && out[n-1].Key.Equal(h.Key) && bytes.Equal(out[n-1].Clustering, h.Clustering) {
			continue
		}
		out = append(out, h)
	}
	return out, nil
}

// component returns f's component of index d: cached, read from its file,
// or built by reading the SSTable (and then written, for next time).
func (s *Set) component(d *Def, f File) (*component, error) {
	path := ComponentPath(f.Path, d.Name)
	s.mu.Lock()
	c := s.mu.comps[path]
	s.mu.Unlock()
	if c != nil && c.target == d.Target {
		return c, nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	s.mu.Lock()
	c = s.mu.comps[path]
	s.mu.Unlock()
	if c != nil && c.target == d.Target {
		return c, nil // built while this waited
	}
	b, err := vfs.ReadFile(s.opts.FS, path)
	if err == nil {
		c, err = decodeComponent(b)
		if err != nil {
			s.opts.Logf("sai: %s: %v; rebuilding it", path, err)
		}
	}
	if c == nil || c.target != d.Target {
		var ob observer
		ob.init([]*Def{d})
		it := f.R.ScanUncached(nil, nil)
		for it.Next() {
			p := it.Partition()
			if err := ob.StartPartition(p.Key(), p.Header()); err != nil {
				it.Close()
				return nil, err
			}
			ri := p.Rows(nil, nil, false)
			for ri.Next() {
				if err := ob.AddRow(ri.Clustering(), ri.Row()); err != nil {
					ri.Close()
					it.Close()
					return nil, err
				}
			}
			if err := ri.Err(); err != nil {
				it.Close()
				return nil, err
			}
			ri.Close()
		}
		if err := it.Err(); err != nil {
			it.Close()
			return nil, fmt.Errorf("sai: building %s: %w", path, err)
		}
		it.Close()
		enc := ob.encode(0)
		if c, err = decodeComponent(enc); err != nil {
			return nil, err
		}
		if err := vfs.WriteFileAtomic(s.opts.FS, path, enc); err != nil {
			// The answer stands; the next search builds it again.
			s.opts.Logf("sai: write %s: %v", path, err)
			return c, nil
		}
	}
	s.mu.Lock()
	s.mu.comps[path] = c
	s.mu.Unlock()
	return c, nil
}

// Remove deletes the components of the SSTable at sst, which is going.
func (s *Set) Remove(sst string) {
	dir, base := filepath.Split(sst)
	s.mu.Lock()
	for p := range s.mu.comps {
		if strings.HasPrefix(p, sst+".sai-") {
			delete(s.mu.comps, p)
		}
	}
	s.mu.Unlock()
	names, err := s.opts.FS.List(filepath.Clean(dir))
	if err != nil {
		return
	}
	for _, n := range names {
		if src, ok := IsComponent(n); ok && src == base {
			if err := s.opts.FS.Remove(filepath.Join(dir, n)); err != nil {
				s.opts.Logf("sai: remove %s: %v", n, err)
			}
		}
	}
}

// Observe returns the observer that writes the components of the SSTable
// being written at path, or nil when the table has no index.
func (s *Set) Observe(path string) sstable.Observer {
	defs := *s.defs.Load()
	if len(defs) == 0 {
		return nil
	}
	o := &fileObserver{s: s, path: path}
	ds := make([]*Def, 0, len(defs))
	for _, d := range defs {
		ds = append(ds, d)
	}
	o.init(ds)
	return o
}

// fileObserver is an observer that writes its components at Finish.
type fileObserver struct {
	observer
	s    *Set
	path string
}

func (o *fileObserver) Finish() error {
	for i, d := range o.defs {
		if cur := (*o.s.defs.Load())[d.Name]; cur == nil || cur.Target != d.Target {
			continue // dropped while the SSTable was written: no file to leak
		}
		enc := o.encode(i)
		c, err := decodeComponent(enc)
		if err != nil {
			return err
		}
		p := ComponentPath(o.path, d.Name)
		if err := vfs.WriteFileAtomic(o.s.opts.FS, p, enc); err != nil {
			return fmt.Errorf("sai: write %s: %w", p, err)
		}
		o.s.mu.Lock()
		o.s.mu.comps[p] = c
		o.s.mu.Unlock()
	}
	return nil
}

func (o *fileObserver) Abort() {
	for _, d := range o.defs {
		o.s.opts.FS.Remove(ComponentPath(o.path, d.Name))
	}
}
