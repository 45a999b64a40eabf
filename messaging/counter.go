package messaging

import (
	"context"
	"fmt"

	"wcdb/mutation"
	"wcdb/replication"
)

// Counter writes led by a peer (replication.CounterReplica): the update
// travels as a Call of methodCounterApply on the peer's streams, its body
// the mutation of counter updates and the answer the mutation of the
// leader's shards, each in the mutation encoding (mutation.AppendMutation).
const methodCounterApply = "counter.apply"

// ApplyCounter implements replication.CounterReplica.
func (c *Client) ApplyCounter(ctx context.Context, m *mutation.Mutation) (*mutation.Mutation, error) {
	return applyCounterVia(ctx, streamCalls{c}, m)
}

// ApplyCounter implements replication.CounterReplica.
func (p *netPeer) ApplyCounter(ctx context.Context, m *mutation.Mutation) (*mutation.Mutation, error) {
	return applyCounterVia(ctx, p, m)
}

func applyCounterVia(ctx context.Context, c caller, m *mutation.Mutation) (*mutation.Mutation, error) {
	b, err := c.Call(ctx, methodCounterApply, mutation.AppendMutation(nil, m))
	if err != nil {
		return nil, err
	}
	res, err := mutation.DecodeMutation(b)
	if err != nil {
		return nil, fmt.Errorf("messaging: counter leader's answer: %w", err)
	}
	return &res, nil
}

// serveCounter answers a counter write with the node's replica.
func serveCounter(ctx context.Context, local replication.CounterReplica, req []byte) ([]byte, error) {
	m, err := mutation.DecodeMutation(req)
	if err != nil {
		return nil, fmt.Errorf("messaging: counter update: %w", err)
	}
	res, err := local.ApplyCounter(ctx, &m)
	if err != nil {
		return nil, err
	}
	return mutation.AppendMutation(nil, res), nil
}
