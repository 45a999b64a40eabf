package sstabletool

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query/catalog"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/sstable"
)

// An SSTable holds bytes only: partition keys, clusterings in their
// byte-comparable encoding, cells named by column id. What they mean is in
// the node's schema, which lives in its own tables (system_schema, as
// Cassandra's), under the same data directory:
//
//	<data dir>/data/<table id, 32 hex digits>/NNNNNNNN.sst   (and MANIFEST)
//	<data dir>/data/<table id>/snapshots/<name>/NNNNNNNN.sst
//	<data dir>/commitlog/CommitLog-1-<segment>.log
//
// The tools read system_schema the way the node would at its next start,
// without opening the engine (which would take the directory's lock, and
// replay and flush the log): the SSTables each table's MANIFEST names, plus
// every intact commit log record for those tables (a schema change is
// synced to the log, not flushed), reconciled by timestamp. The rows are
// then loaded by the catalog's own code (catalog.Catalog.OpenLocked, over a
// read-only Store), so the tools see the tables, column ids and types the
// node sees.

// Schema is what the tools know of a node's tables.
type Schema struct {
	cat *catalog.Catalog
	// DataDir is where it was read from.
	DataDir string
	// LogDamaged counts commit log segments read only in part (the tail
	// the node was writing, or damage).
	LogDamaged int
}

// Table returns the table with the given id, or nil.
func (s *Schema) Table(id mutation.TableID) *schema.Table {
	if s == nil {
		return nil
	}
	return s.cat.TableByID(id)
}

// TableByName returns the table "keyspace.table", or nil.
func (s *Schema) TableByName(name string) *schema.Table {
	ks, t, ok := strings.Cut(name, ".")
	if s == nil || !ok {
		return nil
	}
	return s.cat.Table(ks, t)
}

// TableDir is the directory of table id's files under dataDir.
func TableDir(dataDir string, id mutation.TableID) string {
	return filepath.Join(dataDir, "data", hex.EncodeToString(id[:]))
}

// Locate finds the node's data directory and the table of the SSTable at
// path from the layout above; ok is false if path is not laid out so.
func Locate(path string) (dataDir string, id mutation.TableID, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", id, false
	}
	dir := filepath.Dir(abs)
	for range 4 { // <table>/snapshots/<name>/ at most
		parent := filepath.Dir(dir)
		if filepath.Base(parent) == "data" {
			if b, err := hex.DecodeString(filepath.Base(dir)); err == nil && len(b) == len(id) {
				copy(id[:], b)
				return filepath.Dir(parent), id, true
			}
		}
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", id, false
}

// LoadSchema reads the schema of the node whose data directory is dataDir;
// now (seconds) is the clock for TTLs. A directory with no schema at all
// is an error.
func LoadSchema(fsys vfs.FS, dataDir string, now int64) (*Schema, error) {
	st := &schemaStore{now: now, parts: map[mutation.TableID]map[string]*mergedPartition{}}
	for _, t := range catalog.SystemTables() {
		if t.Keyspace == catalog.SchemaKeyspace().Name {
			st.parts[t.ID] = map[string]*mergedPartition{}
		}
	}
	found := false
	for id := range st.parts {
		n, err := st.readTable(fsys, TableDir(dataDir, id), id)
		if err != nil {
			return nil, err
		}
		found = found || n > 0
	}
	damaged, err := commitlog.ReadDir(fsys, filepath.Join(dataDir, "commitlog"), func(_ commitlog.Position, rec []byte) error {
		v, err := mutation.DecodeView(rec)
		if err != nil || st.parts[v.Table] == nil {
			return nil // not a schema table's; a damaged record is the node's business
		}
		m, err := mutation.DecodeMutation(bytes.Clone(rec))
		if err != nil {
			return nil
		}
		found = true
		p := &m.Partition
		return st.add(m.Table, p.Key, mutation.Header{Deletion: p.Deletion, RangeTombstones: p.RangeTombstones, Static: p.Static}, p.Rows)
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("sstabletool: no schema in %s (no system_schema SSTables or commit log)", dataDir)
	}
	cat := catalog.New()
	if err := cat.OpenLocked(context.Background(), st, noStorage{}, func() int64 { return now * 1e6 }); err != nil {
		return nil, fmt.Errorf("sstabletool: load the schema of %s: %w", dataDir, err)
	}
	return &Schema{cat: cat, DataDir: dataDir, LogDamaged: damaged}, nil
}

// LiveFiles returns the SSTables of the table directory dir: those its
// MANIFEST names, or every *.sst file when it has none (a snapshot, a copy).
func LiveFiles(fsys vfs.FS, dir string) ([]string, error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, "MANIFEST"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		names, err := fsys.List(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		var out []string
		for _, n := range names {
			if strings.HasSuffix(n, ".sst") {
				out = append(out, filepath.Join(dir, n))
			}
		}
		return out, nil
	case err != nil:
		return nil, err
	}
	nums, err := manifestFiles(b)
	if err != nil {
		return nil, fmt.Errorf("sstabletool: %s: %w", filepath.Join(dir, "MANIFEST"), err)
	}
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = filepath.Join(dir, fmt.Sprintf("%08d.sst", n))
	}
	return out, nil
}

// manifestFiles decodes the file numbers of a table's MANIFEST (its format
// is drawn in storage/manifest.go: "WCDBMAN1", a CRC-32C of the JSON body,
// big-endian, then the body).
func manifestFiles(b []byte) ([]uint64, error) {
	if len(b) < 12 || string(b[:8]) != "WCDBMAN1" {
		return nil, errors.New("bad header")
	}
	body := b[12:]
	if crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)) != binary.BigEndian.Uint32(b[8:12]) {
		return nil, errors.New("checksum mismatch")
	}
	var m struct {
		Files []struct {
			Num uint64 `json:"num"`
		} `json:"files"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	nums := make([]uint64, len(m.Files))
	for i, f := range m.Files {
		nums[i] = f.Num
	}
	return nums, nil
}

// mergedPartition is every version of a partition read so far, reconciled.
type mergedPartition struct {
	key  mutation.Key
	hdr  mutation.Header
	rows map[string]*mutation.Row
}

// schemaStore serves the catalog the system_schema rows it read, as a
// replica would after reconciling them (tombstones applied), and drops
// what the catalog writes.
type schemaStore struct {
	now   int64
	parts map[mutation.TableID]map[string]*mergedPartition
}

// readTable merges the live SSTables of table id (in dir) into the store
// and returns how many it read.
func (st *schemaStore) readTable(fsys vfs.FS, dir string, id mutation.TableID) (int, error) {
	files, err := LiveFiles(fsys, dir)
	if err != nil {
		return 0, err
	}
	for _, path := range files {
		r, err := sstable.Open(fsys, path, sstable.ReaderOptions{})
		if err != nil {
			return 0, err
		}
		err = st.readFile(r, id)
		r.Close()
		if err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

func (st *schemaStore) readFile(r *sstable.Reader, id mutation.TableID) error {
	it := r.ScanUncached(nil, nil)
	defer it.Close()
	for it.Next() {
		p := it.Partition()
		var h mutation.Header
		if err := mutation.DecodeHeader(bytes.Clone(p.Header()), &h); err != nil {
			return fmt.Errorf("sstabletool: %s: partition header: %w", r.Path(), err)
		}
		var rows []mutation.Row
		ri := p.Rows(nil, nil, false)
		for ri.Next() {
			var row mutation.Row
			if err := mutation.DecodeRow(bytes.Clone(ri.Row()), bytes.Clone(ri.Clustering()), &row); err != nil {
				ri.Close()
				return fmt.Errorf("sstabletool: %s: row: %w", r.Path(), err)
			}
			rows = append(rows, row)
		}
		if err := ri.Close(); err != nil {
			return err
		}
		k := p.Key()
		if err := st.add(id, mutation.Key{Token: k.Token, Bytes: bytes.Clone(k.Bytes)}, h, rows); err != nil {
			return err
		}
	}
	return it.Close()
}

func (st *schemaStore) add(id mutation.TableID, key mutation.Key, h mutation.Header, rows []mutation.Row) error {
	parts := st.parts[id]
	mp := parts[string(key.Bytes)]
	if mp == nil {
		mp = &mergedPartition{key: key, hdr: mutation.Header{Deletion: mutation.Live}, rows: map[string]*mutation.Row{}}
		parts[string(key.Bytes)] = mp
	}
	mp.hdr = mutation.MergeHeaders(&mp.hdr, &h)
	for i := range rows {
		r := &rows[i]
		if old := mp.rows[string(r.Clustering)]; old != nil {
			merged := new(mutation.Row)
			mutation.MergeRows(merged, old, r)
			r = merged
		}
		mp.rows[string(r.Clustering)] = r
	}
	return nil
}

// ReadRange returns, in one page, the visible content of every partition
// of the table.
func (st *schemaStore) ReadRange(_ context.Context, cmd replication.RangeCommand, _ replication.Consistency) (replication.RangeResult, error) {
	var out []*mutation.Partition
	for _, mp := range st.parts[cmd.Table] {
		p := &mutation.Partition{Key: mp.key}
		h := mp.hdr.Canonical()
		if h.Static != nil {
			s := *h.Static
			s.Cells = slices.Clone(s.Cells)
			if s.Visible(h.Deletion, st.now) {
				p.Static = &s
			}
		}
		for _, r := range mp.rows {
			row := *r
			row.Cells = slices.Clone(row.Cells)
			if row.Visible(h.RowDeletion(row.Clustering), st.now) {
				p.Rows = append(p.Rows, row)
			}
		}
		if p.Static == nil && len(p.Rows) == 0 {
			continue
		}
		slices.SortFunc(p.Rows, func(a, b mutation.Row) int { return bytes.Compare(a.Clustering, b.Clustering) })
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *mutation.Partition) int { return a.Key.Compare(b.Key) })
	return replication.RangeResult{Partitions: out}, nil
}

// Write drops the catalog's writes (the rows it records at every start):
// the tools change nothing.
func (st *schemaStore) Write(context.Context, *schema.Keyspace, []mutation.Mutation, replication.Consistency) error {
	return nil
}

// noStorage is the catalog's Storage for a schema loaded only to be read.
type noStorage struct{}

func (noStorage) CreateTable(*schema.Table) error  { return nil }
func (noStorage) AlterTable(*schema.Table) error   { return nil }
func (noStorage) DropTable(mutation.TableID) error { return nil }
func (noStorage) SyncSchema() error                { return nil }

// FindTable finds the schema of the SSTable at path: in the data directory
// dataDir, or if "" the one the path lies in (Locate); the table named
// table ("keyspace.table"), or if "" the one whose directory holds the
// file. With no schema found it returns nil and why, for the tools to say
// so and show bytes in hex.
func FindTable(fsys vfs.FS, path, dataDir, table string, now int64) (*schema.Table, string) {
	dd, id, located := Locate(path)
	if dataDir == "" {
		if !located {
			return nil, "no schema: " + path + " is not under a node's data directory (<data dir>/data/<table id>/); give --data-dir and --table"
		}
		dataDir = dd
	}
	sc, err := LoadSchema(fsys, dataDir, now)
	if err != nil {
		return nil, "no schema: " + err.Error()
	}
	if table != "" {
		if t := sc.TableByName(table); t != nil {
			return t, ""
		}
		return nil, fmt.Sprintf("no schema: no table %s in the schema of %s", table, dataDir)
	}
	if !located {
		return nil, "no schema: give --table: " + path + " is not in a table's directory"
	}
	if t := sc.Table(id); t != nil {
		return t, ""
	}
	return nil, fmt.Sprintf("no schema: no table with id %s in the schema of %s (dropped?)", schema.UUID(id), dataDir)
}
