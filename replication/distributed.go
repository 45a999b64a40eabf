package replication

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/schema"
)

// Cluster is the coordinator's view of the cluster. Implementations are
// safe for concurrent use; Ring may return a newer ring at every call.
type Cluster interface {
	// Local is this node.
	Local() ring.NodeID
	// Ring is the current token ring.
	Ring() *ring.Metadata
	// FutureRing is the ring as it will be once the range movements in
	// progress complete (joining nodes with their tokens, leaving nodes
	// gone, replaced nodes' tokens on their replacements); the same pointer as
	// Ring when none is in progress.
	FutureRing() *ring.Metadata
	// Alive is the failure detector's verdict on a node.
	Alive(id ring.NodeID) bool
	// DownSince is when a node was last seen going down (zero if it is
	// alive or its state is unknown); hints are kept for it only within
	// the hint window after that.
	DownSince(id ring.NodeID) time.Time
	// Replica is the way to a node's store: this node's own for Local().
	Replica(id ring.NodeID) Replica
}

// HintSink keeps writes for replicas that did not take them, to be
// replayed when they are back (hinted handoff). Safe for concurrent use.
type HintSink interface {
	Add(target ring.NodeID, m *mutation.Mutation) error
}

// DistributedConfig configures a Distributed coordinator. Zero fields take
// the defaults, which are Cassandra's.
type DistributedConfig struct {
	// WriteTimeout bounds a write's wait for its replicas (2 s).
	WriteTimeout time.Duration
	// ReadTimeout bounds a partition read (5 s), RangeTimeout a page of a
	// range read (10 s).
	ReadTimeout, RangeTimeout time.Duration
	// MaxHintWindow is how long after a node went down writes are still
	// hinted for it (3 h); negative disables hints.
	MaxHintWindow time.Duration
	// Hints receives the hints; nil disables hinted handoff.
	Hints HintSink
	// SpeculativeRetry is how long a read waits for a replica before asking
	// one more: 0 means the 99th percentile of recent reads (Cassandra's
	// 99p), negative disables it.
	SpeculativeRetry time.Duration
	// Now replaces the clock (tests).
	Now func() time.Time
	// Logf receives background failures (hints that could not be written).
	Logf func(format string, args ...any)
	// NodeName names a node in request traces ("" or nil: its host id).
	NodeName func(ring.NodeID) string
	// CASContentionTimeout bounds the Paxos rounds of a lightweight
	// transaction or serial read that lose to other proposers (1 s,
	// Cassandra's cas_contention_timeout).
	CASContentionTimeout time.Duration
}

func (c *DistributedConfig) setDefaults() {
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 2 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 5 * time.Second
	}
	if c.RangeTimeout == 0 {
		c.RangeTimeout = 10 * time.Second
	}
	if c.MaxHintWindow == 0 {
		c.MaxHintWindow = 3 * time.Hour
	}
	if c.CASContentionTimeout == 0 {
		c.CASContentionTimeout = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Distributed is the cluster's coordinator: it places each partition on
// its replicas with the keyspace's strategy, sends writes to every live
// replica (and the pending ones of a range movement in progress) and
// answers once the consistency level is met (hinting the others), and
// reads from as few replicas as the level needs, comparing digests and
// repairing stale replicas before it answers.
type Distributed struct {
	c        Cluster
	cfg      DistributedConfig
	lat      latencies
	counters counters

	// strategies memoizes each keyspace's Strategy (read on every
	// request: a sync.Map, read without a lock); nStrategies counts them.
	strategies  sync.Map
	nStrategies atomic.Int64
}

var _ Coordinator = (*Distributed)(nil)

// NewDistributed returns the coordinator of the node cluster.Local().
func NewDistributed(c Cluster, cfg DistributedConfig) *Distributed {
	cfg.setDefaults()
	return &Distributed{c: c, cfg: cfg}
}

// strategy returns the keyspace's replica placement (memoized: keyspaces
// are immutable, a change of replication makes a new one).
func (d *Distributed) strategy(ks *schema.Keyspace) (Strategy, error) {
	if ks == nil {
		return nil, errors.New("replication: no keyspace")
	}
	if st, ok := d.strategies.Load(ks); ok {
		return st.(Strategy), nil
	}
	st, err := ParseStrategy(ks.Replication)
	if err != nil {
		return nil, err
	}
	if d.nStrategies.Add(1) > 4096 {
		d.strategies.Clear() // keyspaces replaced by DDL; start over
		d.nStrategies.Store(1)
	}
	d.strategies.Store(ks, st)
	return st, nil
}

func (d *Distributed) dcOf(m *ring.Metadata) func(ring.NodeID) string {
	return func(id ring.NodeID) string {
		n, _ := m.Node(id)
		return n.DC
	}
}

// placement is one token's replicas for one request.
type placement struct {
	// live are the natural replicas (those of the current ring) that are
	// up, in proximity order; dead the others, then, for a write, the
	// pending replicas that are down (hinted only).
	live, dead []ring.NodeID
	// pending are the live replicas the token gains once the range
	// movements in progress complete (writes only; see addPending).
	pending []ring.NodeID
	req     requirement
	dcOf    func(ring.NodeID) string
	buf     [2][3]ring.NodeID // room for live and a read's first targets: no allocation up to RF 3
}

// localOnly reports whether local is the one replica, and alive.
func (p *placement) localOnly(local ring.NodeID) bool {
	return len(p.live) == 1 && len(p.dead) == 0 && len(p.pending) == 0 && p.live[0] == local
}

// place returns the replicas a read of token asks: the natural ones.
func (d *Distributed) place(ks *schema.Keyspace, token ring.Token, cl Consistency) (*placement, error) {
	return d.placeFor(ks, token, cl, false, new(placement))
}

// placeWrite returns the replicas a write of token goes to: the natural
// ones and the pending ones.
func (d *Distributed) placeWrite(ks *schema.Keyspace, token ring.Token, cl Consistency) (*placement, error) {
	return d.placeFor(ks, token, cl, true, new(placement))
}

// placeFor fills p (a batch's placements are one allocation) and returns it.
func (d *Distributed) placeFor(ks *schema.Keyspace, token ring.Token, cl Consistency, write bool, p *placement) (*placement, error) {
	if !cl.Valid() {
		return nil, fmt.Errorf("replication: unknown consistency level %d", cl)
	}
	st, err := d.strategy(ks)
	if err != nil {
		return nil, err
	}
	m := d.c.Ring()
	*p = placement{dcOf: d.dcOf(m)}
	p.live = p.buf[0][:0]
	var replicas []ring.NodeID
	_, isLocal := st.(LocalStrategy)
	if isLocal || m.Len() == 0 {
		replicas = []ring.NodeID{d.c.Local()}
	} else {
		replicas = st.Replicas(m, token)
	}
	local := d.c.Local()
	localNode, _ := m.Node(local)
	for _, id := range replicas {
		if id == local || d.c.Alive(id) {
			p.live = append(p.live, id)
		} else {
			p.dead = append(p.dead, id)
		}
	}
	// Proximity: this node, then its datacenter (its rack first), then
	// the rest, each group in ring order.
	rank := func(id ring.NodeID) int {
		if id == local {
			return 0
		}
		n, _ := m.Node(id)
		switch {
		case n.DC == localNode.DC && n.Rack == localNode.Rack:
			return 1
		case n.DC == localNode.DC:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(p.live, func(a, b ring.NodeID) int { return rank(a) - rank(b) })
	p.req = newRequirement(cl, st, localNode.DC, replicas, p.dcOf)
	// No movement in progress (the same ring) is the common case: it
	// costs a comparison. An empty current ring has no movements to join:
	// its only replica is this node. The future ring is read after the
	// current one: a change in between at worst adds a replica.
	if write && !isLocal && m.Len() > 0 {
		if future := d.c.FutureRing(); future != m && future.Len() > 0 {
			d.addPending(p, st, m, future, token, replicas)
		}
	}
	return p, nil
}

// addPending adds to a write's placement its pending replicas, the nodes
// the strategy places token on in the future ring and not in the current
// one, and raises the requirement by those that count (see
// requirement.addPending): as Cassandra, a write during a range movement
// goes to both the replicas the range has and those it is getting.
//
// A pending replica the failure detector holds down is left out of
// pending: not sent to, and not counted in the requirement. Cassandra
// counts it, so a joining node that dies makes RF 1 writes of its ranges
// unavailable (and QUORUM fragile) until it is back or removed. Leaving it
// out loses nothing: a joining node back from the dead restarts its
// streaming from scratch, and the stream carries what it missed. It is
// still hinted, as a dead natural replica is (with p.dead), for a node
// already NORMAL that is taking ranges over from a leaving one and went
// down after its stream.
func (d *Distributed) addPending(p *placement, st Strategy, m, future *ring.Metadata, token ring.Token, natural []ring.NodeID) {
	local := d.c.Local()
	for _, id := range st.Replicas(future, token) {
		switch {
		case slices.Contains(natural, id):
		case id == local || d.c.Alive(id):
			p.pending = append(p.pending, id)
		default:
			p.dead = append(p.dead, id)
		}
	}
	if len(p.pending) == 0 {
		return
	}
	// A joining or replacing node is on the future ring only.
	p.dcOf = func(id ring.NodeID) string {
		if n, ok := m.Node(id); ok {
			return n.DC
		}
		n, _ := future.Node(id)
		return n.DC
	}
	p.req.addPending(p.pending, p.dcOf)
}

// unavailable checks that the live replicas (natural and pending) can meet
// the level.
func (p *placement) unavailable(cl Consistency, hints bool) error {
	ok, alive := p.req.available(p.live, p.pending, p.dcOf)
	if ok || cl == Any && hints {
		return nil
	}
	return &UnavailableError{Consistency: cl, Required: p.req.need, Alive: alive}
}

// Write sends each mutation to its replicas. Every mutation's replicas
// are checked before anything is sent, so Unavailable means nothing was
// written.
func (d *Distributed) Write(ctx context.Context, ks *schema.Keyspace, ms []mutation.Mutation, cl Consistency) error {
	if cl == Serial || cl == LocalSerial {
		return fmt.Errorf("replication: you must use conditional updates for serializable writes")
	}
	plans := make([]*placement, len(ms))
	buf := make([]placement, len(ms))
	for i := range ms {
		p, err := d.placeFor(ks, ms[i].Partition.Key.Token, cl, true, &buf[i])
		if err != nil {
			return err
		}
		if err := p.unavailable(cl, d.hintsOn()); err != nil {
			return err
		}
		plans[i] = p
	}
	if len(ms) == 1 {
		return d.writeOne(ctx, &ms[0], plans[0], cl)
	}
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	local := d.c.Local()
	var mine []*mutation.Mutation
	first := 0 // of mine
	for i := range ms {
		if plans[i].localOnly(local) {
			if mine == nil {
				first = i
			}
			mine = append(mine, &ms[i])
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.writeOne(ctx, &ms[i], plans[i], cl)
		}()
	}
	// Mutations only this node holds are applied here, while the others
	// travel: a goroutine each (a batch of a single node) would only
	// contend for the same memtables. They go down in one call when the
	// replica takes several (but for a trace, which notes each).
	all, ok := d.c.Replica(local).(BatchReplica)
	if ok && len(mine) > 1 && tracing.From(ctx) == nil {
		tracing.NoteReplica(ctx, string(local))
		if err := all.ApplyAll(ctx, mine); err != nil {
			errs[first] = localWriteError(err, cl, plans[first].req.need)
		}
	} else {
		for i := range ms {
			if plans[i].localOnly(local) {
				errs[i] = d.writeOne(ctx, &ms[i], plans[i], cl)
			}
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// localWriteError is what the client gets when this node, one of the
// blockFor replicas the level needs, fails to apply a write.
func localWriteError(err error, cl Consistency, blockFor int) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &WriteTimeoutError{Consistency: cl, BlockFor: blockFor, WriteType: WriteSimple}
	}
	return &WriteFailureError{Consistency: cl, BlockFor: blockFor, Failures: 1, WriteType: WriteSimple, Err: err}
}

func (d *Distributed) hintsOn() bool { return d.cfg.Hints != nil && d.cfg.MaxHintWindow > 0 }

// hint stores m for target if the target has been down for less than the
// hint window. It reports whether a hint was stored.
func (d *Distributed) hint(target ring.NodeID, m *mutation.Mutation) bool {
	if !d.hintsOn() {
		return false
	}
	if since := d.c.DownSince(target); !since.IsZero() && d.cfg.Now().Sub(since) > d.cfg.MaxHintWindow {
		return false
	}
	if err := d.cfg.Hints.Add(target, m); err != nil {
		d.cfg.Logf("replication: hint for %s: %v", target, err)
		return false
	}
	return true
}

type ack struct {
	id  ring.NodeID
	err error
}

// writeOne sends one mutation to its live replicas, natural and pending,
// and waits for the level. Replicas that fail or do not answer in time get
// a hint, even after the client was answered.
func (d *Distributed) writeOne(ctx context.Context, m *mutation.Mutation, p *placement, cl Consistency) error {
	t := tally{r: &p.req}
	hinted := 0
	for _, id := range p.dead {
		if d.hint(id, m) {
			hinted++
		}
	}
	local := d.c.Local()
	for _, ids := range [...][]ring.NodeID{p.live, p.pending} {
		for _, id := range ids {
			tracing.NoteReplica(ctx, string(id))
		}
	}
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Mutation, "Writing at consistency %s (%d needed) to %v, pending %v, down %v (%d hinted)",
			cl, p.req.need, d.names(p.live), d.names(p.pending), d.names(p.dead), hinted)
	}
	if p.localOnly(local) {
		// The only replica is this node: applied in place, with no
		// goroutine or timer (a single node, RF 1 on the token-aware path).
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Mutation, "Appending mutation locally")
		}
		if err := d.c.Replica(p.live[0]).Apply(ctx, m); err != nil {
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Mutation, "Local mutation failed: %v", err)
			}
			return localWriteError(err, cl, p.req.need)
		}
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Mutation, "Mutation applied locally")
		}
		return nil
	}
	targets := [...][]ring.NodeID{p.live, p.pending}
	n := len(p.live) + len(p.pending)
	if n == 0 {
		if cl == Any && hinted > 0 {
			return nil
		}
		_, alive := p.req.available(p.live, p.pending, p.dcOf)
		return &UnavailableError{Consistency: cl, Required: p.req.need, Alive: alive}
	}
	// Replica calls outlive the request when it is answered early: they
	// run on their own deadline, and a failure becomes a hint.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.WriteTimeout)
	acks := make(chan ack, n)
	toLocal := false
	for _, ids := range targets {
		for _, id := range ids {
			if id == local {
				toLocal = true
				continue
			}
			done := func(err error) {
				if err != nil {
					d.hint(id, m)
				}
				acks <- ack{id, err}
			}
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Mutation, "Sending MUTATION message to %s", d.name(id))
			}
			rep := d.c.Replica(id)
			if a, ok := rep.(AsyncReplica); ok {
				a.ApplyAsync(sendCtx, m, done)
				continue
			}
			go func() { done(rep.Apply(sendCtx, m)) }()
		}
	}
	// This node's copy is written here, while the others travel: a
	// goroutine for it would only grow a new stack in the storage engine.
	if toLocal {
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Mutation, "Appending mutation locally")
		}
		err := d.c.Replica(local).Apply(sendCtx, m)
		if err != nil {
			d.hint(local, m)
		}
		acks <- ack{local, err}
	}
	timer := time.NewTimer(d.cfg.WriteTimeout)
	defer timer.Stop()
	answered, failures := 0, 0
	var firstErr error
	for answered < n {
		select {
		case a := <-acks:
			answered++
			if a.err != nil {
				if tr := tracing.From(ctx); tr != nil {
					tr.Eventf(tracing.Mutation, "MUTATION to %s failed: %v", d.name(a.id), a.err)
				}
				if errors.Is(a.err, ErrNotDelivered) && slices.Contains(p.pending, a.id) {
					// As if the failure detector had it down: not
					// waited for (it is hinted).
					p.req.dropPending(p.dcOf(a.id))
					if t.met() {
						go drain(acks, n-answered, cancel)
						return nil
					}
					continue
				}
				failures++
				if firstErr == nil {
					firstErr = a.err
				}
				continue
			}
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Mutation, "MUTATION response from %s", d.name(a.id))
			}
			if t.add(p.dcOf(a.id)) {
				go drain(acks, n-answered, cancel)
				return nil
			}
		case <-timer.C:
			if tr := tracing.From(ctx); tr != nil {
				tr.Eventf(tracing.Mutation, "Timed out waiting for MUTATION responses: %d of %d", t.got, p.req.need)
			}
			go drain(acks, n-answered, cancel)
			return &WriteTimeoutError{Consistency: cl, Received: t.got, BlockFor: p.req.need, WriteType: WriteSimple}
		case <-ctx.Done():
			go drain(acks, n-answered, cancel)
			return ctx.Err()
		}
	}
	cancel()
	if cl == Any && hinted > 0 {
		return nil
	}
	if errors.Is(firstErr, context.DeadlineExceeded) {
		return &WriteTimeoutError{Consistency: cl, Received: t.got, BlockFor: p.req.need, WriteType: WriteSimple}
	}
	return &WriteFailureError{Consistency: cl, Received: t.got, BlockFor: p.req.need,
		Failures: failures, WriteType: WriteSimple, Err: firstErr}
}

// drain waits for the answers still due, then releases the send context.
func drain(acks <-chan ack, n int, cancel context.CancelFunc) {
	for range n {
		<-acks
	}
	cancel()
}
