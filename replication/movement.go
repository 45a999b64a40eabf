package replication

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"wcdb/ring"
)

// Range movements are pure: two rings and a strategy in, the ranges whose
// replicas change out. No goroutines, sockets or clocks, so they are tested
// directly; bootstrap, decommission, removenode and replace feed them the
// ring as it is and as it will be (Cluster.FutureRing), and stream what
// they return.

// Movement is a token range whose replicas change between two rings.
type Movement struct {
	Range ring.Range
	// From are the replicas on the current ring that are not on the
	// future one (the ones giving the range up), in the strategy's order.
	From []ring.NodeID
	// To are the replicas on the future ring that are not on the current
	// one (the ones taking it), in the strategy's order.
	To []ring.NodeID
	// Stay are the replicas on both, in the current ring's order.
	Stay []ring.NodeID
}

// Movements returns the ranges whose replicas under st differ between the
// current ring and the future one, sorted by range start. It cuts the ring
// at the tokens of both rings: the range (t_prev, t] has on each ring the
// replicas of t. Adjacent ranges with the same movement are joined, so a
// range may span several tokens, and one that covers the whole ring is
// (MinToken, MinToken]. LocalStrategy keyspaces have none.
func Movements(st Strategy, current, future *ring.Metadata) []Movement {
	if _, ok := st.(LocalStrategy); ok {
		return nil
	}
	toks := unionTokens(current.Tokens(), future.Tokens())
	if len(toks) == 0 {
		return nil
	}
	var out []Movement
	prev := toks[len(toks)-1] // the first range wraps
	for _, t := range toks {
		r := ring.Range{Start: prev, End: t}
		prev = t
		mv := diffReplicas(st.Replicas(current, t), st.Replicas(future, t))
		if len(mv.From) == 0 && len(mv.To) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Range.End == r.Start && mv.same(&out[n-1]) {
			out[n-1].Range.End = t
			continue
		}
		mv.Range = r
		out = append(out, mv)
	}
	// The first range starts at the last token: it continues the last
	// range when that one ends there.
	if n := len(out); n > 1 && out[n-1].Range.End == out[0].Range.Start && out[0].same(&out[n-1]) {
		out[0].Range.Start = out[n-1].Range.Start
		out = out[:n-1]
	}
	for i := range out {
		if r := &out[i].Range; r.Start == r.End {
			*r = ring.Range{Start: ring.MinToken, End: ring.MinToken}
		}
	}
	slices.SortFunc(out, func(a, b Movement) int { return cmp.Compare(a.Range.Start, b.Range.Start) })
	return out
}

// unionTokens merges two ascending token lists, without repeats.
func unionTokens(a, b []ring.Token) []ring.Token {
	out := make([]ring.Token, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}

func diffReplicas(cur, fut []ring.NodeID) Movement {
	var mv Movement
	for _, id := range cur {
		if slices.Contains(fut, id) {
			mv.Stay = append(mv.Stay, id)
		} else {
			mv.From = append(mv.From, id)
		}
	}
	for _, id := range fut {
		if !slices.Contains(cur, id) {
			mv.To = append(mv.To, id)
		}
	}
	return mv
}

func (m *Movement) same(o *Movement) bool {
	return slices.Equal(m.From, o.From) && slices.Equal(m.To, o.To) && slices.Equal(m.Stay, o.Stay)
}

// Source is a range a node must fetch and the nodes that can send it,
// best first.
type Source struct {
	Range ring.Range
	Nodes []ring.NodeID
}

// SourceDownError says a range has no live node to stream it from: with
// a consistent range movement (strict), the node giving it up is down.
type SourceDownError struct {
	// Range is the first such range; More counts the others.
	Range ring.Range
	More  int
	// Down are Range's sources, all down.
	Down   []ring.NodeID
	Strict bool
}

func (e *SourceDownError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "replication: cannot stream range %s", e.Range)
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more)", e.More)
	}
	down := make([]string, len(e.Down))
	for i, id := range e.Down {
		down[i] = string(id)
	}
	if e.Strict {
		fmt.Fprintf(&b, ": its source is down (%s); a consistent range movement streams each range "+
			"from the replica giving it up, so that every write it acknowledged stays on as many replicas. "+
			"Bring it back, or use --bootstrap-from-any to stream from any live replica (and repair afterwards)",
			strings.Join(down, ", "))
	} else {
		fmt.Fprintf(&b, ": every replica holding it is down (%s)", strings.Join(down, ", "))
	}
	return b.String()
}

// StreamSources returns, for node id taking ranges between current and
// future, each range it must fetch and the nodes to fetch it from, best
// first, sorted by range start. Strict (Cassandra's consistent range
// movement) is the node giving the range up (From), falling back to a node
// in Stay when From is empty (more replicas than nodes); alive filters
// (nil: all alive); when strict is false, any live replica of the range on
// the current ring may serve, preferring From, then the same DC as dc. A
// range with no replica on the current ring (the first nodes of a ring or
// of a datacenter) holds no data and is left out. If a range has no live
// source the error is a *SourceDownError.
func StreamSources(st Strategy, current, future *ring.Metadata, id ring.NodeID, dc string, alive func(ring.NodeID) bool, strict bool) ([]Source, error) {
	var out []Source
	var down *SourceDownError
	for _, mv := range Movements(st, current, future) {
		if !slices.Contains(mv.To, id) {
			continue
		}
		cands := mv.From
		if !strict || len(cands) == 0 {
			cands = slices.Concat(mv.From, mv.Stay)
		}
		if len(cands) == 0 {
			continue
		}
		// Best first: From, then this datacenter, else the strategy's order.
		rank := func(n ring.NodeID) int {
			r := 0
			if !slices.Contains(mv.From, n) {
				r += 2
			}
			if node, _ := current.Node(n); node.DC != dc {
				r++
			}
			return r
		}
		var nodes []ring.NodeID
		for _, n := range cands {
			if alive == nil || alive(n) {
				nodes = append(nodes, n)
			}
		}
		slices.SortStableFunc(nodes, func(a, b ring.NodeID) int { return rank(a) - rank(b) })
		if len(nodes) == 0 {
			if down == nil {
				down = &SourceDownError{Range: mv.Range, Down: slices.Clone(cands), Strict: strict}
			} else {
				down.More++
			}
			continue
		}
		out = append(out, Source{Range: mv.Range, Nodes: nodes})
	}
	if down != nil {
		return nil, down
	}
	return out, nil
}
