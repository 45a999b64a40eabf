package faulttest

// Growing and shrinking the cluster under a write load: a node joins
// (streaming the data of the ranges it takes), a joining node is killed
// in the middle of its streams and resumes, a node is decommissioned. No
// write may fail, and every acknowledged row must be readable through
// every node alone afterwards.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/messaging"
)

// The tables of the topology tests: one keyspace at each replication
// factor, so that a range movement moves the only copy of some rows and
// one of three copies of the others.
const (
	tableRF1 = "ft1.kv"
	tableRF3 = "ft3.kv"
)

// createTopologySchema makes keyspaces ft1 (RF 1) and ft3 (RF 3), each
// with a table kv.
func createTopologySchema(t *testing.T, s *gocql.Session) {
	t.Helper()
	for _, stmt := range []string{
		"CREATE KEYSPACE ft1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ft1.kv (k bigint PRIMARY KEY, v text)",
		"CREATE KEYSPACE ft3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ft3.kv (k bigint PRIMARY KEY, v text)",
	} {
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// admin sends n an admin request over its internode port, bounded by
// limit.
func (f *fixture) admin(n *node, limit time.Duration, args ...string) ([]byte, error) {
	c, err := messaging.Dial(net.JoinHostPort(n.addr, strconv.Itoa(f.ports.internode)),
		messaging.DialOptions{Timeout: limit, ConnectTimeout: time.Second})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return c.Admin(ctx, args)
}

// setStreamThroughput sets the outbound stream cap of each node
// (bytes per second, 0 for none).
func (f *fixture) setStreamThroughput(bytesPerSec int64, ns ...*node) {
	f.t.Helper()
	for _, n := range ns {
		if _, err := f.admin(n, 3*time.Second, "setstreamthroughput", strconv.FormatInt(bytesPerSec, 10)); err != nil {
			f.t.Fatalf("setstreamthroughput %d on %s: %v", bytesPerSec, n, err)
		}
	}
}

// netstats is the part of a node's answer to ["netstats"]
// (server.AdminNetstats) the tests look at. It is decoded here with the
// direction and state as text: streaming.Direction and streaming.State
// marshal to text but do not unmarshal from it, so the answer does not
// decode into server.AdminNetstats.
type netstats struct {
	Mode     string `json:"mode"`
	Sessions []struct {
		ID            string `json:"id"`
		Peer          string `json:"peer"`
		Direction     string `json:"direction"` // "sending", "receiving"
		Keyspace      string `json:"keyspace"`
		Table         string `json:"table"`
		BytesStreamed int64  `json:"bytes_streamed"`
		State         string `json:"state"` // "running", "done", "failed"
		Error         string `json:"error"`
	} `json:"sessions"`
}

func (f *fixture) netstats(n *node) (*netstats, error) {
	b, err := f.admin(n, 3*time.Second, "netstats")
	if err != nil {
		return nil, err
	}
	var ns netstats
	if err := json.Unmarshal(b, &ns); err != nil {
		return nil, fmt.Errorf("netstats of %s: %w", n, err)
	}
	return &ns, nil
}

// received sums up what n's receiving sessions streamed, by state.
func (ns *netstats) received() string {
	var sessions, bytes int64
	states := map[string]int{}
	for _, s := range ns.Sessions {
		if s.Direction != "receiving" {
			continue
		}
		sessions++
		bytes += s.BytesStreamed
		states[s.State]++
	}
	return fmt.Sprintf("mode %s, %d receiving sessions (%d done, %d running, %d failed), %.2f MiB received",
		ns.Mode, sessions, states["done"], states["running"], states["failed"], float64(bytes)/(1<<20))
}

// waitReceived waits (30 s at most) until n, spawned and not yet serving,
// has received at least min bytes in its receiving streams (with running,
// one of them still running); it stops early if n serves or exits. It
// returns whether it saw that, and n's last netstats (or error).
func (f *fixture) waitReceived(n *node, serving <-chan struct{}, min int64, running bool) (bool, string) {
	var last string
	ok := waitUntil(30*time.Second, 50*time.Millisecond, func() bool {
		select {
		case <-serving:
			return true
		case <-n.p.exited:
			return true
		default:
		}
		ns, err := f.netstats(n)
		if err != nil {
			last = err.Error()
			return false
		}
		last = ns.received()
		var run bool
		var bytes int64
		for _, ss := range ns.Sessions {
			if ss.Direction == "receiving" {
				bytes += ss.BytesStreamed
				run = run || ss.State == "running" && ss.BytesStreamed > 0
			}
		}
		return (run || !running) && bytes >= min
	})
	return ok, last
}

// startNodes starts the nodes given one after the other and waits until
// each sees the others up.
func (f *fixture) startNodes(ns ...*node) {
	f.t.Helper()
	start := time.Now()
	for _, n := range ns {
		f.start(n)
	}
	for _, n := range ns {
		f.waitView(n.String()+" to see every node up", 15*time.Second, []*node{n}, ns, true)
	}
	f.t.Logf("%d nodes up in %v", len(ns), time.Since(start).Round(time.Millisecond))
}

// ringIs reports whether every observer lists exactly members, each up
// and NORMAL, and if not, why.
func (f *fixture) ringIs(observers, members []*node) (bool, string) {
	for _, o := range observers {
		st, err := f.status(o)
		if err != nil {
			return false, fmt.Sprintf("%s: %v", o, err)
		}
		var seen []string
		for _, an := range st.Nodes {
			seen = append(seen, fmt.Sprintf("%s %s up=%v", an.Address, an.State, an.Up))
		}
		if len(st.Nodes) != len(members) {
			return false, fmt.Sprintf("%s lists %d nodes, want %d: %s", o, len(st.Nodes), len(members), strings.Join(seen, ", "))
		}
		for _, m := range members {
			found := false
			for _, an := range st.Nodes {
				if an.Address == m.addr {
					found = an.Up && an.State == "NORMAL"
				}
			}
			if !found {
				return false, fmt.Sprintf("%s does not list %s up and NORMAL: %s", o, m, strings.Join(seen, ", "))
			}
		}
	}
	return true, ""
}

// waitRing waits until every observer lists exactly members, each up and
// NORMAL (UN in nodetool's words).
func (f *fixture) waitRing(what string, limit time.Duration, observers, members []*node) {
	f.t.Helper()
	var why string
	start := time.Now()
	if !waitUntil(limit, 100*time.Millisecond, func() bool {
		var ok bool
		ok, why = f.ringIs(observers, members)
		return ok
	}) {
		f.t.Fatalf("%s: not after %v: %s", what, limit, why)
	}
	f.t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
}

// preload writes rows rows into table at QUORUM from workers writers at
// once (recorded in h like any write), and fails the test if one fails.
func preload(t *testing.T, h *history, s *gocql.Session, table string, rows, pad, workers int) {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		w := h.writerTo(s, gocql.Quorum, table, pad)
		n := rows / workers
		if i < rows%workers {
			n++
		}
		wg.Go(func() {
			for range n {
				w.write()
			}
		})
	}
	wg.Wait()
	ops := h.pick(func(o *op) bool { return o.table == table && o.start.After(start.Add(-time.Millisecond)) })
	t.Logf("preloaded %s in %v: %s", table, time.Since(start).Round(time.Millisecond), describe(ops))
	expectAll(t, "preload of "+table, ops, 0, "ok")
}

// ofTable matches the ops of one table.
func ofTable(table string) func(*op) bool {
	return func(o *op) bool { return o.table == table }
}

// checkEachNode checks, through each node alone (a session that only
// knows it, so that it coordinates every request), that every
// acknowledged row of each table is there at ONE with its value, and that
// SELECT COUNT(*) at ONE finds as many rows as were written (exactly the
// acknowledged ones when no write had an unknown outcome).
func checkEachNode(t *testing.T, f *fixture, h *history, nodes []*node, tables ...string) {
	t.Helper()
	checkEachNodeAt(t, f, h, gocql.One, nodes, tables...)
}

// checkEachNodeAt is checkEachNode with its reads at cl.
func checkEachNodeAt(t *testing.T, f *fixture, h *history, cl gocql.Consistency, nodes []*node, tables ...string) {
	t.Helper()
	for _, n := range nodes {
		s := f.session([]*node{n}, sessionOpts{only: []*node{n}})
		for _, table := range tables {
			ops := h.pick(ofTable(table))
			verify(t, s, cl, fmt.Sprintf("of %s through %s alone", table, n), ops)
			var okN, unknownN int64
			for _, o := range ops {
				switch o.res {
				case ok:
					okN++
				case unknown:
					unknownN++
				}
			}
			var count int64
			var err error
			for try := 0; try < 3; try++ {
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				err = s.Query("SELECT COUNT(*) FROM " + table).Consistency(cl).WithContext(ctx).Scan(&count)
				cancel()
				if err == nil {
					break
				}
				time.Sleep(300 * time.Millisecond)
			}
			switch {
			case err != nil:
				t.Errorf("SELECT COUNT(*) FROM %s at %s through %s alone: %v", table, cl, n, err)
			case count < okN || count > okN+unknownN:
				t.Errorf("SELECT COUNT(*) FROM %s at %s through %s alone: got %d, want %d (%d acknowledged writes, %d unknown)",
					table, cl, n, count, okN, okN, unknownN)
			default:
				t.Logf("SELECT COUNT(*) FROM %s at %s through %s alone: %d rows (%d acknowledged writes)", table, cl, n, count, okN)
			}
		}
	}
}

// startLoad runs per writers QUORUM writers on each table, each pausing
// pace between its writes.
func startLoad(h *history, s *gocql.Session, per int, pace time.Duration, tables ...string) *load {
	var ws []*writer
	for _, table := range tables {
		for range per {
			ws = append(ws, h.writerTo(s, gocql.Quorum, table, 0))
		}
	}
	return run(pace, ws...)
}

// TestJoinUnderLoad has a fourth node join a cluster of three under a
// QUORUM write load, with data at RF 1 and RF 3: no write fails, the new
// node streams its ranges, every node then lists four nodes up and
// NORMAL, and every acknowledged row is readable through each node alone.
func TestJoinUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of four wcdb processes")
	}
	f := newFixture(t, ports{cql: 27042, gossip: 27946, internode: 27000}, loopback(4))
	n1, n2, n3, n4 := f.nodes[0], f.nodes[1], f.nodes[2], f.nodes[3]
	f.startNodes(n1, n2, n3)
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createTopologySchema(t, s)

	h := &history{}
	preload(t, h, s, tableRF1, 3000, 100, 16)
	preload(t, h, s, tableRF3, 2000, 100, 16)
	// Streams slowed down to make the join last a few seconds, for the
	// writes that reach the sources after they flushed for the stream
	// (node 4 gets them as a pending replica).
	f.setStreamThroughput(128<<10, n1, n2, n3)

	l := startLoad(h, s, 2, 2*time.Millisecond, tableRF1, tableRF3)
	time.Sleep(time.Second)
	tJoin := time.Now()
	f.start(n4)
	tJoined := time.Now()
	t.Logf("node 4 joined (serving CQL) in %v", tJoined.Sub(tJoin).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	l.stop()
	tStop := time.Now()

	t.Logf("before the join: %s", describe(h.pick(startedIn(time.Time{}, tJoin))))
	t.Logf("during the join: %s", describe(h.pick(startedIn(tJoin, tJoined))))
	t.Logf("after the join: %s", describe(h.pick(startedIn(tJoined, tStop))))
	if len(h.pick(startedIn(tJoin, tJoined))) == 0 {
		t.Error("no write during the join")
	}
	expectAll(t, "every write", h.pick(nil), writeTimeout+2*time.Second, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	if ns, err := f.netstats(n4); err != nil {
		t.Errorf("netstats of node 4: %v", err)
	} else {
		t.Logf("node 4's netstats: %s", ns.received())
	}
	f.waitRing("every node lists 4 nodes up and NORMAL", 15*time.Second, f.nodes, f.nodes)
	checkEachNode(t, f, h, f.nodes, tableRF1, tableRF3)
}

// TestJoinKilledMidStream kills a joining node with SIGKILL while it
// streams (the sources throttled so that the streams take seconds): the
// others never see it NORMAL, writes go on without failing, and
// restarted on its data it resumes its join, streams again and turns
// NORMAL; then every acknowledged row is readable through each node alone.
func TestJoinKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of four wcdb processes")
	}
	f := newFixture(t, ports{cql: 28042, gossip: 28946, internode: 28000}, loopback(4))
	n1, n2, n3, n4 := f.nodes[0], f.nodes[1], f.nodes[2], f.nodes[3]
	sources := []*node{n1, n2, n3}
	f.startNodes(sources...)
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createTopologySchema(t, s)

	// About 4 MB at RF 1, of which node 4 takes about a quarter: at
	// 128 KiB/s from each source, several seconds of streaming.
	h := &history{}
	preload(t, h, s, tableRF1, 4000, 1000, 16)
	preload(t, h, s, tableRF3, 1000, 100, 16)
	f.setStreamThroughput(128<<10, sources...)

	l := startLoad(h, s, 2, 2*time.Millisecond, tableRF1, tableRF3)
	time.Sleep(time.Second)
	tJoin := time.Now()
	serving := f.spawn(n4)
	// Killed once it has received a good part of its data (a few
	// hundred KiB of about 1.2 MiB), some files imported and others not.
	streaming, last := f.waitReceived(n4, serving, 256<<10, true)
	select {
	case <-serving:
		l.stop()
		t.Fatalf("node 4 finished its join before it could be killed mid-stream (%v after its start; last netstats: %s)",
			time.Since(tJoin).Round(time.Millisecond), last)
	case <-n4.p.exited:
		l.stop()
		t.Fatalf("node 4 exited during its join: %v", n4.p.cmd.ProcessState)
	default:
	}
	if !streaming {
		l.stop()
		t.Fatalf("node 4 did not start receiving streams within 30s: %s", last)
	}
	t.Logf("node 4 streaming %v after its start: %s", time.Since(tJoin).Round(time.Millisecond), last)
	tKill := time.Now()
	f.kill(n4)
	notNormal := func(when string) {
		t.Helper()
		for _, o := range sources {
			st, err := f.status(o)
			if err != nil {
				t.Errorf("status of %s %s: %v", o, when, err)
				continue
			}
			for _, an := range st.Nodes {
				if an.Address == n4.addr && an.State == "NORMAL" {
					t.Errorf("%s %s lists node 4 NORMAL (up=%v), but it never finished its join", o, when, an.Up)
				}
			}
		}
	}
	notNormal("right after the kill")
	tDown := f.waitView("nodes 1-3 to see node 4 down", 15*time.Second, sources, []*node{n4}, false)
	t.Logf("node 4 killed mid-stream; seen down after %v", tDown.Sub(tKill).Round(time.Millisecond))
	notNormal("with node 4 seen down")
	time.Sleep(time.Second) // writes with the joining node down

	b, err := os.ReadFile(filepath.Join(f.dir, "node4", "cluster-state.json"))
	if err != nil {
		t.Fatalf("node 4's state file: %v", err)
	}
	var state struct {
		Joining bool `json:"joining"`
	}
	if err := json.Unmarshal(b, &state); err != nil || !state.Joining {
		t.Errorf("node 4's state file after the kill: %s (%v), want it joining", b, err)
	}

	f.setStreamThroughput(0, sources...)
	tRestart := time.Now()
	f.start(n4)
	tJoined := time.Now()
	t.Logf("node 4 restarted, resumed its join and serves CQL after %v (%v since its first start)",
		tJoined.Sub(tRestart).Round(time.Millisecond), tJoined.Sub(tJoin).Round(time.Millisecond))
	if ns, err := f.netstats(n4); err != nil {
		t.Errorf("netstats of node 4: %v", err)
	} else {
		t.Logf("node 4's netstats after the restart: %s", ns.received())
	}
	time.Sleep(time.Second)
	l.stop()
	tStop := time.Now()

	t.Logf("before the join: %s", describe(h.pick(startedIn(time.Time{}, tJoin))))
	t.Logf("join to kill: %s", describe(h.pick(startedIn(tJoin, tKill))))
	t.Logf("kill to seen down: %s", describe(h.pick(startedIn(tKill, tDown))))
	t.Logf("seen down to restart: %s", describe(h.pick(startedIn(tDown, tRestart))))
	t.Logf("restart to serving: %s", describe(h.pick(startedIn(tRestart, tJoined))))
	t.Logf("after the join: %s", describe(h.pick(startedIn(tJoined, tStop))))
	// A pending replica the coordinators hold down is left out of a
	// write (it streams again when back), so that a dead joining node
	// does not fail RF 1 writes. Until they hold it down, they still
	// send it their writes: those must not fail either.
	blind := h.pick(startedIn(tKill, tDown))
	for _, table := range []string{tableRF1, tableRF3} {
		t.Logf("kill to seen down, %s: %s", table, describe(h.pick(all(startedIn(tKill, tDown), ofTable(table)))))
	}
	for _, o := range blind {
		if o.res != ok {
			t.Logf("kill to seen down: the first write that failed (%s, key %d, started %v after the kill): %v",
				o.table, o.key, o.start.Sub(tKill).Round(time.Millisecond), o.err)
			break
		}
	}
	expectAll(t, "writes started between node 4's kill and nodes 1-3 seeing it down", blind,
		writeTimeout+2*time.Second, "ok")
	expectAll(t, "every other write", h.pick(func(o *op) bool { return o.start.Before(tKill) || !o.start.Before(tDown) }),
		writeTimeout+2*time.Second, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	f.waitRing("every node lists 4 nodes up and NORMAL", 15*time.Second, f.nodes, f.nodes)
	checkEachNode(t, f, h, f.nodes, tableRF1, tableRF3)
}

// TestDecommissionUnderLoad decommissions one of four nodes under a
// QUORUM write load, with data at RF 1 and RF 3: the admin request
// returns once the node has left, its process exits by itself, the others
// list three nodes, no write fails, and every acknowledged row is
// readable through each remaining node alone.
func TestDecommissionUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of four wcdb processes")
	}
	f := newFixture(t, ports{cql: 26046, gossip: 26950, internode: 26004}, loopback(4))
	f.startAll()
	n1, n2, n3, n4 := f.nodes[0], f.nodes[1], f.nodes[2], f.nodes[3]
	rest := []*node{n1, n2, n4}
	// Node 3 is found in system.peers and coordinates its share of the
	// load until it leaves.
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createTopologySchema(t, s)
	id3 := f.hostID(n3)

	h := &history{}
	preload(t, h, s, tableRF1, 2000, 100, 16)
	preload(t, h, s, tableRF3, 2000, 100, 16)
	// Node 3's streams slowed down to make its decommission last a few
	// seconds, for the writes made while it is LEAVING.
	f.setStreamThroughput(128<<10, n3)

	l := startLoad(h, s, 2, 2*time.Millisecond, tableRF1, tableRF3)
	time.Sleep(time.Second)
	tDecom := time.Now()
	if _, err := f.admin(n3, 60*time.Second, "decommission"); err != nil {
		l.stop()
		t.Fatalf("decommission of node 3: %v", err)
	}
	tDone := time.Now()
	t.Logf("node 3 decommissioned in %v", tDone.Sub(tDecom).Round(time.Millisecond))
	select {
	case <-n3.p.exited:
		t.Logf("node 3's process exited %v after the decommission returned (%v)",
			time.Since(tDone).Round(time.Millisecond), n3.p.cmd.ProcessState)
		n3.p = nil
	case <-time.After(15 * time.Second):
		t.Errorf("node 3's process still runs 15s after its decommission")
	}
	if !strings.Contains(n3.log.String(), "wcdb: the node was decommissioned and left the cluster") {
		t.Errorf("node 3 did not say it was decommissioned")
	}
	time.Sleep(2 * time.Second)
	l.stop()
	tStop := time.Now()

	t.Logf("before the decommission: %s", describe(h.pick(startedIn(time.Time{}, tDecom))))
	t.Logf("during the decommission: %s", describe(h.pick(startedIn(tDecom, tDone))))
	t.Logf("after the decommission: %s", describe(h.pick(startedIn(tDone, tStop))))
	// gocql closes its connections to a host it learns has left, requests
	// in flight on them included: those writes, coordinated by node 3, end
	// unknown ("connection closed"); every other write must be ok.
	viaLeaving := func(o *op) bool { return o.coordinator == n3.addr }
	expectAll(t, "writes coordinated by the leaving node", h.pick(viaLeaving), writeTimeout+2*time.Second, "ok", "ConnectionClosed")
	expectAll(t, "every other write", h.pick(func(o *op) bool { return !viaLeaving(o) }), writeTimeout+2*time.Second, "ok")
	expectWriteCodes(t, "every write", h.pick(nil))

	f.waitRing("nodes 1, 2 and 4 list the three of them up and NORMAL", 15*time.Second, rest, rest)
	for _, o := range rest {
		st, err := f.status(o)
		if err != nil {
			t.Errorf("status of %s: %v", o, err)
			continue
		}
		for _, an := range st.Nodes {
			if an.HostID == id3 {
				t.Errorf("%s still lists node 3 (%s, %s)", o, an.HostID, an.State)
			}
		}
	}
	for _, n := range rest {
		if ns, err := f.netstats(n); err == nil {
			t.Logf("%s's netstats: %s", n, ns.received())
		}
	}
	checkEachNode(t, f, h, rest, tableRF1, tableRF3)
}
