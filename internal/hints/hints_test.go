package hints

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// Target ids of several shapes: a host id, an address, bytes that need
// escaping, upper case, and the longest allowed.
var testTargets = []string{
	"550e8400-e29b-41d4-a716-446655440000",
	"127.0.0.2:7000",
	"Node/../x y\x00\xff",
	"n",
	strings.Repeat("Z", MaxTargetLen),
}

// TestRoundTrip adds many hints for several targets, interleaved, across
// file rotations, and replays them after a restart: each target gets its
// own hints, all of them, in order, and the files are gone after.
func TestRoundTrip(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	s := mustOpen(t, opts)
	const each = 150
	for i := range each {
		for k, target := range testTargets {
			addRange(t, s, target, k*10000+i, k*10000+i+1)
		}
	}
	for k, target := range testTargets {
		if n, b := s.Pending(target); n != each || b <= 0 {
			t.Fatalf("Pending(%q) = %d, %d; want %d hints", target, n, b, each)
		}
		if k == 0 && len(fileRecs(s, target)) < 3 {
			t.Fatalf("%q has %d files, want rotation into several", target, len(fileRecs(s, target)))
		}
	}
	want := slices.Clone(testTargets)
	slices.Sort(want)
	if got := s.Targets(); !slices.Equal(got, want) {
		t.Fatalf("Targets() = %q, want %q", got, want)
	}
	mustClose(t, s)

	s = mustOpen(t, opts)
	defer mustClose(t, s)
	if got := s.Targets(); !slices.Equal(got, want) {
		t.Fatalf("after reopen Targets() = %q, want %q", got, want)
	}
	if m := s.Metrics(); m.DiskBytes <= 0 {
		t.Fatalf("after reopen DiskBytes = %d, want > 0", m.DiskBytes)
	}
	for k, target := range testTargets {
		if n, _ := s.Pending(target); n != each {
			t.Fatalf("after reopen Pending(%q) = %d, want %d", target, n, each)
		}
		checkIDs(t, target, replayIDs(t, s, target), seq(k*10000, k*10000+each))
		if n, b := s.Pending(target); n != 0 || b != 0 {
			t.Fatalf("after Replay Pending(%q) = %d, %d; want 0, 0", target, n, b)
		}
	}
	if got := s.Targets(); len(got) != 0 {
		t.Fatalf("after replay Targets() = %q, want none", got)
	}
	if files := hintFiles(t, mem); len(files) != 0 {
		t.Fatalf("after replay hint files left: %q", files)
	}
	m := s.Metrics()
	if m.Replayed != int64(each*len(testTargets)) || m.DiskBytes != 0 {
		t.Fatalf("metrics %+v: want Replayed %d, DiskBytes 0", m, each*len(testTargets))
	}
}

// TestReplayWithoutRestart replays hints still buffered in memory, and an
// unknown target.
func TestReplayWithoutRestart(t *testing.T) {
	s := mustOpen(t, Options{FS: vfs.NewMem(), Dir: testDir})
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 10)
	checkIDs(t, "a", replayIDs(t, s, "a"), seq(0, 10))
	checkIDs(t, "unknown", replayIDs(t, s, "unknown"), nil)
	if m := s.Metrics(); m.Written != 10 || m.Replayed != 10 || m.Replaying != 0 {
		t.Fatalf("metrics %+v: want Written 10, Replayed 10, none replaying", m)
	}
	addRange(t, s, "a", 10, 11)
	var during Metrics
	if _, err := s.Replay(context.Background(), "a", func(context.Context, []*mutation.Mutation) error {
		during = s.Metrics()
		return nil
	}); err != nil || during.Replaying != 1 {
		t.Fatalf("metrics while replaying %+v, %v: want one replaying", during, err)
	}
}

// TestReplayBatches checks the batch bounds: count and bytes.
func TestReplayBatches(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.MaxFileSize = 1 << 20
	opts.ReplayBatchSize = 7
	s := mustOpen(t, opts)
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 50)
	var sizes []int
	s.Replay(context.Background(), "a", func(_ context.Context, b []*mutation.Mutation) error {
		sizes = append(sizes, len(b))
		return nil
	})
	if want := []int{7, 7, 7, 7, 7, 7, 7, 1}; !slices.Equal(sizes, want) {
		t.Fatalf("batch sizes %v, want %v", sizes, want)
	}

	s.opts.ReplayBatchSize = 1000
	s.opts.ReplayBatchBytes = 600
	addRange(t, s, "a", 0, 50)
	sizes = sizes[:0]
	var bytesPer []int
	s.Replay(context.Background(), "a", func(_ context.Context, b []*mutation.Mutation) error {
		sizes = append(sizes, len(b))
		n := 0
		for _, m := range b {
			n += len(mutation.AppendMutation(nil, m)) + recordFixedSize
		}
		bytesPer = append(bytesPer, n)
		return nil
	})
	total := 0
	for i, n := range bytesPer {
		total += sizes[i]
		// A batch closes at the first hint that reaches the bound.
		last := len(mutation.AppendMutation(nil, testMut(total-1))) + recordFixedSize
		if n-last >= 600 {
			t.Fatalf("batch %d holds %d bytes, past the 600-byte bound before its last hint", i, n)
		}
	}
	if total != 50 || len(sizes) < 5 {
		t.Fatalf("byte-bounded batches %v: want 50 hints in several batches", sizes)
	}
}

// TestReplayFailureResume fails a send midway: nothing is lost, a Replay in
// the same process resumes with the failed batch (no duplicates), and one
// after a restart resends only from the start of the file of the failed
// batch.
func TestReplayFailureResume(t *testing.T) {
	errSend := errors.New("replica unreachable")
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "same process", true: "restart"}[restart], func(t *testing.T) {
			mem := vfs.NewMem()
			opts := testOptions(mem)
			opts.ReplayBatchSize = 4
			s := mustOpen(t, opts)
			const total = 60
			addRange(t, s, "a", 0, total)
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			// seal, as Replay would, to see which hints each file holds
			if _, err := s.seal(s.mu.targets["a"]); err != nil {
				t.Fatal(err)
			}
			perFile := fileRecs(s, "a")
			if len(perFile) < 3 {
				t.Fatalf("%d files, want several", len(perFile))
			}

			var first []int
			calls := 0
			sent, err := s.Replay(context.Background(), "a", func(_ context.Context, b []*mutation.Mutation) error {
				calls++
				if calls == 5 {
					return errSend
				}
				for _, m := range b {
					first = append(first, hintID(t, m))
				}
				return nil
			})
			// Batches end at file ends, so four batches hold 4 to 16 hints.
			if !errors.Is(err, errSend) || sent != len(first) || sent < 4 || sent > 16 {
				t.Fatalf("failing Replay: got %d sent (send saw %d), %v; want 4 batches sent, %v", sent, len(first), err, errSend)
			}
			checkIDs(t, "before the failure", first, seq(0, sent))
			if n, _ := s.Pending("a"); n != total-sent {
				t.Fatalf("after the failure Pending = %d, want %d", n, total-sent)
			}
			if restart {
				mustClose(t, s)
				s = mustOpen(t, opts)
			}
			defer mustClose(t, s)
			second := replayIDs(t, s, "a")

			// The duplicates are the hints already sent from the file the
			// failed batch was in (the one holding hint sent).
			resume := sent
			if restart {
				resume = 0
				for _, n := range perFile {
					if resume+int(n) > sent {
						break
					}
					resume += int(n)
				}
			}
			t.Logf("%d sent before the failure, files of %v hints; resumed from %d", sent, perFile, resume)
			checkIDs(t, "after the failure", second, seq(resume, total))
			if n, _ := s.Pending("a"); n != 0 {
				t.Fatalf("Pending after the full replay = %d, want 0", n)
			}
		})
	}
}

// TestExpiry ages hints with a fake clock: Replay skips and counts those
// past MaxHintWindow, and the expiry job deletes files holding nothing
// younger.
func TestExpiry(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewMem()
	opts := testOptions(mem)
	opts.Now = clock.Now
	s := mustOpen(t, opts)
	defer mustClose(t, s)

	addRange(t, s, "a", 0, 40) // at 0
	addRange(t, s, "b", 100, 140)
	clock.Advance(2 * time.Hour)
	addRange(t, s, "a", 40, 60) // at 2h
	clock.Advance(time.Hour + time.Millisecond)
	// Now hints 0..39 are 3h old plus 1 ms: expired; 40..59 are 1h old.
	checkIDs(t, "a", replayIDs(t, s, "a"), seq(40, 60))
	if m := s.Metrics(); m.Expired != 40 || m.Replayed != 20 {
		t.Fatalf("metrics %+v: want Expired 40, Replayed 20", m)
	}

	// b's hints, all expired, are in its sealed files and its current one.
	if err := s.expire(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Pending("b"); n != 0 {
		t.Fatalf("Pending(b) after expiry = %d, want 0", n)
	}
	if m := s.Metrics(); m.Expired != 80 {
		t.Fatalf("Expired = %d, want 80", m.Expired)
	}
	if files := hintFiles(t, mem); len(files) != 0 {
		t.Fatalf("after expiry hint files left: %q", files)
	}
	// The target still takes hints.
	addRange(t, s, "b", 200, 205)
	checkIDs(t, "b", replayIDs(t, s, "b"), seq(200, 205))
}

// TestExpiryKeepsYoungFiles: a file with one young hint survives the
// expiry job (Replay then skips its old hints).
func TestExpiryKeepsYoungFiles(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(vfs.NewMem())
	opts.Now = clock.Now
	opts.MaxFileSize = 1 << 20
	s := mustOpen(t, opts)
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 5)
	clock.Advance(3*time.Hour - time.Minute)
	addRange(t, s, "a", 5, 6)
	clock.Advance(2 * time.Minute)
	if err := s.expire(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Pending("a"); n != 6 {
		t.Fatalf("Pending after expiry = %d, want 6 (the file holds a young hint)", n)
	}
	checkIDs(t, "a", replayIDs(t, s, "a"), []int{5})
}

// TestConcurrentAddDuringReplay adds from several goroutines while Replay
// runs in a loop: every hint is sent exactly once, each writer's in order.
func TestConcurrentAddDuringReplay(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.ReplayBatchSize = 5
	s := mustOpen(t, opts)
	defer mustClose(t, s)
	const writers, each = 6, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Add("a", testMut(w*10000+i)); err != nil {
					t.Errorf("Add: %v", err)
					return
				}
			}
		})
	}
	var got []int
	send := func(_ context.Context, b []*mutation.Mutation) error {
		for _, m := range b {
			got = append(got, hintID(t, m))
		}
		return nil
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	rounds := 0
	for finished := false; !finished; rounds++ {
		select {
		case <-done:
			finished = true
		default:
		}
		if _, err := s.Replay(context.Background(), "a", send); err != nil {
			t.Fatal(err)
		}
	}
	// The last round started after every Add returned.
	if n, _ := s.Pending("a"); n != 0 {
		t.Fatalf("Pending after the last Replay = %d, want 0", n)
	}
	if len(got) != writers*each {
		t.Fatalf("sent %d hints, want %d", len(got), writers*each)
	}
	next := make([]int, writers)
	for _, id := range got {
		w, i := id/10000, id%10000
		if i != next[w] {
			t.Fatalf("writer %d: hint %d sent when %d was due (lost, duplicated or out of order)", w, i, next[w])
		}
		next[w]++
	}
	t.Logf("%d replay rounds", rounds)
}

// TestConcurrentReplays: two Replays of one target run one after the other,
// and together send each hint once.
func TestConcurrentReplays(t *testing.T) {
	s := mustOpen(t, testOptions(vfs.NewMem()))
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 200)
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := s.Replay(context.Background(), "a", func(_ context.Context, b []*mutation.Mutation) error {
				mu.Lock()
				defer mu.Unlock()
				for _, m := range b {
					seen[hintID(t, m)]++
				}
				return nil
			})
			if err != nil {
				t.Errorf("Replay: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range 200 {
		if seen[i] != 1 {
			t.Fatalf("hint %d sent %d times, want 1", i, seen[i])
		}
	}
}

// TestRotation checks file sizes against MaxFileSize, and that a hint
// larger than MaxFileSize gets a file of its own.
func TestRotation(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	opts.MaxFileSize = 1024
	s := mustOpen(t, opts)
	addRange(t, s, "a", 0, 100)
	big := testMut(100)
	big.Partition.Rows[0].Cells[0].Value = make([]byte, 3000)
	if err := s.Add("a", big); err != nil {
		t.Fatal(err)
	}
	addRange(t, s, "a", 101, 110)
	mustClose(t, s)

	files := hintFiles(t, mem)
	var total int64
	large := 0
	for _, name := range files {
		fi, err := mem.Stat(testDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
		if fi.Size() > opts.MaxFileSize {
			large++
		}
	}
	if large != 1 {
		t.Fatalf("%d files over MaxFileSize, want 1 (the big hint's)", large)
	}
	if min := int(total/opts.MaxFileSize) + 1; len(files) < min {
		t.Fatalf("%d files for %d bytes, want at least %d", len(files), total, min)
	}
	s = mustOpen(t, opts)
	defer mustClose(t, s)
	var got []int
	s.Replay(context.Background(), "a", func(_ context.Context, b []*mutation.Mutation) error {
		for _, m := range b {
			if string(m.Partition.Key.Bytes) == "key-000100" {
				got = append(got, 100)
				continue
			}
			got = append(got, hintID(t, m))
		}
		return nil
	})
	checkIDs(t, "a", got, seq(0, 110))
}

// TestDrop deletes a target's hints, on disk too, and keeps later ones.
func TestDrop(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	s := mustOpen(t, opts)
	addRange(t, s, "a", 0, 50)
	addRange(t, s, "b", 100, 150)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	addRange(t, s, "a", 50, 60) // buffered
	if err := s.Drop("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Drop("never-seen"); err != nil {
		t.Fatal(err)
	}
	if n, b := s.Pending("a"); n != 0 || b != 0 {
		t.Fatalf("Pending(a) after Drop = %d, %d; want 0, 0", n, b)
	}
	if got := s.Targets(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Targets() = %q, want [b]", got)
	}
	for _, name := range hintFiles(t, mem) {
		if strings.HasPrefix(name, escapeTarget("a")+"-") {
			t.Fatalf("file %s of the dropped target is left", name)
		}
	}
	if m := s.Metrics(); m.Dropped != 60 {
		t.Fatalf("Dropped = %d, want 60", m.Dropped)
	}
	addRange(t, s, "a", 1000, 1003)
	mustClose(t, s)

	s = mustOpen(t, opts)
	defer mustClose(t, s)
	checkIDs(t, "a", replayIDs(t, s, "a"), seq(1000, 1003))
	checkIDs(t, "b", replayIDs(t, s, "b"), seq(100, 150))
}

// TestDropDuringReplay stops the Replay with ErrDropped.
func TestDropDuringReplay(t *testing.T) {
	opts := testOptions(vfs.NewMem())
	opts.ReplayBatchSize = 2
	s := mustOpen(t, opts)
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 20)
	calls := 0
	sent, err := s.Replay(context.Background(), "a", func(context.Context, []*mutation.Mutation) error {
		calls++
		if calls == 2 {
			if err := s.Drop("a"); err != nil {
				t.Errorf("Drop: %v", err)
			}
		}
		return nil
	})
	if !errors.Is(err, ErrDropped) || sent != 4 {
		t.Fatalf("Replay with a Drop: got %d, %v; want 4, ErrDropped", sent, err)
	}
	if n, _ := s.Pending("a"); n != 0 {
		t.Fatalf("Pending after Drop = %d, want 0", n)
	}
}

// TestReplayContext: a cancelled context stops Replay and keeps the hints.
func TestReplayContext(t *testing.T) {
	s := mustOpen(t, testOptions(vfs.NewMem()))
	defer mustClose(t, s)
	addRange(t, s, "a", 0, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Replay(ctx, "a", func(context.Context, []*mutation.Mutation) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Replay with a cancelled context: got %v, want context.Canceled", err)
	}
	checkIDs(t, "a", replayIDs(t, s, "a"), seq(0, 10))
}

// TestClosed checks the API after Close, and that Close keeps buffered
// hints.
func TestClosed(t *testing.T) {
	mem := vfs.NewMem()
	opts := testOptions(mem)
	s := mustOpen(t, opts)
	addRange(t, s, "a", 0, 3)
	mustClose(t, s)
	if err := s.Add("a", testMut(3)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close: got %v, want ErrClosed", err)
	}
	if _, err := s.Replay(context.Background(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Replay after Close: got %v, want ErrClosed", err)
	}
	if err := s.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: got %v, want ErrClosed", err)
	}
	if err := s.Drop("a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Drop after Close: got %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: got %v, want ErrClosed", err)
	}
	s = mustOpen(t, Options{FS: mem.Crash(), Dir: testDir})
	defer mustClose(t, s)
	checkIDs(t, "a", replayIDs(t, s, "a"), seq(0, 3))
}

// TestLocked: a second store on the same directory is refused.
func TestLocked(t *testing.T) {
	mem := vfs.NewMem()
	s := mustOpen(t, testOptions(mem))
	defer mustClose(t, s)
	if _, err := Open(testOptions(mem)); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("second Open: got %v, want vfs.ErrLocked", err)
	}
}

// TestInvalid checks argument validation.
func TestInvalid(t *testing.T) {
	s := mustOpen(t, testOptions(vfs.NewMem()))
	defer mustClose(t, s)
	for _, target := range []string{"", strings.Repeat("x", MaxTargetLen+1)} {
		if err := s.Add(target, testMut(0)); !errors.Is(err, ErrInvalidTarget) {
			t.Errorf("Add(%q): got %v, want ErrInvalidTarget", target, err)
		}
	}
	for _, o := range []Options{
		{},
		{Dir: "/x", MaxFileSize: -1},
		{Dir: "/x", SyncPeriod: -1},
		{Dir: "/x", MaxHintWindow: -1},
		{Dir: "/x", BufferSize: -1},
		{Dir: "/x", ReplayBatchSize: -1},
		{Dir: "/x", ReplayBatchBytes: -1},
	} {
		o.FS = vfs.NewMem()
		if s, err := Open(o); err == nil {
			s.Close()
			t.Errorf("Open(%+v): got nil error", o)
		}
	}
}

// TestFileNames checks the escaping of target ids in file names.
func TestFileNames(t *testing.T) {
	for _, c := range []struct{ target, escaped string }{
		{"550e8400-e29b-41d4-a716-446655440000", "550e8400-e29b-41d4-a716-446655440000"},
		{"127.0.0.2:7000", "127.0.0.2_3a7000"},
		{"Node:1", "_4eode_3a1"},
		{"a/b_c", "a_2fb_5fc"},
		{"\x00\xff", "_00_ff"},
	} {
		if got := escapeTarget(c.target); got != c.escaped {
			t.Errorf("escapeTarget(%q) = %q, want %q", c.target, got, c.escaped)
		}
		name := fileName(c.target, 42)
		target, seq, ok := parseFileName(name)
		if !ok || target != c.target || seq != 42 {
			t.Errorf("parseFileName(%q) = %q, %d, %v; want %q, 42, true", name, target, seq, ok, c.target)
		}
	}
	if got := fileName("n", 7); got != "n-0000000000000007.hints" {
		t.Errorf("fileName(n, 7) = %q", got)
	}
	for _, name := range []string{"LOCK", "x.hints", "-1.hints", "a-0.hints", "a-x.hints", "A-1.hints", "a_4-1.hints", "a_zz-1.hints", "a-1.hints.tmp"} {
		if _, _, ok := parseFileName(name); ok {
			t.Errorf("parseFileName(%q) accepted a name that is not a hint file's", name)
		}
	}
}

// TestRecordLayout pins the byte layout documented beside the encoder.
func TestRecordLayout(t *testing.T) {
	m := &mutation.Mutation{Partition: mutation.Partition{Key: mutation.Key{Bytes: []byte("k")}, Deletion: mutation.Live}}
	enc := mutation.AppendMutation(nil, m)
	if len(enc) != 30 {
		t.Fatalf("example mutation encodes to %d bytes, the comment says 30", len(enc))
	}
	const created = 1700000000000
	b := appendRecord(nil, created, m)
	if len(b) != recordHeaderSize+recordFixedSize+30 {
		t.Fatalf("record length %d, want %d", len(b), recordHeaderSize+recordFixedSize+30)
	}
	if got := b[0:4]; string(got) != "\x27\x00\x00\x00" {
		t.Errorf("length field % x, want 27 00 00 00", got)
	}
	if got := b[8:17]; string(got) != "\x01\x00\x68\xe5\xcf\x8b\x01\x00\x00" {
		t.Errorf("version and created % x, want 01 00 68 e5 cf 8b 01 00 00", got)
	}
	want := crc32.Update(crc32.Checksum(b[0:4], castagnoli), castagnoli, b[8:])
	if got := binary.LittleEndian.Uint32(b[4:8]); got != want {
		t.Errorf("crc %#x, want %#x", got, want)
	}
	if string(b[17:]) != string(enc) {
		t.Errorf("mutation bytes differ from AppendMutation's")
	}
}
