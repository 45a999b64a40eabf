package lazyfs

import (
	"context"
	"slices"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fnode is the FUSE face of a model node. Every operation takes the file
// system's lock: these are tests, simplicity beats parallelism.
type fnode struct {
	fs.Inode
	f *FS
	n *node
}

var (
	_ fs.NodeGetattrer = (*fnode)(nil)
	_ fs.NodeSetattrer = (*fnode)(nil)
	_ fs.NodeLookuper  = (*fnode)(nil)
	_ fs.NodeReaddirer = (*fnode)(nil)
	_ fs.NodeMkdirer   = (*fnode)(nil)
	_ fs.NodeCreater   = (*fnode)(nil)
	_ fs.NodeOpener    = (*fnode)(nil)
	_ fs.NodeReader    = (*fnode)(nil)
	_ fs.NodeWriter    = (*fnode)(nil)
	_ fs.NodeFsyncer   = (*fnode)(nil)
	_ fs.NodeFlusher   = (*fnode)(nil)
	_ fs.NodeUnlinker  = (*fnode)(nil)
	_ fs.NodeRmdirer   = (*fnode)(nil)
	_ fs.NodeRenamer   = (*fnode)(nil)
	_ fs.NodeLinker    = (*fnode)(nil)
	_ fs.NodeStatfser  = (*fnode)(nil)
)

func (n *node) fillAttr(a *fuse.Attr) {
	a.Ino = n.ino
	a.Nlink = 1
	a.SetTimes(nil, &n.mtime, &n.mtime)
	if n.dir {
		a.Mode = fuse.S_IFDIR | n.mode
		a.Size = 4096
		return
	}
	a.Mode = fuse.S_IFREG | n.mode
	a.Size = uint64(len(n.data))
	a.Blocks = (a.Size + 511) / 512
}

// child returns the FUSE inode of c, a child of p, shared with its other
// names (hard links) by inode number.
func (p *fnode) child(ctx context.Context, c *node, out *fuse.EntryOut) *fs.Inode {
	c.fillAttr(&out.Attr)
	mode := uint32(fuse.S_IFREG)
	if c.dir {
		mode = fuse.S_IFDIR
	}
	return p.NewInode(ctx, &fnode{f: p.f, n: c}, fs.StableAttr{Mode: mode, Ino: c.ino})
}

func (p *fnode) Getattr(ctx context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.n.fillAttr(&out.Attr)
	return 0
}

func (p *fnode) Setattr(ctx context.Context, _ fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := p.f.gate(ctx); e != 0 {
		return e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if sz, ok := in.GetSize(); ok {
		if p.n.dir {
			return syscall.EISDIR
		}
		p.n.resize(int(sz))
	}
	if m, ok := in.GetMode(); ok {
		p.n.mode = m & 0o7777
	}
	p.n.fillAttr(&out.Attr)
	return 0
}

// resize truncates or zero-extends a file's current bytes.
func (n *node) resize(size int) {
	if size <= len(n.data) {
		n.data = n.data[:size:size]
	} else {
		n.data = append(n.data, make([]byte, size-len(n.data))...)
	}
	n.mtime = time.Now()
}

func (p *fnode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	c := p.n.ents[name]
	if c == nil {
		return nil, syscall.ENOENT
	}
	return p.child(ctx, c, out), 0
}

func (p *fnode) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	names := make([]string, 0, len(p.n.ents))
	for name := range p.n.ents {
		names = append(names, name)
	}
	slices.Sort(names)
	es := make([]fuse.DirEntry, len(names))
	for i, name := range names {
		c := p.n.ents[name]
		mode := uint32(fuse.S_IFREG)
		if c.dir {
			mode = fuse.S_IFDIR
		}
		es[i] = fuse.DirEntry{Name: name, Mode: mode, Ino: c.ino}
	}
	return fs.NewListDirStream(es), 0
}

func (p *fnode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := p.f.gate(ctx); e != 0 {
		return nil, e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if p.n.ents[name] != nil {
		return nil, syscall.EEXIST
	}
	c := p.f.newNode(true, mode&0o7777)
	p.n.ents[name] = c
	p.n.mtime = time.Now()
	return p.child(ctx, c, out), 0
}

func (p *fnode) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if e := p.f.gate(ctx); e != 0 {
		return nil, nil, 0, e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	c := p.n.ents[name]
	switch {
	case c != nil && flags&syscall.O_EXCL != 0:
		return nil, nil, 0, syscall.EEXIST
	case c != nil && c.dir:
		return nil, nil, 0, syscall.EISDIR
	case c != nil:
		if flags&syscall.O_TRUNC != 0 {
			c.resize(0)
		}
	default:
		c = p.f.newNode(false, mode&0o7777)
		p.n.ents[name] = c
		p.n.mtime = time.Now()
	}
	return p.child(ctx, c, out), nil, 0, 0
}

func (p *fnode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		if e := p.f.gate(ctx); e != 0 {
			return nil, 0, e
		}
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if p.n.dir {
		return nil, 0, 0
	}
	if flags&syscall.O_TRUNC != 0 {
		p.n.resize(0)
	}
	return nil, 0, 0
}

func (p *fnode) Read(ctx context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	d := p.n.data
	if off >= int64(len(d)) {
		return fuse.ReadResultData(nil), 0
	}
	end := min(int(off)+len(dest), len(d))
	// Copied: the model's bytes change under the lock once it is released.
	return fuse.ReadResultData(slices.Clone(d[off:end])), 0
}

func (p *fnode) Write(ctx context.Context, _ fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	if e := p.f.gate(ctx); e != 0 {
		return 0, e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if end := int(off) + len(data); end > len(p.n.data) {
		p.n.resize(end)
	}
	copy(p.n.data[off:], data)
	p.n.mtime = time.Now()
	return uint32(len(data)), 0
}

// Fsync makes a file's bytes, or a directory's entries, durable.
func (p *fnode) Fsync(ctx context.Context, _ fs.FileHandle, flags uint32) syscall.Errno {
	if e := p.f.gate(ctx); e != 0 {
		return e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if p.n.dir {
		p.n.syncedEnts = cloneEnts(p.n.ents)
	} else {
		p.n.syncedData = slices.Clone(p.n.data)
	}
	return 0
}

func (p *fnode) Flush(ctx context.Context, _ fs.FileHandle) syscall.Errno { return 0 }

func (p *fnode) Unlink(ctx context.Context, name string) syscall.Errno {
	if e := p.f.gate(ctx); e != 0 {
		return e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	c := p.n.ents[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case c.dir:
		return syscall.EISDIR
	}
	delete(p.n.ents, name)
	p.n.mtime = time.Now()
	return 0
}

func (p *fnode) Rmdir(ctx context.Context, name string) syscall.Errno {
	if e := p.f.gate(ctx); e != 0 {
		return e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	c := p.n.ents[name]
	switch {
	case c == nil:
		return syscall.ENOENT
	case !c.dir:
		return syscall.ENOTDIR
	case len(c.ents) > 0:
		return syscall.ENOTEMPTY
	}
	delete(p.n.ents, name)
	p.n.mtime = time.Now()
	return 0
}

// renameNoReplace is RENAME_NOREPLACE of renameat2.
const renameNoReplace = 1

func (p *fnode) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if e := p.f.gate(ctx); e != 0 {
		return e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	np, ok := newParent.(*fnode)
	if !ok || !np.n.dir {
		return syscall.EXDEV
	}
	c := p.n.ents[name]
	if c == nil {
		return syscall.ENOENT
	}
	if flags&^renameNoReplace != 0 {
		return syscall.ENOTSUP
	}
	if old := np.n.ents[newName]; old != nil {
		switch {
		case flags&renameNoReplace != 0:
			return syscall.EEXIST
		case old.dir && !c.dir:
			return syscall.EISDIR
		case !old.dir && c.dir:
			return syscall.ENOTDIR
		case old.dir && len(old.ents) > 0:
			return syscall.ENOTEMPTY
		}
	}
	delete(p.n.ents, name)
	np.n.ents[newName] = c
	p.n.mtime, np.n.mtime = time.Now(), time.Now()
	return 0
}

func (p *fnode) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := p.f.gate(ctx); e != 0 {
		return nil, e
	}
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	t, ok := target.(*fnode)
	if !ok || t.n.dir {
		return nil, syscall.EPERM
	}
	if p.n.ents[name] != nil {
		return nil, syscall.EEXIST
	}
	p.n.ents[name] = t.n
	p.n.mtime = time.Now()
	return p.child(ctx, t.n, out), 0
}

// Statfs reports a large, empty file system, so that free-space checks
// pass.
func (p *fnode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	out.Bsize = 4096
	out.Frsize = 4096
	out.Blocks = 1 << 30
	out.Bfree = 1 << 30
	out.Bavail = 1 << 30
	out.Files = 1 << 20
	out.Ffree = 1 << 20
	out.NameLen = 255
	return 0
}
