package repair

import (
	"math"
	"math/rand/v2"
	"testing"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
)

// TestHistoryAgainstAModel: random repairs of random ranges (wrapping,
// the whole ring, ending at its end); RepairedAt answers as the latest
// recorded repair whose range holds the token, and so does the history
// read back from its file after a crash.
func TestHistoryAgainstAModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fs := vfs.NewMem()
	h, err := OpenHistory(fs, "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	tab := mutation.TableID{1}
	type rec struct {
		r  ring.Range
		at int64
	}
	var model []rec
	// Tokens drawn from a few values, so that ranges share edges.
	edges := []int64{ring.MinToken, -1 << 62, -5, 0, 7, 1 << 40, math.MaxInt64 - 1, math.MaxInt64}
	tok := func() int64 {
		if rng.IntN(2) == 0 {
			return edges[rng.IntN(len(edges))]
		}
		return int64(rng.Uint64())
	}
	check := func(h *History, when string) {
		t.Helper()
		for range 300 {
			x := tok()
			if x == math.MinInt64 {
				continue
			}
			want := int64(math.MinInt64)
			for _, m := range model {
				if m.r.Contains(x) || m.r.Start == m.r.End {
					want = max(want, m.at)
				}
			}
			if got := h.RepairedAt(tab, x); got != want {
				t.Fatalf("%s: token %d repaired at %d, want %d (%d repairs, the last %v; steps %v)", when, x, got, want, len(model), model[len(model)-1], h.tables[tab])
			}
		}
	}
	for i := range 200 {
		r := ring.Range{Start: tok(), End: tok()}
		at := int64(1000 + rng.IntN(500))
		if err := h.Record(tab, r, at); err != nil {
			t.Fatal(err)
		}
		model = append(model, rec{r, at})
		if i%20 == 0 {
			check(h, "in memory")
		}
	}
	check(h, "in memory")
	h2, err := OpenHistory(fs.Crash(), "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	check(h2, "read back after a crash")
	if got := h2.RepairedAt(mutation.TableID{2}, 5); got != math.MinInt64 {
		t.Fatalf("a table never repaired: %d", got)
	}
}

// TestIntersect: a token lies in the intersection's pieces exactly when
// it lies in both ranges.
func TestIntersect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	edges := []int64{ring.MinToken, -3, 0, 9, math.MaxInt64 - 1, math.MaxInt64}
	tok := func() int64 {
		if rng.IntN(2) == 0 {
			return edges[rng.IntN(len(edges))]
		}
		return int64(rng.Uint64()>>1) * int64(1-2*rng.IntN(2))
	}
	holds := func(r ring.Range, x int64) bool { return r.Start == r.End || r.Contains(x) }
	for range 2000 {
		a, b := ring.Range{Start: tok(), End: tok()}, ring.Range{Start: tok(), End: tok()}
		pieces := Intersect(a, b)
		for range 50 {
			x := tok()
			if x == math.MinInt64 {
				continue
			}
			in := false
			for _, p := range pieces {
				in = in || holds(p, x)
			}
			if want := holds(a, x) && holds(b, x); in != want {
				t.Fatalf("%v ∩ %v = %v: token %d in it %v, want %v", a, b, pieces, x, in, want)
			}
		}
	}
}

// TestHistoryOldestIn: the oldest repair within a range, against the
// point answers.
func TestHistoryOldestIn(t *testing.T) {
	h, err := OpenHistory(vfs.NewMem(), "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	tab := mutation.TableID{1}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.Record(tab, ring.Range{Start: 0, End: 100}, 10))
	must(h.Record(tab, ring.Range{Start: 50, End: 200}, 20))
	for _, c := range []struct {
		r    ring.Range
		want int64
	}{
		{ring.Range{Start: 0, End: 100}, 10},
		{ring.Range{Start: 50, End: 100}, 20},
		{ring.Range{Start: 60, End: 200}, 20},
		{ring.Range{Start: 0, End: 200}, 10},
		{ring.Range{Start: 0, End: 201}, math.MinInt64},
		{ring.Range{Start: -1, End: 100}, math.MinInt64},
		{wholeRing, math.MinInt64},
	} {
		if got := h.OldestIn(tab, c.r); got != c.want {
			t.Errorf("oldest in %v: %d, want %d", c.r, got, c.want)
		}
	}
}
