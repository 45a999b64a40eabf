package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
)

// newTestNetwork returns a network of nodes a, b, c on localnode replicas.
func newTestNetwork(t *testing.T) (*Network, map[string]replication.Replica) {
	t.Helper()
	n := NewNetwork()
	t.Cleanup(n.Close)
	locals := map[string]replication.Replica{}
	for _, id := range []string{"a", "b", "c"} {
		locals[id] = openReplica(t)
		if err := n.Register(id, locals[id], ServerOptions{Node: id}); err != nil {
			t.Fatal(err)
		}
	}
	return n, locals
}

func shortCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// expectTimeout calls f and checks that it times out after d. It runs in
// a synctest bubble, whose clock moves only while every goroutine is
// blocked, so the time taken is exact.
func expectTimeout(t *testing.T, d time.Duration, what string, f func(context.Context) error) {
	t.Helper()
	start := time.Now()
	err := f(shortCtx(t, d))
	if KindOf(err) != KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: got %v, want a timeout", what, err)
	}
	if el := time.Since(start); el != d {
		t.Fatalf("%s: took %v, want %v", what, el, d)
	}
}

func ping(p Peer) func(context.Context) error {
	return func(ctx context.Context) error { _, err := p.Ping(ctx); return err }
}

func TestNetworkCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		n, locals := newTestNetwork(t)
		ab := n.Replica("a", "b")
		ms := testMutations(6, 10)
		for i := range ms {
			if err := ab.Apply(ctx, &ms[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range ms {
			cmd := replication.ReadCommand{Table: testTable, Key: ms[i].Partition.Key, Raw: true}
			want, _ := locals["b"].Read(ctx, cmd)
			got, err := ab.Read(ctx, cmd)
			if err != nil || want == nil || !samePartition(got, want) {
				t.Fatalf("read %d: got %+v, %v, want %+v", i, got, err, want)
			}
			d, err := ab.Digest(ctx, cmd)
			if err != nil || !bytes.Equal(d, replication.PartitionDigest(testTable, want)) {
				t.Fatalf("digest %d: got %x, %v", i, d, err)
			}
		}
		res, err := ab.ReadRange(ctx, replication.RangeCommand{Table: testTable, Raw: true})
		if err != nil || len(res.Partitions) != len(ms) || res.Next != nil {
			t.Fatalf("range read: got %d partitions, next %v, %v, want %d", len(res.Partitions), res.Next, err, len(ms))
		}
		if err := n.Replica("c", "a").ApplyHints(ctx, ms[:3]); err != nil {
			t.Fatal(err)
		}
		if p, _ := locals["a"].Read(ctx, replication.ReadCommand{Table: testTable, Key: ms[2].Partition.Key, Raw: true}); p == nil {
			t.Fatalf("hinted mutation not applied")
		}
		if v, err := n.Replica("x", "c").Ping(ctx); err != nil || v.Node != "c" || v.Wire != WireVersion {
			t.Fatalf("ping: got %+v, %v, want node c", v, err)
		}
		if _, err := ab.SchemaPull(ctx); KindOf(err) != KindOther {
			t.Fatalf("schema pull from a node without schema: got %v, want KindOther", err)
		}
		expectTimeout(t, 30*time.Millisecond, "call to an unknown node", ping(n.Replica("a", "nobody")))
	})
}

// TestNetworkCopies checks that caller and replica share no memory: what
// either changes after a call, the other does not see.
func TestNetworkCopies(t *testing.T) {
	ctx := context.Background()
	var got *mutation.Mutation
	stored := &mutation.Partition{Key: key("k"), Deletion: mutation.Live,
		Rows: []mutation.Row{{Clustering: []byte{1}, Liveness: mutation.NoLiveness, Deletion: mutation.Live,
			Cells: []mutation.Cell{{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("v")}}}}}
	rep := &replicaFunc{
		apply: func(_ context.Context, m *mutation.Mutation) error { got = m; return nil },
		read:  func(context.Context, replication.ReadCommand) (*mutation.Partition, error) { return stored, nil },
	}
	n := NewNetwork()
	defer n.Close()
	n.Register("r", rep, ServerOptions{})
	p := n.Replica("c", "r")
	m := testMutations(7, 1)[0]
	want := mutation.AppendMutation(nil, &m)
	if err := p.Apply(ctx, &m); err != nil {
		t.Fatal(err)
	}
	if got == &m {
		t.Fatalf("replica got the caller's mutation, want a copy")
	}
	m.Partition.Key.Bytes[0] ^= 0xff
	for i := range m.Partition.Rows {
		for j := range m.Partition.Rows[i].Cells {
			m.Partition.Rows[i].Cells[j].Timestamp++
		}
	}
	if b := mutation.AppendMutation(nil, got); !bytes.Equal(b, want) {
		t.Fatalf("caller's change after Apply reached the replica")
	}
	r1, err := p.Read(ctx, replication.ReadCommand{Table: testTable, Key: key("k")})
	if err != nil {
		t.Fatal(err)
	}
	if r1 == stored {
		t.Fatalf("caller got the replica's partition, want a copy")
	}
	r1.Rows[0].Cells[0].Value[0] = 'x'
	if string(stored.Rows[0].Cells[0].Value) != "v" {
		t.Fatalf("caller's change to a read reached the replica's data")
	}
}

func TestNetworkPartition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		n, locals := newTestNetwork(t)
		ab, ba, ac := n.Replica("a", "b"), n.Replica("b", "a"), n.Replica("a", "c")
		const d = 40 * time.Millisecond

		n.Partition("a", "b")
		expectTimeout(t, d, "a→b across a partition", ping(ab))
		expectTimeout(t, d, "b→a across a partition", ping(ba))
		if _, err := ac.Ping(ctx); err != nil {
			t.Fatalf("a→c beside a partition: %v", err)
		}
		n.Heal("a", "b")
		if _, err := ab.Ping(ctx); err != nil {
			t.Fatalf("a→b after heal: %v", err)
		}

		// One way: the request arrives and is applied, the answer is lost.
		n.PartitionOneWay("b", "a")
		m := testMutations(8, 1)[0]
		expectTimeout(t, d, "apply whose answer is lost", func(ctx context.Context) error { return ab.Apply(ctx, &m) })
		if p, _ := locals["b"].Read(ctx, replication.ReadCommand{Table: testTable, Key: m.Partition.Key, Raw: true}); p == nil {
			t.Fatalf("apply whose answer was lost: not applied, want applied")
		}
		n.HealAll()

		n.Isolate("c")
		expectTimeout(t, d, "a→c to an isolated node", ping(ac))
		expectTimeout(t, d, "c→b from an isolated node", ping(n.Replica("c", "b")))
		if _, err := n.Replica("c", "c").Ping(ctx); err != nil {
			t.Fatalf("isolated node to itself: %v", err)
		}
		if _, err := ab.Ping(ctx); err != nil {
			t.Fatalf("a→b while c is isolated: %v", err)
		}
		n.Rejoin("c")
		if _, err := ac.Ping(ctx); err != nil {
			t.Fatalf("a→c after rejoin: %v", err)
		}

		n.Down("b")
		expectTimeout(t, d, "a→b to a down node", ping(ab))
		expectTimeout(t, d, "b→a from a down node", ping(ba))
		n.Up("b")
		if _, err := ab.Ping(ctx); err != nil {
			t.Fatalf("a→b after up: %v", err)
		}
		// The default timeout bounds a call without a deadline.
		n.SetTimeout(d)
		n.Down("b")
		start := time.Now()
		if _, err := ab.Ping(ctx); KindOf(err) != KindTimeout || time.Since(start) != d {
			t.Fatalf("call without a deadline to a down node: got %v after %v, want a timeout after %v", err, time.Since(start), d)
		}
	})
}

func TestNetworkFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _ := newTestNetwork(t)
		n.SetFailFast(true)
		n.Partition("a", "b")
		for _, p := range []Peer{n.Replica("a", "b"), n.Replica("a", "nobody")} {
			start := time.Now()
			_, err := p.Ping(shortCtx(t, time.Second))
			if KindOf(err) != KindUnavailable || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("fail-fast call across a partition: got %v, want unavailable", err)
			}
			if el := time.Since(start); el != 0 {
				t.Fatalf("fail-fast call took %v, want no wait", el)
			}
		}
		// A lost answer fails fast too.
		n.HealAll()
		n.PartitionOneWay("b", "a")
		if _, err := n.Replica("a", "b").Ping(shortCtx(t, time.Second)); KindOf(err) != KindUnavailable {
			t.Fatalf("fail-fast call with a lost answer: got %v, want unavailable", err)
		}
	})
}

func TestNetworkDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		n, _ := newTestNetwork(t)
		ab := n.Replica("a", "b")
		n.SetDelay(15 * time.Millisecond)
		start := time.Now()
		if _, err := ab.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el != 30*time.Millisecond {
			t.Fatalf("round trip with 15ms legs took %v, want 30ms", el)
		}
		expectTimeout(t, 20*time.Millisecond, "round trip longer than the deadline", ping(ab))

		// A slow link, one way.
		n.SetDelay(0)
		n.SetLinkDelay("b", "a", 40*time.Millisecond)
		start = time.Now()
		if _, err := n.Replica("a", "c").Ping(ctx); err != nil || time.Since(start) != 0 {
			t.Fatalf("a→c beside a slow link: %v after %v, want no wait", err, time.Since(start))
		}
		start = time.Now()
		if _, err := ab.Ping(ctx); err != nil || time.Since(start) != 40*time.Millisecond {
			t.Fatalf("a→b over a slow answer link: %v after %v, want 40ms", err, time.Since(start))
		}

		// A delay function sees every leg.
		var mu sync.Mutex
		var legs []string
		n.SetDelayFunc(func(from, to string) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			legs = append(legs, from+"→"+to)
			return time.Millisecond
		})
		if _, err := n.Replica("c", "a").Ping(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(legs) != "[c→a a→c]" {
			t.Fatalf("legs: got %v, want [c→a a→c]", legs)
		}
	})
}

// TestNetworkDrop checks that losses follow the drop rate, and repeat with
// the seed.
func TestNetworkDrop(t *testing.T) {
	n, _ := newTestNetwork(t)
	n.SetFailFast(true)
	ab := n.Replica("a", "b")
	run := func(seed uint64) string {
		n.SetDrop(0.3, seed)
		var out []byte
		for range 200 {
			if _, err := ab.Ping(context.Background()); err != nil {
				if KindOf(err) != KindUnavailable {
					t.Fatalf("lost call: got %v, want unavailable", err)
				}
				out = append(out, 'x')
			} else {
				out = append(out, '.')
			}
		}
		return string(out)
	}
	first := run(42)
	lost := bytes.Count([]byte(first), []byte("x"))
	// Either leg may be lost: 1 - 0.7² = 51%.
	if lost < 70 || lost > 135 {
		t.Fatalf("lost %d of 200 calls at a 30%% drop rate per leg, want about 102", lost)
	}
	if again := run(42); again != first {
		t.Fatalf("same seed, different losses:\n%s\n%s", first, again)
	}
	if other := run(43); other == first {
		t.Fatalf("different seeds, same losses")
	}
	n.SetDrop(0, 0)
	if _, err := ab.Ping(context.Background()); err != nil {
		t.Fatalf("after drop rate 0: %v", err)
	}
}

func TestNetworkErrors(t *testing.T) {
	n := NewNetwork()
	defer n.Close()
	started := make(chan struct{}, 1)
	rep := blocking(started)
	rep.read = func(context.Context, replication.ReadCommand) (*mutation.Partition, error) {
		return nil, fmt.Errorf("compacting: %w", ErrOverloaded)
	}
	n.Register("r", rep, ServerOptions{MaxInFlight: 1})
	p := n.Replica("c", "r")
	if _, err := p.Read(context.Background(), replication.ReadCommand{}); KindOf(err) != KindOverloaded {
		t.Fatalf("overloaded replica: got %v, want overloaded", err)
	}
	m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key("k")}}
	done := make(chan error, 1)
	go func() { done <- p.Apply(shortCtx(t, 2*time.Second), m) }()
	<-started
	if err := p.Apply(context.Background(), m); KindOf(err) != KindOverloaded {
		t.Fatalf("apply beyond the in-flight limit: got %v, want overloaded", err)
	}
	// Close ends the blocked call.
	n.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("call in flight at close: got %v, want ErrClosed", err)
	}
	if err := p.Apply(context.Background(), m); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after close: got %v, want ErrClosed", err)
	}
}
