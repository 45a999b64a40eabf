package commitlog

import (
	"bytes"
	"path/filepath"
	"testing"

	"wcdb/internal/vfs"
)

// TestReadDir reads a live log's records without changing its files, and
// stops at a damaged record without failing.
func TestReadDir(t *testing.T) {
	fs := vfs.NewMem()
	l, _ := openReplay(t, Options{FS: fs, Dir: testDir, Sync: Batch, SegmentSize: 512})
	want := appendN(t, l, 0, 20)
	read := func() ([]entry, int) {
		t.Helper()
		var got []entry
		damaged, err := ReadDir(fs, testDir, func(pos Position, rec []byte) error {
			got = append(got, entry{pos, bytes.Clone(rec)})
			return nil
		})
		if err != nil {
			t.Fatalf("ReadDir: %v", err)
		}
		return got, damaged
	}
	got, damaged := read()
	checkEntries(t, got, want)
	if damaged != 0 {
		t.Errorf("damaged = %d, want 0", damaged)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// Damage the last record of the last segment: the records before it
	// are still read, and the file is left as it was.
	segs, _ := fs.List(testDir)
	last := filepath.Join(testDir, segs[len(segs)-1])
	data, err := vfs.ReadFile(fs, last)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	f, err := fs.Create(last)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, damaged = read()
	checkEntries(t, got, want[:len(want)-1])
	if damaged != 1 {
		t.Errorf("damaged = %d, want 1", damaged)
	}
	after, _ := vfs.ReadFile(fs, last)
	if !bytes.Equal(after, data) {
		t.Errorf("ReadDir changed %s", last)
	}

	if _, err := ReadDir(fs, "/nothing", func(Position, []byte) error { return nil }); err != nil {
		t.Errorf("ReadDir of a missing directory: %v", err)
	}
}
