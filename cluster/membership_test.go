package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"wcdb/ring"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLogger discards logs unless WCDB_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("WCDB_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func testConfig(bind string, seeds ...string) Config {
	c := DefaultLocalConfig()
	c.NodeID = NewHostID()
	c.ClusterName = "wcdb-test"
	c.BindAddr = bind
	c.Seeds = seeds
	c.Logger = testLogger()
	return c
}

// joinNode joins with a bounded context and shuts the node down at the
// end of the test.
func joinNode(t *testing.T, cfg Config) *Membership {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := Join(ctx, cfg)
	if err != nil {
		t.Fatalf("join %s: %v", cfg.NodeID, err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < d {
		if err = cond(); err == nil {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, d, err)
	return 0
}

// recorder collects a node's events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func recordEvents(m *Membership) *recorder {
	r := &recorder{}
	m.Subscribe(func(e Event) {
		r.mu.Lock()
		r.evs = append(r.evs, e)
		r.mu.Unlock()
	})
	return r
}

func (r *recorder) has(typ EventType, id ring.NodeID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.evs {
		if e.Type == typ && e.Node.ID == id {
			return nil
		}
	}
	return fmt.Errorf("no %v event for %s among %v", typ, id, r.evs)
}

// converged checks that every node sees all of want NORMAL, alive, with
// tokens, and the same ring of exactly them.
func converged(nodes []*Membership, want ...*Membership) error {
	ref := want[0].Ring()
	for _, n := range nodes {
		r := n.Ring()
		if r.NumNodes() != len(want) || !sameRing(r, ref) {
			return fmt.Errorf("%s sees a ring of %d nodes, differing from %s's", n.ID(), r.NumNodes(), want[0].ID())
		}
		for _, w := range want {
			info, ok := n.Node(w.ID())
			if !ok || !info.Alive || info.Status != StatusNormal || len(info.Tokens) == 0 {
				return fmt.Errorf("%s sees %s as %+v", n.ID(), w.ID(), info)
			}
		}
	}
	return nil
}

// checkBalance fails unless ownership's max/min is within limit.
func checkBalance(t *testing.T, r *ring.Metadata, limit float64) {
	t.Helper()
	own := r.Ownership()
	lo, hi := 1.0, 0.0
	for _, f := range own {
		lo, hi = min(lo, f), max(hi, f)
	}
	t.Logf("ownership %v, max/min %.3f", own, hi/lo)
	if hi/lo > limit {
		t.Fatalf("got ownership max/min %.3f, want at most %.2f", hi/lo, limit)
	}
}

// freePort returns a port free for TCP and UDP on each of ips.
func freePort(t *testing.T, ips ...string) (int, bool) {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			return 0, false
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := true
		for _, ip := range ips {
			addr := net.JoinHostPort(ip, strconv.Itoa(port))
			tl, err1 := net.Listen("tcp", addr)
			ul, err2 := net.ListenPacket("udp", addr)
			if tl != nil {
				tl.Close()
			}
			if ul != nil {
				ul.Close()
			}
			if err1 != nil || err2 != nil {
				ok = false
			}
		}
		if ok {
			return port, true
		}
	}
	return 0, false
}

// startThree starts a cluster of three nodes, one after the other, the
// first the seed, with distinct racks and client addresses.
func startThree(t *testing.T, ips []string, port int) []*Membership {
	var nodes []*Membership
	var seed string
	for i, ip := range ips {
		cfg := testConfig(ip)
		cfg.GossipPort = port
		cfg.Rack = fmt.Sprintf("rack%d", i+1)
		cfg.CQLAddress = net.JoinHostPort(ip, strconv.Itoa(9042+i))
		cfg.InternodeAddress = ":" + strconv.Itoa(7000+i)
		if seed != "" {
			cfg.Seeds = []string{seed}
		}
		n := joinNode(t, cfg)
		if seed == "" {
			seed = n.Local().GossipAddr
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func TestThreeNodes(t *testing.T) {
	check := func(t *testing.T, ips []string, port int) {
		start := time.Now()
		nodes := startThree(t, ips, port)
		t.Logf("three nodes NORMAL in %v", time.Since(start))
		waitFor(t, 3*time.Second, "convergence", func() error { return converged(nodes, nodes...) })
		for _, n := range nodes {
			for i, w := range nodes {
				info, _ := n.Node(w.ID())
				local := w.Local()
				host, _, _ := net.SplitHostPort(local.GossipAddr)
				want := NodeInfo{
					ID: w.ID(), GossipAddr: local.GossipAddr,
					CQLAddr:       net.JoinHostPort(ips[i], strconv.Itoa(9042+i)),
					InternodeAddr: net.JoinHostPort(host, strconv.Itoa(7000+i)),
					DC:            "datacenter1", Rack: fmt.Sprintf("rack%d", i+1),
					Tokens: local.Tokens, Status: StatusNormal, ReleaseVersion: DefaultReleaseVersion, Alive: true,
				}
				if !sameAdvertised(info, want) || !info.Alive || !info.DownSince.IsZero() || len(info.Tokens) != 16 {
					t.Errorf("%s sees %+v, want %+v", n.ID(), info, want)
				}
				if port != 0 && local.GossipAddr != net.JoinHostPort(ips[i], strconv.Itoa(port)) {
					t.Errorf("got gossip address %s, want %s:%d", local.GossipAddr, ips[i], port)
				}
			}
			if got := len(n.Nodes()); got != 3 {
				t.Errorf("%s knows %d nodes, want 3", n.ID(), got)
			}
		}
		checkBalance(t, nodes[0].Ring(), 1.3)
	}
	t.Run("ports", func(t *testing.T) {
		t.Parallel()
		check(t, []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, 0)
	})
	t.Run("addresses", func(t *testing.T) {
		t.Parallel()
		ips := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
		port, ok := freePort(t, ips...)
		if !ok {
			t.Skip("127.0.0.2 and 127.0.0.3 are not bindable here")
		}
		check(t, ips, port)
	})
}

func TestFailureDetectionAndRestart(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, 0)
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(nodes, nodes...) })
	ringBefore := nodes[0].Ring()
	dir := t.TempDir()
	victim := nodes[2]
	if err := SaveState(dir, victim.State()); err != nil {
		t.Fatal(err)
	}
	victimCfg := victim.cfg
	_, portStr, _ := net.SplitHostPort(victim.Local().GossipAddr)
	rec := recordEvents(nodes[0])

	stopped := time.Now()
	victim.Shutdown()
	took := waitFor(t, 5*time.Second, "others mark the stopped node down", func() error {
		for _, n := range nodes[:2] {
			if n.Alive(victim.ID()) {
				return fmt.Errorf("%s still thinks it alive", n.ID())
			}
		}
		return nil
	})
	t.Logf("stopped node marked down in %v", took)
	for _, n := range nodes[:2] {
		ds := n.DownSince(victim.ID())
		if ds.Before(stopped) || ds.After(time.Now()) {
			t.Errorf("%s: got down since %v, want between %v and now", n.ID(), ds, stopped)
		}
		if !sameRing(n.Ring(), ringBefore) {
			t.Errorf("%s: ring changed when a node went down, want it kept", n.ID())
		}
		if !n.Alive(n.ID()) {
			t.Errorf("%s: not alive itself", n.ID())
		}
	}
	waitFor(t, time.Second, "NodeDown event", func() error { return rec.has(NodeDown, victim.ID()) })

	// Restart from the saved state, on the same address.
	st, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("127.0.0.1", nodes[0].Local().GossipAddr)
	cfg.NodeID, cfg.Tokens = st.HostID, st.Tokens
	cfg.GossipPort, _ = strconv.Atoi(portStr)
	cfg.Rack, cfg.CQLAddress, cfg.InternodeAddress = victimCfg.Rack, victimCfg.CQLAddress, victimCfg.InternodeAddress
	restarted := joinNode(t, cfg)
	if got := restarted.Local(); got.ID != victim.ID() || !slices.Equal(got.Tokens, st.Tokens) || got.Status != StatusNormal {
		t.Fatalf("restarted as %+v, want id %s, NORMAL, tokens %v", got, victim.ID(), st.Tokens)
	}
	took = waitFor(t, 5*time.Second, "restarted node back up", func() error {
		for _, n := range nodes[:2] {
			if !n.Alive(victim.ID()) || !n.DownSince(victim.ID()).IsZero() {
				return fmt.Errorf("%s still thinks it down", n.ID())
			}
		}
		return converged([]*Membership{nodes[0], nodes[1], restarted}, nodes[0], nodes[1], restarted)
	})
	t.Logf("restarted node back up in %v", took)
	if !sameRing(restarted.Ring(), ringBefore) {
		t.Error("ring differs after the restart, want the same")
	}
	waitFor(t, time.Second, "NodeUp event", func() error { return rec.has(NodeUp, victim.ID()) })
}

func TestSchemaVersionPropagates(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, 0)
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(nodes, nodes...) })
	rec := recordEvents(nodes[2])
	v := [16]byte{0xde, 0xad, 0xbe, 0xef}
	start := time.Now()
	if err := nodes[1].SetSchemaVersion(v); err != nil {
		t.Fatal(err)
	}
	set := time.Since(start)
	waitFor(t, time.Second-set, "schema version everywhere", func() error {
		for _, n := range nodes {
			if info, _ := n.Node(nodes[1].ID()); info.SchemaVersion != v {
				return fmt.Errorf("%s sees %x", n.ID(), info.SchemaVersion)
			}
		}
		return nil
	})
	t.Logf("SetSchemaVersion returned in %v; the version reached every node in %v", set, time.Since(start))
	waitFor(t, time.Second, "NodeUpdated event", func() error {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, e := range rec.evs {
			if e.Type == NodeUpdated && e.Node.ID == nodes[1].ID() && e.Node.SchemaVersion == v && e.Prev.SchemaVersion == [16]byte{} {
				return nil
			}
		}
		return fmt.Errorf("no NodeUpdated with the new schema among %v", rec.evs)
	})
	if got := nodes[0].Ring(); got != nodes[0].Ring() {
		t.Error("Ring returned a new pointer without a change")
	}
}

func TestSimultaneousJoin(t *testing.T) {
	t.Parallel()
	seed := joinNode(t, testConfig("127.0.0.1"))
	var (
		wg    sync.WaitGroup
		nodes [2]*Membership
		errs  [2]error
	)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			nodes[i], errs[i] = Join(ctx, testConfig("127.0.0.1", seed.Local().GossipAddr))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nodes[i].Shutdown() })
	}
	all := []*Membership{seed, nodes[0], nodes[1]}
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(all, all...) })
	checkBalance(t, seed.Ring(), 1.3)
}

// TestSimultaneousStart starts two fresh nodes that are each other's
// seeds and joins them at once: the one of smaller id allocates first,
// alone, and the other allocates against its tokens.
func TestSimultaneousStart(t *testing.T) {
	t.Parallel()
	port1, ok1 := freePort(t, "127.0.0.1")
	port2, ok2 := freePort(t, "127.0.0.1")
	if !ok1 || !ok2 || port1 == port2 {
		t.Skip("no free ports")
	}
	addrs := []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port1)), net.JoinHostPort("127.0.0.1", strconv.Itoa(port2))}
	var ms []*Membership
	for _, p := range []int{port1, port2} {
		cfg := testConfig("127.0.0.1", addrs...)
		cfg.GossipPort = p
		m, err := start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Shutdown() })
		ms = append(ms, m)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs[i] = m.join(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(ms, ms...) })
	slices.SortFunc(ms, func(a, b *Membership) int { return cmpID(a.ID(), b.ID()) })
	first, second := ms[0].Local(), ms[1].Local()
	want, _ := ring.AllocateTokens(nil, "datacenter1", 16, 3, idSeed(first.ID))
	if !slices.Equal(first.Tokens, want) {
		t.Errorf("smaller id got tokens %v, want %v (allocated alone)", first.Tokens, want)
	}
	r1, _ := ring.New([]ring.Node{{ID: first.ID, DC: first.DC, Rack: first.Rack, Tokens: first.Tokens}})
	want, _ = ring.AllocateTokens(r1, "datacenter1", 16, 3, idSeed(second.ID))
	if !slices.Equal(second.Tokens, want) {
		t.Errorf("larger id got tokens %v, want %v (allocated against the first)", second.Tokens, want)
	}
}

func cmpID(a, b ring.NodeID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestWrongClusterRefused(t *testing.T) {
	t.Parallel()
	seed := joinNode(t, testConfig("127.0.0.1"))
	cfg := testConfig("127.0.0.1", seed.Local().GossipAddr)
	cfg.ClusterName = "another cluster"
	refused(t, seed, cfg)
}

// refused checks that cfg cannot join seed's cluster: Join fails with
// ErrNoSeed naming the likely cause, and the seed never lists the node.
func refused(t *testing.T, seed *Membership, cfg Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	m, err := Join(ctx, cfg)
	if err == nil {
		m.Shutdown()
		t.Fatal("got nil joining, want an error")
	}
	if !errors.Is(err, ErrNoSeed) || !strings.Contains(err.Error(), "another cluster") {
		t.Fatalf("got %v, want ErrNoSeed naming another cluster or key", err)
	}
	if _, ok := seed.Node(cfg.NodeID); ok || len(seed.Nodes()) != 1 {
		t.Fatalf("seed knows %v, want only itself", seed.Nodes())
	}
}

// TestGossipEncryption: with keys, only a node holding one of the
// cluster's keys joins; keys rotate without a gap.
func TestGossipEncryption(t *testing.T) {
	t.Parallel()
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16)
	scfg := testConfig("127.0.0.1")
	scfg.EncryptionKeys = [][]byte{k1}
	seed := joinNode(t, scfg)

	plain := testConfig("127.0.0.1", seed.Local().GossipAddr)
	refused(t, seed, plain)
	wrong := testConfig("127.0.0.1", seed.Local().GossipAddr)
	wrong.EncryptionKeys = [][]byte{k2}
	refused(t, seed, wrong)

	// Rotation, step 1: a node that already knows the new key second
	// joins one that knows the old key alone.
	step1 := testConfig("127.0.0.1", seed.Local().GossipAddr)
	step1.EncryptionKeys = [][]byte{k1, k2}
	a := joinNode(t, step1)
	// Step 2: the new key first, the old still accepted; it reaches the
	// node that has both.
	step2 := testConfig("127.0.0.1", a.Local().GossipAddr)
	step2.EncryptionKeys = [][]byte{k2, k1}
	b := joinNode(t, step2)
	waitFor(t, 5*time.Second, "the rotating nodes to see each other", func() error { return converged([]*Membership{seed, a, b}, seed, a, b) })

	bad := testConfig("127.0.0.1")
	bad.EncryptionKeys = [][]byte{[]byte("short")}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "not 16, 24 or 32") {
		t.Errorf("a 5-byte key: got %v, want a size error", err)
	}
}

func TestNoSeedReachable(t *testing.T) {
	t.Parallel()
	port, ok := freePort(t, "127.0.0.1")
	if !ok {
		t.Skip("no free port")
	}
	cfg := testConfig("127.0.0.1", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if m, err := Join(ctx, cfg); !errors.Is(err, ErrNoSeed) {
		if m != nil {
			m.Shutdown()
		}
		t.Fatalf("got %v, want ErrNoSeed", err)
	}
}

func TestLeave(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, []string{"127.0.0.1", "127.0.0.1", "127.0.0.1"}, 0)
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(nodes, nodes...) })
	rec := recordEvents(nodes[0])
	leaver := nodes[2]
	left := time.Now()
	if err := leaver.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	leaver.Shutdown()
	waitFor(t, 3*time.Second, "ring without the node that left", func() error {
		for _, n := range nodes[:2] {
			if _, ok := n.Ring().Node(leaver.ID()); ok || n.Ring().NumNodes() != 2 {
				return fmt.Errorf("%s still has it in the ring", n.ID())
			}
			if n.Alive(leaver.ID()) || n.DownSince(leaver.ID()).Before(left) {
				return fmt.Errorf("%s: alive %v, down since %v", n.ID(), n.Alive(leaver.ID()), n.DownSince(leaver.ID()))
			}
			if len(n.Nodes()) != 2 {
				return fmt.Errorf("%s knows %d nodes, want 2", n.ID(), len(n.Nodes()))
			}
		}
		return rec.has(NodeLeft, leaver.ID())
	})
	t.Logf("Leave returned and the node was out of every ring in %v", time.Since(left))
	if err := rec.has(NodeUpdated, leaver.ID()); err != nil {
		t.Errorf("no LEAVING update before the leave: %v", err)
	}
	waitFor(t, 3*time.Second, "convergence of the rest", func() error { return converged(nodes[:2], nodes[:2]...) })
}

func TestExternalTokens(t *testing.T) {
	t.Parallel()
	var nodes []*Membership
	for i := range 3 {
		var seeds []string
		if i > 0 {
			seeds = []string{nodes[0].Local().GossipAddr}
		}
		cfg := testConfig("127.0.0.1", seeds...)
		cfg.NumTokens = 128 // 1 KiB of tokens: more than node metadata holds
		nodes = append(nodes, joinNode(t, cfg))
	}
	for _, n := range nodes {
		n.mu.Lock()
		ext := n.mu.meta.external
		n.mu.Unlock()
		if !ext {
			t.Fatalf("%s keeps 128 tokens in its metadata, want them external", n.ID())
		}
	}
	waitFor(t, 3*time.Second, "convergence", func() error { return converged(nodes, nodes...) })
	if got := nodes[1].Ring().Len(); got != 3*128 {
		t.Fatalf("got %d tokens on the ring, want %d", got, 3*128)
	}
	checkBalance(t, nodes[1].Ring(), 1.3)
}

// TestDownNodeReachesNewcomer checks that a node joining while another is
// down learns the down node and its tokens.
func TestDownNodeReachesNewcomer(t *testing.T) {
	t.Parallel()
	a := joinNode(t, testConfig("127.0.0.1"))
	b := joinNode(t, testConfig("127.0.0.1", a.Local().GossipAddr))
	waitFor(t, 3*time.Second, "convergence", func() error { return converged([]*Membership{a, b}, a, b) })
	bTokens := b.Local().Tokens
	b.Shutdown()
	waitFor(t, 5*time.Second, "b down", func() error {
		if a.Alive(b.ID()) {
			return errors.New("still alive")
		}
		return nil
	})
	c := joinNode(t, testConfig("127.0.0.1", a.Local().GossipAddr))
	waitFor(t, 3*time.Second, "newcomer knows the down node", func() error {
		info, ok := c.Node(b.ID())
		if !ok || info.Alive || info.DownSince.IsZero() || !slices.Equal(info.Tokens, bTokens) {
			return fmt.Errorf("newcomer sees %+v", info)
		}
		if !sameRing(c.Ring(), a.Ring()) || c.Ring().NumNodes() != 3 {
			return errors.New("rings differ")
		}
		return nil
	})
}

func TestEventsNeverBlockGossip(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1")
	cfg.EventBuffer = 2
	a := joinNode(t, cfg)
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	a.Subscribe(func(Event) {
		entered <- struct{}{}
		<-block
	})
	for i := range 10 {
		if err := a.SetSchemaVersion([16]byte{byte(i + 1)}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			<-entered
		}
	}
	// The first event is being delivered, two wait, the rest are dropped.
	waitFor(t, time.Second, "dropped events counted", func() error {
		if got := a.DroppedEvents(); got != 7 {
			return fmt.Errorf("got %d dropped, want 7", got)
		}
		return nil
	})
	if got := a.Local().SchemaVersion; got[0] != 10 {
		t.Fatalf("got schema version %x, want the last one", got)
	}
	close(block)
	for range 2 {
		<-entered
	}
}
