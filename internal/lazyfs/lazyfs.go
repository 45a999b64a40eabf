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
//
// A power loss at an exact point is Freeze (the disk takes no more
// changes: they wait, reads go on), kill -9 of every process using the
// file system, Cut (the waiting changes fail, so that the killed
// processes, blocked in them, can exit) and Crash. What survives is then
// what was synced at the freeze, however late the kill comes: no change
// after it reaches the model, and no fsync after it returns, so nothing
// after it can have been acknowledged as durable.
package lazyfs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
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

	pmu    sync.Mutex // guards the power state below
	frozen bool       // changes wait, once allow is spent
	allow  int        // changes that still go through after Freeze
	cut    bool       // changes fail at once
	cutCh  chan struct{}
	held   int // changes waiting or failed since the freeze
}

// Mount mounts an empty lazy file system on dir, which must exist.
func Mount(dir string) (*FS, error) {
	f := &FS{dir: dir, nextIno: 1, cutCh: make(chan struct{})}
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

// Freeze stops the disk taking changes after n more: writes, truncations,
// fsyncs, creations, renames, links and removals then wait (until Cut) and
// never reach the model. Reads go on.
func (f *FS) Freeze(n int) {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	if !f.frozen {
		f.frozen, f.allow = true, n
	}
}

// Cut fails every change waiting at a freeze, and every later one, with
// EIO, until Crash.
func (f *FS) Cut() {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	if !f.cut {
		f.cut = true
		close(f.cutCh)
	}
}

// Held reports how many changes the freeze has stopped so far: 0 means
// nothing tried to change the disk after it.
func (f *FS) Held() int {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	return f.held
}

// gate lets a change through, or holds it as Freeze and Cut say.
func (f *FS) gate(ctx context.Context) syscall.Errno {
	f.pmu.Lock()
	switch {
	case f.cut:
		f.held++
		f.pmu.Unlock()
		return syscall.EIO
	case !f.frozen:
		f.pmu.Unlock()
		return 0
	case f.allow > 0:
		f.allow--
		f.pmu.Unlock()
		return 0
	}
	f.held++
	ch := f.cutCh
	f.pmu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done(): // the kernel interrupted the request
	}
	return syscall.EIO
}

// Crash simulates a power loss: it unmounts the file system, drops
// everything not synced (see the package comment; torn keeps a random
// prefix of each file's pending bytes, drawn from rng) and mounts what
// survives in its place, taking changes again.
func (f *FS) Crash(torn bool, rng *rand.Rand) error {
	f.Cut() // nothing waits at a freeze while unmounting
	if err := f.Unmount(); err != nil {
		return fmt.Errorf("lazyfs: unmount %s: %w", f.dir, err)
	}
	f.mu.Lock()
	f.root = survivor(f.root, map[*node]*node{}, torn, rng)
	f.mu.Unlock()
	f.pmu.Lock()
	f.frozen, f.allow, f.cut, f.held, f.cutCh = false, 0, false, 0, make(chan struct{})
	f.pmu.Unlock()
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
