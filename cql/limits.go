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
//     executing across all connections (inflightBudget); MaxInFlight bounds
//     the requests of one connection.
//   - PreparedCacheBytes bounds the prepared statements in bytes
//     (preparedCache).

// byteBudget is a counting semaphore over bytes: acquire waits, first
// come first served, until its bytes fit. Safe for concurrent use.
type byteBudget struct {
	limit int64
	mu    struct {
		sync.Mutex
		used    int64
		waiters list.List // of *budgetWaiter, in arrival order
	}
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when granted
}

func newByteBudget(limit int64) *byteBudget { return &byteBudget{limit: limit} }

// tryAcquire takes n bytes (at most the whole budget) if they fit now and
// no one is waiting; it returns the bytes taken, for release.
func (b *byteBudget) tryAcquire(n int64) (int64, bool) {
	n = min(n, b.limit)
	if n <= 0 {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mu.waiters.Len() == 0 && b.mu.used+n <= b.limit {
		b.mu.used += n
		return n, true
	}
	return 0, false
}

// acquire takes n bytes (at most the whole budget: a larger request waits
// until nothing else holds any), waiting until they fit or ctx is done.
// It returns the bytes taken, for release.
func (b *byteBudget) acquire(ctx context.Context, n int64) (int64, error) {
	if got, ok := b.tryAcquire(n); ok {
		return got, nil
	}
	n = min(n, b.limit)
	b.mu.Lock()
	if b.mu.waiters.Len() == 0 && b.mu.used+n <= b.limit {
		b.mu.used += n
		b.mu.Unlock()
		return n, nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	e := b.mu.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		return n, nil // granted meanwhile
	default:
	}
	front := b.mu.waiters.Front() == e
	b.mu.waiters.Remove(e)
	if front {
		b.grantLocked() // those behind may fit now
	}
	return 0, ctx.Err()
}

// release gives back n bytes taken by acquire.
func (b *byteBudget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.mu.used -= n
	b.grantLocked()
	b.mu.Unlock()
}

func (b *byteBudget) grantLocked() {
	for e := b.mu.waiters.Front(); e != nil; e = b.mu.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.mu.used+w.n > b.limit {
			return
		}
		b.mu.used += w.n
		b.mu.waiters.Remove(e)
		close(w.ready)
	}
}

// inUse returns the bytes held.
func (b *byteBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.used
}

// overloadError is a request the server did not take: answered on its
// stream with Overloaded, the connection kept.
type overloadError struct {
	stream int16
	err    *overloadedError
}

func (e *overloadError) Error() string { return e.err.Error() }

// admitRequest takes a request's n bytes from the in-flight budget,
// waiting for up to RequestTimeout (0: for as long as the server runs).
// It fails with errClosing when the server shuts down meanwhile, and with
// an *overloadedError when the wait times out.
func (s *Server) admitRequest(n int64) (int64, error) {
	if got, ok := s.inflight.tryAcquire(n); ok {
		return got, nil
	}
	ctx := s.stopCtx
	if d := s.cfg.RequestTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	got, err := s.inflight.acquire(ctx, n)
	if err == nil {
		return got, nil
	}
	if s.stopCtx.Err() != nil {
		return 0, errClosing
	}
	return 0, &overloadedError{msg: fmt.Sprintf(
		"Server is overloaded: requests of %d bytes in all are in flight, over the %d of native_transport.max_request_data_in_flight, and this one of %d bytes waited %v",
		s.inflight.inUse(), s.inflight.limit, n, s.cfg.RequestTimeout)}
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
