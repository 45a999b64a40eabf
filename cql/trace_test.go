package cql

import (
	"bytes"
	"sync"
	"testing"

	"wcdb/internal/tracing"
	"wcdb/query"
	"wcdb/replication"
)

// traceSink keeps the traces the server hands over.
type traceSink struct {
	mu     sync.Mutex
	traces []*tracing.Trace
}

func (s *traceSink) Record(t *tracing.Trace) {
	s.mu.Lock()
	s.traces = append(s.traces, t)
	s.mu.Unlock()
}

func (s *traceSink) all() []*tracing.Trace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*tracing.Trace(nil), s.traces...)
}

// TestTracingFlag: a request with the tracing flag gets a response with
// the flag and the session id opening the body, before the warnings (spec
// section 2.2), on results and errors alike, and its trace is recorded
// under that id; a request without the flag gets neither.
func TestTracingFlag(t *testing.T) {
	sink := &traceSink{}
	cfg := testConfig()
	cfg.Traces = sink
	_, addr := startServer(t, cfg, newFakeExec())
	for _, comp := range []string{"", "lz4"} {
		t.Run("compression="+comp, func(t *testing.T) {
			before := len(sink.all())
			c := dial(t, addr)
			c.startup(comp)

			f := c.query(1, "WARN careful|twice")
			if f.flags&flagTracing != 0 {
				t.Fatalf("untraced response has the tracing flag")
			}
			if n := len(sink.all()); n != before {
				t.Fatalf("got %d traces for an untraced request, want 0", n-before)
			}

			body := queryBody("WARN careful|twice", query.Options{Consistency: replication.LocalQuorum}, false)
			if comp != "" {
				body, _ = c.comp.compress(nil, body)
			}
			flags := byte(flagTracing)
			if comp != "" {
				flags |= flagCompressed
			}
			c.sendRaw(protoVersion, flags, 2, opQuery, body)
			f = c.recv()
			if f.op != opResult || f.flags&flagTracing == 0 || f.flags&flagWarning == 0 {
				t.Fatalf("got %s flags %#x, want a RESULT with the tracing and warning flags", f.op, f.flags)
			}
			r := reader{b: f.body}
			id := r.uuid()
			if got := r.stringList(); len(got) != 2 || got[0] != "careful" {
				t.Fatalf("warnings after the session id: got %q", got)
			}
			if kind := r.int(); kind != int32(query.ResultRows) || r.err != nil {
				t.Fatalf("result kind %d (err %v), want rows", kind, r.err)
			}
			traces := sink.all()
			if len(traces) != before+1 {
				t.Fatalf("got %d traces, want 1", len(traces)-before)
			}
			tr := traces[len(traces)-1]
			if !bytes.Equal(tr.ID[:], id[:]) {
				t.Fatalf("response session id %x, recorded trace %x", id, tr.ID)
			}
			if tr.Client == nil || !tr.Client.IsLoopback() || tr.CoordinatorPort == 0 {
				t.Errorf("client %v, coordinator port %d: want the connection's ends", tr.Client, tr.CoordinatorPort)
			}

			// An error carries the session id too.
			body = queryBody("FAIL invalid", query.Options{Consistency: replication.One}, false)
			if comp != "" {
				body, _ = c.comp.compress(nil, body)
			}
			c.sendRaw(protoVersion, flags, 3, opQuery, body)
			f = c.recv()
			if f.op != opError || f.flags&flagTracing == 0 {
				t.Fatalf("got %s flags %#x, want an ERROR with the tracing flag", f.op, f.flags)
			}
			code, msg, _ := parseError(f.body[16:])
			if code != codeInvalid || msg != "Keyspace nope does not exist" {
				t.Fatalf("error after the session id: got %#x %q", code, msg)
			}
			traces = sink.all()
			tr = traces[len(traces)-1]
			var failed bool
			for _, e := range tr.Events() {
				failed = failed || e.Activity == "Request failed: Keyspace nope does not exist"
			}
			if !failed || !bytes.Equal(tr.ID[:], f.body[:16]) {
				t.Fatalf("error trace %x events %+v: want the failure under the response's id", tr.ID, tr.Events())
			}
		})
	}
}

// TestTraceProbability: with a trace probability of 1 a request that did
// not ask is traced, and its response carries no session id; at 0 nothing
// is; values outside 0..1 are clamped.
func TestTraceProbability(t *testing.T) {
	sink := &traceSink{}
	cfg := testConfig()
	cfg.Traces = sink
	srv, addr := startServer(t, cfg, newFakeExec())
	c := dial(t, addr)
	c.startup("")
	srv.SetTraceProbability(1)
	f := c.query(1, "SELECT")
	if f.flags&flagTracing != 0 || f.op != opResult {
		t.Fatalf("sampled request: got %s flags %#x, want a RESULT without the tracing flag", f.op, f.flags)
	}
	if n := len(sink.all()); n != 1 {
		t.Fatalf("%d traces recorded at probability 1, want 1", n)
	}
	srv.SetTraceProbability(0)
	if g := c.query(2, "SELECT"); !bytes.Equal(g.body, f.body) {
		t.Errorf("a sampled request's body %x differs from an untraced one's %x", f.body, g.body)
	}
	if n := len(sink.all()); n != 1 {
		t.Fatalf("%d traces recorded after probability 0, want still 1", n)
	}
	srv.SetTraceProbability(7)
	if p := srv.TraceProbability(); p != 1 {
		t.Errorf("probability 7 reads back %v, want 1", p)
	}
}
