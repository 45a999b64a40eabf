package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// allocFunc chooses the tokens of a node joining dc of m.
type allocFunc func(m *Metadata, dc string, n int, seed uint64) []Token

func greedy(rf int) allocFunc {
	return func(m *Metadata, dc string, n int, seed uint64) []Token {
		toks, err := AllocateTokens(m, dc, n, rf, seed)
		if err != nil {
			panic(err)
		}
		return toks
	}
}

// randomTokens is what Cassandra did before its allocator: n tokens drawn
// at random.
func randomTokens(m *Metadata, _ string, n int, seed uint64) []Token {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []Token
	for len(out) < n {
		t := Token(rng.Uint64())
		if _, ok := slices.BinarySearch(m.Tokens(), t); t == MinToken || ok || slices.Contains(out, t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// grow builds a ring of nodes in one datacenter by joining them one at a
// time, node k taking seed base+k.
func grow(t testing.TB, nodes, numTokens int, alloc allocFunc, base uint64) *Metadata {
	t.Helper()
	m, _ := New(nil)
	for k := range nodes {
		n := Node{ID: NodeID(fmt.Sprintf("n%02d", k)), DC: "dc1", Rack: "r1"}
		n.Tokens = alloc(m, "dc1", numTokens, base+uint64(k))
		var err error
		if m, err = m.With(n); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// simpleLoads returns each node's replicated share of the ring under
// SimpleStrategy with replication factor rf (the shares add up to rf).
func simpleLoads(m *Metadata, rf int) map[NodeID]float64 {
	out := map[NodeID]float64{}
	T := m.Len()
	for i := range T {
		w := m.RangeAt(i).Fraction()
		var seen []int
		for s := 0; s < T && len(seen) < rf; s++ {
			x := m.OwnerAt((i + s) % T)
			if !slices.Contains(seen, x) {
				seen = append(seen, x)
				out[m.NodeAt(x).ID] += w
			}
		}
	}
	return out
}

type spreadStats struct {
	ratio float64 // max/min
	cv    float64 // standard deviation / mean
}

func spreadOf(loads map[NodeID]float64) spreadStats {
	lo, hi, sum := math.Inf(1), 0.0, 0.0
	for _, l := range loads {
		lo, hi, sum = min(lo, l), max(hi, l), sum+l
	}
	mean := sum / float64(len(loads))
	v := 0.0
	for _, l := range loads {
		v += (l - mean) * (l - mean)
	}
	return spreadStats{ratio: hi / lo, cv: math.Sqrt(v/float64(len(loads))) / mean}
}

// TestAllocateBalance grows rings of 3, 6, 12 and 24 nodes of 16 tokens,
// one node joining at a time, and bounds the spread of ownership (max/min
// of the nodes' shares) and of replicated load under SimpleStrategy RF 3.
// Balancing for rf 1 evens out ownership alone; for rf 3 both. Random
// tokens, logged for comparison, exceed the bound by far.
func TestAllocateBalance(t *testing.T) {
	const bound = 1.15
	sizes := []int{3, 6, 12, 24}
	if !testing.Short() {
		sizes = append(sizes, 48)
	}
	for _, nodes := range sizes {
		for _, rf := range []int{1, 3} {
			m := grow(t, nodes, DefaultNumTokens, greedy(rf), 1)
			own, rep := spreadOf(m.Ownership()), spreadOf(simpleLoads(m, 3))
			t.Logf("%2d nodes, allocated for rf %d: ownership max/min %.3f (cv %.3f), RF 3 load max/min %.3f (cv %.3f)",
				nodes, rf, own.ratio, own.cv, rep.ratio, rep.cv)
			if own.ratio > bound {
				t.Errorf("%d nodes, rf %d: ownership max/min %.3f, want <= %.2f", nodes, rf, own.ratio, bound)
			}
			if rf == 3 && rep.ratio > bound {
				t.Errorf("%d nodes, rf 3: RF 3 load max/min %.3f, want <= %.2f", nodes, rep.ratio, bound)
			}
		}
		// Random tokens over 20 seeds.
		const seeds = 20
		var meanOwn, worstOwn, meanRep, worstRep, meanCV float64
		for s := range uint64(seeds) {
			m := grow(t, nodes, DefaultNumTokens, randomTokens, s*1000)
			own, rep := spreadOf(m.Ownership()), spreadOf(simpleLoads(m, 3))
			meanOwn += own.ratio / seeds
			meanRep += rep.ratio / seeds
			meanCV += own.cv / seeds
			worstOwn, worstRep = max(worstOwn, own.ratio), max(worstRep, rep.ratio)
		}
		t.Logf("%2d nodes, random tokens: ownership max/min mean %.3f worst %.3f (mean cv %.3f), RF 3 load max/min mean %.3f worst %.3f",
			nodes, meanOwn, worstOwn, meanCV, meanRep, worstRep)
		if meanOwn <= bound {
			t.Errorf("%d nodes: random tokens give ownership max/min %.3f on average, within the bound %.2f the test means to show they miss", nodes, meanOwn, bound)
		}
	}
}

// TestAllocateFirstNode: the first node of a datacenter takes evenly
// spaced tokens; the seed turns them.
func TestAllocateFirstNode(t *testing.T) {
	toks, err := AllocateTokens(nil, "dc1", 16, 3, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 16 || !slices.IsSorted(toks) {
		t.Fatalf("got %v, want 16 ascending tokens", toks)
	}
	for i := range toks {
		gap := uint64(toks[(i+1)%16]) - uint64(toks[i])
		if gap != 1<<60 && gap != 1<<60-1 && gap != 1<<60+1 {
			t.Errorf("gap after token %d: %d, want 2^60", toks[i], gap)
		}
	}
	other, _ := AllocateTokens(nil, "dc1", 16, 3, 43)
	if slices.Equal(toks, other) {
		t.Errorf("seeds 42 and 43 gave the same tokens")
	}
	one, _ := AllocateTokens(nil, "dc1", 1, 3, 42)
	if len(one) != 1 || one[0] == MinToken {
		t.Errorf("one token: got %v", one)
	}
}

// TestAllocateDeterministic: the same ring, datacenter, count, factor and
// seed give the same tokens.
func TestAllocateDeterministic(t *testing.T) {
	m := grow(t, 5, 16, greedy(3), 7)
	a, err := AllocateTokens(m, "dc1", 16, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := AllocateTokens(m, "dc1", 16, 3, 1)
	if !slices.Equal(a, b) {
		t.Errorf("two runs differ: %v and %v", a, b)
	}
	if len(a) != 16 || !slices.IsSorted(a) {
		t.Errorf("got %v, want 16 ascending tokens", a)
	}
	for _, tok := range a {
		if _, taken := slices.BinarySearch(m.Tokens(), tok); taken || tok == MinToken {
			t.Errorf("token %d collides with the ring or is MinToken", tok)
		}
	}
}

// TestAllocateMultiDC: two datacenters growing side by side; each is
// balanced on its own, and tokens never collide.
func TestAllocateMultiDC(t *testing.T) {
	m, _ := New(nil)
	for k := range 14 {
		dc := []string{"dc1", "dc2"}[k%2]
		toks, err := AllocateTokens(m, dc, 16, 3, uint64(k))
		if err != nil {
			t.Fatal(err)
		}
		if m, err = m.With(Node{ID: NodeID(fmt.Sprintf("n%02d", k)), DC: dc, Rack: "r1", Tokens: toks}); err != nil {
			t.Fatal(err)
		}
	}
	for _, dc := range []string{"dc1", "dc2"} {
		var nodes []Node
		for _, n := range m.Nodes() {
			if n.DC == dc {
				nodes = append(nodes, n)
			}
		}
		sub := mustNew(t, nodes...)
		own, rep := spreadOf(sub.Ownership()), spreadOf(simpleLoads(sub, 3))
		t.Logf("%s, %d nodes: ownership max/min %.3f, RF 3 load max/min %.3f", dc, len(nodes), own.ratio, rep.ratio)
		if own.ratio > 1.15 || rep.ratio > 1.15 {
			t.Errorf("%s: ownership max/min %.3f, RF 3 load %.3f, want both <= 1.15", dc, own.ratio, rep.ratio)
		}
	}
}

// TestAllocateOneToken: nodes of a single token each still split the
// ring evenly when they join one at a time.
func TestAllocateOneToken(t *testing.T) {
	m := grow(t, 4, 1, greedy(1), 3)
	own := spreadOf(m.Ownership())
	if own.ratio > 1.7 {
		t.Errorf("4 nodes of 1 token: ownership max/min %.3f, want <= 1.7", own.ratio)
	}
	if m.Len() != 4 {
		t.Errorf("got %d tokens, want 4", m.Len())
	}
}

func TestAllocateErrors(t *testing.T) {
	for _, c := range []struct {
		dc       string
		n, rf    int
		wantText string
	}{
		{"dc1", 0, 3, "num_tokens 0 out of range"},
		{"dc1", MaxNumTokens + 1, 3, "out of range"},
		{"dc1", 16, -1, "replication factor -1 is negative"},
		{"", 16, 3, "no datacenter"},
	} {
		_, err := AllocateTokens(nil, c.dc, c.n, c.rf, 1)
		if err == nil || !strings.Contains(err.Error(), c.wantText) {
			t.Errorf("AllocateTokens(%q, %d, %d): got error %v, want one containing %q", c.dc, c.n, c.rf, err, c.wantText)
		}
	}
}

// BenchmarkAllocate: a node joining a ring of 500 nodes of 16 tokens.
func BenchmarkAllocate(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var nodes []Node
	for k := range 500 {
		nodes = append(nodes, Node{ID: NodeID(fmt.Sprint("n", k)), DC: "dc1", Rack: "r1", Tokens: randomTokens(nil, "", 16, rng.Uint64())})
	}
	m, err := New(nodes)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := AllocateTokens(m, "dc1", 16, 3, 1); err != nil {
			b.Fatal(err)
		}
	}
}
