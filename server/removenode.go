package server

// removenode and replace: a node that is down for good leaves the ring
// without handing anything over itself. removenode, run on any live node,
// announces the removal (the dead node's ranges turn pending on the nodes
// that take them over), has each of those fetch its new ranges from a
// surviving replica, then announces the node removed. A replacement
// (--replace-address) joins with the dead node's tokens and fetches its
// ranges from the surviving replicas (bootstrap, with the dead node as no
// source); once it is NORMAL, the dead node is out and its hints go to the
// replacement.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"wcdb/cluster"
	"wcdb/replication"
	"wcdb/ring"
)

// replacementOf returns the node that replaced id, "" if none.
func replacementOf(m *cluster.Membership, id ring.NodeID) ring.NodeID {
	for _, info := range m.Nodes() {
		if info.Movement == (cluster.Movement{Kind: cluster.Replacing, Target: id}) && info.Status == cluster.StatusNormal {
			return info.ID
		}
	}
	return ""
}

// AdminRemoval answers ["removenode", ...]: the removal this node
// coordinates, if any.
type AdminRemoval struct {
	// Node is the host id being (or last) removed; State is "removing",
	// "removed", or "" when there was none.
	Node  string `json:"node,omitempty"`
	State string `json:"state,omitempty"`
}

// removenode serves ["removenode", HOST_ID | "status" | "force"].
func (c *clusterState) removenode(ctx context.Context, arg string) (*AdminRemoval, error) {
	m := c.m.Load()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	mv := m.Local().Movement
	status := func() *AdminRemoval {
		mv := m.Local().Movement
		if mv.Kind != cluster.Removing && mv.Kind != cluster.Removed {
			return &AdminRemoval{}
		}
		return &AdminRemoval{Node: string(mv.Target), State: mv.Kind.String()}
	}
	switch arg {
	case "status":
		return status(), nil
	case "force":
		// Cassandra's removenode force: the removal ends now, whatever
		// the streams have done.
		if mv.Kind != cluster.Removing {
			return nil, errors.New("no removal in progress on this node")
		}
		if err := m.SetMovement(cluster.Movement{Kind: cluster.Removed, Target: mv.Target}); err != nil {
			return nil, err
		}
		c.log.Warn("removenode forced: the node is out of the ring; its ranges may hold fewer replicas until a repair", "node", mv.Target)
		return status(), nil
	}
	id := ring.NodeID(arg)
	info, ok := m.Node(id)
	switch {
	case id == c.hostID:
		return nil, errors.New("cannot remove this node itself: use decommission")
	case !ok:
		return nil, fmt.Errorf("no node with host id %s", id)
	case info.Alive:
		return nil, fmt.Errorf("node %s is alive: removenode is for a node that is down for good (decommission it instead)", id)
	case info.Status != cluster.StatusNormal && info.Status != cluster.StatusLeaving:
		return nil, fmt.Errorf("node %s is %v, not on the ring", id, info.Status)
	case mv.Kind == cluster.Removing:
		return nil, fmt.Errorf("this node is already removing %s", mv.Target)
	}
	for _, other := range m.Nodes() {
		if other.ID != c.hostID && other.Alive && (other.Status == cluster.StatusJoining || other.Status == cluster.StatusLeaving ||
			other.Movement.Kind == cluster.Removing) {
			return nil, fmt.Errorf("node %s is %v (%v): only one range movement at a time", other.ID, other.Status, other.Movement.Kind)
		}
	}
	start := time.Now()
	c.log.Info("removenode: removing a dead node: its ranges are pending on their new owners", "node", id)
	if err := m.SetMovement(cluster.Movement{Kind: cluster.Removing, Target: id}); err != nil {
		return nil, err
	}
	fail := func(err error) (*AdminRemoval, error) {
		if serr := m.SetMovement(cluster.Movement{}); serr != nil {
			c.log.Warn("removenode: clearing the removal", "err", serr)
		}
		return nil, fmt.Errorf("removenode: %w (the node is still on the ring; run removenode again)", err)
	}
	if err := sleepCtx(ctx, time.Duration(c.cfg.RingDelay)); err != nil {
		return fail(err)
	}
	orders, err := c.removalOrders(m, id)
	if err != nil {
		return fail(err)
	}
	stop := c.logStreams()
	err = c.sendOrders(ctx, orders)
	stop()
	if err != nil {
		return fail(err)
	}
	if err := m.SetMovement(cluster.Movement{Kind: cluster.Removed, Target: id}); err != nil {
		return nil, err
	}
	c.log.Info("removenode complete: the node is out of the ring", "node", id, "seconds", time.Since(start).Seconds())
	return status(), nil
}

// removalOrders plans a removal's streams: syncOrders with the dead node
// off the ring.
func (c *clusterState) removalOrders(m *cluster.Membership, gone ring.NodeID) ([]*fetchOrder, error) {
	cur := m.Ring()
	return c.syncOrders(m, cur, cur.Without(gone), gone)
}

// syncOrders plans the streams that leave the replicas of a dead node's
// ranges in agreement once it is gone (removenode, replace): every node
// that keeps or takes such a range fetches it from every other live
// replica that keeps it.
//
// Cassandra streams each range from one replica to its new owner only, so
// a write acknowledged by the dead node and fewer than all the others (its
// coordinator died too, and its hints with it) stays under-replicated until
// a repair. ScyllaDB's repair-based node operations close that gap, and so
// does this, at a cost: each surviving replica sends the range to each
// other replica, RF-1 times the streaming of a single source.
func (c *clusterState) syncOrders(m *cluster.Membership, cur, fut *ring.Metadata, gone ring.NodeID) ([]*fetchOrder, error) {
	cat := c.exec.Catalog()
	type key struct{ to, from ring.NodeID }
	byKey := map[key]*fetchOrder{}
	var out []*fetchOrder
	for _, name := range cat.Keyspaces() {
		ks := cat.Keyspace(name)
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return nil, err
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		ranges := map[key][]ring.Range{}
		lost := 0
		for _, mv := range replication.Movements(st, cur, fut) {
			if !slices.Contains(mv.From, gone) {
				continue
			}
			live := slices.DeleteFunc(slices.Clone(mv.Stay), func(id ring.NodeID) bool { return !m.Alive(id) })
			if len(live) == 0 {
				// The dead node held the range's only copy (RF 1,
				// or every other replica down too): nothing is
				// left to copy, as Cassandra warns and goes on.
				lost++
				continue
			}
			for _, to := range slices.Concat(mv.To, live) {
				for _, from := range live {
					if from != to {
						k := key{to, from}
						ranges[k] = append(ranges[k], mv.Range)
					}
				}
			}
		}
		if lost > 0 {
			c.log.Warn("ranges of a dead node with no live replica left: their data is lost", "keyspace", name, "ranges", lost)
		}
		keys := slices.SortedFunc(maps.Keys(ranges), func(a, b key) int {
			return cmp.Or(cmp.Compare(a.to, b.to), cmp.Compare(a.from, b.from))
		})
		for _, k := range keys {
			o := byKey[k]
			if o == nil {
				o = &fetchOrder{Source: k.from, Target: k.to}
				byKey[k] = o
				out = append(out, o)
			}
			for _, t := range cat.Tables(name) {
				o.Tables = append(o.Tables, fetchTable{Table: t.ID, Ranges: ranges[k]})
			}
		}
	}
	return out, nil
}
