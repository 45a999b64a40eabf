package metrics

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"wcdb/internal/histogram"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
)

// Request is a kind of client request, as Cassandra's ClientRequest
// metrics split them.
type Request int

// The kinds of client request.
const (
	Read Request = iota
	Write
	Range
	// CASWrite is a lightweight transaction (Cassandra's CASWrite); a
	// SERIAL read counts as a read at its level.
	CASWrite
	numRequests
)

var requestNames = [numRequests]string{"read", "write", "range", "cas_write"}

func (r Request) String() string { return requestNames[r] }

// numLevels bounds the consistency levels counted apart; others count as
// ANY (they cannot reach the coordinator: the protocol layer refuses them).
const numLevels = 11

// ClientRequests are the coordinator's request metrics: latency by kind
// and consistency level, and the errors clients see. The zero value is
// ready; its methods are safe for concurrent use.
type ClientRequests struct {
	latency                          [numRequests][numLevels]histogram.Histogram
	timeouts, unavailables, failures [numRequests]atomic.Int64
}

// Latency returns the latency histogram of a kind of request at every
// consistency level (for wcdb admin proxyhistograms).
func (c *ClientRequests) Latency(r Request) histogram.Snapshot {
	var all histogram.Snapshot
	for lvl := range c.latency[r] {
		s := c.latency[r][lvl].Snapshot()
		for i, n := range s.Counts {
			all.Counts[i] += n
		}
		all.Count += s.Count
		all.Sum += s.Sum
	}
	return all
}

// observe counts one request: its latency, and its error's kind.
func (c *ClientRequests) observe(r Request, cl replication.Consistency, start time.Time, err error) {
	lvl := int(cl)
	if lvl >= numLevels {
		lvl = 0
	}
	c.latency[r][lvl].Since(start)
	if err == nil {
		return
	}
	var (
		ue *replication.UnavailableError
		wt *replication.WriteTimeoutError
		rt *replication.ReadTimeoutError
	)
	switch {
	case errors.As(err, &ue):
		c.unavailables[r].Add(1)
	case errors.As(err, &wt), errors.As(err, &rt), errors.Is(err, context.DeadlineExceeded):
		c.timeouts[r].Add(1)
	default:
		// WriteFailure, ReadFailure, and whatever else fails a request
		// at the coordinator (a replica's error, a cancelled request).
		c.failures[r].Add(1)
	}
}

// Coordinator is a replication.Coordinator that counts every request in
// its ClientRequests: two clock reads and a few atomic adds each.
type Coordinator struct {
	C replication.Coordinator
	M *ClientRequests
}

var _ replication.Coordinator = Coordinator{}

// Write implements replication.Coordinator.
func (c Coordinator) Write(ctx context.Context, ks *schema.Keyspace, ms []mutation.Mutation, cl replication.Consistency) error {
	start := time.Now()
	err := c.C.Write(ctx, ks, ms, cl)
	c.M.observe(Write, cl, start, err)
	return err
}

// Read implements replication.Coordinator.
func (c Coordinator) Read(ctx context.Context, cmd replication.ReadCommand, cl replication.Consistency) (*mutation.Partition, error) {
	start := time.Now()
	p, err := c.C.Read(ctx, cmd, cl)
	c.M.observe(Read, cl, start, err)
	return p, err
}

// ReadRange implements replication.Coordinator.
func (c Coordinator) ReadRange(ctx context.Context, cmd replication.RangeCommand, cl replication.Consistency) (replication.RangeResult, error) {
	start := time.Now()
	res, err := c.C.ReadRange(ctx, cmd, cl)
	c.M.observe(Range, cl, start, err)
	return res, err
}

// CAS implements replication.CASCoordinator over a coordinator that runs
// lightweight transactions.
func (c Coordinator) CAS(ctx context.Context, req replication.CASRequest, serial, commit replication.Consistency) (replication.CASResult, error) {
	cc, ok := c.C.(replication.CASCoordinator)
	if !ok {
		return replication.CASResult{}, errors.New("metrics: the coordinator runs no lightweight transactions")
	}
	start := time.Now()
	res, err := cc.CAS(ctx, req, serial, commit)
	c.M.observe(CASWrite, serial, start, err)
	return res, err
}

// WriteCounter implements replication.CounterCoordinator over a
// coordinator that writes counters; a counter write counts as a write.
func (c Coordinator) WriteCounter(ctx context.Context, ks *schema.Keyspace, m *mutation.Mutation, cl replication.Consistency) error {
	cc, ok := c.C.(replication.CounterCoordinator)
	if !ok {
		return errors.New("metrics: the coordinator writes no counters")
	}
	start := time.Now()
	err := cc.WriteCounter(ctx, ks, m, cl)
	c.M.observe(Write, cl, start, err)
	return err
}
