package commitlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"wcdb/internal/vfs"
)

// fuzzSeg is the id of the segment the fuzzer's bytes are replayed as; the
// seeds are written under it. Its header crc of a zero length is not zero
// (checked in FuzzReplay), so no record can hide in a zero-filled tail and
// the model below need not know that replay's scan skips one.
const fuzzSeg = 1

// replayDeadline bounds one Replay of a fuzz input, a few KiB at most. Go's
// fuzzing engine has no per-input timeout, so without it a hang would stall
// the run instead of failing with the input saved.
const replayDeadline = 10 * time.Second

// FuzzReplay replays the fuzzer's bytes as a commit log segment file and
// holds Replay to what its doc comment promises, computed by a model that
// checks the CRCs with hash/crc32 rather than this package's helpers:
//
//   - strict replay delivers exactly the chain of intact records from the
//     end of the segment header, never a record after a damaged one;
//   - in the last segment, damage with nothing intact after it is a torn
//     tail, cut off; with something intact after it, a *CorruptError at its
//     offset and the file left alone; in an earlier segment any damage is a
//     *CorruptError;
//   - a last segment with a bad header and no intact record is removed;
//   - with SkipCorrupt, replay never fails and resumes at the next intact
//     record after each damaged one;
//   - after a repair the log is clean: a second replay yields the same
//     records without error.
//
// Each input is also replayed as the tail of a real segment: the segment's
// own records must come out first whatever follows them.
func FuzzReplay(f *testing.F) {
	if headerCRC(fuzzSeg, 0) == 0 {
		f.Fatalf("headerCRC(%d, 0) is 0: pick another fuzzSeg", fuzzSeg)
	}
	recs := [][]byte{[]byte("first mutation"), {}, payload(1), payload(2), bytes.Repeat([]byte{0}, 40), payload(3)}
	seg, _ := writeSegment(f, recs, fuzzSeg)
	base, baseRecs := writeSegment(f, recs[:3], fuzzSeg)
	// The model must agree with the writer before it judges the reader.
	checkEntries(f, modelReplay(base, fuzzSeg, true, false).recs, baseRecs)

	f.Add([]byte{})
	f.Add(appendSegmentHeader(nil, fuzzSeg)[:segmentHeaderSize-3])
	f.Add(appendSegmentHeader(nil, fuzzSeg))
	f.Add(seg)
	f.Add(seg[:len(seg)-5])                              // torn last record
	f.Add(seg[:len(base)+recordHeaderSize/2])            // torn inside the fourth record's header
	f.Add(append(bytes.Clone(seg), make([]byte, 64)...)) // zero-filled tail
	f.Add(append(bytes.Clone(seg), "garbage"...))
	flipped := bytes.Clone(seg)
	flipped[len(base)+recordHeaderSize+1] ^= 0x40 // the fourth record's payload: intact records follow
	f.Add(flipped)
	// A stray byte before the fourth record: damage with an intact record
	// at the very next offset.
	f.Add(slices.Concat(seg[:len(base)], []byte{0}, seg[len(base):]))
	badMagic := bytes.Clone(seg)
	badMagic[0] ^= 1 // bad header, intact records after it: corrupt, not unfinished
	f.Add(badMagic)
	other, _ := writeSegment(f, recs, fuzzSeg+1)
	f.Add(other) // another segment's records never validate here
	f.Add(appendRecord(nil, fuzzSeg, []byte("a record and no header")))

	f.Fuzz(func(t *testing.T, data []byte) {
		checkReplay(t, data, true, false)
		checkReplay(t, data, true, true)
		checkReplay(t, data, false, false)
		checkReplay(t, data, false, true)

		tail := append(bytes.Clone(base), data...)
		got := checkReplay(t, tail, true, false)
		if len(got) < len(baseRecs) {
			t.Fatalf("a valid segment followed by %d more bytes replays %d records, want at least its %d", len(data), len(got), len(baseRecs))
		}
		checkEntries(t, got[:len(baseRecs)], baseRecs)
		checkReplay(t, tail, true, true)
	})
}

// writeSegment has the commit log write recs into segment id and returns
// the segment file's bytes and the records with the positions Append gave.
func writeSegment(tb testing.TB, recs [][]byte, id uint64) ([]byte, []entry) {
	tb.Helper()
	fs := vfs.NewMem()
	opts := Options{FS: fs, Dir: testDir, Sync: Batch, MinSegmentID: id}
	l, _ := openReplay(tb, opts)
	var written []entry
	for _, rec := range recs {
		pos, err := l.Append(rec)
		if err != nil || pos.Segment != id {
			tb.Fatalf("Append: %v in segment %d, want segment %d", err, pos.Segment, id)
		}
		written = append(written, entry{pos, rec})
	}
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	data, err := vfs.ReadFile(fs, filepath.Join(testDir, segmentName(id)))
	if err != nil {
		tb.Fatal(err)
	}
	return data, written
}

// checkReplay replays data as segment fuzzSeg, the last segment or followed
// by an intact one, checks the outcome against modelReplay and returns the
// records replayed.
func checkReplay(t *testing.T, data []byte, last, skip bool) []entry {
	t.Helper()
	name := filepath.Join(testDir, segmentName(fuzzSeg))
	fs := vfs.NewMem()
	if err := fs.MkdirAll(testDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFileAtomic(fs, name, data); err != nil {
		t.Fatal(err)
	}
	var after []entry // the records of the segment after it, when not last
	if !last {
		rec := []byte("in the next segment")
		next := appendRecord(appendSegmentHeader(nil, fuzzSeg+1), fuzzSeg+1, rec)
		if err := vfs.WriteFileAtomic(fs, filepath.Join(testDir, segmentName(fuzzSeg+1)), next); err != nil {
			t.Fatal(err)
		}
		after = []entry{{Position{fuzzSeg + 1, segmentHeaderSize}, rec}}
	}
	opts := Options{FS: fs, Dir: testDir, SkipCorrupt: skip}
	want := modelReplay(data, fuzzSeg, last, skip)
	mode := fmt.Sprintf("last=%v SkipCorrupt=%v", last, skip)

	got, err := replayWithin(t, opts)
	if want.corruptAt >= 0 {
		var ce *CorruptError
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.File != name || ce.Offset != want.corruptAt {
			t.Fatalf("%s: replay error %v, want a *CorruptError at %s:%d", mode, err, name, want.corruptAt)
		}
	} else {
		if err != nil {
			t.Fatalf("%s: replay error %v, want none", mode, err)
		}
		want.recs = append(want.recs, after...)
	}
	if len(got) != len(want.recs) {
		t.Fatalf("%s: replayed %d records, want %d (at %v, want %v)", mode, len(got), len(want.recs), positions(got), positions(want.recs))
	}
	checkEntries(t, got, want.recs)

	fi, err := fs.Stat(name)
	switch {
	case want.size < 0 && err == nil:
		t.Fatalf("%s: segment with a bad header and no intact record was not removed", mode)
	case want.size >= 0 && err != nil:
		t.Fatalf("%s: segment: %v, want %d bytes", mode, err, want.size)
	case want.size >= 0 && fi.Size() != want.size:
		t.Fatalf("%s: segment is %d bytes after replay, want %d", mode, fi.Size(), want.size)
	}

	if want.corruptAt < 0 && !skip {
		again, err := replayWithin(t, opts)
		if err != nil {
			t.Fatalf("%s: second replay after the repair: %v", mode, err)
		}
		checkEntries(t, again, got)
	}
	return got
}

func positions(es []entry) []Position {
	var ps []Position
	for _, e := range es {
		ps = append(ps, e.pos)
	}
	return ps
}

// replayWithin opens, replays and closes the log of opts, failing the test
// if that takes longer than replayDeadline.
func replayWithin(t *testing.T, opts Options) ([]entry, error) {
	t.Helper()
	type result struct {
		recs []entry
		err  error
	}
	done := make(chan result, 1)
	go func() {
		recs, err := replayAll(opts)
		done <- result{recs, err}
	}()
	timer := time.NewTimer(replayDeadline)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.recs, r.err
	case <-timer.C:
		t.Fatalf("replay did not finish within %v", replayDeadline)
		return nil, nil
	}
}

// replayOutcome is what Replay should do with one segment.
type replayOutcome struct {
	recs      []entry
	corruptAt int64 // offset of the *CorruptError, or -1 for none
	size      int64 // the file's size afterwards, or -1 if it is removed
}

// modelReplay is Replay's doc comment applied to segment seg holding data.
func modelReplay(data []byte, seg uint64, last, skip bool) replayOutcome {
	size := int64(len(data))
	if !intactHeader(data, seg) {
		switch {
		case last && nextIntact(data, segmentHeaderSize, seg) < 0:
			return replayOutcome{corruptAt: -1, size: -1}
		case skip:
			return replayOutcome{corruptAt: -1, size: size}
		}
		return replayOutcome{corruptAt: 0, size: size}
	}
	var out replayOutcome
	off := segmentHeaderSize
	for off < len(data) {
		if n := intactRecord(data, off, seg); n > 0 {
			out.recs = append(out.recs, entry{Position{seg, int64(off)}, data[off+recordHeaderSize : off+n]})
			off += n
			continue
		}
		next := nextIntact(data, off+1, seg)
		switch {
		case next < 0 && last:
			out.corruptAt, out.size = -1, int64(off)
			return out
		case !skip:
			out.corruptAt, out.size = int64(off), size
			return out
		case next < 0:
			out.corruptAt, out.size = -1, size
			return out
		}
		off = next
	}
	out.corruptAt, out.size = -1, size
	return out
}

// intactHeader reports whether data starts with the header of segment seg.
func intactHeader(data []byte, seg uint64) bool {
	return len(data) >= segmentHeaderSize &&
		string(data[:8]) == segmentMagic &&
		binary.LittleEndian.Uint32(data[8:12]) == formatVersion &&
		binary.LittleEndian.Uint64(data[12:20]) == seg &&
		binary.LittleEndian.Uint32(data[20:24]) == crc32.Checksum(data[:20], castagnoli)
}

// intactRecord returns the encoded size of the intact record of segment seg
// at data[off:], or 0 if there is none.
func intactRecord(data []byte, off int, seg uint64) int {
	b := data[off:]
	if len(b) < recordHeaderSize {
		return 0
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if uint64(n) > uint64(len(b)-recordHeaderSize) {
		return 0
	}
	var covered [12]byte
	binary.LittleEndian.PutUint64(covered[0:8], seg)
	copy(covered[8:12], b[0:4])
	if crc32.Checksum(covered[:], castagnoli) != binary.LittleEndian.Uint32(b[4:8]) {
		return 0
	}
	end := recordHeaderSize + int(n)
	if crc32.Checksum(append(covered[:], b[recordHeaderSize:end]...), castagnoli) != binary.LittleEndian.Uint32(b[8:12]) {
		return 0
	}
	return end
}

// nextIntact returns the first offset at or after from where an intact
// record of segment seg starts, or -1.
func nextIntact(data []byte, from int, seg uint64) int {
	for i := from; i < len(data); i++ {
		if intactRecord(data, i, seg) > 0 {
			return i
		}
	}
	return -1
}
