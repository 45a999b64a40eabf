package sstable

import (
	"bytes"
	"errors"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// readEverything reads the table at path every way the API allows and
// compares with parts. It returns the first error (which the caller
// expects to be ErrCorrupt), and fails the test on wrong data.
func readEverything(t *testing.T, fs vfs.FS, path string, parts []testPart, want Meta) (detected error) {
	t.Helper()
	r, err := Open(fs, path, ReaderOptions{Cache: NewCache(1 << 20)})
	if err != nil {
		return err
	}
	defer r.Close()
	if got := r.Meta(); got.Stats != want.Stats || got.Partitions != want.Partitions || got.DataSize != want.DataSize ||
		!got.MinKey.Equal(want.MinKey) || !got.MaxKey.Equal(want.MaxKey) {
		t.Fatalf("Open returned wrong meta %+v, want %+v", got, want)
	}
	first := func(e error) {
		if detected == nil {
			detected = e
		}
	}
	for i := range parts {
		p := &parts[i]
		gp, err := r.Get(p.key)
		if err != nil {
			first(err)
			continue
		}
		if gp == nil {
			t.Fatalf("Get %v: got absent, want the partition or an error", p)
		}
		if !bytes.Equal(gp.Header(), p.header) {
			t.Fatalf("Get %v: got header %x, want %x", p, gp.Header(), p.header)
		}
		for _, rev := range []bool{false, true} {
			rows, err := collectRows(gp, nil, nil, rev)
			if err != nil {
				first(err)
				continue
			}
			if !rowsEqual(rows, modelRows(p.rows, nil, nil, rev)) {
				t.Fatalf("rows of %v reverse=%v: got %d rows, want %d", p, rev, len(rows), len(p.rows))
			}
		}
		if len(p.rows) > 2 {
			s, e := p.rows[1].c, p.rows[len(p.rows)-1].c
			rows, err := collectRows(gp, s, e, true)
			if err != nil {
				first(err)
			} else if !rowsEqual(rows, modelRows(p.rows, s, e, true)) {
				t.Fatalf("slice of %v: wrong rows", p)
			}
		}
		absent := mutation.Key{Token: p.key.Token, Bytes: append(bytes.Clone(p.key.Bytes), 1)}
		if gp, err := r.Get(absent); err != nil {
			first(err)
		} else if gp != nil {
			t.Fatalf("Get absent %v: got a partition", absent)
		}
	}
	got, err := scanAll(r, nil, nil)
	if err != nil {
		first(err)
	} else if !partsEqual(got, parts) {
		t.Fatalf("scan: got %d partitions, want %d", len(got), len(parts))
	}
	if err := r.Verify(); err != nil {
		first(err)
	}
	return detected
}

func checkCorruptErr(t *testing.T, what string, err error, path string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: damage not detected", what)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("%s: got error %v, want ErrCorrupt", what, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("%s: error %q does not name the file", what, err)
	}
}

// TestCorruptionDetected flips one bit of every byte of a small table, and
// truncates it at every length: each read either returns the original data
// or an ErrCorrupt error, and Open or Verify always notices.
func TestCorruptionDetected(t *testing.T) {
	fs := vfs.NewMem()
	rng := rand.New(rand.NewSource(5))
	parts := genTable(rng, 8)
	// One partition spanning several blocks, so a row index exists.
	big := testPart{key: mutation.Key{Token: 600, Bytes: []byte("big")}, header: []byte("H")}
	for i := 0; i < 40; i++ {
		big.rows = append(big.rows, testRow{c: []byte{byte(i)}, v: bytes.Repeat([]byte{byte(i)}, 20)})
	}
	parts = append(parts, big)
	meta := writeTable(t, fs, "/orig.sst", parts, WriterOptions{BlockSize: 128, SummaryInterval: 3})
	orig, err := vfs.ReadFile(fs, "/orig.sst")
	if err != nil {
		t.Fatal(err)
	}
	if err := readEverything(t, fs, "/orig.sst", parts, meta); err != nil {
		t.Fatalf("undamaged table: %v", err)
	}
	t.Logf("table of %d bytes", len(orig))
	const path = "/damaged.sst"
	// Every byte of a small table; a dense sample of a larger one.
	step := len(orig)/3000 + 1
	for off := 0; off < len(orig); off += step {
		b := bytes.Clone(orig)
		b[off] ^= 1 << (off % 8)
		if err := vfs.WriteFileAtomic(fs, path, b); err != nil {
			t.Fatal(err)
		}
		checkCorruptErr(t, "flip at "+strconv.Itoa(off), readEverything(t, fs, path, parts, meta), path)
	}
	for n := 0; n < len(orig); n += len(orig)/500 + 1 {
		if err := vfs.WriteFileAtomic(fs, path, orig[:n]); err != nil {
			t.Fatal(err)
		}
		checkCorruptErr(t, "truncate to "+strconv.Itoa(n), readEverything(t, fs, path, parts, meta), path)
	}
}

// FuzzOpen feeds arbitrary bytes to Open and, when it succeeds, to every
// reading method: none may panic, and errors must wrap ErrCorrupt.
func FuzzOpen(f *testing.F) {
	// Seeds: a table in every codec.
	for _, comp := range []Compression{Snappy, None, LZ4, Zstd, Deflate} {
		fs := vfs.NewMem()
		parts := genTable(rand.New(rand.NewSource(6)), 5)
		writeTable(f, fs, "/seed.sst", parts, WriterOptions{BlockSize: 64, SummaryInterval: 2, Compression: comp})
		seed, err := vfs.ReadFile(fs, "/seed.sst")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Add(make([]byte, footerSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := vfs.NewMem()
		if err := vfs.WriteFileAtomic(fs, "/f.sst", data); err != nil {
			t.Fatal(err)
		}
		r, err := Open(fs, "/f.sst", ReaderOptions{Cache: NewCache(1 << 16)})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: got %v, want ErrCorrupt", err)
			}
			return
		}
		defer r.Close()
		check := func(err error) {
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want nil or ErrCorrupt", err)
			}
		}
		check(r.Verify())
		it := r.Scan(nil, nil)
		for it.Next() {
			p := it.Partition()
			if gp, err := r.Get(p.Key()); err != nil {
				check(err)
			} else if gp != nil {
				ri := gp.Rows([]byte{1}, []byte{200}, true)
				for ri.Next() {
				}
				check(ri.Close())
			}
			ri := p.Rows(nil, nil, false)
			for ri.Next() {
			}
			check(ri.Close())
		}
		check(it.Close())
	})
}
