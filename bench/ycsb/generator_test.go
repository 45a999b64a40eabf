package ycsb

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestFNVHash64(t *testing.T) {
	// YCSB's loop is FNV-1a over the little-endian bytes.
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
}

func TestKeyName(t *testing.T) {
	seen := map[string]bool{}
	for i := range int64(10000) {
		k := KeyName(i)
		if !strings.HasPrefix(k, "user") || len(k) < 10 || strings.Trim(k[4:], "0123456789") != "" {
			t.Fatalf("KeyName(%d) = %q, want user<decimal hash>", i, k)
		}
		if seen[k] {
			t.Fatalf("KeyName(%d) = %q repeats", i, k)
		}
		seen[k] = true
	}
	// Hashed order: key order is not insert order.
	var keys []string
	for i := range int64(100) {
		keys = append(keys, KeyName(i))
	}
	if slices.IsSorted(keys) || slices.IsSortedFunc(keys, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("keys of records 0-99 in sequence order, want hashed order")
	}
}

func counts(n int64, draws int, next func() int64) []int {
	c := make([]int, n)
	for range draws {
		c[next()]++
	}
	return c
}

// TestZipfianShape checks item 0's frequency against 1/zeta(n) and the
// slope of log frequency over log rank against -θ.
func TestZipfianShape(t *testing.T) {
	const n, draws = 1000, 2_000_000
	z := newZipfian(n, ZipfianConstant, zeta(0, n, ZipfianConstant, 0))
	r := newRand()
	c := counts(n, draws, func() int64 { return z.next(r) })
	p0 := float64(c[0]) / draws
	want := 1 / zeta(0, n, ZipfianConstant, 0)
	if math.Abs(p0-want)/want > 0.03 {
		t.Errorf("item 0 frequency %.4f, want %.4f", p0, want)
	}
	// Least squares over ranks 1..100 (Gray's method approximates the
	// shape beyond the first two ranks).
	var sx, sy, sxx, sxy float64
	m := 0.0
	for rank := 1; rank <= 100; rank++ {
		x, y := math.Log(float64(rank+1)), math.Log(float64(c[rank])/draws)
		sx, sy, sxx, sxy, m = sx+x, sy+y, sxx+x*x, sxy+x*y, m+1
	}
	slope := (m*sxy - sx*sy) / (m*sxx - sx*sx)
	t.Logf("slope %.3f, item 0 %.4f (want %.4f)", slope, p0, want)
	if slope > -0.9 || slope < -1.1 {
		t.Errorf("rank-frequency slope %.3f, want about -%.2f", slope, ZipfianConstant)
	}
	for i := 1; i < 10; i++ {
		if c[i] > c[i-1] {
			t.Errorf("rank %d drawn %d times, more than rank %d (%d)", i, c[i], i-1, c[i-1])
		}
	}
}

// TestZipfianGrow checks that extending the item count extends zeta as
// computing it afresh would.
func TestZipfianGrow(t *testing.T) {
	z := newZipfian(100, ZipfianConstant, zeta(0, 100, ZipfianConstant, 0))
	z.grow(5000)
	fresh := newZipfian(5000, ZipfianConstant, zeta(0, 5000, ZipfianConstant, 0))
	if math.Abs(z.zetan-fresh.zetan) > 1e-9 || math.Abs(z.eta-fresh.eta) > 1e-9 {
		t.Errorf("grown zeta %v eta %v, want %v %v", z.zetan, z.eta, fresh.zetan, fresh.eta)
	}
}

// TestScrambledZipfianSpreads checks that the hot items are as hot as
// YCSB's (the top one drawn about 1/zeta(10^10) of the time) but spread
// over the range rather than at its start.
func TestScrambledZipfianSpreads(t *testing.T) {
	const n, draws = 1000, 1_000_000
	s := newScrambledZipfian(n)
	r := newRand()
	c := counts(n, draws, func() int64 { return s.next(r) })
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return c[b] - c[a] })
	top := idx[:10]
	if p, want := float64(c[top[0]])/draws, 1/zetaScrambled; p < want*0.95 || p > want*1.3 {
		t.Errorf("hottest item frequency %.4f, want about %.4f", p, want)
	}
	low := 0
	for _, i := range top {
		if i < n/10 {
			low++
		}
	}
	lo, hi := slices.Min(top), slices.Max(top)
	if low > 4 || hi-lo < n/2 {
		t.Errorf("hottest items %v bunched, want them spread over [0, %d)", top, n)
	}
	// Still skewed: the ten hottest items take far more than 1% of draws.
	sum := 0
	for _, i := range top {
		sum += c[i]
	}
	if share := float64(sum) / draws; share < 0.1 {
		t.Errorf("ten hottest items drawn %.3f of the time, want over 0.1", share)
	}
}

func TestLatestFavoursRecent(t *testing.T) {
	const n, draws = 1000, 200_000
	ack := newAckCounter(n)
	l := newLatest(ack, newZipfian(n, ZipfianConstant, zeta(0, n, ZipfianConstant, 0)))
	r := newRand()
	c := counts(n+100, draws, func() int64 { return l.next(r) })
	for i := n; i < n+100; i++ {
		if c[i] > 0 {
			t.Fatalf("drew %d, beyond the last acknowledged %d", i, n-1)
		}
	}
	if slices.Max(c) != c[n-1] {
		t.Errorf("newest record drawn %d times, not the most (%d)", c[n-1], slices.Max(c))
	}
	recent := 0
	for i := n - 10; i < n; i++ {
		recent += c[i]
	}
	if share := float64(recent) / draws; share < 0.3 {
		t.Errorf("ten newest drawn %.3f of the time, want over 0.3", share)
	}
	// New inserts become the favourites once acknowledged.
	for seq := int64(n); seq < n+100; seq++ {
		ack.acknowledge(ack.claim())
	}
	c = counts(n+100, draws, func() int64 { return l.next(r) })
	if slices.Max(c) != c[n+99] {
		t.Errorf("after inserts, newest record drawn %d times, not the most (%d)", c[n+99], slices.Max(c))
	}
}

func TestUniformCoversRange(t *testing.T) {
	const n, draws = 100, 100_000
	u := uniform{n}
	r := newRand()
	c := counts(n, draws, func() int64 { return u.next(r) })
	for i, k := range c {
		if k < 800 || k > 1200 {
			t.Errorf("item %d drawn %d times, want about %d", i, k, draws/n)
		}
	}
}

func TestScanLengthUniform(t *testing.T) {
	r := newRand()
	c := make([]int, 102)
	sum := 0
	const draws = 200_000
	for range draws {
		l := scanLength(r, 100)
		if l < 1 || l > 100 {
			t.Fatalf("scan length %d, want 1-100", l)
		}
		c[l]++
		sum += l
	}
	for l := 1; l <= 100; l++ {
		if c[l] < 1600 || c[l] > 2400 {
			t.Errorf("length %d drawn %d times, want about 2000", l, c[l])
		}
	}
	if mean := float64(sum) / draws; math.Abs(mean-50.5) > 0.5 {
		t.Errorf("mean scan length %.2f, want 50.5", mean)
	}
}

func TestAckCounter(t *testing.T) {
	a := newAckCounter(10)
	if a.last() != 9 {
		t.Fatalf("last %d, want 9", a.last())
	}
	s := []int64{a.claim(), a.claim(), a.claim()}
	if !slices.Equal(s, []int64{10, 11, 12}) {
		t.Fatalf("claimed %v, want [10 11 12]", s)
	}
	a.acknowledge(12)
	a.acknowledge(11)
	if a.last() != 9 {
		t.Errorf("last %d with 10 unacknowledged, want 9", a.last())
	}
	a.acknowledge(10)
	if a.last() != 12 {
		t.Errorf("last %d, want 12", a.last())
	}
	if a.claimed() != 13 {
		t.Errorf("claimed %d, want 13", a.claimed())
	}
	// The zipfian's range reaches beyond the records: draws there are
	// redrawn.
	b := boundedChooser{c: newScrambledZipfian(100), ack: newAckCounter(20)}
	r := newRand()
	for range 10000 {
		if k := b.next(r); k > 19 {
			t.Fatalf("drew %d, want at most 19", k)
		}
	}
}

func TestOpChooser(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		w := CoreWorkloads[name]
		c := newOpChooser(w)
		r := newRand()
		var n [numOps]int
		const draws = 100_000
		for range draws {
			n[c.next(r)]++
		}
		want := [numOps]float64{w.ReadProportion, w.UpdateProportion, w.InsertProportion, w.ScanProportion, w.RMWProportion}
		for op, p := range want {
			if got := float64(n[op]) / draws; math.Abs(got-p) > 0.01 {
				t.Errorf("workload %s: %s share %.3f, want %.2f", name, Op(op), got, p)
			}
		}
	}
}
