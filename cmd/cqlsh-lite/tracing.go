package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gocql/gocql"
)

// TRACING ON asks the node to trace each statement (the protocol's tracing
// flag) and prints the trace after the statement's result, as cqlsh does:
// the node writes a trace in the background once it has answered, so the
// shell first waits for the session row's duration (the mark of a
// finished trace), for up to maxTraceWait, cqlsh's max_trace_wait.

// maxTraceWait is how long a trace may take to be recorded.
var maxTraceWait = 10 * time.Second

// tracingCommand is TRACING [ON | OFF], with cqlsh's messages.
func (s *Shell) tracingCommand(args []string) {
	switch {
	case len(args) == 0 && s.tracing:
		s.printf("Tracing is currently enabled. Use TRACING OFF to disable\n")
	case len(args) == 0:
		s.printf("Tracing is currently disabled. Use TRACING ON to enable.\n")
	case len(args) == 1 && strings.EqualFold(args[0], "on"):
		if s.tracing {
			s.printErr("Tracing is already enabled. Use TRACING OFF to disable.")
			return
		}
		s.tracing = true
		s.printf("Now Tracing is enabled\n")
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
		if !s.tracing {
			s.printErr("Tracing is not enabled.")
			return
		}
		s.tracing = false
		s.printf("Disabled Tracing.\n")
	default:
		s.improper("tracing")
	}
}

// traceIDs keeps the session ids of a statement's traced requests (gocql
// prepares a statement before executing it, each request traced).
type traceIDs struct {
	mu  sync.Mutex
	ids []gocql.UUID
}

// Trace implements gocql.Tracer.
func (t *traceIDs) Trace(id []byte) {
	u, err := gocql.UUIDFromBytes(id)
	if err != nil {
		return
	}
	t.mu.Lock()
	t.ids = append(t.ids, u)
	t.mu.Unlock()
}

// last returns the id of the last request traced (the statement's
// execution), and whether there was one.
func (t *traceIDs) last() (gocql.UUID, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.ids) == 0 {
		return gocql.UUID{}, false
	}
	return t.ids[len(t.ids)-1], true
}

// printTrace prints the trace of the statement just run, once recorded.
func (s *Shell) printTrace(ctx context.Context, ids *traceIDs) {
	id, ok := ids.last()
	if !ok {
		return
	}
	if !s.waitTrace(ctx, id) {
		// What there is is shown all the same, as cqlsh does.
		s.printErr(fmt.Sprintf("Statement trace did not complete within %d seconds; trace data may be incomplete.",
			int(maxTraceWait.Seconds())))
	}
	s.showSession(id)
}

// waitTrace polls system_traces.sessions until the trace's duration is
// set; false if it is not within maxTraceWait.
func (s *Shell) waitTrace(ctx context.Context, id gocql.UUID) bool {
	deadline := time.Now().Add(maxTraceWait)
	for {
		var dur *int
		err := s.session.Query("SELECT duration FROM system_traces.sessions WHERE session_id = ?", id).
			WithContext(ctx).Consistency(gocql.One).Scan(&dur)
		if err == nil && dur != nil {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
