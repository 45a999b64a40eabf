package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"wcdb/cluster"
	"wcdb/cql"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/storage"
)

// fakeCoordinator answers every request with err.
type fakeCoordinator struct{ err error }

func (f fakeCoordinator) Write(context.Context, *schema.Keyspace, []mutation.Mutation, replication.Consistency) error {
	return f.err
}

func (f fakeCoordinator) Read(context.Context, replication.ReadCommand, replication.Consistency) (*mutation.Partition, error) {
	return nil, f.err
}

func (f fakeCoordinator) ReadRange(context.Context, replication.RangeCommand, replication.Consistency) (replication.RangeResult, error) {
	return replication.RangeResult{}, f.err
}

func (f fakeCoordinator) CAS(context.Context, replication.CASRequest, replication.Consistency, replication.Consistency) (replication.CASResult, error) {
	return replication.CASResult{}, f.err
}

func TestCoordinatorCounts(t *testing.T) {
	var m ClientRequests
	ctx := context.Background()
	for _, err := range []error{
		nil,
		&replication.UnavailableError{},
		&replication.WriteTimeoutError{},
		&replication.ReadTimeoutError{},
		&replication.WriteFailureError{Err: errors.New("disk")},
		context.DeadlineExceeded,
	} {
		c := Coordinator{C: fakeCoordinator{err}, M: &m}
		c.Write(ctx, nil, nil, replication.Quorum)
		c.Read(ctx, replication.ReadCommand{}, replication.One)
		c.ReadRange(ctx, replication.RangeCommand{}, replication.Consistency(99))
		c.CAS(ctx, replication.CASRequest{}, replication.Serial, replication.Quorum)
	}
	for r := range numRequests {
		if got := m.unavailables[r].Load(); got != 1 {
			t.Errorf("%v unavailables %d, want 1", r, got)
		}
		if got := m.timeouts[r].Load(); got != 3 {
			t.Errorf("%v timeouts %d, want 3", r, got)
		}
		if got := m.failures[r].Load(); got != 1 {
			t.Errorf("%v failures %d, want 1", r, got)
		}
	}
	for _, c := range []struct {
		r   Request
		cl  replication.Consistency
		out int
	}{{Write, replication.Quorum, 6}, {Read, replication.One, 6}, {Range, replication.Any, 6}, {CASWrite, replication.Serial, 6}} {
		if got := m.latency[c.r][c.cl].Snapshot().Count; got != uint64(c.out) {
			t.Errorf("%v at %v: %d timed, want %d", c.r, c.cl, got, c.out)
		}
		if got := m.Latency(c.r).Count; got != uint64(c.out) {
			t.Errorf("%v at every level: %d timed, want %d", c.r, got, c.out)
		}
	}
}

func TestHandler(t *testing.T) {
	o := storage.DefaultOptions("/db")
	o.FS = vfs.NewMem()
	e, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	id := mutation.TableID{1}
	if _, err := e.CreateTable(id, storage.TableOptions{}); err != nil {
		t.Fatal(err)
	}
	var m ClientRequests
	var joined atomic.Bool
	ring := func() error {
		if !joined.Load() {
			return errors.New("status JOINING, not NORMAL")
		}
		return nil
	}
	h := Handler(NewCollector(Sources{Engine: e, Requests: &m,
		TableName: func(mutation.TableID) (string, string, bool) { return "ks", "t", true }}),
		[]Check{{Name: "cql", Check: func() error { return nil }}, {Name: "ring", Check: ring}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 503 || body != "not ready: ring: status JOINING, not NORMAL\n" {
		t.Errorf("/readyz: %d %q, want 503 naming the ring check", code, body)
	}
	joined.Store(true)
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 ready", code, body)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`wcdb_table_live_sstables{keyspace="ks",table="t"} 0`,
		`wcdb_client_request_timeouts_total{request="range"} 0`,
		"# HELP wcdb_block_cache_hits_total ",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Hints and CQL are left out when their sources are nil.
	if strings.Contains(body, "wcdb_hints_stored_total") || strings.Contains(body, "wcdb_client_connections") {
		t.Error("/metrics has hint or connection metrics with no source")
	}
}

// TestReadinessBeforeJoin: a node starting (no CQL server, no membership)
// is not ready, and says why.
func TestReadinessBeforeJoin(t *testing.T) {
	stopped := false
	checks := Readiness(Node{
		CQL:           func() *cql.Server { return nil },
		Membership:    func() *cluster.Membership { return nil },
		SchemaVersion: func() [16]byte { t.Error("schema version read before the node joined"); return [16]byte{} },
		Leaving:       func() bool { return false },
		Stopped:       func() bool { return stopped },
	})
	var got []string
	for _, c := range checks {
		if err := c.Check(); err != nil {
			got = append(got, c.Name+": "+err.Error())
		}
	}
	want := "cql: not serving yet; ring: not joined yet; schema: not joined yet"
	if strings.Join(got, "; ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "; "), want)
	}
	stopped = true
	if err := checks[3].Check(); err == nil {
		t.Error("failure_policy: a stopped node passes")
	}
}

// BenchmarkCoordinator is the cost Coordinator adds to a request: two
// clock reads and a histogram's atomic adds (the coordinator here does
// nothing).
func BenchmarkCoordinator(b *testing.B) {
	var m ClientRequests
	c := Coordinator{C: fakeCoordinator{}, M: &m}
	ctx := context.Background()
	cmd := replication.ReadCommand{}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Read(ctx, cmd, replication.Quorum)
		}
	})
}
