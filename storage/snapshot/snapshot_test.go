package snapshot

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/storage"
)

var tableID = mutation.TableID{0xab, 1}

func write(t *testing.T, e *storage.Engine, tb *storage.Table, from, n int, v string) {
	t.Helper()
	for i := from; i < from+n; i++ {
		key := binary.BigEndian.AppendUint32(nil, uint32(i))
		r := mutation.NewRow(key)
		r.Liveness = mutation.Liveness{Timestamp: 1, ExpiresAt: mutation.NoDeletionTime}
		r.Cells = []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
		m := &mutation.Mutation{Table: tableID, Partition: mutation.Partition{
			Key: mutation.Key{Token: int64(i), Bytes: key}, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
		if err := e.Apply(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, tb *storage.Table) int {
	t.Helper()
	n := 0
	if _, err := tb.Scan(storage.ScanQuery{}, func(*mutation.Partition) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSnapshotLifecycle: a snapshot holds the table's files as they were
// when taken, shares their bytes until compaction replaces them (true size
// 0, then all of it), outlives a DROP of the table, refuses its tag a
// second time, and clearing it removes it alone.
func TestSnapshotLifecycle(t *testing.T) {
	t.Run("mem", func(t *testing.T) { testLifecycle(t, vfs.NewMem(), "/node") })
	t.Run("disk", func(t *testing.T) { testLifecycle(t, vfs.Default, t.TempDir()) })
}

func testLifecycle(t *testing.T, fs vfs.FS, root string) {
	opts := storage.DefaultOptions(root)
	opts.FS = fs
	opts.DisableAutoCompaction = true
	e, err := storage.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tb, err := e.CreateTable(tableID, storage.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, e, tb, 0, 50, "a")
	write(t, e, tb, 50, 50, "b")
	tables := []Table{{Keyspace: "ks", Name: "t", Schema: "CREATE TABLE ks.t (k int PRIMARY KEY, v text);", T: tb}}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	n, err := Take(fs, root, "before", tables, now)
	if err != nil || n != 2 {
		t.Fatalf("Take: %d files, %v; want 2", n, err)
	}
	if _, err := Take(fs, root, "before", tables, now); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second snapshot named before: %v", err)
	}
	for _, bad := range []string{"", "..", "a/b"} {
		if _, err := Take(fs, root, bad, tables, now); err == nil {
			t.Errorf("tag %q accepted", bad)
		}
	}
	list := func() Info {
		t.Helper()
		infos, err := List(fs, root)
		if err != nil || len(infos) != 1 {
			t.Fatalf("List: %+v, %v; want one snapshot", infos, err)
		}
		return infos[0]
	}
	info := list()
	if info.Tag != "before" || info.Keyspace != "ks" || info.Table != "t" || info.Files != 2 || !info.Complete ||
		info.Size == 0 || info.TrueSize != 0 || !info.Created.Equal(now) {
		t.Errorf("listed %+v; want before ks.t, 2 files sharing every byte", info)
	}
	schema, err := vfs.ReadFile(fs, filepath.Join(tableDir(root, "before", "ks", "t", tableID), "schema.cql"))
	if err != nil || !strings.HasPrefix(string(schema), "CREATE TABLE ks.t") {
		t.Errorf("schema.cql: %q, %v", schema, err)
	}

	// Compaction replaces the files: the snapshot is now their only owner.
	if err := tb.Compact(); err != nil {
		t.Fatal(err)
	}
	if info = list(); info.TrueSize != info.Size {
		t.Errorf("after compaction: true size %d of %d, want all of it", info.TrueSize, info.Size)
	}

	// The table dropped, the snapshot's files still open as a table:
	// restore by linking them into a new table's directory.
	if err := e.DropTable(tableID); err != nil {
		t.Fatal(err)
	}
	restored, err := e.CreateTable(tableID, storage.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snapDir := tableDir(root, "before", "ks", "t", tableID)
	names, _ := fs.List(snapDir)
	for _, name := range names {
		if !strings.HasSuffix(name, ".sst") {
			continue
		}
		src, err := vfs.ReadFile(fs, filepath.Join(snapDir, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := restored.NewFileImport()
		if err != nil {
			t.Fatal(err)
		}
		if err := fi.Write(src); err != nil {
			t.Fatal(err)
		}
		if _, err := fi.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, restored); got != 100 {
		t.Errorf("restored from the snapshot: %d partitions, want 100", got)
	}

	// Clearing another tag or keyspace leaves it; clearing it removes it.
	if removed, err := Clear(fs, root, "other", nil); err != nil || len(removed) != 0 {
		t.Errorf("Clear other: %v, %v", removed, err)
	}
	if removed, err := Clear(fs, root, "", []string{"ks2"}); err != nil || len(removed) != 0 {
		t.Errorf("Clear of keyspace ks2: %v, %v", removed, err)
	}
	if removed, err := Clear(fs, root, "before", nil); err != nil || len(removed) != 1 {
		t.Errorf("Clear before: %v, %v", removed, err)
	}
	if infos, err := List(fs, root); err != nil || len(infos) != 0 {
		t.Errorf("after clearing: %+v, %v", infos, err)
	}
}
