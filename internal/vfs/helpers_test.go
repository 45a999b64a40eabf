package vfs_test

import (
	"slices"
	"testing"

	"wcdb/internal/vfs"
)

// syncRecorder records the directories SyncDir is asked to sync.
type syncRecorder struct {
	vfs.FS
	synced []string
}

func (r *syncRecorder) SyncDir(dir string) error {
	r.synced = append(r.synced, dir)
	return r.FS.SyncDir(dir)
}

func TestMkdirAllSynced(t *testing.T) {
	mem := vfs.NewMem()
	if err := mem.MkdirAll("/a", 0o755); err != nil {
		t.Fatal(err)
	}
	r := &syncRecorder{FS: mem}
	if err := vfs.MkdirAllSynced(r, "/a/b/c"); err != nil {
		t.Fatal(err)
	}
	// Each new directory's parent, outermost first; /a existed.
	if want := []string{"/a", "/a/b"}; !slices.Equal(r.synced, want) {
		t.Fatalf("synced %v, want %v", r.synced, want)
	}
	if _, err := mem.Stat("/a/b/c"); err != nil {
		t.Fatal(err)
	}
	r.synced = nil
	if err := vfs.MkdirAllSynced(r, "/a/b/c"); err != nil || len(r.synced) != 0 {
		t.Fatalf("existing directory: synced %v, %v", r.synced, err)
	}
}
