package faulttest

// Power losses: the nodes' data directories are on one lazy file system
// (internal/lazyfs), which keeps apart what a power loss would keep and
// what it would lose. A run freezes the disk at a chosen moment, kills
// every node with SIGKILL, drops what was not synced, starts the nodes
// again and checks what their sync mode promises: every acknowledged
// schema change in every mode; every acknowledged write in batch and
// group modes, and in periodic mode every write acknowledged a sync
// period (and a margin) before the loss; and every SSTable passes the
// verifier. The matrix of moments and modes is in powermatrix_test.go.

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/lazyfs"
	"wcdb/internal/vfs"
	"wcdb/sstable"
)

// Periodic mode in the power-loss runs: a short sync period, so that a
// run of a few seconds has writes old enough to be owed; the margin
// allows for the fsync itself on a busy machine.
const (
	periodicSync   = 200 * time.Millisecond
	periodicMargin = 1500 * time.Millisecond
)

// smallMemtables makes a node flush every few hundred writes and compact
// every few flushes, so that a power loss under load falls among both.
const smallMemtables = "storage:\n  memtable_flush_size: 1MiB\n"

// plRun is one power-loss run: its nodes, its file system, what the
// clients were told, and the figures for the matrix.
type plRun struct {
	t    *testing.T
	f    *fixture
	lfs  *lazyfs.FS
	mode string // commit-log sync mode
	torn bool   // crashes keep a random part of unsynced appends
	rng  *rand.Rand
	h    history
	ddl  ddlLog

	tLoss time.Time // when the disk froze
	marks []int     // each node's log length at its last start
	res   tally
	// What earlier checks counted: writes, acknowledged schema changes.
	checkedOps, checkedDDL int
}

// newPLRun prepares n nodes (not started) whose data directories are on
// one lazy file system, in sync mode mode, with extra YAML appended to
// their configuration.
func newPLRun(t *testing.T, pt ports, n int, mode string, torn bool, seed uint64, extraYAML ...string) *plRun {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs wcdb processes")
	}
	lfs, err := lazyfs.Mount(t.TempDir())
	if errors.Is(err, lazyfs.ErrNoFUSE) {
		t.Skipf("power-loss tests need FUSE: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, pt, loopback(n))
	if mode == "periodic" {
		extraYAML = append(extraYAML, fmt.Sprintf("commitlog:\n  sync_period: %v\n", periodicSync))
	}
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
				n.p.cmd.Process.Kill()
			}
		}
		lfs.Cut() // a node blocked at a freeze can exit
		for _, n := range f.nodes {
			if n.p != nil {
				<-n.p.exited
				n.p = nil
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
				nd.args[i+1] = mode
			}
		}
	}
	t.Logf("sync mode %s, torn crashes %v, seed %d", mode, torn, seed)
	return &plRun{t: t, f: f, lfs: lfs, mode: mode, torn: torn, rng: rand.New(rand.NewPCG(seed, 0)),
		marks: make([]int, n)}
}

// start starts the nodes given (all if none) and marks where their logs
// of this life begin.
func (r *plRun) start(ns ...*node) {
	r.t.Helper()
	if len(ns) == 0 {
		ns = r.f.nodes
	}
	for _, n := range ns {
		r.marks[n.i-1] = n.log.len()
	}
	if len(ns) == 1 {
		r.f.start(ns[0])
		return
	}
	r.f.startNodes(ns...)
}

// life returns what n printed since its last start.
func (r *plRun) life(n *node) string { return n.log.since(r.marks[n.i-1]) }

// loss is the power loss: the disk takes after more changes and then
// none, every running node is then killed with SIGKILL, and what was not
// synced is dropped (with torn, a random part of unsynced appends is
// kept).
func (r *plRun) loss(after int) {
	r.t.Helper()
	r.lfs.Freeze(after)
	if after > 0 {
		// The loss comes once the disk has taken those changes and
		// refused one (bounded: an idle node changes nothing).
		waitUntil(2*time.Second, time.Millisecond, func() bool { return r.lfs.Held() > 0 })
	}
	r.tLoss = time.Now()
	var killed []*node
	for _, n := range r.f.nodes {
		if n.p == nil {
			continue
		}
		if err := n.p.cmd.Process.Kill(); err != nil {
			r.t.Fatalf("killing %s: %v", n, err)
		}
		killed = append(killed, n)
	}
	r.lfs.Cut()
	for _, n := range killed {
		<-n.p.exited
		n.p = nil
		fmt.Fprintf(n.log, "=== %s: power loss\n", time.Now().Format("15:04:05.000"))
	}
	held := r.lfs.Held()
	if err := r.lfs.Crash(r.torn, r.rng); err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("power loss (the disk froze after %d more changes; %d changes held back)", after, held)
	// What the loss left, before a start changes it (a running node
	// compacts and deletes files under a walk).
	verifySSTables(r.t, r.lfs.Dir())
}

// owe lets a periodic-mode run go on until it owes writes: until the
// first acknowledged write of this life is a sync period and the margin
// old.
func (r *plRun) owe() {
	if r.mode != "periodic" {
		return
	}
	waitUntil(30*time.Second, 10*time.Millisecond, func() bool {
		old := endedBy(time.Now().Add(-periodicSync - periodicMargin - 100*time.Millisecond))
		for _, o := range r.h.pick(nil)[r.checkedOps:] { // this life's
			if o.res == ok && old(o) {
				return true
			}
		}
		return false
	})
}

// check reads back, at cl, every write the clients made and every schema
// change they were told of (loss verified the SSTables), and adds the figures
// of the writes and schema changes since the previous check to the run's
// tally. Batch and group modes owe every acknowledged write, of this life
// and the earlier ones; periodic mode the writes of this life acknowledged
// a sync period and a margin before the loss. Every mode owes every
// acknowledged schema change.
func (r *plRun) check(s *gocql.Session, cl gocql.Consistency) {
	r.t.Helper()
	ops := r.h.pick(nil) // in order of completion: earlier lives first
	life := ops[r.checkedOps:]
	r.checkedOps = len(ops)
	var okOps []*op
	for _, o := range life {
		if o.res == ok {
			okOps = append(okOps, o)
		}
	}
	r.res.acked += len(okOps)
	if r.mode != "periodic" {
		// Every acknowledged write is owed, of this life and the earlier
		// ones (a run fails on the first loss: counting all adds none).
		lost := verify(r.t, s, cl, "after the power loss", ops)
		r.res.lost += lost
		r.t.Logf("%s: %d acknowledged writes lost", describe(life), lost)
	} else {
		lost := missing(s, cl, okOps)
		r.res.lost += lost
		r.t.Logf("%s: %d of %d acknowledged writes lost", describe(life), lost, len(okOps))
		var owed []*op
		for _, o := range life {
			if endedBy(r.tLoss.Add(-periodicSync - periodicMargin))(o) {
				owed = append(owed, o)
			}
		}
		r.t.Logf("periodic: %d writes acknowledged more than %v before the loss", len(owed), periodicSync+periodicMargin)
		verify(r.t, s, cl, "after the power loss, acknowledged before the sync period", owed)
	}
	acked, lostDDL := r.ddl.check(r.t, s)
	r.res.ddlAcked += acked - r.checkedDDL
	r.checkedDDL = acked
	r.res.ddlLost += lostDDL
}

// verifySSTables checks every SSTable under dir with the SSTable verifier
// (checksums, index, bloom filter, order): a power loss must not leave a
// damaged file live, nor a damaged file that a start would open. No node
// may be running on dir.
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

// ddlOp is one schema change a client made.
type ddlOp struct {
	kind  string // "create", "alter" (ADD c int), "drop"
	table string
	res   outcome
}

// ddlLog records schema changes and checks them after a loss.
type ddlLog struct {
	ops []ddlOp // appended by one goroutine at a time
}

// exec runs one schema change and records it.
func (d *ddlLog) exec(s *gocql.Session, kind, table string) error {
	var stmt string
	switch kind {
	case "create":
		stmt = "CREATE TABLE " + table + " (k bigint PRIMARY KEY, v text)"
	case "alter":
		stmt = "ALTER TABLE " + table + " ADD c int"
	case "drop":
		stmt = "DROP TABLE " + table
	}
	err := s.Query(stmt).Exec()
	d.ops = append(d.ops, ddlOp{kind: kind, table: table, res: classify(err)})
	return err
}

// check returns how many schema changes were acknowledged and how many of
// those the schema no longer shows: an acknowledged CREATE's table exists
// unless a DROP of it was tried, an acknowledged ALTER's column exists
// unless a DROP was tried, an acknowledged DROP's table does not exist.
func (d *ddlLog) check(t *testing.T, s *gocql.Session) (acked, lost int) {
	t.Helper()
	dropTried := map[string]bool{}
	for _, o := range d.ops {
		if o.kind == "drop" && o.res != failed {
			dropTried[o.table] = true
		}
	}
	for _, o := range d.ops {
		if o.res != ok {
			continue
		}
		acked++
		var err error
		switch o.kind {
		case "create":
			err = s.Query("SELECT k FROM " + o.table + " LIMIT 1").Exec()
		case "alter":
			err = s.Query("SELECT c FROM " + o.table + " LIMIT 1").Exec()
		case "drop":
			if s.Query("SELECT k FROM "+o.table+" LIMIT 1").Exec() == nil {
				err = errors.New("the table is still there")
			}
		}
		if err != nil && (o.kind == "drop" || !dropTried[o.table]) {
			lost++
			t.Errorf("acknowledged %s of %s lost in the power loss: %v", strings.ToUpper(o.kind), o.table, err)
		}
	}
	t.Logf("%d acknowledged schema changes, %d lost", acked, lost)
	return acked, lost
}
