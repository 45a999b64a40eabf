package faulttest

// Anti-entropy repair between processes, driven by the command line as an
// operator would: wcdb admin repair on a node that missed writes and
// deletes (no hints), and on one whose peer is killed in the middle.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// noHints is the node configuration of the repair tests: without hinted
// handoff, a node that was down stays behind until repaired.
const noHints = "hinted_handoff_enabled: false\n"

func repairFixture(t *testing.T, pt ports) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, pt, loopback(3))
	if err := os.WriteFile(filepath.Join(f.dir, "wcdb.yaml"), []byte(nodeConfig+noHints), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// adminRepair runs wcdb admin repair against n with args, bounded by limit,
// and returns its output and exit error.
func (f *fixture) adminRepair(n *node, limit time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	full := append([]string{"admin", "repair", "--host", n.addr + ":" + strconv.Itoa(f.ports.internode)}, args...)
	out, err := exec.CommandContext(ctx, f.bin, full...).CombinedOutput()
	return string(out), err
}

// missWritesAndDeletes stops node 3, writes rows (all acknowledged at
// QUORUM by nodes 1 and 2) and deletes every tenth, and starts node 3
// again; it returns the keys that must be live.
func missWritesAndDeletes(t *testing.T, f *fixture, rows, pad int) []int64 {
	t.Helper()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	s := f.session([]*node{n1, n2}, sessionOpts{})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 3}")
	f.kill(n3)
	f.waitView("nodes 1 and 2 to see node 3 down", 10*time.Second, []*node{n1, n2}, []*node{n3}, false)
	h := &history{}
	preload(t, h, s, "ft.kv", rows, pad, 16)
	var live []int64
	deletes := 0
	for i, o := range h.pick(nil) {
		if i%10 != 0 {
			live = append(live, o.key)
			continue
		}
		if err := s.Query("DELETE FROM ft.kv WHERE k = ?", o.key).Consistency(gocql.Quorum).Exec(); err != nil {
			t.Fatalf("delete of %d: %v", o.key, err)
		}
		deletes++
	}
	t.Logf("%d rows written and %d deleted at QUORUM with node 3 down", rows, deletes)
	s.Close()
	f.start(n3)
	f.waitView("every node to see the others up", 15*time.Second, f.nodes, f.nodes, true)
	slices.Sort(live)
	return live
}

// aloneKeys reads every key of ft.kv through n alone at ONE, the other
// nodes down.
func aloneKeys(t *testing.T, f *fixture, n *node) []int64 {
	t.Helper()
	s := f.session([]*node{n}, sessionOpts{only: []*node{n}})
	iter := s.Query("SELECT k FROM ft.kv").Consistency(gocql.One).PageSize(5000).Iter()
	var out []int64
	var k int64
	for iter.Scan(&k) {
		out = append(out, k)
	}
	if err := iter.Close(); err != nil {
		t.Fatalf("SELECT k FROM ft.kv through %s alone: %v", n, err)
	}
	slices.Sort(out)
	return out
}

// TestRepairRestoresAReplica: node 3 misses 10,000 writes and 1,000
// deletes while down (no hints); wcdb admin repair on it brings it back:
// with nodes 1 and 2 then stopped, node 3 alone at ONE returns exactly the
// live rows.
func TestRepairRestoresAReplica(t *testing.T) {
	f := repairFixture(t, ports{cql: 24042, gossip: 24946, internode: 24000})
	f.startAll()
	n3 := f.nodes[2]
	live := missWritesAndDeletes(t, f, 10000, 0)

	start := time.Now()
	out, err := f.adminRepair(n3, 2*time.Minute, "ft")
	t.Logf("wcdb admin repair ft on node 3 (%v):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	// Node 3 lacked every partition: 9,000 live rows, 1,000 deleted ones.
	if !strings.Contains(out, "done") || !strings.Contains(out, " 10000 pulled") {
		t.Errorf("the repair's last line should say done and 10000 pulled (every partition node 3 missed)")
	}
	f.kill(f.nodes[0])
	f.kill(f.nodes[1])
	if got := aloneKeys(t, f, n3); !slices.Equal(got, live) {
		t.Fatalf("node 3 alone after the repair: %d rows, want the %d live ones", len(got), len(live))
	}
}

// TestRepairLosesAParticipant: node 2 is killed while node 3's repair
// pulls from it (node 2's streams slowed down): the repair fails with an
// error naming what failed, node 3's files are intact, and once node 2 is
// back a rerun completes; node 3 alone then holds exactly the live rows.
func TestRepairLosesAParticipant(t *testing.T) {
	f := repairFixture(t, ports{cql: 24043, gossip: 24947, internode: 24001})
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	live := missWritesAndDeletes(t, f, 3000, 1000)
	// Node 3 pulls each version from the first replica that has it:
	// slow both sources, so that the repair is still pulling when node
	// 2 goes.
	f.setStreamThroughput(64<<10, n1, n2)
	done := make(chan struct{})
	var out string
	var rerr error
	go func() {
		defer close(done)
		out, rerr = f.adminRepair(n3, 2*time.Minute, "-j", "2", "ft")
	}()
	pulling, _ := f.waitReceived(n3, nil, 1, true)
	if !pulling {
		t.Fatal("node 3's repair did not start pulling within 30s")
	}
	time.Sleep(500 * time.Millisecond)
	f.kill(n2)
	<-done
	t.Logf("repair with node 2 killed: %v\n%s", rerr, out)
	if rerr == nil {
		t.Fatal("the repair succeeded though a participant was killed in the middle")
	}
	if !strings.Contains(out, "failed") {
		t.Errorf("the repair's output does not say it failed")
	}
	f.kill(n3)
	verifySSTables(t, filepath.Join(f.dir, "node3"))
	f.start(n3)
	f.start(n2)
	f.waitView("every node to see the others up", 15*time.Second, f.nodes, f.nodes, true)
	f.setStreamThroughput(0, n1, n2)
	out, err := f.adminRepair(n3, 2*time.Minute, "ft")
	t.Logf("rerun:\n%s", out)
	if err != nil {
		t.Fatalf("rerun of the repair: %v", err)
	}
	f.kill(n1)
	f.kill(n2)
	if got := aloneKeys(t, f, n3); !slices.Equal(got, live) {
		t.Fatalf("node 3 alone after the rerun: %d rows, want the %d live ones", len(got), len(live))
	}
}
