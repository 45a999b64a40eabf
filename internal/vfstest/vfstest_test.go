package vfstest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
)

func readFile(t testing.TB, fsys vfs.FS, name string) string {
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

// TestLoopWriteFileAtomic is the pattern in use: replace a manifest
// atomically; whatever op fails, a crash leaves the old or the new version,
// and once the write has returned nil, the new one.
func TestLoopWriteFileAtomic(t *testing.T) {
	var injectedErrs int
	runs := vfstest.Loop{
		Setup: func(t testing.TB, m *vfs.MemFS) {
			if err := vfs.WriteFileAtomic(m, "/MANIFEST", []byte("v1")); err != nil {
				t.Fatal(err)
			}
		},
		Run: func(fsys vfs.FS) error {
			return vfs.WriteFileAtomic(fsys, "/MANIFEST", []byte("v2"))
		},
		Check: func(t testing.TB, m *vfs.MemFS, runErr error) {
			if runErr != nil {
				injectedErrs++
			}
			got := readFile(t, m.Crash(), "/MANIFEST")
			if got != "v1" && got != "v2" {
				t.Fatalf("after crash: got %q, want \"v1\" or \"v2\"", got)
			}
			if runErr == nil && got != "v2" {
				t.Fatalf("after crash following success: got %q, want \"v2\"", got)
			}
		},
	}.Do(t)
	// Create, Write, Sync, Close, Rename, SyncDir, then one clean run.
	if runs != 7 || injectedErrs != 6 {
		t.Errorf("runs %d with %d errors, want 7 with 6", runs, injectedErrs)
	}
}

func TestLoopWritesOnly(t *testing.T) {
	var kinds []string
	runs := vfstest.Loop{
		Setup: func(t testing.TB, m *vfs.MemFS) {
			if err := vfs.WriteFileAtomic(m, "/f", []byte("x")); err != nil {
				t.Fatal(err)
			}
		},
		Run: func(fsys vfs.FS) error {
			if _, err := vfs.ReadFile(fsys, "/f"); err != nil { // reads are never failed
				return fmt.Errorf("read: %w", err)
			}
			return vfs.WriteFileAtomic(fsys, "/f", []byte("y"))
		},
		Check: func(t testing.TB, _ *vfs.MemFS, runErr error) {
			if runErr != nil {
				kinds = append(kinds, strings.Fields(runErr.Error())[0])
			}
		},
		WritesOnly: true,
	}.Do(t)
	// Close is not a mutating op.
	want := []string{"create", "write", "sync", "rename", "syncdir"}
	if runs != 6 || fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("runs %d failing %v, want 6 failing %v", runs, kinds, want)
	}
}

func TestErrorInjectionLoopSwallowedErrors(t *testing.T) {
	// A workload that ignores some errors still ends: the loop stops when
	// nothing was injected, not when Run first returns nil.
	var sawNil bool
	runs := vfstest.ErrorInjectionLoop(t, 100, func(fsys vfs.FS) error {
		f, err := fsys.Create("/f")
		if err != nil {
			return err
		}
		f.Write([]byte("ignored"))
		f.Close()
		return nil
	}, func(t testing.TB, m *vfs.MemFS, runErr error) {
		if runErr == nil {
			sawNil = true
		}
	})
	if runs != 4 || !sawNil {
		t.Errorf("runs %d, saw nil error %v, want 4, true", runs, sawNil)
	}
}

// fakeTB records failures instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// runFake runs fn with a fakeTB in its own goroutine (Fatal ends it) and
// returns the messages.
func runFake(t *testing.T, fn func(tb testing.TB)) (failed bool, msgs string) {
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ft)
	}()
	<-done
	return ft.Failed(), strings.Join(ft.msgs, "\n")
}

func TestLoopFailsOnRealError(t *testing.T) {
	failed, msgs := runFake(t, func(tb testing.TB) {
		vfstest.ErrorInjectionLoop(tb, 100, func(fsys vfs.FS) error {
			if err := fsys.MkdirAll("/d", 0o755); err != nil {
				return err
			}
			_, err := fsys.Open("/d/missing") // a bug: not an injected error
			return err
		}, nil)
	})
	if !failed || !strings.Contains(msgs, "not injected") || !strings.Contains(msgs, "without injection (2 ops)") {
		t.Errorf("got failed=%v, messages %q; want a \"not injected\" failure in the run without injection", failed, msgs)
	}
}

func TestLoopReportsIndexOfCheckFailure(t *testing.T) {
	failed, msgs := runFake(t, func(tb testing.TB) {
		vfstest.ErrorInjectionLoop(tb, 100, func(fsys vfs.FS) error {
			return vfs.WriteFileAtomic(fsys, "/f", []byte("data"))
		}, func(t testing.TB, m *vfs.MemFS, runErr error) {
			// A deliberately wrong check: claims the data is always durable.
			if got := readFile(t, m.Crash(), "/f"); got != "data" {
				t.Fatalf("got %q, want \"data\"", got)
			}
		})
	})
	if !failed || !strings.Contains(msgs, "injected at op 0") {
		t.Errorf("got failed=%v, messages %q; want a failure naming op 0", failed, msgs)
	}
}

func TestLoopMaxOps(t *testing.T) {
	failed, msgs := runFake(t, func(tb testing.TB) {
		vfstest.ErrorInjectionLoop(tb, 3, func(fsys vfs.FS) error {
			for i := 0; i < 10; i++ {
				if err := fsys.MkdirAll("/d", 0o755); err != nil {
					return err
				}
			}
			return nil
		}, nil)
	})
	if !failed || !strings.Contains(msgs, "more than 3 ops") {
		t.Errorf("got failed=%v, messages %q; want a MaxOps failure", failed, msgs)
	}
	// Exactly MaxOps ops is fine.
	failed, msgs = runFake(t, func(tb testing.TB) {
		vfstest.ErrorInjectionLoop(tb, 3, func(fsys vfs.FS) error {
			for i := 0; i < 3; i++ {
				if err := fsys.MkdirAll("/d", 0o755); err != nil {
					return err
				}
			}
			return nil
		}, nil)
	})
	if failed {
		t.Errorf("3 ops with MaxOps 3: failed with %q", msgs)
	}
}
