package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"wcdb/mutation"
	"wcdb/replication"
)

// testMutations returns n mutations of testTable, one per partition, with
// a static row, regular rows, TTLs, collection cells and tombstones.
func testMutations(seed uint64, n int) []mutation.Mutation {
	r := rand.New(rand.NewPCG(seed, 9))
	ms := make([]mutation.Mutation, n)
	for i := range ms {
		p := randPartition(r)
		p.Key = key(fmt.Sprintf("key-%d", i))
		// Timestamps near now: random ones would let tombstones shadow
		// everything and TTLs expire long ago, so that reads show nothing.
		fixTimes(p)
		ms[i] = mutation.Mutation{Table: testTable, Partition: *p}
	}
	return ms
}

func fixTimes(p *mutation.Partition) {
	now := time.Now()
	ts := now.UnixMicro()
	fixRow := func(r *mutation.Row) {
		if !r.Liveness.IsEmpty() {
			r.Liveness.Timestamp = ts
			if r.Liveness.ExpiresAt != mutation.NoDeletionTime {
				r.Liveness.ExpiresAt = now.Unix() + 3600
			}
		}
		if !r.Deletion.IsLive() {
			r.Deletion.Timestamp = ts - 10
		}
		for i := range r.Cells {
			c := &r.Cells[i]
			c.Timestamp = ts
			if c.IsTombstone() {
				c.Timestamp = ts - 10
			}
			if c.Flags&mutation.CellExpiring != 0 {
				c.LocalDeletionTime = now.Unix() + 3600
			}
		}
	}
	if !p.Deletion.IsLive() {
		p.Deletion.Timestamp = ts - 20
	}
	for i := range p.RangeTombstones {
		p.RangeTombstones[i].Deletion.Timestamp = ts - 20
	}
	if p.Static != nil {
		fixRow(p.Static)
	}
	for i := range p.Rows {
		fixRow(&p.Rows[i])
	}
}

// TestGRPCReplica applies the same mutations to two nodes through their
// clients and checks reads against the local replica, digests across
// nodes, and that applying twice changes nothing.
func TestGRPCReplica(t *testing.T) {
	ctx := context.Background()
	la, lb := openReplica(t), openReplica(t)
	_, addrA := startServer(t, la, ServerOptions{})
	_, addrB := startServer(t, lb, ServerOptions{})
	a, b := dial(t, addrA, DialOptions{}), dial(t, addrB, DialOptions{Conns: 2})

	ms := testMutations(1, 20)
	apply := func(cs ...*Client) {
		t.Helper()
		for i := range ms {
			for _, c := range cs {
				if err := c.Apply(ctx, &ms[i]); err != nil {
					t.Fatalf("apply %d to %s: %v", i, c.Addr(), err)
				}
			}
		}
	}
	apply(a, b)
	check := func(raws ...bool) {
		t.Helper()
		for i := range ms {
			for _, raw := range raws {
				cmd := replication.ReadCommand{Table: testTable, Key: ms[i].Partition.Key, Raw: raw}
				want, err := la.Read(ctx, cmd)
				if err != nil {
					t.Fatal(err)
				}
				got, err := a.Read(ctx, cmd)
				if err != nil {
					t.Fatal(err)
				}
				if (got == nil) != (want == nil) || !samePartition(got, want) {
					t.Fatalf("read %d (raw %v): got %+v, want %+v", i, raw, got, want)
				}
				da, err := a.Digest(ctx, cmd)
				if err != nil {
					t.Fatal(err)
				}
				db, err := b.Digest(ctx, cmd)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(da, db) || !bytes.Equal(da, replication.PartitionDigest(testTable, want)) {
					t.Fatalf("digest %d (raw %v): got %x and %x, want %x", i, raw, da, db,
						replication.PartitionDigest(testTable, want))
				}
			}
		}
	}
	check(false, true)
	// Applying again changes nothing visible. (Raw reads may differ: the
	// memtable keeps a second copy of a range tombstone, and drops a cell
	// tombstone its row deletion covers, when a mutation is applied twice.)
	apply(a)
	check(false)
	// A slice, reversed, limited, of some columns.
	cmd := replication.ReadCommand{Table: testTable, Key: ms[3].Partition.Key, Start: []byte{0}, Reverse: true,
		Limit: 2, Columns: []uint32{1, 2, 3}}
	want, _ := la.Read(ctx, cmd)
	if got, err := a.Read(ctx, cmd); err != nil || !samePartition(got, want) {
		t.Fatalf("slice read: got %+v, %v, want %+v", got, err, want)
	}
	if got, err := a.Read(ctx, replication.ReadCommand{Table: testTable, Key: key("absent")}); err != nil || got != nil {
		t.Fatalf("read of an absent key: got %+v, %v, want nil, nil", got, err)
	}

	// Data only one node has makes the digests differ.
	extra := testMutations(2, 1)[0]
	extra.Partition.Key = ms[0].Partition.Key
	extra.Partition.Deletion = mutation.Deletion{Timestamp: time.Now().UnixMicro() + 1, LocalDeletionTime: time.Now().Unix()}
	if err := b.Apply(ctx, &extra); err != nil {
		t.Fatal(err)
	}
	cmd = replication.ReadCommand{Table: testTable, Key: ms[0].Partition.Key, Raw: true}
	da, _ := a.Digest(ctx, cmd)
	db, _ := b.Digest(ctx, cmd)
	if bytes.Equal(da, db) {
		t.Fatalf("digests of different data are equal: %x", da)
	}

	// Hints replay in order; twice is harmless.
	hints := testMutations(3, 5)
	for range 2 {
		if err := a.ApplyHints(ctx, hints); err != nil {
			t.Fatal(err)
		}
	}
	for i := range hints {
		cmd := replication.ReadCommand{Table: testTable, Key: hints[i].Partition.Key, Raw: true}
		want, _ := la.Read(ctx, cmd)
		if got, err := a.Read(ctx, cmd); err != nil || want == nil || !samePartition(got, want) {
			t.Fatalf("hinted %d: got %+v, %v, want %+v", i, got, err, want)
		}
	}

	// An error of the replica's: no such table.
	err := a.Apply(ctx, &mutation.Mutation{Table: mutation.TableID{1}, Partition: mutation.Partition{Key: key("k"), Deletion: mutation.Live}})
	if KindOf(err) != KindOther || err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("apply to an unknown table: got %v, want KindOther saying no such table", err)
	}
}

// TestGRPCRangePaging pages through a table over gRPC and checks each page
// against the local replica's.
func TestGRPCRangePaging(t *testing.T) {
	ctx := context.Background()
	local := openReplica(t)
	_, addr := startServer(t, local, ServerOptions{})
	c := dial(t, addr, DialOptions{})
	ms := testMutations(4, 40)
	for i := range ms {
		if err := c.Apply(ctx, &ms[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range []bool{false, true} {
		cmd := replication.RangeCommand{Table: testTable, Limit: 7, Raw: raw}
		pages, parts := 0, 0
		for {
			want, err := local.ReadRange(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ReadRange(ctx, cmd)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Partitions) != len(want.Partitions) {
				t.Fatalf("page %d: got %d partitions, want %d", pages, len(got.Partitions), len(want.Partitions))
			}
			for i := range want.Partitions {
				if !samePartition(got.Partitions[i], want.Partitions[i]) {
					t.Fatalf("page %d partition %d: got %+v, want %+v", pages, i, got.Partitions[i], want.Partitions[i])
				}
			}
			if (got.Next == nil) != (want.Next == nil) ||
				got.Next != nil && (!got.Next.Key.Equal(want.Next.Key) || !bytes.Equal(got.Next.Clustering, want.Next.Clustering)) {
				t.Fatalf("page %d next: got %+v, want %+v", pages, got.Next, want.Next)
			}
			pages++
			parts += len(got.Partitions)
			if got.Next == nil {
				break
			}
			if pages > 1000 {
				t.Fatalf("paging does not end")
			}
			cmd.After = got.Next
		}
		if pages < 3 || parts < 20 {
			t.Fatalf("raw %v: got %d pages of %d partitions in all, want several pages", raw, pages, parts)
		}
	}
}

// TestGRPCDeadline checks that a call to a replica that does not answer
// ends at the caller's deadline, or at the client's default timeout, and
// that the deadline reaches the replica. Client and server share a fake
// clock: deadlines pass when the test advances it, however slow the machine.
func TestGRPCDeadline(t *testing.T) {
	clk := newFakeClock()
	started := make(chan struct{}, 10)
	slow := blocking(started)
	deadlines := make(chan time.Time, 10)
	apply, read := slow.apply, slow.read
	slow.apply = func(ctx context.Context, m *mutation.Mutation) error {
		d, _ := ctx.Deadline()
		deadlines <- d
		return apply(ctx, m)
	}
	slow.read = func(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
		d, _ := ctx.Deadline()
		deadlines <- d
		return read(ctx, cmd)
	}
	_, addr := startServer(t, slow, ServerOptions{clock: clk})
	const timeout = 150 * time.Millisecond
	c := dial(t, addr, DialOptions{Timeout: timeout, clock: clk})

	// The caller's deadline.
	ctx, cancel := clk.WithDeadline(context.Background(), clk.Now().Add(100*time.Millisecond))
	defer cancel()
	want, _ := ctx.Deadline()
	done := make(chan error, 1)
	go func() {
		done <- c.Apply(ctx, &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key("k")}})
	}()
	<-started
	if got := <-deadlines; !got.Equal(want) {
		t.Fatalf("apply: deadline at the replica %v, want the caller's %v", got, want)
	}
	clk.Advance(99 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("apply: got %v 1ms before its deadline, want it still waiting", err)
	default:
	}
	clk.Advance(time.Millisecond)
	if err := <-done; KindOf(err) != KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("apply: got %v, want a timeout", err)
	}

	// The client's default timeout, for a ctx without a deadline.
	want = clk.Now().Add(timeout)
	go func() {
		_, err := c.Read(context.Background(), replication.ReadCommand{Table: testTable, Key: key("k")})
		done <- err
	}()
	<-started
	if got := <-deadlines; !got.Equal(want) {
		t.Fatalf("read without a deadline: deadline at the replica %v, want the default %v later, %v", got, timeout, want)
	}
	clk.Advance(timeout - time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("read without a deadline: got %v 1ms before the default timeout, want it still waiting", err)
	default:
	}
	clk.Advance(time.Millisecond)
	if err := <-done; KindOf(err) != KindTimeout {
		t.Fatalf("read without a deadline: got %v, want a timeout", err)
	}

	// A canceled call is not a timeout.
	for len(started) > 0 {
		<-started
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.Read(ctx, replication.ReadCommand{Table: testTable, Key: key("k")})
	if KindOf(err) != KindOther || !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled read: got %v (kind %v), want context.Canceled", err, KindOf(err))
	}
}

// TestGRPCErrorKinds checks that replicas' errors reach the caller with
// their kind and message, and that the in-flight limit refuses as
// overloaded.
func TestGRPCErrorKinds(t *testing.T) {
	ctx := context.Background()
	var failWith error
	rep := &replicaFunc{apply: func(context.Context, *mutation.Mutation) error { return failWith }}
	_, addr := startServer(t, rep, ServerOptions{})
	c := dial(t, addr, DialOptions{})
	m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key("k")}}
	for _, tc := range []struct {
		err  error
		kind Kind
	}{
		{fmt.Errorf("disk full: %w", ErrOverloaded), KindOverloaded},
		{fmt.Errorf("draining: %w", ErrUnavailable), KindUnavailable},
		{errors.New("boom"), KindOther},
		{fmt.Errorf("storage: %w", context.DeadlineExceeded), KindTimeout},
	} {
		failWith = tc.err
		err := c.Apply(ctx, m)
		if KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.err.Error()) {
			t.Fatalf("replica error %q: got %v (kind %v), want kind %v", tc.err, err, KindOf(err), tc.kind)
		}
		var e *Error
		if !errors.As(err, &e) || e.Op != "Apply" || e.Peer != addr {
			t.Fatalf("got %#v, want an *Error of Apply on %s", err, addr)
		}
	}
	if _, err := c.SchemaPull(ctx); KindOf(err) != KindOther {
		t.Fatalf("schema pull from a node without schema: got %v, want KindOther", err)
	}

	started := make(chan struct{}, 1)
	srv, addr := startServer(t, blocking(started), ServerOptions{MaxInFlight: 1})
	c = dial(t, addr, DialOptions{})
	ctx1, cancel := context.WithTimeout(ctx, 2*time.Second)
	done := make(chan error, 1)
	go func() { done <- c.Apply(ctx1, m) }()
	<-started
	if err := c.Apply(ctx, m); KindOf(err) != KindOverloaded || !errors.Is(err, ErrOverloaded) {
		t.Fatalf("apply beyond the in-flight limit: got %v, want overloaded", err)
	}
	if got, want := srv.Stats(), (Stats{Active: 1, Dropped: 1}); got != want {
		t.Errorf("stats with one apply blocked and one refused: got %+v, want %+v", got, want)
	}
	cancel()
	<-done
}

func TestGRPCSchemaPullAndPing(t *testing.T) {
	ctx := context.Background()
	schemaMs := testMutations(5, 3)
	opts := ServerOptions{Node: "n1", Release: "0.1.0",
		SchemaPull: func(context.Context) ([]mutation.Mutation, error) { return schemaMs, nil }}
	_, addr := startServer(t, openReplica(t), opts)
	c := dial(t, addr, DialOptions{})
	v, err := c.Ping(ctx)
	if want := (Version{Wire: WireVersion, Node: "n1", Release: "0.1.0"}); err != nil || v != want {
		t.Fatalf("ping: got %+v, %v, want %+v", v, err, want)
	}
	got, err := c.SchemaPull(ctx)
	if err != nil || len(got) != len(schemaMs) {
		t.Fatalf("schema pull: got %d mutations, %v, want %d", len(got), err, len(schemaMs))
	}
	for i := range got {
		if got[i].Table != schemaMs[i].Table || !samePartition(&got[i].Partition, &schemaMs[i].Partition) {
			t.Fatalf("schema mutation %d: got %+v, want %+v", i, got[i], schemaMs[i])
		}
	}
}

func TestGRPCSchemaPushAndAdmin(t *testing.T) {
	ctx := context.Background()
	var pushed []mutation.Mutation
	opts := ServerOptions{
		SchemaPush: func(_ context.Context, ms []mutation.Mutation) error { pushed = ms; return nil },
		Admin: func(_ context.Context, args []string) ([]byte, error) {
			if len(args) == 0 {
				return nil, errors.New("no request")
			}
			return []byte("answer to " + args[0]), nil
		}}
	_, addr := startServer(t, openReplica(t), opts)
	c := dial(t, addr, DialOptions{})
	ms := testMutations(3, 2)
	if err := c.SchemaPush(ctx, ms); err != nil || len(pushed) != len(ms) {
		t.Fatalf("schema push: %v, %d mutations arrived, want %d", err, len(pushed), len(ms))
	}
	b, err := c.Admin(ctx, []string{"status"})
	if err != nil || string(b) != "answer to status" {
		t.Fatalf("admin: got %q, %v", b, err)
	}
	if _, err := c.Admin(ctx, nil); err == nil || !strings.Contains(err.Error(), "no request") {
		t.Fatalf("admin error: got %v, want the handler's error", err)
	}
	// A node that serves neither says so.
	_, addr2 := startServer(t, openReplica(t), ServerOptions{})
	c2 := dial(t, addr2, DialOptions{})
	if err := c2.SchemaPush(ctx, ms); err == nil {
		t.Fatal("schema push to a node without a schema: no error")
	}
	if _, err := c2.Admin(ctx, []string{"status"}); err == nil {
		t.Fatal("admin to a node without admin: no error")
	}
}

// TestGRPCCall: a service's call reaches its handler with its method and
// bytes (binary ones included), and its answer or error comes back.
func TestGRPCCall(t *testing.T) {
	ctx := context.Background()
	opts := ServerOptions{Call: func(_ context.Context, method string, req []byte) ([]byte, error) {
		if method != "echo" {
			return nil, errors.New("no method " + method)
		}
		return append([]byte{0xff}, req...), nil
	}}
	_, addr := startServer(t, openReplica(t), opts)
	c := dial(t, addr, DialOptions{})
	b, err := c.Call(ctx, "echo", []byte{0, 1, 0xfe})
	if err != nil || !bytes.Equal(b, []byte{0xff, 0, 1, 0xfe}) {
		t.Fatalf("call: got %x, %v", b, err)
	}
	if _, err := c.Call(ctx, "other", nil); err == nil || !strings.Contains(err.Error(), "no method other") {
		t.Fatalf("call error: got %v, want the handler's error", err)
	}
	_, addr2 := startServer(t, openReplica(t), ServerOptions{})
	if _, err := dial(t, addr2, DialOptions{}).Call(ctx, "echo", nil); err == nil {
		t.Fatal("call to a node without calls: no error")
	}
	// The in-memory network serves calls alike.
	n := NewNetwork()
	defer n.Close()
	if err := n.Register("a", openReplica(t), opts); err != nil {
		t.Fatal(err)
	}
	if b, err := n.Replica("b", "a").Call(ctx, "echo", []byte("x")); err != nil || string(b) != "\xffx" {
		t.Fatalf("network call: got %q, %v", b, err)
	}
}

// TestGRPCStopAndRestart checks that calls to a stopped server fail as
// unavailable, and that the client reconnects once it is back.
func TestGRPCStopAndRestart(t *testing.T) {
	ctx := context.Background()
	local := openReplica(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	s, err := NewServer(local, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	c := dial(t, addr, DialOptions{ReconnectBase: 20 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	if _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: got %v, want nil", err)
	}
	// The call fails as unavailable while its deadline is still far off:
	// it did not wait for it. (The minute only bounds a hang.)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := c.Ping(ctx); KindOf(err) != KindUnavailable || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
		t.Fatalf("ping of a stopped server: got %v with the deadline passed: %v, want unavailable before it", err, ctx.Err() != nil)
	}

	// Once an attempt to connect has failed, the client backs off.
	cc := c.conns[0]
	cc.Connect()
	for st := cc.GetState(); st != connectivity.TransientFailure; st = cc.GetState() {
		if !cc.WaitForStateChange(ctx, st) {
			t.Fatalf("client of a stopped server: state %v, want TRANSIENT_FAILURE", st)
		}
	}

	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	serveOn(t, l, local, ServerOptions{})
	// A call that waits for the connection returns once the client has
	// reconnected by itself, after its backoff; then calls succeed.
	var v versionMsg
	if err := c.invoke(ctx, opPing, &emptyMsg{}, &v, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("no reconnection after restart: %v", err)
	}
	if _, err := c.Ping(ctx); err != nil {
		t.Fatalf("ping after reconnection: %v", err)
	}
}

// TestGRPCGracefulStop checks that a graceful stop lets the call in flight
// finish, and that one whose ctx ends stops at once.
func TestGRPCGracefulStop(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	rep := &replicaFunc{apply: func(ctx context.Context, _ *mutation.Mutation) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	m := &mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: key("k")}}
	for _, force := range []bool{false, true} {
		s, addr := startServer(t, rep, ServerOptions{})
		c := dial(t, addr, DialOptions{})
		done := make(chan error, 1)
		go func() { done <- c.Apply(context.Background(), m) }()
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		go func() { stopped <- s.GracefulStop(ctx) }()
		// The client's connection leaves READY when the server's GOAWAY
		// arrives: the stop is under way, and must be waiting for the call.
		for st := c.conns[0].GetState(); st == connectivity.Ready; st = c.conns[0].GetState() {
			c.conns[0].WaitForStateChange(context.Background(), st)
		}
		select {
		case err := <-stopped:
			t.Fatalf("graceful stop returned %v with a call in flight", err)
		default:
		}
		if force {
			cancel()
			if err := <-stopped; !errors.Is(err, context.Canceled) {
				t.Fatalf("forced stop: got %v, want context.Canceled", err)
			}
			if err := <-done; KindOf(err) != KindUnavailable {
				t.Fatalf("call cut by a forced stop: got %v, want unavailable", err)
			}
			continue
		}
		release <- struct{}{}
		if err := <-done; err != nil {
			t.Fatalf("call during graceful stop: got %v, want nil", err)
		}
		if err := <-stopped; err != nil {
			t.Fatalf("graceful stop: got %v, want nil", err)
		}
		cancel()
	}
}

func TestClientClosed(t *testing.T) {
	_, addr := startServer(t, openReplica(t), ServerOptions{})
	c, err := Dial(addr, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Ping(context.Background()); !errors.Is(err, ErrClosed) || KindOf(err) != KindUnavailable {
		t.Fatalf("ping on a closed client: got %v, want ErrClosed", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	if _, err := Dial("127.0.0.1:1", DialOptions{KeepaliveTime: time.Second}); err == nil {
		t.Fatalf("dial with a 1s keepalive: got nil error, want one")
	}
	if _, err := Dial("127.0.0.1:1", DialOptions{Timeout: -1}); err == nil {
		t.Fatalf("dial with a negative timeout: got nil error, want one")
	}
	if _, err := NewServer(openReplica(t), ServerOptions{MaxInFlight: -1}); err == nil {
		t.Fatalf("server with a negative in-flight limit: got nil error, want one")
	}
}
