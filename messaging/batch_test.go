package messaging

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
)

// countingReplica counts Apply calls and makes each slow, so that
// concurrent callers queue up behind the batches in flight.
type countingReplica struct {
	replication.Replica
	applies atomic.Int64
	delay   time.Duration
}

func (r *countingReplica) Apply(ctx context.Context, m *mutation.Mutation) error {
	r.applies.Add(1)
	time.Sleep(r.delay)
	return r.Replica.Apply(ctx, m)
}

// TestApplyBatching checks that concurrent Apply calls to one peer are
// coalesced into fewer gRPC calls, and that every mutation arrives and
// every caller gets its answer.
func TestApplyBatching(t *testing.T) {
	ctx := context.Background()
	local := openReplica(t)
	rep := &countingReplica{Replica: local, delay: 200 * time.Microsecond}
	s, addr := startServer(t, rep, ServerOptions{})
	calls := &s.h.applyCalls
	c := dial(t, addr, DialOptions{})
	ms := make([]mutation.Mutation, 400)
	for i := range ms {
		ms[i] = mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key(fmt.Sprint("k", i)),
			Deletion: mutation.Live, Rows: []mutation.Row{{Clustering: []byte{}, Cells: []mutation.Cell{
				{Column: 1, Timestamp: 1, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(fmt.Sprint("v", i))}}}}}}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Apply(ctx, &ms[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	if got := rep.applies.Load(); got != int64(len(ms)) {
		t.Fatalf("%d mutations applied, want %d", got, len(ms))
	}
	for i := range ms {
		p, err := local.Read(ctx, replication.ReadCommand{Table: testTable, Key: ms[i].Partition.Key, Raw: true})
		if err != nil || p == nil {
			t.Fatalf("mutation %d not there: %v", i, err)
		}
	}
	t.Logf("%d mutations in %d calls", len(ms), calls.Load())
	if calls.Load() >= int64(len(ms)) {
		t.Fatalf("%d calls for %d concurrent mutations: nothing batched", calls.Load(), len(ms))
	}

	// A closed client answers at once.
	c.Close()
	if err := c.Apply(ctx, &ms[0]); err != ErrClosed {
		t.Fatalf("apply on a closed client: %v, want ErrClosed", err)
	}
}

// TestStreamGracefulStop checks that a server stopping gracefully ends the
// clients' streams at once (they would otherwise hold it up), and that
// requests then fail as unavailable rather than hang.
func TestStreamGracefulStop(t *testing.T) {
	ctx := context.Background()
	s, addr := startServer(t, openReplica(t), ServerOptions{})
	c := dial(t, addr, DialOptions{})
	if _, err := c.Read(ctx, replication.ReadCommand{Table: testTable, Key: key("k")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.GracefulStop(sctx); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("graceful stop took %v with a stream open", d)
	}
	rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
	defer rcancel()
	_, err := c.Read(rctx, replication.ReadCommand{Table: testTable, Key: key("k")})
	if k := KindOf(err); k != KindUnavailable && k != KindTimeout {
		t.Fatalf("read after stop: %v (kind %v), want unavailable", err, k)
	}
}
