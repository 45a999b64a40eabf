package server

// This file moves data between nodes when the ring changes: the sending
// side of streaming (a peer's Fetch), and a joining node's bootstrap,
// which fetches the data of every range it takes from the node giving it
// up (package streaming does the transfer, replication.StreamSources
// picks the sources).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"wcdb/cluster"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
	"wcdb/streaming"
)

// streamRetries is how often a fetch from one source is retried after a
// corrupt, truncated or broken stream before the next source is tried.
const streamRetries = 5

// streamLogInterval is how often running streams are logged.
const streamLogInterval = 10 * time.Second

// serveFetch answers a peer's Fetch: the sections of one table's SSTables
// that cover the requested ranges, paced by the node's outbound throttle.
func (c *clusterState) serveFetch(ctx context.Context, b []byte, send func([]byte) error) error {
	req, err := streaming.DecodeRequest(b)
	if err != nil {
		return err
	}
	t := c.engine.Table(req.Table)
	if t == nil {
		return fmt.Errorf("server: no table %x here", req.Table)
	}
	ks, name := c.tableName(req.Table)
	peer, _, _ := strings.Cut(req.Session, "/")
	prog := c.streams.Start(req.Session, peer, streaming.Sending, ks, name)
	_, err = streaming.SendWithProgress(ctx, t, req, c.throttle, prog, send)
	prog.Finish(err)
	return err
}

// tableName returns the keyspace and name of a table, "" if unknown.
func (c *clusterState) tableName(id mutation.TableID) (keyspace, table string) {
	cat := c.exec.Catalog()
	for _, ks := range cat.Keyspaces() {
		for _, t := range cat.Tables(ks) {
			if t.ID == id {
				return t.Keyspace, t.Name
			}
		}
	}
	return "", ""
}

// fetchJob is one table's ranges to fetch, from the first of nodes that
// can send them.
type fetchJob struct {
	table  *schema.Table
	ranges []ring.Range
	nodes  []ring.NodeID
}

// bootstrap fetches, for every keyspace that replicates, the data of the
// ranges this JOINING node takes on the future ring, each from the node
// giving it up (or, with bootstrap_from_any, any live replica). It logs
// progress every streamLogInterval and fails if a range cannot be fetched
// from any of its sources.
func (c *clusterState) bootstrap(ctx context.Context, m *cluster.Membership) error {
	start := time.Now()
	jobs, err := c.bootstrapJobs(m)
	if err != nil {
		return err
	}
	c.log.Info("bootstrap: fetching the data of the ranges this node takes", "streams", len(jobs))
	stop := c.logStreams()
	defer stop()
	// Two fetches at once: one keeps the disk busy while the other waits
	// on its source.
	sem := make(chan struct{}, 2)
	var (
		mu    sync.Mutex
		errs  []error
		bytes int64
		wg    sync.WaitGroup
	)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := c.fetchFrom(ctx, j)
			mu.Lock()
			defer mu.Unlock()
			bytes += n
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if dead := m.Replacing(); dead != "" {
		// This node has each range from one survivor; make every replica
		// of the dead node's ranges agree (syncOrders), itself included.
		orders, err := c.syncOrders(m, m.Ring(), m.FutureRing(), dead)
		if err != nil {
			return err
		}
		if err := c.sendOrders(ctx, orders); err != nil {
			return err
		}
	}
	el := time.Since(start)
	c.log.Info("bootstrap: every range fetched", "bytes", bytes, "seconds", el.Seconds(),
		"mib_per_sec", float64(bytes)/(1<<20)/max(el.Seconds(), 1e-3))
	return nil
}

// bootstrapJobs plans the bootstrap: per table, the ranges to fetch grouped
// by their sources.
func (c *clusterState) bootstrapJobs(m *cluster.Membership) ([]fetchJob, error) {
	cur, fut := m.Ring(), m.FutureRing()
	cat := c.exec.Catalog()
	var jobs []fetchJob
	for _, name := range cat.Keyspaces() {
		ks := cat.Keyspace(name)
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return nil, fmt.Errorf("keyspace %s: %w", name, err)
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		// A replacement fetches from the surviving replicas: the node
		// giving its ranges up is the dead one it replaces.
		replacing := m.Replacing() != ""
		strict := !c.cfg.BootstrapFromAny && !replacing
		alive := m.Alive
		if replacing {
			alive = nil // filtered below
		}
		srcs, err := replication.StreamSources(st, cur, fut, c.hostID, c.cfg.DataCenter, alive, strict)
		if err != nil {
			return nil, fmt.Errorf("keyspace %s: %w", name, err)
		}
		if replacing {
			// Ranges whose only copies were on the dead node have no
			// source: their data is gone, which must not stop its
			// replacement.
			live := srcs[:0]
			for _, s := range srcs {
				s.Nodes = slices.DeleteFunc(s.Nodes, func(id ring.NodeID) bool { return !m.Alive(id) })
				if len(s.Nodes) > 0 {
					live = append(live, s)
				}
			}
			lost := len(srcs) - len(live)
			srcs = live
			if lost > 0 {
				c.log.Warn("replace: ranges with no live replica left: their data is lost", "keyspace", name, "ranges", lost)
			}
		}
		groups := map[string]*fetchJob{}
		var order []string
		for _, s := range srcs {
			key := fmt.Sprint(s.Nodes)
			g := groups[key]
			if g == nil {
				g = &fetchJob{nodes: s.Nodes}
				groups[key] = g
				order = append(order, key)
			}
			g.ranges = append(g.ranges, s.Range)
		}
		for _, t := range cat.Tables(name) {
			for _, key := range order {
				g := groups[key]
				jobs = append(jobs, fetchJob{table: t, ranges: g.ranges, nodes: g.nodes})
			}
		}
	}
	return jobs, nil
}

// fetchFrom fetches one job's ranges from the first of its nodes that
// completes them, and returns the bytes received.
func (c *clusterState) fetchFrom(ctx context.Context, j fetchJob) (int64, error) {
	t := c.engine.Table(j.table.ID)
	if t == nil {
		return 0, fmt.Errorf("no storage for table %s.%s", j.table.Keyspace, j.table.Name)
	}
	var errs []error
	var total int64
	for _, id := range j.nodes {
		p, err := c.peer(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sid := string(c.hostID) + "/" + newSessionID()
		prog := c.streams.Start(sid, string(id), streaming.Receiving, j.table.Keyspace, j.table.Name)
		req := streaming.Request{Session: sid, Table: j.table.ID, Ranges: j.ranges}
		open := func(ctx context.Context, req []byte) (func() ([]byte, error), error) {
			next, _, err := p.Fetch(ctx, req) // ends with ctx, which Fetch cancels per attempt
			return next, err
		}
		st, err := streaming.Fetch(ctx, t, req, open, streamRetries, prog)
		prog.Finish(err)
		total += st.FrameBytes
		if err == nil {
			return total, nil
		}
		if ctx.Err() != nil {
			return total, err
		}
		c.log.Warn("bootstrap: fetch failed; trying the next source", "table", j.table.Keyspace+"."+j.table.Name,
			"from", id, "err", err)
		errs = append(errs, fmt.Errorf("from %s: %w", id, err))
	}
	return total, fmt.Errorf("table %s.%s: no source completed its %d ranges: %w",
		j.table.Keyspace, j.table.Name, len(j.ranges), errors.Join(errs...))
}

func newSessionID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// logStreams logs the running streams every streamLogInterval until the
// returned stop is called.
func (c *clusterState) logStreams() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(streamLogInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, s := range c.streams.Snapshot() {
					if s.State == streaming.Running {
						c.log.Info(s.String())
					}
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// netstats answers ["netstats"]: the node's mode and its streams.
func (c *clusterState) netstats() *AdminNetstats {
	out := &AdminNetstats{Mode: "STARTING", ThroughputOutbound: c.throttle.Rate(), Sessions: c.streams.Snapshot()}
	if m := c.m.Load(); m != nil {
		out.Mode = m.Local().Status.String()
	}
	slices.SortStableFunc(out.Sessions, func(a, b streaming.SessionInfo) int { return a.Start.Compare(b.Start) })
	return out
}
