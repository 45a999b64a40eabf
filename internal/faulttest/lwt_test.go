package faulttest

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/gocql/gocql"
)

// Lightweight transactions under faults, checked for linearizability with
// Porcupine: clients read a register at SERIAL and compare-and-set it to
// the next number, through different coordinators, while a node is killed
// and restarted, another cut off by the network and a third paused.

// casInput is an operation on one register: a SERIAL read, or a
// compare-and-set from Expect to Expect+1.
type casInput struct {
	Key    int
	CAS    bool
	Expect int
}

// casOutput is what it returned: the value read; whether the CAS applied;
// Unknown for a CAS whose outcome the client could not learn (a timeout,
// a lost connection): it may have applied, at any time after its call.
type casOutput struct {
	Value   int
	Applied bool
	Unknown bool
}

// registerModel is a register per key holding a number (0 before any
// write), nondeterministic in a CAS of unknown outcome.
var registerModel = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		var keys []int
		for _, op := range h {
			k := op.Input.(casInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() []any { return []any{0} },
	Step: func(state, input, output any) []any {
		v, in, out := state.(int), input.(casInput), output.(casOutput)
		switch {
		case !in.CAS:
			if out.Value == v {
				return []any{v}
			}
			return nil
		case out.Unknown:
			if v == in.Expect {
				return []any{v, v + 1}
			}
			return []any{v}
		case out.Applied:
			if v == in.Expect {
				return []any{v + 1}
			}
			return nil
		}
		if v != in.Expect {
			return []any{v}
		}
		return nil
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(casInput), output.(casOutput)
		if !in.CAS {
			return fmt.Sprintf("read(k%d) = %d", in.Key, out.Value)
		}
		res := fmt.Sprint(out.Applied)
		if out.Unknown {
			res = "unknown"
		}
		return fmt.Sprintf("cas(k%d, %d→%d) = %s", in.Key, in.Expect, in.Expect+1, res)
	},
}

// casHistory collects operations from the clients.
type casHistory struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	// counts by outcome, for the report
	applied, notApplied, unknown, reads, failedReads int
}

func (h *casHistory) now() int64 { return int64(time.Since(h.start)) }

func (h *casHistory) add(client int, in casInput, out casOutput, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

// unknownOutcome reports whether a CAS error leaves its outcome unknown:
// everything but a refusal before anything was proposed (Unavailable, a
// node that could not be reached).
func unknownOutcome(err error) bool {
	var un *gocql.RequestErrUnavailable
	if errors.As(err, &un) || errors.Is(err, gocql.ErrNoConnections) || errors.Is(err, gocql.ErrUnavailable) {
		return false
	}
	return true
}

// casClient reads and compare-and-sets the registers through s until
// stop is closed.
func casClient(h *casHistory, s *gocql.Session, id, keys int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		k := (id + i) % keys
		call := h.now()
		var v int
		err := s.Query("SELECT v FROM ft.reg WHERE k = ?", k).Consistency(gocql.Consistency(gocql.Serial)).Scan(&v)
		if errors.Is(err, gocql.ErrNotFound) {
			v, err = 0, nil
		}
		if err != nil {
			h.mu.Lock()
			h.failedReads++
			h.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			continue
		}
		h.add(id, casInput{Key: k}, casOutput{Value: v}, call, h.now())
		h.mu.Lock()
		h.reads++
		h.mu.Unlock()

		in := casInput{Key: k, CAS: true, Expect: v}
		var q *gocql.Query
		if v == 0 {
			q = s.Query("INSERT INTO ft.reg (k, v) VALUES (?, 1) IF NOT EXISTS", k)
		} else {
			q = s.Query("UPDATE ft.reg SET v = ? WHERE k = ? IF v = ?", v+1, k, v)
		}
		call = h.now()
		applied, err := q.SerialConsistency(gocql.Serial).ScanCAS(nil)
		ret := h.now()
		h.mu.Lock()
		switch {
		case err != nil && unknownOutcome(err):
			h.unknown++
			h.mu.Unlock()
			h.add(id, in, casOutput{Unknown: true}, call, math.MaxInt64)
			time.Sleep(50 * time.Millisecond)
			continue
		case err != nil:
			h.mu.Unlock()
			time.Sleep(50 * time.Millisecond)
			continue
		case applied:
			h.applied++
		default:
			h.notApplied++
		}
		h.mu.Unlock()
		h.add(id, in, casOutput{Applied: applied}, call, ret)
	}
}

// TestLWTLinearizableUnderFaults: three nodes, RF 3, eight clients (two
// through each node, two through all) doing SERIAL reads and
// compare-and-set increments on three registers, while node 3 is killed
// with SIGKILL and restarted, node 2 is cut off from the others, and
// node 1 is paused with SIGSTOP. The history is linearizable, and each
// register's final value lies between its applied increments and those
// plus the unknown outcomes.
func TestLWTLinearizableUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes in network namespaces")
	}
	lab := newNetlab(t, 3)
	f := newFixture(t, ports{cql: 26048, gossip: 26952, internode: 26006}, lab.specs())
	f.startAll()
	n1, n2, n3 := f.nodes[0], f.nodes[1], f.nodes[2]
	admin := f.session([]*node{n1, n2, n3}, sessionOpts{})
	for _, stmt := range []string{
		"CREATE KEYSPACE ft WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ft.reg (k int PRIMARY KEY, v int)",
	} {
		if err := admin.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	const keys = 3
	h := &casHistory{start: time.Now()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	clients := []*gocql.Session{
		f.session([]*node{n1}, sessionOpts{only: []*node{n1}}), f.session([]*node{n1}, sessionOpts{only: []*node{n1}}),
		f.session([]*node{n2}, sessionOpts{only: []*node{n2}}), f.session([]*node{n2}, sessionOpts{only: []*node{n2}}),
		f.session([]*node{n3}, sessionOpts{only: []*node{n3}}), f.session([]*node{n3}, sessionOpts{only: []*node{n3}}),
		f.session([]*node{n1, n2, n3}, sessionOpts{}), f.session([]*node{n1, n2, n3}, sessionOpts{}),
	}
	for i, s := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			casClient(h, s, i, keys, stop)
		}()
	}
	step := func(what string, d time.Duration, do func()) {
		time.Sleep(d)
		t.Logf("%6.1fs %s", time.Since(h.start).Seconds(), what)
		do()
	}
	step("kill -9 node 3", 3*time.Second, func() { f.kill(n3) })
	step("restart node 3", 3*time.Second, func() { f.start(n3) })
	step("cut node 2 off from nodes 1 and 3", 3*time.Second, func() { lab.isolate(2, 1, 3) })
	step("heal node 2", 4*time.Second, func() { lab.heal(2, 1, 3) })
	step("pause node 1 (SIGSTOP)", 3*time.Second, func() { f.pause(n1) })
	step("resume node 1", 3*time.Second, func() { f.resume(n1) })
	step("stop the clients", 3*time.Second, func() { close(stop) })
	wg.Wait()
	t.Logf("%d reads (%d failed), %d CAS applied, %d not applied, %d unknown",
		h.reads, h.failedReads, h.applied, h.notApplied, h.unknown)
	if h.applied < 20 {
		t.Errorf("only %d CAS applied in the run: too few to say anything", h.applied)
	}

	res, info := porcupine.CheckOperationsVerbose(registerModel.ToModel(), h.ops, 60*time.Second)
	switch res {
	case porcupine.Illegal:
		path := t.TempDir() + "/lwt.html"
		if err := porcupine.VisualizePath(registerModel.ToModel(), info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Errorf("the history of %d operations is not linearizable", len(h.ops))
	case porcupine.Unknown:
		t.Logf("the linearizability check timed out on %d operations", len(h.ops))
	}

	// Every increment applied is in the final values; the unknown ones
	// may be.
	var final, appliedTotal, unknownTotal int
	for k := range keys {
		var v int
		err := admin.Query("SELECT v FROM ft.reg WHERE k = ?", k).Consistency(gocql.Consistency(gocql.Serial)).Scan(&v)
		if err != nil && !errors.Is(err, gocql.ErrNotFound) {
			t.Fatalf("final read of k%d: %v", k, err)
		}
		final += v
	}
	for _, op := range h.ops {
		if in := op.Input.(casInput); in.CAS {
			out := op.Output.(casOutput)
			if out.Applied {
				appliedTotal++
			}
			if out.Unknown {
				unknownTotal++
			}
		}
	}
	if final < appliedTotal || final > appliedTotal+unknownTotal {
		t.Errorf("final values sum to %d; applied %d, unknown %d", final, appliedTotal, unknownTotal)
	}
	if t.Failed() {
		t.Logf("node logs:\n%s", strings.Join([]string{n1.log.tail(40), n2.log.tail(40), n3.log.tail(40)}, "\n"))
	}
}

// TestRegisterModel: the model rejects what is not linearizable — two
// CAS from the same value both applied one after the other, a read of a
// value never written — and takes a CAS of unknown outcome either way.
func TestRegisterModel(t *testing.T) {
	m := registerModel.ToModel()
	op := func(c int, in casInput, out casOutput, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Input: in, Output: out, Call: call, Return: ret}
	}
	cas := func(expect int) casInput { return casInput{CAS: true, Expect: expect} }
	for _, c := range []struct {
		name string
		h    []porcupine.Operation
		want bool
	}{
		{"sequential increments", []porcupine.Operation{
			op(0, cas(0), casOutput{Applied: true}, 0, 1), op(1, cas(1), casOutput{Applied: true}, 2, 3),
			op(0, casInput{}, casOutput{Value: 2}, 4, 5)}, true},
		{"the same CAS applied twice", []porcupine.Operation{
			op(0, cas(0), casOutput{Applied: true}, 0, 1), op(1, cas(0), casOutput{Applied: true}, 2, 3)}, false},
		{"a read of a value never written", []porcupine.Operation{
			op(0, cas(0), casOutput{Applied: true}, 0, 1), op(1, casInput{}, casOutput{Value: 7}, 2, 3)}, false},
		{"a stale read after a CAS", []porcupine.Operation{
			op(0, cas(0), casOutput{Applied: true}, 0, 1), op(1, casInput{}, casOutput{Value: 0}, 2, 3)}, false},
		{"an unknown CAS that applied", []porcupine.Operation{
			op(0, cas(0), casOutput{Unknown: true}, 0, math.MaxInt64), op(1, casInput{}, casOutput{Value: 1}, 2, 3)}, true},
		{"an unknown CAS that did not", []porcupine.Operation{
			op(0, cas(0), casOutput{Unknown: true}, 0, math.MaxInt64), op(1, casInput{}, casOutput{Value: 0}, 2, 3)}, true},
		{"not applied although the value matched", []porcupine.Operation{
			op(0, cas(0), casOutput{Applied: false}, 0, 1)}, false},
	} {
		if got := porcupine.CheckOperations(m, c.h); got != c.want {
			t.Errorf("%s: linearizable %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLWTUniqueNames: 16 clients, through three node processes (RF 3),
// race INSERT ... IF NOT EXISTS for the same 100 names; each name is
// applied at most once, the row holds the client it was applied for, and
// a name nobody was told it got was taken by an outcome left unknown.
func TestLWTUniqueNames(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a cluster of three wcdb processes")
	}
	f := newFixture(t, ports{cql: 26050, gossip: 26954, internode: 26008}, loopback(3))
	f.startAll()
	all := f.nodes
	admin := f.session(all, sessionOpts{})
	for _, stmt := range []string{
		"CREATE KEYSPACE ft WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
		"CREATE TABLE ft.names (name text PRIMARY KEY, owner int)",
	} {
		if err := admin.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	const clients, names = 16, 100
	var mu sync.Mutex
	won := map[string][]int{}
	unknown := 0
	var wg sync.WaitGroup
	for c := range clients {
		s := f.session([]*node{all[c%3]}, sessionOpts{only: []*node{all[c%3]}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				name := fmt.Sprintf("user%03d", (i+c*7)%names)
				applied, err := s.Query("INSERT INTO ft.names (name, owner) VALUES (?, ?) IF NOT EXISTS", name, c).
					SerialConsistency(gocql.Serial).ScanCAS(nil, nil)
				mu.Lock()
				switch {
				case err != nil:
					unknown++
				case applied:
					won[name] = append(won[name], c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range names {
		name := fmt.Sprintf("user%03d", i)
		var owner int
		err := admin.Query("SELECT owner FROM ft.names WHERE name = ?", name).Consistency(gocql.Consistency(gocql.Serial)).Scan(&owner)
		switch w := won[name]; {
		case len(w) > 1:
			t.Errorf("%s applied for clients %v", name, w)
		case len(w) == 1 && (err != nil || owner != w[0]):
			t.Errorf("%s applied for client %d; the row says %d (%v)", name, w[0], owner, err)
		case len(w) == 0 && unknown == 0:
			t.Errorf("%s applied for nobody, with no unknown outcome (%d, %v)", name, owner, err)
		}
	}
	t.Logf("%d names won by one client each, %d outcomes unknown", len(won), unknown)
}
