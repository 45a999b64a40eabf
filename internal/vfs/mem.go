package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MemFS is an in-memory FS for tests that knows what a power loss would keep.
//
// The model: every directory maps names to inodes twice, as they are now and
// as they were at its last SyncDir; every file inode holds its current bytes
// and the bytes of its last Sync. Crash builds the file system a reboot would
// find: each directory with its synced entries, each file with its synced
// bytes. Hard links share an inode, before and after a crash, so a file
// renamed but whose directory was not synced comes back under its old name.
//
// Paths are cleaned with filepath.Clean and rooted at "/": "a/b" and "/a/b"
// name the same file. Errors are *os.PathError (*os.LinkError for Rename and
// Link) wrapping os.ErrNotExist, os.ErrExist, os.ErrClosed or a syscall.Errno,
// so errors.Is works as it does against the OS. Open files keep working after
// their name is removed or replaced.
//
// Simplifications, so that tests are about the engine rather than about file
// system corner cases:
//   - Directories that MkdirAll creates are durable at once, as if the entry
//     for each in its parent had been synced (other pending changes of the
//     parent are not).
//   - Each directory's entries become durable on their own: a file renamed
//     from a/ to b/ with only b/ synced is found in both after a crash.
//   - A file's length and bytes are durable together: a crash leaves no zero
//     or garbage tail, and a never-synced file comes back empty. CrashTorn
//     adds the one torn-write case the engine must handle.
//   - Open fails on a directory and SyncDir fails on a file (the OS allows
//     both; being stricter here catches misuse).
//   - Permissions and modification times are not modelled.
//
// MemFS is safe for concurrent use.
type MemFS struct {
	mu struct {
		// RWMutex so that ReadAt calls run in parallel. Every inode
		// reachable from root, and every handle's offset, is guarded by it.
		sync.RWMutex
		root *memNode
		// locks are the names held by Lock (a crash releases them all,
		// as the end of a process does).
		locks map[string]bool
	}
}

var _ FS = (*MemFS)(nil)

// memNode is an inode: a directory or a regular file.
type memNode struct {
	dir bool

	// Directory state.
	entries map[string]*memNode // now
	durable map[string]*memNode // as of the last SyncDir

	// File state.
	data   []byte
	synced []byte
	// shared is set while synced aliases the start of data's backing array,
	// which lets Sync of an append-only log cost nothing. Any change to the
	// first len(synced) bytes of that array must copy synced out first.
	shared bool
}

func newDirNode() *memNode {
	return &memNode{dir: true, entries: map[string]*memNode{}, durable: map[string]*memNode{}}
}

// NewMem returns an empty in-memory file system holding only the root "/".
func NewMem() *MemFS {
	m := &MemFS{}
	m.mu.root = newDirNode()
	return m
}

// cleanPath turns name into a slash-separated absolute path; "" stays "" (it
// names nothing, as with the OS).
func cleanPath(name string) string {
	if name == "" {
		return ""
	}
	return path.Clean("/" + filepath.ToSlash(filepath.Clean(name)))
}

func pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// walkLocked returns the inode at the clean path p.
func (m *MemFS) walkLocked(p string) (*memNode, error) {
	if p == "" {
		return nil, fs.ErrNotExist
	}
	n := m.mu.root
	if p == "/" {
		return n, nil
	}
	for _, c := range strings.Split(p[1:], "/") {
		if !n.dir {
			return nil, syscall.ENOTDIR
		}
		child, ok := n.entries[c]
		if !ok {
			return nil, fs.ErrNotExist
		}
		n = child
	}
	return n, nil
}

// parentLocked returns the directory that holds the clean path p, and p's
// last element. The root has no parent.
func (m *MemFS) parentLocked(p string) (*memNode, string, error) {
	if p == "" {
		return nil, "", fs.ErrNotExist
	}
	if p == "/" {
		return nil, "", syscall.EINVAL
	}
	i := strings.LastIndexByte(p, '/')
	dir := p[:i]
	if dir == "" {
		dir = "/"
	}
	d, err := m.walkLocked(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", syscall.ENOTDIR
	}
	return d, p[i+1:], nil
}

// Create creates or truncates the named file and opens it for reading and
// writing. Truncating keeps the inode, so hard links see the truncation.
func (m *MemFS) Create(name string) (File, error) {
	p := cleanPath(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if p == "/" {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	d, base, err := m.parentLocked(p)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	n, ok := d.entries[base]
	switch {
	case !ok:
		n = &memNode{}
		d.entries[base] = n
	case n.dir:
		return nil, pathErr("open", name, syscall.EISDIR)
	default:
		n.data, n.shared = nil, false
	}
	return &memFile{fs: m, n: n, name: name, writable: true}, nil
}

// Open opens the named file read-only.
func (m *MemFS) Open(name string) (File, error) { return m.open(name, false) }

// OpenReadWrite opens an existing file for reading and writing at offset 0.
func (m *MemFS) OpenReadWrite(name string) (File, error) { return m.open(name, true) }

func (m *MemFS) open(name string, writable bool) (File, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, err := m.walkLocked(cleanPath(name))
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if n.dir {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	return &memFile{fs: m, n: n, name: name, writable: writable}, nil
}

// Remove removes the named file or empty directory.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parentLocked(cleanPath(name))
	if err != nil {
		return pathErr("remove", name, err)
	}
	n, ok := d.entries[base]
	if !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.dir && len(n.entries) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(d.entries, base)
	return nil
}

// RemoveAll removes name and, if it is a directory, everything below it. A
// missing name is not an error. As with the OS, a path ending in "." is
// refused; "/" empties the file system.
func (m *MemFS) RemoveAll(name string) error {
	if name == "" {
		return nil
	}
	if b := filepath.Base(name); b == "." || b == ".." {
		return pathErr("RemoveAll", name, syscall.EINVAL)
	}
	p := cleanPath(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if p == "/" {
		m.mu.root.entries = map[string]*memNode{}
		return nil
	}
	d, base, err := m.parentLocked(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return pathErr("RemoveAll", name, err)
	}
	// Detaching the subtree is enough: open files keep their inodes, and the
	// subtree's durable entries still matter if the parent is not synced.
	delete(d.entries, base)
	return nil
}

// Rename renames oldname to newname, replacing a file or empty directory at
// newname.
func (m *MemFS) Rename(oldname, newname string) error {
	lerr := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	op, np := cleanPath(oldname), cleanPath(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	od, obase, err := m.parentLocked(op)
	if err != nil {
		return lerr(err)
	}
	n, ok := od.entries[obase]
	if !ok {
		return lerr(fs.ErrNotExist)
	}
	nd, nbase, err := m.parentLocked(np)
	if err != nil {
		return lerr(err)
	}
	if op == np {
		return nil
	}
	if n.dir && strings.HasPrefix(np, op+"/") {
		return lerr(syscall.EINVAL)
	}
	if t, ok := nd.entries[nbase]; ok {
		switch {
		case t == n:
			return nil // two links to one inode: POSIX does nothing
		case n.dir && !t.dir:
			return lerr(syscall.ENOTDIR)
		case !n.dir && t.dir:
			return lerr(syscall.EISDIR)
		case t.dir && len(t.entries) > 0:
			return lerr(syscall.ENOTEMPTY)
		}
	}
	delete(od.entries, obase)
	nd.entries[nbase] = n
	return nil
}

// Link makes newname a second name of the file oldname.
func (m *MemFS) Link(oldname, newname string) error {
	lerr := func(err error) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: err}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.walkLocked(cleanPath(oldname))
	if err != nil {
		return lerr(err)
	}
	if n.dir {
		return lerr(syscall.EPERM)
	}
	d, base, err := m.parentLocked(cleanPath(newname))
	if err != nil {
		return lerr(err)
	}
	if _, ok := d.entries[base]; ok {
		return lerr(fs.ErrExist)
	}
	d.entries[base] = n
	return nil
}

// MkdirAll creates dir and any missing parents. The directories it creates
// are durable at once (see MemFS). perm is ignored.
func (m *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	p := cleanPath(dir)
	if p == "" {
		return pathErr("mkdir", dir, fs.ErrNotExist)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.mu.root
	if p == "/" {
		return nil
	}
	for _, c := range strings.Split(p[1:], "/") {
		child, ok := n.entries[c]
		if !ok {
			child = newDirNode()
			n.entries[c] = child
			n.durable[c] = child
		} else if !child.dir {
			return pathErr("mkdir", dir, syscall.ENOTDIR)
		}
		n = child
	}
	return nil
}

// List returns the sorted names of dir's current entries.
func (m *MemFS) List(dir string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, err := m.walkLocked(cleanPath(dir))
	if err != nil {
		return nil, pathErr("open", dir, err)
	}
	if !n.dir {
		return nil, pathErr("readdirent", dir, syscall.ENOTDIR)
	}
	return slices.Sorted(maps.Keys(n.entries)), nil
}

// Stat describes the named file or directory.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	p := cleanPath(name)
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, err := m.walkLocked(p)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return memFileInfo{name: path.Base(p), size: int64(len(n.data)), dir: n.dir}, nil
}

// SyncDir makes dir's current entries the ones a crash keeps.
// Lock implements FS. The lock is not a file of the FS.
func (m *MemFS) Lock(name string) (io.Closer, error) {
	name = cleanPath(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.locks[name] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	if m.mu.locks == nil {
		m.mu.locks = map[string]bool{}
	}
	m.mu.locks[name] = true
	return memLock{m, name}, nil
}

type memLock struct {
	m    *MemFS
	name string
}

func (l memLock) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	delete(l.m.mu.locks, l.name)
	return nil
}

func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.walkLocked(cleanPath(dir))
	if err != nil {
		return pathErr("open", dir, err)
	}
	if !n.dir {
		return pathErr("sync", dir, syscall.ENOTDIR)
	}
	n.durable = maps.Clone(n.entries)
	return nil
}

// Crash returns a new, independent MemFS holding what a power loss would
// leave of m: each directory with the entries of its last SyncDir, each file
// with the bytes of its last Sync. m itself and its open files are unchanged.
func (m *MemFS) Crash() *MemFS { return m.crash(nil) }

// CrashTorn is Crash with a torn write at the end of files: where a file's
// only unsynced change is an append beyond its synced bytes, a random prefix
// (possibly empty, possibly all) of that unsynced tail survives too, as when
// a log's last write was partly on disk. Other unsynced changes are dropped
// as by Crash. Draws from rng happen in path order, so a seeded rng gives a
// reproducible result.
func (m *MemFS) CrashTorn(rng *rand.Rand) *MemFS { return m.crash(rng) }

// Kill returns a new, independent MemFS holding what a killed process
// leaves of m (kill -9, not a power loss): every entry and every byte
// written so far, synced or not, as the OS has them. Reading it never
// disturbs m's writers, as a second process opening m's own files would.
func (m *MemFS) Kill() *MemFS {
	m.mu.RLock()
	defer m.mu.RUnlock()
	seen := map[*memNode]*memNode{}
	var cp func(n *memNode) *memNode
	cp = func(n *memNode) *memNode {
		if c, ok := seen[n]; ok {
			return c
		}
		if n.dir {
			c := newDirNode()
			seen[n] = c
			for name, child := range n.entries {
				c.entries[name] = cp(child)
			}
			c.durable = maps.Clone(c.entries)
			return c
		}
		data := bytes.Clone(n.data)
		c := &memNode{data: data, synced: data[:len(data):len(data)], shared: true}
		seen[n] = c
		return c
	}
	out := &MemFS{}
	out.mu.root = cp(m.mu.root)
	return out
}

func (m *MemFS) crash(rng *rand.Rand) *MemFS {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := crasher{rng: rng, seen: map[*memNode]*memNode{}}
	out := &MemFS{}
	out.mu.root = c.copy(m.mu.root)
	return out
}

type crasher struct {
	rng *rand.Rand // nil: no torn writes
	// seen maps old inodes to new ones, so hard links stay shared (and a
	// directory graph made odd by unsynced directory renames cannot loop).
	seen map[*memNode]*memNode
}

func (c *crasher) copy(n *memNode) *memNode {
	if cp, ok := c.seen[n]; ok {
		return cp
	}
	if n.dir {
		cp := newDirNode()
		c.seen[n] = cp
		for _, name := range slices.Sorted(maps.Keys(n.durable)) {
			child := c.copy(n.durable[name])
			cp.entries[name] = child
			cp.durable[name] = child
		}
		return cp
	}
	keep := 0
	if c.rng != nil && len(n.data) > len(n.synced) && bytes.Equal(n.data[:len(n.synced)], n.synced) {
		keep = c.rng.IntN(len(n.data) - len(n.synced) + 1)
	}
	data := make([]byte, len(n.synced)+keep)
	copy(data, n.synced)
	if keep > 0 {
		copy(data[len(n.synced):], n.data[len(n.synced):len(n.synced)+keep])
	}
	// After a reboot what is on disk is durable.
	cp := &memNode{data: data, synced: data[:len(data):len(data)], shared: true}
	c.seen[n] = cp
	return cp
}

// growLocked extends the file to size bytes, zero-filled.
func (n *memNode) growLocked(size int64) {
	old := int64(len(n.data))
	if size <= old {
		return
	}
	n.unshareLocked(old)
	if size > int64(cap(n.data)) {
		buf := make([]byte, size, max(size, 2*int64(cap(n.data))))
		copy(buf, n.data)
		n.data = buf
		n.shared = false // synced keeps the old array to itself
		return
	}
	n.data = n.data[:size]
	clear(n.data[old:]) // the array may hold bytes from before a truncation
}

// unshareLocked is called before changing the bytes of data's backing array
// from offset from on.
func (n *memNode) unshareLocked(from int64) {
	if n.shared && from < int64(len(n.synced)) {
		n.synced = bytes.Clone(n.synced)
		n.shared = false
	}
}

func (n *memNode) writeAtLocked(p []byte, off int64) {
	end := off + int64(len(p))
	n.unshareLocked(min(off, int64(len(n.data))))
	n.growLocked(end)
	copy(n.data[off:end], p)
}

func (n *memNode) truncateLocked(size int64) {
	if size <= int64(len(n.data)) {
		n.data = n.data[:size]
		return
	}
	n.growLocked(size)
}

func (n *memNode) syncLocked() {
	n.synced = n.data[:len(n.data):len(n.data)]
	n.shared = true
}

// memFile is an open MemFS file.
type memFile struct {
	fs       *MemFS
	n        *memNode
	name     string
	writable bool

	// Guarded by fs.mu.
	off    int64
	closed bool
}

var errNegativeOffset = errors.New("negative offset")

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, os.ErrClosed)
	}
	n, err := f.readAtLocked(p, f.off)
	f.off += int64(n)
	return n, err
}

// ReadAt may run concurrently with other ReadAt calls: it holds the read lock.
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	if f.closed {
		return 0, pathErr("read", f.name, os.ErrClosed)
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, errNegativeOffset)
	}
	n, err := f.readAtLocked(p, off)
	if err == nil && n < len(p) {
		err = io.EOF // ReadAt reports a short read
	}
	return n, err
}

func (f *memFile) readAtLocked(p []byte, off int64) (int, error) {
	if off >= int64(len(f.n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	return copy(p, f.n.data[off:]), nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, os.ErrClosed)
	}
	if !f.writable {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	f.n.writeAtLocked(p, f.off)
	f.off += int64(len(p))
	return len(p), nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	return nil
}

// Sync makes the file's current bytes the ones a crash keeps. As with fsync,
// a read-only handle may sync.
func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, os.ErrClosed)
	}
	f.n.syncLocked()
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	if f.closed {
		return 0, pathErr("stat", f.name, os.ErrClosed)
	}
	return int64(len(f.n.data)), nil
}

// Truncate sets the file's length, zero-filling when it grows; the handle's
// offset does not move.
func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("truncate", f.name, os.ErrClosed)
	}
	if !f.writable {
		return pathErr("truncate", f.name, syscall.EBADF)
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	f.n.truncateLocked(size)
	return nil
}

type memFileInfo struct {
	name string
	size int64
	dir  bool
}

func (fi memFileInfo) Name() string { return fi.name }
func (fi memFileInfo) Size() int64 {
	if fi.dir {
		return 0
	}
	return fi.size
}
func (fi memFileInfo) Mode() os.FileMode {
	if fi.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
func (fi memFileInfo) ModTime() time.Time { return time.Time{} }
func (fi memFileInfo) IsDir() bool        { return fi.dir }
func (fi memFileInfo) Sys() any           { return nil }
