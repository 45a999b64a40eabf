// Package lazyfs is a FUSE file system for power-loss tests of the real
// binary: it keeps everything in memory, and it keeps what a power loss
// would keep apart from what it would lose.
//
// The rules, stricter than the page cache of any real file system and
// beyond what Jepsen's lazyfs models (file data only):
//
//   - A file's writes and truncations are pending until fsync or fdatasync
//     of that file.
//   - A directory's entries (create, mkdir, rename, link, unlink, rmdir)
//     are pending until fsync of that directory; a renamed file reappears
//     under its old name, an unlinked one comes back.
//   - Crash drops everything pending, as a power loss would: each
//     directory keeps the entries it had at its last fsync, each file the
//     bytes it had at its last fsync (an inode reached only through
//     pending entries is gone). With torn set, a file that grew since its
//     last fsync may also keep a random part of its growth (appends the
//     disk had partly done), as a torn commit-log tail.
//
// A crash unmounts the file system and mounts the survivors in its place:
// stop every process using it first (kill -9, as the power would).
package lazyfs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// ErrNoFUSE says the machine cannot mount FUSE file systems (no /dev/fuse,
// or no permission): tests skip then.
var ErrNoFUSE = errors.New("lazyfs: FUSE is not available here")

// node is an inode of the model: a directory (ents, synced) or a regular
// file (data, synced).
type node struct {
	ino  uint64
	dir  bool
	mode uint32
	// file
	data, syncedData []byte
	// directory
	ents, syncedEnts map[string]*node
	mtime            time.Time
}

// FS is a mounted lazy file system. Its methods are safe for concurrent use.
type FS struct {
	dir string

	mu      sync.Mutex // guards the model: every node
	root    *node
	nextIno uint64
	server  *fuse.Server
}

// Mount mounts an empty lazy file system on dir, which must exist.
func Mount(dir string) (*FS, error) {
	f := &FS{dir: dir, nextIno: 1}
	f.root = f.newNode(true, 0o755)
	if err := f.mount(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FS) newNode(dir bool, mode uint32) *node {
	f.nextIno++
	n := &node{ino: f.nextIno, dir: dir, mode: mode, mtime: time.Now()}
	if dir {
		n.ents, n.syncedEnts = map[string]*node{}, map[string]*node{}
	}
	return n
}

func (f *FS) mount() error {
	zero := time.Duration(0)
	opts := &fs.Options{
		// No kernel caching of names or attributes: after a crash the
		// tree is another one.
		EntryTimeout: &zero,
		AttrTimeout:  &zero,
		MountOptions: fuse.MountOptions{FsName: "lazyfs", Name: "lazyfs", DisableXAttrs: true},
	}
	srv, err := fs.Mount(f.dir, &fnode{f: f, n: f.root}, opts)
	if err != nil {
		return fmt.Errorf("%w: mount %s: %v", ErrNoFUSE, f.dir, err)
	}
	f.server = srv
	return nil
}

// Dir returns the mount point.
func (f *FS) Dir() string { return f.dir }

// Unmount unmounts the file system.
func (f *FS) Unmount() error {
	if f.server == nil {
		return nil
	}
	err := f.server.Unmount()
	f.server = nil
	return err
}

// Crash simulates a power loss: it unmounts the file system, drops
// everything not synced (see the package comment; torn keeps a random
// prefix of each file's pending bytes, drawn from rng) and mounts what
// survives in its place.
func (f *FS) Crash(torn bool, rng *rand.Rand) error {
	if err := f.Unmount(); err != nil {
		return fmt.Errorf("lazyfs: unmount %s: %w", f.dir, err)
	}
	f.mu.Lock()
	f.root = survivor(f.root, map[*node]*node{}, torn, rng)
	f.mu.Unlock()
	return f.mount()
}

// survivor returns what a power loss leaves of n; seen keeps hard links
// shared.
func survivor(n *node, seen map[*node]*node, torn bool, rng *rand.Rand) *node {
	if s := seen[n]; s != nil {
		return s
	}
	s := &node{ino: n.ino, dir: n.dir, mode: n.mode, mtime: n.mtime}
	seen[n] = s
	if n.dir {
		s.ents = make(map[string]*node, len(n.syncedEnts))
		for name, c := range n.syncedEnts {
			s.ents[name] = survivor(c, seen, torn, rng)
		}
		s.syncedEnts = cloneEnts(s.ents)
		return s
	}
	s.data = slices.Clone(n.syncedData)
	if torn && rng != nil && len(n.data) > len(n.syncedData) && rng.IntN(2) == 0 {
		// Part of the pending tail reached the disk.
		k := len(n.syncedData) + rng.IntN(len(n.data)-len(n.syncedData)+1)
		s.data = slices.Clone(n.data[:k])
	}
	s.syncedData = slices.Clone(s.data)
	return s
}

func cloneEnts(m map[string]*node) map[string]*node {
	c := make(map[string]*node, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Pending reports how many files and directories hold changes that a
// crash would drop, for tests of the rules.
func (f *FS) Pending() (files, dirs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[*node]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if !n.dir {
			if !slices.Equal(n.data, n.syncedData) {
				files++
			}
			return
		}
		if !sameEnts(n.ents, n.syncedEnts) {
			dirs++
		}
		for _, c := range n.ents {
			walk(c)
		}
	}
	walk(f.root)
	return files, dirs
}

func sameEnts(a, b map[string]*node) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
