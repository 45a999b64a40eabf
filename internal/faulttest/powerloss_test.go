package faulttest

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"wcdb/internal/lazyfs"
)

// powerLossFixture is one node whose data directory is on a lazy file
// system (internal/lazyfs): kill -9 then Crash is a power loss.
func powerLossFixture(t *testing.T, pt ports, syncMode string) (*fixture, *node, *lazyfs.FS) {
	t.Helper()
	lfs, err := lazyfs.Mount(t.TempDir())
	if errors.Is(err, lazyfs.ErrNoFUSE) {
		t.Skipf("power-loss tests need FUSE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pt, loopback(1))
	// Registered after newFixture's cleanup, so run before it: the node
	// is killed before the file system goes.
	t.Cleanup(func() {
		n := f.nodes[0]
		if n.p != nil {
			f.kill(n)
		}
		if err := lfs.Unmount(); err != nil {
			t.Errorf("unmount %s: %v", lfs.Dir(), err)
		}
	})
	n := f.nodes[0]
	for i, a := range n.args {
		switch a {
		case "--data-dir":
			n.args[i+1] = filepath.Join(lfs.Dir(), "node1")
		case "--commitlog-sync":
			n.args[i+1] = syncMode
		}
	}
	return f, n, lfs
}

// powerLoss kills the node with SIGKILL and drops what its file system
// had not synced.
func powerLoss(t *testing.T, f *fixture, n *node, lfs *lazyfs.FS) {
	t.Helper()
	f.kill(n)
	if err := lfs.Crash(false, nil); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(n.log, "=== %s: power loss\n", time.Now().Format("15:04:05.000"))
}

// TestPowerLossFirstStart: a node that loses power right after its first
// start (its host id, state file and system tables barely written) starts
// again, as itself.
func TestPowerLossFirstStart(t *testing.T) {
	f, n, lfs := powerLossFixture(t, ports{cql: 23042, gossip: 23946, internode: 23000}, "periodic")
	f.start(n)
	id := f.hostID(n)
	powerLoss(t, f, n, lfs)
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
			f, n, lfs := powerLossFixture(t, ports{cql: 23043 + i, gossip: 23947 + i, internode: 23001 + i}, mode)
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
			powerLoss(t, f, n, lfs)
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
			if mode != "periodic" && count != rows {
				t.Fatalf("%s: %d of %d acknowledged rows after the power loss", mode, count, rows)
			}
		})
	}
}
