package faulttest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
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
func powerLossFixture(t *testing.T, pt ports, n int, syncMode string) (*fixture, *lazyfs.FS) {
	t.Helper()
	lfs, err := lazyfs.Mount(t.TempDir())
	if errors.Is(err, lazyfs.ErrNoFUSE) {
		t.Skipf("power-loss tests need FUSE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pt, loopback(n))
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
