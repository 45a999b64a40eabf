package messaging

import (
	"context"
	"sync"
	"time"
)

// fakeClock is a manual clock for deadlines: a context it makes ends with
// context.DeadlineExceeded only once Advance reaches its deadline. It
// starts long ago, so a fake deadline that strayed into gRPC's own
// (wall-clock) deadline handling would fail a call at once, not later.
type fakeClock struct {
	mu   sync.Mutex
	now  time.Time
	ctxs []*fakeCtx
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1000, 0)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) WithDeadline(parent context.Context, d time.Time) (context.Context, context.CancelFunc) {
	c := &fakeCtx{Context: parent, deadline: d, done: make(chan struct{})}
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		c.deadline = pd
	}
	stop := context.AfterFunc(parent, func() { c.end(parent.Err()) })
	f.mu.Lock()
	if f.now.Before(c.deadline) {
		f.ctxs = append(f.ctxs, c)
	} else {
		c.end(context.DeadlineExceeded)
	}
	f.mu.Unlock()
	return c, func() { stop(); c.end(context.Canceled) }
}

// Advance moves time forward and ends the contexts whose deadline it
// reaches.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	var due []*fakeCtx
	live := f.ctxs[:0]
	for _, c := range f.ctxs {
		switch {
		case !f.now.Before(c.deadline):
			due = append(due, c)
		case c.Err() == nil:
			live = append(live, c)
		}
	}
	f.ctxs = live
	f.mu.Unlock()
	for _, c := range due {
		c.end(context.DeadlineExceeded)
	}
}

// fakeCtx is a context whose deadline is on a fakeClock.
type fakeCtx struct {
	context.Context // the parent, for its values
	deadline        time.Time
	done            chan struct{}
	mu              sync.Mutex
	err             error
}

func (c *fakeCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *fakeCtx) Done() <-chan struct{}       { return c.done }

func (c *fakeCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *fakeCtx) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}
