package faulttest

import (
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestPauseNode stops a replica with SIGSTOP for longer than the write
// timeout: its process is there, its sockets accept, it answers nothing.
// Writes at ALL coordinated by the two others end in WriteTimeout, then
// Unavailable once they see it down — each within the write timeout, none
// hangs — while QUORUM writes go on; after SIGCONT the node is seen up
// again and ALL writes succeed.
func TestPauseNode(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, ports{cql: 26043, gossip: 26947, internode: 26001}, loopback(3))
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	// Coordinators are nodes 1 and 2: a request sent to the paused node
	// itself would wait for the driver's timeout, which is not what is
	// tested.
	s := f.session([]*node{n1, n2}, sessionOpts{only: []*node{n1, n2}})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 3}")

	h := &history{}
	if o := h.writer(s, gocql.All).write(); o.res != ok {
		t.Fatalf("ALL write with every node up: %v", o.err)
	}
	l := run(2*time.Millisecond, h.writer(s, gocql.Quorum), h.writer(s, gocql.Quorum),
		h.writer(s, gocql.All), h.writer(s, gocql.All), h.writer(s, gocql.All))
	time.Sleep(time.Second)
	tPause := time.Now()
	f.pause(n3)
	tDown := f.waitView("nodes 1 and 2 to see node 3 down", 10*time.Second, []*node{n1, n2}, []*node{n3}, false)
	t.Logf("node 3 paused at %s; seen down by nodes 1 and 2 after %v", tPause.Format("15:04:05.000"),
		tDown.Sub(tPause).Round(time.Millisecond))
	// Paused for 4 write timeouts in all.
	time.Sleep(time.Until(tPause.Add(4 * writeTimeout)))
	tResume := time.Now()
	f.resume(n3)
	tUp := f.waitView("nodes 1 and 2 to see node 3 up", 15*time.Second, []*node{n1, n2}, []*node{n3}, true)
	t.Logf("node 3 resumed at %s after %v paused; seen up after %v", tResume.Format("15:04:05.000"), tResume.Sub(tPause).Round(time.Millisecond),
		tUp.Sub(tResume).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	l.stop()
	tStop := time.Now()

	// A write started just before SIGSTOP may still be acknowledged: the
	// windows start a little after it.
	settled := 100 * time.Millisecond
	bound := writeTimeout + 2*time.Second
	t.Logf("before the pause: %s", describe(h.pick(startedIn(time.Time{}, tPause))))
	t.Logf("paused, ALL: %s", describe(h.pick(all(startedIn(tPause, tResume), at(gocql.All)))))
	t.Logf("paused, QUORUM: %s", describe(h.pick(all(startedIn(tPause, tResume), at(gocql.Quorum)))))
	t.Logf("resumed, ALL: %s", describe(h.pick(all(startedIn(tResume, tStop), at(gocql.All)))))
	t.Logf("resumed, QUORUM: %s", describe(h.pick(all(startedIn(tResume, tStop), at(gocql.Quorum)))))

	expectAll(t, "QUORUM throughout", h.pick(at(gocql.Quorum)), bound, "ok")
	// Whatever was answered before SIGCONT cannot have node 3's ack; a
	// write sent just before it may reach its coordinator after node 3
	// is seen up again (in milliseconds) and succeed.
	expectAll(t, "ALL while node 3 is paused", h.pick(all(startedIn(tPause.Add(settled), tResume), endedBy(tResume), at(gocql.All))),
		bound, "WriteTimeout", "Unavailable")
	expectAll(t, "ALL sent while node 3 is paused", h.pick(all(startedIn(tPause.Add(settled), tResume), at(gocql.All))),
		bound, "WriteTimeout", "Unavailable", "ok")
	// The writes in flight when node 3 stopped, and those sent before the
	// coordinators saw it down, time out; the later ones are refused.
	timeouts, unavailable := 0, 0
	for _, o := range h.pick(all(startedIn(time.Time{}, tResume), at(gocql.All))) {
		if o.start.Add(o.took).Before(tPause) {
			continue
		}
		switch errKind(o.err) {
		case "WriteTimeout":
			timeouts++
		case "Unavailable":
			unavailable++
		}
	}
	t.Logf("ALL writes answered while node 3 was paused: %d WriteTimeout, %d Unavailable", timeouts, unavailable)
	if timeouts == 0 || unavailable == 0 {
		t.Errorf("ALL writes answered while node 3 was paused: %d WriteTimeout, %d Unavailable; want both (timeouts until it is seen down, then Unavailable)",
			timeouts, unavailable)
	}
	expectAll(t, "ALL once node 3 is seen down", h.pick(all(startedIn(tDown, tResume), endedBy(tResume), at(gocql.All))),
		bound, "Unavailable")
	expectAll(t, "ALL once node 3 is seen up again", h.pick(all(startedIn(tUp.Add(500*time.Millisecond), tStop), at(gocql.All))),
		bound, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	verify(t, s, gocql.All, "after the pause", h.pick(nil))
}
