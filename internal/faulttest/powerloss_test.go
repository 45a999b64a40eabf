package faulttest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/lazyfs"
	"wcdb/internal/vfs"
	"wcdb/sstable"
)

// powerLossFixture is n nodes whose data directories are on one lazy
// file system (internal/lazyfs): kill -9 then Crash is a power loss, of
// every node at once.
func powerLossFixture(t *testing.T, pt ports, n int, syncMode string, extraYAML ...string) (*fixture, *lazyfs.FS) {
	t.Helper()
	lfs, err := lazyfs.Mount(t.TempDir())
	if errors.Is(err, lazyfs.ErrNoFUSE) {
		t.Skipf("power-loss tests need FUSE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pt, loopback(n))
	if len(extraYAML) > 0 {
		cfg := filepath.Join(f.dir, "wcdb.yaml")
		if err := os.WriteFile(cfg, []byte(nodeConfig+strings.Join(extraYAML, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Registered after newFixture's cleanup, so run before it: the nodes
	// are killed before the file system goes.
	t.Cleanup(func() {
		for _, n := range f.nodes {
			if n.p != nil {
				f.kill(n)
			}
		}
		if err := lfs.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", lfs.Dir(), err)
		}
	})
	for _, nd := range f.nodes {
		for i, a := range nd.args {
			switch a {
			case "--data-dir":
				nd.args[i+1] = filepath.Join(lfs.Dir(), fmt.Sprintf("node%d", nd.i))
			case "--commitlog-sync":
				nd.args[i+1] = syncMode
			}
		}
	}
	return f, lfs
}

// powerLoss kills the nodes with SIGKILL, all at once, and drops what
// their file system had not synced.
func powerLoss(t *testing.T, f *fixture, lfs *lazyfs.FS) {
	t.Helper()
	for _, n := range f.nodes {
		if err := n.p.cmd.Process.Kill(); err != nil {
			t.Fatalf("killing %s: %v", n, err)
		}
	}
	for _, n := range f.nodes {
		<-n.p.exited
		n.p = nil
	}
	if err := lfs.Crash(false, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.nodes {
		fmt.Fprintf(n.log, "=== %s: power loss\n", time.Now().Format("15:04:05.000"))
	}
}

// TestPowerLossFirstStart: a node that loses power right after its first
// start (its host id, state file and system tables barely written) starts
// again, as itself.
func TestPowerLossFirstStart(t *testing.T) {
	f, lfs := powerLossFixture(t, ports{cql: 23042, gossip: 23946, internode: 23000}, 1, "periodic")
	n := f.nodes[0]
	f.start(n)
	id := f.hostID(n)
	powerLoss(t, f, lfs)
	f.start(n)
	if got := f.hostID(n); got != id {
		t.Fatalf("host id %s after the power loss, %s before", got, id)
	}
}

// TestPowerLossKeepsAcknowledged: schema changes survive a power loss in
// every commit-log mode, and so do the rows acknowledged in batch and
// group modes; in periodic mode rows may be lost, but the node starts.
func TestPowerLossKeepsAcknowledged(t *testing.T) {
	for i, mode := range []string{"periodic", "batch", "group"} {
		t.Run(mode, func(t *testing.T) {
			f, lfs := powerLossFixture(t, ports{cql: 23043 + i, gossip: 23947 + i, internode: 23001 + i}, 1, mode)
			n := f.nodes[0]
			f.start(n)
			s := f.session([]*node{n}, sessionOpts{})
			createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
			if err := s.Query("ALTER TABLE ft.kv ADD w int").Exec(); err != nil {
				t.Fatal(err)
			}
			const rows = 300
			for k := range rows {
				if err := s.Query("INSERT INTO ft.kv (k, v) VALUES (?, ?)", k, fmt.Sprint("v", k)).Exec(); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			powerLoss(t, f, lfs)
			f.start(n)
			s = f.session([]*node{n}, sessionOpts{})
			var w *int
			if err := s.Query("SELECT w FROM ft.kv WHERE k = 0").Scan(&w); err != nil && mode != "periodic" {
				t.Fatalf("after the power loss: %v", err)
			}
			// The schema: the table and the column ALTER added.
			if err := s.Query("SELECT k, v, w FROM ft.kv LIMIT 1").Exec(); err != nil {
				t.Fatalf("the schema changes did not survive the power loss: %v", err)
			}
			var count int
			if err := s.Query("SELECT count(*) FROM ft.kv").Scan(&count); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d of %d acknowledged rows after the power loss", mode, count, rows)
			verifySSTables(t, lfs.Dir())
			if mode != "periodic" && count != rows {
				t.Fatalf("%s: %d of %d acknowledged rows after the power loss", mode, count, rows)
			}
		})
	}
}

// TestPowerLossCluster: three nodes lose power at once under a QUORUM
// write load (group sync); once they are back, every acknowledged write
// is there.
func TestPowerLossCluster(t *testing.T) {
	f, lfs := powerLossFixture(t, ports{cql: 23050, gossip: 23950, internode: 23010}, 3, "group")
	f.startAll()
	s := f.session(f.nodes, sessionOpts{})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 3}")
	h := &history{}
	var ws []*writer
	for range 4 {
		ws = append(ws, h.writer(s, gocql.Quorum))
	}
	l := run(time.Millisecond, ws...)
	time.Sleep(3 * time.Second)
	powerLoss(t, f, lfs)
	l.stop()
	s.Close()
	f.startAll()
	s = f.session(f.nodes, sessionOpts{})
	ops := h.pick(nil)
	t.Logf("before the power loss: %s", describe(ops))
	verify(t, s, gocql.All, "after all nodes lost power", ops)
	verifySSTables(t, lfs.Dir())
}

// verifySSTables checks every SSTable under dir with the SSTable verifier
// (checksums, index, bloom filter, order): a power loss must not leave a
// damaged file live, nor a damaged file that a start would open.
func verifySSTables(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".sst" {
			return err
		}
		r, err := sstable.Open(vfs.Default, path, sstable.ReaderOptions{})
		if err != nil {
			return err
		}
		defer r.Close()
		n++
		return r.Verify()
	})
	if err != nil {
		t.Fatalf("after the power loss: %v", err)
	}
	t.Logf("%d SSTables verified", n)
}

// smallMemtables makes a node flush every few hundred writes and compact
// every few flushes, so that a power loss under load falls in the middle
// of both.
const smallMemtables = "storage:\n  memtable_flush_size: 1MiB\n"

// TestPowerLossUnderLoad: a node in batch mode loses power three times
// under a write load while it flushes, compacts and takes schema changes;
// after each, every acknowledged write and schema change is there, and
// every SSTable passes the verifier.
func TestPowerLossUnderLoad(t *testing.T) {
	f, lfs := powerLossFixture(t, ports{cql: 23060, gossip: 23960, internode: 23020}, 1, "batch", smallMemtables)
	n := f.nodes[0]
	f.start(n)
	s := f.session([]*node{n}, sessionOpts{})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	h := &history{}
	var tables []string // created and acknowledged
	for round := range 3 {
		l := run(time.Millisecond, h.writerTo(s, gocql.One, "ft.kv", 4000), h.writerTo(s, gocql.One, "ft.kv", 4000))
		var ddl sync.WaitGroup
		ddlStop := make(chan struct{})
		ddl.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-ddlStop:
					return
				default:
				}
				name := fmt.Sprintf("ft.t%d_%d", round, i)
				if err := s.Query("CREATE TABLE " + name + " (k int PRIMARY KEY, v text)").Exec(); err == nil {
					tables = append(tables, name)
				}
				time.Sleep(300 * time.Millisecond)
			}
		})
		// Enough volume for flushes (4 KiB values, 1 MiB memtables),
		// whatever the machine's speed; the loss then falls at a
		// different point of the flush and compaction cycle each round.
		okBefore := len(h.pick(func(o *op) bool { return o.res == ok }))
		waitUntil(20*time.Second, 10*time.Millisecond, func() bool {
			return len(h.pick(func(o *op) bool { return o.res == ok })) >= okBefore+300+round*70
		})
		powerLoss(t, f, lfs)
		l.stop()
		close(ddlStop)
		ddl.Wait()
		s.Close()
		f.start(n)
		s = f.session([]*node{n}, sessionOpts{})
		ops := h.pick(nil)
		t.Logf("round %d: %s; %d tables created", round+1, describe(ops), len(tables))
		verify(t, s, gocql.One, fmt.Sprintf("after power loss %d", round+1), ops)
		for _, name := range tables {
			if err := s.Query("SELECT k FROM " + name + " LIMIT 1").Exec(); err != nil {
				t.Fatalf("acknowledged CREATE TABLE %s lost: %v", name, err)
			}
		}
		verifySSTables(t, lfs.Dir())
	}
	// How many compactions the losses fell among (timing decides).
	t.Logf("%d compactions during the load", strings.Count(n.log.String(), "storage: compacted"))
}

// TestPowerLossPeriodicBound: in periodic mode a power loss may lose the
// writes of the last sync period, never older ones.
func TestPowerLossPeriodicBound(t *testing.T) {
	const period = 200 * time.Millisecond
	f, lfs := powerLossFixture(t, ports{cql: 23061, gossip: 23961, internode: 23021}, 1, "periodic",
		fmt.Sprintf("commitlog:\n  sync_period: %v\n", period), smallMemtables)
	n := f.nodes[0]
	f.start(n)
	s := f.session([]*node{n}, sessionOpts{})
	createSchema(t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	h := &history{}
	l := run(time.Millisecond, h.writer(s, gocql.One), h.writer(s, gocql.One))
	time.Sleep(3500 * time.Millisecond)
	tLoss := time.Now()
	powerLoss(t, f, lfs)
	l.stop()
	s.Close()
	f.start(n)
	s = f.session([]*node{n}, sessionOpts{})
	// Acknowledged a period before the power went, and a margin for the
	// fsync itself on a busy machine: synced by then.
	const margin = 1500 * time.Millisecond
	old := h.pick(all(at(gocql.One), endedBy(tLoss.Add(-period-margin))))
	t.Logf("%s; %d acknowledged more than %v before the loss", describe(h.pick(nil)), len(old), period+margin)
	if len(old) == 0 {
		t.Fatal("no write old enough to check")
	}
	verify(t, s, gocql.One, "older than the sync period", old)
	verifySSTables(t, lfs.Dir())
}
