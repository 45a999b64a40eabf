package replication_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
)

// nopReplica acknowledges every write at once, so that a benchmark
// measures the coordinator alone.
type nopReplica struct{}

func (nopReplica) Apply(context.Context, *mutation.Mutation) error { return nil }
func (nopReplica) Read(context.Context, replication.ReadCommand) (*mutation.Partition, error) {
	return nil, nil
}
func (nopReplica) Digest(context.Context, replication.ReadCommand) ([]byte, error) { return nil, nil }
func (nopReplica) ReadRange(context.Context, replication.RangeCommand) (replication.RangeResult, error) {
	return replication.RangeResult{}, nil
}

// ApplyAsync answers before returning: the coordinator's ack channel is
// buffered for every replica, so this is safe, and keeps goroutine
// scheduling out of the figures.
func (nopReplica) ApplyAsync(_ context.Context, _ *mutation.Mutation, done func(error)) { done(nil) }

// benchView is a fixed cluster of nopReplicas, all alive.
type benchView struct {
	local          ring.NodeID
	current, after *ring.Metadata
}

func (v benchView) Local() ring.NodeID                      { return v.local }
func (v benchView) Ring() *ring.Metadata                    { return v.current }
func (v benchView) FutureRing() *ring.Metadata              { return v.after }
func (v benchView) Alive(ring.NodeID) bool                  { return true }
func (v benchView) DownSince(ring.NodeID) time.Time         { return time.Time{} }
func (v benchView) Replica(ring.NodeID) replication.Replica { return nopReplica{} }

func benchToken(slot, slots int) ring.Token {
	return math.MinInt64 + int64(uint64(slot+1)*(math.MaxUint64/uint64(slots+1)))
}

// benchRows returns n one-row mutations of partitions from, from+1, ...
func benchRows(from, n int) []mutation.Mutation {
	ms := make([]mutation.Mutation, n)
	for i := range ms {
		ms[i] = row(pkey(from+i), 1, "v", 1)
	}
	return ms
}

// newBenchView is 6 nodes of 8 interleaved tokens, seen from n1.
func newBenchView(b *testing.B) benchView {
	b.Helper()
	const nodes, per = 6, 8
	var ns []ring.Node
	for i := range nodes {
		n := ring.Node{ID: ring.NodeID(fmt.Sprintf("n%d", i+1)), DC: "dc1", Rack: "r1"}
		for k := range per {
			n.Tokens = append(n.Tokens, benchToken(k*nodes+i, nodes*per))
		}
		ns = append(ns, n)
	}
	m, err := ring.New(ns)
	if err != nil {
		b.Fatal(err)
	}
	return benchView{local: "n1", current: m, after: m}
}

// BenchmarkWrite measures the coordinator's write path with replicas that
// answer at once: RF 1 on the local node (the in-place path), RF 3 at
// QUORUM, a batch of 16 partitions, and RF 3 while a seventh node joins
// (writes also go to it).
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	v := newBenchView(b)
	// A partition n1 holds alone at RF 1.
	local := 0
	for v.current.Owner(pkey(local).Token) != "n1" {
		local++
	}
	joining := ring.Node{ID: "n7", DC: "dc1", Rack: "r1"}
	for k := range 8 {
		joining.Tokens = append(joining.Tokens, benchToken(k*6, 6*8)+1<<40)
	}
	future, err := v.current.With(joining)
	if err != nil {
		b.Fatal(err)
	}
	joiningView := v
	joiningView.after = future
	keys := benchRows(0, 1024)
	for _, bc := range []struct {
		name  string
		v     benchView
		rf    int
		ms    []mutation.Mutation
		batch bool // all of ms in each write, else one at a time
		cl    replication.Consistency
	}{
		{"LocalRF1", v, 1, benchRows(local, 1), false, replication.One},
		{"RF3Quorum", v, 3, keys, false, replication.Quorum},
		{"RF3QuorumBatch16", v, 3, keys[:16], true, replication.Quorum},
		{"RF3QuorumJoining", joiningView, 3, keys, false, replication.Quorum},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := replication.NewDistributed(bc.v, replication.DistributedConfig{})
			ks := simple(bc.rf)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				ms := bc.ms
				if !bc.batch {
					ms = ms[i%len(ms) : i%len(ms)+1]
				}
				if err := d.Write(ctx, ks, ms, bc.cl); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
