package hints

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
	"wcdb/mutation"
)

// TestCrash simulates a power loss before and after Sync: what was synced
// survives, in order; what was not may be lost, but only from the end. Odd
// trials keep one file per target, so that its unsynced tail can be torn.
func TestCrash(t *testing.T) {
	tornLogged := 0
	defer func() {
		if !t.Failed() && tornLogged == 0 {
			t.Errorf("no torn tail was cut in any trial")
		}
	}()
	for _, c := range []struct {
		name  string
		torn  bool
		synce bool
	}{{"before sync", false, false}, {"after sync", false, true}, {"after sync, torn", true, true}} {
		for trial := range 4 {
			t.Run(fmt.Sprintf("%s/%d", c.name, trial), func(t *testing.T) {
				mem := vfs.NewMem()
				opts := testOptions(mem)
				if trial%2 == 1 {
					opts.MaxFileSize = 1 << 20
				}
				s := mustOpen(t, opts)
				synced := 0
				const total = 90
				for i := range total {
					addRange(t, s, "a", i, i+1)
					addRange(t, s, "b", 1000+i, 1000+i+1)
					if c.synce && i == 20+15*trial {
						if err := s.Sync(); err != nil {
							t.Fatal(err)
						}
						synced = i + 1
					}
				}
				var crashed *vfs.MemFS
				if c.torn {
					crashed = mem.CrashTorn(rand.New(rand.NewPCG(uint64(trial), 1)))
				} else {
					crashed = mem.Crash()
				}
				mustClose(t, s)

				logs := &logRecorder{}
				s = mustOpen(t, Options{FS: crashed, Dir: testDir, Logf: logs.logf})
				defer mustClose(t, s)
				for k, target := range []string{"a", "b"} {
					got := replayIDs(t, s, target)
					if len(got) < synced {
						t.Fatalf("%s: %d hints after the crash, %d were synced", target, len(got), synced)
					}
					checkIDs(t, target, got, seq(k*1000, k*1000+len(got)))
				}
				if logs.contains("torn tail") {
					tornLogged++
				}
				t.Logf("%d synced, logs:\n%s", synced, logs)
			})
		}
	}
}

// TestBackgroundSync: with no Sync call, hints become durable within
// SyncPeriod.
func TestBackgroundSync(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	opts.SyncPeriod = time.Millisecond
	s := mustOpen(t, opts)
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 5)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		c := mustOpen(t, Options{FS: mem.Crash(), Dir: testDir, SyncPeriod: time.Hour})
		n, _ := c.Pending("a")
		mustClose(t, c)
		if n == 5 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s at SyncPeriod 1 ms, %d of 5 hints survive a crash", n)
		}
	}
}

// writeHints adds hints from..to-1 for target in a fresh store on mem and
// closes it; it returns the path of the (single) file written.
func writeHints(t *testing.T, mem *vfs.MemFS, target string, from, to int) string {
	t.Helper()
	opts := testOptions(mem)
	opts.MaxFileSize = 1 << 20
	s := mustOpen(t, opts)
	addRange(t, s, target, from, to)
	mustClose(t, s)
	files := hintFiles(t, mem)
	if len(files) != 1 {
		t.Fatalf("%d hint files, want 1", len(files))
	}
	return testDir + "/" + files[0]
}

func rewrite(t *testing.T, fs vfs.FS, path string, data []byte) {
	t.Helper()
	f, err := fs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTornTail appends every partial prefix of a record, and a zero-filled
// block, to a hint file: Open cuts it, logs it, and every whole hint replays.
func TestTornTail(t *testing.T) {
	mem := vfs.NewMem()
	path := writeHints(t, mem, "a", 0, 10)
	good, err := vfs.ReadFile(mem, path)
	if err != nil {
		t.Fatal(err)
	}
	rec := appendRecord(nil, 1, testMut(10))
	tails := [][]byte{make([]byte, 64)}
	for n := 1; n < len(rec); n++ {
		tails = append(tails, rec[:n])
	}
	for _, tail := range tails {
		rewrite(t, mem, path, append(slices.Clone(good), tail...))
		logs := &logRecorder{}
		opts := testOptions(mem)
		opts.Logf = logs.logf
		s := mustOpen(t, opts)
		if !logs.contains("torn tail") {
			t.Fatalf("tail of %d bytes: no torn tail logged; logs:\n%s", len(tail), logs)
		}
		fi, err := mem.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != int64(len(good)) {
			t.Fatalf("tail of %d bytes: file is %d bytes after Open, want %d", len(tail), fi.Size(), len(good))
		}
		if n, _ := s.Pending("a"); n != 10 {
			t.Fatalf("tail of %d bytes: Pending = %d, want 10", len(tail), n)
		}
		if tail := len(tail); tail == len(rec)-1 {
			checkIDs(t, "a", replayIDs(t, s, "a"), seq(0, 10))
		}
		mustClose(t, s)
	}
}

// TestCorruption flips each byte of a hint file in turn, before Open and
// after it: the hints before the damaged record replay, exactly; none
// after it does, and the damage is logged.
func TestCorruption(t *testing.T) {
	const n = 6
	base := vfs.NewMem()
	path := writeHints(t, base, "a", 0, n)
	good, err := vfs.ReadFile(base, path)
	if err != nil {
		t.Fatal(err)
	}
	// ends[k] is the offset after record k.
	var ends []int
	for off := 0; off < len(good); {
		off += len(appendRecord(nil, 0, testMut(len(ends))))
		ends = append(ends, off)
	}
	if ends[n-1] != len(good) {
		t.Fatalf("records end at %v, file is %d bytes", ends, len(good))
	}
	for _, afterOpen := range []bool{false, true} {
		for off := range good {
			mem := base.Crash() // an independent copy
			bad := slices.Clone(good)
			bad[off] ^= 0x41
			damaged, _ := slices.BinarySearch(ends, off+1) // the record holding off
			logs := &logRecorder{}
			opts := testOptions(mem)
			opts.Logf = logs.logf
			if !afterOpen {
				rewrite(t, mem, path, bad)
			}
			s := mustOpen(t, opts)
			if afterOpen {
				rewrite(t, mem, path, bad)
			}
			got := replayIDs(t, s, "a")
			checkIDs(t, fmt.Sprintf("byte %d flipped (record %d), after open %v", off, damaged, afterOpen), got, seq(0, damaged))
			if !logs.contains("corrupt record") && !logs.contains("torn") && !logs.contains("no intact hint") {
				t.Fatalf("byte %d flipped: nothing logged", off)
			}
			if files := hintFiles(t, mem); len(files) != 0 {
				t.Fatalf("byte %d flipped: files left after replay: %q", off, files)
			}
			mustClose(t, s)
		}
	}
}

// TestWriteFailure fails writes for a while: Add and Sync report it, the
// hints lost are counted, and the store works again once the disk does.
func TestWriteFailure(t *testing.T) {
	var failing atomic.Bool
	inj := vfs.InjectorFunc(func(op vfs.Op) error {
		if failing.Load() && (op.Kind == vfs.OpWrite || op.Kind == vfs.OpCreate) {
			return fmt.Errorf("%w: %s", vfs.ErrInjected, op)
		}
		return nil
	})
	mem := vfs.NewMem()
	opts := testOptions(vfs.NewErrorFS(mem, inj))
	s := mustOpen(t, opts)
	addRange(t, s, "a", 0, 20)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	var addErr error
	for i := 20; i < 40 && addErr == nil; i++ {
		addErr = s.Add("a", testMut(i))
	}
	if !errors.Is(addErr, vfs.ErrInjected) {
		t.Fatalf("Add with writes failing: got %v, want the injected error", addErr)
	}
	if err := s.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Sync after lost hints: got %v, want the injected error", err)
	}
	if m := s.Metrics(); m.Lost == 0 {
		t.Fatalf("metrics %+v: want some Lost", m)
	}
	failing.Store(false)
	addRange(t, s, "a", 100, 110)
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync once the disk works: %v", err)
	}
	mustClose(t, s)
	s = mustOpen(t, testOptions(mem.Crash()))
	defer mustClose(t, s)
	got := replayIDs(t, s, "a")
	// 0..19 were synced; some of 20..39 may have reached a file before the
	// failure; 100..109 were synced after.
	if !slices.Equal(got[:20], seq(0, 20)) || !slices.Equal(got[len(got)-10:], seq(100, 110)) {
		t.Fatalf("replayed %v, want 0..19, maybe some of 20..39, then 100..109", got)
	}
}

// TestErrorInjection fails every file operation of a small workload in
// turn (open, adds with rotation, sync, replay, drop, close). Each run must
// return only the injected error, never panic; reopening after a crash at
// that point must work, replay only intact hints of the right target in
// order, and keep every hint a successful Sync or Close made durable that
// was not replayed or dropped since.
func TestErrorInjection(t *testing.T) {
	targets := []string{"a", "b", "c"}
	// attempted: hints passed to Add; added: hints Add accepted; gone: hints sent or dropped since; durable:
	// what the last successful Sync or Close covered, less what is gone.
	var attempted, added, durable map[string][]int
	var gone map[string]map[int]bool
	consume := func(target string, id int) {
		gone[target][id] = true
		if i := slices.Index(durable[target], id); i >= 0 {
			durable[target] = slices.Delete(durable[target], i, i+1)
		}
	}
	markDurable := func() {
		for _, target := range targets {
			durable[target] = nil
			for _, id := range added[target] {
				if !gone[target][id] {
					durable[target] = append(durable[target], id)
				}
			}
		}
	}
	loop := vfstest.Loop{
		MaxOps: 2000,
		Run: func(fs vfs.FS) (err error) {
			attempted, added, durable = map[string][]int{}, map[string][]int{}, map[string][]int{}
			gone = map[string]map[int]bool{}
			for _, target := range targets {
				gone[target] = map[int]bool{}
			}
			opts := testOptions(fs)
			opts.MaxFileSize = 700
			opts.BufferSize = 300
			opts.ReplayBatchSize = 3
			s, err := Open(opts)
			if err != nil {
				return err
			}
			closed := false
			defer func() {
				if !closed {
					if cerr := s.Close(); err == nil {
						err = cerr
					}
				}
			}()
			add := func(target string, from, to int) error {
				for i := from; i < to; i++ {
					attempted[target] = append(attempted[target], i)
					if err := s.Add(target, testMut(i)); err != nil {
						return err
					}
					added[target] = append(added[target], i)
				}
				return nil
			}
			send := func(target string) SendFunc {
				return func(_ context.Context, b []*mutation.Mutation) error {
					for _, m := range b {
						consume(target, hintIDNoTest(m))
					}
					return nil
				}
			}
			if err := add("a", 0, 12); err != nil {
				return err
			}
			if err := add("b", 100, 110); err != nil {
				return err
			}
			if err := add("c", 200, 205); err != nil {
				return err
			}
			if err := s.Sync(); err != nil {
				return err
			}
			markDurable()
			if _, err := s.Replay(context.Background(), "a", send("a")); err != nil {
				return err
			}
			if err := add("a", 12, 16); err != nil {
				return err
			}
			for _, id := range added["c"] {
				consume("c", id)
			}
			if err := s.Drop("c"); err != nil {
				return err
			}
			if err := add("b", 110, 114); err != nil {
				return err
			}
			closed = true
			if err := s.Close(); err != nil {
				return err
			}
			markDurable()
			// A second life: replay b after a restart.
			s2, err := Open(opts)
			if err != nil {
				return err
			}
			_, err = s2.Replay(context.Background(), "b", send("b"))
			if cerr := s2.Close(); err == nil {
				err = cerr
			}
			return err
		},
		Check: func(t testing.TB, fs *vfs.MemFS, runErr error) {
			for _, after := range []*vfs.MemFS{fs.Crash(), fs} {
				s, err := Open(Options{FS: after, Dir: testDir, SyncPeriod: time.Hour})
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
				for _, target := range targets {
					got := replayIDs(t, s, target)
					for i, id := range got {
						if !slices.Contains(attempted[target], id) {
							t.Fatalf("%s: replayed hint %d, never added for it", target, id)
						}
						if i > 0 && got[i-1] >= id {
							t.Fatalf("%s: replayed %v: out of order or duplicated", target, got)
						}
					}
					for _, id := range durable[target] {
						if !slices.Contains(got, id) {
							t.Fatalf("%s: durable hint %d lost (replayed %v, durable %v)", target, id, got, durable[target])
						}
					}
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	runs := loop.Do(t)
	t.Logf("%d runs", runs)
}

// hintIDNoTest is hintID for a workload, which has no testing.TB: Check
// verifies the bytes of whatever survives.
func hintIDNoTest(m *mutation.Mutation) int {
	var id int
	fmt.Sscanf(string(m.Partition.Key.Bytes), "key-%d", &id)
	return id
}

// TestErrorInjectionRecovery fails every file operation in turn of Open on
// damaged files (a torn tail to cut, a corrupt record to skip) and of the
// Replay after it: only injected errors come back, and whatever is left
// replays as intact hints, in order, never past the damage.
func TestErrorInjectionRecovery(t *testing.T) {
	setup := func(t testing.TB, mem *vfs.MemFS) {
		opts := testOptions(mem)
		opts.MaxFileSize = 1 << 20
		s := mustOpen(t, opts)
		addRange(t, s, "a", 0, 8)
		mustClose(t, s)
		s = mustOpen(t, opts)
		addRange(t, s, "b", 100, 108)
		mustClose(t, s)
		for _, name := range hintFiles(t, mem) {
			path := testDir + "/" + name
			data, err := vfs.ReadFile(mem, path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(name, "a-") {
				data = append(data, appendRecord(nil, 0, testMut(8))[:20]...) // torn tail
			} else {
				data[len(data)-30] ^= 1 // corrupt the last record
			}
			f, err := mem.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(data)
			f.Sync()
			f.Close()
		}
	}
	var sent map[string][]int
	loop := vfstest.Loop{
		MaxOps: 500,
		Setup:  setup,
		Run: func(fs vfs.FS) error {
			sent = map[string][]int{}
			s, err := Open(testOptions(fs))
			if err != nil {
				return err
			}
			for _, target := range []string{"a", "b"} {
				_, err = s.Replay(context.Background(), target, func(_ context.Context, b []*mutation.Mutation) error {
					for _, m := range b {
						sent[target] = append(sent[target], hintIDNoTest(m))
					}
					return nil
				})
				if err != nil {
					break
				}
			}
			if cerr := s.Close(); err == nil {
				err = cerr
			}
			return err
		},
		Check: func(t testing.TB, fs *vfs.MemFS, runErr error) {
			s, err := Open(Options{FS: fs.Crash(), Dir: testDir, SyncPeriod: time.Hour})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			a, b := replayIDs(t, s, "a"), replayIDs(t, s, "b")
			// What was sent may come back (removals need not be durable);
			// nothing past the damage ever does.
			checkIDs(t, "a", a, seq(0, len(a)))
			checkIDs(t, "b", b, seq(100, 100+len(b)))
			if len(a) > 8 || len(b) > 7 {
				t.Fatalf("replayed a %v, b %v: past the damage", a, b)
			}
			if runErr == nil && (len(sent["a"]) != 8 || len(sent["b"]) != 7) {
				t.Fatalf("run without injection sent a %v, b %v; want 8 and 7 hints", sent["a"], sent["b"])
			}
		},
	}
	t.Logf("%d runs", loop.Do(t))
}
