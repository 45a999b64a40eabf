package commitlog

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"wcdb/internal/vfs"
)

func TestParseSyncMode(t *testing.T) {
	for _, m := range allModes {
		got, err := ParseSyncMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseSyncMode(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if got, err := ParseSyncMode("BATCH"); err != nil || got != Batch {
		t.Errorf("ParseSyncMode(BATCH) = %v, %v; want batch", got, err)
	}
	if _, err := ParseSyncMode("sometimes"); err == nil {
		t.Errorf("ParseSyncMode(sometimes): got nil error")
	}
	if (Options{}).Sync != Periodic {
		t.Errorf("zero SyncMode is %v, want periodic", Options{}.Sync)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{},
		{Dir: "d", SegmentSize: 10},
		{Dir: "d", MaxRecordSize: -1},
		{Dir: "d", Sync: SyncMode(7)},
		{Dir: "d", SyncPeriod: -time.Second},
		{Dir: "d", GroupWindow: -time.Second},
	} {
		if _, err := Open(o); err == nil {
			t.Errorf("Open(%+v): got nil error", o)
		}
	}
}

func TestSegmentName(t *testing.T) {
	if got, want := segmentName(42), "CommitLog-1-0000000000000042.log"; got != want {
		t.Fatalf("segmentName(42) = %q, want %q", got, want)
	}
	id, v, ok := parseSegmentName("CommitLog-1-0000000000000042.log")
	if !ok || id != 42 || v != 1 {
		t.Fatalf("parseSegmentName = %d, %d, %v; want 42, 1, true", id, v, ok)
	}
	for _, bad := range []string{"CommitLog-1-x.log", "CommitLog-42.log", "other", "CommitLog-1-0042.log.tmp"} {
		if _, _, ok := parseSegmentName(bad); ok {
			t.Errorf("parseSegmentName(%q) accepted", bad)
		}
	}
}

func TestPositionLess(t *testing.T) {
	ps := []Position{{1, 24}, {1, 100}, {2, 24}, {3, 0}}
	for i := range ps {
		for j := range ps {
			if got, want := ps[i].Less(ps[j]), i < j; got != want {
				t.Errorf("%v.Less(%v) = %v, want %v", ps[i], ps[j], got, want)
			}
		}
	}
}

// TestRoundTrip appends across many small segments, including a record larger
// than a segment, and replays after reopening, in every mode.
func TestRoundTrip(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			fs := vfs.NewMem()
			opts := Options{FS: fs, Dir: testDir, SegmentSize: 1024, Sync: mode, GroupWindow: 100 * time.Microsecond}
			l, got := openReplay(t, opts)
			if len(got) != 0 {
				t.Fatalf("fresh log replayed %d records", len(got))
			}
			want := appendN(t, l, 0, 300)
			big := bytes.Repeat([]byte("B"), 3000) // > SegmentSize: a segment of its own
			pos, err := l.Append(big)
			if err != nil {
				t.Fatalf("Append big: %v", err)
			}
			want = append(want, entry{pos, big})
			want = append(want, appendN(t, l, 300, 50)...)
			for i := 1; i < len(want); i++ {
				if !want[i-1].pos.Less(want[i].pos) {
					t.Fatalf("positions not increasing: %v then %v", want[i-1].pos, want[i].pos)
				}
			}
			if cur := l.Current(); !want[len(want)-1].pos.Less(cur) {
				t.Fatalf("Current() = %v, not after the last record %v", cur, want[len(want)-1].pos)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			names, _ := fs.List(testDir)
			if len(names) < 20 {
				t.Fatalf("got %d segment files, want many (SegmentSize 1 KiB)", len(names))
			}
			got, err = replayAll(opts)
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			checkEntries(t, got, want)
		})
	}
}

// TestRoundTripOS runs against the operating system's file system.
func TestRoundTripOS(t *testing.T) {
	opts := Options{Dir: filepath.Join(t.TempDir(), "cl"), SegmentSize: 4096, Sync: Batch}
	l, _ := openReplay(t, opts)
	want := appendN(t, l, 0, 100)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got, err := replayAll(opts)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	checkEntries(t, got, want)
}

// TestReopenAppends reopens several times: each run replays all before it and
// appends to a fresh segment.
func TestReopenAppends(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{FS: fs, Dir: testDir, SegmentSize: 2048}
	var want []entry
	var lastSeg uint64
	for run := range 4 {
		l, got := openReplay(t, opts)
		checkEntries(t, got, want)
		added := appendN(t, l, run*40, 40)
		if added[0].pos.Segment <= lastSeg {
			t.Fatalf("run %d appended to segment %d, want one after %d", run, added[0].pos.Segment, lastSeg)
		}
		lastSeg = added[len(added)-1].pos.Segment
		want = append(want, added...)
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

func TestMisuse(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{FS: fs, Dir: testDir, Sync: Batch, MaxRecordSize: 100}
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append([]byte("x")); !errors.Is(err, ErrNotReplayed) {
		t.Errorf("Append before Replay: got %v, want ErrNotReplayed", err)
	}
	if err := l.Replay(func(Position, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := l.Replay(func(Position, []byte) error { return nil }); err == nil {
		t.Errorf("second Replay: got nil error")
	}
	if _, err := l.Append(make([]byte, 101)); !errors.Is(err, ErrRecordTooLarge) {
		t.Errorf("Append 101 bytes, limit 100: got %v, want ErrRecordTooLarge", err)
	}
	if _, err := l.Append(make([]byte, 100)); err != nil {
		t.Errorf("Append 100 bytes, limit 100: %v", err)
	}
	if _, err := l.Append(nil); err != nil {
		t.Errorf("Append empty record: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: got %v, want ErrClosed", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after Close: got %v, want ErrClosed", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: got %v, want ErrClosed", err)
	}
	got, err := replayAll(opts)
	if err != nil || len(got) != 2 || len(got[0].rec) != 100 || len(got[1].rec) != 0 {
		t.Fatalf("replay: got %d records, %v; want the 100-byte and the empty one", len(got), err)
	}
}

// TestReplayCallbackError checks that fn's error stops Replay and comes back.
func TestReplayCallbackError(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{FS: fs, Dir: testDir}
	l, _ := openReplay(t, opts)
	appendN(t, l, 0, 10)
	l.Close()
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := errors.New("stop")
	n := 0
	err = l.Replay(func(Position, []byte) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("Replay = %v after %d records, want %v after 3", err, n, stop)
	}
}

// writeLog writes n records with small segments and closes the log; it
// returns them and the paths of the segment files.
func writeLog(t *testing.T, opts Options, n int) ([]entry, []string) {
	t.Helper()
	l, _ := openReplay(t, opts)
	want := appendN(t, l, 0, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := opts.FS.List(opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, name := range names {
		paths = append(paths, filepath.Join(opts.Dir, name))
	}
	return want, paths
}

// copyFS returns a MemFS holding the files of paths in fs, the one named
// last replaced by last.
func copyFS(t *testing.T, fs vfs.FS, paths []string, last []byte) *vfs.MemFS {
	t.Helper()
	out := vfs.NewMem()
	if err := out.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		data := last
		if i < len(paths)-1 {
			var err error
			if data, err = vfs.ReadFile(fs, p); err != nil {
				t.Fatal(err)
			}
		}
		if err := vfs.WriteFileAtomic(out, p, data); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestTornTail cuts the last segment at every byte offset of its last
// record (and of its header), with nothing, zeros or garbage after the cut:
// replay must drop exactly that record, truncate the file, log it, and the
// log must take appends again.
func TestTornTail(t *testing.T) {
	src := vfs.NewMem()
	opts := Options{FS: src, Dir: testDir, SegmentSize: 1024, Sync: Batch}
	want, paths := writeLog(t, opts, 30)
	lastPath := paths[len(paths)-1]
	full, err := vfs.ReadFile(src, lastPath)
	if err != nil {
		t.Fatal(err)
	}
	lastRec := want[len(want)-1]
	if lastPath != filepath.Join(testDir, segmentName(lastRec.pos.Segment)) || int(lastRec.pos.Offset)+recordHeaderSize+len(lastRec.rec) != len(full) {
		t.Fatalf("test setup: last record %v is not at the end of %s (%d bytes)", lastRec.pos, lastPath, len(full))
	}
	rng := rand.New(rand.NewPCG(1, 2))

	for _, tail := range []string{"cut", "zeros", "garbage"} {
		for cut := int(lastRec.pos.Offset); cut < len(full); cut++ {
			data := bytes.Clone(full[:cut])
			switch tail {
			case "zeros":
				data = append(data, make([]byte, len(full)-cut+100)...)
			case "garbage":
				for range len(full) - cut + 5 {
					data = append(data, byte(rng.IntN(256)))
				}
			}
			fs := copyFS(t, src, paths, data)
			rec := &logRecorder{}
			o := opts
			o.FS, o.Logf = fs, rec.logf
			l, got := openReplay(t, o)
			checkEntries(t, got, want[:len(want)-1])
			if clean := tail == "cut" && cut == int(lastRec.pos.Offset); !clean && !rec.contains("torn tail") {
				t.Fatalf("%s at %d: no torn-tail notice in %q", tail, cut, rec.lines)
			}
			if fi, err := fs.Stat(lastPath); err != nil || fi.Size() != lastRec.pos.Offset {
				t.Fatalf("%s at %d: last segment not truncated to %d: %v, %v", tail, cut, lastRec.pos.Offset, fi, err)
			}
			extra := appendN(t, l, 1000, 1)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, err = replayAll(o)
			if err != nil {
				t.Fatalf("%s at %d: second replay: %v", tail, cut, err)
			}
			checkEntries(t, got, append(slices.Clone(want[:len(want)-1]), extra...))
		}
	}

	// A last segment torn inside its header held nothing: it is removed.
	for cut := range segmentHeaderSize {
		fs := copyFS(t, src, paths, full[:cut])
		rec := &logRecorder{}
		o := opts
		o.FS, o.Logf = fs, rec.logf
		var before []entry
		for _, e := range want {
			if e.pos.Segment < lastRec.pos.Segment {
				before = append(before, e)
			}
		}
		l, got := openReplay(t, o)
		checkEntries(t, got, before)
		if _, err := fs.Stat(lastPath); err == nil {
			t.Fatalf("header cut at %d: unfinished segment %s not removed", cut, lastPath)
		}
		if cur := l.Current(); cur.Segment <= lastRec.pos.Segment {
			t.Fatalf("header cut at %d: next segment %d reuses an id up to %d", cut, cur.Segment, lastRec.pos.Segment)
		}
		l.Close()
	}
}

// TestCorruption flips a byte in the middle of the log: replay fails with
// ErrCorrupt naming the file and offset, or skips the record with
// SkipCorrupt.
func TestCorruption(t *testing.T) {
	src := vfs.NewMem()
	opts := Options{FS: src, Dir: testDir, SegmentSize: 1024, Sync: Batch}
	want, paths := writeLog(t, opts, 40)
	if len(paths) < 3 {
		t.Fatalf("test setup: %d segments, want at least 3", len(paths))
	}
	segOf := func(e entry) string { return filepath.Join(testDir, segmentName(e.pos.Segment)) }
	lastSeg := want[len(want)-1].pos.Segment

	// Victims: a record in the middle of the last segment, the last record of
	// the first segment (nothing after it there, but the segment is not the
	// last), and the payload or header of a record.
	var midLast, endFirst int
	for i, e := range want {
		if e.pos.Segment == lastSeg && i+1 < len(want) && want[i+1].pos.Segment == lastSeg && midLast == 0 {
			midLast = i
		}
		if e.pos.Segment == want[0].pos.Segment {
			endFirst = i
		}
	}
	cases := []struct {
		name   string
		victim int
		at     int // byte within the record to flip
	}{
		{"last segment, payload", midLast, recordHeaderSize + 3},
		{"last segment, length", midLast, 1},
		{"earlier segment, last record", endFirst, recordHeaderSize},
		{"earlier segment, header crc", endFirst, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := want[tc.victim]
			file := segOf(e)
			fs := vfs.NewMem()
			fs.MkdirAll(testDir, 0o755)
			for _, p := range paths {
				data, _ := vfs.ReadFile(src, p)
				if p == file {
					data[int(e.pos.Offset)+tc.at] ^= 0x40
				}
				vfs.WriteFileAtomic(fs, p, data)
			}
			o := opts
			o.FS = fs
			_, err := replayAll(o)
			var ce *CorruptError
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
				t.Fatalf("replay: got %v, want ErrCorrupt", err)
			}
			if ce.File != file || ce.Offset != e.pos.Offset {
				t.Fatalf("corruption reported at %s:%d, want %s:%d", ce.File, ce.Offset, file, e.pos.Offset)
			}

			rec := &logRecorder{}
			o.SkipCorrupt, o.Logf = true, rec.logf
			got, err := replayAll(o)
			if err != nil {
				t.Fatalf("replay with SkipCorrupt: %v", err)
			}
			wantSkip := slices.Delete(slices.Clone(want), tc.victim, tc.victim+1)
			checkEntries(t, got[:len(wantSkip)], wantSkip)
			if !rec.contains(file) {
				t.Fatalf("SkipCorrupt logged %q, want a notice naming %s", rec.lines, file)
			}
		})
	}

	t.Run("segment header", func(t *testing.T) {
		fs := vfs.NewMem()
		fs.MkdirAll(testDir, 0o755)
		for i, p := range paths {
			data, _ := vfs.ReadFile(src, p)
			if i == 0 {
				data[9] ^= 1
			}
			vfs.WriteFileAtomic(fs, p, data)
		}
		o := opts
		o.FS = fs
		_, err := replayAll(o)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != paths[0] || ce.Offset != 0 {
			t.Fatalf("replay: got %v, want ErrCorrupt at %s:0", err, paths[0])
		}
		o.SkipCorrupt = true
		got, err := replayAll(o)
		if err != nil || len(got) == 0 || got[0].pos.Segment == want[0].pos.Segment {
			t.Fatalf("SkipCorrupt: got %d records (%v), want those after the first segment", len(got), err)
		}
	})
}

// TestRecycledBytesNeverValidate copies a segment's records under another
// segment's id: the checksums cover the id, so none validates.
func TestRecycledBytesNeverValidate(t *testing.T) {
	b := appendRecord(nil, 7, []byte("hello"))
	if _, _, ok := decodeRecord(b, 7); !ok {
		t.Fatalf("record does not decode in its own segment")
	}
	if _, _, ok := decodeRecord(b, 8); ok {
		t.Fatalf("record of segment 7 validates in segment 8")
	}
	if nextValidRecord(b, 0, 8) != -1 {
		t.Fatalf("forward scan found a record of segment 7 in segment 8")
	}
}

func TestRelease(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{FS: fs, Dir: testDir, SegmentSize: 1024, Sync: Group}
	l, _ := openReplay(t, opts)
	want := appendN(t, l, 0, 60)
	upTo := want[30].pos
	if err := l.Release(upTo); err != nil {
		t.Fatalf("Release: %v", err)
	}
	for _, id := range l.Segments() {
		if id < upTo.Segment {
			t.Fatalf("segment %d still live after Release(%v)", id, upTo)
		}
	}
	names, _ := fs.List(testDir)
	for _, name := range names {
		if id, _, _ := parseSegmentName(name); id < upTo.Segment {
			t.Fatalf("file %s still there after Release(%v)", name, upTo)
		}
	}
	// Releasing past the end keeps the segment being written.
	if err := l.Release(Position{Segment: 1 << 60}); err != nil {
		t.Fatalf("Release(far): %v", err)
	}
	if segs := l.Segments(); len(segs) != 1 || segs[0] != want[len(want)-1].pos.Segment {
		t.Fatalf("after Release(far): live %v, want only the current segment %d", segs, want[len(want)-1].pos.Segment)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l, got := openReplay(t, opts)
	var kept []entry
	for _, e := range want {
		if e.pos.Segment == want[len(want)-1].pos.Segment {
			kept = append(kept, e)
		}
	}
	checkEntries(t, got, kept)
	// After replay, all of it flushed: Release(Current()) frees every old
	// segment but the newest, which keeps segment ids from going back.
	if err := l.Release(l.Current()); err != nil {
		t.Fatal(err)
	}
	if names, _ := fs.List(testDir); len(names) != 1 {
		t.Fatalf("files left after Release(Current()) before any append: %v, want only the newest", names)
	}
	newest := l.Current().Segment
	more := appendN(t, l, 100, 3)
	if more[0].pos.Segment < newest {
		t.Fatalf("segment id went back: got %d, want >= %d", more[0].pos.Segment, newest)
	}
	l.Close()
	got, err := replayAll(opts)
	if err != nil {
		t.Fatal(err)
	}
	// The kept newest segment replays again, before the new records.
	checkEntries(t, got, append(kept, more...))
}

// TestConcurrentAppenders runs appenders in parallel in every mode: positions
// are unique, each goroutine's records replay in its order, nothing is lost.
func TestConcurrentAppenders(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			fs := vfs.NewMem()
			opts := Options{FS: fs, Dir: testDir, SegmentSize: 4096, Sync: mode, GroupWindow: 200 * time.Microsecond}
			l, _ := openReplay(t, opts)
			const writers, each = 8, 150
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						if _, err := l.Append(payload(w*10000 + i)); err != nil {
							errs <- err
							return
						}
						if i%50 == 0 {
							l.Current()
							if err := l.Sync(); err != nil {
								errs <- err
								return
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := replayAll(opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != writers*each {
				t.Fatalf("replayed %d records, want %d", len(got), writers*each)
			}
			next := make([]int, writers)
			for _, e := range got {
				w, i, err := splitRecordNumber(e.rec)
				if err != nil {
					t.Fatalf("record %q: %v", e.rec, err)
				}
				if i != next[w] || !bytes.Equal(e.rec, payload(w*10000+i)) {
					t.Fatalf("writer %d: got record %d (%q), want %d", w, i, e.rec, next[w])
				}
				next[w]++
			}
		})
	}
}

// splitRecordNumber splits the number of a payload(w*10000+i) record into w and i.
func splitRecordNumber(rec []byte) (w, i int, err error) {
	if len(rec) < 10 {
		return 0, 0, errors.New("short record")
	}
	n := 0
	for _, c := range rec[4:10] {
		if c < '0' || c > '9' {
			return 0, 0, errors.New("bad record number")
		}
		n = n*10 + int(c-'0')
	}
	return n / 10000, n % 10000, nil
}

// gatedFS holds the creation of files until gate is closed.
type gatedFS struct {
	vfs.FS
	gate chan struct{}
}

func (g *gatedFS) Create(name string) (vfs.File, error) {
	<-g.gate
	return g.FS.Create(name)
}

// TestReleaseBeforeTheOwnerCreates: in Periodic mode appends place
// records in segments the owner goroutine has not created yet; releasing
// up to a later segment must leave those alone (it once removed a file
// that did not exist yet, failing the flush, and the owner then wrote a
// segment already released).
func TestReleaseBeforeTheOwnerCreates(t *testing.T) {
	g := &gatedFS{FS: vfs.NewMem(), gate: make(chan struct{})}
	opts := Options{FS: g, Dir: testDir, SegmentSize: 1024, SyncPeriod: time.Hour}
	l, _ := openReplay(t, opts)
	var last Position
	for i := 0; last.Segment < 3; i++ {
		pos, err := l.Append(make([]byte, 100))
		if err != nil {
			t.Fatal(err)
		}
		last = pos
	}
	if err := l.Release(last); err != nil {
		t.Fatalf("Release while the owner has created nothing: %v", err)
	}
	close(g.gate)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, got := openReplay(t, opts)
	defer l2.Close()
	if len(got) == 0 {
		t.Fatal("nothing replayed: the segments were released before they were written")
	}
}
