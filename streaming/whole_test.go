package streaming

import (
	"context"
	"errors"
	"slices"
	"testing"

	"wcdb/ring"
	"wcdb/sstable"
)

// modes returns the mode of each file-start frame.
func modes(t testing.TB, frames [][]byte) []uint64 {
	t.Helper()
	var out []uint64
	for _, f := range frames {
		kind, body, err := openFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if kind == kindFileStart {
			vals := make([]uint64, 3)
			if err := decodeControl(kind, body, vals); err != nil {
				t.Fatal(err)
			}
			out = append(out, vals[2])
		}
	}
	return out
}

// TestWholeFileStream: a file whose key span lies in the ranges is sent
// whole when the receiver reads its format, the others entry by entry; the
// receiver ends with the same data either way.
func TestWholeFileStream(t *testing.T) {
	_, src := openEngine(t)
	// File 1: partitions with tokens in (0, 2e18] only. File 2: the ring.
	for i := 0; i < 400; i++ {
		if tok := pkey(i).Token; tok > 0 && tok <= 2e18 {
			writeMix(t, src, i, i+1, 3, 10)
		}
	}
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	writeMix(t, src, 400, 700, 3, 20)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	files := src.Files()
	ranges := []ring.Range{{Start: -1e18, End: 3e18}}
	for _, c := range []struct {
		format uint32
		want   []uint64
	}{
		{sstable.FormatVersion, []uint64{modeWholeFile, modeEntries}},
		{sstable.FormatVersion + 1, []uint64{modeEntries, modeEntries}},
		{0, []uint64{modeEntries, modeEntries}},
	} {
		frames, sst := collect(t, src, Request{Table: testTable, Ranges: ranges, SSTableFormat: c.format}, 8<<10)
		if got := modes(t, frames); !slices.Equal(got, c.want) {
			t.Fatalf("format %d: modes %v, want %v", c.format, got, c.want)
		}
		_, dst := openEngine(t)
		rst, err := Receive(context.Background(), dst, replay(frames), nil)
		if err != nil {
			t.Fatalf("format %d: %v", c.format, err)
		}
		sameLines(t, "receiver", dump(t, dst, nil), dump(t, src, inRanges(ranges)))
		if err := dst.Verify(); err != nil {
			t.Fatal(err)
		}
		if rst.Partitions != sst.Partitions || rst.Rows != sst.Rows || rst.Bytes != sst.Bytes || rst.Imported != 2 {
			t.Fatalf("format %d: receiver %+v, sender %+v", c.format, rst, sst)
		}
		wantWhole := 0
		for _, m := range c.want {
			if m == modeWholeFile {
				wantWhole++
			}
		}
		if sst.WholeFiles != wantWhole || rst.WholeFiles != wantWhole {
			t.Fatalf("format %d: %d and %d whole files, want %d", c.format, sst.WholeFiles, rst.WholeFiles, wantWhole)
		}
		if c.format == sstable.FormatVersion {
			got := dst.Files()
			if got[0].Meta.FileSize != files[0].Meta.FileSize || got[0].Meta.Stats != files[0].Meta.Stats {
				t.Fatalf("whole file: got %+v, want %+v", got[0].Meta, files[0].Meta)
			}
			if sst.Partitions < files[0].Meta.Partitions+1 {
				t.Fatalf("sender counted %d partitions", sst.Partitions)
			}
		}
	}
}

// TestWholeFileChecks: a file sent whole is refused (and not added) when
// it is not what its file-end frame says, when its bytes do not open as an
// SSTable, or, for Fetch, when it lies outside the ranges asked for.
func TestWholeFileChecks(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 100)
	whole := []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}
	frames, _ := collect(t, src, Request{Table: testTable, Ranges: whole, SSTableFormat: sstable.FormatVersion}, 4<<10)
	if m := modes(t, frames); m[0] != modeWholeFile {
		t.Fatalf("modes %v", m)
	}
	firstEnd := slices.IndexFunc(frames, func(f []byte) bool { return f[1] == kindFileEnd })
	// Frames rewritten with valid checksums, as a sender with a bug (or a
	// damaged file) would send them.
	e, _ := openEngine(t)
	vals := make([]uint64, 4)
	_, body, _ := openFrame(frames[firstEnd])
	if err := decodeControl(kindFileEnd, body, vals); err != nil {
		t.Fatal(err)
	}
	wrongRows := slices.Clone(frames)
	wrongRows[firstEnd] = appendControl(nil, kindFileEnd, vals[0], vals[1], vals[2]+1, vals[3])
	garbled := slices.Clone(frames)
	last := slices.Clone(frames[firstEnd-1])
	last[len(last)-4-10] ^= 0xff // in the file's footer
	garbled[firstEnd-1] = finishFrame(last[:len(last)-4])
	for name, fr := range map[string][][]byte{"wrong row count": wrongRows, "footer damaged": garbled} {
		dst := recreate(t, e)
		_, err := Receive(context.Background(), dst, replay(fr), nil)
		if !errors.Is(err, ErrCorrupt) || fileCount(dst) != 0 {
			t.Fatalf("%s: got %v and %d files, want ErrCorrupt and none", name, err, fileCount(dst))
		}
	}
	// Fetch: whole files of the ring where (0, 1e18] was asked for.
	dst := recreate(t, e)
	open := func(ctx context.Context, enc []byte) (func() ([]byte, error), error) {
		req, err := DecodeRequest(enc)
		if err != nil {
			return nil, err
		}
		req.Ranges = whole
		fr, _ := collect(t, src, req, chunkSize)
		return replay(fr), nil
	}
	_, err := fetch(context.Background(), dst, Request{Table: testTable, Ranges: []ring.Range{{Start: 0, End: 1e18}}}, open, 0, nil, nil)
	if !errors.Is(err, ErrCorrupt) || fileCount(dst) != 0 {
		t.Fatalf("whole file outside the ranges: got %v and %d files, want ErrCorrupt and none", err, fileCount(dst))
	}
}
