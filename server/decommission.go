package server

// Decommission: a NORMAL node hands its ranges to the nodes that take them
// over and leaves the cluster (nodetool decommission). It announces
// LEAVING, so that coordinators also write to the new owners (pending
// replicas), waits RingDelay for every coordinator to know, has each new
// owner fetch its ranges from this node, replays its hints, then leaves
// gossip and the ring. The node's process then exits (Node.Done).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"wcdb/cluster"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
)

// fetchOrder is an admin request ["fetch", JSON] sent to a node taking
// ranges over (Target): fetch these tables' ranges from Source.
type fetchOrder struct {
	Source ring.NodeID  `json:"source"`
	Target ring.NodeID  `json:"-"`
	Tables []fetchTable `json:"tables"`
}

type fetchTable struct {
	Table  mutation.TableID `json:"table"`
	Ranges []ring.Range     `json:"ranges"`
}

// After it left, a node keeps serving clients at least shutdownAnnounce,
// then until it has had no request for clientsQuiet, at most
// clientsGoneMax. Drivers move away once they hear REMOVED_NODE: gocql
// acts on it after two 1 s debounces, and drops the requests in flight
// on a host it removes, so closing sooner loses what they sent meanwhile.
const (
	shutdownAnnounce = 2 * time.Second
	clientsQuiet     = time.Second
	clientsGoneMax   = 10 * time.Second
)

// awaitClientsGone waits, after the node left, until drivers stopped
// sending it requests (see shutdownAnnounce).
func (c *clusterState) awaitClientsGone(ctx context.Context) error {
	start := time.Now()
	if err := sleepCtx(ctx, shutdownAnnounce); err != nil {
		return err
	}
	s := c.cqlS.Load()
	if s == nil {
		return nil
	}
	last, quietSince := s.Stats().Requests, time.Now()
	for time.Since(start) < clientsGoneMax {
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		if n := s.Stats().Requests; n != last {
			last, quietSince = n, time.Now()
		} else if time.Since(quietSince) >= clientsQuiet {
			return nil
		}
	}
	c.log.Warn("decommission: clients still send requests; stopping anyway", "waited", time.Since(start).String())
	return nil
}

// leaveCheck refuses a decommission that would leave fewer live nodes than
// some keyspace's replication factor asks for (in a datacenter, for
// NetworkTopologyStrategy), as Cassandra does unless forced, and one
// during another node's range movement.
func (c *clusterState) leaveCheck(m *cluster.Membership) error {
	live := map[string]int{} // per datacenter, this node excluded
	total := 0
	for _, info := range m.Nodes() {
		if info.ID == c.hostID {
			continue
		}
		if info.Alive && (info.Status == cluster.StatusJoining || info.Status == cluster.StatusLeaving) {
			return fmt.Errorf("node %s is %v: only one node may join or leave at a time", info.ID, info.Status)
		}
		if info.Alive && info.Status == cluster.StatusNormal {
			live[info.DC]++
			total++
		}
	}
	cat := c.exec.Catalog()
	for _, name := range cat.Keyspaces() {
		ks := cat.Keyspace(name)
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return err
		}
		switch s := st.(type) {
		case replication.LocalStrategy:
		case *replication.NetworkTopologyStrategy:
			for dc, n := range live {
				if rf := s.Factor(dc); rf > n {
					return fmt.Errorf("not enough live nodes to keep the replication factor of keyspace %s in %s (RF %d, %d nodes would be left); --force decommissions anyway", name, dc, rf, n)
				}
			}
			if rf := s.Factor(c.cfg.DataCenter); live[c.cfg.DataCenter] < rf {
				return fmt.Errorf("not enough live nodes to keep the replication factor of keyspace %s in %s (RF %d, %d nodes would be left); --force decommissions anyway", name, c.cfg.DataCenter, rf, live[c.cfg.DataCenter])
			}
		default:
			if rf := st.Factor(""); rf > total {
				return fmt.Errorf("not enough live nodes to keep the replication factor of keyspace %s (RF %d, %d nodes would be left); --force decommissions anyway", name, rf, total)
			}
		}
	}
	return nil
}

// decommission runs the whole of a decommission; see the file comment. On
// success the node has left the cluster and Node.Done is closed.
func (c *clusterState) decommission(ctx context.Context, force bool) error {
	m := c.m.Load()
	if m == nil {
		return errors.New("the node has not joined its cluster yet")
	}
	if st := m.Local().Status; st != cluster.StatusNormal && st != cluster.StatusLeaving {
		return fmt.Errorf("the node is %v: only a NORMAL node can be decommissioned", st)
	}
	if err := c.leaveCheck(m); err != nil && !force {
		return err
	} else if err != nil {
		c.log.Warn("decommission forced", "err", err)
	}
	if !c.leaving.CompareAndSwap(false, true) {
		return errors.New("a decommission is already running on this node")
	}
	start := time.Now()
	c.log.Info("decommission: the node is LEAVING")
	if err := m.SetStatus(cluster.StatusLeaving); err != nil {
		c.leaving.Store(false)
		return err
	}
	// Coordinators learn that the new owners are pending replicas before
	// the data moves, so that no write made meanwhile misses them.
	if err := sleepCtx(ctx, time.Duration(c.cfg.RingDelay)); err != nil {
		return c.abortLeave(m, err)
	}
	orders, err := c.leaveOrders(m, force)
	if err != nil {
		return c.abortLeave(m, err)
	}
	stop := c.logStreams()
	err = c.sendOrders(ctx, orders)
	stop()
	if err != nil {
		return c.abortLeave(m, err)
	}
	// Hints this node keeps for others go out now: once it is gone, they
	// would be lost.
	c.replayAll(ctx)
	if n, err := c.handOffHints(ctx, m); err != nil {
		c.log.Warn("decommission: handing hints over", "handed", n, "err", err)
	} else if n > 0 {
		c.log.Info("decommission: hints for nodes that are down handed to another node", "hints", n)
	}
	if err := m.Leave(5 * time.Second); err != nil {
		c.log.Warn("decommission: leaving gossip", "err", err)
	}
	if err := cluster.SaveState(c.cfg.DataDir, cluster.State{HostID: c.hostID, Decommissioned: true}); err != nil {
		c.log.Warn("decommission: saving the state", "err", err)
	}
	c.log.Info("decommission complete: the node left the cluster", "seconds", time.Since(start).Seconds())
	// Drivers hear of the leave (REMOVED_NODE from the other nodes) and
	// move away; until then this node still answers what they send it
	// rather than drop it when its connections close (Cassandra's
	// shutdown_announce_in_ms).
	if err := c.awaitClientsGone(ctx); err != nil {
		c.log.Warn("decommission: cut short the wait for drivers to move away", "err", err)
	}
	c.exitOnce.Do(func() { close(c.exit) })
	return nil
}

// abortLeave takes the node back to NORMAL after a failed decommission.
func (c *clusterState) abortLeave(m *cluster.Membership, err error) error {
	c.leaving.Store(false)
	if serr := m.SetStatus(cluster.StatusNormal); serr != nil {
		c.log.Warn("decommission: back to NORMAL", "err", serr)
	}
	c.log.Warn("decommission failed; the node is NORMAL again", "err", err)
	return fmt.Errorf("decommission: %w", err)
}

// leaveOrders plans the streams of a decommission: for each node taking
// ranges over, the tables and ranges it fetches from this node.
func (c *clusterState) leaveOrders(m *cluster.Membership, force bool) ([]*fetchOrder, error) {
	cur := m.Ring()
	fut := cur.Without(c.hostID)
	cat := c.exec.Catalog()
	orders := map[ring.NodeID]*fetchOrder{}
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
		byNode := map[ring.NodeID][]ring.Range{}
		for _, mv := range replication.Movements(st, cur, fut) {
			if !slices.Contains(mv.From, c.hostID) {
				continue
			}
			for _, to := range mv.To {
				byNode[to] = append(byNode[to], mv.Range)
			}
		}
		for to, ranges := range byNode {
			if !m.Alive(to) {
				if !force {
					return nil, fmt.Errorf("node %s, which takes ranges of keyspace %s over, is down; bring it back or --force", to, name)
				}
				c.log.Warn("decommission forced: a new owner is down and gets no data", "node", to, "keyspace", name)
				continue
			}
			o := orders[to]
			if o == nil {
				o = &fetchOrder{Source: c.hostID, Target: to}
				orders[to] = o
				out = append(out, o)
			}
			for _, t := range cat.Tables(name) {
				o.Tables = append(o.Tables, fetchTable{Table: t.ID, Ranges: ranges})
			}
		}
	}
	return out, nil
}

// fetchOrderTimeout bounds a fetch order sent without a deadline: hours
// of streaming at the default throttle.
const fetchOrderTimeout = 24 * time.Hour

// sendOrders has every new owner fetch its ranges, two at a time.
func (c *clusterState) sendOrders(ctx context.Context, orders []*fetchOrder) error {
	if _, ok := ctx.Deadline(); !ok {
		// A fetch order lasts as long as its streams: without a deadline
		// of its own, the Admin call would get the client's few seconds.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fetchOrderTimeout)
		defer cancel()
	}
	sem := make(chan struct{}, 2)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, o := range orders {
		to := o.Target
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var err error
			if to == c.hostID {
				err = c.serveFetchOrder(ctx, string(b))
			} else {
				var p *messaging.Client
				if p, err = c.peer(to); err == nil {
					_, err = p.Admin(ctx, []string{"fetch", string(b)})
				}
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("node %s fetching its ranges: %w", to, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serveFetchOrder runs a fetch order: this node fetches the tables' ranges
// from the order's source.
func (c *clusterState) serveFetchOrder(ctx context.Context, arg string) error {
	var o fetchOrder
	if err := json.Unmarshal([]byte(arg), &o); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	var errs []error
	for _, ft := range o.Tables {
		ks, name := c.tableName(ft.Table)
		t := c.exec.Catalog().Table(ks, name)
		if t == nil {
			errs = append(errs, fmt.Errorf("fetch: no table %x here", ft.Table))
			continue
		}
		if _, err := c.fetchFrom(ctx, fetchJob{table: t, ranges: ft.Ranges, nodes: []ring.NodeID{o.Source}}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
