package sstabletool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/replication"
	"wcdb/sstable"
	"wcdb/storage"
)

// testNow is the clock of the node and of the tools in the tests:
// 2024-01-01T00:00:00Z.
const testNow = 1704067200

type testTopology struct{}

func (testTopology) ClusterName() string { return "test" }
func (testTopology) Local() query.Node {
	return query.Node{Address: []byte{127, 0, 0, 1}, RPCAddress: []byte{127, 0, 0, 1}, RPCPort: 9042,
		DataCenter: "datacenter1", Rack: "rack1", Tokens: []string{"0"}}
}
func (testTopology) Peers() []query.Node { return nil }

// node is a storage engine with the query layer over it, in a MemFS.
type node struct {
	fs  *vfs.MemFS
	dir string
	e   *storage.Engine
	x   *query.Executor
	s   *query.Session
}

func openNode(t *testing.T, fs *vfs.MemFS, dir string) *node {
	t.Helper()
	opts := storage.DefaultOptions(dir)
	opts.FS = fs
	opts.DisableAutoCompaction = true
	opts.Now = func() time.Time { return time.Unix(testNow, 0) }
	e, err := storage.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	x, err := query.New(context.Background(), query.Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: e, Counters: localnode.NewCounters([16]byte{1})}, "datacenter1"),
		Backend:     localnode.Backend{E: e},
		Topology:    testTopology{},
		Now:         func() int64 { return testNow * 1e6 },
	})
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	return &node{fs: fs, dir: dir, e: e, x: x, s: &query.Session{}}
}

func (n *node) exec(t *testing.T, q string) error {
	t.Helper()
	_, err := n.x.Query(context.Background(), n.s, q, &query.Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp})
	return err
}

// tableFiles returns the live SSTables of the table "ks.name".
func tableFiles(t *testing.T, fs vfs.FS, dir, name string) ([]string, *Schema) {
	t.Helper()
	sc, err := LoadSchema(fs, dir, testNow)
	if err != nil {
		t.Fatal(err)
	}
	tab := sc.TableByName(name)
	if tab == nil {
		t.Fatalf("no table %s in the schema", name)
	}
	files, err := LiveFiles(fs, TableDir(dir, tab.ID))
	if err != nil {
		t.Fatal(err)
	}
	return files, sc
}

// TestDataDriven runs the scripts in testdata against a node in a MemFS.
// Commands:
//
//	cql                       statements, one a line, on the node
//	flush [table=ks.t]        flush every table, or one
//	files table=ks.t          the table's live SSTables
//	dump table=ks.t [file=N] [no-schema] [k=KEY,..] [x=KEY,..] [lines] [keys] [raw] [now=SECONDS]
//	metadata table=ks.t [json] [gc-grace=N] [now=SECONDS]
//	verify table=ks.t|dir=PATH
//	corrupt table=ks.t offset=N   flip a byte of the table's first file
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		fs := vfs.NewMem()
		const dir = "/node"
		n := openNode(t, fs, dir)
		defer func() { n.e.Close() }()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			var table string
			td.MaybeScanArgs(t, "table", &table)
			file := func() string {
				files, _ := tableFiles(t, fs, dir, table)
				i := 0
				td.MaybeScanArgs(t, "file", &i)
				if i >= len(files) {
					t.Fatalf("%s has %d files", table, len(files))
				}
				return files[i]
			}
			switch td.Cmd {
			case "cql":
				var out strings.Builder
				for _, q := range strings.Split(td.Input, "\n") {
					if q = strings.TrimSpace(q); q == "" {
						continue
					}
					if err := n.exec(t, q); err != nil {
						fmt.Fprintf(&out, "%s: %v\n", q, err)
					}
				}
				return out.String()
			case "flush":
				if table == "" {
					if err := n.e.FlushAll(); err != nil {
						return err.Error()
					}
					return ""
				}
				ks, name, _ := strings.Cut(table, ".")
				tab := n.x.Catalog().Table(ks, name)
				if err := n.e.Table(tab.ID).Flush(); err != nil {
					return err.Error()
				}
				return ""
			case "files":
				files, _ := tableFiles(t, fs, dir, table)
				var out strings.Builder
				for _, f := range files {
					fmt.Fprintln(&out, filepath.Base(f))
				}
				return out.String()
			case "dump":
				_, sc := tableFiles(t, fs, dir, table)
				tab := sc.TableByName(table)
				if td.HasArg("no-schema") {
					tab = nil
				}
				o := DumpOptions{Now: testNow, Lines: td.HasArg("lines"), EnumerateKeys: td.HasArg("keys"), RawTimestamps: td.HasArg("raw")}
				td.MaybeScanArgs(t, "now", &o.Now)
				td.MaybeScanArgs(t, "k", &o.Keys)
				td.MaybeScanArgs(t, "x", &o.Exclude)
				r, err := sstable.Open(fs, file(), sstable.ReaderOptions{})
				if err != nil {
					return err.Error()
				}
				defer r.Close()
				var out bytes.Buffer
				if err := Dump(&out, r, tab, o); err != nil {
					fmt.Fprintf(&out, "error: %v\n", err)
				} else if !o.Lines && !json.Valid(out.Bytes()) {
					t.Errorf("dump is not valid JSON:\n%s", out.String())
				}
				return out.String()
			case "metadata":
				_, sc := tableFiles(t, fs, dir, table)
				gc, now := int64(-1), int64(testNow)
				td.MaybeScanArgs(t, "gc-grace", &gc)
				td.MaybeScanArgs(t, "now", &now)
				r, err := sstable.Open(fs, file(), sstable.ReaderOptions{})
				if err != nil {
					return err.Error()
				}
				defer r.Close()
				m, err := ReadMetadata(r, sc.TableByName(table), gc, now)
				if err != nil {
					return err.Error()
				}
				var out bytes.Buffer
				if td.HasArg("json") {
					err = m.WriteJSON(&out)
				} else {
					err = m.WriteText(&out)
				}
				if err != nil {
					return err.Error()
				}
				return out.String()
			case "verify":
				path := ""
				if td.HasArg("dir") {
					td.ScanArgs(t, "dir", &path)
				} else {
					path = file()
				}
				var out bytes.Buffer
				bad, err := VerifyAll(&out, fs, path)
				if err != nil {
					return err.Error()
				}
				fmt.Fprintf(&out, "bad: %d\n", bad)
				return out.String()
			case "corrupt":
				var off int
				td.ScanArgs(t, "offset", &off)
				p := file()
				b, err := vfs.ReadFile(fs, p)
				if err != nil {
					t.Fatal(err)
				}
				b[off] ^= 0x01
				f, err := fs.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				f.Write(b)
				f.Close()
				return ""
			}
			t.Fatalf("unknown command %s", td.Cmd)
			return ""
		})
	})
}

func TestLocate(t *testing.T) {
	id := "11111111222243338444555555555555"
	for _, c := range []struct {
		path, dataDir string
		ok            bool
	}{
		{"/var/wcdb/data/" + id + "/00000001.sst", "/var/wcdb", true},
		{"/var/wcdb/data/" + id + "/snapshots/before/00000001.sst", "/var/wcdb", true},
		{"/tmp/copy/00000001.sst", "", false},
		{"/var/wcdb/data/notanid/00000001.sst", "", false},
		{"/var/wcdb/other/" + id + "/00000001.sst", "", false},
	} {
		dataDir, got, ok := Locate(c.path)
		if ok != c.ok || dataDir != c.dataDir || ok && fmt.Sprintf("%x", got[:]) != id {
			t.Errorf("Locate(%s) = %q, %x, %v; want %q, %v", c.path, dataDir, got[:], ok, c.dataDir, c.ok)
		}
	}
}

func TestDropBins(t *testing.T) {
	counts := map[int64]int64{}
	for i := int64(0); i < 100; i++ {
		counts[1000+i*10] = 1
	}
	counts[5000] = 7
	bins := dropBins(counts, 5)
	if len(bins) != 5 {
		t.Fatalf("got %d bins, want 5: %v", len(bins), bins)
	}
	var total int64
	for i, b := range bins {
		total += b.Count
		if i > 0 && b.Time <= bins[i-1].Time {
			t.Errorf("bins out of order: %v", bins)
		}
	}
	if total != 107 {
		t.Errorf("bins count %d, want 107", total)
	}
	if last := bins[len(bins)-1]; last.Time != 5000 || last.Count != 7 {
		t.Errorf("the outlier's bin is %v, want {5000 7}", last)
	}
	if got := dropBins(map[int64]int64{3: 2, 1: 1}, 5); len(got) != 2 || got[0] != (DropTimeBin{1, 1}) || got[1] != (DropTimeBin{3, 2}) {
		t.Errorf("exact bins %v, want [{1 1} {3 2}]", got)
	}
}

// TestSchemaNeedsData: a directory without a node's schema is an error,
// which the commands turn into hex output.
func TestSchemaNeedsData(t *testing.T) {
	fs := vfs.NewMem()
	if _, err := LoadSchema(fs, "/empty", testNow); err == nil {
		t.Error("LoadSchema of an empty directory succeeded")
	}
	if tab, why := FindTable(fs, "/tmp/x.sst", "", "", testNow); tab != nil || !strings.Contains(why, "--data-dir") {
		t.Errorf("FindTable of a file outside a data directory = %v, %q", tab, why)
	}
}
