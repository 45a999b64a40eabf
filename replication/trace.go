package replication

import (
	"context"
	"strings"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/ring"
)

// A traced request (tracing.From(ctx) not nil) records the coordinator's
// steps: the consistency level and the replicas chosen, each message sent
// and each answer or failure, speculative retries, digest mismatches and
// read repairs. Replicas are named by DistributedConfig.NodeName (the server gives
// the internode address, as Cassandra's traces name them: /10.0.0.2:7000). Every call site checks
// for a trace first, so an untraced request formats nothing.

// name is how a trace names a node (DistributedConfig.NodeName).
func (d *Distributed) name(id ring.NodeID) string {
	if d.cfg.NodeName != nil {
		if s := d.cfg.NodeName(id); s != "" {
			return s
		}
	}
	return string(id)
}

// names lists nodes for a trace.
func (d *Distributed) names(ids []ring.NodeID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = d.name(id)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// traceRows records a replica's data answer.
func (d *Distributed) traceRows(ctx context.Context, from ring.NodeID, p *mutation.Partition) {
	tr := tracing.From(ctx)
	if tr == nil {
		return
	}
	n := 0
	if p != nil {
		n = len(p.Rows)
	}
	tr.Eventf(tracing.Read, "Read %d rows from %s", n, d.name(from))
}
