package vfs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"wcdb/internal/vfs"
)

// opWorkload uses every counted operation once, in a fixed order, and stops
// at the first error.
var opWorkload = []struct {
	kind vfs.OpKind
	run  func(fsys vfs.FS, f *vfs.File) error
}{
	{vfs.OpMkdirAll, func(fsys vfs.FS, _ *vfs.File) error { return fsys.MkdirAll("/d", 0o755) }},
	{vfs.OpCreate, func(fsys vfs.FS, f *vfs.File) (err error) { *f, err = fsys.Create("/d/f"); return err }},
	{vfs.OpWrite, func(_ vfs.FS, f *vfs.File) error { _, err := (*f).Write([]byte("hello")); return err }},
	{vfs.OpSync, func(_ vfs.FS, f *vfs.File) error { return (*f).Sync() }},
	{vfs.OpSize, func(_ vfs.FS, f *vfs.File) error { _, err := (*f).Size(); return err }},
	{vfs.OpClose, func(_ vfs.FS, f *vfs.File) error { return (*f).Close() }},
	{vfs.OpSyncDir, func(fsys vfs.FS, _ *vfs.File) error { return fsys.SyncDir("/d") }},
	{vfs.OpOpen, func(fsys vfs.FS, f *vfs.File) (err error) { *f, err = fsys.Open("/d/f"); return err }},
	{vfs.OpReadAt, func(_ vfs.FS, f *vfs.File) error { _, err := (*f).ReadAt(make([]byte, 2), 1); return err }},
	{vfs.OpRead, func(_ vfs.FS, f *vfs.File) error { _, err := (*f).Read(make([]byte, 2)); return err }},
	{vfs.OpClose, func(_ vfs.FS, f *vfs.File) error { return (*f).Close() }},
	{vfs.OpStat, func(fsys vfs.FS, _ *vfs.File) error { _, err := fsys.Stat("/d/f"); return err }},
	{vfs.OpList, func(fsys vfs.FS, _ *vfs.File) error { _, err := fsys.List("/d"); return err }},
	{vfs.OpOpenReadWrite, func(fsys vfs.FS, f *vfs.File) (err error) { *f, err = fsys.OpenReadWrite("/d/f"); return err }},
	{vfs.OpTruncate, func(_ vfs.FS, f *vfs.File) error { return (*f).Truncate(2) }},
	{vfs.OpClose, func(_ vfs.FS, f *vfs.File) error { return (*f).Close() }},
	{vfs.OpLink, func(fsys vfs.FS, _ *vfs.File) error { return fsys.Link("/d/f", "/d/g") }},
	{vfs.OpRename, func(fsys vfs.FS, _ *vfs.File) error { return fsys.Rename("/d/g", "/d/h") }},
	{vfs.OpRemove, func(fsys vfs.FS, _ *vfs.File) error { return fsys.Remove("/d/h") }},
	{vfs.OpRemoveAll, func(fsys vfs.FS, _ *vfs.File) error { return fsys.RemoveAll("/d") }},
}

// runOpWorkload returns the index of the step that failed (or -1) and its error.
func runOpWorkload(fsys vfs.FS) (int, error) {
	var f vfs.File
	for i, step := range opWorkload {
		if err := step.run(fsys, &f); err != nil {
			return i, err
		}
	}
	return -1, nil
}

// errOp returns the Op field of a *os.PathError or *os.LinkError.
func errOp(err error) string {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Op
	case errors.As(err, &le):
		return le.Op
	}
	return "?"
}

func TestErrorFSCountsEveryOp(t *testing.T) {
	e := vfs.NewErrorFS(vfs.NewMem(), nil)
	if step, err := runOpWorkload(e); err != nil {
		t.Fatalf("step %d: %v", step, err)
	}
	if got, want := e.Ops(), int64(len(opWorkload)); got != want {
		t.Errorf("Ops: got %d, want %d", got, want)
	}
	if got := e.Injected(); got != 0 {
		t.Errorf("Injected with nil injector: got %d, want 0", got)
	}
	// Every kind is exercised.
	seen := map[vfs.OpKind]bool{}
	for _, s := range opWorkload {
		seen[s.kind] = true
	}
	for k := vfs.OpCreate; k <= vfs.OpClose; k++ {
		if !seen[k] {
			t.Errorf("workload misses %v", k)
		}
	}
}

func TestErrorFSOnIndex(t *testing.T) {
	for i := int64(0); i <= int64(len(opWorkload)); i++ {
		e := vfs.NewErrorFS(vfs.NewMem(), vfs.OnIndex(i))
		step, err := runOpWorkload(e)
		if i == int64(len(opWorkload)) {
			if err != nil || e.Injected() != 0 {
				t.Fatalf("OnIndex(%d) past the end: got %v, %d injected, want nil, 0", i, err, e.Injected())
			}
			continue
		}
		if int64(step) != i || !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("OnIndex(%d): step %d failed with %v, want step %d with ErrInjected", i, step, err, i)
		}
		if got, want := errOp(err), opWorkload[i].kind.String(); got != want {
			t.Errorf("OnIndex(%d): error op %q, want %q (%v)", i, got, want, err)
		}
		if e.Ops() != i+1 || e.Injected() != 1 {
			t.Errorf("OnIndex(%d): Ops %d, Injected %d, want %d, 1", i, e.Ops(), e.Injected(), i+1)
		}
	}
}

func TestErrorFSWritesOnly(t *testing.T) {
	var mutating []int
	for i, s := range opWorkload {
		if s.kind.Mutating() {
			mutating = append(mutating, i)
		}
	}
	if len(mutating) != 10 {
		t.Fatalf("workload has %d mutating ops, want 10", len(mutating))
	}
	for j, want := range mutating {
		e := vfs.NewErrorFS(vfs.NewMem(), vfs.WritesOnly(vfs.OnIndex(int64(j))))
		step, err := runOpWorkload(e)
		if step != want || !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("WritesOnly(OnIndex(%d)): step %d failed with %v, want step %d (%v)", j, step, err, want, opWorkload[want].kind)
		}
		// Ops still counts every operation.
		if e.Ops() != int64(want+1) {
			t.Errorf("WritesOnly(OnIndex(%d)): Ops %d, want %d", j, e.Ops(), want+1)
		}
	}
	e := vfs.NewErrorFS(vfs.NewMem(), vfs.WritesOnly(vfs.OnIndex(int64(len(mutating)))))
	if step, err := runOpWorkload(e); err != nil {
		t.Fatalf("WritesOnly past the end: step %d: %v", step, err)
	}
}

func TestErrorFSFailedOpsDoNothing(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "f", "old", true)
	mustSyncDir(t, m, "/")

	// Fail every Write and Sync; everything else goes through.
	fail := vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind == vfs.OpWrite || op.Kind == vfs.OpSync || op.Kind == vfs.OpSyncDir || op.Kind == vfs.OpRename {
			return errors.New("disk on fire")
		}
		return nil
	})
	e := vfs.NewErrorFS(m, fail)
	f, err := e.OpenReadWrite("f")
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Write([]byte("NEW"))
	if n != 0 || !errors.Is(err, vfs.ErrInjected) || err.Error() != "write f: vfs: injected error: disk on fire" {
		t.Errorf("Write: got %d, %v, want 0, \"write f: vfs: injected error: disk on fire\"", n, err)
	}
	wantContent(t, m, "f", "old")

	// A failed Sync makes nothing durable.
	g, _ := m.OpenReadWrite("f")
	g.Write([]byte("NEW"))
	g.Close()
	if err := f.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Errorf("Sync: got %v, want ErrInjected", err)
	}
	wantContent(t, m.Crash(), "f", "old")

	// A failed Rename renames nothing; a failed SyncDir syncs nothing.
	if err := e.Rename("f", "g"); !errors.Is(err, vfs.ErrInjected) {
		t.Errorf("Rename: got %v, want ErrInjected", err)
	}
	wantList(t, m, "/", "f")
	if err := m.Rename("f", "g"); err != nil {
		t.Fatal(err)
	}
	if err := e.SyncDir("/"); !errors.Is(err, vfs.ErrInjected) {
		t.Errorf("SyncDir: got %v, want ErrInjected", err)
	}
	wantList(t, m.Crash(), "/", "f")

	// A failed Close still closes the file underneath.
	e2 := vfs.NewErrorFS(m, vfs.InjectorFunc(func(op vfs.Op) error {
		if op.Kind == vfs.OpClose {
			return vfs.ErrInjected
		}
		return nil
	}))
	h, err := e2.Open("g")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); !errors.Is(err, vfs.ErrInjected) {
		t.Errorf("Close: got %v, want ErrInjected", err)
	}
	if _, err := h.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after failed Close: got %v, want ErrClosed", err)
	}
}

func TestErrorFSPassesRealErrors(t *testing.T) {
	e := vfs.NewErrorFS(vfs.NewMem(), vfs.OnIndex(100))
	_, err := e.Open("missing")
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, vfs.ErrInjected) {
		t.Errorf("Open missing: got %v, want ErrNotExist and not ErrInjected", err)
	}
}

// TestErrorFSConcurrent checks that concurrent use counts every operation once.
func TestErrorFSConcurrent(t *testing.T) {
	m := vfs.NewMem()
	writeFile(t, m, "f", "0123456789", true)
	e := vfs.NewErrorFS(m, vfs.OnIndex(-1))
	f, err := e.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, reads = 4, 200
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 3)
			for i := 0; i < reads; i++ {
				if _, err := f.ReadAt(buf, int64(i%7)); err != nil {
					t.Error(err)
					return
				}
				if _, err := e.Stat("f"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, want := e.Ops(), int64(1+goroutines*reads*2); got != want {
		t.Errorf("Ops: got %d, want %d", got, want)
	}
}

func TestOpKindString(t *testing.T) {
	for k, want := range map[vfs.OpKind]string{vfs.OpCreate: "create", vfs.OpClose: "close", vfs.OpKind(99): "OpKind(99)"} {
		if got := k.String(); got != want {
			t.Errorf("OpKind(%d).String(): got %q, want %q", int(k), got, want)
		}
	}
}

// TestOSLock checks the operating system's lock: exclusive, released by
// Close.
func TestOSLock(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := vfs.Default.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	if l2, err := vfs.Default.Lock(name); !errors.Is(err, vfs.ErrLocked) {
		if l2 != nil {
			l2.Close()
		}
		t.Fatalf("second Lock: got %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = vfs.Default.Lock(name)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	l.Close()
}
