package tracing

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"wcdb/schema"
)

// Statements of the writer: the system_traces tables as Cassandra 4.0
// declares them (TraceKeyspace). The tables' default TTL (24 h) expires
// the rows.
const (
	sessionInsert = `INSERT INTO system_traces.sessions (session_id, client, command, coordinator,
		coordinator_port, duration, parameters, request, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	eventInsert = `INSERT INTO system_traces.events (session_id, event_id, activity, source,
		source_elapsed, source_port, thread) VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// Exec runs a statement of the node's own with Go values for its markers,
// at consistency ONE (the server passes query.Executor.Internal).
type Exec func(ctx context.Context, stmt string, values ...any) error

// Writer writes finished traces to system_traces in the background.
// Record never blocks: when maxPending traces are being written already,
// the new one is dropped (and logged), as tracing must not slow the
// requests it watches. Safe for concurrent use.
type Writer struct {
	exec    Exec
	log     *slog.Logger
	pending chan struct{}

	mu struct {
		sync.Mutex
		closed bool
		wg     sync.WaitGroup // the writes in progress
	}
}

// maxPending bounds the traces being written at once.
const maxPending = 256

// writeTimeout bounds one trace's writes.
const writeTimeout = 10 * time.Second

// NewWriter returns a writer running its statements through exec.
func NewWriter(exec Exec, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.Default()
	}
	return &Writer{exec: exec, log: log, pending: make(chan struct{}, maxPending)}
}

// Record finishes t and writes it in the background: the events first,
// then the session row with its duration, so that a reader that waits for
// the duration (as cqlsh does) finds every event.
func (w *Writer) Record(t *Trace) {
	t.Finish()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mu.closed {
		return
	}
	select {
	case w.pending <- struct{}{}:
	default:
		w.log.Warn("tracing: too many traces being written; one dropped", "session", schema.UUID(t.ID).String())
		return
	}
	w.mu.wg.Add(1)
	go func() {
		defer w.mu.wg.Done()
		defer func() { <-w.pending }()
		if err := w.write(t); err != nil {
			w.log.Warn("tracing: trace not recorded", "session", schema.UUID(t.ID).String(), "err", err)
		}
	}()
}

// Close waits for the traces being written (each bounded by
// writeTimeout); later ones are dropped. The node closes it once its CQL
// server has stopped and before its storage closes.
func (w *Writer) Close() {
	w.mu.Lock()
	w.mu.closed = true
	w.mu.Unlock()
	w.mu.wg.Wait()
}

// write writes t's rows.
func (w *Writer) write(t *Trace) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	t.mu.Lock()
	command, request, params, dur := t.mu.command, t.mu.request, t.mu.params, t.mu.duration
	events := append([]Event(nil), t.mu.events...)
	t.mu.Unlock()
	var coord, client any
	if t.Coordinator != nil {
		coord = t.Coordinator
	}
	if t.Client != nil {
		client = t.Client
	}
	for _, e := range events {
		err := w.exec(ctx, eventInsert, t.ID, e.ID, e.Activity, coord,
			int(e.Elapsed/time.Microsecond), t.CoordinatorPort, e.Thread)
		if err != nil {
			return err
		}
	}
	if t.Remote {
		return nil // the coordinator writes the session row
	}
	var ps any
	if len(params) > 0 {
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		entries := make([]schema.MapEntry, len(keys))
		for i, k := range keys {
			entries[i] = schema.MapEntry{Key: k, Value: params[k]}
		}
		ps = entries
	}
	return w.exec(ctx, sessionInsert, t.ID, client, command, coord, t.CoordinatorPort,
		int(dur/time.Microsecond), ps, request, t.Started)
}
