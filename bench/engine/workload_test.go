package engine

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"testing"
)

func TestFNVHash64(t *testing.T) {
	// YCSB's loop is FNV-1a over the little-endian bytes; check against
	// the standard library's.
	for _, v := range []int64{0, 1, 1 << 40, 987654321} {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
		want := int64(h.Sum64())
		if want < 0 {
			want = -want
		}
		if got := fnvHash64(v); got != want {
			t.Errorf("fnvHash64(%d) = %d, want %d", v, got, want)
		}
	}
	if fnvHash64(1) == fnvHash64(2) {
		t.Errorf("fnvHash64(1) == fnvHash64(2)")
	}
	for _, v := range []int64{0, 1, 12345, -1} {
		if fnvHash64(v) < 0 {
			t.Errorf("fnvHash64(%d) = %d, want >= 0", v, fnvHash64(v))
		}
	}
	if got, want := string(recordKey(nil, 7)), "user"; got[:4] != want || len(got) < 10 {
		t.Errorf("recordKey(7) = %q, want user<hash>", got)
	}
}

func TestZipfianSkew(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	z := newZipfian(1000, zipfConst, zeta(1000, zipfConst))
	counts := make([]int, 1000)
	const n = 200000
	for range n {
		v := z.next(r)
		if v < 0 || v >= 1000 {
			t.Fatalf("zipfian drew %d, want [0, 1000)", v)
		}
		counts[v]++
	}
	// P(rank 0) = 1/zeta(1000) ≈ 0.134 for θ = 0.99.
	if p := float64(counts[0]) / n; p < 0.12 || p > 0.15 {
		t.Errorf("P(rank 0) = %.3f, want about 0.134", p)
	}
	if counts[0] <= counts[1] || counts[1] <= counts[10] {
		t.Errorf("counts not decreasing: %d %d %d", counts[0], counts[1], counts[10])
	}

	s := newScrambledZipfian(50)
	seen := map[int64]int{}
	for range 10000 {
		v := s.next(r)
		if v < 0 || v >= 50 {
			t.Fatalf("scrambled zipfian drew %d, want [0, 50)", v)
		}
		seen[v]++
	}
	if len(seen) < 25 {
		t.Errorf("scrambled zipfian hit %d of 50 items, want most", len(seen))
	}
}

// TestTextValues: text values are the same for a seed, differ between
// seeds, and are words.
func TestTextValues(t *testing.T) {
	a, b, c := newValueSource(1, TextValues), newValueSource(1, TextValues), newValueSource(2, TextValues)
	if !bytes.Equal(a.buf, b.buf) || bytes.Equal(a.buf, c.buf) {
		t.Fatal("text values are not a function of the seed")
	}
	if n := bytes.Count(a.buf, []byte(" the ")); n < 1000 {
		t.Errorf("%d \" the \" in 1 MiB of text, want words: %.80q", n, a.buf)
	}
}
