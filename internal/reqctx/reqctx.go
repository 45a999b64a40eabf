// Package reqctx is a request's context without a timer per request.
package reqctx

import (
	"context"
	"sync"
	"time"
)

// Ctx is the context a request runs under: a server's base context with
// the request's deadline. It arms no timer until something asks for
// Done, which a local point read or write never does (a timer and a
// context per request were four of its allocations). Once Done is asked
// for, a real context (with its timer) takes over, and children created by
// context.WithTimeout attach to it directly (Value hands out its cancelCtx),
// so no goroutine watches this one.
//
// Ctxs are pooled: End gives one back unless its Done was taken (a
// waiter may still hold that channel). Code that keeps a request's context
// after the request must detach it with context.WithoutCancel, as the
// coordinator already does for writes that outlive the answer.
type Ctx struct {
	parent   context.Context
	deadline time.Time // zero: none
	clock    Clock
	key, val any // a value the context carries itself (Set)
	mu       struct {
		sync.Mutex
		inner  context.Context // nil until Done is asked for
		cancel context.CancelFunc
	}
}

var pool = sync.Pool{New: func() any { return new(Ctx) }}

// Clock is the time a Ctx's deadline is read and armed on; tests replace
// it so that deadlines pass when they advance it.
type Clock interface {
	Now() time.Time
	// WithDeadline is context.WithDeadline on this clock.
	WithDeadline(ctx context.Context, d time.Time) (context.Context, context.CancelFunc)
}

// RealClock is the machine's clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) WithDeadline(ctx context.Context, d time.Time) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, d)
}

// New returns a request context under parent, with a deadline
// timeout from now (none if timeout is 0).
func New(parent context.Context, timeout time.Duration) *Ctx {
	var d time.Time
	if timeout > 0 {
		d = time.Now().Add(timeout)
	}
	return At(parent, d, RealClock{})
}

// At returns a request context under parent with deadline d on clock
// (none if d is zero).
func At(parent context.Context, d time.Time, clock Clock) *Ctx {
	c := pool.Get().(*Ctx)
	c.parent, c.deadline, c.clock = parent, d, clock
	return c
}

// End cancels the context and, if nothing can be waiting on it, pools it.
func (c *Ctx) End() {
	c.mu.Lock()
	cancel := c.mu.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		return
	}
	c.parent, c.deadline, c.clock, c.key, c.val = nil, time.Time{}, nil, nil, nil
	pool.Put(c)
}

func (c *Ctx) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }

func (c *Ctx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.inner == nil {
		if c.deadline.IsZero() {
			c.mu.inner, c.mu.cancel = context.WithCancel(c.parent)
		} else {
			c.mu.inner, c.mu.cancel = c.clock.WithDeadline(c.parent, c.deadline)
		}
	}
	return c.mu.inner.Done()
}

func (c *Ctx) Err() error {
	c.mu.Lock()
	inner := c.mu.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !c.deadline.IsZero() && !c.clock.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Set makes the context carry val under key, as context.WithValue would,
// without another context to allocate. Call it before handing c out.
func (c *Ctx) Set(key, val any) { c.key, c.val = key, val }

func (c *Ctx) Value(key any) any {
	if c.key != nil && key == c.key {
		return c.val
	}
	c.mu.Lock()
	inner := c.mu.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Value(key)
	}
	return c.parent.Value(key)
}
