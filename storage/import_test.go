package storage

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/internal/vfstest"
	"wcdb/mutation"
	"wcdb/sstable"
)

var importTable = mutation.TableID{7, 7, 7}

// importMix writes partitions 0..n-1 of testTable with live, TTL'd and
// deleted data, so that every statistic has something to count.
func importMix(t testing.TB, e *Engine, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := e.Apply(rowMut(i, 1, int64(10+i), fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
		r := mutation.NewRow(ck(2))
		r.Liveness = mutation.Liveness{Timestamp: 20, TTL: 100, ExpiresAt: 5000 + int64(i)}
		r.Cells = []mutation.Cell{{Column: 1, Flags: mutation.CellExpiring, Timestamp: 20, TTL: 100, LocalDeletionTime: 5000 + int64(i), Value: []byte("ttl")}}
		del := mutation.NewRow(ck(3))
		del.Deletion = mutation.Deletion{Timestamp: 30, LocalDeletionTime: 4000}
		m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(i), Deletion: mutation.Live, Rows: []mutation.Row{r, del}}}
		if i%3 == 0 {
			m.Partition.RangeTombstones = []mutation.RangeTombstone{{Start: ck(5), End: ck(9), Deletion: mutation.Deletion{Timestamp: 40, LocalDeletionTime: 4100}}}
			st := mutation.NewRow(nil)
			st.Cells = []mutation.Cell{cellv(9, 41, "static")}
			m.Partition.Static = &st
		}
		if err := e.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
}

// copySections imports every SSTable of src into dst, one import per file,
// as a stream receiver would.
func copySections(t testing.TB, src, dst *Table) []sstable.Meta {
	t.Helper()
	var metas []sstable.Meta
	err := src.WithFiles(func(files []FileSection) error {
		for _, f := range files {
			im, err := dst.NewImport()
			if err != nil {
				return err
			}
			it := f.Reader.ScanUncached(nil, nil)
			for it.Next() {
				p := it.Partition()
				if err := im.StartPartition(p.Key(), p.Header()); err != nil {
					return err
				}
				ri := p.Rows(nil, nil, false)
				for ri.Next() {
					if err := im.AddRow(ri.Clustering(), ri.Row()); err != nil {
						return err
					}
				}
				if err := ri.Close(); err != nil {
					return err
				}
				if err := im.FinishPartition(); err != nil {
					return err
				}
			}
			if err := it.Close(); err != nil {
				im.Abort()
				return err
			}
			m, err := im.Commit()
			if err != nil {
				return err
			}
			metas = append(metas, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return metas
}

// rawDump is every partition of tb as raw (canonical) reads see it.
func rawDump(t testing.TB, tb *Table) string {
	t.Helper()
	var sb strings.Builder
	_, err := tb.Scan(ScanQuery{Raw: true}, func(p *mutation.Partition) bool {
		fmt.Fprintf(&sb, "%d/%x %x\n", p.Key.Token, p.Key.Bytes, mutation.AppendMutation(nil, &mutation.Mutation{Partition: *p}))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// TestImportMatchesFlush: an SSTable imported from another table's file
// holds the same data, with the same statistics, as the file a flush wrote;
// it survives a restart.
func TestImportMatchesFlush(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true; o.BlockSize = 512 })
	src, _ := e.CreateTable(testTable, TableOptions{})
	dst, _ := e.CreateTable(importTable, TableOptions{Compression: "none"})
	importMix(t, e, 200)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	metas := copySections(t, src, dst)
	want := src.Files()[0].Meta
	got := dst.Files()
	if len(got) != 1 || len(metas) != 1 {
		t.Fatalf("got %d files (%d commits), want 1", len(got), len(metas))
	}
	g := got[0].Meta
	if g.Stats != want.Stats || g.Partitions != want.Partitions || !g.MinKey.Equal(want.MinKey) || !g.MaxKey.Equal(want.MaxKey) {
		t.Fatalf("imported file's meta\n got %+v\nwant %+v", g, want)
	}
	if g.Stats != metas[0].Stats {
		t.Fatalf("Commit returned %+v, file has %+v", metas[0].Stats, g.Stats)
	}
	if g.Tombstones == 0 || g.MaxTombstoneTime < 5000 {
		t.Fatalf("stats miss the tombstones and TTLs: %+v", g.Stats)
	}
	wantDump := rawDump(t, src)
	if d := rawDump(t, dst); d != wantDump || d == "" {
		t.Fatalf("imported data differs:\n got %s\nwant %s", d, wantDump)
	}
	if err := dst.Verify(); err != nil {
		t.Fatal(err)
	}
	// Durable once committed: a crash keeps it.
	e2 := openTest(t, fs.Crash(), nil)
	defer e2.Close()
	if d := rawDump(t, e2.Table(importTable)); d != wantDump {
		t.Fatalf("after a crash: imported data differs")
	}
	e.Close()
}

// TestImportCrashBeforeCommit: a crash at any point before Commit returns
// leaves no trace of the import once the engine reopens: the debris file is
// deleted and reads see nothing. Aborting removes the file at once.
func TestImportCrashBeforeCommit(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	tb, _ := e.CreateTable(testTable, TableOptions{})
	im, err := tb.NewImport()
	if err != nil {
		t.Fatal(err)
	}
	row := mutation.NewRow(ck(1))
	row.Cells = []mutation.Cell{cellv(1, 5, strings.Repeat("x", 1000))}
	enc := mutation.AppendRow(nil, &row)
	for i := 0; i < 500; i++ { // past the writer's buffer: bytes reach the file
		k := mutation.Key{Token: int64(i), Bytes: ck(i)}
		if err := im.StartPartition(k, nil); err != nil {
			t.Fatal(err)
		}
		if err := im.AddRow(ck(1), enc); err != nil {
			t.Fatal(err)
		}
		if err := im.FinishPartition(); err != nil {
			t.Fatal(err)
		}
	}
	// Make the partial file durable, as an unlucky crash could.
	names, _ := fs.List(tb.dir)
	var debris string
	for _, n := range names {
		if strings.HasSuffix(n, ".tmp") {
			debris = filepath.Join(tb.dir, n)
		}
	}
	if debris == "" {
		t.Fatalf("no temporary file in %v", names)
	}
	if err := fs.SyncDir(tb.dir); err != nil {
		t.Fatal(err)
	}
	crashed := fs.Crash()
	if _, err := crashed.Stat(debris); err != nil {
		t.Fatalf("the crash image lacks the partial file: %v", err)
	}
	e2 := openTest(t, crashed, nil)
	tb2 := e2.Table(testTable)
	if n := len(tb2.Files()); n != 0 {
		t.Fatalf("got %d files after a crash mid-import, want 0", n)
	}
	if _, err := crashed.Stat(debris); err == nil {
		t.Fatalf("%s not removed at open", debris)
	}
	if d := rawDump(t, tb2); d != "" {
		t.Fatalf("partial import visible: %s", d)
	}
	e2.Close()

	im.Abort()
	if _, err := fs.Stat(debris); err == nil {
		t.Fatalf("%s still there after Abort", debris)
	}
	if _, err := im.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if d := rawDump(t, tb); d != "" || len(tb.Files()) != 0 {
		t.Fatalf("aborted import visible: %s", d)
	}
	e.Close()
}

// TestImportRejects: out-of-order keys fail with the writer's error and add
// nothing; an empty import publishes no file; a dropped table refuses.
func TestImportRejects(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{})
	im, _ := tb.NewImport()
	if err := im.StartPartition(mutation.Key{Token: 5, Bytes: []byte("b")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := im.FinishPartition(); err != nil {
		t.Fatal(err)
	}
	if err := im.StartPartition(mutation.Key{Token: 5, Bytes: []byte("a")}, nil); err == nil || !strings.Contains(err.Error(), "not after") {
		t.Fatalf("out-of-order key: got %v, want the writer's ordering error", err)
	}
	if _, err := im.Commit(); err == nil {
		t.Fatal("Commit after a failed write succeeded")
	}
	im.Abort()
	im, _ = tb.NewImport()
	if err := im.AddRow(ck(1), []byte{0xee}); err == nil {
		t.Fatal("malformed row accepted")
	}
	im.Abort()
	im, _ = tb.NewImport()
	if m, err := im.Commit(); err != nil || m.Partitions != 0 {
		t.Fatalf("empty import: got %+v, %v; want a zero Meta and no error", m, err)
	}
	if n := len(tb.Files()); n != 0 {
		t.Fatalf("got %d files, want 0", n)
	}
	if names, _ := fs.List(tb.dir); len(names) != 1 {
		t.Fatalf("table directory holds %v, want only the MANIFEST", names)
	}

	im, _ = tb.NewImport()
	im.StartPartition(mutation.Key{Token: 1, Bytes: []byte("k")}, nil)
	im.FinishPartition()
	if err := e.DropTable(testTable); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(); !errors.Is(err, ErrNoTable) {
		t.Fatalf("Commit into a dropped table: got %v, want ErrNoTable", err)
	}
	if _, err := tb.NewImport(); !errors.Is(err, ErrNoTable) {
		t.Fatalf("NewImport of a dropped table: got %v, want ErrNoTable", err)
	}
}

// TestImportErrorInjection fails every file operation of an import in turn:
// the error surfaces, and after a crash at that point the table holds all
// of the imported partitions or none, and all of them once Commit returned
// nil.
func TestImportErrorInjection(t *testing.T) {
	const parts = 20
	var committed bool
	setup := func(t testing.TB, fs *vfs.MemFS) {
		e, err := Open(faultOptions(fs))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.CreateTable(testTable, TableOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	row := mutation.NewRow(ck(1))
	row.Cells = []mutation.Cell{cellv(1, 5, "value")}
	enc := mutation.AppendRow(nil, &row)
	loop := vfstest.Loop{Setup: setup, MaxOps: 5000}
	loop.Run = func(fs vfs.FS) (err error) {
		committed = false
		e, err := Open(faultOptions(fs))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := e.Close(); err == nil {
				err = cerr
			}
		}()
		im, err := e.Table(testTable).NewImport()
		if err != nil {
			return err
		}
		defer im.Abort()
		for i := 0; i < parts; i++ {
			k := mutation.Key{Token: int64(i), Bytes: ck(i)}
			if err := im.StartPartition(k, nil); err != nil {
				return err
			}
			if err := im.AddRow(ck(1), enc); err != nil {
				return err
			}
			if err := im.FinishPartition(); err != nil {
				return err
			}
		}
		if _, err := im.Commit(); err != nil {
			return err
		}
		committed = true
		return nil
	}
	loop.Check = func(t testing.TB, fs *vfs.MemFS, runErr error) {
		e, err := Open(faultOptions(fs.Crash()))
		if err != nil {
			t.Fatalf("reopen after %v: %v", runErr, err)
		}
		defer e.Close()
		tb := e.Table(testTable)
		if err := tb.Verify(); err != nil {
			t.Fatalf("verify: %v", err)
		}
		n := 0
		if _, err := tb.Scan(ScanQuery{}, func(*mutation.Partition) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
		if n != 0 && n != parts || committed && n != parts {
			t.Fatalf("after a crash: %d of %d imported partitions (committed %v, run error %v)", n, parts, committed, runErr)
		}
	}
	runs := loop.Do(t)
	t.Logf("%d runs", runs)
}

// TestWithFilesHoldsFiles: the files handed to WithFiles stay readable while
// a compaction replaces them, and are deleted once it returns.
func TestWithFilesHoldsFiles(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true })
	defer e.Close()
	tb, _ := e.CreateTable(testTable, TableOptions{CompactionOptions: map[string]string{"min_threshold": "2"}})
	for i := 0; i < 3; i++ {
		for p := 0; p < 10; p++ {
			e.Apply(rowMut(p, i, int64(i+1), "v"))
		}
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	err := tb.WithFiles(func(files []FileSection) error {
		if len(files) != 3 {
			t.Fatalf("got %d files, want 3", len(files))
		}
		for i, f := range files {
			if i > 0 && f.Num <= files[i-1].Num {
				t.Fatalf("files not in ascending number: %d after %d", f.Num, files[i-1].Num)
			}
			if f.Size != f.Reader.Meta().FileSize || f.Size == 0 {
				t.Fatalf("file %d: size %d, meta says %d", f.Num, f.Size, f.Reader.Meta().FileSize)
			}
			paths = append(paths, f.Reader.Path())
		}
		if err := tb.Compact(); err != nil {
			return err
		}
		if n := len(tb.Files()); n != 1 {
			t.Fatalf("got %d files after compaction, want 1", n)
		}
		for _, f := range files {
			it := f.Reader.ScanUncached(nil, nil)
			n := 0
			for it.Next() {
				n++
			}
			if err := it.Close(); err != nil || n != 10 {
				return fmt.Errorf("held file %d: %d partitions, %v", f.Num, n, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, err := fs.Stat(p); err == nil {
			t.Fatalf("%s not deleted after WithFiles returned", p)
		}
	}
}

// copyWhole imports every SSTable of src into dst byte for byte.
func copyWhole(t testing.TB, src, dst *Table, check func(sstable.Meta) error) ([]sstable.Meta, error) {
	t.Helper()
	var metas []sstable.Meta
	err := src.WithFiles(func(files []FileSection) error {
		for _, f := range files {
			raw, err := f.OpenRaw()
			if err != nil {
				return err
			}
			defer raw.Close()
			fi, err := dst.NewFileImport()
			if err != nil {
				return err
			}
			buf := make([]byte, 1000)
			for off := int64(0); off < f.Size; {
				n, err := raw.ReadAt(buf[:min(int64(len(buf)), f.Size-off)], off)
				if err != nil {
					fi.Abort()
					return err
				}
				if err := fi.Write(buf[:n]); err != nil {
					return err
				}
				off += int64(n)
			}
			if fi.Size() != f.Size {
				return fmt.Errorf("wrote %d of %d bytes", fi.Size(), f.Size)
			}
			m, err := fi.Commit(check)
			if err != nil {
				return err
			}
			metas = append(metas, m)
		}
		return nil
	})
	return metas, err
}

// TestFileImport: a file copied whole holds the same data and metadata;
// a check can refuse it, garbage is refused as corrupt, and neither leaves
// anything behind.
func TestFileImport(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) { o.DisableAutoCompaction = true; o.BlockSize = 512 })
	src, _ := e.CreateTable(testTable, TableOptions{})
	dst, _ := e.CreateTable(importTable, TableOptions{Compression: "none"})
	importMix(t, e, 150)
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("not this one")
	if _, err := copyWhole(t, src, dst, func(sstable.Meta) error { return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("refused by check: got %v", err)
	}
	if names, _ := fs.List(dst.dir); len(names) != 1 || len(dst.Files()) != 0 {
		t.Fatalf("after a refused import the directory holds %v", names)
	}
	var seen sstable.Meta
	metas, err := copyWhole(t, src, dst, func(m sstable.Meta) error { seen = m; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := src.Files()[0].Meta
	if got := dst.Files(); len(got) != 1 || got[0].Meta.Stats != want.Stats || got[0].Meta.FileSize != want.FileSize ||
		metas[0].Partitions != want.Partitions || seen.Partitions != want.Partitions {
		t.Fatalf("imported %+v, want %+v", dst.Files(), want)
	}
	wantDump := rawDump(t, src)
	if d := rawDump(t, dst); d != wantDump {
		t.Fatalf("imported data differs")
	}
	// Garbage does not open: corrupt, and removed.
	fi, err := dst.NewFileImport()
	if err != nil {
		t.Fatal(err)
	}
	fi.Write([]byte(strings.Repeat("not an sstable ", 10)))
	if _, err := fi.Commit(nil); !errors.Is(err, sstable.ErrCorrupt) {
		t.Fatalf("garbage: got %v, want sstable.ErrCorrupt", err)
	}
	fi.Abort()
	if names, _ := fs.List(dst.dir); len(names) != 2 || len(dst.Files()) != 1 {
		t.Fatalf("after garbage the directory holds %v", names)
	}
	// Aborted or crashed before Commit: nothing.
	fi, _ = dst.NewFileImport()
	fi.Write([]byte("partial"))
	fs.SyncDir(dst.dir)
	e2 := openTest(t, fs.Crash(), nil)
	if n := len(e2.Table(importTable).Files()); n != 1 {
		t.Fatalf("after a crash mid-import: %d files, want 1", n)
	}
	e2.Close()
	fi.Abort()
	if names, _ := fs.List(dst.dir); len(names) != 2 {
		t.Fatalf("after Abort the directory holds %v", names)
	}
	if err := fi.Write([]byte("x")); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
	e.Close()
}

// TestFileImportErrorInjection: whatever file operation fails, a crash
// then leaves the whole file imported or nothing, and the file once Commit
// returned nil.
func TestFileImportErrorInjection(t *testing.T) {
	var image []byte
	var wantParts int64
	{
		fs := vfs.NewMem()
		e, err := Open(faultOptions(fs))
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := e.CreateTable(testTable, TableOptions{})
		importMix(t, e, 30)
		if err := tb.Flush(); err != nil {
			t.Fatal(err)
		}
		f := tb.Files()[0]
		wantParts = f.Meta.Partitions
		if image, err = vfs.ReadFile(fs, f.Path); err != nil {
			t.Fatal(err)
		}
		e.Close()
	}
	var committed bool
	loop := vfstest.Loop{
		MaxOps: 5000,
		Setup: func(t testing.TB, fs *vfs.MemFS) {
			e, err := Open(faultOptions(fs))
			if err != nil {
				t.Fatal(err)
			}
			e.CreateTable(importTable, TableOptions{})
			e.Close()
		},
		Run: func(fs vfs.FS) (err error) {
			committed = false
			e, err := Open(faultOptions(fs))
			if err != nil {
				return err
			}
			defer func() {
				if cerr := e.Close(); err == nil {
					err = cerr
				}
			}()
			fi, err := e.Table(importTable).NewFileImport()
			if err != nil {
				return err
			}
			defer fi.Abort()
			for off := 0; off < len(image); off += 4096 {
				if err := fi.Write(image[off:min(off+4096, len(image))]); err != nil {
					return err
				}
			}
			if _, err := fi.Commit(nil); err != nil {
				return err
			}
			committed = true
			return nil
		},
		Check: func(t testing.TB, fs *vfs.MemFS, runErr error) {
			e, err := Open(faultOptions(fs.Crash()))
			if err != nil {
				t.Fatalf("reopen after %v: %v", runErr, err)
			}
			defer e.Close()
			tb := e.Table(importTable)
			if err := tb.Verify(); err != nil {
				t.Fatalf("verify: %v", err)
			}
			n := 0
			if _, err := tb.Scan(ScanQuery{Raw: true}, func(*mutation.Partition) bool { n++; return true }); err != nil {
				t.Fatal(err)
			}
			if n != 0 && int64(n) != wantParts || committed && int64(n) != wantParts {
				t.Fatalf("after a crash: %d of %d partitions (committed %v, run error %v)", n, wantParts, committed, runErr)
			}
		},
	}
	t.Logf("%d runs", loop.Do(t))
}
