package server

// This file makes a node a member of a cluster: gossip membership
// (cluster/), the internode service (messaging/) with a client per peer,
// the coordinator's view of both (replication.Cluster), hinted handoff,
// schema propagation, and what the CQL layer shows of the cluster
// (system.local, system.peers, TOPOLOGY_CHANGE and STATUS_CHANGE events).
//
// Every node gossips, a lone one included: a second node started with the
// first as its seed makes a cluster of two with no restart.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/cluster"
	"wcdb/cql"
	"wcdb/internal/hints"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/repair"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
	"wcdb/server/config"
	"wcdb/server/nodeops"
	"wcdb/storage"
	"wcdb/streaming"
)

// hintReplayInterval is how often pending hints of live nodes are replayed
// when no NodeUp event prompted it (an event missed, a replay that failed).
const hintReplayInterval = 10 * time.Second

// schemaCheckInterval is how often a node compares its schema version
// with its peers' and pulls from one that differs.
const schemaCheckInterval = 5 * time.Second

// clusterState is the node's part in the cluster. The membership is set
// once joined; before that the node sees a ring of its own (the
// coordinator then places everything locally, which is what the start-up
// schema load needs).
type clusterState struct {
	cfg    *Config
	log    *slog.Logger
	hostID ring.NodeID
	local  replication.Replica
	engine *storage.Engine

	m    atomic.Pointer[cluster.Membership]
	exec *query.Executor // set before the membership
	// store is the node's coordinator, which writes the system tables
	// (size estimates); set with exec.
	store replication.Coordinator
	cqlS  atomic.Pointer[cql.Server]
	hints *hints.Store // nil: hinted handoff off
	ops   *nodeops.Ops // the admin requests about the node's own storage
	// peerTLS secures the calls to other nodes (nil: plaintext); set
	// before the membership.
	peerTLS *tls.Config

	// streams lists the node's streaming sessions (netstats); throttle
	// paces what it sends (stream_throughput_outbound).
	streams  *streaming.Registry
	throttle *streaming.Throttle

	// repair answers other replicas' repair calls and runs this node's
	// repairs; reps lists those.
	repair  *repair.Service
	reps    repairs
	history *repair.History
	sched   *repair.Scheduler // nil: repair.scheduler off
	// downAt holds when each peer was last seen going down (guarded by
	// mu), to tell at its return whether it outlived the hint window.
	downAt map[ring.NodeID]time.Time

	// leaving is set while a decommission runs; exit is closed once the
	// node has left the cluster, for its process to end.
	leaving  atomic.Bool
	exit     chan struct{}
	exitOnce sync.Once

	mu    sync.Mutex
	peers map[ring.NodeID]*peerConn

	events chan cluster.Event
	// resync is set when events were dropped: the loop refreshes
	// everything from the membership instead.
	resync atomic.Bool
	quit   chan struct{}
	// halted is closed when a disk failure stopped the node (its policy
	// stop or die): the background work (repair, hint replay) stops with
	// its transports.
	halted   chan struct{}
	haltOnce sync.Once
	wg       sync.WaitGroup
}

type peerConn struct {
	addr string
	c    *messaging.Client
}

func newClusterState(cfg *Config, log *slog.Logger, hostID [16]byte, e *storage.Engine, local replication.Replica, hist *repair.History) *clusterState {
	c := &clusterState{cfg: cfg, log: log, hostID: ring.NodeID(schema.UUID(hostID).String()), local: local,
		engine: e, peers: map[ring.NodeID]*peerConn{}, events: make(chan cluster.Event, 1024), quit: make(chan struct{}), halted: make(chan struct{}),
		exit: make(chan struct{}), streams: streaming.NewRegistry(), throttle: streaming.NewThrottle(int64(cfg.StreamThroughputOutbound))}
	c.history = hist
	c.repair = newRepairService(c)
	return c
}

// The coordinator's view (replication.Cluster).

func (c *clusterState) Local() ring.NodeID { return c.hostID }

func (c *clusterState) Ring() *ring.Metadata {
	if m := c.m.Load(); m != nil {
		return m.Ring()
	}
	return emptyRing
}

var emptyRing, _ = ring.New(nil)

// FutureRing is the ring once the range movements in progress complete.
func (c *clusterState) FutureRing() *ring.Metadata {
	if m := c.m.Load(); m != nil {
		return m.FutureRing()
	}
	return emptyRing
}

func (c *clusterState) Alive(id ring.NodeID) bool {
	if m := c.m.Load(); m != nil {
		return m.Alive(id)
	}
	return id == c.hostID
}

func (c *clusterState) DownSince(id ring.NodeID) time.Time {
	if m := c.m.Load(); m != nil {
		return m.DownSince(id)
	}
	return time.Time{}
}

func (c *clusterState) Replica(id ring.NodeID) replication.Replica {
	if id == c.hostID {
		return c.local
	}
	p, err := c.peer(id)
	if err != nil {
		return errReplica{err}
	}
	return p
}

// peer returns the client of a node, dialed on first use and again when
// the node advertises another internode address.
func (c *clusterState) peer(id ring.NodeID) (*messaging.Client, error) {
	m := c.m.Load()
	if m == nil {
		return nil, fmt.Errorf("server: node %s unknown: not joined yet", id)
	}
	info, ok := m.Node(id)
	if !ok || info.InternodeAddr == "" {
		return nil, fmt.Errorf("server: node %s unknown", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.peers[id]; p != nil && p.addr == info.InternodeAddr {
		return p.c, nil
	} else if p != nil {
		p.c.Close()
		delete(c.peers, id)
	}
	cl, err := messaging.Dial(info.InternodeAddr, messaging.DialOptions{Conns: 2, TLS: c.peerTLS,
		Timeout: time.Duration(max(c.cfg.WriteRequestTimeout, c.cfg.ReadRequestTimeout, c.cfg.RangeRequestTimeout))})
	if err != nil {
		return nil, fmt.Errorf("server: dial %s at %s: %w", id, info.InternodeAddr, err)
	}
	c.peers[id] = &peerConn{addr: info.InternodeAddr, c: cl}
	return cl, nil
}

// errReplica is a replica that cannot be reached.
type errReplica struct{ err error }

func (r errReplica) Apply(context.Context, *mutation.Mutation) error { return r.err }
func (r errReplica) Read(context.Context, replication.ReadCommand) (*mutation.Partition, error) {
	return nil, r.err
}
func (r errReplica) Digest(context.Context, replication.ReadCommand) ([]byte, error) {
	return nil, r.err
}
func (r errReplica) ReadRange(context.Context, replication.RangeCommand) (replication.RangeResult, error) {
	return replication.RangeResult{}, r.err
}

// hintSink adapts the hint store to the coordinator.
type hintSink struct{ s *hints.Store }

func (h hintSink) Add(target ring.NodeID, m *mutation.Mutation) error {
	return h.s.Add(string(target), m)
}

// The query layer's view (query.Topology).

type clusterTopology struct{ c *clusterState }

func (t clusterTopology) ClusterName() string { return t.c.cfg.ClusterName }

func (t clusterTopology) Local() query.Node {
	c := t.c
	n := query.Node{
		HostID:         mustUUID(string(c.hostID)),
		Address:        ipBytes(c.cfg.Advertised()),
		RPCAddress:     ipBytes(c.cfg.AdvertisedRPC()),
		RPCPort:        c.cfg.CQLPort,
		DataCenter:     c.cfg.DataCenter,
		Rack:           c.cfg.Rack,
		ReleaseVersion: ReleaseVersion,
	}
	if m := c.m.Load(); m != nil {
		n.Tokens = formatTokens(m.Local().Tokens)
	}
	return n
}

func (t clusterTopology) Peers() []query.Node {
	c := t.c
	m := c.m.Load()
	if m == nil {
		return nil
	}
	var out []query.Node
	for _, info := range m.Nodes() {
		if info.ID == c.hostID || info.Status == cluster.StatusLeft {
			continue
		}
		pn := peerNode(info)
		pn.Down = !info.Alive
		out = append(out, pn)
	}
	return out
}

func peerNode(info cluster.NodeInfo) query.Node {
	host, _, _ := net.SplitHostPort(info.InternodeAddr)
	rpcHost, rpcPort, _ := net.SplitHostPort(info.CQLAddr)
	port, _ := strconv.Atoi(rpcPort)
	return query.Node{
		HostID:         mustUUID(string(info.ID)),
		Address:        ipBytes(host),
		RPCAddress:     ipBytes(rpcHost),
		RPCPort:        port,
		DataCenter:     info.DC,
		Rack:           info.Rack,
		Tokens:         formatTokens(info.Tokens),
		ReleaseVersion: info.ReleaseVersion,
		SchemaVersion:  info.SchemaVersion,
	}
}

func mustUUID(s string) [16]byte {
	u, _ := schema.ParseUUID(s)
	return u
}

func ipBytes(s string) []byte {
	ip := net.ParseIP(s)
	if ip4 := ip.To4(); ip4 != nil {
		return ip4
	}
	return ip
}

func formatTokens(ts []ring.Token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strconv.FormatInt(int64(t), 10)
	}
	return out
}

// Joining.

// membershipConfig is the gossip configuration of the node.
func (c *clusterState) membershipConfig(cqlPort, internodePort int, schemaVersion [16]byte) (cluster.Config, error) {
	mc := cluster.DefaultConfig()
	if c.cfg.GossipProfile == "local" {
		mc = cluster.DefaultLocalConfig()
	}
	mc.NodeID = c.hostID
	mc.ClusterName = c.cfg.ClusterName
	mc.DataCenter, mc.Rack = c.cfg.DataCenter, c.cfg.Rack
	mc.BindAddr = c.cfg.ListenAddress
	if c.cfg.BroadcastAddress != "" {
		mc.AdvertiseAddr = c.cfg.BroadcastAddress
	}
	mc.GossipPort = c.cfg.GossipPort
	mc.NumTokens = c.cfg.NumTokens
	mc.RingDelay = time.Duration(c.cfg.RingDelay)
	mc.CQLAddress = net.JoinHostPort(c.cfg.AdvertisedRPC(), strconv.Itoa(cqlPort))
	mc.InternodeAddress = net.JoinHostPort(c.cfg.Advertised(), strconv.Itoa(internodePort))
	keys, err := c.cfg.GossipKeys()
	if err != nil {
		return mc, err
	}
	mc.EncryptionKeys = keys
	mc.ReleaseVersion = ReleaseVersion
	mc.SchemaVersion = schemaVersion
	mc.Logger = c.log
	for _, s := range c.cfg.Seeds {
		addr, err := config.SeedAddress(s, c.cfg.GossipPort)
		if err != nil {
			return mc, fmt.Errorf("config: seeds: %w", err)
		}
		mc.Seeds = append(mc.Seeds, addr)
	}
	mc.Bootstrap = c.cfg.AutoBootstrap
	mc.ReplaceAddress = c.cfg.ReplaceAddress
	mc.BeforeTokens = c.beforeTokens
	st, err := cluster.LoadState(c.cfg.DataDir)
	switch {
	case err == nil && st.HostID == c.hostID && st.Decommissioned:
		return mc, fmt.Errorf("server: this node was decommissioned: it left the cluster and will not rejoin with the data in %s; "+
			"to join again as a new node, start it with an empty data directory", c.cfg.DataDir)
	case err == nil && st.HostID == c.hostID:
		mc.Tokens, mc.Joining, mc.Replacing = st.Tokens, st.Joining, st.Replacing
	case err == nil:
		return mc, fmt.Errorf("server: %s/%s names host %s, but the node is %s", c.cfg.DataDir, cluster.StateFile, st.HostID, c.hostID)
	case !errors.Is(err, fs.ErrNotExist):
		return mc, err
	}
	return mc, nil
}

// join joins (or starts) the cluster, keeps the node's tokens for its next
// start, and takes the schema of the cluster if it differs. A node that
// joins a cluster holding data (JOINING once cluster.Join returns) fetches
// the data of its new ranges, then turns NORMAL; it keeps its join in its
// state file until then, so that a restart resumes it.
func (c *clusterState) join(ctx context.Context, mc cluster.Config) error {
	m, err := cluster.Join(ctx, mc)
	if err != nil {
		return fmt.Errorf("server: joining the cluster: %w", err)
	}
	if err := cluster.SaveState(c.cfg.DataDir, m.State()); err != nil {
		m.Shutdown()
		return err
	}
	c.m.Store(m)
	m.Subscribe(func(ev cluster.Event) {
		select {
		case c.events <- ev:
		default:
			c.resync.Store(true)
		}
	})
	// A node joining a cluster takes its schema before serving clients.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.syncSchema(sctx)
	if err := c.exec.RefreshTopology(ctx); err != nil {
		return err
	}
	c.wg.Add(1)
	go c.loop()
	c.startRepairScheduler()
	if m.Local().Status != cluster.StatusJoining {
		return nil
	}
	if err := c.bootstrap(ctx, m); err != nil {
		return fmt.Errorf("server: bootstrap: %w (the node keeps its join: start it again to resume)", err)
	}
	if err := m.SetStatus(cluster.StatusNormal); err != nil {
		return err
	}
	if err := cluster.SaveState(c.cfg.DataDir, m.State()); err != nil {
		return err
	}
	c.log.Info("bootstrap complete: the node is NORMAL")
	return nil
}

// schemaAgreementTimeout bounds how long a joining node waits for its
// schema to match every live node's before it announces its tokens.
const schemaAgreementTimeout = 30 * time.Second

// beforeTokens runs in cluster.Join before the node announces tokens: it
// takes the cluster's schema, so that the node has every table when
// coordinators start sending it writes as a pending replica, and fails if
// the live nodes' schema versions do not agree with it in time (as
// Cassandra's bootstrap waits for schema agreement).
func (c *clusterState) beforeTokens(ctx context.Context, m *cluster.Membership) error {
	c.m.Store(m)
	ctx, cancel := context.WithTimeout(ctx, schemaAgreementTimeout)
	defer cancel()
	for {
		c.syncSchema(ctx)
		var differ []string
		for _, info := range m.Nodes() {
			if info.ID != c.hostID && info.Alive && info.Status != cluster.StatusLeft &&
				info.SchemaVersion != c.exec.SchemaVersion() {
				differ = append(differ, string(info.ID))
			}
		}
		if len(differ) == 0 {
			return nil
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("no schema agreement with %v within %v", differ, schemaAgreementTimeout)
		case <-t.C:
		}
	}
}

// loop handles membership events and the periodic work: hint replay and
// schema checks.
func (c *clusterState) loop() {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.quit
		cancel()
	}()
	hintTick := time.NewTicker(hintReplayInterval)
	defer hintTick.Stop()
	schemaTick := time.NewTicker(schemaCheckInterval)
	defer schemaTick.Stop()
	estimatesTick := time.NewTicker(sizeEstimatesInterval)
	defer estimatesTick.Stop()
	for {
		select {
		case <-c.quit:
			return
		case ev := <-c.events:
			c.handle(ctx, ev)
			// Handle what queued up behind it before rewriting system.peers.
			for drained := false; !drained; {
				select {
				case ev := <-c.events:
					c.handle(ctx, ev)
				default:
					drained = true
				}
			}
			if err := c.exec.RefreshTopology(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("rewriting system.peers", "err", err)
			}
		case <-hintTick.C:
			c.replayAll(ctx)
		case <-estimatesTick.C:
			if _, err := c.recordSizeEstimates(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("recording size estimates", "err", err)
			}
		case <-schemaTick.C:
			if c.resync.Swap(false) {
				if err := c.exec.RefreshTopology(ctx); err != nil && ctx.Err() == nil {
					c.log.Warn("rewriting system.peers", "err", err)
				}
			}
			c.syncSchema(ctx)
		}
	}
}

func (c *clusterState) handle(ctx context.Context, ev cluster.Event) {
	if ev.Node.ID == c.hostID {
		return
	}
	c.log.Info("cluster event", "event", ev.Type.String(), "node", ev.Node.ID, "status", ev.Node.Status.String(),
		"address", ev.Node.InternodeAddr)
	addr := cqlAddrPort(ev.Node.CQLAddr)
	s := c.cqlS.Load()
	switch ev.Type {
	case cluster.NodeJoined:
		if s != nil && addr.IsValid() {
			s.PushTopologyChange(cql.NewNode, addr)
		}
		c.maybePullSchema(ctx, ev.Node)
	case cluster.NodeUp:
		// Connections to it wait out the backoff of their failed attempts
		// otherwise, and fail meanwhile although it is back.
		c.mu.Lock()
		if p := c.peers[ev.Node.ID]; p != nil {
			p.c.ResetBackoff()
		}
		c.mu.Unlock()
		if s != nil && addr.IsValid() {
			s.PushStatusChange(cql.NodeUp, addr)
		}
		c.replay(ctx, ev.Node.ID)
		c.maybePullSchema(ctx, ev.Node)
		c.afterAbsence(ev.Node.ID)
	case cluster.NodeDown:
		if s != nil && addr.IsValid() {
			s.PushStatusChange(cql.NodeDown, addr)
		}
		c.mu.Lock()
		if c.downAt == nil {
			c.downAt = map[ring.NodeID]time.Time{}
		}
		c.downAt[ev.Node.ID] = time.Now()
		c.mu.Unlock()
	case cluster.NodeLeft:
		if s != nil && addr.IsValid() {
			// DOWN first: drivers stop sending to it at once (gocql acts
			// on status events as they come, on topology ones after a
			// ring refresh, when it closes the host's connections with
			// whatever is in flight on them).
			s.PushStatusChange(cql.NodeDown, addr)
			s.PushTopologyChange(cql.RemovedNode, addr)
		}
		c.mu.Lock()
		if p := c.peers[ev.Node.ID]; p != nil {
			p.c.Close()
			delete(c.peers, ev.Node.ID)
		}
		c.mu.Unlock()
	case cluster.NodeUpdated:
		if s != nil && addr.IsValid() && !slices.Equal(ev.Prev.Tokens, ev.Node.Tokens) && len(ev.Prev.Tokens) > 0 {
			s.PushTopologyChange(cql.MovedNode, addr)
		}
		if s != nil && addr.IsValid() && ev.Node.Status == cluster.StatusLeft && ev.Prev.Status != cluster.StatusLeft {
			// A node that announces it left is about to go: drivers stop
			// routing to it before they drop its connections.
			s.PushStatusChange(cql.NodeDown, addr)
		}
		c.maybePullSchema(ctx, ev.Node)
	}
}

func cqlAddrPort(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Schema.

// maybePullSchema pulls a live node's schema if its version differs.
func (c *clusterState) maybePullSchema(ctx context.Context, info cluster.NodeInfo) {
	if !info.Alive || info.SchemaVersion == ([16]byte{}) || info.SchemaVersion == c.exec.SchemaVersion() {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.pullSchema(pctx, info.ID); err != nil && ctx.Err() == nil {
		c.log.Warn("schema pull", "node", info.ID, "err", err)
	}
}

// syncSchema pulls from every live node whose schema version differs.
func (c *clusterState) syncSchema(ctx context.Context) {
	m := c.m.Load()
	if m == nil {
		return
	}
	for _, info := range m.Nodes() {
		if info.ID != c.hostID {
			c.maybePullSchema(ctx, info)
		}
	}
}

func (c *clusterState) pullSchema(ctx context.Context, id ring.NodeID) error {
	p, err := c.peer(id)
	if err != nil {
		return err
	}
	ms, err := p.SchemaPull(ctx)
	if err != nil {
		return err
	}
	return c.mergeSchema(ctx, ms)
}

// mergeSchema merges a peer's schema (pulled, or pushed to this node),
// announces the new version, and tells this node's CQL clients.
func (c *clusterState) mergeSchema(ctx context.Context, ms []mutation.Mutation) error {
	changes, err := c.exec.MergeSchema(ctx, ms)
	if err != nil {
		return err
	}
	if len(changes) > 0 {
		c.log.Info("schema merged from a peer", "changes", len(changes))
	}
	if m := c.m.Load(); m != nil {
		if err := m.SetSchemaVersion(c.exec.SchemaVersion()); err != nil {
			c.log.Warn("announcing the schema version", "err", err)
		}
	}
	if s := c.cqlS.Load(); s != nil {
		for _, ch := range changes {
			s.PushSchemaChange(ch)
		}
	}
	return nil
}

// schemaChanged runs after a DDL statement on this node: it announces the
// new version and pushes the schema to every live node.
func (c *clusterState) schemaChanged() {
	m := c.m.Load()
	if m == nil {
		return
	}
	if err := m.SetSchemaVersion(c.exec.SchemaVersion()); err != nil {
		c.log.Warn("announcing the schema version", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ms, err := c.exec.SchemaMutations(ctx)
	if err != nil {
		c.log.Warn("reading the schema to push", "err", err)
		return
	}
	var wg sync.WaitGroup
	for _, info := range m.Nodes() {
		if info.ID == c.hostID || !info.Alive || info.Status == cluster.StatusLeft {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := c.peer(info.ID)
			if err == nil {
				err = p.SchemaPush(ctx, ms)
			}
			if err != nil {
				c.log.Warn("schema push", "node", info.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// Hints.

// replay sends a node its hints, if it has any and is alive; the hints of
// a node replaced by another go to its replacement.
func (c *clusterState) replay(ctx context.Context, id ring.NodeID) {
	if c.hints == nil || c.isHalted() {
		return
	}
	if n, _ := c.hints.Pending(string(id)); n == 0 {
		return
	}
	m := c.m.Load()
	if m == nil {
		return
	}
	dest := id
	if r := replacementOf(m, id); r != "" {
		dest = r
	}
	if dest == "" || !m.Alive(dest) {
		return
	}
	p, err := c.peer(dest)
	if err != nil {
		return
	}
	sent, err := c.hints.Replay(ctx, string(id), func(ctx context.Context, batch []*mutation.Mutation) error {
		ms := make([]mutation.Mutation, len(batch))
		for i, m := range batch {
			ms[i] = *m
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return p.ApplyHints(cctx, ms)
	})
	if err != nil && ctx.Err() == nil {
		c.log.Warn("hint replay", "node", id, "sent", sent, "err", err)
		return
	}
	if sent > 0 {
		c.log.Info("hints replayed", "node", id, "to", dest, "hints", sent)
	}
}

func (c *clusterState) replayAll(ctx context.Context) {
	if c.hints == nil {
		return
	}
	for _, t := range c.hints.Targets() {
		c.replay(ctx, ring.NodeID(t))
	}
}

// Stopping.

// close stops gossip and the background work. Peers see the node down
// (it does not leave: its tokens stay its own).
func (c *clusterState) close() {
	close(c.quit)
	c.wg.Wait()
	if m := c.m.Load(); m != nil {
		if err := m.Shutdown(); err != nil {
			c.log.Warn("stopping gossip", "err", err)
		}
	}
	c.mu.Lock()
	for id, p := range c.peers {
		p.c.Close()
		delete(c.peers, id)
	}
	c.mu.Unlock()
	if c.hints != nil {
		if err := c.hints.Close(); err != nil {
			c.log.Warn("closing the hint store", "err", err)
		}
	}
}

// halt stops the node's background work after a disk failure (halted).
func (c *clusterState) halt() { c.haltOnce.Do(func() { close(c.halted) }) }

func (c *clusterState) isHalted() bool {
	select {
	case <-c.halted:
		return true
	default:
		return false
	}
}
