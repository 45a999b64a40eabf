package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"wcdb/ring"
)

// metaWith returns sample metadata with the given status and tokens.
func metaWith(status Status, tokens ...ring.Token) ([]byte, nodeMeta) {
	m := sampleMeta(1)
	m.status = status
	m.setTokens(tokens, memberlist.MetaMaxSize)
	b := m.encode()
	return b, m
}

// trace renders events compactly for comparison.
func trace(c change) string {
	var parts []string
	for _, e := range c.events {
		s := fmt.Sprintf("%v %s %v alive=%v", e.Type, e.Node.ID, e.Node.Status, e.Node.Alive)
		if e.Type == NodeUpdated {
			s += fmt.Sprintf(" (was %v schema %d)", e.Prev.Status, e.Prev.SchemaVersion[0])
		}
		parts = append(parts, s)
	}
	if c.placement {
		parts = append(parts, "placement")
	}
	return strings.Join(parts, "; ")
}

func TestViewVerdicts(t *testing.T) {
	v := newView("l", time.Minute)
	t0 := time.Unix(1000, 0)
	raw, m := metaWith(StatusNormal, 10, 20)
	step := func(name string, c change, want string) {
		t.Helper()
		if got := trace(c); got != want {
			t.Fatalf("%s: got %q, want %q", name, got, want)
		}
	}
	step("first seen", v.alive("a", "127.0.0.1:1", raw, m, t0), "NodeJoined a NORMAL alive=true; placement")
	step("seen again, same", v.alive("a", "127.0.0.1:1", raw, m, t0), "")
	step("dead", v.dead("a", t0.Add(time.Second)), "NodeDown a NORMAL alive=false; placement")
	if got := v.members["a"].downSince; !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("got down since %v, want %v", got, t0.Add(time.Second))
	}
	step("dead again", v.dead("a", t0.Add(2*time.Second)), "")
	if got := v.members["a"].downSince; !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("got down since %v after a second verdict, want %v", got, t0.Add(time.Second))
	}
	m2 := m
	m2.schema[0] = 7
	raw2 := m2.encode()
	step("back with a new schema", v.alive("a", "127.0.0.1:1", raw2, m2, t0.Add(3*time.Second)),
		"NodeUp a NORMAL alive=true; NodeUpdated a NORMAL alive=true (was NORMAL schema 1); placement")
	if got := v.members["a"].downSince; !got.IsZero() {
		t.Fatalf("got down since %v for an alive node, want zero", got)
	}
	m3 := m2
	m3.status = StatusLeaving
	step("leaving", v.alive("a", "127.0.0.1:1", m3.encode(), m3, t0), "NodeUpdated a LEAVING alive=true (was NORMAL schema 7); placement")
	m4 := m3
	m4.status = StatusLeft
	step("status left", v.alive("a", "127.0.0.1:1", m4.encode(), m4, t0), "NodeUpdated a LEFT alive=true (was LEAVING schema 7); placement")
	if owners, _, _, _, _ := v.rings(); owners.NumNodes() != 0 {
		t.Fatal("a node in status LEFT is still in the ring")
	}
	step("gone", v.dead("a", t0.Add(4*time.Second)), "NodeLeft a LEFT alive=false; placement")
	if n := v.nodes(); len(n) != 0 {
		t.Fatalf("got nodes %v after the only one left, want none", n)
	}
	step("dead after left", v.dead("a", t0.Add(5*time.Second)), "")
	step("rejoins", v.alive("a", "127.0.0.1:1", raw, m, t0.Add(6*time.Second)), "NodeJoined a NORMAL alive=true; placement")
	step("unknown dies", v.dead("zz", t0), "")
}

func TestViewSchemaOnlyIsNoPlacementChange(t *testing.T) {
	v := newView("l", time.Minute)
	raw, m := metaWith(StatusNormal, 10)
	v.alive("a", "x:1", raw, m, time.Time{})
	m.schema[0] = 99
	c := v.alive("a", "x:1", m.encode(), m, time.Time{})
	if len(c.events) != 1 || c.placement {
		t.Fatalf("got %q, want one NodeUpdated and no placement change", trace(c))
	}
}

func TestViewRingsResolveCollisions(t *testing.T) {
	for _, tc := range []struct {
		name            string
		nodes           map[ring.NodeID][]any // status, tokens...
		owners, claimed string
		losers          []ring.NodeID
	}{
		{
			name:   "disjoint",
			nodes:  map[ring.NodeID][]any{"a": {StatusNormal, 1, 2}, "b": {StatusNormal, 3}, "c": {StatusJoining, 4}, "d": {StatusJoining}},
			owners: "a b", claimed: "a b c",
		},
		{
			name:   "owner beats a joining node of smaller id",
			nodes:  map[ring.NodeID][]any{"a": {StatusJoining, 1, 5}, "b": {StatusNormal, 1, 2}},
			owners: "b", claimed: "b", losers: []ring.NodeID{"a"},
		},
		{
			name:   "between owners the smaller id wins",
			nodes:  map[ring.NodeID][]any{"a": {StatusLeaving, 7}, "b": {StatusNormal, 7, 8}, "c": {StatusNormal, 9}},
			owners: "a c", claimed: "a c", losers: []ring.NodeID{"b"},
		},
		{
			name:   "between joining nodes the smaller id wins",
			nodes:  map[ring.NodeID][]any{"b": {StatusJoining, 3}, "a": {StatusJoining, 3}},
			owners: "", claimed: "a", losers: []ring.NodeID{"b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newView("l", time.Minute)
			for id, spec := range tc.nodes {
				var ts []ring.Token
				for _, x := range spec[1:] {
					ts = append(ts, ring.Token(x.(int)))
				}
				raw, m := metaWith(spec[0].(Status), ts...)
				v.alive(id, "x:1", raw, m, time.Time{})
			}
			owners, claimed, _, losers, err := v.rings()
			if err != nil {
				t.Fatal(err)
			}
			ids := func(r *ring.Metadata) string {
				var s []string
				for _, n := range r.Nodes() {
					s = append(s, string(n.ID))
				}
				return strings.Join(s, " ")
			}
			if got := ids(owners); got != tc.owners {
				t.Errorf("got owners %q, want %q", got, tc.owners)
			}
			if got := ids(claimed); got != tc.claimed {
				t.Errorf("got claimed %q, want %q", got, tc.claimed)
			}
			if !slices.Equal(losers, tc.losers) {
				t.Errorf("got losers %v, want %v", losers, tc.losers)
			}
		})
	}
}

func TestViewDownNodeKeepsItsTokens(t *testing.T) {
	v := newView("l", time.Minute)
	raw, m := metaWith(StatusNormal, 10, 20)
	v.alive("a", "x:1", raw, m, time.Time{})
	v.dead("a", time.Unix(5, 0))
	owners, _, _, _, _ := v.rings()
	if owners.Owner(15) != "a" {
		t.Fatalf("got owner %q of token 15, want a (down nodes keep their ranges)", owners.Owner(15))
	}
}

func TestViewTurn(t *testing.T) {
	pendRaw, pend := metaWith(StatusJoining)
	v := newView("m", time.Minute)
	v.alive("m", "x:1", pendRaw, pend, time.Time{})
	if ok, _, _ := v.turn(); !ok {
		t.Fatal("got no turn alone, want one")
	}
	v.alive("z", "x:2", pendRaw, pend, time.Time{})
	if ok, _, _ := v.turn(); !ok {
		t.Fatal("got no turn with a pending node of larger id, want one")
	}
	v.alive("a", "x:3", pendRaw, pend, time.Time{})
	if ok, who, _ := v.turn(); ok || who != "a" {
		t.Fatalf("got turn %v waiting for %q, want to wait for a", ok, who)
	}
	v.dead("a", time.Time{})
	if ok, _, _ := v.turn(); !ok {
		t.Fatal("got no turn once the smaller pending node died, want one")
	}
	v.alive("a", "x:3", pendRaw, pend, time.Time{})
	raw, m := metaWith(StatusJoining, 100)
	v.alive("a", "x:3", raw, m, time.Time{})
	if ok, _, _ := v.turn(); !ok {
		t.Fatal("got no turn once the smaller node announced its tokens, want one")
	}
	// A node whose external tokens have not arrived blocks the turn.
	big := sampleMeta(300)
	v.alive("b", "x:4", big.encode(), big, time.Time{})
	if ok, who, _ := v.turn(); ok || who != "b" {
		t.Fatalf("got turn %v waiting for %q, want to wait for b's tokens", ok, who)
	}
	if miss := v.missing(); len(miss) != 1 || miss[0].id != "b" {
		t.Fatalf("got missing %v, want b", miss)
	}
	tokens, _ := ring.AllocateTokens(nil, "datacenter1", 300, 3, 42)
	c, err := v.merge(record{id: "b", addr: "x:4", meta: big.encode(), tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.events) != 1 || c.events[0].Type != NodeUpdated || len(c.events[0].Node.Tokens) != 300 {
		t.Fatalf("got %q, want NodeUpdated with 300 tokens", trace(c))
	}
	if ok, _, _ := v.turn(); !ok {
		t.Fatal("got no turn once tokens arrived, want one")
	}
}

func TestViewMerge(t *testing.T) {
	v := newView("l", time.Minute)
	raw, _ := metaWith(StatusNormal, 10, 20)
	// An alive node unknown to the view is memberlist's to report.
	if c, err := v.merge(record{id: "a", addr: "x:1", meta: raw}); err != nil || len(c.events) != 0 {
		t.Fatalf("got %q, %v, want nothing", trace(c), err)
	}
	// A down one is added, down since the sender says.
	c, err := v.merge(record{id: "a", addr: "x:1", down: true, downSince: 5000, meta: raw})
	if err != nil {
		t.Fatal(err)
	}
	if got := trace(c); got != "NodeJoined a NORMAL alive=false; placement" {
		t.Fatalf("got %q", got)
	}
	if got := v.members["a"].downSince; !got.Equal(time.UnixMilli(5000)) {
		t.Fatalf("got down since %v, want %v", got, time.UnixMilli(5000))
	}
	owners, _, _, _, _ := v.rings()
	if owners.NumNodes() != 1 {
		t.Fatalf("got %d ring nodes, want the down one", owners.NumNodes())
	}
	// Records about this node are ignored.
	if c, _ := v.merge(record{id: "l", addr: "x:1", down: true, meta: raw}); len(c.events) != 0 {
		t.Fatalf("got %q for a record about the local node, want nothing", trace(c))
	}
	// Tokens that do not match the metadata's hash are refused.
	big := sampleMeta(300)
	if _, err := v.merge(record{id: "b", addr: "x:2", down: true, meta: big.encode(), tokens: []ring.Token{1, 2, 3}}); !errors.Is(err, ErrBadMeta) {
		t.Fatalf("got %v, want ErrBadMeta", err)
	}
	// The records carry this down node, and only it (no local member).
	if recs := v.records(time.Now()); len(recs) != 1 || recs[0].id != "a" || !recs[0].down || recs[0].downSince != 5000 {
		t.Fatalf("got records %+v, want a, down since 5000", recs)
	}
}

func TestViewLeftRecords(t *testing.T) {
	v := newView("l", time.Minute)
	t0 := time.Unix(1000, 0)
	raw, m := metaWith(StatusNormal, 10)
	v.alive("a", "x:1", raw, m, t0)
	// This node saw a die, having missed its LEFT status.
	v.dead("a", t0)
	left := m
	left.status = StatusLeft
	c, err := v.merge(record{id: "a", addr: "x:1", left: true, downSince: t0.UnixMilli(), meta: left.encode()})
	if err != nil {
		t.Fatal(err)
	}
	if got := trace(c); got != "NodeLeft a LEFT alive=false; placement" {
		t.Fatalf("got %q", got)
	}
	if owners, _, _, _, _ := v.rings(); owners.NumNodes() != 0 {
		t.Fatal("a node that left is still in the ring")
	}
	// A record of a node never seen that left is kept only to pass on.
	c, _ = v.merge(record{id: "b", addr: "x:2", left: true, downSince: t0.UnixMilli(), meta: left.encode()})
	if len(c.events) != 0 || len(v.nodes()) != 0 {
		t.Fatalf("got %q and nodes %v, want nothing", trace(c), v.nodes())
	}
	if recs := v.records(t0.Add(30 * time.Second)); len(recs) != 2 || !recs[0].left || !recs[1].left {
		t.Fatalf("got records %+v, want a and b, left", recs)
	}
	if recs := v.records(t0.Add(2 * time.Minute)); len(recs) != 0 {
		t.Fatalf("got records %+v past the retention, want none", recs)
	}
	// An alive node is memberlist's to judge, whatever a record says.
	v.alive("c", "x:3", raw, m, t0)
	if c, _ := v.merge(record{id: "c", addr: "x:3", left: true, meta: left.encode()}); len(c.events) != 0 {
		t.Fatalf("got %q for an alive node, want nothing", trace(c))
	}
}
