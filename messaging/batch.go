package messaging

import (
	"context"
	"time"

	"wcdb/internal/tracing"
	"wcdb/mutation"
)

// Batching of Apply calls. A coordinator under load sends many small
// mutations to each peer at once; a gRPC call costs far more than applying
// a mutation (a stream, several frames and write syscalls on both sides),
// so a Client coalesces concurrent Apply calls to its peer into ApplyBatch
// calls, as Cassandra's messaging writes many messages per flush: at most
// maxInflightBatches batches are in flight, and each carries what queued
// while the earlier ones were. An idle client sends a lone mutation at
// once, so batching adds no wait; it grows only with the load.
const (
	maxInflightBatches = 2
	maxBatchMutations  = 256
	maxBatchBytes      = 1 << 20
	applyQueueLen      = 4096
)

type applyReq struct {
	m        *mutation.Mutation
	size     int
	deadline time.Time
	// done is called once with the outcome, on the batch's goroutine: it
	// must not block.
	done func(error)
}

type batcher struct {
	c     *Client
	queue chan *applyReq
	quit  chan struct{}
}

func newBatcher(c *Client) *batcher {
	b := &batcher{c: c, queue: make(chan *applyReq, applyQueueLen), quit: make(chan struct{})}
	for range maxInflightBatches {
		go b.sender()
	}
	return b
}

// apply queues m and waits for its batch's answer, or for ctx.
func (b *batcher) apply(ctx context.Context, m *mutation.Mutation) error {
	ch := make(chan error, 1)
	b.applyAsync(ctx, m, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		// The batch may still deliver it: harmless, mutations are
		// idempotent, and the caller treats this as a timeout.
		return ctx.Err()
	}
}

// applyAsync queues m; done gets the outcome of its batch (or the queueing
// error) exactly once. The batch is bounded by ctx's deadline, so done is
// called by then.
func (b *batcher) applyAsync(ctx context.Context, m *mutation.Mutation, done func(error)) {
	if tracing.From(ctx) != nil {
		// Alone, so that its frame carries the session id.
		go func() { done(b.c.stream(ctx, opApply, &mutationMsg{m: m}, &emptyMsg{})) }()
		return
	}
	r := &applyReq{m: m, size: mutationSize(m), done: done}
	if d, ok := ctx.Deadline(); ok {
		r.deadline = d
	} else {
		r.deadline = b.c.clock.Now().Add(b.c.timeout)
	}
	select {
	case b.queue <- r:
	case <-ctx.Done():
		done(ctx.Err())
	case <-b.quit:
		done(ErrClosed)
	}
}

// sender is one of the maxInflightBatches goroutines that send batches:
// it takes the first request queued, and everything queued behind it up to
// the limits, sends them as one call, and goes back for more. While every
// sender is busy, requests accumulate into the next batches.
func (b *batcher) sender() {
	for {
		var first *applyReq
		select {
		case first = <-b.queue:
		case <-b.quit:
			b.drain()
			return
		}
		batch := []*applyReq{first}
		bytes := first.size
	gather:
		for len(batch) < maxBatchMutations && bytes < maxBatchBytes {
			select {
			case r := <-b.queue:
				batch = append(batch, r)
				bytes += r.size
			default:
				break gather
			}
		}
		b.send(batch)
	}
}

// send makes one ApplyBatch call, bounded by the latest deadline among
// its mutations (each caller still waits only for its own).
func (b *batcher) send(batch []*applyReq) {
	deadline := batch[0].deadline
	ms := make([]mutation.Mutation, len(batch))
	for i, r := range batch {
		ms[i] = *r.m
		if r.deadline.After(deadline) {
			deadline = r.deadline
		}
	}
	ctx, cancel := b.c.clock.WithDeadline(context.Background(), deadline)
	defer cancel()
	var err error
	if len(ms) == 1 {
		err = b.c.stream(ctx, opApply, &mutationMsg{m: &ms[0]}, &emptyMsg{})
	} else {
		err = b.c.stream(ctx, opApplyBatch, &mutationsMsg{ms: ms}, &emptyMsg{})
	}
	for _, r := range batch {
		r.done(err)
	}
}

// drain answers the requests still queued once the client is closed.
func (b *batcher) drain() {
	for {
		select {
		case r := <-b.queue:
			r.done(ErrClosed)
		default:
			return
		}
	}
}

func (b *batcher) close() { close(b.quit) }

// mutationSize estimates a mutation's encoded size, for batch limits.
func mutationSize(m *mutation.Mutation) int {
	n := 64 + len(m.Partition.Key.Bytes)
	for i := range m.Partition.Rows {
		r := &m.Partition.Rows[i]
		n += 16 + len(r.Clustering)
		for j := range r.Cells {
			n += 24 + len(r.Cells[j].Path) + len(r.Cells[j].Value)
		}
	}
	return n
}
