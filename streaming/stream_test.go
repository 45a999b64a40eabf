package streaming

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/sstable"
	"wcdb/storage"
)

// TestStreamRanges streams ranges of a table between two real engines and
// checks that the receiver holds exactly the sender's partitions in those
// ranges, byte for byte as raw reads see them, and nothing else.
func TestStreamRanges(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 1200)
	cases := []struct {
		name   string
		ranges []ring.Range
	}{
		{"one range", []ring.Range{{Start: -4e18, End: 1e18}}},
		{"wrapping", []ring.Range{{Start: 5e18, End: -6e18}}},
		{"several overlapping", []ring.Range{{Start: 2e18, End: 3e18}, {Start: -9e18, End: -8e18}, {Start: 2.5e18, End: 4e18}, {Start: 7e18, End: -8.5e18}}},
		{"to the end of the ring", []ring.Range{{Start: 8e18, End: ring.MinToken}}},
		{"whole ring", []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}},
		{"whole ring from x", []ring.Range{{Start: 12345, End: 12345}}},
		{"none", nil},
	}
	for _, tc := range cases {
		for _, format := range []uint32{0, sstable.FormatVersion} {
			t.Run(fmt.Sprintf("%s/format%d", tc.name, format), func(t *testing.T) {
				streamRanges(t, src, tc.name, tc.ranges, format)
			})
		}
	}
}

// streamRanges streams ranges of src into a new table and checks it holds
// what src holds there. With format set, data blocks inside a range go as
// they are stored: the new table's statistics must be the same as if its
// rows had been sent one by one.
func streamRanges(t *testing.T, src *storage.Table, name string, ranges []ring.Range, format uint32) {
	_, dst := openEngine(t)
	req := Request{Session: "s-" + name, Table: testTable, Ranges: ranges, SSTableFormat: format}
	frames, sst := collect(t, src, req, 16<<10)
	rst, err := Receive(context.Background(), dst, replay(frames), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := dump(t, src, inRanges(ranges))
	sameLines(t, "receiver", dump(t, dst, nil), want)
	if len(want) > 0 && len(ranges) == 1 && ranges[0].Start == ring.MinToken {
		if got := len(dump(t, src, nil)); got != len(want) {
			t.Fatalf("whole ring: %d of %d partitions", len(want), got)
		}
	}
	if rst.Partitions != sst.Partitions || rst.Rows != sst.Rows || rst.Bytes != sst.Bytes || len(rst.Completed) != sst.Files {
		t.Fatalf("receiver %+v disagrees with sender %+v", rst, sst)
	}
	if rst.Imported != fileCount(dst) || rst.Imported > sst.Files {
		t.Fatalf("%d files imported, %d in the table, %d sections", rst.Imported, fileCount(dst), sst.Files)
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
	if sst.Frames != int64(len(frames)) || rst.Frames != sst.Frames {
		t.Fatalf("frames: %d sent, %d counted, %d received", len(frames), sst.Frames, rst.Frames)
	}
	if rst.Blocks != sst.Blocks || format == 0 && sst.Blocks != 0 {
		t.Fatalf("format %d: %d blocks sent, %d received", format, sst.Blocks, rst.Blocks)
	}
	if format == 0 || sst.Files == 0 {
		return
	}
	if sst.Blocks == 0 && sst.WholeFiles < sst.Files && sst.Partitions > 100 {
		t.Fatalf("%d partitions sent entry by entry, not one block as stored", sst.Partitions)
	}
	_, ref := openEngine(t)
	req.SSTableFormat = 0
	frames, _ = collect(t, src, req, 16<<10)
	if _, err := Receive(context.Background(), ref, replay(frames), nil); err != nil {
		t.Fatal(err)
	}
	gotFiles, wantFiles := dst.Files(), ref.Files()
	if len(gotFiles) != len(wantFiles) {
		t.Fatalf("%d files received with blocks, %d without", len(gotFiles), len(wantFiles))
	}
	for i := range gotFiles {
		g, w := gotFiles[i].Meta, wantFiles[i].Meta
		if sst.WholeFiles == 0 && (g.Stats != w.Stats || g.Partitions != w.Partitions || !g.MinKey.Equal(w.MinKey) || !g.MaxKey.Equal(w.MaxKey)) {
			t.Fatalf("file %d received with blocks: %+v; without: %+v", i, g, w)
		}
	}
}

// TestStreamIncludesMemtable: Send flushes first, so data only in the
// memtable is streamed too.
func TestStreamIncludesMemtable(t *testing.T) {
	_, src := openEngine(t)
	writeMix(t, src, 0, 50, 2, 1)
	if n := fileCount(src); n != 0 {
		t.Fatalf("%d files before the stream, want 0", n)
	}
	_, dst := openEngine(t)
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	frames, _ := collect(t, src, Request{Table: testTable, Ranges: whole}, chunkSize)
	if _, err := Receive(context.Background(), dst, replay(frames), nil); err != nil {
		t.Fatal(err)
	}
	sameLines(t, "receiver", dump(t, dst, nil), dump(t, src, nil))
	if len(dump(t, dst, nil)) != 50 {
		t.Fatal("memtable data not streamed")
	}
}

// TestStreamKeys: a request for keys gets those partitions, read from
// memtable and SSTables merged, tombstones kept, and nothing else; a key
// the sender does not hold is skipped.
func TestStreamKeys(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 200)
	var keys []mutation.Key
	want := map[int64]bool{}
	for _, i := range []int{3, 50, 99, 100, 150, 210, 5000} { // 5000: absent
		keys = append(keys, pkey(i))
		want[pkey(i).Token] = i < 220
	}
	slices.SortFunc(keys, func(a, b mutation.Key) int { return a.Compare(b) })
	_, dst := openEngine(t)
	frames, st := collect(t, src, Request{Table: testTable, Keys: keys}, 256)
	if _, err := Receive(context.Background(), dst, replay(frames), nil); err != nil {
		t.Fatal(err)
	}
	if st.Partitions != 6 {
		t.Errorf("sent %d partitions, want 6", st.Partitions)
	}
	sameLines(t, "receiver", dump(t, dst, nil), dump(t, src, func(tok int64) bool { return want[tok] }))
}

// TestStreamFrameSequence: the frames follow H (S D* F)* Z, and a file that
// meets the ranges only by its key span sends an empty S F pair and adds no
// SSTable on the receiver.
func TestStreamFrameSequence(t *testing.T) {
	_, src := openEngine(t)
	// One file of two partitions; the range falls strictly between them.
	writeMix(t, src, 0, 2, 1, 1)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	toks := []int64{pkey(0).Token, pkey(1).Token}
	slices.Sort(toks)
	gap := ring.Range{Start: toks[0], End: toks[1] - 1}
	req := Request{Table: testTable, Ranges: []ring.Range{gap}}
	frames, sst := collect(t, src, req, chunkSize)
	if got := kinds(frames); got != "HSFZ" {
		t.Fatalf("frames %q, want HSFZ (an empty section)", got)
	}
	_, dst := openEngine(t)
	rst, err := Receive(context.Background(), dst, replay(frames), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rst.Completed) != 1 || rst.Imported != 0 || fileCount(dst) != 0 || sst.Files != 1 {
		t.Fatalf("empty section: %+v, %d files on the receiver", rst, fileCount(dst))
	}
	// Over the whole ring with small chunks: data frames between each S F.
	frames, _ = collect(t, src, Request{Table: testTable, Ranges: []ring.Range{{Start: 0, End: 0}}}, 64)
	k := kinds(frames)
	if k[0] != 'H' || k[1] != 'S' || k[len(k)-2] != 'F' || k[len(k)-1] != 'Z' || len(k) < 6 {
		t.Fatalf("frames %q", k)
	}
	for _, c := range k[2 : len(k)-2] {
		if c != 'D' {
			t.Fatalf("frames %q: %q inside the section", k, c)
		}
	}
}

// TestCorruptFrameNeverImported flips a byte of each frame of a session in
// turn, with sections sent as entries and as whole files: Receive fails
// with ErrCorrupt, and the receiver holds exactly the sections completed
// before the damaged frame, none of the damaged one.
func TestCorruptFrameNeverImported(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 150)
	e, _ := openEngine(t)
	for _, format := range []uint32{0, sstable.FormatVersion} {
		whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
		frames, sst := collect(t, src, Request{Table: testTable, Ranges: whole, SSTableFormat: format}, 2<<10)
		if sst.Files < 3 || len(frames) < 20 {
			t.Fatalf("want several files and frames, got %+v", sst)
		}
		for i := range frames {
			dst := recreate(t, e)
			bad := slices.Clone(frames)
			bad[i] = slices.Clone(frames[i])
			bad[i][(i*131)%len(bad[i])] ^= 0x20
			st, err := Receive(context.Background(), dst, replay(bad), nil)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("format %d: frame %d (%q) damaged: got %v, want ErrCorrupt", format, i, frames[i][1], err)
			}
			done := fileEnds(frames[:i])
			if len(st.Completed) != done || st.Imported != fileCount(dst) {
				t.Fatalf("format %d: frame %d damaged: %d sections completed, want %d; %d imported, %d files", format, i, len(st.Completed), done, st.Imported, fileCount(dst))
			}
			if err := dst.Verify(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// recreate drops and creates testTable in e, for a fresh receiver.
func recreate(t testing.TB, e *storage.Engine) *storage.Table {
	t.Helper()
	if err := e.DropTable(testTable); err != nil {
		t.Fatal(err)
	}
	dst, err := e.CreateTable(testTable, storage.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// fileEnds counts the file-end frames in frames.
func fileEnds(frames [][]byte) int {
	n := 0
	for _, f := range frames {
		if f[1] == kindFileEnd {
			n++
		}
	}
	return n
}

// TestTruncatedStreamAddsNothing cuts a session after each frame, and also
// drops each frame in turn, with sections as entries and as whole files:
// the cut fails with ErrTruncated, the lost frame with ErrCorrupt, and no
// section without its file end is added.
func TestTruncatedStreamAddsNothing(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 120)
	e, _ := openEngine(t)
	for _, format := range []uint32{0, sstable.FormatVersion} {
		whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
		frames, _ := collect(t, src, Request{Table: testTable, Ranges: whole, SSTableFormat: format}, 4<<10)
		firstEnd := slices.IndexFunc(frames, func(f []byte) bool { return f[1] == kindFileEnd })
		for cut := 0; cut < len(frames); cut++ {
			dst := recreate(t, e)
			st, err := Receive(context.Background(), dst, replay(frames[:cut]), nil)
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("format %d: cut after %d frames: got %v, want ErrTruncated", format, cut, err)
			}
			if cut <= firstEnd && (fileCount(dst) != 0 || len(dump(t, dst, nil)) != 0 || len(st.Completed) != 0) {
				t.Fatalf("format %d: cut after %d frames, inside the first section: %d files, %+v", format, cut, fileCount(dst), st)
			}
			if len(st.Completed) != fileEnds(frames[:cut]) || st.Imported != fileCount(dst) {
				t.Fatalf("format %d: cut after %d frames: %+v, %d files", format, cut, st, fileCount(dst))
			}
		}
		for drop := range frames {
			dst := recreate(t, e)
			lost := append(slices.Clone(frames[:drop]), frames[drop+1:]...)
			st, err := Receive(context.Background(), dst, replay(lost), nil)
			want := ErrCorrupt
			if drop == len(frames)-1 {
				want = ErrTruncated // the session end
			}
			if !errors.Is(err, want) {
				t.Fatalf("format %d: frame %d (%q) lost: got %v, want %v", format, drop, frames[drop][1], err, want)
			}
			if done := fileEnds(frames[:drop]); len(st.Completed) != done || st.Imported != fileCount(dst) {
				t.Fatalf("format %d: frame %d lost: %d sections completed, want %d; %d imported, %d files", format, drop, len(st.Completed), done, st.Imported, fileCount(dst))
			}
		}
	}
}

// TestReceiveStopsOnTransportErrorAndContext: an error of next and a
// cancelled context abort the section under way.
func TestReceiveStopsOnTransportErrorAndContext(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 60)
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	frames, _ := collect(t, src, Request{Table: testTable, Ranges: whole}, 2<<10)
	_, dst := openEngine(t)
	boom := errors.New("connection reset")
	n := 0
	_, err := Receive(context.Background(), dst, func() ([]byte, error) {
		if n == 3 {
			return nil, boom
		}
		n++
		return frames[n-1], nil
	}, nil)
	if !errors.Is(err, boom) || !Retryable(err) {
		t.Fatalf("got %v, want the transport error, retryable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	_, err = Receive(ctx, dst, func() ([]byte, error) {
		if n == 3 {
			cancel()
		}
		n++
		return frames[n-1], nil
	}, nil)
	if !errors.Is(err, context.Canceled) || Retryable(err) {
		t.Fatalf("got %v, want context.Canceled, not retryable", err)
	}
	if fileCount(dst) != 0 {
		t.Fatalf("%d files imported", fileCount(dst))
	}
}

// peer is an in-process sending node for Fetch: it decodes each request,
// runs Send into a list of frames, and lets the test damage an attempt.
type peer struct {
	t        *testing.T
	tb       *storage.Table
	chunk    int
	reqs     []Request
	sent     []SendStats
	sessions [][][]byte
	damage   func(attempt int, frames [][]byte) [][]byte
}

func (p *peer) open(ctx context.Context, enc []byte) (func() ([]byte, error), error) {
	req, err := DecodeRequest(enc)
	if err != nil {
		return nil, err
	}
	frames, st := collect(p.t, p.tb, req, p.chunk)
	attempt := len(p.reqs)
	p.reqs = append(p.reqs, req)
	p.sent = append(p.sent, st)
	p.sessions = append(p.sessions, frames)
	if p.damage != nil {
		frames = p.damage(attempt, frames)
	}
	next := replay(frames)
	return func() ([]byte, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return next()
	}, nil
}

// TestFetchRetriesWithSkip: a data frame of the second section is damaged
// on the first attempt; the retry asks to skip the completed first section,
// the sender does not send it again, and the receiver ends with exactly the
// ranges' data, each source section imported once.
func TestFetchRetriesWithSkip(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 300)
	ranges := []ring.Range{{Start: 4e18, End: -2e18}}
	p := &peer{t: t, tb: src, chunk: 4 << 10}
	p.damage = func(attempt int, frames [][]byte) [][]byte {
		if attempt > 0 {
			return frames
		}
		ends := 0
		for i, f := range frames {
			if f[1] == kindFileEnd {
				ends++
			}
			if ends == 1 && f[1] == kindData {
				frames[i] = slices.Clone(f)
				frames[i][len(f)/2] ^= 1
				return frames
			}
		}
		t.Fatal("no data frame in the second section")
		return nil
	}
	_, dst := openEngine(t)
	var sleeps []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }
	reg := NewRegistry()
	prog := reg.Start("fetch-1", "peer", Receiving, "ks", "t")
	st, err := fetch(context.Background(), dst, Request{Session: "fetch-1", Table: testTable, Ranges: ranges}, p.open, 3, prog, sleep)
	prog.Finish(err)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.reqs) != 2 || st.Attempts != 2 || !slices.Equal(sleeps, []time.Duration{MinBackoff}) {
		t.Fatalf("%d requests, %d attempts, sleeps %v; want 2, 2, [%v]", len(p.reqs), st.Attempts, sleeps, MinBackoff)
	}
	first := p.sent[0]
	if len(p.reqs[1].Skip) != 1 || p.sent[1].Skipped != 1 || p.sent[1].Files != first.Files-1 {
		t.Fatalf("retry: skip %v, sender skipped %d and sent %d of %d sections", p.reqs[1].Skip, p.sent[1].Skipped, p.sent[1].Files, first.Files)
	}
	if p.sessions[1][1][1] != kindFileStart || p.sessions[1][1][2] == p.sessions[0][1][2] {
		t.Fatal("the retry sent the completed first section again")
	}
	sameLines(t, "receiver", dump(t, dst, nil), dump(t, src, inRanges(ranges)))
	if len(st.Completed) != first.Files || st.Partitions != first.Partitions || st.Imported != fileCount(dst) {
		t.Fatalf("stats %+v; first attempt's sender %+v; %d files", st, first, fileCount(dst))
	}
	info := prog.Info()
	if info.State != Done || info.FilesDone != int64(first.Files) || info.FilesTotal != info.FilesDone || info.BytesDone != info.BytesTotal {
		t.Fatalf("progress %+v", info)
	}
}

// TestFetchGivesUp: a peer that always damages the stream is tried
// 1+retries times with doubling, bounded backoff; a cancelled context stops
// at once; the receiver holds only completed sections.
func TestFetchGivesUp(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 40)
	p := &peer{t: t, tb: src, chunk: 1 << 10, damage: func(_ int, frames [][]byte) [][]byte {
		return frames[:len(frames)-1] // no session end
	}}
	_, dst := openEngine(t)
	var sleeps []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	st, err := fetch(context.Background(), dst, Request{Table: testTable, Ranges: whole}, p.open, 9, nil, sleep)
	if !errors.Is(err, ErrTruncated) || st.Attempts != 10 {
		t.Fatalf("got %v after %d attempts, want ErrTruncated after 10", err, st.Attempts)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(sleeps, want) {
		t.Fatalf("backoffs %v, want %v", sleeps, want)
	}
	// Every section arrived whole on the first attempt (only the session
	// end was missing); later attempts asked for nothing more.
	if len(p.reqs[1].Skip) != p.sent[0].Files || p.sent[1].Files != 0 {
		t.Fatalf("second attempt: skip %v, %d sections sent", p.reqs[1].Skip, p.sent[1].Files)
	}
	sameLines(t, "receiver", dump(t, dst, nil), dump(t, src, nil))

	ctx, cancel := context.WithCancel(context.Background())
	sleeps = nil
	_, err = fetch(ctx, dst, Request{Table: testTable, Ranges: whole}, p.open, 5, nil, func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepCtx(ctx, d)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during backoff: got %v", err)
	}
	_, err = fetch(context.Background(), dst, Request{Table: testTable, Ranges: whole},
		func(context.Context, []byte) (func() ([]byte, error), error) { return nil, errors.New("refused") }, 0, nil, sleep)
	if err == nil || !Retryable(err) {
		t.Fatalf("open failing: got %v, want a retryable transport error", err)
	}
}

// TestFetchRejectsDataOutsideRanges: a sender that sends more than was
// asked for is caught, and nothing of the section is imported.
func TestFetchRejectsDataOutsideRanges(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 100)
	_, dst := openEngine(t)
	asked := []ring.Range{{Start: 0, End: 1e18}}
	open := func(ctx context.Context, enc []byte) (func() ([]byte, error), error) {
		req, err := DecodeRequest(enc)
		if err != nil {
			return nil, err
		}
		req.Ranges = []ring.Range{{Start: -1e18, End: 2e18}}
		frames, _ := collect(t, src, req, chunkSize)
		return replay(frames), nil
	}
	_, err := fetch(context.Background(), dst, Request{Table: testTable, Ranges: asked}, open, 0, nil, nil)
	if !errors.Is(err, ErrCorrupt) || fileCount(dst) != 0 {
		t.Fatalf("got %v and %d files, want ErrCorrupt and none", err, fileCount(dst))
	}
}

// TestSendChecks: a request for another table is refused; Send passes every
// frame through the throttle, whose waits add up to the bytes sent.
func TestSendChecks(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 80)
	if _, err := Send(context.Background(), src, Request{Table: [16]byte{9}}, nil, func([]byte) error { return nil }); err == nil {
		t.Fatal("request for another table accepted")
	}
	var waited time.Duration
	clock := time.Unix(0, 0)
	th := newThrottle(1<<20, func() time.Time { return clock }, func(_ context.Context, d time.Duration) error {
		waited = d // the clock stands still: each wait pays for every frame so far
		return nil
	})
	var bytes int
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	st, err := sendSession(context.Background(), src, Request{Table: testTable, Ranges: whole}, th, nil, func(f []byte) error {
		bytes += len(f)
		return nil
	}, 2<<10)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(float64(bytes) / (1 << 20) * float64(time.Second)); st.FrameBytes != int64(bytes) || math.Abs(float64(waited-want)) > float64(time.Microsecond) {
		t.Fatalf("last wait %v, want %v for %d bytes (stats say %d)", waited, want, bytes, st.FrameBytes)
	}
	boom := errors.New("peer gone")
	if _, err := Send(context.Background(), src, Request{Table: testTable, Ranges: whole}, nil, func([]byte) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("send failing: got %v", err)
	}
}

// TestLostSectionCaught: a whole section missing from a stream (its file
// start to its file end) is caught at the session end, which counts the
// sections the sender sent and announced.
func TestLostSectionCaught(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 80)
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	frames, sst := collect(t, src, Request{Table: testTable, Ranges: whole}, 4<<10)
	if sst.Files < 2 {
		t.Fatalf("%d sections", sst.Files)
	}
	lastStart := -1
	for i, f := range frames {
		if f[1] == kindFileStart {
			lastStart = i
		}
	}
	lost := append(slices.Clone(frames[:lastStart]), frames[len(frames)-1])
	_, dst := openEngine(t)
	st, err := Receive(context.Background(), dst, replay(lost), nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a section lost: got %v, want ErrCorrupt", err)
	}
	if len(st.Completed) != sst.Files-1 {
		t.Fatalf("%d sections completed, want %d (those received whole are kept)", len(st.Completed), sst.Files-1)
	}
}

// TestSendCorruptSource: a damaged block in a sender's file stops the
// session with the SSTable's corruption error rather than sending it.
func TestSendCorruptSource(t *testing.T) {
	_, src := openEngine(t)
	writeMix(t, src, 0, 200, 4, 1)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	f := src.Files()[0]
	b, err := vfs.ReadFile(vfs.Default, f.Path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x40 // a data block (blocks and indexes are interleaved; all are checked)
	w, err := vfs.Default.Create(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	w.Close()
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	_, err = Send(context.Background(), src, Request{Table: testTable, Ranges: whole}, nil, func([]byte) error { return nil })
	if !errors.Is(err, sstable.ErrCorrupt) {
		t.Fatalf("got %v, want sstable.ErrCorrupt", err)
	}
}
