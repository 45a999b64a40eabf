package vfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"

	"wcdb/internal/vfs"
)

// writeFile creates name with data, optionally syncing the file.
func writeFile(t testing.TB, fsys vfs.FS, name, data string, sync bool) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// content returns name's contents, or "<missing>".
func content(t testing.TB, fsys vfs.FS, name string) string {
	t.Helper()
	b, err := vfs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "<missing>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantContent(t testing.TB, fsys vfs.FS, name, want string) {
	t.Helper()
	if got := content(t, fsys, name); got != want {
		t.Errorf("%s: got %q, want %q", name, got, want)
	}
}

func wantList(t testing.TB, fsys vfs.FS, dir string, want ...string) {
	t.Helper()
	got, err := fsys.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("List(%q): got %q, want %q", dir, got, want)
	}
}

func mustMkdir(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSyncDir(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	if err := fsys.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
}

func TestMemFileOps(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/d")
	f, err := m.Create("/d/f")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hello", " ", "world"} {
		if n, err := f.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q): got %d, %v, want %d, nil", s, n, err, len(s))
		}
	}
	if sz, err := f.Size(); sz != 11 || err != nil {
		t.Fatalf("Size: got %d, %v, want 11, nil", sz, err)
	}
	// Create opens read-write; the offset is at the end.
	buf := make([]byte, 4)
	if n, err := f.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read at end: got %d, %v, want 0, EOF", n, err)
	}
	if n, err := f.ReadAt(buf, 6); n != 4 || err != nil || string(buf) != "worl" {
		t.Fatalf("ReadAt(6): got %d, %v, %q, want 4, nil, \"worl\"", n, err, buf)
	}
	if n, err := f.ReadAt(buf, 9); n != 2 || err != io.EOF || string(buf[:n]) != "ld" {
		t.Fatalf("ReadAt(9): got %d, %v, %q, want 2, EOF, \"ld\"", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf, 20); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt(20): got %d, %v, want 0, EOF", n, err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt(-1): got nil error")
	}
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	// The offset stays at 11: the next write zero-fills the gap.
	if _, err := f.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(14); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, m, "/d/f", "hello\x00\x00\x00\x00\x00\x00!\x00\x00")

	// Closed handles fail with os.ErrClosed.
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: got %v, want ErrClosed", err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: got %v, want ErrClosed", err)
	}

	// OpenReadWrite starts at 0 and overwrites in place.
	rw, err := m.OpenReadWrite("d/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Write([]byte("HE")); err != nil {
		t.Fatal(err)
	}
	if n, err := rw.Read(buf[:3]); n != 3 || err != nil || string(buf[:3]) != "llo" {
		t.Fatalf("Read after Write: got %d, %v, %q, want 3, nil, \"llo\"", n, err, buf[:3])
	}
	rw.Close()
	wantContent(t, m, "/d/f", "HEllo\x00\x00\x00\x00\x00\x00!\x00\x00")

	// A read-only handle cannot write or truncate.
	ro, err := m.Open("/d/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Write on read-only: got %v, want EBADF", err)
	}
	if err := ro.Truncate(0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Truncate on read-only: got %v, want EBADF", err)
	}
	all, err := io.ReadAll(ro)
	if err != nil || len(all) != 14 {
		t.Errorf("ReadAll: got %d bytes, %v, want 14, nil", len(all), err)
	}
	ro.Close()

	// Create truncates.
	writeFile(t, m, "/d/f", "new", false)
	wantContent(t, m, "/d/f", "new")
}

func TestMemPathsAndErrors(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "a/b/c")
	writeFile(t, m, "/a/b/f", "x", false)
	for _, name := range []string{"a/b/f", "/a/b/f", "/a/./b/../b/f", "a//b/f", "../a/b/f"} {
		wantContent(t, m, name, "x")
	}
	wantList(t, m, "/", "a")
	wantList(t, m, ".", "a")
	wantList(t, m, "a/b", "c", "f")
	wantList(t, m, "/a/b/c")

	fi, err := m.Stat("a/b/f")
	if err != nil || fi.Name() != "f" || fi.Size() != 1 || fi.IsDir() || !fi.Mode().IsRegular() {
		t.Errorf("Stat(file): got %v %v", fi, err)
	}
	fi, err = m.Stat("/a/b/")
	if err != nil || fi.Name() != "b" || !fi.IsDir() {
		t.Errorf("Stat(dir): got %v %v", fi, err)
	}

	var pe *os.PathError
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"Open missing", errOf(m.Open("/nope")), fs.ErrNotExist},
		{"Open empty", errOf(m.Open("")), fs.ErrNotExist},
		{"Open dir", errOf(m.Open("/a")), syscall.EISDIR},
		{"OpenReadWrite missing", errOf(m.OpenReadWrite("/nope")), fs.ErrNotExist},
		{"Create no parent", errOf(m.Create("/nope/f")), fs.ErrNotExist},
		{"Create under file", errOf(m.Create("/a/b/f/g")), syscall.ENOTDIR},
		{"Create dir", errOf(m.Create("/a/b")), syscall.EISDIR},
		{"Stat missing", errOf(m.Stat("/a/zz")), fs.ErrNotExist},
		{"List missing", errOf(m.List("/zz")), fs.ErrNotExist},
		{"List file", errOf(m.List("/a/b/f")), syscall.ENOTDIR},
		{"Remove missing", m.Remove("/a/zz"), fs.ErrNotExist},
		{"Remove nonempty", m.Remove("/a"), fs.ErrExist}, // ENOTEMPTY is an ErrExist
		{"Rename missing", m.Rename("/zz", "/yy"), fs.ErrNotExist},
		{"Rename into self", m.Rename("/a", "/a/b/c/a"), syscall.EINVAL},
		{"Rename file over dir", m.Rename("/a/b/f", "/a/b/c"), syscall.EISDIR},
		{"Rename dir over nonempty", m.Rename("/a/b/c", "/a"), syscall.ENOTEMPTY},
		{"Link existing", m.Link("/a/b/f", "/a/b/f"), fs.ErrExist},
		{"Link dir", m.Link("/a", "/x"), syscall.EPERM},
		{"MkdirAll over file", m.MkdirAll("/a/b/f/g", 0o755), syscall.ENOTDIR},
		{"SyncDir file", m.SyncDir("/a/b/f"), syscall.ENOTDIR},
		{"SyncDir missing", m.SyncDir("/zz"), fs.ErrNotExist},
		{"RemoveAll dot", m.RemoveAll("a/."), syscall.EINVAL},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
	if err := m.Remove("/zz"); !errors.As(err, &pe) || pe.Path != "/zz" {
		t.Errorf("Remove error: got %#v, want *os.PathError for /zz", err)
	}
	if err := m.RemoveAll("/zz/yy"); err != nil {
		t.Errorf("RemoveAll missing: got %v, want nil", err)
	}
	if err := m.RemoveAll("/a/b"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m, "/a")
	if err := m.Remove("/a"); err != nil {
		t.Errorf("Remove empty dir: %v", err)
	}
	wantList(t, m, "/")
}

func errOf[T any](_ T, err error) error { return err }

func TestMemRenameAndLink(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "a", "A", false)
	writeFile(t, m, "b", "B", false)
	// An open file keeps its inode when its name is replaced.
	fb, err := m.Open("b")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("a", "b"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m, "/", "b")
	wantContent(t, m, "b", "A")
	if got, _ := io.ReadAll(fb); string(got) != "B" {
		t.Errorf("replaced file through old handle: got %q, want \"B\"", got)
	}
	fb.Close()

	if err := m.Link("b", "c"); err != nil {
		t.Fatal(err)
	}
	f, err := m.OpenReadWrite("c")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("Z"))
	f.Close()
	wantContent(t, m, "b", "Z")
	// Renaming one link onto another of the same inode does nothing.
	if err := m.Rename("b", "c"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m, "/", "b", "c")

	// Directories move with their contents.
	mustMkdir(t, m, "/d/e")
	writeFile(t, m, "/d/e/f", "F", false)
	if err := m.Rename("/d", "/g"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, m, "/g/e/f", "F")
	wantList(t, m, "/", "b", "c", "g")
}

func TestMemOpenAfterRemove(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "f", "data", false)
	f, err := m.OpenReadWrite("f")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stat("f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat after Remove: got %v, want ErrNotExist", err)
	}
	if _, err := f.Write([]byte("DA")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 0); n != 4 || err != nil || string(buf) != "DAta" {
		t.Errorf("ReadAt after Remove: got %d, %v, %q, want 4, nil, \"DAta\"", n, err, buf)
	}
	if err := f.Sync(); err != nil {
		t.Errorf("Sync after Remove: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close after Remove: %v", err)
	}
}

func TestCrashDropsUnsyncedData(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "never", "unsynced", false)
	writeFile(t, m, "synced", "durable", true)
	f, err := m.OpenReadWrite("synced")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("D")) // in place, within the synced bytes
	f.Close()
	mustSyncDir(t, m, "/")

	c := m.Crash()
	wantContent(t, c, "never", "")
	wantContent(t, c, "synced", "durable")
	// The original is untouched.
	wantContent(t, m, "never", "unsynced")
	wantContent(t, m, "synced", "Durable")
}

func TestCrashKeepsSyncedPrefix(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/log")
	f, err := m.Create("/log/1")
	if err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, m, "/log")
	f.Write([]byte("rec1;"))
	f.Sync()
	f.Write([]byte("rec2;"))
	f.Sync()
	f.Write([]byte("rec3;"))
	wantContent(t, m.Crash(), "/log/1", "rec1;rec2;")
	f.Sync()
	wantContent(t, m.Crash(), "/log/1", "rec1;rec2;rec3;")
}

func TestCrashTruncateAndRecreate(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "f", "0123456789", true)
	mustSyncDir(t, m, "/")
	f, err := m.OpenReadWrite("f")
	if err != nil {
		t.Fatal(err)
	}
	// Shrink then grow: the zero fill lands inside the synced bytes.
	f.Truncate(3)
	f.Truncate(6)
	wantContent(t, m, "f", "012\x00\x00\x00")
	wantContent(t, m.Crash(), "f", "0123456789")
	f.Sync()
	wantContent(t, m.Crash(), "f", "012\x00\x00\x00")
	f.Close()

	// Create truncates the same inode; unsynced, the old bytes come back.
	writeFile(t, m, "f", "new", false)
	wantContent(t, m.Crash(), "f", "012\x00\x00\x00")
}

func TestCrashDirectoryEntries(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/d")
	writeFile(t, m, "/d/keep", "k", true)
	writeFile(t, m, "/d/old", "o", true)
	writeFile(t, m, "/d/gone", "g", true)
	writeFile(t, m, "/d/target", "t", true)
	mustSyncDir(t, m, "/d")

	// Unsynced: a create, a remove, a rename, a rename over an existing file.
	writeFile(t, m, "/d/created", "c", true)
	if err := m.Remove("/d/gone"); err != nil {
		t.Fatal(err)
	}
	if err := m.Rename("/d/old", "/d/new"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/d/tmp", "T", true)
	if err := m.Rename("/d/tmp", "/d/target"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m, "/d", "created", "keep", "new", "target")

	c := m.Crash()
	wantList(t, c, "/d", "gone", "keep", "old", "target")
	wantContent(t, c, "/d/old", "o")
	wantContent(t, c, "/d/gone", "g")
	wantContent(t, c, "/d/target", "t")

	mustSyncDir(t, m, "/d")
	c = m.Crash()
	wantList(t, c, "/d", "created", "keep", "new", "target")
	wantContent(t, c, "/d/new", "o")
	wantContent(t, c, "/d/target", "T")
	wantContent(t, c, "/d/created", "c")
}

func TestCrashDirectoriesIndependent(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/a")
	mustMkdir(t, m, "/b")
	writeFile(t, m, "/a/f", "f", true)
	mustSyncDir(t, m, "/a")
	if err := m.Rename("/a/f", "/b/f"); err != nil {
		t.Fatal(err)
	}
	// Syncing /b alone: the file is in both (two links to one inode).
	mustSyncDir(t, m, "/b")
	c := m.Crash()
	wantList(t, c, "/a", "f")
	wantList(t, c, "/b", "f")
	f, err := c.OpenReadWrite("/a/f")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("X"))
	f.Close()
	wantContent(t, c, "/b/f", "X")
}

func TestCrashMkdirAllDurable(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/x/y/z")
	writeFile(t, m, "/x/y/z/f", "f", true)
	c := m.Crash()
	wantList(t, c, "/x/y", "z")
	wantList(t, c, "/x/y/z") // the file's entry was never synced
	// A removed directory comes back, with its durable entries, until its parent is synced.
	mustSyncDir(t, m, "/x/y/z")
	if err := m.RemoveAll("/x/y"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m, "/x")
	c = m.Crash()
	wantContent(t, c, "/x/y/z/f", "f")
	mustSyncDir(t, m, "/x")
	wantList(t, m.Crash(), "/x")
}

func TestCrashLinks(t *testing.T) {
	m := vfs.NewMem()
	mustMkdir(t, m, "/data")
	mustMkdir(t, m, "/snap")
	writeFile(t, m, "/data/t1", "table", true)
	mustSyncDir(t, m, "/data")
	if err := m.Link("/data/t1", "/snap/t1"); err != nil {
		t.Fatal(err)
	}
	wantList(t, m.Crash(), "/snap") // link not yet durable
	mustSyncDir(t, m, "/snap")
	if err := m.Remove("/data/t1"); err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, m, "/data")
	c := m.Crash()
	wantList(t, c, "/data")
	wantContent(t, c, "/snap/t1", "table")

	// Both names of one inode stay one inode after a crash.
	if err := m.Link("/snap/t1", "/data/t1"); err != nil {
		t.Fatal(err)
	}
	mustSyncDir(t, m, "/data")
	c = m.Crash()
	f, err := c.Create("/data/t1")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("rewritten"))
	f.Close()
	wantContent(t, c, "/snap/t1", "rewritten")
	wantContent(t, m, "/snap/t1", "table")
}

func TestCrashIndependent(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "f", "abc", true)
	mustSyncDir(t, m, "/")
	c := m.Crash()
	// Writes to either side do not show in the other, including through the
	// array that Sync shares with the synced bytes.
	f, _ := m.OpenReadWrite("f")
	f.Write([]byte("X"))
	f.Sync()
	f.Close()
	g, _ := c.OpenReadWrite("f")
	g.Write([]byte("Y"))
	g.Close()
	wantContent(t, m, "f", "Xbc")
	wantContent(t, c, "f", "Ybc")
	wantContent(t, c.Crash(), "f", "abc")
	wantContent(t, m.Crash(), "f", "Xbc")
}

func TestWriteFileAtomicCrash(t *testing.T) {
	m := vfs.NewMem()
	if err := vfs.WriteFileAtomic(m, "/MANIFEST", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	wantContent(t, m.Crash(), "/MANIFEST", "v1")
	if err := vfs.WriteFileAtomic(m, "/MANIFEST", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	c := m.Crash()
	wantContent(t, c, "/MANIFEST", "v2")
	wantList(t, c, "/", "MANIFEST")
}

// TestMemFileModel runs random operations on one file and checks the file and
// what a crash keeps against a plain model.
func TestMemFileModel(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		m := vfs.NewMem()
		f, err := m.Create("f")
		if err != nil {
			t.Fatal(err)
		}
		mustSyncDir(t, m, "/")
		var data, synced []byte
		var off int64
		for step := 0; step < 200; step++ {
			var what string
			switch r := rng.IntN(10); {
			case r < 4:
				p := make([]byte, rng.IntN(40))
				for i := range p {
					p[i] = byte('a' + rng.IntN(26))
				}
				what = fmt.Sprintf("write %d at %d", len(p), off)
				f.Write(p)
				if end := off + int64(len(p)); end > int64(len(data)) {
					data = append(data, make([]byte, end-int64(len(data)))...)
				}
				copy(data[off:], p)
				off += int64(len(p))
			case r < 5:
				n := rng.IntN(30)
				what = fmt.Sprintf("read %d at %d", n, off)
				got, _ := f.Read(make([]byte, n))
				want := max(0, min(n, len(data)-int(off)))
				if got != want {
					t.Fatalf("seed %d step %d %s: read %d bytes, want %d", seed, step, what, got, want)
				}
				off += int64(got)
			case r < 6:
				size := rng.IntN(len(data) + 20)
				what = fmt.Sprintf("truncate %d", size)
				f.Truncate(int64(size))
				if size < len(data) {
					data = data[:size]
				} else {
					data = append(data, make([]byte, size-len(data))...)
				}
			case r < 8:
				what = "sync"
				f.Sync()
				synced = bytes.Clone(data)
			case r < 9:
				what = "reopen"
				f.Close()
				if f, err = m.OpenReadWrite("f"); err != nil {
					t.Fatal(err)
				}
				off = 0
			default:
				what = "crash"
				if got := content(t, m.Crash(), "f"); got != string(synced) {
					t.Fatalf("seed %d step %d: crash kept %q, want %q", seed, step, got, synced)
				}
			}
			if got := content(t, m, "f"); got != string(data) {
				t.Fatalf("seed %d step %d after %s: got %q, want %q", seed, step, what, got, data)
			}
		}
		f.Close()
	}
}

func TestCrashTorn(t *testing.T) {
	build := func() *vfs.MemFS {
		m := vfs.NewMem()
		mustMkdir(t, m, "/log")
		f, err := m.Create("/log/seg")
		if err != nil {
			t.Fatal(err)
		}
		mustSyncDir(t, m, "/log")
		f.Write([]byte("synced;"))
		f.Sync()
		f.Write([]byte("tail-of-twenty-bytes"))
		f.Close()
		// A non-append change is dropped whole.
		writeFile(t, m, "/log/other", "0123", true)
		mustSyncDir(t, m, "/log")
		g, _ := m.OpenReadWrite("/log/other")
		g.Write([]byte("XY"))
		g.Write([]byte("more"))
		g.Close()
		return m
	}
	const full = "synced;tail-of-twenty-bytes"
	lengths := map[int]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		m := build()
		c := m.CrashTorn(rand.New(rand.NewPCG(seed, 2)))
		got := content(t, c, "/log/seg")
		if len(got) < len("synced;") || got != full[:len(got)] {
			t.Fatalf("seed %d: torn crash kept %q, want a prefix of %q at least %q long", seed, got, full, "synced;")
		}
		lengths[len(got)] = true
		wantContent(t, c, "/log/other", "0123")
		// The torn result is durable: a second crash keeps it.
		wantContent(t, c.Crash(), "/log/seg", got)
		// Same seed, same result.
		if again := content(t, build().CrashTorn(rand.New(rand.NewPCG(seed, 2))), "/log/seg"); again != got {
			t.Fatalf("seed %d: second run kept %q, first %q", seed, again, got)
		}
	}
	// 200 draws over 21 lengths: seeing fewer than 15 means the draw is broken.
	if len(lengths) < 15 || !lengths[len("synced;")] || !lengths[len(full)] {
		t.Errorf("torn lengths seen: %v, want most of %d..%d", lengths, len("synced;"), len(full))
	}
}

func TestMemConcurrentReadAt(t *testing.T) {
	m := vfs.NewMem()
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	writeFile(t, m, "f", string(data), true)
	f, err := m.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			buf := make([]byte, 512)
			for i := 0; i < 500; i++ {
				off := rng.IntN(len(data) - len(buf))
				if n, err := f.ReadAt(buf, int64(off)); n != len(buf) || err != nil {
					errs <- fmt.Errorf("ReadAt(%d): got %d, %v", off, n, err)
					return
				}
				if !bytes.Equal(buf, data[off:off+len(buf)]) {
					errs <- fmt.Errorf("ReadAt(%d): wrong bytes", off)
					return
				}
			}
		}()
	}
	// Meanwhile other goroutines use the same FS.
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", g)
			for i := 0; i < 100; i++ {
				w, err := m.Create(name)
				if err != nil {
					errs <- err
					return
				}
				w.Write(data[:100])
				w.Sync()
				w.Close()
				m.SyncDir("/")
				m.List("/")
				m.Crash()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestKill: a killed process leaves every written byte, synced or not,
// and the copy is independent of the original.
func TestKill(t *testing.T) {
	m := vfs.NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := m.Create("/d/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("synced")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(" and not")); err != nil {
		t.Fatal(err)
	}
	k := m.Kill()
	if b, err := vfs.ReadFile(k, "/d/f"); err != nil || string(b) != "synced and not" {
		t.Fatalf("after a kill: %q, %v", b, err)
	}
	if b, _ := vfs.ReadFile(m.Crash(), "/d/f"); b != nil {
		t.Fatalf("after a power loss the unsynced directory entry is gone, got %q", b)
	}
	if _, err := f.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	if err := k.Remove("/d/f"); err != nil {
		t.Fatal(err)
	}
	if b, err := vfs.ReadFile(m, "/d/f"); err != nil || string(b) != "synced and not!" {
		t.Fatalf("the original after changes to the copy: %q, %v", b, err)
	}
	f.Close()
}
