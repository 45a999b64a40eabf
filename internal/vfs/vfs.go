// Package vfs is the small file-system interface that every byte wcdb
// persists goes through. Production code uses Default (the OS); tests use
// NewMem, whose Crash method keeps only what was synced, and errorfs-style
// wrappers that fail the i-th operation.
//
// Durability rules the engine relies on, and that the in-memory FS enforces:
//   - a file's contents survive a crash only up to its last Sync;
//   - a created, renamed or removed name survives a crash only once the
//     directory holding it has been synced (SyncDir).
package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// File is an open file. A File is not safe for concurrent use except that
// ReadAt may be called concurrently with other ReadAt calls.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync makes the file's contents durable.
	Sync() error
	// Size returns the current length of the file.
	Size() (int64, error)
	// Truncate changes the length of the file (used to cut a torn log tail).
	Truncate(size int64) error
}

// FS is the file-system interface. Implementations are safe for concurrent use.
type FS interface {
	// Create creates or truncates the named file for writing.
	Create(name string) (File, error)
	// Open opens the named file read-only.
	Open(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and writing, positioned at
	// its start.
	OpenReadWrite(name string) (File, error)
	// Remove removes the named file or empty directory.
	Remove(name string) error
	// RemoveAll removes a directory tree.
	RemoveAll(name string) error
	// Rename atomically renames oldname to newname, replacing newname.
	Rename(oldname, newname string) error
	// Link creates newname as a hard link to oldname (snapshots).
	Link(oldname, newname string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string, perm os.FileMode) error
	// List returns the names (not paths) of the entries of dir, sorted.
	List(dir string) ([]string, error)
	// Stat describes the named file.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the creations, renames and removals of dir's entries durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on the named file, creating it if need
	// be, so that two processes (or two engines) never use one directory at
	// once. It fails at once, with an error wrapping ErrLocked, if the lock
	// is held. Closing the returned Closer releases it; so does the end of
	// the process.
	Lock(name string) (io.Closer, error)
}

// ErrLocked is returned by Lock when another holder has the lock.
var ErrLocked = errors.New("vfs: locked by another user")

// Default is the operating system's file system.
var Default FS = osFS{}

type osFS struct{}

type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	fi, err := f.File.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) OpenReadWrite(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                 { return os.RemoveAll(name) }
func (osFS) Rename(oldname, newname string) error        { return os.Rename(oldname, newname) }
func (osFS) Link(oldname, newname string) error          { return os.Link(oldname, newname) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) Stat(name string) (os.FileInfo, error)       { return os.Stat(name) }

func (osFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, name)
		}
		return nil, fmt.Errorf("vfs: lock %s: %w", name, err)
	}
	return f, nil // closing the file releases the lock
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// WriteFileAtomic writes data to name through a temporary file: write, fsync,
// rename, fsync the directory. A crash leaves either the old file or the new;
// a failed write removes the temporary file.
func WriteFileAtomic(fs FS, name string, data []byte) error {
	return writeFileAtomic(fs, name, data, false)
}

// WriteFileAtomicPrivate is WriteFileAtomic for a secret (a private key):
// the temporary file is made 0600 before its first byte where the FS's
// files can change their mode (Default's can; FS has no Chmod of its
// own).
func WriteFileAtomicPrivate(fs FS, name string, data []byte) error {
	return writeFileAtomic(fs, name, data, true)
}

func writeFileAtomic(fs FS, name string, data []byte, private bool) (err error) {
	tmp := name + ".tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fs.Remove(tmp) // best effort: no half-written file (or key) left
		}
	}()
	if private {
		if c, ok := f.(interface{ Chmod(os.FileMode) error }); ok {
			if err := c.Chmod(0o600); err != nil {
				f.Close()
				return err
			}
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, name); err != nil {
		return err
	}
	return fs.SyncDir(filepath.Dir(name))
}
