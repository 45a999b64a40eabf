package faulttest

import (
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestDatacenterDown runs two datacenters — nodes 1 and 2 in dc1, node 3
// alone in dc2 — with a keyspace of {'dc1': 2, 'dc2': 1}, and makes dc2
// unreachable by pausing node 3 (SIGSTOP): LOCAL_QUORUM writes
// coordinated in dc1 go on, EACH_QUORUM writes time out and then are
// Unavailable; once node 3 is back, hints bring it every write dc1
// acknowledged, and it holds them itself.
func TestDatacenterDown(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, ports{cql: 26044, gossip: 26948, internode: 26002}, loopback(3, "dc1", "dc1", "dc2"))
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	s := f.session([]*node{n1, n2}, sessionOpts{dc: "dc1"})
	createSchema(t, s, "{'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}")

	h := &history{}
	if o := h.writer(s, gocql.EachQuorum).write(); o.res != ok {
		t.Fatalf("EACH_QUORUM write with both datacenters up: %v", o.err)
	}
	l := run(2*time.Millisecond, h.writer(s, gocql.LocalQuorum), h.writer(s, gocql.LocalQuorum),
		h.writer(s, gocql.EachQuorum), h.writer(s, gocql.EachQuorum))
	time.Sleep(time.Second)
	tPause := time.Now()
	f.pause(n3)
	tDown := f.waitView("nodes 1 and 2 to see node 3 down", 10*time.Second, []*node{n1, n2}, []*node{n3}, false)
	t.Logf("dc2 (node 3) paused; seen down by dc1 after %v", tDown.Sub(tPause).Round(time.Millisecond))
	time.Sleep(time.Until(tDown.Add(2 * time.Second)))
	l.stop()
	tStop := time.Now()

	bound := writeTimeout + 2*time.Second
	t.Logf("before the pause: %s", describe(h.pick(startedIn(time.Time{}, tPause))))
	t.Logf("dc2 away, LOCAL_QUORUM: %s", describe(h.pick(all(startedIn(tPause, tStop), at(gocql.LocalQuorum)))))
	t.Logf("dc2 away, EACH_QUORUM: %s", describe(h.pick(all(startedIn(tPause, tStop), at(gocql.EachQuorum)))))
	expectAll(t, "LOCAL_QUORUM in dc1", h.pick(at(gocql.LocalQuorum)), bound, "ok")
	expectAll(t, "EACH_QUORUM with dc2 away", h.pick(all(startedIn(tPause.Add(100*time.Millisecond), tStop), at(gocql.EachQuorum))),
		bound, "WriteTimeout", "Unavailable")
	seenDown := h.pick(all(startedIn(tDown, tStop), at(gocql.EachQuorum)))
	if len(seenDown) == 0 {
		t.Fatal("no EACH_QUORUM write after dc2 was seen down")
	}
	expectAll(t, "EACH_QUORUM once dc2 is seen down", seenDown, bound, "Unavailable")
	expectWriteCodes(t, "every write", h.pick(nil))
	verify(t, s, gocql.LocalQuorum, "in dc1 with dc2 away", h.pick(nil))

	// dc2 back: hints bring node 3 what dc1 acknowledged. At LOCAL_ONE
	// through node 3, the only replica that counts is node 3 itself, so
	// these reads see its own copy.
	tResume := time.Now()
	f.resume(n3)
	tUp := f.waitView("nodes 1 and 2 to see node 3 up", 15*time.Second, []*node{n1, n2}, []*node{n3}, true)
	t.Logf("node 3 resumed; seen up after %v", tUp.Sub(tResume).Round(time.Millisecond))
	s3 := f.session([]*node{n3}, sessionOpts{only: []*node{n3}})
	missed := h.pick(all(startedIn(tPause, tStop), func(o *op) bool { return o.res == ok }))
	var left int
	if !waitUntil(25*time.Second, 250*time.Millisecond, func() bool {
		left = missing(s3, gocql.LocalOne, missed)
		return left == 0
	}) {
		t.Errorf("node 3 still misses %d of the %d writes acknowledged while dc2 was away, %v after it was seen up",
			left, len(missed), time.Since(tUp).Round(time.Millisecond))
	} else {
		t.Logf("node 3 has the %d writes acknowledged while dc2 was away, %v after it was seen up",
			len(missed), time.Since(tUp).Round(time.Millisecond))
	}
	verify(t, s3, gocql.LocalOne, "on node 3 (dc2)", h.pick(nil))
	verify(t, s, gocql.All, "with both datacenters up", h.pick(nil))
	if o := h.writer(s, gocql.EachQuorum).write(); o.res != ok {
		t.Errorf("EACH_QUORUM write with dc2 back: %v", o.err)
	}
}
