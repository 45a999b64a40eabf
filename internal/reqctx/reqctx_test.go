package reqctx

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestReqCtxDeadline(t *testing.T) {
	c := New(context.Background(), 20*time.Millisecond)
	defer c.End()
	if d, ok := c.Deadline(); !ok || time.Until(d) > 20*time.Millisecond {
		t.Fatalf("Deadline: got %v, %v", d, ok)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err before the deadline: %v", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the deadline")
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err: got %v, want DeadlineExceeded", err)
	}
}

// Without Done, the deadline still shows in Err, with no timer armed.
func TestReqCtxErrWithoutDone(t *testing.T) {
	c := New(context.Background(), time.Millisecond)
	time.Sleep(2 * time.Millisecond)
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err: got %v, want DeadlineExceeded", err)
	}
	c.End()
	c = New(context.Background(), 0)
	defer c.End()
	if _, ok := c.Deadline(); ok {
		t.Fatal("a deadline without a timeout")
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
}

// The parent's cancellation reaches the request, and children made with
// context.WithTimeout are cancelled with it.
func TestReqCtxParentAndChildren(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxTestKey{}, "v"))
	c := New(parent, time.Hour)
	defer c.End()
	if got := c.Value(ctxTestKey{}); got != "v" {
		t.Fatalf("Value: got %v", got)
	}
	child, stop := context.WithTimeout(c, time.Hour)
	defer stop()
	cancel()
	for _, ctx := range []context.Context{c, child} {
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("not cancelled with the parent")
		}
		if err := ctx.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err: got %v, want Canceled", err)
		}
	}
	if got := child.Value(ctxTestKey{}); got != "v" {
		t.Fatalf("child Value: got %v", got)
	}
}

// Ending a request cancels what waits on it.
func TestReqCtxEnd(t *testing.T) {
	c := New(context.Background(), time.Hour)
	done := c.Done()
	c.End()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("end did not cancel")
	}
}

type ctxTestKey struct{}

// BenchmarkRequestContext is the cost of a request's context when nothing
// waits on it: no timer, no allocation.
func BenchmarkRequestContext(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := New(context.Background(), time.Second)
		if c.Err() != nil {
			b.Fatal("expired")
		}
		c.End()
	}
}

// A value Set on the context is found through it and its children, and
// the parent's values still are.
func TestReqCtxSet(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxTestKey{}, "parent")
	c := New(parent, time.Hour)
	defer c.End()
	type other struct{}
	c.Set(other{}, "mine")
	type between struct{}
	child, cancel := context.WithTimeout(context.WithValue(c, between{}, "v"), time.Hour)
	defer cancel()
	for _, ctx := range []context.Context{c, child} {
		if got := ctx.Value(other{}); got != "mine" {
			t.Fatalf("Value(other): got %v, want mine", got)
		}
		if got := ctx.Value(ctxTestKey{}); got != "parent" {
			t.Fatalf("Value(parent's key): got %v, want parent", got)
		}
	}
}
