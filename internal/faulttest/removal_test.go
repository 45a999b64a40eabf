package faulttest

// Taking a node that is down for good out of the cluster under a write
// load: removenode (its ranges fetched by their new owners from the
// surviving replicas), and a replacement on the dead node's own address
// (a new process, an empty data directory, --replace-address). No write
// acknowledged may be lost, and afterwards the ring must hold exactly the
// live nodes, the dead one's host id nowhere.

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/server"
)

// tableAfterRF1 is written only once a removal is over: at RF 1 the
// rows whose only copy was on the dead node are gone, but every range has
// a live owner again, so every write must succeed and stay readable.
const tableAfterRF1 = "ft1.after"

// replacement returns a new node (not yet started) that runs on dead's
// address and ports with the data directory dir, empty or not yet
// created, and extra flags; it is added to the fixture, so that it is
// killed at the end and its log kept like the others'.
func (f *fixture) replacement(dead *node, dir string, extra ...string) *node {
	f.t.Helper()
	args := slices.Clone(dead.args)
	i := slices.Index(args, "--data-dir")
	if i < 0 || i+1 >= len(args) {
		f.t.Fatalf("%s has no --data-dir flag: %v", dead, args)
	}
	args[i+1] = dir
	n := &node{i: len(f.nodes) + 1, addr: dead.addr, netns: dead.netns, args: append(args, extra...), log: &nodeLog{}}
	f.nodes = append(f.nodes, n)
	return n
}

// removal decodes an answer to ["removenode", ...].
func removal(b []byte) (*server.AdminRemoval, error) {
	var r server.AdminRemoval
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", b, err)
	}
	return &r, nil
}

// expectGone fails the test if an observer lists the host id, and checks
// that each lists every member with its tokens (wantTokens each, when
// wantTokens > 0).
func expectGone(t *testing.T, f *fixture, observers []*node, id string, wantTokens int) {
	t.Helper()
	for _, o := range observers {
		st, err := f.status(o)
		if err != nil {
			t.Errorf("status of %s: %v", o, err)
			continue
		}
		var seen []string
		for _, an := range st.Nodes {
			seen = append(seen, fmt.Sprintf("%s %s %s up=%v tokens=%d", an.Address, an.HostID, an.State, an.Up, an.Tokens))
			if an.HostID == id {
				t.Errorf("%s still lists the dead node %s (%s, %s, up=%v)", o, id, an.Address, an.State, an.Up)
			}
			if wantTokens > 0 && an.Tokens != wantTokens {
				t.Errorf("%s lists %s (%s) with %d tokens, want %d", o, an.Address, an.HostID, an.Tokens, wantTokens)
			}
		}
		t.Logf("status of %s: %s", o, strings.Join(seen, "; "))
	}
}

// peerRow is a node's row in another node's system.peers.
type peerRow struct {
	hostID string
	tokens []string
}

// peers reads system.peers through s (a session that knows one node),
// by peer address; a peer listed twice fails the test.
func peers(t *testing.T, s *gocql.Session) map[string]peerRow {
	t.Helper()
	out := map[string]peerRow{}
	it := s.Query("SELECT peer, host_id, tokens FROM system.peers").Consistency(gocql.One).Iter()
	var (
		peer   net.IP
		hostID gocql.UUID
		tokens []string
	)
	for it.Scan(&peer, &hostID, &tokens) {
		tk := slices.Clone(tokens)
		slices.Sort(tk)
		if prev, dup := out[peer.String()]; dup {
			t.Errorf("system.peers lists %s twice: host ids %s and %s", peer, prev.hostID, hostID)
		}
		out[peer.String()] = peerRow{hostID: hostID.String(), tokens: tk}
	}
	if err := it.Close(); err != nil {
		t.Fatalf("SELECT FROM system.peers: %v", err)
	}
	return out
}

// expectPeers checks each node's system.peers: exactly the other
// members, with their host ids.
func expectPeers(t *testing.T, f *fixture, members []*node) {
	t.Helper()
	ids := map[string]string{}
	for _, m := range members {
		ids[m.addr] = f.hostID(m)
	}
	for _, n := range members {
		got := peers(t, f.session([]*node{n}, sessionOpts{only: []*node{n}}))
		var list []string
		for addr, p := range got {
			list = append(list, addr+" "+p.hostID)
		}
		slices.Sort(list)
		var want []string
		for _, m := range members {
			if m != n {
				want = append(want, m.addr+" "+ids[m.addr])
			}
		}
		slices.Sort(want)
		if !slices.Equal(list, want) {
			t.Errorf("system.peers of %s: got %v, want %v", n, list, want)
		}
	}
}

// TestRemoveNodeAfterKill kills one of four nodes with SIGKILL under a
// QUORUM write load and, once the others see it down, removes it through
// node 1 while the load runs, with data at RF 3 (and RF 1, whose ranges
// held only by the dead node are lost by definition): the removal
// completes, no write started with the node seen down fails, every
// acknowledged RF 3 row is readable through each remaining node alone,
// every remaining node lists the three of them up and NORMAL and not the
// dead one, and RF 1 writes made afterwards all succeed.
func TestRemoveNodeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of four wcdb processes")
	}
	f := newFixture(t, ports{cql: 25042, gossip: 25946, internode: 25000}, loopback(4))
	f.startAll()
	n1, n2, n3, n4 := f.nodes[0], f.nodes[1], f.nodes[2], f.nodes[3]
	rest := []*node{n1, n2, n3}
	// Node 4 is found in system.peers and coordinates its share of the
	// load until it dies.
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createTopologySchema(t, s)
	if err := s.Query("CREATE TABLE " + tableAfterRF1 + " (k bigint PRIMARY KEY, v text)").Exec(); err != nil {
		t.Fatalf("CREATE TABLE %s: %v", tableAfterRF1, err)
	}
	id4 := f.hostID(n4)
	if b, err := f.admin(n1, 10*time.Second, "removenode", id4); err == nil {
		t.Fatalf("removenode of node 4 while it is alive: got %s, want it refused", b)
	} else {
		t.Logf("removenode of node 4 while it is alive, refused: %v", err)
	}

	h := &history{}
	preload(t, h, s, tableRF1, 1000, 100, 16)
	preload(t, h, s, tableRF3, 3000, 300, 16)
	// The surviving replicas' streams slowed down to make the removal
	// last a few seconds, for the writes made while the ranges are
	// pending on their new owners.
	f.setStreamThroughput(128<<10, rest...)

	l := startLoad(h, s, 4, 2*time.Millisecond, tableRF3)
	time.Sleep(time.Second)
	tKill := time.Now()
	f.kill(n4)
	tDown := f.waitView("nodes 1-3 to see node 4 down", 15*time.Second, rest, []*node{n4}, false)
	t.Logf("node 4 (%s) killed; seen down by nodes 1-3 after %v", id4, tDown.Sub(tKill).Round(time.Millisecond))
	time.Sleep(time.Second) // writes with node 4 down, before its removal

	tRemove := time.Now()
	b, err := f.admin(n1, 60*time.Second, "removenode", id4)
	tRemoved := time.Now()
	if err != nil {
		l.stop()
		t.Fatalf("removenode %s through node 1 (after %v): %v", id4, tRemoved.Sub(tRemove).Round(time.Millisecond), err)
	}
	r, err := removal(b)
	switch {
	case err != nil:
		t.Errorf("removenode answer: %v", err)
	case r.Node != id4 || r.State != "removed":
		t.Errorf("removenode answer: got %+v, want node %s removed", *r, id4)
	}
	t.Logf("node 4 removed through node 1 in %v", tRemoved.Sub(tRemove).Round(time.Millisecond))
	if b, err := f.admin(n1, 3*time.Second, "removenode", "status"); err != nil {
		t.Errorf("removenode status on node 1: %v", err)
	} else if r, err := removal(b); err != nil || r.Node != id4 || r.State != "removed" {
		t.Errorf("removenode status on node 1: got %s (%v), want node %s removed", b, err, id4)
	}
	time.Sleep(2 * time.Second)
	l.stop()
	tStop := time.Now()

	t.Logf("before the kill: %s", describe(h.pick(startedIn(time.Time{}, tKill))))
	t.Logf("kill to seen down: %s", describe(h.pick(startedIn(tKill, tDown))))
	t.Logf("seen down to removenode: %s", describe(h.pick(startedIn(tDown, tRemove))))
	t.Logf("during the removal: %s", describe(h.pick(startedIn(tRemove, tRemoved))))
	t.Logf("after the removal: %s", describe(h.pick(startedIn(tRemoved, tStop))))
	if len(h.pick(startedIn(tRemove, tRemoved))) == 0 {
		t.Error("no write during the removal")
	}
	// Until the others hold node 4 down, a write it coordinated breaks
	// with its connection (unknown) and one the driver could not send is
	// failed: the checks below hold either to its class. Once they hold
	// it down, QUORUM at RF 3 is met by the two live replicas (and the
	// pending owner, during the removal).
	// A write in flight at the kill that node 4 coordinated breaks with
	// its connection; every one answered before must be ok.
	expectAll(t, "writes answered before the kill", h.pick(endedBy(tKill)), writeTimeout+2*time.Second, "ok")
	expectAll(t, "writes started with node 4 seen down", h.pick(startedIn(tDown, tStop)), writeTimeout+2*time.Second, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	f.waitRing("nodes 1-3 list the three of them up and NORMAL", 15*time.Second, rest, rest)
	expectGone(t, f, rest, id4, 0)
	expectPeers(t, f, rest)
	for _, n := range rest {
		if ns, err := f.netstats(n); err == nil {
			t.Logf("%s's netstats: %s", n, ns.received())
		}
	}

	// RF 1: every range has a live owner again.
	w := h.writerTo(s, gocql.Quorum, tableAfterRF1, 0)
	for range 300 {
		w.write()
	}
	after := h.pick(ofTable(tableAfterRF1))
	t.Logf("RF 1 writes after the removal: %s", describe(after))
	expectAll(t, "RF 1 writes after the removal", after, writeTimeout+2*time.Second, "ok")
	checkEachNode(t, f, h, rest, tableRF3, tableAfterRF1)

	// What is left of the RF 1 rows written before the kill (those
	// whose only copy was on node 4 are gone): told, not checked.
	s1 := f.session([]*node{n1}, sessionOpts{only: []*node{n1}})
	var count int64
	if err := s1.Query("SELECT COUNT(*) FROM " + tableRF1).Consistency(gocql.One).Scan(&count); err != nil {
		t.Logf("SELECT COUNT(*) FROM %s through node 1: %v", tableRF1, err)
	} else {
		t.Logf("%s: %d of the %d rows written before the kill are left", tableRF1, count, len(h.pick(ofTable(tableRF1))))
	}
}

// TestReplaceDeadNodeSameAddress kills one of three nodes with SIGKILL
// under a QUORUM write load at RF 3, goes on writing a few seconds with it
// down (hints pile up for it), then starts a replacement on its address
// and ports with an empty data directory and --replace-address: the
// replacement serves CQL (NORMAL) with a host id of its own and the dead
// node's tokens, every node lists the three of them up and NORMAL and not
// the dead one, no write started with the node seen down fails, and every
// acknowledged row is readable through each node alone, and on the
// replacement alone with the two others paused.
func TestReplaceDeadNodeSameAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, ports{cql: 25142, gossip: 25947, internode: 25100}, loopback(3))
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 3}")
	const table = "ft.kv"
	id3 := f.hostID(n3)
	s1 := f.session([]*node{n1}, sessionOpts{only: []*node{n1}})
	before, found := peers(t, s1)[n3.addr]
	if !found || before.hostID != id3 || len(before.tokens) == 0 {
		t.Fatalf("node 1's system.peers row of %s: got %+v (found %v), want host id %s with tokens", n3.addr, before, found, id3)
	}

	h := &history{}
	preload(t, h, s, table, 3000, 300, 16)
	// The survivors' streams slowed down to make the replacement's join
	// last a few seconds, for the writes it gets as a pending replica.
	f.setStreamThroughput(256<<10, n1, n2)

	l := startLoad(h, s, 4, 2*time.Millisecond, table)
	time.Sleep(time.Second)
	tKill := time.Now()
	f.kill(n3)
	tDown := f.waitView("nodes 1 and 2 to see node 3 down", 15*time.Second, []*node{n1, n2}, []*node{n3}, false)
	t.Logf("node 3 (%s) killed; seen down by nodes 1 and 2 after %v", id3, tDown.Sub(tKill).Round(time.Millisecond))
	time.Sleep(3 * time.Second) // hints for node 3 pile up on the coordinators

	r3 := f.replacement(n3, filepath.Join(f.dir, "node3-replacement"), "--replace-address", n3.addr)
	tReplace := time.Now()
	f.start(r3)
	tReplaced := time.Now()
	t.Logf("the replacement (%s) serves CQL %v after its start", r3, tReplaced.Sub(tReplace).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	l.stop()
	tStop := time.Now()

	t.Logf("before the kill: %s", describe(h.pick(startedIn(time.Time{}, tKill))))
	t.Logf("kill to seen down: %s", describe(h.pick(startedIn(tKill, tDown))))
	t.Logf("seen down to the replacement's start: %s", describe(h.pick(startedIn(tDown, tReplace))))
	t.Logf("during the replacement: %s", describe(h.pick(startedIn(tReplace, tReplaced))))
	t.Logf("after the replacement: %s", describe(h.pick(startedIn(tReplaced, tStop))))
	if len(h.pick(startedIn(tReplace, tReplaced))) == 0 {
		t.Error("no write during the replacement")
	}
	expectAll(t, "writes answered before the kill", h.pick(endedBy(tKill)), writeTimeout+2*time.Second, "ok")
	// gocql notices in a ring refresh that the address it knew as node 3
	// now has another host id: it drops the old host's connections,
	// which may already carry writes to the replacement ("connection
	// closed", an unknown outcome). Every other write must be ok.
	viaReplaced := func(o *op) bool { return o.coordinator == n3.addr }
	expectAll(t, "writes started with node 3 seen down, coordinated by its address", h.pick(all(startedIn(tDown, tStop), viaReplaced)),
		writeTimeout+2*time.Second, "ok", "ConnectionClosed")
	expectAll(t, "writes started with node 3 seen down, coordinated by the others", h.pick(all(startedIn(tDown, tStop), func(o *op) bool { return !viaReplaced(o) })),
		writeTimeout+2*time.Second, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	live := []*node{n1, n2, r3}
	f.waitRing("every node lists 3 nodes up and NORMAL", 15*time.Second, live, live)
	rid := f.hostID(r3)
	if rid == id3 {
		t.Errorf("the replacement has the dead node's host id %s, want one of its own", rid)
	}
	t.Logf("the replacement's host id: %s (the dead node's: %s)", rid, id3)
	expectGone(t, f, live, id3, len(before.tokens))
	expectPeers(t, f, live)
	after, found := peers(t, s1)[n3.addr]
	switch {
	case !found:
		t.Errorf("node 1's system.peers has no row of %s after the replacement", n3.addr)
	case after.hostID != rid:
		t.Errorf("node 1's system.peers row of %s: host id %s, want the replacement's %s", n3.addr, after.hostID, rid)
	case !slices.Equal(after.tokens, before.tokens):
		t.Errorf("node 1's system.peers row of %s: %d tokens %v, want the dead node's %d %v",
			n3.addr, len(after.tokens), after.tokens, len(before.tokens), before.tokens)
	}
	if ns, err := f.netstats(r3); err != nil {
		t.Errorf("netstats of the replacement: %v", err)
	} else {
		t.Logf("the replacement's netstats: %s", ns.received())
	}

	checkEachNode(t, f, h, live, table)

	// The replacement alone: with nodes 1 and 2 paused and seen down, a
	// read at ONE through it can only be answered by its own copy, which
	// it got from the streams, as a pending replica, and from the hints.
	sr := f.session([]*node{r3}, sessionOpts{only: []*node{r3}})
	f.pause(n1)
	f.pause(n2)
	f.waitView("the replacement to see nodes 1 and 2 down", 10*time.Second, []*node{r3}, []*node{n1, n2}, false)
	verify(t, sr, gocql.One, "on the replacement alone", h.pick(nil))
	f.resume(n1)
	f.resume(n2)
	f.waitView("every node to see every node up", 15*time.Second, live, live, true)

	// The dead node's hints, which nodes 1 and 2 kept while it was down
	// (they coordinated the load), go to the replacement (on its NodeUp
	// or the next periodic replay, every 10 s).
	for _, n := range []*node{n1, n2} {
		var replayed, failedReplays int
		var first string
		if !waitUntil(15*time.Second, 250*time.Millisecond, func() bool {
			replayed, failedReplays = 0, 0
			for _, line := range strings.Split(n.log.String(), "\n") {
				switch {
				case !strings.Contains(line, "node="+id3):
				case strings.Contains(line, `msg="hints replayed"`) && strings.Contains(line, "to="+rid):
					replayed++
				case strings.Contains(line, `msg="hint replay"`):
					if failedReplays++; failedReplays == 1 {
						first = line
					}
				}
			}
			return replayed > 0
		}) {
			t.Errorf("%s did not replay the dead node's hints to the replacement within %v of its start (%d replays failed; first: %s)",
				n, time.Since(tReplace).Round(time.Millisecond), failedReplays, first)
			continue
		}
		t.Logf("%s: %d replays of the dead node's hints to the replacement, %d failed", n, replayed, failedReplays)
	}
}
