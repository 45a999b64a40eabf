package repair

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
	"wcdb/storage"
	"wcdb/streaming"
)

var testTable = mutation.TableID{7, 7, 7}

// replica is one node of a test: an engine with the test table and its
// repair service, reached by the others through localPeer.
type replica struct {
	id   string
	t    *storage.Table
	svc  *Service
	hist *History
}

type testCluster struct {
	nodes map[string]*replica
	now   time.Time
}

func newCluster(t *testing.T, ids ...string) *testCluster {
	c := &testCluster{nodes: map[string]*replica{}, now: time.Unix(1_700_000_000, 0)}
	for _, id := range ids {
		o := storage.DefaultOptions("/" + id)
		o.FS = vfs.NewMem()
		e, err := storage.Open(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		tb, err := e.CreateTable(testTable, storage.TableOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hist, err := OpenHistory(o.FS, "/"+id+"/repair_history.json")
		if err != nil {
			t.Fatal(err)
		}
		r := &replica{id: id, t: tb, hist: hist}
		r.svc = New(Config{
			History: hist,
			Self:    id,
			Table:   func(mutation.TableID) *storage.Table { return tb },
			Peer: func(host string) (Peer, error) {
				n := c.nodes[host]
				if n == nil {
					return nil, fmt.Errorf("no node %s", host)
				}
				return localPeer{n}, nil
			},
			Now: func() time.Time { return c.now },
		})
		c.nodes[id] = r
	}
	return c
}

// localPeer calls another replica's service directly and streams from its
// table in a goroutine.
type localPeer struct{ n *replica }

func (p localPeer) Call(ctx context.Context, method string, req []byte) ([]byte, error) {
	return p.n.svc.Handle(ctx, method, req)
}

func (p localPeer) Fetch(ctx context.Context, req []byte) (func() ([]byte, error), func(), error) {
	r, err := streaming.DecodeRequest(req)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan []byte, 4)
	errc := make(chan error, 1)
	go func() {
		_, err := streaming.Send(ctx, p.n.t, r, nil, func(f []byte) error {
			select {
			case ch <- slices.Clone(f):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		errc <- err
		close(ch)
	}()
	next := func() ([]byte, error) {
		if f, ok := <-ch; ok {
			return f, nil
		}
		if err := <-errc; err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	return next, func() {}, nil
}

func pkey(i int) mutation.Key {
	b := binary.BigEndian.AppendUint32(nil, uint32(i))
	return mutation.Key{Token: ring.Murmur3(b), Bytes: b}
}

// put writes row i with value v at timestamp ts.
func put(t *testing.T, r *replica, i int, v string, ts int64) {
	t.Helper()
	row := mutation.NewRow(nil)
	row.Liveness = mutation.Liveness{Timestamp: ts, ExpiresAt: mutation.NoDeletionTime}
	row.Cells = []mutation.Cell{{Column: 1, Timestamp: ts, LocalDeletionTime: mutation.NoDeletionTime, Value: []byte(v)}}
	apply(t, r, mutation.Partition{Key: pkey(i), Deletion: mutation.Live, Rows: []mutation.Row{row}})
}

// del deletes partition i at ts. The deletion is recent (the engine's
// clock is the real one): compaction must not purge it during the test.
func del(t *testing.T, r *replica, i int, ts int64) {
	t.Helper()
	apply(t, r, mutation.Partition{Key: pkey(i), Deletion: mutation.Deletion{Timestamp: ts, LocalDeletionTime: time.Now().Unix()}})
}

func apply(t *testing.T, r *replica, p mutation.Partition) {
	t.Helper()
	if err := r.t.Apply(&mutation.Mutation{Table: testTable, Partition: p}); err != nil {
		t.Fatal(err)
	}
}

// dump is a replica's raw data, one line a partition.
func dump(t *testing.T, r *replica) []string {
	t.Helper()
	es, err := Scan(context.Background(), r.t, ring.Range{Start: ring.MinToken, End: ring.MinToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%d/%x/%x", e.Key.Token, e.Key.Bytes, e.Hash)
	}
	return out
}

var wholeRing = ring.Range{Start: ring.MinToken, End: ring.MinToken}

// TestRepairConverges: three replicas drifted apart (rows one missed,
// rows another holds an older value of, a delete one missed, rows only
// one holds); repairs of the ring's ranges from one of them leave all
// three with the same data, the union of what they held; a second repair
// finds nothing to do and streams nothing.
func TestRepairConverges(t *testing.T) {
	c := newCluster(t, "a", "b", "c")
	a, b, cc := c.nodes["a"], c.nodes["b"], c.nodes["c"]
	for i := range 2000 {
		for _, r := range []*replica{a, b, cc} {
			if r == cc && i%50 == 0 { // c missed 2%
				continue
			}
			put(t, r, i, fmt.Sprint("v", i), 10)
		}
	}
	for i := 0; i < 2000; i += 97 { // newer values b did not get
		put(t, a, i, fmt.Sprint("new", i), 20)
		put(t, cc, i, fmt.Sprint("new", i), 20)
	}
	del(t, a, 5, 30) // b and c missed the delete
	for i := 5000; i < 5010; i++ {
		put(t, b, i, "only b", 10)
	}
	if err := a.t.Flush(); err != nil { // some in SSTables, some in memtables
		t.Fatal(err)
	}
	ranges := []ring.Range{{Start: ring.MinToken, End: -1 << 62}, {Start: -1 << 62, End: 1 << 61}, {Start: 1 << 61, End: ring.MinToken}}
	var total RangeStats
	for i, r := range ranges {
		st, err := cc.svc.RepairRange(context.Background(), RangeJob{Session: fmt.Sprint("s", i), Table: testTable, Range: r, Peers: []string{"a", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		total.Add(st)
	}
	t.Logf("first repair: %+v", total)
	// Every replica records the repairs it took part in.
	for _, r := range []*replica{a, b, cc} {
		for _, tok := range []int64{ring.MinToken + 1, -1 << 62, 0, 1 << 61, 1 << 62} {
			if got := r.hist.RepairedAt(testTable, tok); got != c.now.Unix() {
				t.Errorf("%s: token %d repaired at %d, want %d", r.id, tok, got, c.now.Unix())
			}
		}
	}
	want := dump(t, a)
	for _, r := range []*replica{b, cc} {
		if got := dump(t, r); !slices.Equal(got, want) {
			t.Fatalf("%s after the repair: %d partitions, %s has %d; first difference at %d", r.id, len(got), a.id, len(want), firstDiff(got, want))
		}
	}
	if len(want) != 2010 {
		t.Fatalf("%d partitions after the repair, want 2010", len(want))
	}
	// 40 missed rows and 21 newer values (key 0 both), 1 delete, 10 rows
	// only b held.
	if total.Differing != 40+21-1+1+10 {
		t.Errorf("%d differing partitions, want 71", total.Differing)
	}
	for _, s := range []*Service{a.svc, b.svc, cc.svc} {
		if n := s.Sessions(); n != 0 {
			t.Errorf("%d sessions left after the repair", n)
		}
	}
	again, err := cc.svc.RepairRange(context.Background(), RangeJob{Session: "again", Table: testTable, Range: wholeRing, Peers: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Differing != 0 || again.StreamBytes != 0 || again.Pulled+again.Pushed != 0 {
		t.Fatalf("repair of identical replicas: %+v", again)
	}
	if again.TreeBytes > 200 {
		t.Errorf("repair of identical replicas exchanged %d bytes of trees, want only the roots", again.TreeBytes)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRepairBytesNearTheDifference: 1% of 20,000 partitions of 1 KiB
// missing on one replica; the repair streams about their size, and the
// trees and listings cost a fraction of it.
func TestRepairBytesNearTheDifference(t *testing.T) {
	c := newCluster(t, "a", "b")
	a, b := c.nodes["a"], c.nodes["b"]
	val := string(make([]byte, 1024))
	var diff int64
	for i := range 20000 {
		put(t, a, i, val, 10)
		if i%100 != 0 {
			put(t, b, i, val, 10)
		}
	}
	for _, e := range mustScan(t, a) {
		if binary.BigEndian.Uint32(e.Key.Bytes)%100 == 0 {
			diff += int64(e.Size)
		}
	}
	st, err := b.svc.RepairRange(context.Background(), RangeJob{Session: "s", Table: testTable, Range: wholeRing, Peers: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(st.TreeBytes+st.StreamBytes) / float64(diff)
	t.Logf("%+v; difference %d bytes; exchanged ÷ difference = %.2f", st, diff, ratio)
	if st.DiffBytes != diff {
		t.Errorf("DiffBytes %d, want the missing partitions' %d", st.DiffBytes, diff)
	}
	if st.Pulled != 200 || st.Pushed != 0 {
		t.Errorf("pulled %d, pushed %d; want 200, 0", st.Pulled, st.Pushed)
	}
	if ratio > 2 {
		t.Errorf("exchanged %.2f× the difference, want at most 2×", ratio)
	}
	if got, want := dump(t, b), dump(t, a); !slices.Equal(got, want) {
		t.Fatal("replicas differ after the repair")
	}
}

func mustScan(t *testing.T, r *replica) []Entry {
	t.Helper()
	es, err := Scan(context.Background(), r.t, wholeRing, nil)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestLeafOrder: for ranges of every shape (wrapping, ending at the ring's
// end, the whole ring), tokens in ring order map to leaves in order, all
// within the tree.
func TestLeafOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ranges := []ring.Range{wholeRing, {Start: 5, End: ring.MinToken}, {Start: 100, End: -100},
		{Start: -50, End: 50}, {Start: math.MaxInt64 - 10, End: 10}, {Start: ring.MinToken, End: 0}}
	for _, r := range ranges {
		for _, depth := range []int{0, 1, 7, MaxDepth} {
			tr := &Tree{Range: r, Depth: depth}
			var toks []int64
			for range 2000 {
				tok := int64(rng.Uint64())
				if r.Contains(tok) {
					toks = append(toks, tok)
				}
			}
			// Edges: the first and last tokens of the range.
			toks = append(toks, r.Start+1, r.End)
			if r.End == ring.MinToken {
				toks[len(toks)-1] = math.MaxInt64
			}
			// Ring order from the range's start.
			slices.SortFunc(toks, func(x, y int64) int {
				ox, oy := uint64(x)-uint64(r.Start)-1, uint64(y)-uint64(r.Start)-1
				switch {
				case ox < oy:
					return -1
				case ox > oy:
					return 1
				}
				return 0
			})
			prev := 0
			for _, tok := range toks {
				l := tr.Leaf(tok)
				if l < prev || l >= 1<<depth {
					t.Fatalf("range %v depth %d: token %d in leaf %d (previous %d)", r, depth, tok, l, prev)
				}
				prev = l
			}
		}
	}
}

// TestSessionsExpire: a tree left by an initiator that never finished is
// dropped after SessionTimeout; calls for it then fail as ErrNoSession.
func TestSessionsExpire(t *testing.T) {
	c := newCluster(t, "a")
	a := c.nodes["a"]
	put(t, a, 1, "x", 1)
	ctx := context.Background()
	if _, err := a.svc.Handle(ctx, MethodPrepare, prepareReq{session: "s", table: testTable, rng: wholeRing, depth: 3}.encode()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Handle(ctx, MethodHashes, encodeHashes("s", 3, []int{0, 7})); err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(SessionTimeout + time.Second)
	if _, err := a.svc.Handle(ctx, MethodHashes, encodeHashes("s", 3, []int{0})); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after the timeout: %v, want ErrNoSession", err)
	}
}

// TestMalformedCalls: damaged requests fail with an error, never a panic.
func TestMalformedCalls(t *testing.T) {
	c := newCluster(t, "a")
	a := c.nodes["a"]
	ctx := context.Background()
	reqs := map[string][]byte{
		MethodPrepare: prepareReq{session: "s", table: testTable, rng: wholeRing, depth: 3}.encode(),
		MethodHashes:  encodeHashes("s", 2, []int{0, 1, 3}),
		MethodLeaves:  encodeLeaves("s", []int{1, 2}),
		MethodPull:    pullReq{session: "s", source: "x", keys: []mutation.Key{pkey(1)}}.encode(),
		MethodFinish:  encodeFinish("s", true, 5),
	}
	for m, b := range reqs {
		for i := range b {
			bad := slices.Clone(b)
			bad[i] ^= 0xff
			a.svc.Handle(ctx, m, bad)
			a.svc.Handle(ctx, m, b[:i])
		}
	}
	if _, err := a.svc.Handle(ctx, MethodPrepare, prepareReq{session: "s", table: testTable, rng: wholeRing, depth: MaxDepth + 1}.encode()); err == nil {
		t.Fatal("a depth past MaxDepth: no error")
	}
	if _, err := a.svc.Handle(ctx, MethodHashes, encodeHashes("s", 9, []int{0})); err == nil {
		t.Fatal("a level past the tree's depth: no error")
	}
	if _, err := a.svc.Handle(ctx, "repair.nothing", nil); err == nil {
		t.Fatal("an unknown method: no error")
	}
}

// TestRepairOfAnEmptyReplica: a replica that lost everything gets it all
// back, the trees rebuilt at the depth the full replica needs, so that
// what travels besides the data is the listing of what it holds.
func TestRepairOfAnEmptyReplica(t *testing.T) {
	c := newCluster(t, "a", "b")
	a, b := c.nodes["a"], c.nodes["b"]
	val := string(make([]byte, 1024))
	for i := range 5000 {
		put(t, a, i, val, 10)
	}
	st, err := b.svc.RepairRange(context.Background(), RangeJob{Session: "s", Table: testTable, Range: wholeRing, Peers: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	var data int64
	for _, e := range mustScan(t, a) {
		data += int64(e.Size)
	}
	ratio := float64(st.TreeBytes+st.StreamBytes) / float64(data)
	t.Logf("%+v; data %d bytes; exchanged ÷ data = %.3f", st, data, ratio)
	if st.Pulled != 5000 || ratio > 1.1 {
		t.Errorf("pulled %d (want 5000), exchanged %.3f× the data (want at most 1.1×)", st.Pulled, ratio)
	}
	if got, want := dump(t, b), dump(t, a); !slices.Equal(got, want) {
		t.Fatal("replicas differ after the repair")
	}
}

// failingFetch is a peer whose streams fail.
type failingFetch struct{ localPeer }

func (failingFetch) Fetch(context.Context, []byte) (func() ([]byte, error), func(), error) {
	return nil, nil, errors.New("stream refused")
}

// TestFailedRepairRecordsNothing: a repair that fails in the middle (the
// stream of what differs breaks) leaves every history as it was, and no
// session behind.
func TestFailedRepairRecordsNothing(t *testing.T) {
	c := newCluster(t, "a", "b")
	a, b := c.nodes["a"], c.nodes["b"]
	put(t, a, 1, "x", 1)
	b.svc.cfg.Peer = func(host string) (Peer, error) { return failingFetch{localPeer{c.nodes[host]}}, nil }
	_, err := b.svc.RepairRange(context.Background(), RangeJob{Session: "s", Table: testTable, Range: wholeRing, Peers: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "stream refused") {
		t.Fatalf("repair with a broken stream: %v", err)
	}
	for _, r := range c.nodes {
		if got := r.hist.RepairedAt(testTable, 0); got != math.MinInt64 {
			t.Errorf("%s recorded a failed repair at %d", r.id, got)
		}
		if n := r.svc.Sessions(); n != 0 {
			t.Errorf("%s holds %d sessions after the failure", r.id, n)
		}
	}
}

// TestOverlappingRepairsRefused: a replica in one repair session of a
// range refuses another initiator's session of an overlapping range, and
// takes it once the first is finished.
func TestOverlappingRepairsRefused(t *testing.T) {
	c := newCluster(t, "a")
	a := c.nodes["a"]
	ctx := context.Background()
	prep := func(sid string, r ring.Range) error {
		_, err := a.svc.Handle(ctx, MethodPrepare, prepareReq{session: sid, table: testTable, rng: r, depth: 2}.encode())
		return err
	}
	if err := prep("one", ring.Range{Start: 0, End: 100}); err != nil {
		t.Fatal(err)
	}
	if err := prep("two", ring.Range{Start: 50, End: 150}); !errors.Is(err, ErrBusy) {
		t.Fatalf("an overlapping session: %v, want ErrBusy", err)
	}
	if err := prep("three", ring.Range{Start: 100, End: 150}); err != nil {
		t.Fatalf("an adjacent session: %v", err)
	}
	if _, err := a.svc.Handle(ctx, MethodFinish, encodeFinish("one", false, 0)); err != nil {
		t.Fatal(err)
	}
	if err := prep("two", ring.Range{Start: 50, End: 99}); err != nil {
		t.Fatalf("after the first finished: %v", err)
	}
}
