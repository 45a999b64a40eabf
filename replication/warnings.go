package replication

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrTooManyTombstones is a replica's answer to a read that went through
// more tombstones than its tombstone_failure_threshold allows (Cassandra's
// TombstoneOverwhelmingException). The coordinator answers the client
// ReadFailure: in protocol v4 the failure is only counted (Cassandra's
// v5 adds the reason, READ_TOO_MANY_TOMBSTONES, which v4 has no field for).
var ErrTooManyTombstones = errors.New("replication: read aborted: too many tombstones")

// Warnings are the client warnings of one request (the protocol's warning
// list): the executor attaches them to the request's context
// (WithWarnings), whatever serves the request on this node adds to them
// through the context (Warn), a replica answering a read that crossed a
// threshold say, and the executor returns them with its result. Safe for
// concurrent use: replicas answer from goroutines of their own.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

type warningsKey struct{}

// WithWarnings returns a context carrying a new, empty Warnings.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := new(Warnings)
	return context.WithValue(ctx, warningsKey{}, w), w
}

// RequestContext is a request's context carrying its Warnings, in one value
// a caller can keep with its other per-request state (no allocation of its
// own): Init it, then pass its address as the request's context.
type RequestContext struct {
	context.Context
	Warnings Warnings
}

// Init makes c a child of parent with no warnings.
func (c *RequestContext) Init(parent context.Context) {
	c.Context = parent
	c.Warnings = Warnings{}
}

// Value implements context.Context.
func (c *RequestContext) Value(key any) any {
	if key == (warningsKey{}) {
		return &c.Warnings
	}
	return c.Context.Value(key)
}

// WarningsFrom returns the Warnings ctx carries, nil for none.
func WarningsFrom(ctx context.Context) *Warnings {
	w, _ := ctx.Value(warningsKey{}).(*Warnings)
	return w
}

// Warn adds msg to the warnings of ctx's request, once (a replica read
// twice for one request warns once); without Warnings in ctx it does
// nothing.
func Warn(ctx context.Context, msg string) { WarningsFrom(ctx).Add(msg) }

// Add adds msg unless it is there already; on a nil Warnings it does
// nothing.
func (w *Warnings) Add(msg string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.list, msg) {
		w.list = append(w.list, msg)
	}
}

// List returns the warnings added so far, nil for none (or a nil
// Warnings).
func (w *Warnings) List() []string {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}
