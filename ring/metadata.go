package ring

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Token is a position on the ring: a Murmur3 token. Keys hash to
// [MinToken+1, MaxToken] (Murmur3 maps MinToken to MaxToken), and MinToken
// itself is reserved as the ring's minimum, never a node's token.
type Token = int64

// NodeID identifies a node of the cluster: its host id (a UUID in text
// form, as system.local and system.peers show it), which outlives address
// changes.
type NodeID string

// Node is a ring member: where it lives and the tokens it owns.
type Node struct {
	ID NodeID
	// DC and Rack place the node, as a snitch reports them
	// ("datacenter1", "rack1" by default in Cassandra).
	DC, Rack string
	// Tokens are the node's vnode tokens, in any order; Metadata keeps
	// them sorted.
	Tokens []Token
}

// Metadata is an immutable token ring: every token with its owning node,
// and where each node lives. A node with token T owns the range
// (previous token, T]; the first token of the ring also owns the range that
// wraps past MaxToken. One Metadata is one version of the ring; a change
// (a node joining, leaving, moving) makes a new one with With or Without.
//
// Metadata is safe for concurrent use. Slices it returns are shared: callers
// must not modify them.
type Metadata struct {
	tokens []Token // ascending
	owner  []int32 // owner[i] is the index in nodes of tokens[i]'s owner
	nodes  []Node  // ascending by ID, each with its tokens sorted
	byID   map[NodeID]int32

	memoMu sync.Mutex                  // serializes memo writers
	memo   atomic.Pointer[[]memoEntry] // copy-on-write, read without locking
}

type memoEntry struct{ key, val any }

// New returns the ring of the given nodes. It copies what it keeps, so the
// caller may reuse nodes. It fails if a node has no id, no datacenter or
// rack, no tokens, or the token MinToken, if two nodes share an id, or if a
// token is claimed twice. No nodes give the empty ring.
func New(nodes []Node) (*Metadata, error) {
	m := &Metadata{byID: make(map[NodeID]int32, len(nodes))}
	total := 0
	m.nodes = make([]Node, len(nodes))
	for i, n := range nodes {
		switch {
		case n.ID == "":
			return nil, fmt.Errorf("ring: node %d has no id", i)
		case n.DC == "":
			return nil, fmt.Errorf("ring: node %s has no datacenter", n.ID)
		case n.Rack == "":
			return nil, fmt.Errorf("ring: node %s has no rack", n.ID)
		case len(n.Tokens) == 0:
			return nil, fmt.Errorf("ring: node %s has no tokens", n.ID)
		}
		n.Tokens = slices.Clone(n.Tokens)
		slices.Sort(n.Tokens)
		m.nodes[i] = n
		total += len(n.Tokens)
	}
	slices.SortFunc(m.nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	type entry struct {
		t Token
		n int32
	}
	entries := make([]entry, 0, total)
	for i, n := range m.nodes {
		if i > 0 && m.nodes[i-1].ID == n.ID {
			return nil, fmt.Errorf("ring: node %s appears twice", n.ID)
		}
		m.byID[n.ID] = int32(i)
		for _, t := range n.Tokens {
			if t == MinToken {
				return nil, fmt.Errorf("ring: node %s has token %d, the ring's minimum, which no node may own", n.ID, t)
			}
			entries = append(entries, entry{t, int32(i)})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.t, b.t) })
	m.tokens = make([]Token, len(entries))
	m.owner = make([]int32, len(entries))
	for i, e := range entries {
		if i > 0 && entries[i-1].t == e.t {
			return nil, fmt.Errorf("ring: token %d claimed by both %s and %s", e.t, m.nodes[entries[i-1].n].ID, m.nodes[e.n].ID)
		}
		m.tokens[i] = e.t
		m.owner[i] = e.n
	}
	return m, nil
}

// With returns a new ring with node added, or replacing the node of the
// same id (a move).
func (m *Metadata) With(node Node) (*Metadata, error) {
	nodes := make([]Node, 0, m.NumNodes()+1)
	for _, n := range m.Nodes() {
		if n.ID != node.ID {
			nodes = append(nodes, n)
		}
	}
	return New(append(nodes, node))
}

// Without returns a new ring without the node id (a node that left); the
// ring is unchanged in content if id is not a member.
func (m *Metadata) Without(id NodeID) *Metadata {
	nodes := make([]Node, 0, m.NumNodes())
	for _, n := range m.Nodes() {
		if n.ID != id {
			nodes = append(nodes, n)
		}
	}
	out, err := New(nodes)
	if err != nil {
		panic("ring: members of a valid ring failed validation: " + err.Error())
	}
	return out
}

// Len returns the number of tokens on the ring. A nil *Metadata is the
// empty ring.
func (m *Metadata) Len() int {
	if m == nil {
		return 0
	}
	return len(m.tokens)
}

// Tokens returns every token of the ring, ascending (shared: do not modify).
func (m *Metadata) Tokens() []Token {
	if m == nil {
		return nil
	}
	return m.tokens
}

// TokenAt returns the i-th token of the ring, 0 <= i < Len().
func (m *Metadata) TokenAt(i int) Token { return m.tokens[i] }

// OwnerAt returns the index (as NodeAt takes it) of the node owning the
// i-th token.
func (m *Metadata) OwnerAt(i int) int { return int(m.owner[i]) }

// NumNodes returns the number of nodes on the ring.
func (m *Metadata) NumNodes() int {
	if m == nil {
		return 0
	}
	return len(m.nodes)
}

// NodeAt returns the j-th node in id order, 0 <= j < NumNodes(). Its
// Tokens are shared: do not modify them.
func (m *Metadata) NodeAt(j int) Node { return m.nodes[j] }

// Nodes returns the nodes in id order (shared: do not modify).
func (m *Metadata) Nodes() []Node {
	if m == nil {
		return nil
	}
	return m.nodes
}

// NodeIndex returns the index of node id, as NodeAt takes it.
func (m *Metadata) NodeIndex(id NodeID) (int, bool) {
	if m == nil {
		return 0, false
	}
	j, ok := m.byID[id]
	return int(j), ok
}

// Node returns the node id.
func (m *Metadata) Node(id NodeID) (Node, bool) {
	j, ok := m.NodeIndex(id)
	if !ok {
		return Node{}, false
	}
	return m.nodes[j], true
}

// Search returns the index of the token that owns t: the first token >= t,
// or 0 if t is past the last token (the ring wraps), as Cassandra's
// TokenMetadata.firstTokenIndex. The ring must not be empty.
func (m *Metadata) Search(t Token) int {
	i := sort.Search(len(m.tokens), func(i int) bool { return m.tokens[i] >= t })
	if i == len(m.tokens) {
		return 0
	}
	return i
}

// Owner returns the primary owner of token t: the node of the first token
// >= t, wrapping. It returns "" on an empty ring.
func (m *Metadata) Owner(t Token) NodeID {
	if m.Len() == 0 {
		return ""
	}
	return m.nodes[m.owner[m.Search(t)]].ID
}

// RangeAt returns the range the i-th token owns: (token i-1, token i],
// where token -1 is the last one. A ring of one token owns the whole ring,
// (t, t].
func (m *Metadata) RangeAt(i int) Range {
	prev := i - 1
	if prev < 0 {
		prev = len(m.tokens) - 1
	}
	return Range{Start: m.tokens[prev], End: m.tokens[i]}
}

// Ranges returns the ranges node id owns as primary, one per token, in
// token order; nil if id is not a member.
func (m *Metadata) Ranges(id NodeID) []Range {
	n, ok := m.Node(id)
	if !ok {
		return nil
	}
	out := make([]Range, len(n.Tokens))
	for k, t := range n.Tokens {
		out[k] = m.RangeAt(m.Search(t))
	}
	return out
}

// Ownership returns each node's share of the ring as primary owner, a
// fraction in (0, 1]; the shares add up to 1.
func (m *Metadata) Ownership() map[NodeID]float64 {
	out := make(map[NodeID]float64, m.NumNodes())
	for i := range m.Len() {
		out[m.nodes[m.owner[i]].ID] += m.RangeAt(i).Fraction()
	}
	return out
}

// Memo returns the value memoized on m under key, calling build to make it
// on first use. It lets packages that derive tables from a ring (replica
// placement per strategy) keep them exactly as long as this version of the
// ring lives. key must be comparable; keep the number of distinct keys per
// ring small, since lookups scan them. Memo is safe for concurrent use and
// lookups take no lock. Callers racing on a new key may each run build;
// the first result stored is the one every caller gets. build may call
// Memo itself.
func (m *Metadata) Memo(key any, build func() any) any {
	if v, ok := m.memoLookup(key); ok {
		return v
	}
	v := build()
	m.memoMu.Lock()
	defer m.memoMu.Unlock()
	if old, ok := m.memoLookup(key); ok {
		return old
	}
	var cur []memoEntry
	if p := m.memo.Load(); p != nil {
		cur = *p
	}
	next := append(slices.Clip(cur), memoEntry{key, v})
	m.memo.Store(&next)
	return v
}

func (m *Metadata) memoLookup(key any) (any, bool) {
	if p := m.memo.Load(); p != nil {
		for _, e := range *p {
			if e.key == key {
				return e.val, true
			}
		}
	}
	return nil, false
}

// ringSize is the number of tokens on the ring, 2^64, as a float.
const ringSize float64 = 1 << 64

// Size returns the number of tokens in r, as a float64 (2^64 for the whole
// ring, which a uint64 cannot hold).
func (r Range) Size() float64 {
	if r.Start == r.End {
		return ringSize
	}
	return float64(uint64(r.End) - uint64(r.Start))
}

// Fraction returns r's share of the ring, in (0, 1].
func (r Range) Fraction() float64 { return r.Size() / ringSize }

// Merge returns the tokens of ranges rs as the fewest ranges that do not
// wrap (each Start < End, or End == MinToken meaning "to the end of the
// ring"), ascending and disjoint: overlapping and adjacent ranges are
// joined. The whole ring comes back as (MinToken, MinToken].
func Merge(rs []Range) []Range {
	var pieces []Range
	for _, r := range rs {
		if r.Start == r.End {
			return []Range{{Start: MinToken, End: MinToken}}
		}
		pieces = append(pieces, r.Unwrap()...)
	}
	// Order by start; a piece ending at MinToken ends at the top of the ring.
	end := func(r Range) uint64 {
		if r.End == MinToken {
			return math.MaxUint64
		}
		return uint64(r.End) ^ 1<<63
	}
	slices.SortFunc(pieces, func(a, b Range) int { return cmp.Compare(a.Start, b.Start) })
	var out []Range
	for _, p := range pieces {
		if n := len(out); n > 0 && (out[n-1].End == MinToken || p.Start <= out[n-1].End) {
			if end(p) > end(out[n-1]) {
				out[n-1].End = p.End
			}
			continue
		}
		out = append(out, p)
	}
	return out
}
