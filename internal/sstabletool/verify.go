package sstabletool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"strings"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/sstable"
)

// Report is what verifying one SSTable found: what was checked, and the
// problem that stopped it, if any.
type Report struct {
	Path    string
	Checked []string
	// Problem is empty when the file is sound.
	Problem string
}

// OK reports whether the file passed every check.
func (r *Report) OK() bool { return r.Problem == "" }

// Verify checks the SSTable at path, in three steps, each only if the one
// before passed:
//
//  1. opening it checks the footer (checksum, magic, version) and the
//     summary, bloom filter and stats blocks' checksums;
//  2. sstable.Reader.Verify reads every data, index and row-index block
//     from the file, checking its checksum, key order, clustering order,
//     that the summary, index and row indexes agree with the data, that
//     the bloom filter admits every key, and the stats' partition count,
//     key bounds and data size;
//  3. every partition is decoded (header and rows in the engine's
//     encoding), found again by key through the bloom filter and index
//     (Reader.Get), and the stats block's timestamps, deletion times and
//     row and tombstone counts are recomputed and compared.
func Verify(fsys vfs.FS, path string) *Report {
	rep := &Report{Path: path}
	r, err := sstable.Open(fsys, path, sstable.ReaderOptions{})
	if err != nil {
		rep.Problem = err.Error()
		return rep
	}
	defer r.Close()
	l, err := r.Layout()
	if err != nil {
		rep.Problem = err.Error()
		return rep
	}
	rep.Checked = append(rep.Checked, fmt.Sprintf("footer, summary (index blocks: %d), bloom filter (bits: %d, hashes: %d) and stats: checksums match",
		l.IndexBlocks, l.BloomBits, l.BloomHashes))
	if err := r.Verify(); err != nil {
		rep.Problem = err.Error()
		return rep
	}
	meta := r.Meta()
	blocks := 0
	bi := r.Blocks(mutation.Key{Token: math.MinInt64})
	for bi.Next() {
		blocks++
	}
	if err := bi.Close(); err != nil {
		rep.Problem = err.Error()
		return rep
	}
	rep.Checked = append(rep.Checked,
		fmt.Sprintf("data blocks: %d (%d bytes), and the index and row-index blocks: checksums match, index agrees with the data", blocks, meta.DataSize),
		fmt.Sprintf("%d partitions in key order, each admitted by the bloom filter; rows in clustering order", meta.Partitions))
	got, err := recomputeStats(r)
	if err != nil {
		rep.Problem = err.Error()
		return rep
	}
	rep.Checked = append(rep.Checked, fmt.Sprintf("%d partitions and %d rows decode, each partition found by key through the index", meta.Partitions, got.Rows))
	if diff := statsDiff(meta.Stats, got); diff != "" {
		rep.Problem = fmt.Sprintf("%v: %s: stats block disagrees with the data: %s", sstable.ErrCorrupt, path, diff)
		return rep
	}
	rep.Checked = append(rep.Checked, "statistics agree with the data: partitions, first and last key, data size, timestamps, deletion times, rows, tombstones")
	return rep
}

// recomputeStats computes what the engine's writers store in the stats
// block (storage/stats.go), from the data as read back.
func recomputeStats(r *sstable.Reader) (sstable.Stats, error) {
	st := sstable.Stats{MinTimestamp: math.MaxInt64, MaxTimestamp: math.MinInt64,
		MaxLocalDeletionTime: math.MinInt64, MaxTombstoneTime: math.MinInt64}
	ts := func(t int64) {
		st.MinTimestamp, st.MaxTimestamp = min(st.MinTimestamp, t), max(st.MaxTimestamp, t)
	}
	deletionTime := func(t int64) {
		st.MaxLocalDeletionTime = max(st.MaxLocalDeletionTime, t)
		st.MaxTombstoneTime = max(st.MaxTombstoneTime, t)
	}
	deletion := func(d mutation.Deletion) {
		if d.IsLive() {
			return
		}
		ts(d.Timestamp)
		st.Tombstones++
		deletionTime(d.LocalDeletionTime)
	}
	row := func(r *mutation.Row) {
		if l := r.Liveness; !l.IsEmpty() {
			ts(l.Timestamp)
			if l.ExpiresAt != mutation.NoDeletionTime {
				deletionTime(l.ExpiresAt)
			} else {
				st.MaxLocalDeletionTime = mutation.NoDeletionTime
			}
		}
		deletion(r.Deletion)
		for i := range r.Cells {
			c := &r.Cells[i]
			ts(c.Timestamp)
			if c.IsTombstone() {
				st.Tombstones++
			}
			if c.LocalDeletionTime != mutation.NoDeletionTime {
				deletionTime(c.LocalDeletionTime)
			} else {
				st.MaxLocalDeletionTime = mutation.NoDeletionTime
			}
		}
	}
	it := r.ScanUncached(nil, nil)
	for it.Next() {
		p := it.Partition()
		dp, err := decodePartition(p)
		if err != nil {
			it.Close()
			return st, fmt.Errorf("%w: %s: partition (%d, %x): %v", sstable.ErrCorrupt, r.Path(), p.Key().Token, p.Key().Bytes, err)
		}
		deletion(dp.hdr.Deletion)
		for _, rt := range dp.hdr.RangeTombstones {
			deletion(rt.Deletion)
		}
		if dp.hdr.Static != nil {
			row(dp.hdr.Static)
		}
		for i := range dp.rows {
			st.Rows++
			row(&dp.rows[i])
		}
		q, err := r.Get(dp.key)
		switch {
		case err != nil:
			it.Close()
			return st, err
		case q == nil:
			it.Close()
			return st, fmt.Errorf("%w: %s: partition (%d, %x) not found by key", sstable.ErrCorrupt, r.Path(), dp.key.Token, dp.key.Bytes)
		}
	}
	return st, it.Close()
}

// statsDiff describes how the stored stats differ from the recomputed ones.
func statsDiff(stored, got sstable.Stats) string {
	var diffs []string
	check := func(name string, s, g int64) {
		if s != g {
			diffs = append(diffs, fmt.Sprintf("%s %d, data has %d", name, s, g))
		}
	}
	check("rows", stored.Rows, got.Rows)
	check("tombstones", stored.Tombstones, got.Tombstones)
	if got.MinTimestamp <= got.MaxTimestamp { // an empty file's bounds mean nothing
		check("min timestamp", stored.MinTimestamp, got.MinTimestamp)
		check("max timestamp", stored.MaxTimestamp, got.MaxTimestamp)
	}
	check("max local deletion time", stored.MaxLocalDeletionTime, got.MaxLocalDeletionTime)
	check("max tombstone time", stored.MaxTombstoneTime, got.MaxTombstoneTime)
	return strings.Join(diffs, "; ")
}

// FindSSTables returns path if it is a file, or every SSTable (*.sst) under
// it if it is a directory (snapshots included; unfinished *.tmp files not).
func FindSSTables(fsys vfs.FS, path string) ([]string, error) {
	fi, err := fsys.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var out []string
	var walk func(dir string) error
	walk = func(dir string) error {
		names, err := fsys.List(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			p := filepath.Join(dir, n)
			fi, err := fsys.Stat(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile (a compaction of a running node)
			}
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case strings.HasSuffix(n, ".sst"):
				out = append(out, p)
			}
		}
		return nil
	}
	return out, walk(path)
}

// VerifyAll verifies every SSTable at path (a file or a directory tree),
// printing what it checked of each and any problem, and returns how many
// files have problems. A directory without SSTables is an error.
func VerifyAll(w io.Writer, fsys vfs.FS, path string) (bad int, err error) {
	files, err := FindSSTables(fsys, path)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no SSTables (*.sst) in %s", path)
	}
	for _, f := range files {
		rep := Verify(fsys, f)
		if rep.OK() {
			fmt.Fprintf(w, "%s: OK\n", f)
		} else {
			bad++
			fmt.Fprintf(w, "%s: CORRUPT\n", f)
		}
		for _, c := range rep.Checked {
			fmt.Fprintf(w, "  ok: %s\n", c)
		}
		if !rep.OK() {
			fmt.Fprintf(w, "  problem: %s\n", rep.Problem)
		}
	}
	if len(files) > 1 {
		fmt.Fprintf(w, "%d SSTables verified, %d with problems\n", len(files), bad)
	}
	return bad, nil
}
