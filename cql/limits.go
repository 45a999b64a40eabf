package cql

import (
	"container/list"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// The server's guardrails against clients that would exhaust it:
//
//   - MaxConnections and MaxConnectionsPerIP bound the connections; one
//     over either is answered Overloaded and closed (accept).
//   - IdleUnauthenticatedTimeout closes a connection that has not finished
//     its handshake (TLS, STARTUP, AUTHENTICATE) in time; when the server
//     is full, a new connection takes the place of the oldest such one, so
//     sockets that never send a byte cannot lock clients out.
//   - MaxRequestDataInFlight bounds the bytes of requests received and
//     executing across all connections (byteBudget); MaxInFlight bounds
//     the requests of one connection.
//   - PreparedCacheBytes bounds the prepared statements in bytes
//     (preparedCache).

// byteBudget bounds the bytes of requests received and executing. A frame
// body claims its bytes as its buffer grows while it is read (claim), so
// that a client announcing a large frame and sending it slowly holds what
// it sent, not what it announced: with the announced size taken up front,
// three slow 16 MiB frames locked every other client out.
//
// Claims that grow could deadlock (every body half read, waiting for more
// budget). The oldest body still being read is kept able to finish: a
// grant to any other claim must leave free at least what the oldest still
// needs, and the oldest may take what fits. Once it is read, the next
// oldest is protected so, so bodies finish one after the other at worst.
// A claim that may be granted is, even with others waiting (a large body
// waiting for room does not hold up small ones; it waits up to the request
// timeout at worst); waiters are served in arrival order among those a
// grant may go to. Safe for concurrent use.
type byteBudget struct {
	limit int64
	mu    struct {
		sync.Mutex
		used    int64
		reading claimList // claims whose body is being read, oldest first
		waiters list.List // of *budgetWaiter, in arrival order
		waits   int64     // claims that ever waited, for Stats
	}
}

// claim is one frame body's share of the budget. Claims are pooled (a
// request's claim was two of its allocations): release ends one for good.
type claim struct {
	need, held int64
	reading    bool   // in the reading list
	prev, next *claim // in the reading list
}

var claimPool = sync.Pool{New: func() any { return new(claim) }}

// claimList is an intrusive list of claims: no element to allocate.
type claimList struct{ front, back *claim }

func (l *claimList) pushBack(c *claim) {
	c.prev, c.next, c.reading = l.back, nil, true
	if l.back != nil {
		l.back.next = c
	} else {
		l.front = c
	}
	l.back = c
}

func (l *claimList) remove(c *claim) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.front = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.back = c.prev
	}
	c.prev, c.next, c.reading = nil, nil, false
}

type budgetWaiter struct {
	c     *claim
	n     int64
	ready chan struct{} // closed when granted
}

func newByteBudget(limit int64) *byteBudget { return &byteBudget{limit: limit} }

// begin registers a body of n bytes about to be read (at most the whole
// budget: a larger one waits until nothing else holds any).
func (b *byteBudget) begin(n int64) *claim {
	c := claimPool.Get().(*claim)
	c.need = min(n, b.limit)
	b.mu.Lock()
	b.mu.reading.pushBack(c)
	b.mu.Unlock()
	return c
}

// grantableLocked reports whether n more bytes may go to c now.
func (b *byteBudget) grantableLocked(c *claim, n int64) bool {
	if b.mu.used+n > b.limit {
		return false
	}
	oldest := b.mu.reading.front
	if oldest == nil || oldest == c {
		return true
	}
	return b.limit-(b.mu.used+n) >= oldest.need-oldest.held
}

// tryGrow takes what c needs to hold upTo bytes (at most its need) if it
// may be granted now.
func (b *byteBudget) tryGrow(c *claim, upTo int64) bool {
	n := min(upTo, c.need) - c.held
	b.mu.Lock()
	defer b.mu.Unlock()
	return n <= 0 || b.tryGrowLocked(c, n)
}

func (b *byteBudget) tryGrowLocked(c *claim, n int64) bool {
	if !b.grantableLocked(c, n) {
		return false
	}
	b.mu.used += n
	c.held += n
	return true
}

// grow is tryGrow waiting until the grant may be made or ctx is done.
func (b *byteBudget) grow(ctx context.Context, c *claim, upTo int64) error {
	n := min(upTo, c.need) - c.held
	b.mu.Lock()
	if n <= 0 || b.tryGrowLocked(c, n) {
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{c: c, n: n, ready: make(chan struct{})}
	e := b.mu.waiters.PushBack(w)
	b.mu.waits++
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		return nil // granted meanwhile
	default:
	}
	b.mu.waiters.Remove(e)
	b.grantLocked() // those behind may be grantable now
	return ctx.Err()
}

// read marks c's body as read: it no longer needs protecting.
func (b *byteBudget) read(c *claim) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.reading {
		b.mu.reading.remove(c)
		b.grantLocked() // the next oldest may take what fits
	}
}

// release gives back what c holds and ends it (c goes back to the pool).
func (b *byteBudget) release(c *claim) {
	if c == nil {
		return
	}
	b.mu.Lock()
	if c.reading {
		b.mu.reading.remove(c)
	}
	b.mu.used -= c.held
	*c = claim{}
	b.grantLocked()
	b.mu.Unlock()
	claimPool.Put(c)
}

func (b *byteBudget) grantLocked() {
	for e := b.mu.waiters.Front(); e != nil; {
		next := e.Next()
		w := e.Value.(*budgetWaiter)
		if b.grantableLocked(w.c, w.n) {
			b.mu.used += w.n
			w.c.held += w.n
			b.mu.waiters.Remove(e)
			close(w.ready)
		}
		e = next
	}
}

// inUse returns the bytes held.
func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.used
}

// blocked returns the claims waiting now and those that ever waited.
func (b *byteBudget) blocked() (now int, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.waiters.Len(), b.mu.waits
}

// overloadError is a request the server did not take: answered on its
// stream with Overloaded, the connection kept.
type overloadError struct {
	stream int16
	err    *overloadedError
}

func (e *overloadError) Error() string { return e.err.Error() }

// growBody takes from the in-flight budget what body claim c needs to
// hold upTo bytes, waiting for up to RequestTimeout (0: for as long as the
// server runs). It fails with errClosing when the server shuts down
// meanwhile, and with an *overloadedError when the wait times out.
func (s *Server) growBody(c *claim, upTo int64) error {
	if s.inflight.tryGrow(c, upTo) {
		return nil // no timer when nothing waits
	}
	ctx := s.stopCtx
	if d := s.cfg.RequestTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	err := s.inflight.grow(ctx, c, upTo)
	if err == nil {
		return nil
	}
	if s.stopCtx.Err() != nil {
		return errClosing
	}
	return &overloadedError{msg: fmt.Sprintf(
		"Server is overloaded: requests of %d bytes in all are in flight, over the %d of native_transport.max_request_data_in_flight, and this one of %d bytes waited %v",
		s.inflight.inUse(), s.inflight.limit, c.need, s.cfg.RequestTimeout)}
}

// remoteIP returns the client's IP address (the zero Addr if nc is not a
// TCP connection).
func remoteIP(nc net.Conn) netip.Addr {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// admitLocked decides whether a new connection from ip may be served: ""
// if so, else the reason it is refused. When the server is full it closes
// the oldest connection still unauthenticated for a tenth of
// IdleUnauthenticatedTimeout, if there is one, to make room. s.mu is held.
func (s *Server) admitLocked(ip netip.Addr) string {
	if per := s.cfg.MaxConnectionsPerIP; per > 0 && s.mu.perIP[ip] >= per {
		return fmt.Sprintf("Too many connections from %s (the server accepts at most %d from one address, native_transport.max_concurrent_connections_per_ip)", ip, per)
	}
	if len(s.mu.conns)-s.mu.evicted >= s.cfg.MaxConnections && !s.evictLocked() {
		return fmt.Sprintf("Too many connections (the server accepts at most %d)", s.cfg.MaxConnections)
	}
	return ""
}

// evictLocked closes the oldest connection that has not authenticated
// and has been open for at least a tenth of IdleUnauthenticatedTimeout
// (younger ones may be a client in the middle of its handshake); false
// if there is none. s.mu is held.
func (s *Server) evictLocked() bool {
	timeout := s.cfg.IdleUnauthenticatedTimeout
	if timeout <= 0 {
		return false
	}
	cutoff := time.Now().Add(-timeout / 10)
	var oldest *conn
	for c := range s.mu.conns {
		if c.evicted || c.authed.Load() || c.accepted.After(cutoff) {
			continue
		}
		if oldest == nil || c.accepted.Before(oldest.accepted) {
			oldest = c
		}
	}
	if oldest == nil {
		return false
	}
	oldest.evicted = true
	s.mu.evicted++
	s.log.Debug("cql: server full; closing the oldest unauthenticated connection for a new one",
		"remote", oldest.raw.RemoteAddr(), "open", time.Since(oldest.accepted).Round(time.Millisecond))
	oldest.raw.Close()
	return true
}

// forgetLocked removes a finished connection from the server's books.
// s.mu is held.
func (s *Server) forgetLocked(c *conn) {
	delete(s.mu.conns, c)
	if c.evicted {
		s.mu.evicted--
	}
	if n := s.mu.perIP[c.ip]; n <= 1 {
		delete(s.mu.perIP, c.ip)
	} else {
		s.mu.perIP[c.ip] = n - 1
	}
}

// watchHandshake closes the connection if it has not authenticated within
// IdleUnauthenticatedTimeout of being accepted: it covers a stalled TLS
// handshake as well as a missing STARTUP or AUTH_RESPONSE. The returned
// function stops the watch.
func (c *conn) watchHandshake() (stop func() bool) {
	d := c.srv.cfg.IdleUnauthenticatedTimeout
	if d <= 0 {
		return func() bool { return false }
	}
	t := time.AfterFunc(d-time.Since(c.accepted), func() {
		if c.authed.Load() {
			return
		}
		c.srv.log.Debug("cql: closing a connection that did not authenticate in time",
			"remote", c.raw.RemoteAddr(), "timeout", d)
		c.raw.Close()
	})
	return t.Stop
}

// noteReady records that the connection has finished its handshake: from
// then on it may stay idle.
func (c *conn) noteReady() {
	if c.authed.Load() {
		return
	}
	c.authed.Store(true)
	if c.stopWatch != nil {
		c.stopWatch()
	}
}
