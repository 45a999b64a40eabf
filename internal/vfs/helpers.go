package vfs

import (
	"io"
	"path/filepath"
)

// ReadFile returns the whole contents of the named file.
func ReadFile(fs FS, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	cerr := f.Close()
	if err != nil {
		return nil, err
	}
	return data, cerr
}

// MkdirAllSynced creates dir and any missing parents, syncing the parent of
// each directory it creates: a directory entry is durable only once its
// parent is synced, so without this a power loss can take away a new data
// directory together with every file synced inside it.
func MkdirAllSynced(fs FS, dir string) error {
	dir = filepath.Clean(dir)
	if _, err := fs.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAllSynced(fs, parent); err != nil {
			return err
		}
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fs.SyncDir(parent)
}
