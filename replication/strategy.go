package replication

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"wcdb/ring"
	"wcdb/schema"
)

// Strategy places the replicas of a token on a ring, as a keyspace's
// replication class does in Cassandra. Implementations are immutable and
// safe for concurrent use.
type Strategy interface {
	// Replicas returns the nodes holding token t on ring m, in Cassandra's
	// order: the first is the first node met walking clockwise from t (for
	// SimpleStrategy, t's owner). It returns nil for an empty ring. The
	// slice is shared: callers must not modify it.
	Replicas(m *ring.Metadata, t ring.Token) []ring.NodeID
	// Factor returns the replication factor the strategy asks for in
	// datacenter dc.
	Factor(dc string) int
	// Class returns the strategy's class name in full
	// ("org.apache.cassandra.locator.SimpleStrategy").
	Class() string
}

// ParseStrategy reads a keyspace's replication options (as
// schema.Keyspace.Replication holds them, or as CREATE KEYSPACE gives
// them): "class" is SimpleStrategy, NetworkTopologyStrategy or
// LocalStrategy, short or fully qualified
// (org.apache.cassandra.locator.SimpleStrategy). SimpleStrategy takes
// exactly replication_factor; NetworkTopologyStrategy takes datacenter:
// factor pairs, and replication_factor as the factor of every datacenter
// not named (CREATE KEYSPACE expands it before storing, as Cassandra does,
// so stored options do not hold it). Factors are non-negative integers;
// transient replication ("3/1") is not supported.
func ParseStrategy(opts map[string]string) (Strategy, error) {
	class := opts["class"]
	if class == "" {
		return nil, fmt.Errorf("replication: missing replication strategy class")
	}
	full := class
	if !strings.Contains(class, ".") {
		full = "org.apache.cassandra.locator." + class
	}
	switch full {
	case schema.SimpleStrategy:
		v, ok := opts["replication_factor"]
		if !ok {
			return nil, fmt.Errorf("replication: SimpleStrategy requires a replication_factor strategy option")
		}
		for k := range opts {
			if k != "class" && k != "replication_factor" {
				return nil, fmt.Errorf("replication: unrecognized strategy option %q passed to SimpleStrategy", k)
			}
		}
		rf, err := parseFactor("replication_factor", v)
		if err != nil {
			return nil, err
		}
		return SimpleStrategy{RF: rf}, nil
	case schema.NetworkTopologyStrategy:
		factors := make(map[string]int, len(opts))
		def := -1
		for k, v := range opts {
			if k == "class" {
				continue
			}
			rf, err := parseFactor(k, v)
			if err != nil {
				return nil, err
			}
			if k == "replication_factor" {
				def = rf
				continue
			}
			factors[k] = rf
		}
		if len(factors) == 0 && def < 0 {
			return nil, fmt.Errorf("replication: NetworkTopologyStrategy needs the configuration of at least one datacenter")
		}
		return newNTS(factors, def)
	case schema.LocalStrategy:
		return LocalStrategy{}, nil
	}
	return nil, fmt.Errorf("replication: unknown replication strategy class %q", class)
}

func parseFactor(name, v string) (int, error) {
	s := strings.TrimSpace(v)
	if strings.Contains(s, "/") {
		return 0, fmt.Errorf("replication: %s %q: transient replication is not supported", name, v)
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("replication: %s must be numeric; found %q", name, v)
	case n < 0:
		return 0, fmt.Errorf("replication: %s must be non-negative; found %q", name, v)
	}
	return n, nil
}

// SimpleStrategy places RF replicas on the nodes of the first RF distinct
// nodes met walking the ring clockwise from the token, whatever their
// datacenter or rack; fewer if the ring has fewer nodes.
type SimpleStrategy struct {
	RF int
}

type simpleKey struct{ rf int }

// Replicas returns the replicas of t: t's owner first, then the owners of
// the following tokens, skipping nodes already taken.
func (s SimpleStrategy) Replicas(m *ring.Metadata, t ring.Token) []ring.NodeID {
	if m.Len() == 0 || s.RF <= 0 {
		return nil
	}
	tab := m.Memo(simpleKey{s.RF}, func() any {
		return buildTable(m, func(w *walker, start int) { w.simple(start, s.RF) })
	}).(*table)
	return tab.at(m.Search(t))
}

// Factor returns RF, the factor of every datacenter.
func (s SimpleStrategy) Factor(string) int { return s.RF }

// Class returns org.apache.cassandra.locator.SimpleStrategy.
func (SimpleStrategy) Class() string { return schema.SimpleStrategy }

// NetworkTopologyStrategy places a number of replicas in each datacenter,
// spread over its racks, exactly as Cassandra's NetworkTopologyStrategy.
// Build one with NewNetworkTopologyStrategy or ParseStrategy.
//
// The walk (Cassandra's calculateNaturalReplicas, 3.x to 5.0) starts
// at the first token >= the key's token, wrapping, and goes clockwise over
// every token once at most. Datacenters with factor 0, or with no node, are
// ignored. A datacenter with factor rf, n nodes and r racks needs
// min(rf, n) replicas and accepts up to rf-r nodes of racks it has already
// seen. A node met is skipped if its datacenter is ignored or complete, or
// if it is a replica already (a vnode met again); a node of a rack not seen
// yet in its datacenter is taken; a node of a seen rack is taken only while
// repeats are still accepted. The walk ends when every datacenter is
// complete.
//
// This yields the same replica set as the earlier formulation (Cassandra
// 2.x; gocql and the other drivers), which holds nodes of seen racks aside
// in a per-datacenter list and appends them, in order, once every rack of
// the datacenter has been seen: both take the first node of each rack and
// the first rf-r other nodes met. The order differs when a datacenter has fewer racks than its
// factor: here a rack repeat is listed where it was met, there after the
// datacenter's last new rack.
type NetworkTopologyStrategy struct {
	factors []dcFactor // sorted by name, explicit factors only
	def     int        // factor of datacenters not named; -1: none
	key     any        // memo key, canonical form of the above
}

type dcFactor struct {
	dc string
	rf int
}

type ntsKey string

// NewNetworkTopologyStrategy returns the strategy with the given factor per
// datacenter. Factors must be non-negative and names not empty.
func NewNetworkTopologyStrategy(factors map[string]int) (*NetworkTopologyStrategy, error) {
	return newNTS(factors, -1)
}

func newNTS(factors map[string]int, def int) (*NetworkTopologyStrategy, error) {
	s := &NetworkTopologyStrategy{def: def}
	for dc, rf := range factors {
		if dc == "" {
			return nil, fmt.Errorf("replication: NetworkTopologyStrategy: empty datacenter name")
		}
		if rf < 0 {
			return nil, fmt.Errorf("replication: NetworkTopologyStrategy: datacenter %s: factor %d is negative", dc, rf)
		}
		s.factors = append(s.factors, dcFactor{dc, rf})
	}
	slices.SortFunc(s.factors, func(a, b dcFactor) int { return strings.Compare(a.dc, b.dc) })
	var k strings.Builder
	fmt.Fprintf(&k, "nts default=%d", def)
	for _, f := range s.factors {
		fmt.Fprintf(&k, " %q=%d", f.dc, f.rf)
	}
	s.key = ntsKey(k.String())
	return s, nil
}

// Factor returns the factor of datacenter dc: as named, else the
// replication_factor default if one was given, else 0.
func (s *NetworkTopologyStrategy) Factor(dc string) int {
	i, ok := slices.BinarySearchFunc(s.factors, dc, func(f dcFactor, dc string) int { return strings.Compare(f.dc, dc) })
	if ok {
		return s.factors[i].rf
	}
	return max(s.def, 0)
}

// Class returns org.apache.cassandra.locator.NetworkTopologyStrategy.
func (*NetworkTopologyStrategy) Class() string { return schema.NetworkTopologyStrategy }

// Replicas returns the replicas of t, in the order the walk meets them.
func (s *NetworkTopologyStrategy) Replicas(m *ring.Metadata, t ring.Token) []ring.NodeID {
	if m.Len() == 0 {
		return nil
	}
	build := func() any { return buildTable(m, func(w *walker, start int) { w.nts(start, s) }) }
	if s.key == nil { // a zero value: nothing to memoize under
		return build().(*table).at(m.Search(t))
	}
	return m.Memo(s.key, build).(*table).at(m.Search(t))
}

// String formats the strategy as its options, datacenters in name order.
func (s *NetworkTopologyStrategy) String() string {
	var b strings.Builder
	b.WriteString("NetworkTopologyStrategy{")
	for i, f := range s.factors {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", f.dc, f.rf)
	}
	if s.def >= 0 {
		if len(s.factors) > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "replication_factor: %d", s.def)
	}
	b.WriteString("}")
	return b.String()
}

// LocalStrategy keeps data on the node that holds it, unreplicated, as
// Cassandra's system keyspaces do. ParseStrategy returns it with Node
// empty; the caller sets Node to the local node.
type LocalStrategy struct {
	Node ring.NodeID
}

// Replicas returns Node alone, whatever the token (nil if Node is empty).
func (l LocalStrategy) Replicas(*ring.Metadata, ring.Token) []ring.NodeID {
	if l.Node == "" {
		return nil
	}
	return []ring.NodeID{l.Node}
}

// Factor returns 1.
func (LocalStrategy) Factor(string) int { return 1 }

// Class returns org.apache.cassandra.locator.LocalStrategy.
func (LocalStrategy) Class() string { return schema.LocalStrategy }

// EffectiveOwnership returns the share of the ring each node of m holds a
// replica of under s, as nodetool status shows "Owns (effective)": the
// shares add up to the number of replicas each token has.
func EffectiveOwnership(m *ring.Metadata, s Strategy) map[ring.NodeID]float64 {
	out := make(map[ring.NodeID]float64, m.NumNodes())
	for i := range m.Len() {
		r := m.RangeAt(i)
		for _, id := range s.Replicas(m, r.End) {
			out[id] += r.Fraction()
		}
	}
	return out
}

// ReplicatedRanges returns the ranges of m of which node id holds a
// replica under s, one per token range, in ring order (ring.Merge joins
// adjacent ones).
func ReplicatedRanges(m *ring.Metadata, s Strategy, id ring.NodeID) []ring.Range {
	var out []ring.Range
	for i := range m.Len() {
		r := m.RangeAt(i)
		if slices.Contains(s.Replicas(m, r.End), id) {
			out = append(out, r)
		}
	}
	return out
}

// table holds the replicas of every token range of one ring under one
// strategy: those of range i are ids[off[i]:off[i+1]].
type table struct {
	ids []ring.NodeID
	off []int32
}

func (t *table) at(i int) []ring.NodeID {
	return t.ids[t.off[i]:t.off[i+1]:t.off[i+1]]
}

func buildTable(m *ring.Metadata, walk func(w *walker, start int)) *table {
	w := newWalker(m)
	tab := &table{off: make([]int32, 1, m.Len()+1)}
	for i := range m.Len() {
		walk(w, i)
		for _, j := range w.out {
			tab.ids = append(tab.ids, m.NodeAt(j).ID)
		}
		tab.off = append(tab.off, int32(len(tab.ids)))
	}
	return tab
}

// topology numbers the ring's datacenters and racks, for walks that index
// slices rather than maps.
type topology struct {
	dcOf      []int    // node index -> datacenter index
	rackOf    []int    // node index -> index of its (datacenter, rack)
	dcs       []string // datacenter names, sorted
	nodesInDC []int
	racksInDC []int
	racks     int // distinct (datacenter, rack) pairs
}

type topologyKey struct{}

func topologyOf(m *ring.Metadata) *topology {
	return m.Memo(topologyKey{}, func() any {
		t := &topology{}
		type loc struct{ dc, rack string }
		dcIndex := map[string]int{}
		rackIndex := map[loc]int{}
		for _, n := range m.Nodes() {
			if _, ok := dcIndex[n.DC]; !ok {
				dcIndex[n.DC] = 0
				t.dcs = append(t.dcs, n.DC)
			}
		}
		slices.Sort(t.dcs)
		for i, dc := range t.dcs {
			dcIndex[dc] = i
		}
		t.nodesInDC = make([]int, len(t.dcs))
		t.racksInDC = make([]int, len(t.dcs))
		for _, n := range m.Nodes() {
			d := dcIndex[n.DC]
			t.dcOf = append(t.dcOf, d)
			t.nodesInDC[d]++
			r, ok := rackIndex[loc{n.DC, n.Rack}]
			if !ok {
				r = len(rackIndex)
				rackIndex[loc{n.DC, n.Rack}] = r
				t.racksInDC[d]++
			}
			t.rackOf = append(t.rackOf, r)
		}
		t.racks = len(rackIndex)
		return t
	}).(*topology)
}

// walker computes replica lists by walking the ring; its scratch state is
// reused from one walk to the next.
type walker struct {
	m        *ring.Metadata
	topo     *topology
	out      []int  // node indexes of the replicas found, in order
	chosen   []bool // node index -> in out
	seenRack []bool // rack index -> seen in this walk
	racks    []int  // racks set in seenRack, to reset
	need     []int  // datacenter -> replicas still wanted
	repeats  []int  // datacenter -> rack repeats still accepted
}

func newWalker(m *ring.Metadata) *walker {
	t := topologyOf(m)
	return &walker{
		m:        m,
		topo:     t,
		chosen:   make([]bool, m.NumNodes()),
		seenRack: make([]bool, t.racks),
		need:     make([]int, len(t.dcs)),
		repeats:  make([]int, len(t.dcs)),
	}
}

func (w *walker) reset() {
	for _, j := range w.out {
		w.chosen[j] = false
	}
	w.out = w.out[:0]
	for _, r := range w.racks {
		w.seenRack[r] = false
	}
	w.racks = w.racks[:0]
}

func (w *walker) take(j int) {
	w.chosen[j] = true
	w.out = append(w.out, j)
}

// simple walks from token index start taking the first rf distinct nodes.
func (w *walker) simple(start, rf int) {
	w.reset()
	T := w.m.Len()
	for step := 0; step < T && len(w.out) < rf; step++ {
		if j := w.m.OwnerAt((start + step) % T); !w.chosen[j] {
			w.take(j)
		}
	}
}

// nts walks from token index start as NetworkTopologyStrategy does.
func (w *walker) nts(start int, s *NetworkTopologyStrategy) {
	w.reset()
	t := w.topo
	toFill := 0
	for d, dc := range t.dcs {
		rf := s.Factor(dc)
		w.need[d], w.repeats[d] = 0, 0
		if rf <= 0 || t.nodesInDC[d] == 0 {
			continue
		}
		w.need[d] = min(rf, t.nodesInDC[d])
		w.repeats[d] = rf - t.racksInDC[d]
		toFill++
	}
	T := w.m.Len()
	for step := 0; step < T && toFill > 0; step++ {
		j := w.m.OwnerAt((start + step) % T)
		d := t.dcOf[j]
		if w.need[d] == 0 || w.chosen[j] {
			continue
		}
		if r := t.rackOf[j]; !w.seenRack[r] {
			w.seenRack[r] = true
			w.racks = append(w.racks, r)
		} else if w.repeats[d] > 0 {
			w.repeats[d]--
		} else {
			continue
		}
		w.take(j)
		if w.need[d]--; w.need[d] == 0 {
			toFill--
		}
	}
}
