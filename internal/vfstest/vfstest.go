// Package vfstest holds test helpers built on vfs.MemFS and vfs.ErrorFS.
//
// The main one is the error-injection loop (STYLE.md, after Pebble's
// error_test.go): run a workload with operation 0 failing, then with
// operation 1 failing, and so on until a run sees no injected error. Every
// error the workload returns must be one that was injected, and after each
// run the caller checks what is left on disk, live or after a crash.
package vfstest

import (
	"errors"
	"fmt"
	"testing"

	"wcdb/internal/vfs"
)

// DefaultMaxOps bounds a Loop whose MaxOps is zero.
const DefaultMaxOps = 100_000

// Loop describes an error-injection test. Only Run is required.
//
// Each run starts on a fresh MemFS, so the loop costs about N²/2 operations
// for a workload of N: keep workloads to hundreds or a few thousand ops.
type Loop struct {
	// Setup, if set, prepares each fresh MemFS before injection starts; its
	// operations are neither counted nor failed.
	Setup func(t testing.TB, fs *vfs.MemFS)
	// Run is the workload. It must use only fs, be deterministic and
	// single-threaded (so that op i is the same op every time), and return
	// any error it could not handle. It may swallow errors it handles.
	Run func(fs vfs.FS) error
	// Check, if set, runs after every run, the last (uninjected) one
	// included. fs is the MemFS the workload used, as it left it: reopen
	// from it to check the live state, or from fs.Crash() for what a power
	// loss at that moment would keep. runErr is what Run returned, nil or
	// an error wrapping vfs.ErrInjected.
	Check func(t testing.TB, fs *vfs.MemFS, runErr error)
	// MaxOps fails the test if the workload does more than MaxOps
	// operations (counted as the injector counts them); 0 means
	// DefaultMaxOps. It catches a workload that never finishes.
	MaxOps int64
	// WritesOnly fails only mutating operations (vfs.WritesOnly): fewer
	// runs, for workloads whose reads are not the point.
	WritesOnly bool
}

// Do runs the loop: for i = 0, 1, …, a fresh MemFS (after Setup) is wrapped
// in a vfs.ErrorFS that fails op i, Run runs on it and Check looks at the
// result. The loop stops after the first run in which nothing was injected
// and returns how many runs there were. It fails the test (t.Fatal) if Run
// returns an error that was not injected, or if it does more than MaxOps
// operations. A
// failure inside Check is reported with the index of the injected op.
func (l Loop) Do(t testing.TB) int64 {
	t.Helper()
	maxOps := l.MaxOps
	if maxOps == 0 {
		maxOps = DefaultMaxOps
	}
	for i := int64(0); ; i++ {
		if i > maxOps {
			t.Fatalf("vfstest: workload does more than %d ops (op %d was reached and failed); raise MaxOps", maxOps, i-1)
		}
		if !l.runOnce(t, i) {
			return i + 1
		}
	}
}

// runOnce runs the workload with op i failing and reports whether an error
// was injected.
func (l Loop) runOnce(t testing.TB, i int64) bool {
	t.Helper()
	mem := vfs.NewMem()
	if l.Setup != nil {
		l.Setup(t, mem)
	}
	var inj vfs.Injector = vfs.OnIndex(i)
	what := "op"
	if l.WritesOnly {
		inj = vfs.WritesOnly(inj)
		what = "mutating op"
	}
	efs := vfs.NewErrorFS(mem, inj)
	err := l.Run(efs)
	injected := efs.Injected() > 0
	where := fmt.Sprintf("with an error injected at %s %d", what, i)
	if !injected {
		where = fmt.Sprintf("in the run without injection (%d ops)", efs.Ops())
	}
	if err != nil && !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("vfstest: %s: workload returned an error that was not injected: %v", where, err)
	}
	if err != nil && !injected {
		t.Fatalf("vfstest: %s: workload returned an injected error from elsewhere: %v", where, err)
	}
	if l.Check != nil {
		// A deferred log still runs when Check calls t.Fatal (runtime.Goexit).
		failedBefore := t.Failed()
		defer func() {
			if !failedBefore && t.Failed() {
				t.Logf("vfstest: the failure above is %s (run error: %v)", where, err)
			}
		}()
		l.Check(t, mem, err)
	}
	return injected
}

// ErrorInjectionLoop is Loop{Run: run, Check: check, MaxOps: maxOps}.Do(t):
// it runs run with op 0, 1, … failing until a run sees no injection, fails
// the test on any error that was not injected, and calls check after every
// run (check may be nil). It returns the number of runs.
func ErrorInjectionLoop(t testing.TB, maxOps int64, run func(fs vfs.FS) error, check func(t testing.TB, fs *vfs.MemFS, runErr error)) int64 {
	t.Helper()
	return Loop{Run: run, Check: check, MaxOps: maxOps}.Do(t)
}
