// Package tracing records request traces as Cassandra does: a request
// that asks for tracing (the native protocol's tracing flag) gets a
// session, each layer it passes through adds events to it, and when the
// request is done the session and its events are written to
// system_traces.sessions and system_traces.events, in the background, at
// consistency ONE, where drivers and cqlsh read them.
//
// A Trace travels in the request's context; Eventf on a context without
// one costs a pointer lookup, so untraced requests pay nothing more. All
// events are recorded on the coordinator: a replica's work appears as the
// coordinator's message to it and its answer, and each replica a request
// reaches records its own events under the same session (NewRemote),
// with itself as their source.
package tracing

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"wcdb/schema/timeuuid"
)

// Trace is one traced request. Its methods may be called concurrently
// (a coordinator's replica calls answer on goroutines of their own).
type Trace struct {
	// ID is the session id, a timeuuid, sent to the client in the
	// response frame.
	ID [16]byte
	// Started is when the request arrived.
	Started time.Time
	// Client and Coordinator are the two ends of the client's connection,
	// CoordinatorPort the node's native port.
	Client, Coordinator net.IP
	CoordinatorPort     int
	// Remote marks a replica's part of another node's session: its
	// events are written with Coordinator as their source (the replica's
	// address), and no session row.
	Remote bool

	mu struct {
		sync.Mutex
		command, request string
		params           map[string]string
		events           []Event
		duration         time.Duration
	}
}

// Event is one step of a request.
type Event struct {
	// ID is a timeuuid of when it happened (the events' clustering key).
	ID       [16]byte
	Activity string
	// Elapsed is the time since the request arrived.
	Elapsed time.Duration
	// Thread names what did the work (cqlsh does not show it; gocql's
	// TraceWriter does).
	Thread string
}

// New starts a trace for a request that arrived now.
func New(client, coordinator net.IP, port int) *Trace {
	return &Trace{ID: timeuuid.New(), Started: time.Now(), Client: client, Coordinator: coordinator, CoordinatorPort: port}
}

// NewRemote starts a replica's part of session id, which reached it now:
// source and port are the replica's internode address.
func NewRemote(id [16]byte, source net.IP, port int) *Trace {
	return &Trace{ID: id, Started: time.Now(), Coordinator: source, CoordinatorPort: port, Remote: true}
}

// SetRequest records what was asked: command is QUERY, EXECUTE, PREPARE
// or BATCH (Cassandra's), request the sessions table's description of it
// ("Execute CQL3 query"), params its parameters (query, consistency_level,
// page_size, ...).
func (t *Trace) SetRequest(command, request string, params map[string]string) {
	t.mu.Lock()
	t.mu.command, t.mu.request, t.mu.params = command, request, params
	t.mu.Unlock()
}

// requestNames are the sessions table's request column by command,
// Cassandra's.
var requestNames = map[string]string{
	"QUERY": "Execute CQL3 query", "EXECUTE": "Execute CQL3 prepared query",
	"PREPARE": "Preparing CQL3 query", "BATCH": "Execute batch of CQL3 queries",
}

// Done records what a request was and how it ended: command is the
// protocol's message (QUERY, EXECUTE, PREPARE, BATCH), query its
// statement, consistency its level ("" for PREPARE).
func (t *Trace) Done(command, query, consistency string, err error) {
	params := map[string]string{}
	if query != "" {
		params["query"] = query
	}
	if consistency != "" {
		params["consistency_level"] = consistency
	}
	if err != nil {
		t.Event(Native, "Request failed: "+err.Error())
	}
	t.SetRequest(command, requestNames[command], params)
}

// Event records an activity now.
func (t *Trace) Event(thread, activity string) {
	e := Event{ID: timeuuid.New(), Activity: activity, Elapsed: time.Since(t.Started), Thread: thread}
	t.mu.Lock()
	t.mu.events = append(t.mu.events, e)
	t.mu.Unlock()
}

// Finish marks the request done and returns its duration.
func (t *Trace) Finish() time.Duration {
	d := time.Since(t.Started)
	t.mu.Lock()
	t.mu.duration = d
	t.mu.Unlock()
	return d
}

// Events returns a copy of the events recorded so far.
func (t *Trace) Events() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.mu.events...)
}

type ctxKey struct{}

// With returns ctx carrying t.
func With(ctx context.Context, t *Trace) context.Context {
	if t == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the trace ctx carries, or nil.
func From(ctx context.Context) *Trace {
	t, _ := ctx.Value(ctxKey{}).(*Trace)
	return t
}

// Eventf records an event with a formatted activity. thread names the
// stage ("Native-Transport-Requests", "ReadStage", ...). Hot paths call it
// as
//
//	if tr := tracing.From(ctx); tr != nil {
//		tr.Eventf(...)
//	}
//
// so that an untraced request does not even box the arguments.
func (t *Trace) Eventf(thread, format string, args ...any) {
	t.Event(thread, fmt.Sprintf(format, args...))
}

// Stages named in events, Cassandra's thread pool names.
const (
	Native   = "Native-Transport-Requests"
	Read     = "ReadStage"
	Mutation = "MutationStage"
	Repair   = "ReadRepairStage"
	// Messaging is the replica's receipt of a message and its answer.
	Messaging = "MessagingService-Incoming"
)
