// Package snapshot takes, lists and clears snapshots of tables: hard links
// to the SSTables a table had at one moment (nodetool snapshot,
// listsnapshots, clearsnapshot). SSTables are immutable and their numbers
// never reused, so a link is a copy that costs no space until compaction
// deletes the live file; a snapshot is then the only owner of those bytes.
//
// Layout, under the node's storage directory (the engine's Options.Dir):
//
//	snapshots/TAG/KEYSPACE/TABLE-ID/00000012.sst   links to the live files
//	snapshots/TAG/KEYSPACE/TABLE-ID/manifest.json  what the snapshot holds
//	snapshots/TAG/KEYSPACE/TABLE-ID/schema.cql     the table's CREATE TABLE
//
// ID is the table id in hex, as the engine names table directories
// (data/ID). The manifest, JSON:
//
//	{"keyspace": "ks", "table": "t", "table_id": "<hex>",
//	 "created_at": "<RFC 3339>", "files": ["00000012.sst", ...]}
//
// Restoring is Cassandra's: copy a snapshot's files into a table's
// directory and import them (wcdb admin import), or into a new node's
// data directory before its first start.
package snapshot

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"wcdb/internal/vfs"
	"wcdb/storage"
)

// Dir is the directory of snapshots under a storage directory.
const Dir = "snapshots"

const manifestFile = "manifest.json"

// Manifest is manifest.json.
type Manifest struct {
	Keyspace  string    `json:"keyspace"`
	Table     string    `json:"table"`
	TableID   string    `json:"table_id"`
	CreatedAt time.Time `json:"created_at"`
	Files     []string  `json:"files"`
}

// Table names a table to snapshot; Schema is its CREATE TABLE statement
// (written as schema.cql when not empty).
type Table struct {
	Keyspace, Name string
	Schema         string
	T              *storage.Table
}

// CheckTag refuses a tag that is not a single, plain directory name.
func CheckTag(tag string) error {
	switch {
	case tag == "":
		return errors.New("a snapshot needs a name")
	case tag == "." || tag == ".." || strings.ContainsAny(tag, `/\`) || strings.ContainsRune(tag, 0):
		return fmt.Errorf("snapshot name %q is not a plain directory name", tag)
	}
	return nil
}

// tableDir is where table t's snapshot of tag lives.
func tableDir(root, tag, keyspace, name string, id [16]byte) string {
	return filepath.Join(root, Dir, tag, keyspace, name+"-"+hex.EncodeToString(id[:]))
}

// Take links the live SSTables of each table into snapshot tag, with a
// manifest and schema.cql; memtables are not included (flush first, as
// nodetool snapshot does). A tag already used by one of the tables is
// refused, as Cassandra refuses it, before anything is written. It returns
// the number of files linked.
func Take(fs vfs.FS, root, tag string, tables []Table, now time.Time) (int, error) {
	if err := CheckTag(tag); err != nil {
		return 0, err
	}
	for _, t := range tables {
		dir := tableDir(root, tag, t.Keyspace, t.Name, t.T.ID())
		if _, err := fs.Stat(dir); err == nil {
			return 0, fmt.Errorf("snapshot %q of %s.%s already exists", tag, t.Keyspace, t.Name)
		}
	}
	linked := 0
	for _, t := range tables {
		n, err := takeTable(fs, root, tag, t, now)
		linked += n
		if err != nil {
			return linked, fmt.Errorf("snapshot %q of %s.%s: %w", tag, t.Keyspace, t.Name, err)
		}
	}
	return linked, nil
}

func takeTable(fs vfs.FS, root, tag string, t Table, now time.Time) (int, error) {
	id := t.T.ID()
	dir := tableDir(root, tag, t.Keyspace, t.Name, id)
	if err := vfs.MkdirAllSynced(fs, dir); err != nil {
		return 0, err
	}
	m := Manifest{Keyspace: t.Keyspace, Table: t.Name, TableID: hex.EncodeToString(id[:]), CreatedAt: now.UTC()}
	// The files are held while linked: a compaction finishing meanwhile
	// deletes its inputs only after.
	err := t.T.WithFiles(func(files []storage.FileSection) error {
		for _, f := range files {
			name := filepath.Base(f.Path())
			if err := fs.Link(f.Path(), filepath.Join(dir, name)); err != nil {
				return err
			}
			m.Files = append(m.Files, name)
		}
		return nil
	})
	if err != nil {
		return len(m.Files), err
	}
	if t.Schema != "" {
		if err := vfs.WriteFileAtomic(fs, filepath.Join(dir, "schema.cql"), []byte(t.Schema+"\n")); err != nil {
			return len(m.Files), err
		}
	}
	b, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return len(m.Files), err
	}
	// The manifest last: a snapshot without one was cut short.
	return len(m.Files), vfs.WriteFileAtomic(fs, filepath.Join(dir, manifestFile), append(b, '\n'))
}

// Info is one table's snapshot, as listsnapshots shows it.
type Info struct {
	Tag      string    `json:"tag"`
	Keyspace string    `json:"keyspace"`
	Table    string    `json:"table"`
	Created  time.Time `json:"created_at"`
	Files    int       `json:"files"`
	// Size is the bytes of the snapshot's files; TrueSize the part of it
	// no live SSTable shares (what clearing the snapshot frees).
	Size     int64 `json:"size"`
	TrueSize int64 `json:"true_size"`
	// Complete is false for a snapshot cut short (no manifest).
	Complete bool `json:"complete"`
}

// List returns every table snapshot under root, by tag, keyspace, table;
// the live tables' files (root/data/ID) tell which bytes are shared.
func List(fs vfs.FS, root string) ([]Info, error) {
	var out []Info
	tags, err := listDir(fs, filepath.Join(root, Dir))
	if err != nil {
		return nil, err
	}
	for _, tag := range tags {
		keyspaces, err := listDir(fs, filepath.Join(root, Dir, tag))
		if err != nil {
			return nil, err
		}
		for _, ks := range keyspaces {
			tables, err := listDir(fs, filepath.Join(root, Dir, tag, ks))
			if err != nil {
				return nil, err
			}
			for _, tdir := range tables {
				info, err := tableInfo(fs, root, tag, ks, tdir)
				if err != nil {
					return nil, err
				}
				out = append(out, info)
			}
		}
	}
	return out, nil
}

func tableInfo(fs vfs.FS, root, tag, ks, tdir string) (Info, error) {
	dir := filepath.Join(root, Dir, tag, ks, tdir)
	info := Info{Tag: tag, Keyspace: ks, Table: tdir}
	id := ""
	if i := strings.LastIndexByte(tdir, '-'); i >= 0 {
		info.Table, id = tdir[:i], tdir[i+1:]
	}
	if b, err := vfs.ReadFile(fs, filepath.Join(dir, manifestFile)); err == nil {
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return info, fmt.Errorf("%s: %w", filepath.Join(dir, manifestFile), err)
		}
		info.Complete, info.Created = true, m.CreatedAt
	} else if !errors.Is(err, os.ErrNotExist) {
		return info, err
	}
	names, err := fs.List(dir)
	if err != nil {
		return info, err
	}
	for _, name := range names {
		if !strings.HasSuffix(name, ".sst") {
			continue
		}
		st, err := fs.Stat(filepath.Join(dir, name))
		if err != nil {
			return info, err
		}
		info.Files++
		info.Size += st.Size()
		if _, err := fs.Stat(filepath.Join(root, "data", id, name)); err != nil {
			info.TrueSize += st.Size()
		}
	}
	return info, nil
}

// Clear removes snapshot tag (every snapshot for ""), of the keyspaces
// named (every keyspace for none). It returns the tags it removed from.
func Clear(fs vfs.FS, root, tag string, keyspaces []string) ([]string, error) {
	if tag != "" {
		if err := CheckTag(tag); err != nil {
			return nil, err
		}
	}
	tags, err := listDir(fs, filepath.Join(root, Dir))
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, tg := range tags {
		if tag != "" && tg != tag {
			continue
		}
		base := filepath.Join(root, Dir, tg)
		if len(keyspaces) == 0 {
			if err := fs.RemoveAll(base); err != nil {
				return removed, err
			}
			removed = append(removed, tg)
			continue
		}
		kss, err := listDir(fs, base)
		if err != nil {
			return removed, err
		}
		hit := false
		for _, ks := range kss {
			if slices.Contains(keyspaces, ks) {
				if err := fs.RemoveAll(filepath.Join(base, ks)); err != nil {
					return removed, err
				}
				hit = true
			}
		}
		if left, err := listDir(fs, base); err == nil && len(left) == 0 {
			if err := fs.RemoveAll(base); err != nil {
				return removed, err
			}
		}
		if hit {
			removed = append(removed, tg)
		}
	}
	return removed, nil
}

// listDir lists dir, sorted; a missing directory is empty.
func listDir(fs vfs.FS, dir string) ([]string, error) {
	names, err := fs.List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	slices.Sort(names)
	return names, err
}
