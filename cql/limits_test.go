package cql

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/query"
	"wcdb/replication"
)

func TestByteBudget(t *testing.T) {
	b := newByteBudget(1000)
	ctx := context.Background()
	a, _ := b.acquire(ctx, 600)
	if got, ok := b.tryAcquire(500); ok {
		t.Fatalf("tryAcquire(500) with 600 of 1000 taken: took %d", got)
	}
	// A request larger than the budget waits for all of it, and those
	// after it wait behind it (first come, first served).
	big := make(chan int64)
	go func() {
		n, _ := b.acquire(ctx, 5000)
		big <- n
	}()
	for waiting := 0; waiting != 1; {
		b.mu.Lock()
		waiting = b.mu.waiters.Len()
		b.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if n, err := b.acquire(short, 100); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire(100) behind a waiting request: took %d, %v; want to time out", n, err)
	}
	b.release(a)
	if n := <-big; n != 1000 {
		t.Fatalf("a request over the budget took %d, want the whole budget (1000)", n)
	}
	if got := b.inUse(); got != 1000 {
		t.Fatalf("in use: %d, want 1000", got)
	}
	b.release(1000)
	if n, err := b.acquire(ctx, 100); n != 100 || err != nil || b.inUse() != 100 {
		t.Fatalf("acquire after release: %d, %v, %d in use", n, err, b.inUse())
	}
}

// paddedQuery returns a QUERY body of exactly n bytes running ECHO.
func paddedQuery(t *testing.T, n int) []byte {
	t.Helper()
	b := queryBody("ECHO", query.Options{Consistency: replication.One, Values: [][]byte{{}}}, false)
	pad := n - len(b)
	if pad < 0 {
		t.Fatalf("a query body of %d bytes is too short", n)
	}
	b = queryBody("ECHO", query.Options{Consistency: replication.One, Values: [][]byte{make([]byte, pad)}}, false)
	if len(b) != n {
		t.Fatalf("padded query of %d bytes, want %d", len(b), n)
	}
	return b
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMaxRequestDataInFlight: a request that does not fit in the bytes in
// flight waits (nothing more is read from its connection) until others
// finish, and is answered Overloaded if that takes longer than the request
// timeout; the connection goes on.
func TestMaxRequestDataInFlight(t *testing.T) {
	cfg := testConfig()
	cfg.MaxRequestDataInFlight = 1000
	cfg.RequestTimeout = time.Second
	srv, addr := startServer(t, cfg, newFakeExec())
	a, b := dial(t, addr), dial(t, addr)
	a.startup("")
	b.startup("")

	// a's request takes 900 bytes as its header arrives, and keeps them
	// while its body trickles in.
	big := paddedQuery(t, 900)
	hdr := make([]byte, headerSize)
	putHeader(hdr, header{version: protoVersion, stream: 1, op: opQuery, length: uint32(len(big))})
	a.write(append(hdr, big[:10]...))
	waitFor(t, "a's bytes in flight", func() bool { return srv.Stats().RequestBytes == 900 })

	// b's request of 200 bytes waits, then is answered Overloaded.
	start := time.Now()
	b.send(1, opQuery, paddedQuery(t, 200))
	if f, err := b.tryRecv(150 * time.Millisecond); err == nil {
		t.Fatalf("a request over the budget was answered at once: %s", describe(f))
	}
	f := b.recv()
	expectError(t, f, codeOverloaded, "native_transport.max_request_data_in_flight")
	if waited := time.Since(start); waited < cfg.RequestTimeout {
		t.Fatalf("answered Overloaded after %v, want at least the request timeout %v", waited, cfg.RequestTimeout)
	}

	// Backpressure: b's next request waits until a's is done, then runs.
	b.send(2, opQuery, paddedQuery(t, 200))
	time.Sleep(50 * time.Millisecond)
	a.write(big[10:])
	if f := a.recv(); f.op != opResult || f.stream != 1 {
		t.Fatalf("a's request: %s", describe(f))
	}
	if f := b.recv(); f.op != opResult || f.stream != 2 {
		t.Fatalf("b's request once a's was done: %s", describe(f))
	}
	waitFor(t, "no bytes in flight", func() bool { return srv.Stats().RequestBytes == 0 })
	echoRow(t, b.query(3, "ECHO"))
}

// testTLS returns a server TLS configuration and a client one trusting it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	fs := vfs.NewMem()
	files, err := tlsgen.Generate(fs, "/tls", tlsgen.Options{Nodes: 1, IPs: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tlsgen.LoadKeystore(fs, files.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	pool, err := tlsgen.LoadTruststore(fs, filepath.Join("/tls", tlsgen.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// TestIdleUnauthenticatedTimeout: connections that have not finished
// their handshake in time are closed, whatever step they stalled at;
// connections that have may idle.
func TestIdleUnauthenticatedTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	closedInTime := func(t *testing.T, c *rawClient, start time.Time) {
		t.Helper()
		c.expectClosed()
		if d := time.Since(start); d < timeout-50*time.Millisecond || d > timeout+2*time.Second {
			t.Errorf("closed after %v, want about %v", d, timeout)
		}
	}
	t.Run("plaintext", func(t *testing.T) {
		cfg := testConfig()
		cfg.IdleUnauthenticatedTimeout = timeout
		_, addr := startServer(t, cfg, newFakeExec())
		start := time.Now()
		silent, options, ready := dial(t, addr), dial(t, addr), dial(t, addr)
		ready.startup("")
		go func() {
			for range 5 {
				options.send(0, opOptions, nil)
				time.Sleep(timeout / 4)
			}
		}()
		closedInTime(t, silent, start)
		options.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, err := options.tryRecv(5 * time.Second); err != nil {
				break // closed, after the SUPPORTED answers
			}
		}
		if d := time.Since(start); d > timeout+2*time.Second {
			t.Errorf("a connection sending only OPTIONS closed after %v", d)
		}
		time.Sleep(timeout)
		echoRow(t, ready.query(1, "ECHO"))
	})
	t.Run("auth", func(t *testing.T) {
		cfg := testConfig()
		cfg.IdleUnauthenticatedTimeout = timeout
		cfg.Credentials = map[string]string{"alice": "s3cret"}
		_, addr := startServer(t, cfg, newFakeExec())
		start := time.Now()
		pending, done := dial(t, addr), dial(t, addr)
		var w writer
		w.stringMap(map[string]string{"CQL_VERSION": "3.0.0"})
		for _, c := range []*rawClient{pending, done} {
			if f := c.do(0, opStartup, w.b); f.op != opAuthenticate {
				t.Fatalf("STARTUP: %s", describe(f))
			}
		}
		var tok writer
		tok.bytes([]byte("\x00alice\x00s3cret"))
		if f := done.do(1, opAuthResponse, tok.b); f.op != opAuthSuccess {
			t.Fatalf("AUTH_RESPONSE: %s", describe(f))
		}
		closedInTime(t, pending, start)
		echoRow(t, done.query(2, "ECHO"))
	})
	t.Run("tls", func(t *testing.T) {
		cfg := testConfig()
		cfg.IdleUnauthenticatedTimeout = timeout
		cfg.TLS, _ = testTLS(t)
		_, addr := startServer(t, cfg, newFakeExec())
		start := time.Now()
		silent, halfHello := dial(t, addr), dial(t, addr)
		halfHello.write([]byte{0x16, 0x03, 0x01, 0x00, 0xff, 0x01}) // a ClientHello's first bytes
		closedInTime(t, silent, start)
		closedInTime(t, halfHello, start)
	})
	t.Run("tls optional", func(t *testing.T) {
		cfg := testConfig()
		cfg.IdleUnauthenticatedTimeout = timeout
		cfg.TLS, _ = testTLS(t)
		cfg.TLSOptional = true
		_, addr := startServer(t, cfg, newFakeExec())
		start := time.Now()
		silent, halfHello := dial(t, addr), dial(t, addr)
		halfHello.write([]byte{0x16, 0x03, 0x01})
		closedInTime(t, silent, start)
		closedInTime(t, halfHello, start)
	})
}

// TestIdleUnauthenticatedTimeoutOverTLS: a TLS client that completes its
// handshake and STARTUP may idle past the timeout.
func TestIdleUnauthenticatedTimeoutOverTLS(t *testing.T) {
	cfg := testConfig()
	cfg.IdleUnauthenticatedTimeout = 300 * time.Millisecond
	serverTLS, clientTLS := testTLS(t)
	cfg.TLS = serverTLS
	_, addr := startServer(t, cfg, newFakeExec())
	nc, err := tls.Dial("tcp", addr, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	c.startup("")
	time.Sleep(2 * cfg.IdleUnauthenticatedTimeout)
	echoRow(t, c.query(1, "ECHO"))
}

// TestIdleConnectionLockout replays an attack: max_connections sockets
// that never send a byte kept every client out, for ever. They are now
// closed after idle_unauthenticated_timeout, and, while the server is
// full, a new connection takes the place of the oldest of them.
func TestIdleConnectionLockout(t *testing.T) {
	full := DefaultConfig().MaxConnections
	openIdle := func(t *testing.T, addr string) []net.Conn {
		t.Helper()
		var idle []net.Conn
		for range full {
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
			idle = append(idle, nc)
		}
		return idle
	}
	connect := func(t *testing.T, addr string) error {
		t.Helper()
		s, err := gocqlSession(t, addr, func(c *gocql.ClusterConfig) {
			c.ConnectTimeout = 2 * time.Second
			c.DisableInitialHostLookup = true
		})
		if err != nil {
			return err
		}
		return s.Query("SELECT k, v FROM ks.t").Exec()
	}
	closedCount := func(idle []net.Conn) int {
		var mu sync.Mutex
		var wg sync.WaitGroup
		n := 0
		for _, nc := range idle {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				var b [1]byte
				if _, err := nc.Read(b[:]); err != nil {
					var ne net.Error
					if !errors.As(err, &ne) || !ne.Timeout() {
						mu.Lock()
						n++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		return n
	}

	t.Run("without the timeout", func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxConnections = full
		cfg.IdleUnauthenticatedTimeout = 0
		srv, addr := startServer(t, cfg, newFakeExec())
		openIdle(t, addr)
		waitFor(t, "the idle connections", func() bool { return srv.Stats().Connections == full })
		// (gocql reports the Overloaded answer to its STARTUP as "Unknown
		// type of response to startup frame".)
		if err := connect(t, addr); err == nil {
			t.Fatal("connected to a server full of idle sockets")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxConnections = full
		cfg.IdleUnauthenticatedTimeout = 500 * time.Millisecond
		srv, addr := startServer(t, cfg, newFakeExec())
		start := time.Now()
		idle := openIdle(t, addr)
		waitFor(t, "the idle connections closed", func() bool { return srv.Stats().Connections == 0 })
		t.Logf("%d idle connections closed %v after they were opened", full, time.Since(start).Round(time.Millisecond))
		if n := closedCount(idle); n != full {
			t.Fatalf("%d of %d idle sockets closed by the server", n, full)
		}
		if err := connect(t, addr); err != nil {
			t.Fatalf("connect once the idle connections are gone: %v", err)
		}
	})
	t.Run("replacement", func(t *testing.T) {
		cfg := testConfig()
		cfg.MaxConnections = full
		cfg.IdleUnauthenticatedTimeout = 10 * time.Second // replacement after 1 s
		srv, addr := startServer(t, cfg, newFakeExec())
		idle := openIdle(t, addr)
		waitFor(t, "the idle connections", func() bool { return srv.Stats().Connections == full })
		time.Sleep(cfg.IdleUnauthenticatedTimeout / 10)
		start := time.Now()
		if err := connect(t, addr); err != nil {
			t.Fatalf("connect to a server full of idle sockets: %v", err)
		}
		took := time.Since(start)
		n := closedCount(idle)
		t.Logf("gocql connected and queried in %v; %d idle sockets gave up their place", took.Round(time.Millisecond), n)
		if n < 1 || n > 4 {
			t.Fatalf("%d idle sockets closed, want one per connection gocql made", n)
		}
		if got := srv.Stats().Connections; got > full {
			t.Fatalf("%d connections open, over max_connections (%d)", got, full)
		}
	})
}

// TestMaxConnectionsPerIP: one address cannot take more than its share;
// another still gets in.
func TestMaxConnectionsPerIP(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 10
	srv, addr := startServer(t, cfg, newFakeExec())
	var conns []*rawClient
	for range 10 {
		c := dial(t, addr)
		c.startup("")
		conns = append(conns, c)
	}
	over := dial(t, addr)
	expectError(t, over.do(0, opOptions, nil), codeOverloaded, "Too many connections from 127.0.0.1")
	over.expectClosed()

	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	other := &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	other.startup("")
	echoRow(t, other.query(1, "ECHO"))

	// Once one leaves, 127.0.0.1 has room again.
	conns[0].nc.Close()
	waitFor(t, "the connection to leave", func() bool { return srv.Stats().Connections == 10 })
	again := dial(t, addr)
	again.startup("")
	echoRow(t, again.query(1, "ECHO"))
}
