package replication

import (
	"maps"
	"testing"

	"wcdb/ring"
)

// TestPendingRequirement checks the write requirement with pending
// replicas, as Cassandra's blockForWrite: the level's count plus the
// pending replicas (the local datacenter's for the LOCAL_ levels, each
// datacenter's for EACH_QUORUM, none for ANY), and which acknowledgements
// meet it.
func TestPendingRequirement(t *testing.T) {
	dcOf := func(id ring.NodeID) string {
		switch id {
		case "x", "y", "z", "q2":
			return "dc2"
		}
		return "dc1" // a, b, c, q1
	}
	simple3 := SimpleStrategy{RF: 3}
	nts := mustNTS(t, map[string]int{"dc1": 2, "dc2": 1})
	nts33 := mustNTS(t, map[string]int{"dc1": 3, "dc2": 3})
	ids := func(s ...ring.NodeID) []ring.NodeID { return s }
	for _, c := range []struct {
		name      string
		st        Strategy
		cl        Consistency
		natural   []ring.NodeID
		pending   []ring.NodeID
		wantNeed  int
		wantPerDC map[string]int
		// acks, in order: the level is met exactly at the last one.
		acks []ring.NodeID
	}{
		{"quorum", simple3, Quorum, ids("a", "b", "c"), ids("q1"), 3, nil, ids("a", "q1", "b")},
		{"quorum, no pending", simple3, Quorum, ids("a", "b", "c"), nil, 2, nil, ids("a", "b")},
		{"one at rf 1", SimpleStrategy{RF: 1}, One, ids("a"), ids("q1"), 2, nil, ids("q1", "a")},
		{"all", simple3, All, ids("a", "b", "c"), ids("q1"), 4, nil, ids("a", "b", "c", "q1")},
		{"two, pending in another dc", simple3, Two, ids("a", "b", "c"), ids("q2"), 3, nil, ids("q2", "a", "b")},
		{"any is not raised", simple3, Any, ids("a", "b", "c"), ids("q1"), 1, nil, ids("q1")},
		{"local quorum, local pending", nts, LocalQuorum, ids("a", "b", "x"), ids("q1"), 3, nil, ids("x", "a", "q1", "b")},
		{"local quorum, remote pending", nts, LocalQuorum, ids("a", "b", "x"), ids("q2"), 2, nil, ids("q2", "x", "a", "b")},
		{"local one, both", nts, LocalOne, ids("a", "b", "x"), ids("q1", "q2"), 2, nil, ids("q2", "x", "q1", "a")},
		{"each quorum", nts33, EachQuorum, ids("a", "b", "c", "x", "y", "z"), ids("q2"), 5, map[string]int{"dc1": 2, "dc2": 3},
			ids("a", "b", "c", "x", "y", "q2")},
		{"each quorum falls back to quorum", simple3, EachQuorum, ids("a", "b", "c"), ids("q2"), 3, nil, ids("a", "b", "q2")},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRequirement(c.cl, c.st, "dc1", c.natural, dcOf)
			r.addPending(c.pending, dcOf)
			if r.need != c.wantNeed {
				t.Errorf("need: got %d, want %d", r.need, c.wantNeed)
			}
			if c.wantPerDC != nil && !maps.Equal(r.perDC, c.wantPerDC) {
				t.Errorf("per datacenter: got %v, want %v", r.perDC, c.wantPerDC)
			}
			if ok, alive := r.available(c.natural, c.pending, dcOf); !ok {
				t.Errorf("all alive: unavailable, %d alive of %d", alive, r.need)
			}
			tl := tally{r: &r}
			for i, id := range c.acks {
				met := tl.add(dcOf(id))
				if last := i == len(c.acks)-1; met != last {
					t.Fatalf("after acks %v: met %v, want %v", c.acks[:i+1], met, last)
				}
			}
		})
	}
}

// TestPendingAvailability: the live natural and pending replicas must
// reach the raised count.
func TestPendingAvailability(t *testing.T) {
	dcOf := func(ring.NodeID) string { return "dc1" }
	r := newRequirement(Quorum, SimpleStrategy{RF: 3}, "dc1", []ring.NodeID{"a", "b", "c"}, dcOf)
	r.addPending([]ring.NodeID{"q"}, dcOf)
	for _, c := range []struct {
		live, pending []ring.NodeID
		ok            bool
		alive         int
	}{
		{[]ring.NodeID{"a", "b", "c"}, []ring.NodeID{"q"}, true, 4},
		{[]ring.NodeID{"a", "b"}, []ring.NodeID{"q"}, true, 3},
		{[]ring.NodeID{"a", "b", "c"}, nil, true, 3},
		{[]ring.NodeID{"a"}, []ring.NodeID{"q"}, false, 2},
		{[]ring.NodeID{"a", "b"}, nil, false, 2},
	} {
		ok, alive := r.available(c.live, c.pending, dcOf)
		if ok != c.ok || alive != c.alive {
			t.Errorf("live %v, pending %v: got ok %v alive %d, want %v %d", c.live, c.pending, ok, alive, c.ok, c.alive)
		}
	}
}
