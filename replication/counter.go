package replication

import (
	"context"
	"errors"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/schema"
)

// Counters, with Cassandra's leader design. The coordinator sends a
// counter write (a mutation of counter updates, mutation.CellCounterUpdate)
// to one replica of the partition, the leader: itself when it is one,
// else the closest live one. The leader turns each update into its own
// shard of the counter (its clock one higher, its running total plus the
// delta), under a lock of that counter so that its increments are
// serialized, writes it to its storage and returns the resulting mutation;
// the coordinator then writes that mutation to every replica at the
// statement's level, as any write (hints included). The leader gets it
// again, which is harmless: counter shards merge idempotently.

// CounterReplica is a replica that can lead counter writes. Safe for
// concurrent use.
type CounterReplica interface {
	// ApplyCounter applies m's counter updates as this replica's shards,
	// writes them to its storage and returns the mutation of those shards
	// (counter cells, no updates left), for the other replicas.
	ApplyCounter(ctx context.Context, m *mutation.Mutation) (*mutation.Mutation, error)
}

// CounterCoordinator is a Coordinator that writes counters.
type CounterCoordinator interface {
	// WriteCounter applies m, a mutation of counter updates of one
	// partition, through a leader replica, at level cl (not ANY or a
	// serial level).
	WriteCounter(ctx context.Context, ks *schema.Keyspace, m *mutation.Mutation, cl Consistency) error
}

// WriteCounter is the write type of a counter write's timeout or failure.
const WriteCounter WriteType = "COUNTER"

// checkCounterLevel refuses the levels a counter write cannot use (the
// query layer refuses them first, in Cassandra's words).
func checkCounterLevel(cl Consistency) error {
	switch cl {
	case Any:
		return errors.New("replication: consistency level ANY is not yet supported for counter writes")
	case Serial, LocalSerial:
		return errors.New("replication: counter operations are inherently non-serializable")
	}
	return nil
}

// counterOf returns the counter side of a replica (messaging's peers and
// the local replica implement it).
func counterOf(r Replica) (CounterReplica, bool) {
	cr, ok := r.(CounterReplica)
	return cr, ok
}

// counterErr is a leader's failure as the client sees it.
func counterErr(err error, cl Consistency, blockFor int) error {
	var wt *WriteTimeoutError
	var wf *WriteFailureError
	var ue *UnavailableError
	switch {
	case errors.As(err, &ue):
		return err
	case errors.As(err, &wt):
		c := *wt
		c.WriteType = WriteCounter
		return &c
	case errors.As(err, &wf):
		c := *wf
		c.WriteType = WriteCounter
		return &c
	case errors.Is(err, context.DeadlineExceeded):
		return &WriteTimeoutError{Consistency: cl, BlockFor: blockFor, WriteType: WriteCounter}
	case errors.Is(err, context.Canceled):
		return err
	}
	return &WriteFailureError{Consistency: cl, BlockFor: blockFor, Failures: 1, WriteType: WriteCounter, Err: err}
}

// WriteCounter applies m on its one replica, which leads.
func (l *Local) WriteCounter(ctx context.Context, ks *schema.Keyspace, m *mutation.Mutation, cl Consistency) error {
	if err := checkCounterLevel(cl); err != nil {
		return err
	}
	if err := l.check(ks, cl); err != nil {
		return err
	}
	cr, ok := counterOf(l.replica)
	if !ok {
		return errors.New("replication: the replica cannot lead counter writes")
	}
	if _, err := cr.ApplyCounter(ctx, m); err != nil {
		return counterErr(err, cl, 1)
	}
	return nil
}

// WriteCounter sends m to a leader, the closest live natural replica
// (this node if it is one), then writes the leader's shards to every
// replica at cl. A leader the request never reached is replaced by the
// next closest.
func (d *Distributed) WriteCounter(ctx context.Context, ks *schema.Keyspace, m *mutation.Mutation, cl Consistency) error {
	if err := checkCounterLevel(cl); err != nil {
		return err
	}
	p, err := d.placeWrite(ks, m.Partition.Key.Token, cl)
	if err != nil {
		return err
	}
	if err := p.unavailable(cl, false); err != nil {
		return err
	}
	var res *mutation.Mutation
	err = errors.New("replication: no live replica to lead the counter write")
	for _, id := range p.live {
		cr, ok := counterOf(d.c.Replica(id))
		if !ok {
			continue
		}
		if tr := tracing.From(ctx); tr != nil {
			tr.Eventf(tracing.Mutation, "Sending COUNTER_MUTATION to the leader %s", d.name(id))
		}
		lctx, cancel := context.WithTimeout(ctx, d.cfg.WriteTimeout)
		res, err = cr.ApplyCounter(lctx, m)
		cancel()
		if err == nil || !errors.Is(err, ErrNotDelivered) {
			break
		}
	}
	if err != nil {
		return counterErr(err, cl, p.req.need)
	}
	if err := d.writeOne(ctx, res, p, cl); err != nil {
		return counterErr(err, cl, p.req.need)
	}
	return nil
}

var (
	_ CounterCoordinator = (*Local)(nil)
	_ CounterCoordinator = (*Distributed)(nil)
)
