package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"wcdb/replication"
	"wcdb/ring"
)

// rebuild fetches, for every keyspace that replicates, the data of every
// range this node is a replica of from the replicas in datacenter source
// (nodetool rebuild): how a new datacenter gets its data once a
// NetworkTopologyStrategy keyspace names it. It returns the bytes
// received.
func (c *clusterState) rebuild(ctx context.Context, source string) (int64, error) {
	m := c.m.Load()
	if m == nil {
		return 0, errors.New("the node has not joined its cluster yet")
	}
	if source == c.cfg.DataCenter {
		return 0, fmt.Errorf("rebuild: %s is this node's own datacenter: name another one to stream from", source)
	}
	cur := m.Ring()
	known := false
	for _, n := range cur.Nodes() {
		known = known || n.DC == source
	}
	if !known {
		return 0, fmt.Errorf("rebuild: no node of the ring is in datacenter %q", source)
	}
	cat := c.exec.Catalog()
	var jobs []fetchJob
	for _, name := range cat.Keyspaces() {
		ks := cat.Keyspace(name)
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return 0, err
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		groups := map[string]*fetchJob{}
		var order []string
		skipped := 0
		for i := range cur.Len() {
			reps := st.Replicas(cur, cur.TokenAt(i))
			mine := false
			var from []ring.NodeID
			for _, id := range reps {
				if id == c.hostID {
					mine = true
				} else if n, _ := cur.Node(id); n.DC == source && m.Alive(id) {
					from = append(from, id)
				}
			}
			if !mine {
				continue
			}
			if len(from) == 0 {
				// No replica there (a SimpleStrategy keyspace, or one
				// the source datacenter does not hold), or none alive.
				skipped++
				continue
			}
			key := fmt.Sprint(from)
			g := groups[key]
			if g == nil {
				g = &fetchJob{nodes: from}
				groups[key] = g
				order = append(order, key)
			}
			g.ranges = append(g.ranges, cur.RangeAt(i))
		}
		if skipped > 0 {
			c.log.Warn("rebuild: ranges of this node with no live replica in the source datacenter are skipped",
				"keyspace", name, "ranges", skipped, "from_datacenter", source)
		}
		for _, t := range cat.Tables(name) {
			for _, key := range order {
				jobs = append(jobs, fetchJob{table: t, ranges: ring.Merge(groups[key].ranges), nodes: groups[key].nodes})
			}
		}
	}
	start := time.Now()
	c.log.Info("rebuild: fetching this node's ranges", "from_datacenter", source, "streams", len(jobs))
	stop := c.logStreams()
	defer stop()
	var total int64
	var errs []error
	for _, j := range jobs {
		n, err := c.fetchFrom(ctx, j)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return total, fmt.Errorf("rebuild: %w", err)
	}
	c.log.Info("rebuild complete", "from_datacenter", source, "bytes", total, "seconds", time.Since(start).Seconds())
	return total, nil
}
