package cluster

// Joining the ring: a node's first join (token allocation, then JOINING
// for RingDelay), a join resumed after a restart, a replacement of a dead
// node, and the refusal of a join while another node's range movement is
// in progress.

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"slices"
	"strings"
	"time"

	"wcdb/ring"
)

// join joins the seeds, then allocates tokens if the node has none.
func (m *Membership) join(ctx context.Context) error {
	if err := m.joinSeeds(ctx); err != nil {
		return err
	}
	if len(m.cfg.Tokens) == 0 && m.cfg.ReplaceAddress != "" {
		return m.replace(ctx)
	}
	if len(m.cfg.Tokens) == 0 {
		return m.bootstrap(ctx)
	}
	if !m.cfg.Joining {
		return nil
	}
	return m.resumeJoin(ctx)
}

func (m *Membership) beforeTokens(ctx context.Context) error {
	if m.cfg.BeforeTokens == nil {
		return nil
	}
	if err := m.cfg.BeforeTokens(ctx, m); err != nil {
		return fmt.Errorf("cluster: joining: %w", err)
	}
	return nil
}

// resumeJoin takes a node back into a join that did not finish: JOINING
// with its tokens (as start announced it), after RingDelay so that every
// coordinator writes to it again before it fetches its ranges. Without
// Bootstrap it then turns NORMAL.
func (m *Membership) resumeJoin(ctx context.Context) error {
	m.mu.Lock()
	alone := m.aloneLocked()
	m.mu.Unlock()
	if err := m.beforeTokens(ctx); err != nil {
		return err
	}
	if err := m.refuseConcurrentMovement(ctx, alone); err != nil {
		return err
	}
	m.log.Info("cluster: resuming a join that did not finish", "replacing", m.cfg.Replacing)
	m.mu.Lock()
	if m.cfg.Replacing != "" {
		m.mu.meta.move = Movement{Kind: Replacing, Target: m.cfg.Replacing}
	}
	m.setTokensLocked(m.cfg.Tokens)
	m.mu.Unlock()
	if err := m.announce(); err != nil {
		return err
	}
	if _, err := m.ringDelay(ctx, alone); err != nil {
		return err
	}
	if m.cfg.Bootstrap && !alone {
		return nil
	}
	return m.SetStatus(StatusNormal)
}

// replace takes a dead node's tokens (Config.ReplaceAddress): once the
// view has settled, it finds the node, announces JOINING with its tokens
// and a Replacing record, waits RingDelay, and (without Bootstrap) turns
// NORMAL, which takes the dead node out of every ring.
func (m *Membership) replace(ctx context.Context) error {
	if err := m.beforeTokens(ctx); err != nil {
		return err
	}
	if err := m.refuseConcurrentMovement(ctx, false); err != nil {
		return err
	}
	m.mu.Lock()
	var target *member
	for _, mb := range m.mu.v.sortedMembers() {
		if mb.id != m.cfg.NodeID && mb.live != liveLeft && len(mb.tokens()) > 0 &&
			(hostOf(mb.addr) == m.cfg.ReplaceAddress || hostOf(mb.meta.inter) == m.cfg.ReplaceAddress) {
			target = mb
			break
		}
	}
	if target == nil {
		m.mu.Unlock()
		return fmt.Errorf("cluster: replace: no node with tokens at %s in the cluster", m.cfg.ReplaceAddress)
	}
	if target.live == liveAlive {
		m.mu.Unlock()
		return fmt.Errorf("cluster: replace: node %s at %s is alive: only a dead node can be replaced", target.id, m.cfg.ReplaceAddress)
	}
	id, tokens := target.id, slices.Clone(target.tokens())
	m.mu.meta.move = Movement{Kind: Replacing, Target: id}
	m.setTokensLocked(tokens)
	m.mu.Unlock()
	m.log.Info("cluster: replacing a dead node: its tokens announced, JOINING", "replaced", id, "tokens", len(tokens))
	if err := m.announce(); err != nil {
		return err
	}
	if _, err := m.ringDelay(ctx, false); err != nil {
		return err
	}
	if m.cfg.Bootstrap {
		return nil
	}
	return m.SetStatus(StatusNormal)
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

// SetMovement announces a movement record (removenode's Removing, then
// Removed); the zero Movement clears it.
func (m *Membership) SetMovement(mv Movement) error {
	m.mu.Lock()
	m.mu.meta.move = mv
	m.setTokensLocked(m.mu.localTokens) // the size changed
	m.mu.Unlock()
	return m.announce()
}

// Replacing returns the node this one replaces, "" if none.
func (m *Membership) Replacing() ring.NodeID {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.meta.move.Kind == Replacing {
		return m.mu.meta.move.Target
	}
	return ""
}

// ErrRangeMovement marks a join refused because another node is joining
// or leaving: with consistent range movement only one node may at a time.
var ErrRangeMovement = errors.New("cluster: another node is joining or leaving")

// refuseConcurrentMovement fails if another node is joining (with tokens
// announced) or leaving, as Cassandra refuses a bootstrap while
// consistent.rangemovement is on: two movements at once could each stream
// a range from a node that is itself giving it up. It waits SettlePeriod
// first (unless alone) so that the view holds every node's status.
func (m *Membership) refuseConcurrentMovement(ctx context.Context, alone bool) error {
	if !alone {
		if err := sleep(ctx, m.cfg.SettlePeriod, nil); err != nil {
			return fmt.Errorf("cluster: joining: %w", err)
		}
	}
	m.mu.Lock()
	moving := m.mu.v.moving()
	m.mu.Unlock()
	if len(moving) == 0 {
		return nil
	}
	mb := moving[0]
	return fmt.Errorf("%w: node %s (%s) is %v; only one node may join or leave at a time: start this node again once it is NORMAL or gone",
		ErrRangeMovement, mb.id, mb.meta.inter, mb.meta.status)
}

// joinSeeds contacts the seeds until one answers. A node that is itself a
// seed tries once and otherwise starts a cluster of its own (maintain
// keeps contacting the other seeds); any other node retries, backing off,
// until ctx ends.
func (m *Membership) joinSeeds(ctx context.Context) error {
	if len(m.otherSeeds) == 0 {
		m.log.Info("cluster: no other seed, starting a cluster", "cluster", m.cfg.ClusterName)
		return nil
	}
	backoff := min(m.cfg.ProbeInterval, 100*time.Millisecond)
	for {
		m.mu.Lock()
		m.mu.refused = nil
		m.mu.Unlock()
		n, err := m.ml.Join(m.otherSeeds)
		if n > 0 {
			m.log.Info("cluster: joined", "seeds", m.otherSeeds, "reached", n)
			return nil
		}
		m.mu.Lock()
		refused := m.mu.refused
		m.mu.Unlock()
		if refused != nil {
			return refused
		}
		if m.selfSeed {
			m.log.Info("cluster: no other seed reachable; this seed starts the cluster", "seeds", m.otherSeeds, "err", err)
			return nil
		}
		m.log.Debug("cluster: no seed reachable yet", "seeds", m.otherSeeds, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			hint := ""
			if e := fmt.Sprint(err); err != nil && (strings.Contains(e, "EOF") || strings.Contains(e, "crypt") || strings.Contains(e, "label")) {
				// memberlist drops a stream whose label or key does not
				// match, mostly without a word.
				hint = "; a seed that closes the connection at once belongs to another cluster (cluster_name) or uses another gossip_encryption_key"
			}
			return fmt.Errorf("%w among %v: %v (last error: %v)%s", ErrNoSeed, m.otherSeeds, ctx.Err(), err, hint)
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// bootstrap allocates this node's tokens and takes it to NORMAL.
//
// It waits until the gossip view has not changed for SettlePeriod and it
// is this node's turn (view.turn: no alive pending node of smaller id, no
// tokens in flight), allocates against every token claimed, announces the
// tokens as JOINING, waits RingDelay and turns NORMAL. Should its tokens
// collide with those of a node ranked before it meanwhile (view.rings), it
// drops them and starts over.
func (m *Membership) bootstrap(ctx context.Context) error {
	if err := m.beforeTokens(ctx); err != nil {
		return err
	}
	var lastWait ring.NodeID
	for {
		m.mu.Lock()
		changed := m.mu.changed
		quiet := time.Since(m.mu.lastChange)
		alone := m.aloneLocked()
		ok, waitFor, why := m.mu.v.turn()
		claimed := m.mu.claimed
		m.mu.Unlock()

		var wait time.Duration
		switch {
		case !alone && quiet < m.cfg.SettlePeriod:
			wait = m.cfg.SettlePeriod - quiet
		case !ok:
			if waitFor != lastWait {
				m.log.Info("cluster: waiting to allocate tokens", "for", waitFor, "reason", why)
				lastWait = waitFor
			}
			wait = m.cfg.SettlePeriod + m.cfg.ProbeInterval // or until a change
		}
		if wait > 0 {
			if err := sleep(ctx, wait, changed); err != nil {
				return fmt.Errorf("cluster: joining: %w", err)
			}
			continue
		}

		m.mu.Lock()
		moving := m.mu.v.moving()
		m.mu.Unlock()
		if len(moving) > 0 {
			mb := moving[0]
			return fmt.Errorf("%w: node %s (%s) is %v; only one node may join or leave at a time: start this node again once it is NORMAL or gone",
				ErrRangeMovement, mb.id, mb.meta.inter, mb.meta.status)
		}
		tokens, err := ring.AllocateTokens(claimed, m.cfg.DataCenter, m.cfg.NumTokens, m.cfg.AllocationRF, idSeed(m.cfg.NodeID))
		if err != nil {
			return fmt.Errorf("cluster: allocate tokens: %w", err)
		}
		m.mu.Lock()
		m.setTokensLocked(tokens)
		m.mu.Unlock()
		m.log.Info("cluster: allocated tokens", "count", len(tokens), "ring_nodes", claimed.NumNodes())
		if err := m.announce(); err != nil {
			return err
		}

		lost, err := m.ringDelay(ctx, alone)
		if err != nil {
			return err
		}
		if lost {
			m.log.Warn("cluster: allocated tokens collide with another node's; allocating again")
			m.mu.Lock()
			m.setTokensLocked(nil)
			m.mu.Unlock()
			if err := m.announce(); err != nil {
				return err
			}
			continue
		}
		if m.cfg.Bootstrap && !alone {
			m.log.Info("cluster: tokens announced; the node stays JOINING while it fetches its ranges", "tokens", len(tokens))
			return nil
		}
		m.mu.Lock()
		m.mu.meta.status = StatusNormal
		m.mu.metaBytes = m.mu.meta.encode()
		m.mu.Unlock()
		if err := m.announce(); err != nil {
			return err
		}
		m.log.Info("cluster: node is NORMAL", "tokens", len(tokens))
		return nil
	}
}

// ringDelay waits RingDelay (not at all when alone), and reports whether
// this node's tokens lost a collision meanwhile.
func (m *Membership) ringDelay(ctx context.Context, alone bool) (lost bool, err error) {
	end := time.Now()
	if !alone {
		end = end.Add(m.cfg.RingDelay)
	}
	for {
		m.mu.Lock()
		lost = slices.Contains(m.mu.losers, m.cfg.NodeID)
		changed := m.mu.changed
		m.mu.Unlock()
		left := time.Until(end)
		if lost || left <= 0 {
			return lost, nil
		}
		if err := sleep(ctx, left, changed); err != nil {
			return false, fmt.Errorf("cluster: joining: %w", err)
		}
	}
}

// aloneLocked reports whether the node is starting a cluster by itself:
// no seed but itself, and no other node seen.
func (m *Membership) aloneLocked() bool {
	if len(m.otherSeeds) > 0 {
		return false
	}
	for id, mb := range m.mu.v.members {
		if id != m.cfg.NodeID && mb.live == liveAlive {
			return false
		}
	}
	return true
}

// sleep waits d, or until changed is closed, or ctx ends.
func sleep(ctx context.Context, d time.Duration, changed <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-changed:
	}
	return nil
}

// idSeed derives the allocation seed from the host id, so that nodes
// starting clusters apart turn their evenly spaced tokens differently.
func idSeed(id ring.NodeID) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}
