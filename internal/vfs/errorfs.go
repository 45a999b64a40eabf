package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// ErrInjected is wrapped by every error an ErrorFS injects; test with errors.Is.
var ErrInjected = errors.New("vfs: injected error")

// OpKind names an FS or File operation.
type OpKind int

// The operations an ErrorFS counts: one per FS method and one per File
// method.
const (
	OpCreate OpKind = iota
	OpOpen
	OpOpenReadWrite
	OpRemove
	OpRemoveAll
	OpRename
	OpLink
	OpMkdirAll
	OpList
	OpStat
	OpSyncDir
	OpRead
	OpReadAt
	OpWrite
	OpSync
	OpSize
	OpTruncate
	OpClose
)

var opKindNames = [...]string{
	OpCreate:        "create",
	OpOpen:          "open",
	OpOpenReadWrite: "openreadwrite",
	OpRemove:        "remove",
	OpRemoveAll:     "removeall",
	OpRename:        "rename",
	OpLink:          "link",
	OpMkdirAll:      "mkdirall",
	OpList:          "list",
	OpStat:          "stat",
	OpSyncDir:       "syncdir",
	OpRead:          "read",
	OpReadAt:        "readat",
	OpWrite:         "write",
	OpSync:          "sync",
	OpSize:          "size",
	OpTruncate:      "truncate",
	OpClose:         "close",
}

func (k OpKind) String() string {
	if k >= 0 && int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Mutating reports whether operations of kind k change the file system:
// Create, Write, Sync, Truncate, Remove, RemoveAll, Rename, Link, MkdirAll
// and SyncDir.
func (k OpKind) Mutating() bool {
	switch k {
	case OpCreate, OpWrite, OpSync, OpTruncate, OpRemove, OpRemoveAll,
		OpRename, OpLink, OpMkdirAll, OpSyncDir:
		return true
	}
	return false
}

// Op describes one operation, as an Injector sees it.
type Op struct {
	Kind OpKind
	// Path is the name the operation was given; for a File operation, the
	// name the file was opened with; for Rename and Link, the old name.
	Path string
	// Index counts operations from 0 in the order the ErrorFS saw them (or,
	// behind WritesOnly, counts mutating operations only).
	Index int64
}

func (op Op) String() string { return fmt.Sprintf("#%d %s %s", op.Index, op.Kind, op.Path) }

// Injector decides which operations fail. MaybeError returns nil to let op
// run, or the error to fail it with. It may be called concurrently.
type Injector interface {
	MaybeError(op Op) error
}

// InjectorFunc adapts a function to an Injector.
type InjectorFunc func(op Op) error

// MaybeError calls f(op).
func (f InjectorFunc) MaybeError(op Op) error { return f(op) }

// OnIndex returns an Injector that fails exactly the operation with index i
// (0-based).
func OnIndex(i int64) Injector {
	return InjectorFunc(func(op Op) error {
		if op.Index == i {
			return fmt.Errorf("%w (op %s)", ErrInjected, op)
		}
		return nil
	})
}

// OnIndexErr is OnIndex failing with err (ENOSPC, say), which callers can
// test for with errors.Is beside ErrInjected.
func OnIndexErr(i int64, err error) Injector {
	return InjectorFunc(func(op Op) error {
		if op.Index == i {
			return err
		}
		return nil
	})
}

// WritesOnly returns an Injector that lets every non-mutating operation
// through without consulting inj, and shows inj the mutating ones (see
// OpKind.Mutating) with Index renumbered to count only those. So
// WritesOnly(OnIndex(i)) fails the i-th mutating operation. The returned
// Injector keeps a count: use a fresh one per ErrorFS.
func WritesOnly(inj Injector) Injector {
	return &writesOnly{inj: inj}
}

type writesOnly struct {
	inj Injector
	n   atomic.Int64
}

func (w *writesOnly) MaybeError(op Op) error {
	if !op.Kind.Mutating() {
		return nil
	}
	op.Index = w.n.Add(1) - 1
	return w.inj.MaybeError(op)
}

// ErrorFS wraps an FS and fails the operations its Injector picks. Every
// method of the FS and of the Files it returns counts as one operation,
// including those that fail.
//
// An operation picked to fail returns an *os.PathError (or *os.LinkError)
// wrapping ErrInjected and does nothing: a failed Write writes no bytes, a
// failed Sync makes nothing durable, a failed Create creates nothing. Close is
// the exception: the underlying file is closed anyway, as close(2) releases
// the descriptor even when it reports an error.
//
// Operation indexes are deterministic when the workload is single-threaded.
type ErrorFS struct {
	fs       FS
	inj      Injector
	ops      atomic.Int64
	injected atomic.Int64
}

var _ FS = (*ErrorFS)(nil)

// NewErrorFS wraps fs. A nil inj injects nothing, which is useful to count
// a workload's operations.
func NewErrorFS(fs FS, inj Injector) *ErrorFS {
	return &ErrorFS{fs: fs, inj: inj}
}

// Ops returns how many operations have been attempted so far.
func (e *ErrorFS) Ops() int64 { return e.ops.Load() }

// Injected returns how many errors have been injected so far.
func (e *ErrorFS) Injected() int64 { return e.injected.Load() }

// maybeError counts one operation and returns the error to fail it with, if
// any. The error always wraps ErrInjected, whatever the Injector returned.
func (e *ErrorFS) maybeError(kind OpKind, path string) error {
	op := Op{Kind: kind, Path: path, Index: e.ops.Add(1) - 1}
	if e.inj == nil {
		return nil
	}
	err := e.inj.MaybeError(op)
	if err == nil {
		return nil
	}
	e.injected.Add(1)
	if !errors.Is(err, ErrInjected) {
		err = fmt.Errorf("%w: %w", ErrInjected, err)
	}
	return err
}

func (e *ErrorFS) pathErr(kind OpKind, path string) error {
	if err := e.maybeError(kind, path); err != nil {
		return &os.PathError{Op: kind.String(), Path: path, Err: err}
	}
	return nil
}

func (e *ErrorFS) linkErr(kind OpKind, oldname, newname string) error {
	if err := e.maybeError(kind, oldname); err != nil {
		return &os.LinkError{Op: kind.String(), Old: oldname, New: newname, Err: err}
	}
	return nil
}

func (e *ErrorFS) wrap(f File, err error, name string) (File, error) {
	if err != nil {
		return nil, err
	}
	return &errorFile{f: f, e: e, name: name}, nil
}

// Create implements FS.
func (e *ErrorFS) Create(name string) (File, error) {
	if err := e.pathErr(OpCreate, name); err != nil {
		return nil, err
	}
	f, err := e.fs.Create(name)
	return e.wrap(f, err, name)
}

// Open implements FS.
func (e *ErrorFS) Open(name string) (File, error) {
	if err := e.pathErr(OpOpen, name); err != nil {
		return nil, err
	}
	f, err := e.fs.Open(name)
	return e.wrap(f, err, name)
}

// OpenReadWrite implements FS.
func (e *ErrorFS) OpenReadWrite(name string) (File, error) {
	if err := e.pathErr(OpOpenReadWrite, name); err != nil {
		return nil, err
	}
	f, err := e.fs.OpenReadWrite(name)
	return e.wrap(f, err, name)
}

// Remove implements FS.
func (e *ErrorFS) Remove(name string) error {
	if err := e.pathErr(OpRemove, name); err != nil {
		return err
	}
	return e.fs.Remove(name)
}

// RemoveAll implements FS.
func (e *ErrorFS) RemoveAll(name string) error {
	if err := e.pathErr(OpRemoveAll, name); err != nil {
		return err
	}
	return e.fs.RemoveAll(name)
}

// Rename implements FS.
func (e *ErrorFS) Rename(oldname, newname string) error {
	if err := e.linkErr(OpRename, oldname, newname); err != nil {
		return err
	}
	return e.fs.Rename(oldname, newname)
}

// Link implements FS.
func (e *ErrorFS) Link(oldname, newname string) error {
	if err := e.linkErr(OpLink, oldname, newname); err != nil {
		return err
	}
	return e.fs.Link(oldname, newname)
}

// MkdirAll implements FS.
func (e *ErrorFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := e.pathErr(OpMkdirAll, dir); err != nil {
		return err
	}
	return e.fs.MkdirAll(dir, perm)
}

// List implements FS.
func (e *ErrorFS) List(dir string) ([]string, error) {
	if err := e.pathErr(OpList, dir); err != nil {
		return nil, err
	}
	return e.fs.List(dir)
}

// Stat implements FS.
func (e *ErrorFS) Stat(name string) (os.FileInfo, error) {
	if err := e.pathErr(OpStat, name); err != nil {
		return nil, err
	}
	return e.fs.Stat(name)
}

// Lock implements FS; it is never failed by injection.
func (e *ErrorFS) Lock(name string) (io.Closer, error) { return e.fs.Lock(name) }

// SyncDir implements FS.
func (e *ErrorFS) SyncDir(dir string) error {
	if err := e.pathErr(OpSyncDir, dir); err != nil {
		return err
	}
	return e.fs.SyncDir(dir)
}

// errorFile is a File of an ErrorFS.
type errorFile struct {
	f    File
	e    *ErrorFS
	name string
}

func (f *errorFile) Read(p []byte) (int, error) {
	if err := f.e.pathErr(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.f.Read(p)
}

func (f *errorFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.e.pathErr(OpReadAt, f.name); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

// Write writes nothing when it fails by injection.
func (f *errorFile) Write(p []byte) (int, error) {
	if err := f.e.pathErr(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.f.Write(p)
}

func (f *errorFile) Sync() error {
	if err := f.e.pathErr(OpSync, f.name); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *errorFile) Size() (int64, error) {
	if err := f.e.pathErr(OpSize, f.name); err != nil {
		return 0, err
	}
	return f.f.Size()
}

func (f *errorFile) Truncate(size int64) error {
	if err := f.e.pathErr(OpTruncate, f.name); err != nil {
		return err
	}
	return f.f.Truncate(size)
}

// Close closes the underlying file even when it reports an injected error.
func (f *errorFile) Close() error {
	ierr := f.e.pathErr(OpClose, f.name)
	cerr := f.f.Close()
	if ierr != nil {
		return ierr
	}
	return cerr
}
