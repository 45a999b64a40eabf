package replication

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"wcdb/mutation"
	"wcdb/schema"
	"wcdb/schema/timeuuid"
)

// Local is the coordinator of a single-node cluster: the node is the only
// replica of every token, so a level that needs more acknowledgements than
// one is Unavailable, as Cassandra answers on a one-node cluster (QUORUM of
// replication factor 3 needs 2 replicas, and 1 is alive).
type Local struct {
	replica Replica
	dc      string
	// casLocks serialize lightweight transactions by partition token;
	// lastCAS keeps their timestamps increasing.
	casLocks [64]sync.Mutex
	lastCAS  atomic.Int64
}

// NewLocal returns a coordinator that sends everything to replica, the
// node of datacenter dc.
func NewLocal(replica Replica, dc string) *Local { return &Local{replica: replica, dc: dc} }

func (l *Local) check(ks *schema.Keyspace, cl Consistency) error {
	if !cl.Valid() {
		return fmt.Errorf("replication: unknown consistency level %d", cl)
	}
	if ks == nil {
		return nil
	}
	total, local := ReplicationFactor(ks, l.dc)
	alive := 1
	if cl == LocalOne || cl == LocalQuorum || cl == LocalSerial {
		if local == 0 {
			alive = 0
		}
	} else if total == 0 {
		alive = 0
	}
	if need := BlockFor(cl, total, local); need > alive || need == 0 && cl != Any && alive == 0 {
		return &UnavailableError{Consistency: cl, Required: max(need, 1), Alive: alive}
	}
	return nil
}

// Write applies the mutations in order.
func (l *Local) Write(ctx context.Context, ks *schema.Keyspace, ms []mutation.Mutation, cl Consistency) error {
	if err := l.check(ks, cl); err != nil {
		return err
	}
	for i := range ms {
		if err := l.replica.Apply(ctx, &ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// Read reads from the replica.
func (l *Local) Read(ctx context.Context, cmd ReadCommand, cl Consistency) (*mutation.Partition, error) {
	if cl == Any {
		return nil, fmt.Errorf("replication: ANY ConsistencyLevel is only supported for writes")
	}
	if err := l.check(cmd.Keyspace, cl); err != nil {
		return nil, err
	}
	p, err := l.replica.Read(ctx, cmd)
	if err != nil {
		return nil, localReadErr(err, cl)
	}
	return p, nil
}

// localReadErr is a coordinator's answer to the error of the one replica
// it read from, this node: a replica that refused the read (too many
// tombstones) failed it, as the distributed coordinator answers when every
// replica it asked failed.
func localReadErr(err error, cl Consistency) error {
	if errors.Is(err, ErrTooManyTombstones) {
		return &ReadFailureError{Consistency: cl, BlockFor: 1, Failures: 1, Err: err}
	}
	return err
}

// ReadRange reads a range from the replica.
func (l *Local) ReadRange(ctx context.Context, cmd RangeCommand, cl Consistency) (RangeResult, error) {
	if cl == Any {
		return RangeResult{}, fmt.Errorf("replication: ANY ConsistencyLevel is only supported for writes")
	}
	if err := l.check(cmd.Keyspace, cl); err != nil {
		return RangeResult{}, err
	}
	res, err := l.replica.ReadRange(ctx, cmd)
	if err != nil {
		return res, localReadErr(err, cl)
	}
	return res, nil
}

// CAS runs a lightweight transaction on the one replica: under the
// partition's lock, read, decide, write. There is no other proposer to
// agree with, and the replica's writes are as durable as its commit log.
func (l *Local) CAS(ctx context.Context, req CASRequest, serial, commit Consistency) (CASResult, error) {
	if serial != Serial && serial != LocalSerial {
		return CASResult{}, fmt.Errorf("replication: %s is not a serial consistency level", serial)
	}
	if err := l.check(req.Keyspace, serial); err != nil {
		return CASResult{}, err
	}
	if err := l.check(req.Keyspace, commit); err != nil {
		return CASResult{}, err
	}
	mu := &l.casLocks[uint64(req.Read.Key.Token)%uint64(len(l.casLocks))]
	mu.Lock()
	defer mu.Unlock()
	cur, err := l.replica.Read(ctx, req.Read)
	if err != nil {
		return CASResult{}, localReadErr(err, serial)
	}
	ts := timeuuid.Micros(timeuuid.New())
	if l.lastCAS.Load() >= ts {
		ts = l.lastCAS.Load() + 1
	}
	l.lastCAS.Store(ts)
	upd, err := req.Decide(cur, ts)
	if err != nil || upd == nil {
		return CASResult{Current: cur, RoundTrips: 1}, err
	}
	if err := l.replica.Apply(ctx, upd); err != nil {
		return CASResult{}, err
	}
	return CASResult{Applied: true, Current: cur, RoundTrips: 2}, nil
}
