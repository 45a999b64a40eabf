package commitlog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"wcdb/internal/vfs"
)

// This file tests what the log does when the disk fails (ENOSPC, as a full
// disk gives): the appends covered fail, Options.OnError is told, and the
// log writes again by itself once the disk does, losing nothing it
// acknowledged and leaving no torn record where replay would take it for
// corruption.

// enospc is an ErrorFS injector that fails every operation of the given
// kinds with ENOSPC while armed.
type enospc struct {
	kinds []vfs.OpKind
	armed atomic.Bool
}

func (e *enospc) MaybeError(op vfs.Op) error {
	if e.armed.Load() && slices.Contains(e.kinds, op.Kind) {
		return syscall.ENOSPC
	}
	return nil
}

// errorLog collects what OnError is told.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (r *errorLog) onError(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *errorLog) list() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

// waitErrors waits until OnError has been told n errors.
func (r *errorLog) waitErrors(t *testing.T, n int) []error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if errs := r.list(); len(errs) >= n {
			return errs
		}
		if time.Now().After(deadline) {
			t.Fatalf("OnError told %d errors, want %d", len(r.list()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// replayedContents replays a crashed copy of fs and returns how many times
// each record was replayed; replay must succeed.
func replayedContents(t *testing.T, fs *vfs.MemFS) map[string]int {
	t.Helper()
	got, err := replayAll(Options{FS: fs.Crash(), Dir: testDir})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	n := map[string]int{}
	for _, e := range got {
		n[string(e.rec)]++
	}
	return n
}

// TestFailureRecovers fails writes or fsyncs with ENOSPC: the appends they
// cover fail (in Periodic mode, the next Sync), OnError gets the error
// with the segment's name, appends during the failure fail, and once the
// disk works the next Append succeeds with no restart. Every acknowledged
// record is replayed after a power loss, the Periodic one acknowledged
// before its write failed included.
func TestFailureRecovers(t *testing.T) {
	for _, mode := range allModes {
		for _, kind := range []vfs.OpKind{vfs.OpWrite, vfs.OpSync} {
			t.Run(fmt.Sprintf("%v/%v", mode, kind), func(t *testing.T) {
				inj := &enospc{kinds: []vfs.OpKind{kind}}
				mem := vfs.NewMem()
				var told errorLog
				opts := Options{FS: vfs.NewErrorFS(mem, inj), Dir: testDir, Sync: mode,
					GroupWindow: 100 * time.Microsecond, OnError: told.onError}
				l, _ := openReplay(t, opts)
				acked := []string{}
				for _, e := range appendN(t, l, 0, 5) {
					acked = append(acked, string(e.rec))
				}
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}

				inj.armed.Store(true)
				var err error
				if mode == Periodic {
					// Acknowledged at once; the failure surfaces at Sync.
					if _, err := l.Append([]byte("doomed")); err != nil {
						t.Fatalf("Periodic Append: %v", err)
					}
					acked = append(acked, "doomed")
					err = l.Sync()
				} else {
					_, err = l.Append([]byte("doomed"))
				}
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("with the disk full: got %v, want ENOSPC", err)
				}
				errs := told.waitErrors(t, 1)
				if !errors.Is(errs[0], syscall.ENOSPC) || !strings.Contains(errs[0].Error(), "CommitLog-1-") {
					t.Fatalf("OnError got %v, want ENOSPC naming the segment", errs[0])
				}
				// Still full: an Append now waits for its write in every
				// mode, and fails.
				if _, err := l.Append([]byte("refused")); !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Append with the disk still full: got %v, want ENOSPC", err)
				}
				if err := l.Sync(); kind == vfs.OpSync && !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Sync with fsyncs failing: got %v, want ENOSPC", err)
				}

				inj.armed.Store(false)
				for _, e := range appendN(t, l, 100, 5) {
					acked = append(acked, string(e.rec))
				}
				if err := l.Sync(); err != nil {
					t.Fatalf("Sync once the disk works: %v", err)
				}
				if err := l.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				n := replayedContents(t, mem)
				for _, rec := range acked {
					if n[rec] != 1 {
						t.Errorf("acknowledged record %.16q replayed %d times, want 1", rec, n[rec])
					}
				}
				if mode != Periodic && kind == vfs.OpWrite && n["doomed"] > 0 {
					t.Errorf("a record whose Append failed before reaching the file was replayed")
				}
			})
		}
	}
}

// tornFS makes armed writes write half their bytes, then fail with ENOSPC,
// as a disk filling up mid-write does.
type tornFS struct {
	vfs.FS
	armed atomic.Bool
}

func (f *tornFS) Create(name string) (vfs.File, error) {
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &tornFile{File: file, fs: f}, nil
}

type tornFile struct {
	vfs.File
	fs *tornFS
}

func (f *tornFile) Write(p []byte) (int, error) {
	if !f.fs.armed.Load() {
		return f.File.Write(p)
	}
	n, err := f.File.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	return n, syscall.ENOSPC
}

// TestTornWriteRecovers fails writes half-way, several times in a row
// (the first in the middle of a segment, the next ones on the header of a
// fresh segment), then lets them through: the log writes again, and replay
// after a power loss finds every acknowledged record and no corruption:
// the torn segment was cut back before the log moved on, and the segments
// whose header never got written are gone.
func TestTornWriteRecovers(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			mem := vfs.NewMem()
			fs := &tornFS{FS: mem}
			var told errorLog
			l, _ := openReplay(t, Options{FS: fs, Dir: testDir, Sync: mode, SegmentSize: 4096,
				GroupWindow: 100 * time.Microsecond, OnError: told.onError})
			var acked []string
			for _, e := range appendN(t, l, 0, 10) {
				acked = append(acked, string(e.rec))
			}
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			fs.armed.Store(true)
			if mode == Periodic {
				if _, err := l.Append(payload(10)); err != nil {
					t.Fatal(err)
				}
				acked = append(acked, string(payload(10)))
				told.waitErrors(t, 1)
			} else if _, err := l.Append(payload(10)); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("torn write: got %v, want ENOSPC", err)
			}
			for i := range 3 {
				if _, err := l.Append(payload(20 + i)); !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Append %d with writes still torn: got %v, want ENOSPC", i, err)
				}
			}
			fs.armed.Store(false)
			for _, e := range appendN(t, l, 30, 10) {
				acked = append(acked, string(e.rec))
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := len(told.list()); got != 4 {
				t.Errorf("OnError told %d errors, want 4", got)
			}
			n := replayedContents(t, mem)
			for _, rec := range acked {
				if n[rec] != 1 {
					t.Errorf("acknowledged record %.16q replayed %d times, want 1", rec, n[rec])
				}
			}
			for i := 20; i < 23; i++ {
				if n[string(payload(i))] > 0 {
					t.Errorf("record %d, whose Append failed, was replayed", i)
				}
			}
		})
	}
}

// TestCloseWritesRetained: a Periodic record acknowledged before its write
// failed is written by Close if the disk works by then.
func TestCloseWritesRetained(t *testing.T) {
	inj := &enospc{kinds: []vfs.OpKind{vfs.OpWrite}}
	mem := vfs.NewMem()
	var told errorLog
	l, _ := openReplay(t, Options{FS: vfs.NewErrorFS(mem, inj), Dir: testDir, OnError: told.onError})
	appendN(t, l, 0, 3)
	inj.armed.Store(true)
	if _, err := l.Append([]byte("acked")); err != nil {
		t.Fatal(err)
	}
	told.waitErrors(t, 1)
	inj.armed.Store(false)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := replayedContents(t, mem); n["acked"] != 1 {
		t.Fatalf("the acknowledged record was replayed %d times, want 1", n["acked"])
	}
}

// TestFailureConcurrent fails fsyncs for a while under concurrent Batch
// and Periodic appenders that retry what fails: after a power loss every
// acknowledged record is replayed.
func TestFailureConcurrent(t *testing.T) {
	for _, mode := range []SyncMode{Periodic, Batch} {
		t.Run(mode.String(), func(t *testing.T) {
			inj := &enospc{kinds: []vfs.OpKind{vfs.OpSync, vfs.OpWrite}}
			mem := vfs.NewMem()
			l, _ := openReplay(t, Options{FS: vfs.NewErrorFS(mem, inj), Dir: testDir, Sync: mode, SegmentSize: 8192})
			var mu sync.Mutex
			var acked []string
			var failures atomic.Int64
			var wg sync.WaitGroup
			started := make(chan struct{})
			var once sync.Once
			wg.Go(func() {
				<-started
				inj.armed.Store(true)
				time.Sleep(20 * time.Millisecond)
				inj.armed.Store(false)
			})
			for w := range 16 {
				wg.Go(func() {
					for i := range 200 {
						if i == 20 {
							once.Do(func() { close(started) })
						}
						rec := payload(w*10000 + i)
						for {
							_, err := l.Append(rec)
							if err == nil {
								break
							}
							if !errors.Is(err, syscall.ENOSPC) {
								t.Errorf("Append: got %v, want nil or ENOSPC", err)
								return
							}
							failures.Add(1)
							time.Sleep(50 * time.Microsecond)
						}
						mu.Lock()
						acked = append(acked, string(rec))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if failures.Load() == 0 && mode == Batch {
				t.Errorf("no Append failed with the disk failing")
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			n := replayedContents(t, mem)
			for _, rec := range acked {
				if n[rec] == 0 {
					t.Fatalf("acknowledged record %.16q lost", rec)
				}
			}
			t.Logf("%d records acknowledged, %d appends failed and retried", len(acked), failures.Load())
		})
	}
}

// TestErrorInjectionRecovers runs a workload that retries what fails, with
// its i-th mutating file operation failing with ENOSPC, for i = 0, 1, ...
// until no error is injected: the workload always completes, every error
// is the injected one, and replay after a power loss has every
// acknowledged record (a failed append retried may be there twice: its
// write reached the file before its fsync failed).
func TestErrorInjectionRecovers(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			for i := int64(0); ; i++ {
				if i > 10000 {
					t.Fatal("workload never ran without an injected error")
				}
				mem := vfs.NewMem()
				efs := vfs.NewErrorFS(mem, vfs.WritesOnly(vfs.OnIndexErr(i, syscall.ENOSPC)))
				var told errorLog
				opts := Options{FS: efs, Dir: testDir, SegmentSize: 512, Sync: mode, GroupWindow: time.Nanosecond, OnError: told.onError}
				acked, err := retryingWorkload(opts)
				if err != nil && (!errors.Is(err, syscall.ENOSPC) || !errors.Is(err, vfs.ErrInjected)) {
					t.Fatalf("op %d: error not injected: %v", i, err)
				}
				for _, e := range told.list() {
					if !errors.Is(e, syscall.ENOSPC) {
						t.Fatalf("op %d: OnError told %v, want the injected ENOSPC", i, e)
					}
				}
				n := replayedContents(t, mem)
				for _, rec := range acked {
					if n[rec] == 0 {
						t.Fatalf("op %d: acknowledged record %.16q lost", i, rec)
					}
				}
				if efs.Injected() == 0 {
					t.Logf("workload ran without an injected error once %d mutating operations could all run", i)
					return
				}
			}
		})
	}
}

// retryingWorkload opens, appends across segments retrying what fails,
// syncs and releases half-way, syncs and closes; it returns the records
// acknowledged and the error of Open, Replay or Close (a failure there
// loses nothing: the last Sync succeeded).
func retryingWorkload(opts Options) (acked []string, err error) {
	l, err := Open(opts)
	if err != nil {
		return nil, err
	}
	if err := l.Replay(func(Position, []byte) error { return nil }); err != nil {
		l.Close()
		return nil, err
	}
	retry := func(op func() error) error {
		var err error
		for range 5 {
			if err = op(); err == nil {
				return nil
			}
			if !errors.Is(err, syscall.ENOSPC) {
				return err
			}
		}
		return fmt.Errorf("still failing after 5 tries: %w", err)
	}
	for i := range 30 {
		rec := payload(i)
		var pos Position
		if err := retry(func() (err error) { pos, err = l.Append(rec); return err }); err != nil {
			l.Close()
			return acked, err
		}
		acked = append(acked, string(rec))
		if i == 15 {
			if err := retry(l.Sync); err != nil {
				l.Close()
				return acked, err
			}
			if err := retry(func() error { return l.Release(pos) }); err != nil {
				l.Close()
				return acked, err
			}
			// Released: what came before rec need not be replayed.
			acked = []string{string(rec)}
		}
	}
	if err := retry(l.Sync); err != nil {
		l.Close()
		return acked, err
	}
	return acked, l.Close()
}
