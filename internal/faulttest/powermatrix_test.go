package faulttest

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// fullMatrix (WCDB_POWERLOSS_FULL=1) runs every cell of the power-loss
// matrix three times, the second with torn crashes, and the cluster-wide
// moments in every sync mode. Without it, CI's default, every single-node
// moment runs once in each mode and the cluster-wide ones in group mode.
var fullMatrix = os.Getenv("WCDB_POWERLOSS_FULL") != ""

var syncModes = []string{"batch", "group", "periodic"}

// matrixSeed returns the seed of the matrix's runs: each run's is
// seed+i, i its place in the matrix, unless WCDB_POWERMATRIX_SEED=N is
// set, which gives every run the seed N (a failing run logs "seed N"; run
// its cell alone with that value to replay its random choices).
func matrixSeed(t *testing.T) (seed uint64, fixed bool) {
	t.Helper()
	v := os.Getenv("WCDB_POWERMATRIX_SEED")
	if v == "" {
		return uint64(time.Now().UnixNano()), false
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("WCDB_POWERMATRIX_SEED=%q: want an unsigned integer: %v", v, err)
	}
	return seed, true
}

// tally is one cell of the matrix: runs, how many of them lost power at
// the moment aimed at (for targeted moments), acknowledged writes and
// schema changes, and how many of each were lost.
type tally struct {
	runs, hits, targeted int
	acked, lost          int
	ddlAcked, ddlLost    int
}

func (a *tally) add(b tally) {
	a.runs += b.runs
	a.hits += b.hits
	a.targeted += b.targeted
	a.acked += b.acked
	a.lost += b.lost
	a.ddlAcked += b.ddlAcked
	a.ddlLost += b.ddlLost
}

// matrixReport gathers the cells, by moment and mode.
type matrixReport struct {
	mu      sync.Mutex
	cells   map[[2]string]*tally
	moments []string
}

func (m *matrixReport) add(moment, mode string, t tally) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cells == nil {
		m.cells = map[[2]string]*tally{}
	}
	k := [2]string{moment, mode}
	if m.cells[k] == nil {
		m.cells[k] = &tally{}
		if !slices.Contains(m.moments, moment) {
			m.moments = append(m.moments, moment)
		}
	}
	m.cells[k].add(t)
}

// table renders the matrix in Markdown.
func (m *matrixReport) table() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("| moment | mode | runs | at the moment | acknowledged writes | lost | acknowledged DDL | lost |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, mo := range m.moments {
		for _, mode := range syncModes {
			c := m.cells[[2]string{mo, mode}]
			if c == nil {
				continue
			}
			hit := "—"
			if c.targeted > 0 {
				hit = fmt.Sprintf("%d of %d", c.hits, c.targeted)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %d | %d | %d |\n", mo, mode, c.runs, hit, c.acked, c.lost, c.ddlAcked, c.ddlLost)
		}
	}
	return b.String()
}

// moment is one kind of power loss: what the node is doing when it
// happens.
type moment struct {
	name  string
	nodes int
	yaml  []string
	torn  bool     // always torn crashes
	modes []string // in CI (all modes with WCDB_POWERLOSS_FULL)
	run   func(r *plRun)
}

var moments = []moment{
	{name: "first start", nodes: 1, run: lossAtFirstStart},
	{name: "idle after writes and DDL", nodes: 1, run: lossWhenIdle},
	{name: "during a flush", nodes: 1, yaml: []string{smallMemtables}, run: lossDuringFlush},
	{name: "during a compaction", nodes: 1, yaml: []string{smallMemtables}, run: lossDuringCompaction},
	{name: "during schema changes", nodes: 1, run: lossDuringSchemaChanges},
	{name: "under load, torn tails", nodes: 1, yaml: []string{smallMemtables}, torn: true, run: lossUnderLoad},
	{name: "three losses in a row", nodes: 1, yaml: []string{smallMemtables}, run: lossesInARow},
	{name: "lightweight transactions", nodes: 1, run: lossDuringLWT},
	{name: "3 nodes, QUORUM load", nodes: 3, modes: []string{"group"}, run: lossOfCluster},
	{name: "during a join's streaming", nodes: 4, modes: []string{"group"}, run: lossDuringJoin},
}

// TestPowerLossMatrix loses power at each moment in each sync mode (see
// fullMatrix) and logs the matrix: runs, acknowledged writes and schema
// changes, and what was lost. Each run logs its seed, which drives its
// random choices (when the loss comes, how much a join streams first,
// what a torn crash keeps); WCDB_POWERMATRIX_SEED=N (see matrixSeed)
// replays them, though not the timing of the nodes and clients:
//
//	WCDB_POWERMATRIX_SEED=N go test ./internal/faulttest -count=1 -v \
//		-run "TestPowerLossMatrix/during_a_join's_streaming/group"
func TestPowerLossMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs wcdb processes")
	}
	rep := &matrixReport{}
	rounds := 1
	if fullMatrix {
		rounds = 3
	}
	idx := 0
	seed, fixed := matrixSeed(t)
	if fixed {
		t.Logf("every run's seed is %d (WCDB_POWERMATRIX_SEED)", seed)
	} else {
		t.Logf("run i's seed is %d+i (set WCDB_POWERMATRIX_SEED to a run's seed to replay it)", seed)
	}
	for _, mo := range moments {
		modes := mo.modes
		if modes == nil || fullMatrix {
			modes = syncModes
		}
		for _, mode := range modes {
			for round := range rounds {
				pt := ports{cql: 23100 + idx, gossip: 23300 + idx, internode: 23500 + idx}
				idx++
				torn := mo.torn || round == 1
				name := strings.ReplaceAll(mo.name, " ", "_") + "/" + mode
				if rounds > 1 {
					name += fmt.Sprint("/", round+1)
				}
				runSeed := seed
				if !fixed {
					runSeed += uint64(idx)
				}
				t.Run(name, func(t *testing.T) {
					r := newPLRun(t, pt, mo.nodes, mode, torn, runSeed, mo.yaml...)
					mo.run(r)
					r.res.runs = 1
					rep.add(mo.name, mode, r.res)
				})
			}
		}
	}
	t.Logf("the power-loss matrix:\n%s", rep.table())
}

// lossAtFirstStart: a node loses power right after its first start, its
// host id, state file and system tables barely written; it starts again,
// as itself.
func lossAtFirstStart(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	id := r.f.hostID(n)
	r.loss(0)
	r.start(n)
	if got := r.f.hostID(n); got != id {
		r.t.Fatalf("host id %s after the power loss, %s before", got, id)
	}
	s := r.f.session([]*node{n}, sessionOpts{})
	r.check(s, gocql.One)
}

// lossWhenIdle: keyspace, table, ALTER and 300 rows written one after the
// other, then the loss with nothing in flight.
func lossWhenIdle(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	createSchema(r.t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	if err := r.ddl.exec(s, "alter", "ft.kv"); err != nil {
		r.t.Fatal(err)
	}
	w := r.h.writer(s, gocql.One)
	for range 300 {
		w.write()
	}
	r.owe()
	r.loss(0)
	r.start(n)
	r.check(r.f.session([]*node{n}, sessionOpts{}), gocql.One)
}

// The log lines that mark a flush and a compaction (storage's; the log
// quotes its messages, so the quotes around a table's name are escaped).
var (
	flushStart = regexp.MustCompile(`storage: flushing table \\?"(\w+)\\?": \d+ partitions, \d{6,} bytes of memtable to (\d+\.sst)`)
	compStart  = regexp.MustCompile(`storage: compacting \d+ files \(\d+ bytes\) of table \\?"(\w+)\\?"`)
)

// lossDuringFlush: under a write load, the disk freezes a few changes
// after a flush of a table starts (a random number, so that the loss
// falls at another point of the flush each time).
func lossDuringFlush(r *plRun) {
	lossAtLogLine(r, flushStart, func(life string, m []string) bool {
		done := regexp.MustCompile(`storage: flushed table \\?"` + m[1] + `\\?" to ` + regexp.QuoteMeta(m[2]))
		return !done.MatchString(life)
	})
}

// lossDuringCompaction: as lossDuringFlush, a few changes after a
// compaction starts.
func lossDuringCompaction(r *plRun) {
	lossAtLogLine(r, compStart, func(life string, m []string) bool {
		return strings.Count(life, "storage: compacting ") > strings.Count(life, "storage: compacted ")
	})
}

// lossAtLogLine runs a write load on one node until it prints a line
// matching re, then loses power a random few changes later; unfinished
// says, from the node's log of that life and the line's submatches,
// whether the work the line announced was cut short.
func lossAtLogLine(r *plRun, re *regexp.Regexp, unfinished func(life string, m []string) bool) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	createSchema(r.t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	l := run(time.Millisecond, r.h.writerTo(s, gocql.One, "ft.kv", 4000), r.h.writerTo(s, gocql.One, "ft.kv", 4000))
	r.owe()
	seen := n.log.await(re)
	var line string
	select {
	case line = <-seen:
	case <-time.After(60 * time.Second):
		l.stop()
		r.t.Fatalf("no line matching %q within 60s", re)
	}
	r.loss(r.rng.IntN(20))
	l.stop()
	r.res.targeted = 1
	if unfinished(r.life(n), re.FindStringSubmatch(line)) {
		r.res.hits = 1
	}
	r.t.Logf("the loss came after %q; the work it announced was cut short: %v", line, r.res.hits == 1)
	r.start(n)
	r.check(r.f.session([]*node{n}, sessionOpts{}), gocql.One)
}

// lossDuringSchemaChanges: a client creates, alters and drops tables one
// after the other while another writes rows; the disk freezes in the
// middle of one schema change (it never stops) after a random number of
// them.
func lossDuringSchemaChanges(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	createSchema(r.t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	l := run(time.Millisecond, r.h.writer(s, gocql.One))
	stop := make(chan struct{})
	done := make(chan struct{})
	reached := make(chan struct{})
	want := 4 + r.rng.IntN(8)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			name := fmt.Sprintf("ft.s%d", i)
			for _, kind := range []string{"create", "alter"} {
				select {
				case <-stop:
					return
				default:
				}
				if r.ddl.exec(s, kind, name) != nil {
					return
				}
			}
			if i >= 2 && i%2 == 0 {
				if r.ddl.exec(s, "drop", fmt.Sprintf("ft.s%d", i-2)) != nil {
					return
				}
			}
			if i == want {
				close(reached)
			}
		}
	}()
	select {
	case <-reached:
	case <-done:
		r.t.Fatalf("schema changes failed before the loss: %+v", r.ddl.ops[len(r.ddl.ops)-1])
	}
	r.owe()
	r.loss(r.rng.IntN(20))
	close(stop)
	<-done
	l.stop()
	r.start(n)
	r.check(r.f.session([]*node{n}, sessionOpts{}), gocql.One)
}

// lossUnderLoad: two writers and a client creating tables, among flushes
// and compactions (small memtables), the loss after a random volume.
func lossUnderLoad(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	createSchema(r.t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	loadThenLoss(r, n, s, 0)
	r.start(n)
	r.check(r.f.session([]*node{n}, sessionOpts{}), gocql.One)
}

// lossesInARow: lossUnderLoad three times over on the same node, each
// life starting from what the previous loss left (its replayed commit
// log, its flushed and half-written files).
func lossesInARow(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	createSchema(r.t, s, "{'class': 'SimpleStrategy', 'replication_factor': 1}")
	for round := range 3 {
		loadThenLoss(r, n, s, round)
		r.start(n)
		s = r.f.session([]*node{n}, sessionOpts{})
		r.check(s, gocql.One)
	}
}

// loadThenLoss runs the load of lossUnderLoad on n through s until a
// random volume is acknowledged, then loses power.
func loadThenLoss(r *plRun, n *node, s *gocql.Session, round int) {
	l := run(time.Millisecond, r.h.writerTo(s, gocql.One, "ft.kv", 4000), r.h.writerTo(s, gocql.One, "ft.kv", 4000))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			if r.ddl.exec(s, "create", fmt.Sprintf("ft.t%d_%d", round, i)) != nil {
				return
			}
		}
	}()
	// Enough volume for flushes (4 KiB values, 1 MiB memtables) whatever
	// the machine's speed.
	acked := func() int { return len(r.h.pick(func(o *op) bool { return o.res == ok })) }
	want := acked() + 300 + r.rng.IntN(600)
	waitUntil(60*time.Second, 10*time.Millisecond, func() bool { return acked() >= want })
	r.owe()
	r.loss(r.rng.IntN(40))
	close(stop)
	<-done
	l.stop()
	r.t.Logf("%d flushes and %d compactions before the loss", strings.Count(r.life(n), "storage: flushed "),
		strings.Count(r.life(n), "storage: compacted "))
}

// lossDuringLWT: four clients compare-and-set increments on keys of their
// own, then the loss at a random point among them. A transaction's
// promise, accept and commit are synced before the node answers, in every
// sync mode, periodic included: after the restart every key holds at
// least the value of its last acknowledged increment, and at most one
// more (the increment in flight at the loss).
func lossDuringLWT(r *plRun) {
	n := r.f.nodes[0]
	r.start(n)
	s := r.f.session([]*node{n}, sessionOpts{})
	for _, stmt := range []string{
		"CREATE KEYSPACE lwt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE lwt.reg (k int PRIMARY KEY, v int)",
	} {
		if err := s.Query(stmt).Exec(); err != nil {
			r.t.Fatal(err)
		}
	}
	const clients = 4
	var acked [clients]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := s.Query("UPDATE lwt.reg SET v = ? WHERE k = ? IF v = ?", v+1, k, v)
				if v == 0 {
					q = s.Query("INSERT INTO lwt.reg (k, v) VALUES (?, 1) IF NOT EXISTS", k)
				}
				applied, err := q.SerialConsistency(gocql.Serial).ScanCAS(nil)
				if err != nil {
					return // the loss
				}
				if !applied {
					r.t.Errorf("key %d: the increment from %d did not apply, with no other writer", k, v)
					return
				}
				v++
				acked[k].Store(int64(v))
			}
		}()
	}
	waitUntil(30*time.Second, 10*time.Millisecond, func() bool {
		for k := range clients {
			if acked[k].Load() < 50 {
				return false
			}
		}
		return true
	})
	r.loss(r.rng.IntN(20))
	close(stop)
	wg.Wait()
	r.start(n)
	s = r.f.session([]*node{n}, sessionOpts{})
	total := 0
	for k := range clients {
		var v int
		if err := s.Query("SELECT v FROM lwt.reg WHERE k = ?", k).Consistency(gocql.Consistency(gocql.Serial)).Scan(&v); err != nil {
			r.t.Fatalf("key %d after the loss: %v", k, err)
		}
		a := acked[k].Load()
		total += int(a)
		if int64(v) < a {
			r.t.Errorf("key %d holds %d after the loss; increments up to %d were acknowledged", k, v, a)
			r.res.lost += int(a) - v
		} else if int64(v) > a+1 {
			r.t.Errorf("key %d holds %d after the loss, above the %d acknowledged and one in flight", k, v, a)
		}
	}
	r.res.acked += total
	r.t.Logf("%d acknowledged increments on %d keys", total, clients)
}
