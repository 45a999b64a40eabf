package corrupt_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"wcdb/commitlog"
	"wcdb/internal/corrupt"
	"wcdb/internal/vfs"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/sstable"
	"wcdb/storage"
	"wcdb/streaming"
)

// TestSentinels: every layer's sentinel keeps its message and its identity
// and carries the marker.
func TestSentinels(t *testing.T) {
	sentinels := []struct {
		err error
		msg string
	}{
		{sstable.ErrCorrupt, "sstable: corrupt"},
		{commitlog.ErrCorrupt, "commitlog: corrupt"},
		{mutation.ErrCorrupt, "mutation: corrupt encoding"},
		{storage.ErrCorrupt, "storage: corrupt"},
		{streaming.ErrCorrupt, "streaming: corrupt stream"},
		{messaging.ErrCorrupt, "messaging: corrupt message"},
	}
	for i, s := range sentinels {
		if got := s.err.Error(); got != s.msg {
			t.Errorf("message: got %q, want %q", got, s.msg)
		}
		wrapped := fmt.Errorf("%w: somewhere: something", s.err)
		if !errors.Is(wrapped, corrupt.Err) || !errors.Is(wrapped, s.err) {
			t.Errorf("%q wrapped: errors.Is marker %v, sentinel %v; want both", s.msg,
				errors.Is(wrapped, corrupt.Err), errors.Is(wrapped, s.err))
		}
		for j, o := range sentinels {
			if i != j && errors.Is(wrapped, o.err) {
				t.Errorf("%q wrapped matches %q", s.msg, o.msg)
			}
		}
	}
	if errors.Is(io.ErrUnexpectedEOF, corrupt.Err) {
		t.Error("an unrelated error matches the marker")
	}
}

// TestLayersMatchMarker damages an SSTable, a commit log record and a
// streamed frame: each layer's error matches both its own sentinel and the
// marker.
func TestLayersMatchMarker(t *testing.T) {
	check := func(what string, err, sentinel error) {
		t.Helper()
		t.Logf("%s: %v", what, err)
		if !errors.Is(err, sentinel) || !errors.Is(err, corrupt.Err) {
			t.Errorf("%s: got %v; want an error matching %q and the marker", what, err, sentinel)
		}
	}
	check("sstable", damagedSSTable(t), sstable.ErrCorrupt)
	check("commit log", damagedCommitLog(t), commitlog.ErrCorrupt)
	check("stream", damagedStream(t), streaming.ErrCorrupt)

	_, err := mutation.DecodeMutation([]byte{mutation.EncodingVersion, 1, 2})
	check("mutation", err, mutation.ErrCorrupt)
}

func key(i int) mutation.Key {
	b := fmt.Appendf(nil, "key-%03d", i)
	return mutation.Key{Token: ring.Murmur3(b), Bytes: b}
}

// damagedSSTable writes a table, flips a byte of its first data block and
// verifies it.
func damagedSSTable(t *testing.T) error {
	fs := vfs.NewMem()
	w, err := sstable.NewWriter(fs, "/t.sst", sstable.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]mutation.Key, 50)
	for i := range keys {
		keys[i] = key(i)
	}
	slices.SortFunc(keys, func(a, b mutation.Key) int { return a.Compare(b) })
	for _, k := range keys {
		w.StartPartition(k, []byte{0})
		w.AddRow([]byte("c"), []byte("row bytes"))
		if err := w.FinishPartition(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Finish(sstable.Stats{}); err != nil {
		t.Fatal(err)
	}
	data, err := vfs.ReadFile(fs, "/t.sst")
	if err != nil {
		t.Fatal(err)
	}
	data[10] ^= 0x40
	if err := vfs.WriteFileAtomic(fs, "/t.sst", data); err != nil {
		t.Fatal(err)
	}
	r, err := sstable.Open(fs, "/t.sst", sstable.ReaderOptions{})
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Verify()
}

// damagedCommitLog appends three records, flips a byte of the first one's
// payload and replays: an intact record follows, so a crash cannot explain
// the damage.
func damagedCommitLog(t *testing.T) error {
	fs := vfs.NewMem()
	opts := commitlog.Options{FS: fs, Dir: "/log", Sync: commitlog.Batch}
	l, err := commitlog.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Replay(func(commitlog.Position, []byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var first commitlog.Position
	for i := range 3 {
		pos, err := l.Append(fmt.Appendf(nil, "record %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = pos
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := fs.List("/log")
	if err != nil || len(names) != 1 {
		t.Fatalf("segments: %v, %v; want one", names, err)
	}
	path := "/log/" + names[0]
	data, err := vfs.ReadFile(fs, path)
	if err != nil {
		t.Fatal(err)
	}
	data[first.Offset+12] ^= 0x40 // the payload, past the 12-byte record header
	if err := vfs.WriteFileAtomic(fs, path, data); err != nil {
		t.Fatal(err)
	}
	l, err = commitlog.Open(opts)
	if err != nil {
		return err
	}
	defer l.Close()
	return l.Replay(func(commitlog.Position, []byte) error { return nil })
}

// damagedStream streams a table from one engine to another with a byte of
// the first frame flipped.
func damagedStream(t *testing.T) error {
	table := mutation.TableID{1}
	open := func(name string) *storage.Table {
		o := storage.DefaultOptions("/" + name)
		o.FS = vfs.NewMem()
		e, err := storage.Open(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		tb, err := e.CreateTable(table, storage.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	src, dst := open("src"), open("dst")
	for i := range 10 {
		row := mutation.NewRow([]byte{1})
		row.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("v")}}
		m := &mutation.Mutation{Table: table, Partition: mutation.Partition{Key: key(i), Deletion: mutation.Live, Rows: []mutation.Row{row}}}
		if err := src.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
	req := streaming.Request{Session: "s", Table: table, Ranges: []ring.Range{{Start: ring.MinToken, End: ring.MinToken}}}
	var frames [][]byte
	if _, err := streaming.Send(context.Background(), src, req, nil, func(f []byte) error {
		frames = append(frames, append([]byte(nil), f...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	frames[0][len(frames[0])/2] ^= 0x40
	next := func() ([]byte, error) {
		if len(frames) == 0 {
			return nil, io.EOF
		}
		f := frames[0]
		frames = frames[1:]
		return f, nil
	}
	_, err := streaming.Receive(context.Background(), dst, next, nil)
	return err
}
