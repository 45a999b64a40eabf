package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestGRPCFetch streams frames from a server's Fetch handler: every frame
// arrives, in order, then io.EOF; a handler error reaches the client after
// the frames sent before it; a node without a handler says so.
func TestGRPCFetch(t *testing.T) {
	ctx := context.Background()
	const n = 200
	frame := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64<<10+i) }
	opts := ServerOptions{Fetch: func(_ context.Context, req []byte, send func([]byte) error) error {
		for i := range n {
			if string(req) == "fail" && i == 3 {
				return errors.New("source gave up")
			}
			if err := send(frame(i)); err != nil {
				return err
			}
		}
		return nil
	}}
	_, addr := startServer(t, openReplica(t), opts)
	c := dial(t, addr, DialOptions{})

	next, done, err := c.Fetch(ctx, []byte("all"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		f, err := next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f, frame(i)) {
			t.Fatalf("frame %d: got %d bytes, want %d", i, len(f), len(frame(i)))
		}
	}
	if _, err := next(); err != io.EOF {
		t.Fatalf("after the last frame: got %v, want io.EOF", err)
	}
	done()

	next, done, err = c.Fetch(ctx, []byte("fail"))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		_, err := next()
		if err != nil {
			if err == io.EOF || !strings.Contains(err.Error(), "source gave up") {
				t.Fatalf("after %d frames: got %v, want the handler's error", got, err)
			}
			break
		}
		got++
	}
	done()
	if got != 3 {
		t.Fatalf("got %d frames before the error, want 3", got)
	}

	// A reader that stops early releases the call.
	next, done, err = c.Fetch(ctx, []byte("all"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := next(); err != nil {
		t.Fatal(err)
	}
	done()

	_, addr2 := startServer(t, openReplica(t), ServerOptions{})
	c2 := dial(t, addr2, DialOptions{})
	next, done, err = c2.Fetch(ctx, nil)
	if err == nil {
		_, err = next()
		done()
	}
	if err == nil || err == io.EOF {
		t.Fatal(fmt.Sprint("fetch from a node without a handler: no error: ", err))
	}
}
