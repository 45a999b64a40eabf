package replication_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
	"wcdb/storage"
)

var tid = mutation.TableID{'t'}

// testNode is one node of a test cluster: a real storage engine on an
// in-memory FS behind a replica that can be down or slow.
type testNode struct {
	id    ring.NodeID
	dc    string
	rack  string
	local localnode.Replica
	down  atomic.Bool
	fail  atomic.Bool // every call fails at once
	// unreachable: every call fails at once as never delivered
	unreachable atomic.Bool
	delay       atomic.Int64 // nanoseconds added to every call
	calls       atomic.Int64
}

var errInjected = errors.New("injected failure")

func (n *testNode) wait(ctx context.Context) error {
	n.calls.Add(1)
	if n.fail.Load() {
		return errInjected
	}
	if n.unreachable.Load() {
		return fmt.Errorf("connection refused: %w", replication.ErrNotDelivered)
	}
	if n.down.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if d := time.Duration(n.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (n *testNode) Apply(ctx context.Context, m *mutation.Mutation) error {
	if err := n.wait(ctx); err != nil {
		return err
	}
	return n.local.Apply(ctx, m)
}

func (n *testNode) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	if err := n.wait(ctx); err != nil {
		return nil, err
	}
	return n.local.Read(ctx, cmd)
}

func (n *testNode) Digest(ctx context.Context, cmd replication.ReadCommand) ([]byte, error) {
	if err := n.wait(ctx); err != nil {
		return nil, err
	}
	return n.local.Digest(ctx, cmd)
}

func (n *testNode) ReadRange(ctx context.Context, cmd replication.RangeCommand) (replication.RangeResult, error) {
	if err := n.wait(ctx); err != nil {
		return replication.RangeResult{}, err
	}
	return n.local.ReadRange(ctx, cmd)
}

type testCluster struct {
	t     testing.TB
	nodes []*testNode
	byID  map[ring.NodeID]*testNode
	ring  *ring.Metadata
	// future is the ring once the range movements in progress complete;
	// nil when none is.
	future *ring.Metadata
	hints  *memHints
}

type memHints struct {
	mu sync.Mutex
	m  map[ring.NodeID][]*mutation.Mutation
}

func (h *memHints) Add(target ring.NodeID, m *mutation.Mutation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := mutation.AppendMutation(nil, m)
	d, err := mutation.DecodeMutation(c)
	if err != nil {
		return err
	}
	h.m[target] = append(h.m[target], &d)
	return nil
}

func (h *memHints) count(id ring.NodeID) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m[id])
}

// newCluster makes nodes named n1, n2, ... placed in dcs (a dc per node),
// each with 4 evenly spread tokens.
func newCluster(t testing.TB, dcs ...string) *testCluster {
	c := &testCluster{t: t, byID: map[ring.NodeID]*testNode{}, hints: &memHints{m: map[ring.NodeID][]*mutation.Mutation{}}}
	var nodes []ring.Node
	const perNode = 4
	total := len(dcs) * perNode
	for i, dc := range dcs {
		o := storage.DefaultOptions("/db")
		o.FS = vfs.NewMem()
		e, err := storage.Open(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		for _, id := range []mutation.TableID{tid, paxosTID} {
			if _, err := e.CreateTable(id, storage.TableOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		n := &testNode{id: ring.NodeID(fmt.Sprintf("n%d", i+1)), dc: dc, rack: "r1",
			local: localnode.Replica{E: e, Paxos: localnode.NewPaxos(paxosTID)}}
		c.nodes = append(c.nodes, n)
		c.byID[n.id] = n
		rn := ring.Node{ID: n.id, DC: dc, Rack: "r1"}
		for k := range perNode {
			// Interleave the nodes' tokens around the ring.
			slot := k*len(dcs) + i
			rn.Tokens = append(rn.Tokens, math.MinInt64+int64(uint64(slot+1)*(math.MaxUint64/uint64(total+1))))
		}
		nodes = append(nodes, rn)
	}
	m, err := ring.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	c.ring = m
	return c
}

// view is the cluster as node local sees it.
type view struct {
	c     *testCluster
	local ring.NodeID
}

func (v view) Local() ring.NodeID   { return v.local }
func (v view) Ring() *ring.Metadata { return v.c.ring }
func (v view) FutureRing() *ring.Metadata {
	if v.c.future != nil {
		return v.c.future
	}
	return v.c.ring
}
func (v view) Alive(id ring.NodeID) bool { return !v.c.byID[id].down.Load() }
func (v view) DownSince(ring.NodeID) time.Time {
	return time.Time{}
}
func (v view) Replica(id ring.NodeID) replication.Replica { return v.c.byID[id] }

func (c *testCluster) coordinator(local string, cfg replication.DistributedConfig) *replication.Distributed {
	if cfg.Hints == nil {
		cfg.Hints = c.hints
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 200 * time.Millisecond
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 200 * time.Millisecond
	}
	if cfg.SpeculativeRetry == 0 {
		cfg.SpeculativeRetry = -1
	}
	return replication.NewDistributed(view{c: c, local: ring.NodeID(local)}, cfg)
}

func simple(rf int) *schema.Keyspace {
	return &schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": fmt.Sprint(rf)}}
}

func pkey(i int) mutation.Key {
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return mutation.Key{Token: ring.Murmur3(b), Bytes: b}
}

func ck(i int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(i)) }

// row makes a mutation writing value v to row c of partition k at ts.
func row(k mutation.Key, c int, v string, ts int64) mutation.Mutation {
	r := mutation.NewRow(ck(c))
	r.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	r.Cells = []mutation.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
	return mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: k, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
}

func rowDelete(k mutation.Key, c int, ts int64) mutation.Mutation {
	r := mutation.NewRow(ck(c))
	r.Deletion = mutation.Deletion{Timestamp: ts, LocalDeletionTime: time.Now().Unix()} // recent: raw reads keep it
	return mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: k, Deletion: mutation.Live, Rows: []mutation.Row{r}}}
}

func (c *testCluster) replicasOf(ks *schema.Keyspace, k mutation.Key) []*testNode {
	st, err := replication.ParseStrategy(ks.Replication)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []*testNode
	for _, id := range st.Replicas(c.ring, k.Token) {
		out = append(out, c.byID[id])
	}
	return out
}

// values reads partition k from one node directly and returns its values
// by clustering key.
func values(t *testing.T, n *testNode, k mutation.Key) []string {
	p, err := n.local.Read(context.Background(), replication.ReadCommand{Table: tid, Key: k})
	if err != nil {
		t.Fatal(err)
	}
	return rowValues(p)
}

func rowValues(p *mutation.Partition) []string {
	var out []string
	if p == nil {
		return out
	}
	for _, r := range p.Rows {
		v := ""
		if len(r.Cells) > 0 {
			v = string(r.Cells[0].Value)
		}
		out = append(out, fmt.Sprintf("%d=%s", binary.BigEndian.Uint32(r.Clustering), v))
	}
	return out
}

func TestQuorumWriteWithOneReplicaDown(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1")
	ks := simple(3)
	k := pkey(1)
	reps := c.replicasOf(ks, k)
	reps[2].down.Store(true)
	coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{})
	ctx := context.Background()
	m := row(k, 1, "a", 10)
	if err := coord.Write(ctx, ks, []mutation.Mutation{m}, replication.Quorum); err != nil {
		t.Fatalf("QUORUM write with 2 of 3 replicas up: %v", err)
	}
	if got := c.hints.count(reps[2].id); got != 1 {
		t.Errorf("hints for the down replica: got %d, want 1", got)
	}
	for _, n := range reps[:2] {
		if got := values(t, n, k); !slices.Equal(got, []string{"1=a"}) {
			t.Errorf("replica %s holds %v, want [1=a]", n.id, got)
		}
	}
	p, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.Quorum)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowValues(p); !slices.Equal(got, []string{"1=a"}) {
		t.Errorf("QUORUM read: got %v, want [1=a]", got)
	}
	// ALL cannot be met: Unavailable before anything is written.
	err = coord.Write(ctx, ks, []mutation.Mutation{row(k, 2, "b", 11)}, replication.All)
	var ue *replication.UnavailableError
	if !errors.As(err, &ue) || ue.Required != 3 || ue.Alive != 2 {
		t.Fatalf("ALL write with a replica down: got %v, want Unavailable required 3 alive 2", err)
	}
	for _, n := range reps[:2] {
		if got := values(t, n, k); len(got) != 1 {
			t.Errorf("replica %s holds %v after an Unavailable write, want [1=a]", n.id, got)
		}
	}
	_, err = coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.All)
	if !errors.As(err, &ue) {
		t.Fatalf("ALL read with a replica down: got %v, want Unavailable", err)
	}
}

func TestUnavailableChecksEveryMutationFirst(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1")
	ks := simple(2)
	// Find two keys, one whose replicas include n3 and one whose do not.
	var withN3, without mutation.Key
	found := 0
	for i := 0; found < 3 && i < 1000; i++ {
		k := pkey(i)
		has := slices.ContainsFunc(c.replicasOf(ks, k), func(n *testNode) bool { return n.id == "n3" })
		if has && found&1 == 0 {
			withN3, found = k, found|1
		} else if !has && found&2 == 0 {
			without, found = k, found|2
		}
	}
	c.byID["n3"].down.Store(true)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	err := coord.Write(context.Background(), ks, []mutation.Mutation{row(without, 1, "x", 1), row(withN3, 1, "y", 1)}, replication.All)
	var ue *replication.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want Unavailable", err)
	}
	for _, n := range c.replicasOf(ks, without) {
		if got := values(t, n, without); len(got) != 0 {
			t.Errorf("%s holds %v of a batch refused as Unavailable", n.id, got)
		}
	}
}

// TestWriteTimeout runs in a synctest bubble, as TestSpeculativeRetry does:
// time there moves only once every goroutine is blocked, so the replicas
// able to answer are counted before the timeout fires, and elapsed times
// are exact however slow the machine.
func TestWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "dc1", "dc1", "dc1")
		ks := simple(3)
		k := pkey(7)
		reps := c.replicasOf(ks, k)
		const slow, timeout = time.Second, 100 * time.Millisecond
		reps[1].delay.Store(int64(slow))
		coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{WriteTimeout: timeout})
		start := time.Now()
		err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.All)
		var wt *replication.WriteTimeoutError
		if !errors.As(err, &wt) || wt.Received != 2 || wt.BlockFor != 3 {
			t.Fatalf("got %v, want WriteTimeout received 2 block for 3", err)
		}
		if got := time.Since(start); got != timeout {
			t.Errorf("timed out after %v, want %v", got, timeout)
		}
		// Time stands still during Wait: the hint comes from the slow call
		// ending at the write's deadline, not after its second.
		synctest.Wait()
		if got := c.hints.count(reps[1].id); got != 1 {
			t.Errorf("hints for the replica that timed out: got %d, want 1", got)
		}
		// QUORUM does not wait for it.
		start = time.Now()
		if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 2, "b", 2)}, replication.Quorum); err != nil {
			t.Fatalf("QUORUM with one slow replica: %v", err)
		}
		if got := time.Since(start); got != 0 {
			t.Errorf("QUORUM with one slow replica took %v, want no wait", got)
		}
		// Time stops when this function returns: let the slow calls end.
		time.Sleep(slow)
	})
}

func TestAnyIsMetByAHint(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1")
	ks := simple(1)
	k := pkey(3)
	rep := c.replicasOf(ks, k)[0]
	rep.down.Store(true)
	local := "n1"
	if rep.id == "n1" {
		local = "n2"
	}
	coord := c.coordinator(local, replication.DistributedConfig{})
	if err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.Any); err != nil {
		t.Fatalf("ANY with the only replica down: %v", err)
	}
	if c.hints.count(rep.id) != 1 {
		t.Errorf("hints: got %d, want 1", c.hints.count(rep.id))
	}
	err := coord.Write(context.Background(), ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.One)
	var ue *replication.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("ONE with the only replica down: got %v, want Unavailable", err)
	}
}

// TestReadRepair writes a newer value and a newer deletion to one replica
// behind the coordinator's back: a QUORUM read returns the newest data and
// leaves the contacted replicas agreeing.
func TestReadRepair(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1")
	ks := simple(3)
	k := pkey(11)
	reps := c.replicasOf(ks, k)
	coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{})
	ctx := context.Background()
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "old", 10), row(k, 2, "keep", 10)}, replication.All); err != nil {
		t.Fatal(err)
	}
	// Replica 2 (not the data replica) gets a newer value of row 1 and a
	// deletion of row 2.
	newer := row(k, 1, "new", 20)
	del := rowDelete(k, 2, 20)
	for _, m := range []*mutation.Mutation{&newer, &del} {
		if err := reps[1].local.Apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	p, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.Quorum)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowValues(p); !slices.Equal(got, []string{"1=new"}) {
		t.Fatalf("QUORUM read: got %v, want [1=new]", got)
	}
	for _, n := range reps[:2] {
		if got := values(t, n, k); !slices.Equal(got, []string{"1=new"}) {
			t.Errorf("after read repair %s holds %v, want [1=new]", n.id, got)
		}
	}
	// Replica 1 was stale; replica 2 had the newest data.
	if got := coord.Metrics().ReadRepairs; got != 1 {
		t.Errorf("read repairs counted: got %d, want 1", got)
	}
}

// TestShortReadProtection: one replica's newer deletions shadow the first
// rows the other returns within the limit; the read must go on to find
// enough live rows.
func TestShortReadProtection(t *testing.T) {
	c := newCluster(t, "dc1", "dc1")
	ks := simple(2)
	k := pkey(5)
	reps := c.replicasOf(ks, k)
	coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{})
	ctx := context.Background()
	var ms []mutation.Mutation
	for i := 1; i <= 10; i++ {
		ms = append(ms, row(k, i, fmt.Sprint(i), 10))
	}
	if err := coord.Write(ctx, ks, ms, replication.All); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		d := rowDelete(k, i, 20)
		if err := reps[1].local.Apply(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	for _, rev := range []bool{false, true} {
		p, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k, Limit: 3, Reverse: rev}, replication.All)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"6=6", "7=7", "8=8"}
		if rev {
			want = []string{"10=10", "9=9", "8=8"}
		}
		if got := rowValues(p); !slices.Equal(got, want) {
			t.Errorf("reverse=%v: got %v, want %v", rev, got, want)
		}
	}
}

func TestLocalAndEachQuorum(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc2", "dc2")
	ks := &schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.NetworkTopologyStrategy, "dc1": "2", "dc2": "1"}}
	k := pkey(2)
	for _, n := range c.nodes {
		if n.dc == "dc2" {
			n.down.Store(true)
		}
	}
	coord := c.coordinator("n1", replication.DistributedConfig{})
	ctx := context.Background()
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.LocalQuorum); err != nil {
		t.Fatalf("LOCAL_QUORUM in dc1 with dc2 down: %v", err)
	}
	if _, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.LocalQuorum); err != nil {
		t.Fatalf("LOCAL_QUORUM read: %v", err)
	}
	var ue *replication.UnavailableError
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "b", 2)}, replication.EachQuorum); !errors.As(err, &ue) {
		t.Fatalf("EACH_QUORUM with dc2 down: got %v, want Unavailable", err)
	}
	if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "b", 2)}, replication.Quorum); err != nil {
		// QUORUM of 3 needs 2: dc1's two replicas.
		t.Fatalf("QUORUM with dc1 up: %v", err)
	}
	// LOCAL_ONE from a dc2 coordinator whose datacenter is down.
	coord2 := c.coordinator("n3", replication.DistributedConfig{})
	c.byID["n3"].down.Store(false)
	c.byID["n4"].down.Store(true)
	if err := coord2.Write(ctx, ks, []mutation.Mutation{row(k, 1, "c", 3)}, replication.LocalOne); err != nil {
		// dc2 has one replica of k: it is n3 or n4.
		var ue *replication.UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("LOCAL_ONE: %v", err)
		}
	}
}

func TestRangeReadAcrossTheRing(t *testing.T) {
	c := newCluster(t, "dc1", "dc1", "dc1", "dc1", "dc1")
	ks := simple(3)
	coord := c.coordinator("n1", replication.DistributedConfig{})
	ctx := context.Background()
	var ms []mutation.Mutation
	const n = 200
	for i := range n {
		ms = append(ms, row(pkey(i), 1, fmt.Sprint(i), 1))
	}
	// ALL: a QUORUM write may still be landing on its third replica when
	// a ONE read reaches it.
	if err := coord.Write(ctx, ks, ms, replication.All); err != nil {
		t.Fatal(err)
	}
	c.byID["n4"].down.Store(true)
	for _, cl := range []replication.Consistency{replication.One, replication.Quorum} {
		var got []mutation.Key
		cmd := replication.RangeCommand{Keyspace: ks, Table: tid, Limit: 7}
		for pages := 0; pages < 1000; pages++ {
			res, err := coord.ReadRange(ctx, cmd, cl)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Partitions {
				got = append(got, p.Key)
			}
			if res.Next == nil {
				break
			}
			cmd.After = res.Next
		}
		if len(got) != n {
			t.Fatalf("%s: %d partitions, want %d", cl, len(got), n)
		}
		if !slices.IsSortedFunc(got, func(a, b mutation.Key) int { return a.Compare(b) }) {
			t.Errorf("%s: partitions out of ring order", cl)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Equal(got[i-1]) {
				t.Errorf("%s: partition %x twice", cl, got[i].Bytes)
			}
		}
	}
}

func TestSpeculativeRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCluster(t, "dc1", "dc1", "dc1")
		ks := simple(3)
		k := pkey(9)
		reps := c.replicasOf(ks, k)
		const after = 10 * time.Millisecond
		coord := c.coordinator(string(reps[0].id), replication.DistributedConfig{SpeculativeRetry: after, ReadTimeout: time.Second})
		ctx := context.Background()
		if err := coord.Write(ctx, ks, []mutation.Mutation{row(k, 1, "a", 1)}, replication.All); err != nil {
			t.Fatal(err)
		}
		reps[0].delay.Store(int64(500 * time.Millisecond))
		start := time.Now()
		p, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: k}, replication.One)
		if err != nil {
			t.Fatal(err)
		}
		if got := rowValues(p); !slices.Equal(got, []string{"1=a"}) {
			t.Errorf("got %v", got)
		}
		if got := time.Since(start); got != after {
			t.Errorf("read took %v with a slow nearest replica, want the speculative answer at %v", got, after)
		}
	})
}
