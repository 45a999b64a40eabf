package messaging

import (
	"context"
	"time"
)

// clock is time as calls' deadlines see it: the default timeout a Client
// gives a call, and the timeout a stream request carries and is served
// with. Tests replace it (DialOptions.clock, ServerOptions.clock) so that
// deadlines pass when they advance it, not when the machine gets there.
type clock interface {
	Now() time.Time
	// WithDeadline is context.WithDeadline on this clock.
	WithDeadline(ctx context.Context, d time.Time) (context.Context, context.CancelFunc)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) WithDeadline(ctx context.Context, d time.Time) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, d)
}
