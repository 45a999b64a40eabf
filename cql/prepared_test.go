package cql

import (
	"context"
	"fmt"
	"math"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"wcdb/internal/localnode"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/replication"
	"wcdb/storage"
)

// oneNode is a Topology of one node.
type oneNode struct{}

func (oneNode) ClusterName() string { return "Test Cluster" }
func (oneNode) Peers() []query.Node { return nil }
func (oneNode) Local() query.Node {
	return query.Node{HostID: [16]byte{1, 15: 1}, Address: net.IPv4(127, 0, 0, 1).To4(), RPCAddress: net.IPv4(127, 0, 0, 1).To4(),
		RPCPort: 9042, DataCenter: "datacenter1", Rack: "rack1", Tokens: []string{"0"}}
}

// realExecutor returns the query package's executor on an engine in
// memory, with the table ks.t (k int, c int, v text, PRIMARY KEY (k, c)).
func realExecutor(t testing.TB) *query.Executor {
	t.Helper()
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	o.BlockCacheSize = 1 << 20
	o.CommitLogSegmentSize = 1 << 20
	eng, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	x, err := query.New(context.Background(), query.Config{
		Coordinator: replication.NewLocal(localnode.Replica{E: eng}, "datacenter1"),
		Backend:     localnode.Backend{E: eng},
		Topology:    oneNode{},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int, c int, v text, l list<int>, PRIMARY KEY (k, c))",
	} {
		if _, err := x.Query(context.Background(), &query.Session{}, q,
			&query.Options{Consistency: replication.One, Timestamp: mutation.NoTimestamp}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return x
}

// statementShapes make statements of about n bytes of text, in the ways
// a statement grows: a long literal, many terms, many statements of a
// batch, many columns in a SELECT, padding the plan does not keep.
var statementShapes = []struct {
	name string
	make func(i, n int) string
}{
	{"literal", func(i, n int) string {
		return fmt.Sprintf("INSERT INTO ks.t (k, c, v) VALUES (?, %d, '%s')", i, strings.Repeat("x", n))
	}},
	{"in list", func(i, n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "SELECT v FROM ks.t WHERE k = %d AND c IN (0", i)
		for j := 1; b.Len() < n; j++ {
			fmt.Fprintf(&b, ", %d", j)
		}
		b.WriteString(")")
		return b.String()
	}},
	{"list literal", func(i, n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "UPDATE ks.t SET l = [0")
		for j := 1; b.Len() < n; j++ {
			fmt.Fprintf(&b, ", %d", j)
		}
		fmt.Fprintf(&b, "] WHERE k = ? AND c = %d", i)
		return b.String()
	}},
	{"batch", func(i, n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "BEGIN UNLOGGED BATCH ")
		for j := 0; b.Len() < n; j++ {
			fmt.Fprintf(&b, "INSERT INTO ks.t (k, c, v) VALUES (%d, %d, ?); ", i, j)
		}
		b.WriteString("APPLY BATCH")
		return b.String()
	}},
	{"selectors", func(i, n int) string {
		var b strings.Builder
		b.WriteString("SELECT k")
		for b.Len() < n {
			b.WriteString(", v, c")
		}
		fmt.Fprintf(&b, " FROM ks.t WHERE k = %d", i)
		return b.String()
	}},
	{"comment", func(i, n int) string {
		return fmt.Sprintf("SELECT v FROM ks.t WHERE k = %d /* %s */", i, strings.Repeat("c", n))
	}},
}

// heapInUse returns the live heap after a full collection.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestPreparedSizeIsHonest prepares statements of every shape and of
// growing sizes with the real executor, and checks that what the cache
// charges for them is within 2x of what they hold on the heap (the live
// heap after a collection, before and after, with the statements kept).
func TestPreparedSizeIsHonest(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	x := realExecutor(t)
	for _, shape := range statementShapes {
		for _, n := range []int{256, 16 << 10, 256 << 10} {
			if shape.name == "batch" && n > 4<<10 {
				// The query layer keeps O(statements²) for a batch (each
				// statement's analyzer is sized for all the batch's
				// markers): 16 KiB of text hold 7 MiB.
				continue
			}
			// About 8 MiB of statements and plans.
			p, err := x.Prepare(&query.Session{}, shape.make(-1, n))
			if err != nil {
				t.Fatalf("%s %d: %v", shape.name, n, err)
			}
			one, _ := preparedSize(p, math.MaxInt64)
			count := min(max(4, int((8<<20)/one)), 2000)
			before := heapInUse()
			kept := make([]*query.Prepared, 0, count)
			for i := range count {
				p, err := x.Prepare(&query.Session{}, shape.make(i, n))
				if err != nil {
					t.Fatalf("%s %d: %v", shape.name, n, err)
				}
				kept = append(kept, p)
			}
			held := heapInUse() - before - int64(cap(kept))*8
			var charged int64
			for _, p := range kept {
				size, _ := preparedSize(p, math.MaxInt64)
				charged += size - preparedEntryOverhead
			}
			runtime.KeepAlive(kept)
			ratio := float64(held) / float64(charged)
			t.Logf("%-12s %7d bytes of text: %4d statements hold %6.0f KiB on the heap, charged %6.0f KiB (heap/charge %.2f)",
				shape.name, len(kept[0].Query), count, float64(held)/1024, float64(charged)/1024, ratio)
			if ratio > 2 || ratio < 0.5 {
				t.Errorf("%s of %d bytes: the heap holds %d bytes, the cache charges %d: not within 2x", shape.name, n, held, charged)
			}
		}
	}
}

// TestPreparedCacheAttack replays an attack measured against the node
// when the cache was bounded by count: 200 PREPAREs of 1 MiB each kept
// ~460 MB. Now the statements kept are bounded by the cache's bytes, and
// one too large for the cache is refused.
func TestPreparedCacheAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	cfg := testConfig()
	cfg.PreparedCacheBytes = 4 << 20
	srv, addr := startServer(t, cfg, realExecutor(t))
	c := dial(t, addr)
	c.startup("")
	before := heapInUse()
	const n, size = 200, 1_000_000
	for i := range n {
		var q string
		if i%2 == 0 {
			q = statementShapes[0].make(i, size) // a 1 MiB literal
		} else {
			q = statementShapes[5].make(i, size) // a 1 MiB comment
		}
		var w writer
		w.longString(q)
		if f := c.do(int16(i%100), opPrepare, w.b); f.op != opResult {
			t.Fatalf("PREPARE %d: %s", i, describe(f))
		}
	}
	held := heapInUse() - before
	st := srv.Stats()
	t.Logf("after %d PREPAREs of %d bytes: %d statements cached, charged %.1f MiB; the heap grew %.1f MiB (cache %d MiB)",
		n, size, st.PreparedStatements, float64(st.PreparedBytes)/(1<<20), float64(held)/(1<<20), cfg.PreparedCacheBytes>>20)
	if st.PreparedBytes > cfg.PreparedCacheBytes {
		t.Errorf("the cache charges %d bytes, over its %d", st.PreparedBytes, cfg.PreparedCacheBytes)
	}
	if limit := 2*cfg.PreparedCacheBytes + 16<<20; held > limit {
		t.Errorf("the heap grew %d bytes, want at most %d (twice the cache, and 16 MiB)", held, limit)
	}
	// A MB of selectors holds tens of MB of plan: refused.
	var w writer
	w.longString(statementShapes[4].make(0, size))
	// Analysing a MB of selectors takes seconds under the race detector on
	// a busy machine: more than recv's 5 s.
	c.send(1, opPrepare, w.b)
	f, err := c.tryRecv(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if f.op != opError {
		t.Fatalf("PREPARE of a statement larger than the cache: got %s, want an error", f.op)
	} else {
		expectError(t, f, codeInvalid, "native_transport.prepared_statements_cache_size")
	}
	// The statements kept still execute.
	id, _, _, _, _ := prepare(t, c, 2, "SELECT v FROM ks.t WHERE k = ?")
	f = c.do(3, opExecute, executeBody(id, query.Options{Consistency: replication.One, Values: [][]byte{{0, 0, 0, 1}}}, false))
	if f.op != opResult {
		t.Fatalf("EXECUTE: %s", describe(f))
	}
}
