package server

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/cluster"
	"wcdb/internal/testutil"
	"wcdb/ring"
)

// diskFullValue is key k's value: incompressible, so that the disk fills.
func diskFullValue(k int) []byte {
	r := rand.New(rand.NewPCG(uint64(k), 42))
	b := make([]byte, 8<<10)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestDiskFullStopsNode runs node 1 of a two-node cluster on an 8 MiB
// tmpfs, with the default policies (stop) and commit log sync (periodic),
// and writes through gocql until its disk is full: the ENOSPC is logged at
// ERROR, node 1's CQL port stops answering, node 2 sees it DOWN (and still
// NORMAL), and once the tmpfs is made larger and node 1 restarted, every
// acknowledged write reads back. With 1 MiB memtables an SSTable write
// (flush or compaction) mostly meets the full disk first (on a slow run,
// under the race detector say, the commit log may: either is accepted
// there); with memtables larger than the disk, the commit log does.
func TestDiskFullStopsNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes and fills a disk")
	}
	for _, tc := range []struct {
		name     string
		memtable ByteSize
		failure  []string // what the ERROR line names, one of
	}{
		{"sstables", 1 << 20, []string{"SSTable ", "commit log write failed"}},
		{"commitlog", 64 << 20, []string{"commit log write failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) { testDiskFull(t, tc.memtable, tc.failure) })
	}
}

func testDiskFull(t *testing.T, memtable ByteSize, failure []string) {
	small := testutil.MountTmpfs(t, "8m")
	root := t.TempDir()
	var n1, n2 *Node
	t.Cleanup(func() {
		for _, n := range []*Node{n2, n1} {
			if n != nil {
				n.Close()
			}
		}
	})
	start := func(cfg Config, log *slog.Logger) *Node {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n, err := Start(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	config1 := func(seeds ...string) Config {
		cfg := clusterConfig(root, 1, seeds...)
		cfg.DataDir = filepath.Join(small, "node1")
		cfg.CommitLog.Sync = "periodic"
		cfg.CommitLog.SegmentSize = 1 << 20
		cfg.Storage.MemtableFlushSize = memtable
		return cfg
	}
	var logs testutil.SyncBuffer
	n1 = start(config1(), slog.New(slog.NewTextHandler(&logs, nil)))
	n2 = start(clusterConfig(root, 2, n1.GossipAddr()), nil)
	for _, n := range []*Node{n1, n2} {
		waitFor(t, "the nodes to see each other", 10*time.Second, func() bool { return aliveOf(n) == 2 })
	}
	s := clusterSession(t, n1, gocql.One)
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v blob)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	// Write until node 1 stops.
	var next atomic.Int64
	var mu sync.Mutex
	var acked []int
	var failed atomic.Int64
	deadline := time.Now().Add(45 * time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !n1.Stopped() && time.Now().Before(deadline) {
				k := int(next.Add(1))
				if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, diskFullValue(k)).Exec(); err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				acked = append(acked, k)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if !n1.Stopped() {
		t.Fatalf("node 1 did not stop within 45 s (%d writes acknowledged, %d failed); its log:\n%s", len(acked), failed.Load(), logs.String())
	}
	t.Logf("node 1 stopped: %d writes acknowledged, %d failed", len(acked), failed.Load())

	var errLine string
	for _, l := range strings.Split(logs.String(), "\n") {
		named := slices.ContainsFunc(failure, func(f string) bool { return strings.Contains(l, f) })
		if strings.Contains(l, "level=ERROR") && named && strings.Contains(l, "no space left on device") && strings.Contains(l, small) {
			errLine = l
			break
		}
	}
	if errLine == "" {
		t.Fatalf("no ERROR line of %q with ENOSPC and a path on the tmpfs; log:\n%s", failure, logs.String())
	}
	t.Logf("logged: %s", errLine)
	waitFor(t, "node 1's CQL port to refuse connections", 15*time.Second, func() bool { return cqlRefused(n1) })
	id := ring.NodeID(n1.HostID())
	waitFor(t, "node 2 to see node 1 down", 10*time.Second, func() bool { return !n2.cl.Alive(id) })
	if info, _ := n2.cl.m.Load().Node(id); info.Status != cluster.StatusNormal {
		t.Fatalf("node 2 sees node 1 %s, want NORMAL (down, not left)", info.Status)
	}

	// Space back: the operator makes room, then restarts the node.
	if out, err := exec.Command("mount", "-o", "remount,size=256m", small).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	if err := n1.Close(); err != nil {
		t.Errorf("closing node 1 once its disk has room: %v", err)
	}
	n1 = nil
	n1 = start(config1(n2.GossipAddr()), nil)
	for _, n := range []*Node{n1, n2} {
		waitFor(t, "the nodes to see each other again", 15*time.Second, func() bool { return aliveOf(n) == 2 })
	}
	s2 := clusterSession(t, n1, gocql.One)
	onNode1 := 0
	for _, k := range acked {
		var v []byte
		if err := s2.Query("SELECT v FROM ks.t WHERE k = ?", k).Scan(&v); err != nil {
			t.Fatalf("acknowledged write %d: %v", k, err)
		}
		if !bytes.Equal(v, diskFullValue(k)) {
			t.Fatalf("acknowledged write %d: wrong value read", k)
		}
		if _, ok := localRead(t, n1, "ks", "t", k); ok {
			onNode1++
		}
	}
	if onNode1 == 0 {
		t.Fatalf("none of the %d acknowledged writes is on node 1", len(acked))
	}
	t.Logf("all %d acknowledged writes read back, %d of them on node 1", len(acked), onNode1)
}

// TestDiskFullIgnoreResumes: with commit_failure_policy ignore, a node
// whose commit log meets a full disk (an 8 MiB tmpfs) fails the writes and
// keeps serving; once the tmpfs is made larger, writes succeed again with
// no restart, and after one every acknowledged write reads back.
func TestDiskFullIgnoreResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a disk")
	}
	small := testutil.MountTmpfs(t, "8m")
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(small, "node")
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.CommitLog.FailurePolicy = "ignore"
	cfg.CommitLog.SegmentSize = 1 << 20
	cfg.Storage.MemtableFlushSize = 64 << 20 // the commit log fills the disk
	var logs testutil.SyncBuffer
	n, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n != nil {
			n.Close()
		}
	}()
	s := connect(t, n, "")
	defer s.Close()
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v blob)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var acked []int
	k := 0
	write := func() error {
		k++
		err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, diskFullValue(k)).Exec()
		if err == nil {
			acked = append(acked, k)
		}
		return err
	}
	var werr error
	for werr == nil {
		if k > 5000 {
			t.Fatal("the disk never filled")
		}
		werr = write()
	}
	t.Logf("write %d failed: %v", k, werr)
	if !strings.Contains(logs.String(), "commit log write failed") {
		t.Fatalf("no ERROR line for the commit log; log:\n%s", logs.String())
	}
	// Still full: writes keep failing, the node keeps serving.
	for range 3 {
		if err := write(); err == nil {
			t.Fatalf("a write succeeded with the disk still full")
		}
	}
	if n.Stopped() || cqlRefused(n) {
		t.Fatalf("with ignore the node stopped")
	}
	if out, err := exec.Command("mount", "-o", "remount,size=256m", small).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	for i := range 20 {
		if err := write(); err != nil {
			t.Fatalf("write %d after the disk got room: %v", i, err)
		}
	}
	s.Close()
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	n, err = Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2 := connect(t, n, "")
	defer s2.Close()
	for _, k := range acked {
		var v []byte
		if err := s2.Query("SELECT v FROM ks.t WHERE k = ?", k).Scan(&v); err != nil || !bytes.Equal(v, diskFullValue(k)) {
			t.Fatalf("acknowledged write %d: error %v, value right %v", k, err, bytes.Equal(v, diskFullValue(k)))
		}
	}
	t.Logf("all %d acknowledged writes read back", len(acked))
}
