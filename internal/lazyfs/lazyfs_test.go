package lazyfs

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"wcdb/internal/vfs"
)

// mount mounts a lazy file system for a test, or skips it where FUSE is
// not available.
func mount(t *testing.T) *FS {
	t.Helper()
	f, err := Mount(t.TempDir())
	if errors.Is(err, ErrNoFUSE) {
		t.Skipf("no FUSE here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	return f
}

var osfs = vfs.Default

func write(t *testing.T, path string, data []byte, sync bool) {
	t.Helper()
	w, err := osfs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// content returns a file's bytes, or nil if it does not exist.
func content(t *testing.T, path string) []byte {
	t.Helper()
	b, err := vfs.ReadFile(osfs, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func syncDir(t *testing.T, dir string) {
	t.Helper()
	if err := osfs.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}

func crash(t *testing.T, f *FS) {
	t.Helper()
	if err := f.Crash(false, nil); err != nil {
		t.Fatal(err)
	}
}

func TestUnsyncedFileIsLost(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "a")
	write(t, p, []byte("hello"), false)
	syncDir(t, f.Dir())
	if got := content(t, p); string(got) != "hello" {
		t.Fatalf("before the crash: %q", got)
	}
	crash(t, f)
	if got := content(t, p); got == nil || len(got) != 0 {
		t.Fatalf("a file whose name was synced but not its data: %q, want empty", got)
	}
}

func TestSyncedFileWithoutDirSyncIsLost(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "a")
	write(t, p, []byte("hello"), true)
	crash(t, f)
	if got := content(t, p); got != nil {
		t.Fatalf("a synced file in a directory never synced: %q, want gone", got)
	}
}

func TestSyncedFileAndDirSurvive(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "a")
	write(t, p, []byte("hello"), true)
	syncDir(t, f.Dir())
	// Writes after the sync are pending again.
	write(t, p, []byte("hello world"), false)
	if files, dirs := f.Pending(); files != 1 || dirs != 0 {
		t.Fatalf("pending: %d files, %d directories; want 1, 0", files, dirs)
	}
	crash(t, f)
	if got := content(t, p); string(got) != "hello" {
		t.Fatalf("after the crash: %q, want the synced %q", got, "hello")
	}
	if files, dirs := f.Pending(); files != 0 || dirs != 0 {
		t.Fatalf("pending after a crash: %d files, %d directories", files, dirs)
	}
}

func TestRenameAndUnlinkPendingUntilDirSync(t *testing.T) {
	f := mount(t)
	d := f.Dir()
	write(t, filepath.Join(d, "old"), []byte("x"), true)
	write(t, filepath.Join(d, "gone"), []byte("y"), true)
	syncDir(t, d)
	if err := osfs.Rename(filepath.Join(d, "old"), filepath.Join(d, "new")); err != nil {
		t.Fatal(err)
	}
	if err := osfs.Remove(filepath.Join(d, "gone")); err != nil {
		t.Fatal(err)
	}
	crash(t, f)
	if content(t, filepath.Join(d, "new")) != nil || string(content(t, filepath.Join(d, "old"))) != "x" {
		t.Fatal("a rename not synced survived the crash")
	}
	if string(content(t, filepath.Join(d, "gone"))) != "y" {
		t.Fatal("an unlink not synced survived the crash")
	}
	if err := osfs.Rename(filepath.Join(d, "old"), filepath.Join(d, "new")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, d)
	crash(t, f)
	if string(content(t, filepath.Join(d, "new"))) != "x" || content(t, filepath.Join(d, "old")) != nil {
		t.Fatal("a synced rename did not survive the crash")
	}
}

func TestNewDirectoryNeedsParentSync(t *testing.T) {
	f := mount(t)
	sub := filepath.Join(f.Dir(), "sub")
	if err := osfs.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(sub, "a"), []byte("data"), true)
	syncDir(t, sub)
	crash(t, f)
	if _, err := osfs.Stat(sub); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a directory whose parent was never synced: %v, want gone", err)
	}
	// What vfs.MkdirAllSynced does keeps it.
	if err := vfs.MkdirAllSynced(osfs, sub); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(sub, "a"), []byte("data"), true)
	syncDir(t, sub)
	crash(t, f)
	if got := content(t, filepath.Join(sub, "a")); string(got) != "data" {
		t.Fatalf("after MkdirAllSynced and syncs: %q", got)
	}
}

func TestWriteFileAtomicSurvives(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "HOST_ID")
	if err := vfs.WriteFileAtomic(osfs, p, []byte("id-1\n")); err != nil {
		t.Fatal(err)
	}
	crash(t, f)
	if got := content(t, p); string(got) != "id-1\n" {
		t.Fatalf("after a crash: %q", got)
	}
}

func TestHardLinksShareData(t *testing.T) {
	f := mount(t)
	d := f.Dir()
	write(t, filepath.Join(d, "a"), []byte("linked"), true)
	if err := osfs.Link(filepath.Join(d, "a"), filepath.Join(d, "b")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, d)
	crash(t, f)
	if string(content(t, filepath.Join(d, "a"))) != "linked" || string(content(t, filepath.Join(d, "b"))) != "linked" {
		t.Fatal("hard links lost their data")
	}
}

func TestTornKeepsAPrefix(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "log")
	want := append([]byte("synced|"), bytes.Repeat([]byte("p"), 4096)...)
	rng := rand.New(rand.NewPCG(1, 2))
	torn := 0
	for range 8 {
		write(t, p, want[:7], true)
		syncDir(t, f.Dir())
		write(t, p, want, false)
		if err := f.Crash(true, rng); err != nil {
			t.Fatal(err)
		}
		got := content(t, p)
		if !bytes.HasPrefix(got, want[:7]) || !bytes.HasPrefix(want, got) {
			t.Fatalf("torn crash kept %d bytes, not the synced ones and a prefix of the rest", len(got))
		}
		if len(got) > 7 {
			torn++
		}
	}
	if torn == 0 {
		t.Fatal("no torn crash in 8 kept any of the unsynced growth")
	}
}

// TestFreezeHoldsChanges: after Freeze(1) one more change goes through;
// the next (an fsync) waits, reads go on, Cut fails the waiting fsync,
// and the crash keeps what was synced before the freeze.
func TestFreezeHoldsChanges(t *testing.T) {
	f := mount(t)
	p := filepath.Join(f.Dir(), "a")
	write(t, p, []byte("synced"), true)
	syncDir(t, f.Dir())
	w, err := osfs.OpenReadWrite(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	f.Freeze(1)
	if _, err := w.Write([]byte("SYNCED")); err != nil { // the one allowed
		t.Fatalf("the change allowed after the freeze: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Sync() }()
	for f.Held() == 0 {
		select {
		case err := <-done:
			t.Fatalf("fsync returned during the freeze: %v", err)
		default:
			runtime.Gosched()
		}
	}
	if got := content(t, p); string(got) != "SYNCED" {
		t.Fatalf("read during the freeze: %q", got)
	}
	select {
	case err := <-done:
		t.Fatalf("fsync returned during the freeze: %v", err)
	default:
	}
	f.Cut()
	if err := <-done; !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync after Cut: %v, want EIO", err)
	}
	if _, err := osfs.Create(filepath.Join(f.Dir(), "b")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("a creation after Cut: %v, want EIO", err)
	}
	w.Close()
	crash(t, f)
	if got := content(t, p); string(got) != "synced" {
		t.Fatalf("after the crash: %q, want %q", got, "synced")
	}
	// Taking changes again.
	write(t, filepath.Join(f.Dir(), "c"), []byte("x"), true)
}
