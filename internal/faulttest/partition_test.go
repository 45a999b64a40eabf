package faulttest

import (
	"slices"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// by matches the ops of the writers given.
func by(ws ...*writer) func(*op) bool {
	return func(o *op) bool {
		return slices.ContainsFunc(ws, func(w *writer) bool { return w.worker == o.worker })
	}
}

// TestPartitionNode cuts node 3 from nodes 1 and 2 — not from the
// clients — with iptables in network namespaces, under QUORUM writes at
// RF 3 coordinated on both sides. The majority keeps acknowledging them;
// node 3 answers WriteTimeout, then Unavailable once it sees the others
// down. After the partition heals, node 3 holds every write the majority
// acknowledged meanwhile (hints), and all of them read at ALL.
func TestPartitionNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes in network namespaces")
	}
	lab := newNetlab(t, 3)
	f := newFixture(t, ports{cql: 26045, gossip: 26949, internode: 26003}, lab.specs())
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	majority := f.session([]*node{n1, n2}, sessionOpts{only: []*node{n1, n2}})
	minority := f.session([]*node{n3}, sessionOpts{only: []*node{n3}})
	everyone := f.session([]*node{n1, n2}, sessionOpts{})
	createSchema(t, everyone, "{'class': 'SimpleStrategy', 'replication_factor': 3}")

	h := &history{}
	for _, s := range []*gocql.Session{majority, minority} {
		if o := h.writer(s, gocql.All).write(); o.res != ok {
			t.Fatalf("ALL write before the partition: %v", o.err)
		}
	}
	maj := []*writer{h.writer(majority, gocql.Quorum), h.writer(majority, gocql.Quorum), h.writer(majority, gocql.Quorum)}
	mino := []*writer{h.writer(minority, gocql.Quorum), h.writer(minority, gocql.Quorum)}
	l := run(2*time.Millisecond, append(maj, mino...)...)
	time.Sleep(time.Second)
	lab.isolate(3, 1, 2)
	tCut := time.Now()
	tDown3 := f.waitView("node 3 to see nodes 1 and 2 down", 10*time.Second, []*node{n3}, []*node{n1, n2}, false)
	tDown12 := f.waitView("nodes 1 and 2 to see node 3 down", 10*time.Second, []*node{n1, n2}, []*node{n3}, false)
	t.Logf("partitioned: node 3 sees the others down after %v, they see it down after %v",
		tDown3.Sub(tCut).Round(time.Millisecond), tDown12.Sub(tCut).Round(time.Millisecond))
	time.Sleep(time.Until(tDown3.Add(2 * time.Second)))
	l.stop()
	tStop := time.Now()

	bound := writeTimeout + 2*time.Second
	t.Logf("before the partition: %s", describe(h.pick(startedIn(time.Time{}, tCut))))
	t.Logf("partitioned, through nodes 1 and 2: %s", describe(h.pick(all(startedIn(tCut, tStop), by(maj...)))))
	t.Logf("partitioned, through node 3: %s", describe(h.pick(all(startedIn(tCut, tStop), by(mino...)))))
	expectAll(t, "QUORUM through the majority", h.pick(by(maj...)), bound, "ok")
	expectAll(t, "QUORUM through node 3, partitioned", h.pick(all(startedIn(tCut.Add(100*time.Millisecond), tStop), by(mino...))),
		bound, "WriteTimeout", "Unavailable")
	cut := h.pick(all(startedIn(tDown3, tStop), by(mino...)))
	if len(cut) == 0 {
		t.Fatal("no write through node 3 after it saw the others down")
	}
	expectAll(t, "QUORUM through node 3 once it sees the others down", cut, bound, "Unavailable")
	expectWriteCodes(t, "every write", h.pick(nil))
	verify(t, majority, gocql.Quorum, "through the majority, partitioned", h.pick(nil))

	// Heal: the views merge, and hints bring node 3 what it missed.
	tHeal := time.Now()
	lab.heal(3, 1, 2)
	tUp := f.waitView("every node to see every node up", 15*time.Second, f.nodes, f.nodes, true)
	t.Logf("healed; every node sees every node up after %v", tUp.Sub(tHeal).Round(time.Millisecond))
	missed := h.pick(all(startedIn(tCut, tStop), by(maj...), func(o *op) bool { return o.res == ok }))
	var left int
	// At ONE node 3 reads its own copy first; the exact check follows.
	if !waitUntil(25*time.Second, 250*time.Millisecond, func() bool {
		left = missing(minority, gocql.One, missed)
		return left == 0
	}) {
		t.Errorf("node 3 still misses %d of the %d writes the majority acknowledged during the partition, %v after the heal",
			left, len(missed), time.Since(tHeal).Round(time.Millisecond))
	} else {
		t.Logf("node 3 has the %d writes the majority acknowledged during the partition, %v after the heal",
			len(missed), time.Since(tHeal).Round(time.Millisecond))
	}

	// Node 3 alone again: once it sees the others down, a read at ONE
	// through it is its own copy.
	lab.isolate(3, 1, 2)
	f.waitView("node 3 to see nodes 1 and 2 down", 10*time.Second, []*node{n3}, []*node{n1, n2}, false)
	verify(t, minority, gocql.One, "on node 3 alone", h.pick(nil))
	lab.heal(3, 1, 2)
	f.waitView("every node to see every node up", 15*time.Second, f.nodes, f.nodes, true)

	verify(t, everyone, gocql.All, "after the partition", h.pick(nil))
	if o := h.writer(everyone, gocql.All).write(); o.res != ok {
		t.Errorf("ALL write after the partition: %v", o.err)
	}
}
