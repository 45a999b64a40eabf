package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustNew(t testing.TB, nodes ...Node) *Metadata {
	t.Helper()
	m, err := New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		nodes []Node
		want  string
	}{
		{[]Node{{DC: "dc1", Rack: "r1", Tokens: []Token{1}}}, "node 0 has no id"},
		{[]Node{{ID: "a", Rack: "r1", Tokens: []Token{1}}}, "node a has no datacenter"},
		{[]Node{{ID: "a", DC: "dc1", Tokens: []Token{1}}}, "node a has no rack"},
		{[]Node{{ID: "a", DC: "dc1", Rack: "r1"}}, "node a has no tokens"},
		{[]Node{{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{MinToken}}}, "the ring's minimum"},
		{[]Node{{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{1}}, {ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{2}}}, "node a appears twice"},
		{[]Node{{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{1}}, {ID: "b", DC: "dc1", Rack: "r1", Tokens: []Token{1}}}, "token 1 claimed by both a and b"},
		{[]Node{{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{5, 5}}}, "token 5 claimed by both a and a"},
	} {
		_, err := New(c.nodes)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ring: ") {
			t.Errorf("New(%v): got error %v, want one containing %q", c.nodes, err, c.want)
		}
	}
}

func TestEmptyRing(t *testing.T) {
	m := mustNew(t)
	var nilRing *Metadata
	for _, r := range []*Metadata{m, nilRing} {
		if r.Len() != 0 || r.NumNodes() != 0 || r.Tokens() != nil && len(r.Tokens()) != 0 || r.Owner(5) != "" {
			t.Errorf("empty ring: got Len %d, NumNodes %d, Owner(5) %q; want 0, 0, \"\"", r.Len(), r.NumNodes(), r.Owner(5))
		}
		if _, ok := r.Node("a"); ok {
			t.Errorf("empty ring: Node(a) found")
		}
	}
	if got := m.Ownership(); len(got) != 0 {
		t.Errorf("empty ring: got ownership %v, want none", got)
	}
}

// TestOwner: a node with token T owns (previous token, T]; the first
// token also owns what lies past the last.
func TestOwner(t *testing.T) {
	m := mustNew(t,
		Node{ID: "c", DC: "dc1", Rack: "r1", Tokens: []Token{100}},
		Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{-100, MaxToken}},
		Node{ID: "b", DC: "dc2", Rack: "r2", Tokens: []Token{0}},
	)
	if got, want := m.Tokens(), []Token{-100, 0, 100, MaxToken}; !slices.Equal(got, want) {
		t.Fatalf("Tokens() = %v, want %v", got, want)
	}
	for _, c := range []struct {
		tok  Token
		want NodeID
		idx  int
	}{
		{MinToken, "a", 0}, {MinToken + 1, "a", 0}, {-101, "a", 0}, {-100, "a", 0},
		{-99, "b", 1}, {0, "b", 1}, {1, "c", 2}, {100, "c", 2}, {101, "a", 3}, {MaxToken, "a", 3},
	} {
		if got := m.Owner(c.tok); got != c.want {
			t.Errorf("Owner(%d) = %s, want %s", c.tok, got, c.want)
		}
		if got := m.Search(c.tok); got != c.idx {
			t.Errorf("Search(%d) = %d, want %d", c.tok, got, c.idx)
		}
	}
	// Past the last token wraps to the first: a ring without MaxToken.
	m2 := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{-5}}, Node{ID: "b", DC: "dc1", Rack: "r1", Tokens: []Token{5}})
	if got := m2.Owner(6); got != "a" {
		t.Errorf("Owner(6) past the last token = %s, want a", got)
	}
	if got := m2.Search(MaxToken); got != 0 {
		t.Errorf("Search(MaxToken) = %d, want 0", got)
	}

	if got := m.Ranges("a"); !slices.Equal(got, []Range{{MaxToken, -100}, {100, MaxToken}}) {
		t.Errorf("Ranges(a) = %v, want [(max, -100] (100, max]]", got)
	}
	if got := m.Ranges("b"); !slices.Equal(got, []Range{{-100, 0}}) {
		t.Errorf("Ranges(b) = %v, want [(-100, 0]]", got)
	}
	if got := m.Ranges("zz"); got != nil {
		t.Errorf("Ranges(zz) = %v, want nil", got)
	}
	n, ok := m.Node("a")
	if !ok || n.DC != "dc1" || !slices.Equal(n.Tokens, []Token{-100, MaxToken}) {
		t.Errorf("Node(a) = %+v, %v; want dc1 with tokens sorted [-100 max]", n, ok)
	}
	if j, ok := m.NodeIndex("b"); !ok || m.NodeAt(j).ID != "b" {
		t.Errorf("NodeIndex(b) = %d, %v", j, ok)
	}
	if ids := []NodeID{m.NodeAt(0).ID, m.NodeAt(1).ID, m.NodeAt(2).ID}; !slices.Equal(ids, []NodeID{"a", "b", "c"}) {
		t.Errorf("nodes in id order: got %v, want [a b c]", ids)
	}
	if got := m.NodeAt(m.OwnerAt(2)).ID; got != "c" {
		t.Errorf("owner of token index 2 = %s, want c", got)
	}
}

// TestNewCopies: New keeps its own copy of the tokens.
func TestNewCopies(t *testing.T) {
	toks := []Token{30, 10}
	m := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: toks})
	toks[0] = 99
	if got := m.Tokens(); !slices.Equal(got, []Token{10, 30}) {
		t.Errorf("after the caller changed its slice: Tokens() = %v, want [10 30]", got)
	}
}

func TestOneToken(t *testing.T) {
	m := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{7}})
	if got := m.RangeAt(0); got != (Range{7, 7}) {
		t.Errorf("RangeAt(0) = %v, want (7, 7], the whole ring", got)
	}
	if got := m.Ownership()["a"]; got != 1 {
		t.Errorf("ownership of the only node = %v, want 1", got)
	}
}

func TestRangeSize(t *testing.T) {
	for _, c := range []struct {
		r    Range
		want float64
	}{
		{Range{0, 10}, 10},
		{Range{-10, 10}, 20},
		{Range{10, -10}, math.Exp2(64) - 20},
		{Range{MinToken, MaxToken}, math.Exp2(64) - 1},
		{Range{5, 5}, math.Exp2(64)},
		{Range{MinToken, MinToken}, math.Exp2(64)},
		{Range{MaxToken, MinToken}, 1},
	} {
		if got := c.r.Size(); got != c.want {
			t.Errorf("%v.Size() = %v, want %v", c.r, got, c.want)
		}
	}
	if got := (Range{0, 1 << 62}).Fraction(); got != 0.25 {
		t.Errorf("Fraction of a quarter = %v, want 0.25", got)
	}
}

// TestOwnershipSums: on random rings, the shares add up to 1 and each is
// the size of the node's ranges.
func TestOwnershipSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var nodes []Node
		used := map[Token]bool{MinToken: true}
		for k := range 1 + rng.IntN(10) {
			n := Node{ID: NodeID(fmt.Sprint("n", k)), DC: "dc1", Rack: "r1"}
			for len(n.Tokens) < 1+rng.IntN(8) {
				tok := Token(rng.Uint64())
				if !used[tok] {
					used[tok] = true
					n.Tokens = append(n.Tokens, tok)
				}
			}
			nodes = append(nodes, n)
		}
		m := mustNew(t, nodes...)
		sum := 0.0
		for id, share := range m.Ownership() {
			sum += share
			size := 0.0
			for _, r := range m.Ranges(id) {
				size += r.Fraction()
			}
			if math.Abs(size-share) > 1e-12 {
				t.Fatalf("node %s: share %v, ranges %v", id, share, size)
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("shares add up to %v, want 1", sum)
		}
	}
}

func TestWithWithout(t *testing.T) {
	m := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{0}})
	m2, err := m.With(Node{ID: "b", DC: "dc1", Rack: "r1", Tokens: []Token{100}})
	if err != nil {
		t.Fatal(err)
	}
	if m.NumNodes() != 1 || m2.NumNodes() != 2 || m2.Owner(50) != "b" {
		t.Errorf("With: old ring %d nodes, new ring %d nodes, owner of 50 %s; want 1, 2, b", m.NumNodes(), m2.NumNodes(), m2.Owner(50))
	}
	// With an existing id moves the node.
	m3, err := m2.With(Node{ID: "b", DC: "dc1", Rack: "r1", Tokens: []Token{-100}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m3.Tokens(); !slices.Equal(got, []Token{-100, 0}) {
		t.Errorf("after moving b: tokens %v, want [-100 0]", got)
	}
	if _, err := m2.With(Node{ID: "c", DC: "dc1", Rack: "r1", Tokens: []Token{100}}); err == nil {
		t.Errorf("With a node claiming b's token: no error")
	}
	m4 := m3.Without("a")
	if m4.NumNodes() != 1 || m4.Owner(5) != "b" {
		t.Errorf("Without(a): %d nodes, owner of 5 %s; want 1, b", m4.NumNodes(), m4.Owner(5))
	}
	if got := m4.Without("zz").NumNodes(); got != 1 {
		t.Errorf("Without a non-member: %d nodes, want 1", got)
	}
}

func TestMerge(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"", ""},
		{"(0, 10]", "(0, 10]"},
		{"(10, 20] (0, 10]", "(0, 20]"},
		{"(0, 10] (5, 15] (20, 30]", "(0, 15] (20, 30]"},
		{"(0, 30] (5, 15]", "(0, 30]"},
		{"(100, -100]", "(min, -100] (100, min]"},
		{"(100, -100] (-100, 100]", "(min, min]"},
		{"(5, 5] (0, 1]", "(min, min]"},
		{"(max-10, min] (min, -5] (-5, 0]", "(min, 0] (9223372036854775797, min]"},
		{"(0, 10] (100, 0]", "(min, 10] (100, min]"},
	} {
		var in []Range
		if c.in != "" {
			for _, s := range strings.SplitAfter(c.in, "]") {
				if s = strings.TrimSpace(s); s != "" {
					in = append(in, parseRange(t, s))
				}
			}
		}
		var got []string
		for _, r := range Merge(in) {
			got = append(got, formatRange(r))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("Merge(%s) = %s, want %s", c.in, g, c.want)
		}
	}
}

// TestMergeProperties: the merged ranges hold exactly the tokens of the
// input, do not wrap, and are ascending and apart.
func TestMergeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	pick := func() Token { return Token(rng.IntN(41) - 20) }
	for range 5000 {
		var in []Range
		for range rng.IntN(5) {
			in = append(in, Range{pick(), pick()})
		}
		out := Merge(in)
		for i, r := range out {
			if r.Start >= r.End && r.End != MinToken {
				t.Fatalf("Merge(%v) = %v: %v wraps", in, out, r)
			}
			if i > 0 && (out[i-1].End == MinToken || r.Start <= out[i-1].End) {
				t.Fatalf("Merge(%v) = %v: not ascending and apart", in, out)
			}
		}
		for tok := Token(-22); tok <= 22; tok++ {
			inIn, inOut := false, false
			for _, r := range in {
				inIn = inIn || r.Contains(tok)
			}
			for _, r := range out {
				inOut = inOut || r.Contains(tok)
			}
			if inIn != inOut {
				t.Fatalf("Merge(%v) = %v: token %d in input %v, in output %v", in, out, tok, inIn, inOut)
			}
		}
	}
}

// TestMemo: one value per key, built once when callers do not race,
// nested use allowed, and concurrent callers all get the stored value.
func TestMemo(t *testing.T) {
	m := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{1}})
	builds := 0
	build := func() any { builds++; return builds }
	if got := m.Memo("k", build); got != 1 {
		t.Errorf("first Memo = %v, want 1", got)
	}
	if got := m.Memo("k", build); got != 1 || builds != 1 {
		t.Errorf("second Memo = %v after %d builds, want 1 after 1", got, builds)
	}
	type other struct{ n int }
	if got := m.Memo(other{1}, func() any { return m.Memo("k", build).(int) + 10 }); got != 11 {
		t.Errorf("nested Memo = %v, want 11", got)
	}

	m2 := mustNew(t, Node{ID: "a", DC: "dc1", Rack: "r1", Tokens: []Token{1}})
	var wg sync.WaitGroup
	results := make([]any, 32)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = m2.Memo(other{i % 4}, func() any { return new(int) })
		}()
	}
	wg.Wait()
	for i, r := range results {
		if want := m2.Memo(other{i % 4}, nil); r != want {
			t.Fatalf("caller %d got %p, the stored value is %p", i, r, want)
		}
	}
}
