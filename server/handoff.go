package server

// Handing hints over: a node that leaves the cluster (decommission) sends
// the hints it keeps for nodes that are down to another live node, which
// keeps them as its own (Cassandra streams them likewise), so that they
// still reach their nodes when those come back.
//
// They travel as the admin request ["storehints", TARGET, DATA], DATA the
// base64 of the mutations, each as a uvarint length and its encoding
// (mutation.AppendMutation): hint batches are small and rare, and this
// keeps the internode wire format as it is.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"wcdb/cluster"
	"wcdb/mutation"
	"wcdb/ring"
)

func encodeHintBatch(batch []*mutation.Mutation) string {
	var b []byte
	for _, m := range batch {
		enc := mutation.AppendMutation(nil, m)
		b = binary.AppendUvarint(b, uint64(len(enc)))
		b = append(b, enc...)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeHintBatch(s string) ([]mutation.Mutation, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var out []mutation.Mutation
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errors.New("truncated hint batch")
		}
		m, err := mutation.DecodeMutation(b[k : k+int(n)])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		b = b[k+int(n):]
	}
	return out, nil
}

// storeHints serves ["storehints", target, data]: keep a leaving node's
// hints for target as this node's.
func (c *clusterState) storeHints(target, data string) error {
	if c.hints == nil {
		return errors.New("hinted handoff is off on this node")
	}
	ms, err := decodeHintBatch(data)
	if err != nil {
		return fmt.Errorf("storehints: %w", err)
	}
	for i := range ms {
		if err := c.hints.Add(target, &ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// handOffHints sends the hints this node keeps for nodes that are down to
// a live node (of this datacenter if one is), and reports how many.
func (c *clusterState) handOffHints(ctx context.Context, m *cluster.Membership) (int, error) {
	if c.hints == nil {
		return 0, nil
	}
	var dest ring.NodeID
	for _, info := range m.Nodes() {
		if info.ID == c.hostID || !info.Alive || info.Status != cluster.StatusNormal {
			continue
		}
		if dest == "" || info.DC == c.cfg.DataCenter {
			dest = info.ID
		}
		if info.DC == c.cfg.DataCenter {
			break
		}
	}
	total := 0
	for _, t := range c.hints.Targets() {
		if n, _ := c.hints.Pending(t); n == 0 {
			continue
		}
		if dest == "" {
			return total, errors.New("no live node to hand the hints to")
		}
		d := dest
		if ring.NodeID(t) == d {
			continue // replayed to it directly (replayAll)
		}
		p, err := c.peer(d)
		if err != nil {
			return total, err
		}
		sent, err := c.hints.Replay(ctx, t, func(ctx context.Context, batch []*mutation.Mutation) error {
			_, err := p.Admin(ctx, []string{"storehints", t, encodeHintBatch(batch)})
			return err
		})
		total += sent
		if err != nil {
			return total, fmt.Errorf("hints for %s to %s: %w", t, d, err)
		}
	}
	return total, nil
}
