package replication_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"wcdb/internal/localnode"
	"wcdb/mutation"
	"wcdb/replication"
)

func (n *testNode) ApplyCounter(ctx context.Context, m *mutation.Mutation) (*mutation.Mutation, error) {
	if err := n.wait(ctx); err != nil {
		return nil, err
	}
	return n.local.ApplyCounter(ctx, m)
}

// withCounters makes every node of c a counter leader, its counter id
// its name.
func withCounters(c *testCluster) {
	for _, n := range c.nodes {
		var id [mutation.CounterIDLen]byte
		copy(id[:], n.id)
		n.local.Counters = localnode.NewCounters(id)
	}
}

// incr is an increment of the counter of column 1, row 0 of k.
func incr(k mutation.Key, delta int64) *mutation.Mutation {
	r := mutation.NewRow(ck(0))
	r.Cells = []mutation.Cell{mutation.CounterUpdateCell(1, 0, delta)}
	return &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: k, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
}

// total is the counter of row 0 in p (0 if none).
func total(t *testing.T, p *mutation.Partition) int64 {
	t.Helper()
	if p == nil || len(p.Rows) == 0 || len(p.Rows[0].Cells) == 0 {
		return 0
	}
	v, err := mutation.CounterTotal(p.Rows[0].Cells[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func readTotal(t *testing.T, coord replication.Coordinator, k mutation.Key, cl replication.Consistency) int64 {
	t.Helper()
	p, err := coord.Read(context.Background(), replication.ReadCommand{Keyspace: simple(3), Table: tid, Key: k}, cl)
	if err != nil {
		t.Fatalf("read at %s: %v", cl, err)
	}
	return total(t, p)
}

// TestCounterIncrementsThroughCoordinators: 8 clients, each 200
// increments through one of three coordinators at QUORUM, RF 3: the
// counter ends at exactly the sum, read at ALL and at QUORUM through
// every coordinator, and every replica holds the same shards.
func TestCounterIncrementsThroughCoordinators(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1")
	withCounters(c)
	ks := simple(3)
	k := pkey(11)
	cfg := replication.DistributedConfig{WriteTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second}
	coords := []*replication.Distributed{c.coordinator("n1", cfg), c.coordinator("n2", cfg), c.coordinator("n3", cfg)}
	const clients, each = 8, 200
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			coord := coords[i%len(coords)]
			for j := range each {
				delta := int64(1)
				if j%10 == 0 {
					delta = -2 // decrements too
				}
				if err := coord.WriteCounter(context.Background(), ks, incr(k, delta), replication.Quorum); err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	const want = clients * (each - each/10 - 2*each/10)
	if got := readTotal(t, coords[0], k, replication.All); got != want {
		t.Fatalf("counter at ALL: got %d, want %d", got, want)
	}
	for _, coord := range coords {
		if got := readTotal(t, coord, k, replication.Quorum); got != want {
			t.Errorf("counter at QUORUM: got %d, want %d", got, want)
		}
	}
	// The ALL read repaired any replica behind: every one holds the same
	// context, a shard per leader.
	var first []byte
	for _, n := range c.nodes {
		p, err := n.local.Read(context.Background(), replication.ReadCommand{Table: tid, Key: k})
		if err != nil || p == nil {
			t.Fatalf("%s: %v %v", n.id, p, err)
		}
		v := p.Rows[0].Cells[0].Value
		shards, err := mutation.CounterShards(v)
		if err != nil || len(shards) != 3 {
			t.Errorf("%s: shards %+v %v, want one per node", n.id, shards, err)
		}
		if first == nil {
			first = v
		} else if string(v) != string(first) {
			t.Errorf("%s holds another context than n1", n.id)
		}
	}
}

// TestCounterReplicaDownThenHinted: with a replica down, increments at
// QUORUM succeed and are hinted for it; once it is back and the hints are
// replayed, it holds the full count on its own.
func TestCounterReplicaDownThenHinted(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	withCounters(c)
	ks := simple(3)
	k := pkey(5)
	reps := c.replicasOf(ks, k)
	// A coordinator that is not a replica: the leader is a remote one.
	var coordID string
	for _, n := range c.nodes {
		if n != reps[0] && n != reps[1] && n != reps[2] {
			coordID = string(n.id)
		}
	}
	coord := c.coordinator(coordID, replication.DistributedConfig{})
	down := reps[2]
	down.down.Store(true)
	for range 20 {
		if err := coord.WriteCounter(context.Background(), ks, incr(k, 3), replication.Quorum); err != nil {
			t.Fatalf("increment with a replica down: %v", err)
		}
	}
	if got := c.hints.count(down.id); got != 20 {
		t.Errorf("hints for the down replica: got %d, want 20", got)
	}
	if p, _ := down.local.Read(context.Background(), replication.ReadCommand{Table: tid, Key: k}); total(t, p) != 0 {
		t.Fatalf("the down replica holds %d", total(t, p))
	}
	down.down.Store(false)
	c.hints.mu.Lock()
	hs := c.hints.m[down.id]
	c.hints.mu.Unlock()
	for i := len(hs) - 1; i >= 0; i-- { // in any order
		if err := down.local.Apply(context.Background(), hs[i]); err != nil {
			t.Fatal(err)
		}
	}
	p, err := down.local.Read(context.Background(), replication.ReadCommand{Table: tid, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	if got := total(t, p); got != 60 {
		t.Errorf("the replica after its hints: got %d, want 60", got)
	}
	// Its own increments go on from there.
	if err := coord.WriteCounter(context.Background(), ks, incr(k, 1), replication.All); err != nil {
		t.Fatal(err)
	}
	if got := readTotal(t, coord, k, replication.One); got != 61 {
		t.Errorf("after one more: got %d, want 61", got)
	}
}

// TestCounterWriteErrors: ANY is refused, too few replicas is
// Unavailable, a leader that does not answer in time is a WriteTimeout of
// write type COUNTER, and counter updates sent as a plain write are
// refused by the replica.
func TestCounterWriteErrors(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1")
	withCounters(c)
	ks := simple(3)
	k := pkey(2)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	ctx := context.Background()
	if err := coord.WriteCounter(ctx, ks, incr(k, 1), replication.Any); err == nil || !strings.Contains(err.Error(), "ANY is not yet supported for counter") {
		t.Errorf("ANY: got %v", err)
	}
	c.byID["n1"].delay.Store(int64(time.Second))
	var wt *replication.WriteTimeoutError
	if err := coord.WriteCounter(ctx, ks, incr(k, 1), replication.Quorum); !errors.As(err, &wt) || wt.WriteType != replication.WriteCounter {
		t.Errorf("slow leader: got %v, want a WriteTimeout of type COUNTER", err)
	}
	c.byID["n1"].delay.Store(0)
	c.byID["n2"].down.Store(true)
	c.byID["n3"].down.Store(true)
	var ue *replication.UnavailableError
	if err := coord.WriteCounter(ctx, ks, incr(k, 1), replication.Quorum); !errors.As(err, &ue) {
		t.Errorf("two replicas down: got %v, want Unavailable", err)
	}
	if err := coord.Write(ctx, ks, []mutation.Mutation{*incr(k, 1)}, replication.One); err == nil {
		t.Errorf("counter updates as a plain write: no error")
	}
	// The single-node coordinator leads on its one replica.
	local := replication.NewLocal(c.byID["n1"], "dc1")
	for range 3 {
		if err := local.WriteCounter(ctx, simple(1), incr(k, 2), replication.One); err != nil {
			t.Fatal(err)
		}
	}
	p, err := local.Read(ctx, replication.ReadCommand{Keyspace: simple(1), Table: tid, Key: k}, replication.One)
	if err != nil {
		t.Fatal(err)
	}
	if got := total(t, p); got != 6 {
		t.Errorf("Local: got %d, want 6", got)
	}
}
