package sstable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// copyBlocks writes a table at to from the blocks of r from start on,
// the partitions before start left out: blocks that hold none of them are
// added whole when whole(i) says so for the i-th block, every other entry
// by entry.
func copyBlocks(t *testing.T, fs vfs.FS, r *Reader, to string, start mutation.Key, whole func(i int) bool) Meta {
	t.Helper()
	w, err := NewWriter(fs, to, WriterOptions{BlockSize: 300, SummaryInterval: 3})
	if err != nil {
		t.Fatal(err)
	}
	it := r.Blocks(start)
	open := false // a partition >= start is open in w
	var e BlockEntry
	for i := 0; it.Next(); i++ {
		b := it.Block()
		s := b.Summary()
		if whole(i) && (s.Continues && open || !s.Continues && s.FirstToken > start.Token) {
			if open && !s.Continues {
				if err := w.FinishPartition(); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.AddBlock(b); err != nil {
				t.Fatalf("block %d: %v", i, err)
			}
			open = true
			continue
		}
		for j := 0; j < b.Len(); j++ {
			if err := b.Entry(j, &e); err != nil {
				t.Fatal(err)
			}
			switch {
			case !e.Partition:
				if open {
					if err := w.AddRow(e.Clustering, e.Row); err != nil {
						t.Fatal(err)
					}
				}
				continue
			case open:
				if err := w.FinishPartition(); err != nil {
					t.Fatal(err)
				}
				open = false
			}
			if e.Key.Compare(start) >= 0 {
				if err := w.StartPartition(e.Key, e.Header); err != nil {
					t.Fatal(err)
				}
				open = true
			}
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if open {
		if err := w.FinishPartition(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Finish(testStats)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCopyBlocks(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		fs := vfs.NewMem()
		rng := rand.New(rand.NewSource(seed))
		parts := genTable(rng, 80+rng.Intn(80))
		opts := WriterOptions{BlockSize: 100 + rng.Intn(400), SummaryInterval: 1 + rng.Intn(6)}
		if seed%3 == 0 {
			opts.Compression = None
		}
		src := writeTable(t, fs, "/src.sst", parts, opts)
		r, err := Open(fs, "/src.sst", ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start := mutation.Key{Token: math.MinInt64}
		want := parts
		if seed%2 == 0 {
			start = parts[len(parts)/3].key
			start.Bytes = start.Bytes[:0]
			for len(want) > 0 && want[0].key.Compare(start) < 0 {
				want = want[1:]
			}
		}
		for _, mode := range []string{"whole", "alternate", "entries"} {
			t.Run(fmt.Sprintf("seed%d/%s", seed, mode), func(t *testing.T) {
				whole := map[string]func(int) bool{
					"whole":     func(int) bool { return true },
					"alternate": func(i int) bool { return i%2 == 0 },
					"entries":   func(int) bool { return false },
				}[mode]
				to := "/" + mode + ".sst"
				m := copyBlocks(t, fs, r, to, start, whole)
				c, err := Open(fs, to, ReaderOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.Verify(); err != nil {
					t.Fatal(err)
				}
				got, err := scanAll(c, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !partsEqual(got, want) {
					t.Fatalf("copied table holds %d partitions, want %d (or they differ)", len(got), len(want))
				}
				for _, p := range want {
					g, err := c.Get(p.key)
					if err != nil || g == nil {
						t.Fatalf("Get %v: %v, %v", p.key, g, err)
					}
				}
				// A file with copied blocks says so: its options are not
				// only those of its writer.
				if cp := c.Meta().Codec; cp == nil || cp.Copied != (mode != "entries") {
					t.Errorf("copied table records codec %+v, want Copied %v", cp, mode != "entries")
				}
				if mode == "whole" && start.Token == math.MinInt64 && m.DataSize != src.DataSize {
					t.Errorf("data blocks copied whole take %d bytes, the source's %d", m.DataSize, src.DataSize)
				}
			})
		}
		r.Close()
	}
}

func TestAddBlockMisuse(t *testing.T) {
	fs := vfs.NewMem()
	parts := genTable(rand.New(rand.NewSource(3)), 60)
	writeTable(t, fs, "/src.sst", parts, WriterOptions{BlockSize: 200})
	r, err := Open(fs, "/src.sst", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var first, cont *Block
	it := r.Blocks(mutation.Key{Token: math.MinInt64})
	for it.Next() && (first == nil || cont == nil) {
		b := it.Block()
		stored := append([]byte(nil), b.Stored()...)
		ob, err := OpenBlock(stored)
		if err != nil {
			t.Fatal(err)
		}
		if ob.Summary() != b.Summary() {
			t.Fatalf("OpenBlock summary %+v, iterator's %+v", ob.Summary(), b.Summary())
		}
		if b.Summary().Continues && cont == nil {
			cont = ob
		} else if first == nil && !b.Summary().Continues {
			first = ob
		}
	}
	if err := it.Close(); err != nil || first == nil || cont == nil {
		t.Fatalf("no blocks of both kinds (err %v)", err)
	}
	w, err := NewWriter(fs, "/dst.sst", WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddBlock(cont); err == nil {
		t.Error("a block continuing a partition was added outside one")
	}
	w.Abort()
	w, _ = NewWriter(fs, "/dst.sst", WriterOptions{})
	if err := w.StartPartition(mutation.Key{Token: math.MinInt64}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.AddBlock(first); err == nil {
		t.Error("a block starting a partition was added inside one")
	}
	w.Abort()

	// Damage anywhere in a stored block is caught before any of it is used.
	for i := range first.Stored() {
		bad := append([]byte(nil), first.Stored()...)
		bad[i] ^= 0x10
		if _, err := OpenBlock(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v, want ErrCorrupt", i, err)
		}
	}
}

// FuzzOpenBlock: a stored block from anywhere (a stream) never panics
// OpenBlock, Entry or AddBlock; what OpenBlock refuses is ErrCorrupt.
func FuzzOpenBlock(f *testing.F) {
	// Seeds: blocks of every codec.
	for _, comp := range []Compression{Snappy, None, LZ4, Zstd, Deflate} {
		fs := vfs.NewMem()
		writeTable(f, fs, "/seed.sst", genTable(rand.New(rand.NewSource(5)), 30), WriterOptions{BlockSize: 200, Compression: comp})
		r, err := Open(fs, "/seed.sst", ReaderOptions{})
		if err != nil {
			f.Fatal(err)
		}
		it := r.Blocks(mutation.Key{Token: math.MinInt64})
		for it.Next() {
			f.Add(append([]byte(nil), it.Block().Stored()...), false)
		}
		it.Close()
		r.Close()
	}
	f.Fuzz(func(t *testing.T, stored []byte, fixCRC bool) {
		if fixCRC && len(stored) > trailerSize {
			n := len(stored) - 4
			stored = binary.LittleEndian.AppendUint32(stored[:n:n], crc32.Checksum(stored[:n], crcTable))
		}
		b, err := OpenBlock(stored)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		var e BlockEntry
		for i := 0; i < b.Len(); i++ {
			b.Entry(i, &e)
		}
		w, err := NewWriter(vfs.NewMem(), "/f.sst", WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Summary().Continues {
			w.StartPartition(mutation.Key{Token: math.MinInt64}, nil)
		}
		w.AddBlock(b)
		w.Abort()
	})
}
