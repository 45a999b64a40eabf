package tracing

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"wcdb/schema"
)

type call struct {
	stmt   string
	values []any
}

// recorder is an Exec that keeps the statements; block, when set, holds
// each call until closed.
type recorder struct {
	mu    sync.Mutex
	calls []call
	block chan struct{}
}

func (r *recorder) exec(ctx context.Context, stmt string, values ...any) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	r.calls = append(r.calls, call{stmt, values})
	r.mu.Unlock()
	return nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestWriter: a recorded trace becomes its events' rows, then the session
// row with the duration (what readers wait for), under one session id.
func TestWriter(t *testing.T) {
	r := &recorder{}
	w := NewWriter(r.exec, quiet())
	tr := New(net.ParseIP("10.0.0.9"), net.ParseIP("10.0.0.1"), 9042)
	ctx := With(context.Background(), tr)
	if tr2 := From(ctx); tr2 != tr {
		t.Fatalf("From: got %p, want %p", tr2, tr)
	}
	if From(context.Background()) != nil || With(context.Background(), nil) != context.Background() {
		t.Fatal("a context without a trace has one")
	}
	tr.Eventf(Read, "Read %d rows", 3)
	time.Sleep(time.Millisecond)
	tr.Event(Native, "Returning")
	tr.SetRequest("QUERY", "Execute CQL3 query", map[string]string{"query": "SELECT 1", "consistency_level": "ONE"})
	w.Record(tr)
	w.Close()
	w.Record(New(nil, nil, 0)) // dropped: closed
	if len(r.calls) != 3 {
		t.Fatalf("got %d statements, want 3: %+v", len(r.calls), r.calls)
	}
	ev := r.calls[0]
	if !strings.HasPrefix(ev.stmt, "INSERT INTO system_traces.events") || ev.values[0] != tr.ID || ev.values[2] != "Read 3 rows" ||
		ev.values[6] != Read || ev.values[5] != 9042 {
		t.Errorf("first event: %s %v", ev.stmt, ev.values)
	}
	e1, e2 := ev.values[1].([16]byte), r.calls[1].values[1].([16]byte)
	if !schema.TimeuuidTime(e1).Before(schema.TimeuuidTime(e2)) {
		t.Errorf("event ids %x, %x not in time order", e1, e2)
	}
	ss := r.calls[2]
	params, _ := ss.values[6].([]schema.MapEntry)
	if !strings.HasPrefix(ss.stmt, "INSERT INTO system_traces.sessions") || ss.values[2] != "QUERY" ||
		ss.values[7] != "Execute CQL3 query" || ss.values[5].(int) <= 0 || len(params) != 2 || params[0].Key != "consistency_level" {
		t.Errorf("session: %s %v", ss.stmt, ss.values)
	}
}

// TestWriterNeverBlocks: with maxPending traces being written, another is
// dropped at once rather than waited for.
func TestWriterNeverBlocks(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	w := NewWriter(r.exec, quiet())
	for range maxPending + 5 {
		done := make(chan struct{})
		go func() { w.Record(New(nil, nil, 0)); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Record blocked")
		}
	}
	close(r.block)
	w.Close()
	if len(r.calls) != maxPending {
		t.Fatalf("got %d sessions written, want %d (the rest dropped)", len(r.calls), maxPending)
	}
}
