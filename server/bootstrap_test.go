package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cluster"
	"wcdb/ring"
)

// writeLoad writes rows of unique keys at QUORUM into each keyspace in
// turn until stopped, and keeps the outcome of every write.
type writeLoad struct {
	mu     sync.Mutex
	ok     map[string][]int // keyspace -> keys acknowledged
	failed map[string][]int
	errs   []error
	// unknown are writes whose outcome the client cannot know: no node
	// answered them, the connection they were on closed or was reset
	// (gocql drops a host's connections, requests in flight included,
	// once the node has left; a test closes a node under load). failed
	// ones got an error answer.
	unknown map[string][]int
	stop    chan struct{}
	done    chan struct{}
}

func startLoad(s *gocql.Session, keyspaces []string, from int) *writeLoad {
	w := &writeLoad{ok: map[string][]int{}, failed: map[string][]int{}, unknown: map[string][]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		deadline := time.Now().Add(60 * time.Second)
		for k := from; time.Now().Before(deadline); k++ {
			select {
			case <-w.stop:
				return
			default:
			}
			ks := keyspaces[k%len(keyspaces)]
			err := s.Query("INSERT INTO "+ks+".t (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec()
			w.mu.Lock()
			var reqErr gocql.RequestError
			if err != nil && !errors.As(err, &reqErr) && !errors.Is(err, gocql.ErrTimeoutNoResponse) {
				// No answer from the node (a connection closed or reset
				// under the write): its outcome is unknown. A node that
				// does not answer in time fails the test.
				w.unknown[ks] = append(w.unknown[ks], k)
			} else if err != nil {
				w.failed[ks] = append(w.failed[ks], k)
				w.errs = append(w.errs, err)
			} else {
				w.ok[ks] = append(w.ok[ks], k)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *writeLoad) finish() {
	close(w.stop)
	<-w.done
}

// checkEveryRow reads every acknowledged row at ONE through node n alone
// and counts the table there: what a replica lacks, ONE shows.
func checkEveryRow(t *testing.T, n *Node, keyspace string, acked []int, unknown int) {
	t.Helper()
	host := n.cfg.ListenAddress
	s := clusterSessionWith(t, n, gocql.One, func(c *gocql.ClusterConfig) {
		c.HostFilter = gocql.WhiteListHostFilter(host)
	})
	missing := 0
	for _, k := range acked {
		var v string
		if err := s.Query("SELECT v FROM "+keyspace+".t WHERE k = ?", k).Scan(&v); err != nil || v != fmt.Sprint("v", k) {
			if missing < 5 {
				t.Errorf("%s via %s at ONE: row %d: %q, %v", keyspace, host, k, v, err)
			}
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%s via %s at ONE: %d of %d acknowledged rows missing", keyspace, host, missing, len(acked))
	}
	var count int
	if err := s.Query("SELECT count(*) FROM " + keyspace + ".t").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count < len(acked) || count > len(acked)+unknown {
		t.Errorf("%s via %s at ONE: count(*) %d, want %d (+ up to %d failed writes)", keyspace, host, count, len(acked), unknown)
	}
}

// TestBootstrapUnderLoad grows a three-node cluster to four while a client
// writes at QUORUM into keyspaces of RF 1 and RF 3: the new node streams
// the data of the ranges it takes (some flushed to SSTables, some still
// in memtables) and, as a pending replica, gets every write made during
// its join. Afterwards every acknowledged row is readable at ONE through
// each node alone, and no write failed because of the join.
func TestBootstrapUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes")
	}
	tc := startNodes(t, 3, nil)
	n1 := tc.nodes[0]
	nodes := slices.Clone(tc.nodes)
	s := clusterSession(t, n1, gocql.Quorum)
	keyspaces := []string{"rf1", "rf3"}
	mustExec(t, s,
		"CREATE KEYSPACE rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE rf1.t (k int PRIMARY KEY, v text)",
		"CREATE KEYSPACE rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE rf3.t (k int PRIMARY KEY, v text)")

	// Rows before the join: most flushed to SSTables, the rest in
	// memtables (the source flushes before it streams).
	pre := startLoad(s, keyspaces, 0)
	waitFor(t, "1000 rows written", 30*time.Second, func() bool {
		pre.mu.Lock()
		defer pre.mu.Unlock()
		return len(pre.ok["rf1"])+len(pre.ok["rf3"]) >= 1000
	})
	pre.finish()
	for _, n := range nodes {
		if err := n.engine.FlushAll(); err != nil {
			t.Fatal(err)
		}
	}
	load := startLoad(s, keyspaces, 1_000_000)

	start := time.Now()
	n4 := tc.add(t, 4, nil)
	nodes = append(nodes, n4)
	t.Logf("node 4 joined in %v", time.Since(start))
	if st := n4.cl.m.Load().Local().Status; st != cluster.StatusNormal {
		t.Fatalf("node 4 is %v after Start, want NORMAL", st)
	}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to see node 4 NORMAL", i+1), 10*time.Second, func() bool {
			r := n.cl.m.Load().Ring()
			return r.NumNodes() == 4 && n.cl.m.Load().FutureRing() == r
		})
	}
	// Writes go on a little with node 4 NORMAL.
	time.Sleep(300 * time.Millisecond)
	load.finish()

	for _, w := range []*writeLoad{pre, load} {
		for _, err := range w.errs {
			t.Errorf("a write failed: %v", err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, ks := range keyspaces {
		acked := append(append([]int{}, pre.ok[ks]...), load.ok[ks]...)
		t.Logf("%s: %d rows before the join, %d during and after it", ks, len(pre.ok[ks]), len(load.ok[ks]))
		if len(load.ok[ks]) == 0 {
			t.Fatalf("%s: no write during the join", ks)
		}
		for _, n := range nodes {
			checkEveryRow(t, n, ks, acked, 0)
		}
	}
	// The new node holds its share of the data (it is no empty node that
	// answers from the others): its netstats show what it received.
	var received int64
	for _, sess := range n4.cl.netstats().Sessions {
		received += sess.BytesStreamed
	}
	if received == 0 {
		t.Fatal("node 4 received no stream")
	}

	// Cleanup on the old nodes: with the data flushed, each table's bytes
	// fall by about the share of its ranges the node gave node 4, and
	// every owned row stays.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, n := range nodes[:3] {
		if err := n.engine.FlushAll(); err != nil {
			t.Fatal(err)
		}
		res, err := n.cl.cleanup(ctx, "rf1", "")
		if err != nil {
			t.Fatal(err)
		}
		// The share of rf1 (RF 1) the node kept: its ownership now over
		// its ownership before node 4 (as the rows are spread by token).
		r := n.cl.m.Load().Ring()
		before := r.Without(n4.cl.hostID).Ownership()[n.cl.hostID]
		kept := r.Ownership()[n.cl.hostID] / before
		for _, tr := range res.Tables {
			got := float64(tr.BytesAfter) / float64(tr.BytesBefore)
			t.Logf("cleanup of node %d: %s.%s %d -> %d bytes (%.2f; it kept %.2f of its ranges)",
				i+1, tr.Keyspace, tr.Table, tr.BytesBefore, tr.BytesAfter, got, kept)
			if got < kept-0.15 || got > kept+0.15 {
				t.Errorf("cleanup of node %d: bytes fell to %.2f, want about %.2f", i+1, got, kept)
			}
		}
	}
	for _, n := range nodes {
		checkEveryRow(t, n, "rf1", append(append([]int{}, pre.ok["rf1"]...), load.ok["rf1"]...), 0)
	}

	// And back to three: node 2 decommissions while the client writes.
	load2 := startLoad(s, keyspaces, 2_000_000)
	waitFor(t, "writes before the decommission", 10*time.Second, func() bool {
		load2.mu.Lock()
		defer load2.mu.Unlock()
		return len(load2.ok["rf3"]) > 20
	})
	leaving := nodes[1]
	start = time.Now()
	if err := leaving.Decommission(ctx, false); err != nil {
		t.Fatal(err)
	}
	t.Logf("node 2 decommissioned in %v", time.Since(start))
	select {
	case <-leaving.Done():
	default:
		t.Fatal("Done not closed after a decommission")
	}
	if err := leaving.Close(); err != nil {
		t.Fatal(err)
	}
	tc.nodes[1] = nil
	nodes = slices.Delete(nodes, 1, 2)
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to see 3 nodes", i+1), 10*time.Second, func() bool {
			r := n.cl.m.Load().Ring()
			_, in := r.Node(ring.NodeID(leaving.HostID()))
			return r.NumNodes() == 3 && !in && n.cl.m.Load().FutureRing() == r
		})
	}
	time.Sleep(300 * time.Millisecond)
	load2.finish()
	for _, err := range load2.errs {
		t.Errorf("a write failed: %v", err)
	}
	for _, ks := range keyspaces {
		acked := append(append(append([]int{}, pre.ok[ks]...), load.ok[ks]...), load2.ok[ks]...)
		if u := len(load2.unknown[ks]); u > 0 {
			t.Logf("%s: %d writes of unknown outcome (connection closed by the driver as the node left)", ks, u)
		}
		for _, n := range nodes {
			checkEveryRow(t, n, ks, acked, len(load2.unknown[ks]))
		}
	}
	// A decommissioned node does not come back with its old data.
	if _, err := Start(ctx, leaving.cfg, nil); err == nil || !strings.Contains(err.Error(), "decommissioned") {
		t.Fatalf("restart of a decommissioned node: got %v, want a refusal", err)
	}
}
