package cluster

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	"wcdb/ring"
)

// This file is the state machine of membership: it takes memberlist's
// news (alive, dead, left, push/pull records) with the time they arrived,
// and answers what the node knows (nodes, verdicts, rings) and which events
// that makes. It has no goroutines, sockets or clocks, so it is tested
// directly.

type liveness uint8

const (
	liveAlive liveness = iota // alive or suspect, as memberlist's members
	liveDown                  // declared dead after suspicion
	liveLeft                  // left gracefully
)

// member is one node as the view knows it.
type member struct {
	id      ring.NodeID
	addr    string
	meta    nodeMeta
	rawMeta []byte
	// ext and extHash are the last external tokens received for the node;
	// they count only while extHash matches meta.tokenHash.
	ext       []ring.Token
	extHash   uint64
	live      liveness
	downSince time.Time
}

// tokens returns the member's tokens, nil if it has none or they have not
// arrived.
func (mb *member) tokens() []ring.Token {
	if !mb.meta.external {
		return mb.meta.tokens
	}
	if mb.ext != nil && mb.extHash == mb.meta.tokenHash {
		return mb.ext
	}
	return nil
}

// missingTokens reports whether the member claims tokens the view does not
// hold.
func (mb *member) missingTokens() bool { return mb.meta.external && mb.tokens() == nil }

// pending reports whether the member is joining and has not allocated.
func (mb *member) pending() bool { return mb.meta.status == StatusJoining && mb.meta.numTokens == 0 }

func (mb *member) info() NodeInfo {
	return NodeInfo{
		ID:             mb.id,
		GossipAddr:     mb.addr,
		CQLAddr:        mb.meta.cql,
		InternodeAddr:  mb.meta.inter,
		DC:             mb.meta.dc,
		Rack:           mb.meta.rack,
		Tokens:         mb.tokens(),
		Status:         mb.meta.status,
		SchemaVersion:  mb.meta.schema,
		ReleaseVersion: mb.meta.release,
		Movement:       mb.meta.move,
		Alive:          mb.live == liveAlive,
		DownSince:      mb.downSince,
	}
}

// sameAdvertised reports whether two infos advertise the same things
// (liveness aside).
func sameAdvertised(a, b NodeInfo) bool {
	return a.GossipAddr == b.GossipAddr && a.CQLAddr == b.CQLAddr && a.InternodeAddr == b.InternodeAddr &&
		a.DC == b.DC && a.Rack == b.Rack && slices.Equal(a.Tokens, b.Tokens) && a.Status == b.Status &&
		a.SchemaVersion == b.SchemaVersion && a.ReleaseVersion == b.ReleaseVersion && a.Movement == b.Movement
}

// placementChanged reports whether an update matters to token allocation:
// a change of status or tokens.
func placementChanged(a, b NodeInfo) bool {
	return a.Status != b.Status || !slices.Equal(a.Tokens, b.Tokens) || a.DC != b.DC || a.Rack != b.Rack ||
		a.Movement != b.Movement
}

// view is the local node's knowledge of the cluster.
type view struct {
	local   ring.NodeID
	members map[ring.NodeID]*member
	// leftRetention is how long a node that left is carried in push/pull
	// records.
	leftRetention time.Duration
}

func newView(local ring.NodeID, leftRetention time.Duration) *view {
	return &view{local: local, members: map[ring.NodeID]*member{}, leftRetention: leftRetention}
}

// change is what applying news did: the events to deliver, and whether it
// touched what token allocation waits on (membership, liveness, status,
// tokens), as opposed to schema versions or addresses.
type change struct {
	events    []Event
	placement bool
}

func (c *change) add(e Event) {
	c.events = append(c.events, e)
	if e.Type != NodeUpdated || placementChanged(e.Prev, e.Node) {
		c.placement = true
	}
}

// alive applies a node seen alive with metadata raw (decoded as meta): a
// join, a return, or an update.
func (v *view) alive(id ring.NodeID, addr string, raw []byte, meta nodeMeta, now time.Time) change {
	c := v.aliveOnly(id, addr, raw, meta, now)
	v.settle(&c, now)
	return c
}

func (v *view) aliveOnly(id ring.NodeID, addr string, raw []byte, meta nodeMeta, now time.Time) change {
	var c change
	mb, ok := v.members[id]
	if !ok {
		mb = &member{id: id, addr: addr, meta: meta, rawMeta: bytes.Clone(raw)}
		v.members[id] = mb
		c.add(Event{Type: NodeJoined, Node: mb.info()})
		return c
	}
	if mb.live == liveLeft && v.gone()[id] {
		// A node removed or replaced that comes back stays out: its
		// ranges are others' now (Cassandra refuses it too).
		return c
	}
	prev := mb.info()
	wasLive := mb.live
	mb.addr, mb.meta, mb.rawMeta = addr, meta, bytes.Clone(raw)
	mb.live, mb.downSince = liveAlive, time.Time{}
	cur := mb.info()
	switch wasLive {
	case liveLeft:
		c.add(Event{Type: NodeJoined, Node: cur})
	case liveDown:
		c.add(Event{Type: NodeUp, Node: cur})
		if !sameAdvertised(prev, cur) {
			c.add(Event{Type: NodeUpdated, Node: cur, Prev: prev})
		}
	default:
		if !sameAdvertised(prev, cur) {
			c.add(Event{Type: NodeUpdated, Node: cur, Prev: prev})
		}
	}
	return c
}

// dead applies memberlist's news that a node is gone: left, if its last
// status was LEFT, else dead.
func (v *view) dead(id ring.NodeID, now time.Time) change {
	var c change
	mb, ok := v.members[id]
	if !ok || mb.live == liveLeft {
		return c
	}
	left := mb.meta.status == StatusLeft
	if !left && mb.live == liveDown {
		return c
	}
	if mb.live == liveAlive {
		mb.downSince = now
	}
	if left {
		mb.live = liveLeft
		c.add(Event{Type: NodeLeft, Node: mb.info()})
	} else {
		mb.live = liveDown
		c.add(Event{Type: NodeDown, Node: mb.info()})
	}
	return c
}

// setTokens records external tokens for id (the local node's own, or
// received); they count while their hash matches the node's metadata.
func (v *view) setTokens(id ring.NodeID, tokens []ring.Token) change {
	var c change
	mb, ok := v.members[id]
	if !ok {
		return c
	}
	prev := mb.info()
	mb.ext = slices.Sorted(slices.Values(tokens))
	mb.extHash = tokenHash(mb.ext)
	if cur := mb.info(); !sameAdvertised(prev, cur) {
		c.add(Event{Type: NodeUpdated, Node: cur, Prev: prev})
	}
	return c
}

// merge applies a push/pull record: external tokens, nodes down that the
// view has never seen, and nodes that left which it saw die or never saw.
// Whether a node is alive, memberlist alone says.
func (v *view) merge(r record) (change, error) {
	c, err := v.mergeOnly(r)
	if err == nil {
		v.settle(&c, time.Now())
	}
	return c, err
}

func (v *view) mergeOnly(r record) (change, error) {
	var c change
	if r.id == v.local {
		return c, nil
	}
	meta, err := decodeMeta(r.meta)
	if err != nil {
		return c, fmt.Errorf("record for %s: %w", r.id, err)
	}
	if len(r.tokens) > 0 && (!meta.external || !validTokens(r.tokens) || tokenHash(r.tokens) != meta.tokenHash || len(r.tokens) != meta.numTokens) {
		return c, fmt.Errorf("%w: record for %s: tokens do not match their hash", ErrBadMeta, r.id)
	}
	mb, known := v.members[r.id]
	switch {
	case !known && (r.down || r.left):
		mb = &member{id: r.id, addr: r.addr, meta: meta, rawMeta: bytes.Clone(r.meta),
			live: liveDown, downSince: time.UnixMilli(r.downSince)}
		if len(r.tokens) > 0 {
			mb.ext, mb.extHash = r.tokens, meta.tokenHash
		}
		v.members[r.id] = mb
		if r.left {
			mb.live = liveLeft // remembered only to pass on
		} else {
			c.add(Event{Type: NodeJoined, Node: mb.info()})
		}
		return c, nil
	case !known:
		return c, nil
	case r.left && mb.live == liveDown:
		mb.meta, mb.rawMeta, mb.live = meta, bytes.Clone(r.meta), liveLeft
		c.add(Event{Type: NodeLeft, Node: mb.info()})
	}
	if len(r.tokens) > 0 && (mb.ext == nil || mb.extHash != meta.tokenHash) {
		c2 := v.setTokens(r.id, r.tokens)
		for _, e := range c2.events {
			c.add(e)
		}
	}
	return c, nil
}

// records returns what this node's push/pull state carries: itself, nodes
// down, nodes that left within leftRetention, and external tokens it
// holds.
func (v *view) records(now time.Time) []record {
	var out []record
	for _, mb := range v.sortedMembers() {
		left := mb.live == liveLeft
		if left && now.Sub(mb.downSince) >= v.leftRetention {
			continue
		}
		ext := !left && mb.meta.external && mb.tokens() != nil
		if mb.id != v.local && mb.live == liveAlive && !ext {
			continue
		}
		r := record{id: mb.id, addr: mb.addr, down: mb.live == liveDown, left: left, meta: mb.rawMeta}
		if r.down || r.left {
			r.downSince = mb.downSince.UnixMilli()
		}
		if ext {
			r.tokens = mb.tokens()
		}
		out = append(out, r)
	}
	return out
}

func (v *view) sortedMembers() []*member {
	out := make([]*member, 0, len(v.members))
	for _, mb := range v.members {
		out = append(out, mb)
	}
	slices.SortFunc(out, func(a, b *member) int { return cmp.Compare(a.id, b.id) })
	return out
}

// nodes returns every member that has not left, in id order.
func (v *view) nodes() []NodeInfo {
	var out []NodeInfo
	for _, mb := range v.sortedMembers() {
		if mb.live != liveLeft {
			out = append(out, mb.info())
		}
	}
	return out
}

// missing returns the alive members whose external tokens the view lacks.
func (v *view) missing() []*member {
	var out []*member
	for _, mb := range v.sortedMembers() {
		if mb.id != v.local && mb.live == liveAlive && mb.missingTokens() {
			out = append(out, mb)
		}
	}
	return out
}

// turn reports whether the local node, joining without tokens, may
// allocate them now, or which node it waits for. It waits for every alive
// pending node of smaller id to allocate first (so that two nodes never
// allocate against the same ring, which would give them the same tokens),
// and for the tokens of every alive member that claims some.
func (v *view) turn() (ok bool, waitFor ring.NodeID, why string) {
	for _, mb := range v.sortedMembers() {
		if mb.id == v.local || mb.live != liveAlive {
			continue
		}
		if mb.pending() && mb.id < v.local {
			return false, mb.id, "a node of smaller id joining first"
		}
		if mb.missingTokens() {
			return false, mb.id, "its tokens"
		}
	}
	return true, "", ""
}

// gone returns the nodes other nodes announce out of the ring: removed
// (removenode done), or replaced by a node that is NORMAL.
func (v *view) gone() map[ring.NodeID]bool {
	out := map[ring.NodeID]bool{}
	for _, mb := range v.members {
		if mb.live == liveLeft {
			continue
		}
		switch mv := mb.meta.move; {
		case mv.Kind == Removed, mv.Kind == Replacing && mb.meta.status == StatusNormal:
			out[mv.Target] = true
		}
	}
	return out
}

// settle takes the nodes announced out of the ring as nodes that left.
func (v *view) settle(c *change, now time.Time) {
	for id := range v.gone() {
		mb, ok := v.members[id]
		if !ok || mb.live == liveLeft || id == v.local {
			continue
		}
		if mb.live == liveAlive {
			mb.downSince = now
		}
		mb.live = liveLeft
		c.add(Event{Type: NodeLeft, Node: mb.info()})
	}
}

// movementsInFlight returns, of the alive members, the removals being
// coordinated (target -> coordinator) and the joining replacements
// (target -> replacing node).
func (v *view) movementsInFlight() (removing, replacing map[ring.NodeID]ring.NodeID) {
	removing, replacing = map[ring.NodeID]ring.NodeID{}, map[ring.NodeID]ring.NodeID{}
	for _, mb := range v.sortedMembers() {
		if mb.live != liveAlive {
			continue
		}
		switch mv := mb.meta.move; {
		case mv.Kind == Removing:
			removing[mv.Target] = mb.id
		case mv.Kind == Replacing && mb.meta.status == StatusJoining:
			replacing[mv.Target] = mb.id
		}
	}
	return removing, replacing
}

// rings builds, from the members that have not left and have tokens, the
// ring of owners (NORMAL and LEAVING nodes, down or not: a down node keeps
// its ranges), the ring of every token claimed (owners and JOINING nodes
// that announced tokens), which allocation must avoid, and the future ring:
// the ring once the range movements in progress complete (NORMAL and
// JOINING nodes with tokens; LEAVING ones gone), whose differences from
// the owners' are the pending ranges coordinators also write to.
//
// Two nodes may claim the same token (tokens set by hand, or a race token
// allocation failed to prevent). Every node resolves it alike, from gossip
// state alone: owners rank before JOINING nodes, then smaller ids first,
// and a node whose tokens collide with a node ranked before it is left out
// of every ring, as a loser. A JOINING loser allocates again.
func (v *view) rings() (owners, claimed, future *ring.Metadata, losers []ring.NodeID, err error) {
	var cands []*member
	for _, mb := range v.sortedMembers() {
		if mb.live != liveLeft && len(mb.tokens()) > 0 && mb.meta.status != StatusLeft {
			cands = append(cands, mb)
		}
	}
	rank := func(mb *member) int {
		if mb.meta.status.owns() {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(cands, func(a, b *member) int { return cmp.Compare(rank(a), rank(b)) })
	removing, replacing := v.movementsInFlight()
	taken := map[ring.Token]ring.NodeID{}
	var own, all, fut []ring.Node
	for _, mb := range cands {
		ts := mb.tokens()
		// A node replacing another takes its tokens: no collision with
		// them, and they are claimed already.
		target := ring.NodeID("")
		if mb.meta.move.Kind == Replacing && mb.meta.status == StatusJoining && replacing[mb.meta.move.Target] == mb.id {
			target = mb.meta.move.Target
		}
		if slices.ContainsFunc(ts, func(t ring.Token) bool { id, ok := taken[t]; return ok && id != target }) {
			losers = append(losers, mb.id)
			continue
		}
		for _, t := range ts {
			if _, ok := taken[t]; !ok {
				taken[t] = mb.id
			}
		}
		n := ring.Node{ID: mb.id, DC: mb.meta.dc, Rack: mb.meta.rack, Tokens: ts}
		if target == "" {
			all = append(all, n)
		}
		if mb.meta.status.owns() {
			own = append(own, n)
		}
		_, removed := removing[mb.id]
		_, replaced := replacing[mb.id]
		if (mb.meta.status == StatusNormal || mb.meta.status == StatusJoining) && !removed && !replaced {
			fut = append(fut, n)
		}
	}
	if owners, err = ring.New(own); err != nil {
		return nil, nil, nil, nil, err
	}
	if claimed, err = ring.New(all); err != nil {
		return nil, nil, nil, nil, err
	}
	if future, err = ring.New(fut); err != nil {
		return nil, nil, nil, nil, err
	}
	return owners, claimed, future, losers, nil
}

// moving returns the alive members other than the local node that are in
// a range movement: JOINING with tokens announced, or LEAVING.
func (v *view) moving() []*member {
	var out []*member
	for _, mb := range v.sortedMembers() {
		if mb.id == v.local || mb.live != liveAlive {
			continue
		}
		if mb.meta.status == StatusLeaving || mb.meta.status == StatusJoining && mb.meta.numTokens > 0 ||
			mb.meta.move.Kind == Removing || mb.meta.move.Kind == Replacing && mb.meta.status == StatusJoining {
			out = append(out, mb)
		}
	}
	return out
}

// validTokens reports whether tokens are strictly ascending and avoid the
// reserved MinToken.
func validTokens(tokens []ring.Token) bool {
	for i, t := range tokens {
		if t == ring.MinToken || i > 0 && t <= tokens[i-1] {
			return false
		}
	}
	return true
}

// sameRing reports whether two rings have the same nodes, places and
// tokens.
func sameRing(a, b *ring.Metadata) bool {
	if a.NumNodes() != b.NumNodes() || a.Len() != b.Len() {
		return false
	}
	for i := range a.NumNodes() {
		x, y := a.NodeAt(i), b.NodeAt(i)
		if x.ID != y.ID || x.DC != y.DC || x.Rack != y.Rack || !slices.Equal(x.Tokens, y.Tokens) {
			return false
		}
	}
	return true
}
