package cql

import (
	"io"
	"net"
	"time"
)

// The write side of a connection. A response is written by the goroutine
// that produced it (the reader, or the worker that ran the request) when
// no other write is in progress: a hand-off to the writer goroutine per
// response cost two goroutine switches and, with each woken writer
// flushing alone, a write syscall per response. The writer goroutine
// remains for events, for responses produced while another goroutine
// holds the socket (it may be blocked on a slow client; workers must not
// wait for it), and for the last flush and the close.
//
// Flushes are batched: the reader, while its input buffer still holds
// requests, leaves what it wrote in bw and flushes before it could block
// (on the socket, for a slot or for the in-flight byte budget), so a
// client's pipelined requests are answered in one write. Every other
// writer flushes what it wrote, so a response never waits for a request
// still running.

// send writes a response (holding a slot) or queues it for the writer
// goroutine when another write is in progress. onReader is true on the
// reader goroutine, which may then defer the flush.
func (c *conn) send(w *writer, onReader bool) {
	if !c.wmu.TryLock() {
		c.out <- w // has room: each response queued holds a slot
		return
	}
	c.write(w, true)
	c.drain()
	if onReader && c.br.Buffered() > 0 {
		c.deferred = true
	} else {
		c.flush()
		if onReader {
			c.deferred = false
		}
	}
	c.wmu.Unlock()
}

// flushDeferred flushes what the reader wrote without flushing; the
// reader calls it before anything that may block it.
func (c *conn) flushDeferred() {
	if !c.deferred {
		return
	}
	c.deferred = false
	c.wmu.Lock()
	c.flush()
	c.wmu.Unlock()
}

// writeLoop writes events and the responses queued on out until finish;
// then flushes what is left and closes the socket.
func (c *conn) writeLoop() {
	defer close(c.done)
	for {
		var w *writer
		var slot bool
		select {
		case w = <-c.out:
			slot = true
		case w = <-c.events:
		case <-c.finish:
			c.wmu.Lock()
			c.drain()
			c.flush()
			c.close()
			c.wmu.Unlock()
			return
		}
		c.wmu.Lock()
		c.write(w, slot)
		c.drain()
		c.flush()
		c.wmu.Unlock()
	}
}

// drain writes whatever is queued, without waiting. It is called with wmu
// held, as are write, flush, fail and close.
func (c *conn) drain() {
	for {
		select {
		case w := <-c.out:
			c.write(w, true)
		case w := <-c.events:
			c.write(w, false)
		default:
			return
		}
	}
}

// write buffers one frame (or drops it after a write error), and gives
// back the slot it held.
func (c *conn) write(w *writer, slot bool) {
	if c.werr == nil {
		if _, err := c.bw.Write(w.b); err != nil {
			c.fail(err)
		}
	}
	putWriter(w)
	if slot {
		<-c.slots
	}
}

func (c *conn) flush() {
	if c.werr == nil {
		if err := c.bw.Flush(); err != nil {
			c.fail(err)
		}
	}
}

// fail records a write error and closes the socket, which stops the
// reader; queued frames are dropped from then on.
func (c *conn) fail(err error) {
	c.werr = err
	c.nc.Close()
}

// close closes the socket; after a frame error it first half-closes and
// reads what the client still sends (briefly), so the client reads our
// error instead of a reset.
func (c *conn) close() {
	if c.linger && c.werr == nil {
		lingerClose(c.nc)
		return
	}
	c.nc.Close()
}

func lingerClose(nc net.Conn) {
	if tc, ok := nc.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	nc.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.Copy(io.Discard, io.LimitReader(nc, 1<<20))
	nc.Close()
}
