package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"wcdb/ring"
)

var (
	// ErrClusterMismatch marks a join refused because the other side
	// belongs to another cluster (another ClusterName) or speaks metadata
	// this node cannot read.
	ErrClusterMismatch = errors.New("cluster: refused: not a node of this cluster")
	// ErrNoSeed marks a join that reached no seed before its context ended.
	ErrNoSeed = errors.New("cluster: no seed reachable")
	// ErrShutdown is returned by calls on a Membership that was shut down
	// or left.
	ErrShutdown = errors.New("cluster: membership shut down")
)

// Membership is this node's membership of the cluster: its gossip, the
// failure detector's verdicts, and the token ring built from what every
// node advertises. It is safe for concurrent use; Ring, Alive and DownSince
// take no lock and suit every request's path.
type Membership struct {
	cfg Config
	log *slog.Logger
	ml  *memberlist.Memberlist

	// otherSeeds are the seeds that are not this node; selfSeed tells
	// whether this node is one of the seeds. Set before any goroutine starts.
	otherSeeds []string
	selfSeed   bool

	ring     atomic.Pointer[ring.Metadata]
	future   atomic.Pointer[ring.Metadata] // == ring when nothing moves
	verdicts atomic.Pointer[map[ring.NodeID]verdict]

	// updateMu serializes announcements: memberlist.UpdateNode reads the
	// metadata, then takes an incarnation number, so two at once could
	// send older metadata under the newer number.
	updateMu sync.Mutex

	mu struct {
		sync.Mutex
		v           *view
		meta        nodeMeta     // this node's metadata
		metaBytes   []byte       // meta, encoded
		localTokens []ring.Token // this node's tokens, inline or not
		claimed     *ring.Metadata
		losers      []ring.NodeID
		changed     chan struct{} // closed and replaced on each placement change
		lastChange  time.Time
		refused     error // why the last merge was refused
		lastFetch   map[ring.NodeID]time.Time
		left        bool
		closed      bool
	}

	events *eventQueue
	kick   chan struct{} // wakes maintain; capacity 1
	quit   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

type verdict struct {
	alive     bool
	downSince time.Time
}

// Join starts gossip on the configured address, joins the cluster through
// the seeds, and, for a node without tokens, allocates them and waits
// until the node is NORMAL. It returns once the node owns its tokens, or
// with an error (the node then stops) when ctx ends first, no seed is
// reachable, or a seed belongs to another cluster (ErrClusterMismatch).
//
// A node with Config.Tokens (a restart) is NORMAL from the start and
// returns as soon as it has contacted a seed.
func Join(ctx context.Context, cfg Config) (*Membership, error) {
	m, err := start(cfg)
	if err != nil {
		return nil, err
	}
	if err := m.join(ctx); err != nil {
		m.Shutdown()
		return nil, err
	}
	return m, nil
}

// start validates cfg and starts gossip, alone: a member of no cluster but
// its own until join.
func start(cfg Config) (*Membership, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Seeds = slices.Clone(cfg.Seeds)
	cfg.Tokens = slices.Clone(cfg.Tokens)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	m := &Membership{
		cfg:    cfg,
		log:    logger.With("node", string(cfg.NodeID)),
		events: newEventQueue(cfg.EventBuffer),
		kick:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
	}
	empty, _ := ring.New(nil)
	m.ring.Store(empty)
	m.future.Store(empty)
	m.verdicts.Store(&map[ring.NodeID]verdict{})
	m.mu.v = newView(cfg.NodeID, leftRetention(cfg))
	m.mu.claimed = empty
	m.mu.changed = make(chan struct{})
	m.mu.lastChange = time.Now()
	m.mu.lastFetch = map[ring.NodeID]time.Time{}
	m.mu.meta = nodeMeta{
		status:  StatusJoining,
		schema:  cfg.SchemaVersion,
		cluster: cfg.ClusterName,
		dc:      cfg.DataCenter,
		rack:    cfg.Rack,
		release: cfg.ReleaseVersion,
		cql:     cfg.CQLAddress,
		inter:   cfg.InternodeAddress,
	}
	// A node resuming a join announces its tokens only after BeforeTokens
	// (resumeJoin).
	if len(cfg.Tokens) > 0 && !cfg.Joining {
		m.mu.meta.status = StatusNormal
		m.setTokensLocked(cfg.Tokens)
	} else {
		m.setTokensLocked(nil)
	}

	mlc := memberlist.DefaultLANConfig()
	mlc.Name = string(cfg.NodeID)
	mlc.BindAddr = cfg.BindAddr
	mlc.BindPort = cfg.GossipPort
	mlc.AdvertiseAddr = cfg.AdvertiseAddr
	mlc.AdvertisePort = cfg.AdvertisePort
	if mlc.AdvertisePort == 0 {
		mlc.AdvertisePort = cfg.GossipPort
	}
	mlc.ProbeInterval = cfg.ProbeInterval
	mlc.ProbeTimeout = cfg.ProbeTimeout
	mlc.SuspicionMult = cfg.SuspicionMult
	mlc.GossipInterval = cfg.GossipInterval
	mlc.PushPullInterval = cfg.PushPullInterval
	mlc.GossipToTheDeadTime = cfg.PushPullInterval
	mlc.TCPTimeout = cfg.TCPTimeout
	// Host ids are unique, so a dead node's id coming back from another
	// address is that node, moved: take it back at once.
	mlc.DeadNodeReclaimTime = time.Nanosecond
	d := (*delegate)(m)
	mlc.Delegate = d
	mlc.Events = d
	mlc.Alive = d
	mlc.Merge = d
	mlc.Logger = memberlistLogger(m.log)
	// The cluster name labels every packet and stream: a node of another
	// cluster is turned away before its gossip is read (and, with keys,
	// the label is authenticated with the payload).
	mlc.Label = cfg.ClusterName
	if len(cfg.EncryptionKeys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.EncryptionKeys[1:], cfg.EncryptionKeys[0])
		if err != nil {
			return nil, fmt.Errorf("cluster: gossip encryption keys: %w", err)
		}
		mlc.Keyring = kr
		mlc.GossipVerifyIncoming, mlc.GossipVerifyOutgoing = true, true
	}
	ml, err := memberlist.Create(mlc)
	if err != nil {
		return nil, fmt.Errorf("cluster: start gossip on %s:%d: %w", cfg.BindAddr, cfg.GossipPort, err)
	}
	m.ml = ml

	// Addresses with no host take the advertised gossip address's, known
	// only now (memberlist may have picked it).
	m.mu.Lock()
	self, ok := m.mu.v.members[cfg.NodeID]
	if !ok {
		m.mu.Unlock()
		ml.Shutdown()
		return nil, fmt.Errorf("cluster: start gossip: memberlist did not report this node")
	}
	host, _, _ := net.SplitHostPort(self.addr)
	fill := func(a string) string {
		if h, p, _ := net.SplitHostPort(a); h == "" {
			return net.JoinHostPort(host, p)
		}
		return a
	}
	m.mu.meta.cql, m.mu.meta.inter = fill(m.mu.meta.cql), fill(m.mu.meta.inter)
	m.setTokensLocked(m.mu.localTokens) // the size may have changed
	selfAddr := self.addr
	m.mu.Unlock()
	if err := m.announce(); err != nil {
		ml.Shutdown()
		return nil, err
	}

	for _, s := range cfg.Seeds {
		if isSelf(s, selfAddr, cfg.BindAddr) {
			m.selfSeed = true
		} else {
			m.otherSeeds = append(m.otherSeeds, s)
		}
	}
	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		m.events.run(m.quit)
	}()
	go m.maintain()
	return m, nil
}

// leftRetention is how long nodes that left are carried in push/pull
// state: long enough for several exchanges to reach every node.
func leftRetention(cfg Config) time.Duration { return 10 * cfg.PushPullInterval }

// isSelf reports whether seed names this node's gossip address.
func isSelf(seed, advertised, bindAddr string) bool {
	a, err := net.ResolveTCPAddr("tcp", seed)
	if err != nil {
		return false
	}
	adv, err := net.ResolveTCPAddr("tcp", advertised)
	if err != nil || a.Port != adv.Port {
		return false
	}
	return a.IP.Equal(adv.IP) || a.IP.Equal(net.ParseIP(bindAddr))
}

// setTokensLocked sets this node's tokens in its metadata, inline if they
// fit, and re-encodes it.
func (m *Membership) setTokensLocked(tokens []ring.Token) {
	m.mu.localTokens = slices.Sorted(slices.Values(tokens))
	m.mu.meta.setTokens(m.mu.localTokens, memberlist.MetaMaxSize)
	m.mu.metaBytes = m.mu.meta.encode()
}

// announce gossips this node's current metadata, waiting (at most
// BroadcastTimeout) until another node was sent it. A timeout is logged,
// not returned: the change is applied locally and spreads by gossip and
// push/pull anyway.
func (m *Membership) announce() error {
	m.updateMu.Lock()
	defer m.updateMu.Unlock()
	m.mu.Lock()
	done := m.mu.closed || m.mu.left
	m.mu.Unlock()
	if done {
		return ErrShutdown
	}
	if err := m.ml.UpdateNode(m.cfg.BroadcastTimeout); err != nil {
		m.log.Warn("cluster: metadata update not yet sent to another node", "err", err)
	}
	return nil
}

// applyLocked takes what a change of the view implies: a new ring when
// placement changed, verdicts, waking the allocation loop, fetching tokens,
// and the events.
func (m *Membership) applyLocked(c change) {
	if len(c.events) == 0 {
		return
	}
	now := time.Now()
	if c.placement {
		close(m.mu.changed)
		m.mu.changed = make(chan struct{})
		m.mu.lastChange = now
	}
	owners, claimed, future, losers, err := m.mu.v.rings()
	if err != nil {
		m.log.Error("cluster: cannot build the ring", "err", err)
	} else {
		if !sameRing(owners, m.ring.Load()) {
			m.ring.Store(owners)
		}
		// The future ring is the owners' own pointer when nothing moves,
		// which tells the coordinator there are no pending ranges.
		switch cur := m.ring.Load(); {
		case sameRing(future, cur):
			m.future.Store(cur)
		case !sameRing(future, m.future.Load()):
			m.future.Store(future)
		}
		if !slices.Equal(losers, m.mu.losers) && len(losers) > 0 {
			m.log.Warn("cluster: nodes left out of the ring: their tokens collide with other nodes'", "nodes", losers)
		}
		m.mu.claimed, m.mu.losers = claimed, losers
	}
	vs := make(map[ring.NodeID]verdict, len(m.mu.v.members))
	for id, mb := range m.mu.v.members {
		vs[id] = verdict{alive: mb.live == liveAlive, downSince: mb.downSince}
	}
	m.verdicts.Store(&vs)
	if len(m.mu.v.missing()) > 0 {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
	m.events.push(c.events...)
}

// maintain contacts seeds this node is not connected to, every
// PushPullInterval, and asks nodes for the external tokens it lacks.
func (m *Membership) maintain() {
	defer m.wg.Done()
	t := time.NewTicker(m.cfg.PushPullInterval)
	defer t.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-t.C:
			m.contactSeeds()
		case <-m.kick:
		}
		m.fetchTokens()
	}
}

func (m *Membership) contactSeeds() {
	if len(m.otherSeeds) == 0 {
		return
	}
	m.mu.Lock()
	if m.mu.left || m.mu.closed {
		m.mu.Unlock()
		return
	}
	connected := map[string]bool{}
	for _, mb := range m.mu.v.members {
		if mb.live == liveAlive {
			connected[mb.addr] = true
		}
	}
	m.mu.Unlock()
	var missing []string
	for _, s := range m.otherSeeds {
		a, err := net.ResolveTCPAddr("tcp", s)
		if err != nil || !connected[a.String()] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		if n, err := m.ml.Join(missing); n == 0 {
			m.log.Debug("cluster: seeds unreachable", "seeds", missing, "err", err)
		}
	}
}

// fetchTokens asks each alive node whose external tokens this node lacks
// for a push/pull (at most once per TCPTimeout per node), which carries
// them.
func (m *Membership) fetchTokens() {
	m.mu.Lock()
	now := time.Now()
	var addrs []string
	for _, mb := range m.mu.v.missing() {
		if now.Sub(m.mu.lastFetch[mb.id]) >= m.cfg.TCPTimeout {
			m.mu.lastFetch[mb.id] = now
			addrs = append(addrs, mb.addr)
		}
	}
	done := m.mu.closed || m.mu.left
	m.mu.Unlock()
	if done {
		return
	}
	for _, a := range addrs {
		if _, err := m.ml.Join([]string{a}); err != nil {
			m.log.Debug("cluster: fetching tokens failed", "from", a, "err", err)
		}
	}
}

// ID returns this node's host id.
func (m *Membership) ID() ring.NodeID { return m.cfg.NodeID }

// Ring returns the current token ring: every NORMAL or LEAVING node with
// its tokens, alive or down. It is rebuilt when gossip changes it and
// shared until then, so calling it on every request costs an atomic load;
// the same pointer comes back while the ring is unchanged, which keeps
// ring.Metadata's memoized placements.
func (m *Membership) Ring() *ring.Metadata { return m.ring.Load() }

// FutureRing returns the ring as it will be once the range movements in
// progress complete: JOINING nodes with their tokens in, LEAVING nodes
// out. It is the same pointer as Ring while nothing moves.
func (m *Membership) FutureRing() *ring.Metadata { return m.future.Load() }

// Alive reports the failure detector's verdict on id: true while
// memberlist counts it alive (a suspect node still counts), false once it
// was declared dead or left, or if it is unknown.
func (m *Membership) Alive(id ring.NodeID) bool { return (*m.verdicts.Load())[id].alive }

// DownSince returns when id went down (declared dead or left), zero while
// it is alive or if it is unknown.
func (m *Membership) DownSince(id ring.NodeID) time.Time {
	return (*m.verdicts.Load())[id].downSince
}

// Nodes returns every node known that has not left, this one included, in
// id order.
func (m *Membership) Nodes() []NodeInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.v.nodes()
}

// Node returns what is known of id.
func (m *Membership) Node(id ring.NodeID) (NodeInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mu.v.members[id]
	if !ok {
		return NodeInfo{}, false
	}
	return mb.info(), true
}

// Local returns this node as the cluster sees it.
func (m *Membership) Local() NodeInfo {
	n, _ := m.Node(m.cfg.NodeID)
	return n
}

// State returns what the node must keep across restarts (see SaveState).
func (m *Membership) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{HostID: m.cfg.NodeID, Tokens: slices.Clone(m.mu.localTokens), Joining: m.mu.meta.status == StatusJoining}
	if st.Joining && m.mu.meta.move.Kind == Replacing {
		st.Replacing = m.mu.meta.move.Target
	}
	return st
}

// SetSchemaVersion advertises a new schema version. It returns once the
// change is sent to another node (or BroadcastTimeout passed); every node
// learns it within a few GossipIntervals, as a NodeUpdated event.
func (m *Membership) SetSchemaVersion(v [16]byte) error {
	m.mu.Lock()
	m.mu.meta.schema = v
	m.mu.metaBytes = m.mu.meta.encode()
	m.mu.Unlock()
	return m.announce()
}

// SetStatus advertises a new status. NORMAL and LEAVING need tokens.
func (m *Membership) SetStatus(s Status) error {
	if !s.valid() || s == StatusLeft {
		return fmt.Errorf("cluster: set status: invalid status %v (LEFT is Leave's)", s)
	}
	m.mu.Lock()
	if s.owns() && len(m.mu.localTokens) == 0 {
		m.mu.Unlock()
		return fmt.Errorf("cluster: set status %v: the node has no tokens", s)
	}
	m.mu.meta.status = s
	m.mu.metaBytes = m.mu.meta.encode()
	m.mu.Unlock()
	return m.announce()
}

// Subscribe calls fn with every event from now on, in order, from one
// goroutine shared by all subscribers: fn should return quickly, and must
// not call Shutdown. Gossip never waits for fn; see Config.EventBuffer for
// what happens when subscribers fall behind. To start from a consistent
// state, subscribe first, then read Nodes. cancel stops the calls (one in
// progress may finish).
func (m *Membership) Subscribe(fn func(Event)) (cancel func()) {
	return m.events.subscribe(fn)
}

// DroppedEvents returns how many events were dropped because subscribers
// fell EventBuffer events behind.
func (m *Membership) DroppedEvents() uint64 { return m.events.dropped() }

// Leave leaves the cluster gracefully: it advertises status LEAVING (if
// the node has tokens), then LEFT, which takes the node out of every ring,
// then leaves memberlist, so that the other nodes see it leave, not fail.
// Each step waits at most timeout for its broadcast. The node keeps
// running until Shutdown but announces nothing more. Its tokens are given
// up: a node that comes back after Leave should start afresh (a new
// host id, or at least no saved tokens).
func (m *Membership) Leave(timeout time.Duration) error {
	m.updateMu.Lock()
	defer m.updateMu.Unlock()
	m.mu.Lock()
	if m.mu.closed || m.mu.left {
		m.mu.Unlock()
		return ErrShutdown
	}
	var steps []Status
	if len(m.mu.localTokens) > 0 && m.mu.meta.status != StatusLeaving {
		steps = append(steps, StatusLeaving)
	}
	steps = append(steps, StatusLeft)
	m.mu.Unlock()
	for _, s := range steps {
		m.mu.Lock()
		m.mu.meta.status = s
		m.mu.metaBytes = m.mu.meta.encode()
		m.mu.Unlock()
		if err := m.ml.UpdateNode(timeout); err != nil {
			m.log.Warn("cluster: status not yet sent to another node", "status", s, "err", err)
		}
	}
	m.mu.Lock()
	m.mu.left = true
	m.mu.Unlock()
	if err := m.ml.Leave(timeout); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	m.log.Info("cluster: left the cluster")
	return nil
}

// Shutdown stops gossip without leaving: the other nodes see this node
// fail. Events not yet delivered are dropped; no subscriber is called once
// Shutdown returns. It is safe to call more than once.
func (m *Membership) Shutdown() error {
	var err error
	m.once.Do(func() {
		m.mu.Lock()
		m.mu.closed = true
		m.mu.Unlock()
		err = m.ml.Shutdown()
		close(m.quit)
		m.wg.Wait()
	})
	return err
}

// delegate is the Membership as memberlist's delegates see it. memberlist
// calls these from its own goroutines, event ones with its node lock held:
// they take m.mu and never call memberlist.
type delegate Membership

var (
	_ memberlist.Delegate      = (*delegate)(nil)
	_ memberlist.EventDelegate = (*delegate)(nil)
	_ memberlist.AliveDelegate = (*delegate)(nil)
	_ memberlist.MergeDelegate = (*delegate)(nil)
)

func (d *delegate) m() *Membership { return (*Membership)(d) }

// NodeMeta returns this node's encoded metadata, which never exceeds
// limit (tokens go external first).
func (d *delegate) NodeMeta(limit int) []byte {
	m := d.m()
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mu.metaBytes)
}

func (d *delegate) NotifyMsg([]byte) {}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }

func (d *delegate) LocalState(join bool) []byte {
	m := d.m()
	m.mu.Lock()
	defer m.mu.Unlock()
	return encodeState(m.mu.v.records(time.Now()))
}

func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	m := d.m()
	recs, err := decodeState(buf)
	if err != nil {
		m.log.Warn("cluster: ignoring push/pull state", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		c, err := m.mu.v.merge(r)
		if err != nil {
			m.log.Warn("cluster: ignoring push/pull record", "err", err)
			continue
		}
		m.applyLocked(c)
	}
}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.onAlive(n) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.onAlive(n) }

// NotifyLeave reports a node dead or left: memberlist does not say which
// (Node.State is not set here), the node's last status does.
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	m := d.m()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyLocked(m.mu.v.dead(ring.NodeID(n.Name), time.Now()))
}

func (d *delegate) onAlive(n *memberlist.Node) {
	m := d.m()
	id := ring.NodeID(n.Name)
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		m.log.Warn("cluster: ignoring node with bad metadata", "peer", n.Name, "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.mu.v.alive(id, n.Address(), n.Meta, meta, time.Now())
	if id == m.cfg.NodeID && meta.external {
		c2 := m.mu.v.setTokens(id, m.mu.localTokens)
		c.events = append(c.events, c2.events...)
		c.placement = c.placement || c2.placement
	}
	m.applyLocked(c)
}

// check refuses a node of another cluster, or one whose metadata this
// node cannot read.
func (d *delegate) check(n *memberlist.Node) error {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		return fmt.Errorf("%w: node %s at %s: %v", ErrClusterMismatch, n.Name, n.Address(), err)
	}
	if meta.cluster != d.cfg.ClusterName {
		return fmt.Errorf("%w: node %s at %s is in cluster %q, this node in %q",
			ErrClusterMismatch, n.Name, n.Address(), meta.cluster, d.cfg.ClusterName)
	}
	return nil
}

// NotifyAlive refuses gossip about nodes of other clusters.
func (d *delegate) NotifyAlive(n *memberlist.Node) error { return d.check(n) }

// NotifyMerge refuses a join (either side of it) with a node that knows
// nodes of another cluster, and records why for joinSeeds.
func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if err := d.check(p); err != nil {
			m := d.m()
			m.mu.Lock()
			m.mu.refused = err
			m.mu.Unlock()
			m.log.Warn("cluster: refused to merge", "err", err)
			return err
		}
	}
	return nil
}
