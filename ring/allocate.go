package ring

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// DefaultNumTokens is how many vnode tokens a node takes unless configured
// otherwise (num_tokens; 16, as Cassandra 4.0 defaults to).
const DefaultNumTokens = 16

// MaxNumTokens bounds num_tokens (Cassandra's limit is 1536).
const MaxNumTokens = 1536

// AllocateTokens chooses numTokens tokens for a node joining datacenter dc
// of ring m (nil or empty for the first node), so that ownership stays
// balanced, which random tokens do not achieve at 16 per node. The result
// is ascending, and collides with no token of m.
//
// The first node of a datacenter takes evenly spaced tokens, turned by an
// offset drawn from seed. Every later node places its tokens one at a time,
// greedily, as Cassandra's ReplicationAwareTokenAllocator does in spirit:
// each token goes where it most reduces the spread of the nodes' loads
// around their targets, the load of a node being the share of the ring it
// replicates under SimpleStrategy with replication factor rf among the
// datacenter's nodes (racks are not considered). With rf <= 1, or while the
// datacenter, the joining node included, has no more nodes than rf (every
// node then replicates everything), the load is primary ownership alone;
// otherwise primary ownership is balanced alongside. A new token splits an existing
// range at the point that balances the node giving up a share against the
// joining node, within the middle 80% of the range, so no sliver ranges
// appear. The targets move with each token: after k of n tokens the joining
// node should hold k/n of a node's fair share.
//
// The result depends only on m, dc, numTokens, rf and seed (floating-point
// arithmetic aside, which may differ in the last bit between architectures
// that fuse multiply-adds).
func AllocateTokens(m *Metadata, dc string, numTokens, rf int, seed uint64) ([]Token, error) {
	switch {
	case numTokens < 1 || numTokens > MaxNumTokens:
		return nil, fmt.Errorf("ring: num_tokens %d out of range [1, %d]", numTokens, MaxNumTokens)
	case rf < 0:
		return nil, fmt.Errorf("ring: replication factor %d is negative", rf)
	case dc == "":
		return nil, fmt.Errorf("ring: allocate tokens: no datacenter")
	}
	a := &allocator{all: m.Tokens()}
	local := map[int]int{} // ring node index -> local index
	for i := range m.Len() {
		j := m.OwnerAt(i)
		if m.NodeAt(j).DC != dc {
			continue
		}
		x, ok := local[j]
		if !ok {
			x = len(local)
			local[j] = x
		}
		a.tok = append(a.tok, m.TokenAt(i))
		a.own = append(a.own, x)
	}
	if len(a.tok) == 0 {
		return a.spread(numTokens, seed), nil
	}
	a.nodes = len(local) + 1
	a.newNode = len(local)
	a.rf = rf
	if rf <= 1 || len(local) < rf {
		a.rf = 1
	}
	out := make([]Token, 0, numTokens)
	for k := range numTokens {
		t, ok := a.place(k, numTokens)
		if !ok {
			return nil, fmt.Errorf("ring: no room left in datacenter %s for another token", dc)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

// allocator holds one datacenter's ring while a node's tokens are placed.
type allocator struct {
	all     []Token // every token of the ring, all datacenters, ascending
	tok     []Token // the datacenter's tokens, ascending, with those placed so far
	own     []int   // own[i]: local node index of tok[i]
	nodes   int     // local nodes, the joining one included
	newNode int     // local index of the joining node
	rf      int     // replication factor the loads are computed with

	// Derived from tok and own by refresh.
	width []float64 // width[i]: share of the ring of (tok[i-1], tok[i]]
	repl  []int     // repl[i*rf:(i+1)*rf]: replicas of range i, in walk order
	span  []int     // span[i]: tokens the walk from i looks at to find them
	load  []float64 // load[x]: share of the ring node x replicates
	prim  []float64 // prim[x]: share of the ring node x owns as primary
}

const (
	// primaryWeight weighs primary ownership (scaled by rf) against
	// replicated load in the cost when rf > 1. Both matter: balancing
	// replicated load alone leaves primary ownership 3-5x apart at 12-48
	// nodes, balancing ownership alone leaves replicated load 1.6-2x apart.
	primaryWeight = 1.0
	// minSplit is the smallest part of a range a new token takes, or
	// leaves, as a fraction of the range.
	minSplit = 0.1
)

// taken reports whether t is a token of the ring or already placed.
func (a *allocator) taken(t Token) bool {
	if _, ok := slices.BinarySearch(a.all, t); ok {
		return true
	}
	_, ok := slices.BinarySearch(a.tok, t)
	return ok
}

// spread returns n evenly spaced tokens from a random offset.
func (a *allocator) spread(n int, seed uint64) []Token {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	offset := rng.Uint64()
	step := ^uint64(0)/uint64(n) + 1 // 2^64/n, rounded up; for n == 1 unused
	out := make([]Token, 0, n)
	for k := range n {
		t := Token(offset + uint64(k)*step)
		for t == MinToken || a.taken(t) || slices.Contains(out, t) {
			t++
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// refresh recomputes widths, replica sets and loads from tok and own.
func (a *allocator) refresh() {
	n := len(a.tok)
	a.width = a.width[:0]
	for i := range n {
		r := Range{Start: a.tok[(i+n-1)%n], End: a.tok[i]}
		a.width = append(a.width, r.Fraction())
	}
	a.repl = a.repl[:0]
	a.span = a.span[:0]
	a.load = slices.Grow(a.load[:0], a.nodes)[:a.nodes]
	clear(a.load)
	a.prim = slices.Grow(a.prim[:0], a.nodes)[:a.nodes]
	clear(a.prim)
	for i := range n {
		a.prim[a.own[i]] += a.width[i]
		start := len(a.repl)
		steps := 0
		for ; steps < n && len(a.repl)-start < a.rf; steps++ {
			x := a.own[(i+steps)%n]
			if !slices.Contains(a.repl[start:], x) {
				a.repl = append(a.repl, x)
				a.load[x] += a.width[i]
			}
		}
		a.span = append(a.span, steps)
	}
}

// place puts the k-th of n tokens of the joining node.
func (a *allocator) place(k, n int) (Token, bool) {
	a.refresh()
	rf := float64(a.rf)
	share := float64(k+1) / float64(n) / float64(a.nodes) // the joining node's target ownership
	others := (1 - share) / float64(a.nodes-1)
	// Replicated loads (adding up to rf) and primary ownership (adding up
	// to 1, scaled by rf so both count alike) each have targets.
	rt := [2]float64{rf * others, rf * share}
	pt := [2]float64{others, share}
	isNew := func(x int) int {
		if x == a.newNode {
			return 1
		}
		return 0
	}
	// dev returns the change in squared deviation from target of a load
	// l (target t) moving by d.
	dev := func(l, t, d float64) float64 {
		before := l - t
		after := before + d
		return after*after - before*before
	}
	// Without replication the two loads are one.
	weight := 0.0
	if a.rf > 1 {
		weight = primaryWeight * rf * rf
	}

	var (
		best     = -1
		bestCost float64
		bestFrac float64
		deltas   []nodeDelta
	)
	T := len(a.tok)
	for i := range T {
		if T > 1 && uint64(a.tok[i])-uint64(a.tok[(i+T-1)%T]) < 2 {
			continue // no token fits between
		}
		// Ranges before i whose replica walk passes the new token gain the
		// joining node and lose their last replica.
		deltas = deltas[:0]
		for d := 1; d < T; d++ {
			j := (i - d + T) % T
			if a.span[j] <= d {
				break
			}
			r := a.repl[j*a.rf : (j+1)*a.rf]
			if slices.Contains(r, a.newNode) {
				continue
			}
			deltas = addDelta(deltas, r[a.rf-1], -a.width[j])
			deltas = addDelta(deltas, a.newNode, a.width[j])
		}
		// The lower part of the split range, (tok[i-1], new], moves from
		// its last replica to the joining node, unless that one is already
		// a replica, and from its primary owner to the joining node. Its
		// size minimizes the squared deviations of the loads it moves.
		r := a.repl[i*a.rf : (i+1)*a.rf]
		y, o := r[a.rf-1], a.own[i]
		replicated := !slices.Contains(r, a.newNode)
		owned := weight > 0 && o != a.newNode
		var er, ep float64 // excess of the giving node over the joining one
		if replicated {
			er = (a.load[y] + deltaOf(deltas, y) - rt[0]) - (a.load[a.newNode] + deltaOf(deltas, a.newNode) - rt[1])
		}
		if owned {
			ep = (a.prim[o] - pt[0]) - (a.prim[a.newNode] - pt[1])
		}
		frac := 0.5
		switch {
		case replicated && owned:
			frac = (er + weight*ep) / (2 * (1 + weight)) / a.width[i]
		case replicated:
			frac = er / 2 / a.width[i]
		case owned:
			frac = ep / 2 / a.width[i]
		}
		frac = min(max(frac, minSplit), 1-minSplit)
		s := frac * a.width[i]
		if replicated {
			deltas = addDelta(deltas, y, -s)
			deltas = addDelta(deltas, a.newNode, s)
		}
		cost := 0.0
		for _, d := range deltas {
			cost += dev(a.load[d.node], rt[isNew(d.node)], d.delta)
		}
		if owned {
			cost += weight * (dev(a.prim[o], pt[0], -s) + dev(a.prim[a.newNode], pt[1], s))
		}
		if best < 0 || cost < bestCost {
			best, bestCost, bestFrac = i, cost, frac
		}
	}
	if best < 0 {
		return 0, false
	}
	prev := a.tok[(best+T-1)%T]
	gap := uint64(a.tok[best]) - uint64(prev) // 0 when T == 1: the whole ring
	off := uint64(bestFrac * float64(gap))
	if T == 1 {
		off = uint64(bestFrac * ringSize)
	}
	off = max(off, 1)
	if gap != 0 {
		off = min(off, gap-1)
	}
	t := Token(uint64(prev) + off)
	// Step past tokens of other datacenters (or MinToken), staying inside
	// the range.
	for t == MinToken || a.taken(t) {
		t++
		if t == a.tok[best] {
			return 0, false
		}
	}
	at, _ := slices.BinarySearch(a.tok, t)
	a.tok = slices.Insert(a.tok, at, t)
	a.own = slices.Insert(a.own, at, a.newNode)
	return t, true
}

type nodeDelta struct {
	node  int
	delta float64
}

func addDelta(ds []nodeDelta, node int, d float64) []nodeDelta {
	for i := range ds {
		if ds[i].node == node {
			ds[i].delta += d
			return ds
		}
	}
	return append(ds, nodeDelta{node, d})
}

func deltaOf(ds []nodeDelta, node int) float64 {
	for _, d := range ds {
		if d.node == node {
			return d.delta
		}
	}
	return 0
}
