package replication_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
)

// join makes node id of c a joining node: on the future ring only, so
// that it is a pending replica of the ranges it is taking.
func (c *testCluster) join(id ring.NodeID) *testNode {
	c.future = c.ring
	c.ring = c.ring.Without(id)
	return c.byID[id]
}

// pendingOf returns k's pending replicas: on the future ring, not the
// current one.
func (c *testCluster) pendingOf(ks *schema.Keyspace, k mutation.Key) []ring.NodeID {
	st, err := replication.ParseStrategy(ks.Replication)
	if err != nil {
		c.t.Fatal(err)
	}
	cur := st.Replicas(c.ring, k.Token)
	var out []ring.NodeID
	for _, id := range st.Replicas(c.future, k.Token) {
		if !slices.Contains(cur, id) {
			out = append(out, id)
		}
	}
	return out
}

// keyPendingOn returns a partition key of which id is a pending replica.
func (c *testCluster) keyPendingOn(ks *schema.Keyspace, id ring.NodeID) mutation.Key {
	for i := range 10000 {
		if k := pkey(i); slices.Contains(c.pendingOf(ks, k), id) {
			return k
		}
	}
	c.t.Fatalf("no key pending on %s", id)
	return mutation.Key{}
}

// TestPendingReplicaGetsWrites: while n4 joins, it receives every write
// of the ranges it is taking, one at a time or in a batch, and none of
// the others.
func TestPendingReplicaGetsWrites(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(2)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	ctx := context.Background()
	const single, batch = 100, 50
	for i := range single {
		if err := coord.Write(ctx, ks, []mutation.Mutation{row(pkey(i), 1, "a", 1)}, replication.All); err != nil {
			t.Fatal(err)
		}
	}
	var ms []mutation.Mutation
	for i := single; i < single+batch; i++ {
		ms = append(ms, row(pkey(i), 1, "a", 1))
	}
	if err := coord.Write(ctx, ks, ms, replication.All); err != nil {
		t.Fatal(err)
	}
	pending := 0
	for i := range single + batch {
		k := pkey(i)
		want := []string(nil)
		if slices.Contains(c.pendingOf(ks, k), "n4") {
			want = []string{"1=a"}
			pending++
		}
		if got := values(t, n4, k); !slices.Equal(got, want) {
			t.Errorf("key %d: n4 holds %v, want %v (pending replicas %v)", i, got, want, c.pendingOf(ks, k))
		}
		for _, n := range c.replicasOf(ks, k) {
			if got := values(t, n, k); !slices.Equal(got, []string{"1=a"}) {
				t.Errorf("key %d: natural replica %s holds %v, want [1=a]", i, n.id, got)
			}
		}
	}
	if pending == 0 || pending == single+batch {
		t.Fatalf("n4 is pending for %d keys of %d: the test needs some of each", pending, single+batch)
	}
}

// TestPendingNotLocalOnly: at RF 1 on the key's owner, the write is not
// applied in place alone: ONE waits for the pending replica too.
func TestPendingNotLocalOnly(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(1)
	k := c.keyPendingOn(ks, "n4")
	owner := c.replicasOf(ks, k)[0]
	coord := c.coordinator(string(owner.id), replication.DistributedConfig{})
	n4.delay.Store(int64(20 * time.Millisecond))
	if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.One); err != nil {
		t.Fatal(err)
	}
	// ONE blocks for 1 + 1 pending: n4 has applied it by now.
	for _, n := range []*testNode{owner, n4} {
		if got := values(t, n, k); !slices.Equal(got, []string{"1=a"}) {
			t.Errorf("%s holds %v, want [1=a]", n.id, got)
		}
	}
}

// TestPendingRaisesBlockFor: QUORUM at RF 2 blocks for 2 + 1 pending, so
// a slow joining node makes it wait, and time out past the write timeout,
// as in Cassandra.
func TestPendingRaisesBlockFor(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(2)
	k := c.keyPendingOn(ks, "n4")
	reps := c.replicasOf(ks, k)
	ctx := context.Background()

	n4.delay.Store(int64(time.Second))
	coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{WriteTimeout: 100 * time.Millisecond})
	err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.Quorum)
	var wt *replication.WriteTimeoutError
	if !errors.As(err, &wt) || wt.Received != 2 || wt.BlockFor != 3 {
		t.Fatalf("QUORUM with a slow pending replica: got %v, want WriteTimeout received 2 block for 3", err)
	}

	n4.delay.Store(int64(30 * time.Millisecond))
	coord = c.coordinator(string(reps[0].id), replication.DistributedConfig{WriteTimeout: 5 * time.Second})
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 2, "b", 2)}, replication.Quorum); err != nil {
		t.Fatal(err)
	}
	// The write waited for n4's acknowledgement.
	if got := values(t, n4, k); !slices.Contains(got, "2=b") {
		t.Errorf("n4 holds %v once QUORUM answered, want 2=b among them", got)
	}
}

// TestPendingAcksCount: RF 3 QUORUM blocks for 3 while n4 joins; with one
// natural replica too slow to answer, the pending replica's ack makes the
// third.
func TestPendingAcksCount(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	c.join("n4")
	ks := simple(3)
	k := c.keyPendingOn(ks, "n4")
	reps := c.replicasOf(ks, k)
	reps[2].delay.Store(int64(time.Second))
	coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{WriteTimeout: 500 * time.Millisecond})
	if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.Quorum); err != nil {
		t.Fatalf("QUORUM with 2 fast natural replicas and a fast pending one: %v", err)
	}
}

// TestPendingDownIsSkipped: a joining node that is down is neither sent
// to nor counted, so RF 1 ONE stays available (Cassandra would refuse
// it); it gets a hint. A live pending replica does count for
// availability: with the natural replica down, ONE needs 2 and has 1.
func TestPendingDownIsSkipped(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(1)
	k := c.keyPendingOn(ks, "n4")
	owner := c.replicasOf(ks, k)[0]
	coord := c.coordinator(string(owner.id), replication.DistributedConfig{})
	ctx := context.Background()

	n4.down.Store(true)
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.One); err != nil {
		t.Fatalf("RF 1 ONE with the pending replica down: %v", err)
	}
	if got := n4.calls.Load(); got != 0 {
		t.Errorf("the down pending replica was called %d times, want 0", got)
	}
	if got := c.hints.count("n4"); got != 1 {
		t.Errorf("hints for the down pending replica: got %d, want 1", got)
	}

	n4.down.Store(false)
	owner.down.Store(true)
	other := "n1"
	if owner.id == "n1" {
		other = "n2"
	}
	coord = c.coordinator(other, replication.DistributedConfig{})
	err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 2, "b", 2)}, replication.One)
	var ue *replication.UnavailableError
	if !errors.As(err, &ue) || ue.Required != 2 || ue.Alive != 1 {
		t.Fatalf("ONE with the natural replica down: got %v, want Unavailable required 2 alive 1", err)
	}
	// ANY is not raised: the pending replica's ack meets it.
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 3, "c", 3)}, replication.Any); err != nil {
		t.Fatalf("ANY with the natural replica down: %v", err)
	}
	if got := values(t, n4, k); !slices.Equal(got, []string{"3=c"}) {
		t.Errorf("n4 holds %v, want [3=c]", got)
	}
}

// TestPendingHintedOnFailure: a live pending replica that fails gets a
// hint, as a natural one does, and counts as a failure.
func TestPendingHintedOnFailure(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(2)
	k := c.keyPendingOn(ks, "n4")
	n4.fail.Store(true)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.All)
	var wf *replication.WriteFailureError
	if !errors.As(err, &wf) || wf.Received != 2 || wf.BlockFor != 3 || wf.Failures != 1 || !errors.Is(err, errInjected) {
		t.Fatalf("ALL with a failing pending replica: got %v, want WriteFailure received 2 block for 3, 1 failure", err)
	}
	if got := c.hints.count("n4"); got != 1 {
		t.Errorf("hints for the failing pending replica: got %d, want 1", got)
	}
}

// TestPendingUnreachable: a pending replica that cannot be reached (a
// joining node killed before the failure detector says so) is left out of
// what the write waits for, as a down one, and hinted: RF 1 ONE succeeds.
func TestPendingUnreachable(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(1)
	k := c.keyPendingOn(ks, "n4")
	n4.unreachable.Store(true)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.One); err != nil {
		t.Fatalf("RF 1 ONE with an unreachable pending replica: %v", err)
	}
	if got := c.hints.count("n4"); got != 1 {
		t.Errorf("hints for the unreachable pending replica: got %d, want 1", got)
	}
	// A natural replica that cannot be reached still fails the write.
	for _, n := range c.replicasOf(ks, k) {
		n.unreachable.Store(true)
	}
	n4.unreachable.Store(false)
	if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 2, "b", 2)}, replication.One); err == nil {
		t.Fatal("RF 1 ONE with its natural replica unreachable: no error")
	}
}

// TestPendingLocalQuorum: a pending replica in another datacenter does
// not raise LOCAL_QUORUM, and its ack would not count; EACH_QUORUM adds it
// to its datacenter's quorum.
func TestPendingLocalQuorum(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc2", "dc2")
	n4 := c.join("n4")
	ks := &schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.NetworkTopologyStrategy, "dc1": "2", "dc2": "1"}}
	k := c.keyPendingOn(ks, "n4")
	n4.delay.Store(int64(time.Second))
	coord := c.coordinator("n1", replication.DistributedConfig{WriteTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.LocalQuorum); err != nil {
		t.Fatalf("LOCAL_QUORUM in dc1 with a slow pending replica in dc2: %v", err)
	}
	err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 2, "b", 2)}, replication.EachQuorum)
	var wt *replication.WriteTimeoutError
	if !errors.As(err, &wt) || wt.Received != 3 || wt.BlockFor != 4 {
		t.Fatalf("EACH_QUORUM with a slow pending replica in dc2: got %v, want WriteTimeout received 3 block for 4", err)
	}
}

// TestReadsIgnorePending: reads ask the natural replicas only, so a
// joining node, which may not hold the data yet, is never read, and its
// being down does not make ALL unavailable.
func TestReadsIgnorePending(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	n4 := c.join("n4")
	ks := simple(2)
	k := c.keyPendingOn(ks, "n4")
	coord := c.coordinator("n1", replication.DistributedConfig{})
	ctx := context.Background()
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.All); err != nil {
		t.Fatal(err)
	}
	before := n4.calls.Load()
	for _, cl := range []replication.Consistency{replication.One, replication.Quorum, replication.All} {
		p, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, cl)
		if err != nil {
			t.Fatal(err)
		}
		if got := rowValues(p); !slices.Equal(got, []string{"1=a"}) {
			t.Errorf("%s read: got %v, want [1=a]", cl, got)
		}
	}
	if _, err := coord.ReadRange(ctx, replication.RangeCommand{Keyspace: ks, Table: tid, Limit: 100}, replication.All); err != nil {
		t.Fatal(err)
	}
	if got := n4.calls.Load() - before; got != 0 {
		t.Errorf("reads called the pending replica %d times, want 0", got)
	}
	n4.down.Store(true)
	if _, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.All); err != nil {
		t.Errorf("ALL read with the pending replica down: %v", err)
	}
}
