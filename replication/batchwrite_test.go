package replication_test

import (
	"context"
	"errors"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
)

// batchNode is a testNode that takes several mutations in one call.
type batchNode struct {
	*testNode
	batches, applied int
}

func (n *batchNode) ApplyAll(ctx context.Context, ms []*mutation.Mutation) error {
	n.batches++
	var first error
	for _, m := range ms {
		n.applied++
		if err := n.Apply(ctx, m); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// batchView is the cluster as n1 sees it, n1 a batchNode.
type batchView struct {
	view
	n1 *batchNode
}

func (v batchView) Replica(id ring.NodeID) replication.Replica {
	if id == v.n1.id {
		return v.n1
	}
	return v.view.Replica(id)
}

// TestWriteAppliesLocalMutationsTogether: of a batch over many
// partitions, those only the coordinator holds go down in one ApplyAll;
// the others travel one by one; a local failure fails the write.
func TestWriteAppliesLocalMutationsTogether(t *testing.T) {
	c := newCluster(t, "dc1", "dc1")
	n1 := &batchNode{testNode: c.byID["n1"]}
	coord := replication.NewDistributed(batchView{view{c: c, local: "n1"}, n1},
		replication.DistributedConfig{WriteTimeout: 200e6, ReadTimeout: 200e6, SpeculativeRetry: -1})
	ks := simple(1)
	var ms []mutation.Mutation
	local := 0
	for i := range 20 {
		ms = append(ms, row(pkey(i), 1, "v", 1))
		if c.replicasOf(ks, pkey(i))[0].id == "n1" {
			local++
		}
	}
	if local < 2 || local == len(ms) {
		t.Fatalf("%d of %d partitions on n1: the test needs some on each node", local, len(ms))
	}
	ctx := context.Background()
	if err := coord.Write(ctx, ks, ms, replication.One); err != nil {
		t.Fatal(err)
	}
	if n1.batches != 1 || n1.applied != local {
		t.Errorf("n1 got %d ApplyAll calls of %d mutations in all, want 1 of %d", n1.batches, n1.applied, local)
	}
	for i := range ms {
		if got := values(t, c.replicasOf(ks, pkey(i))[0], pkey(i)); len(got) != 1 || got[0] != "1=v" {
			t.Errorf("partition %d: got %v", i, got)
		}
	}
	n1.fail.Store(true)
	var wf *replication.WriteFailureError
	if err := coord.Write(ctx, ks, ms, replication.One); !errors.As(err, &wf) || !errors.Is(err, errInjected) {
		t.Errorf("with n1 failing: got %v, want a write failure", err)
	}
}
