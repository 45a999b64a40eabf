package cql

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/tlsgen"
	"wcdb/internal/vfs"
	"wcdb/query"
	"wcdb/replication"
)

// TestByteBudget: claims take what fits; a claim waits when its bytes do
// not fit, or when they would leave less free than the oldest body being
// read still needs (which may always take what fits); a claim that may
// be granted is, with others waiting; a larger claim than the budget waits
// for all of it.
func TestByteBudget(t *testing.T) {
	b := newByteBudget(1000)
	ctx := context.Background()
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	// The oldest body: 600 announced, 100 read so far.
	old := b.begin(600)
	if err := b.grow(ctx, old, 100); err != nil || b.inUse() != 100 {
		t.Fatalf("first claim: %v, %d in use", err, b.inUse())
	}
	// A younger one may take 300, which leaves 600 free, at least the 500
	// the oldest still needs; not 200 more, which would leave 400.
	young := b.begin(800)
	if err := b.grow(ctx, young, 300); err != nil {
		t.Fatalf("a younger claim within the reserve: %v", err)
	}
	if err := b.grow(short(), young, 500); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a younger claim into the oldest's reserve: %v; want it to wait", err)
	}
	// The oldest may take the rest it needs.
	if err := b.grow(ctx, old, 600); err != nil || b.inUse() != 900 {
		t.Fatalf("the oldest: %v, %d in use", err, b.inUse())
	}
	// The younger claim waits for room; a small one arriving after it,
	// which fits, is not held up by it.
	grown := make(chan error, 1)
	go func() { grown <- b.grow(ctx, young, 800) }()
	for waiting := 0; waiting != 1; {
		b.mu.Lock()
		waiting = b.mu.waiters.Len()
		b.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	small := b.begin(50)
	if err := b.grow(ctx, small, 50); err != nil {
		t.Fatalf("a small claim that fits, behind a waiting one: %v", err)
	}
	b.read(old)
	b.release(old)
	b.release(small)
	if err := <-grown; err != nil || b.inUse() != 800 {
		t.Fatalf("the waiting claim once room was made: %v, %d in use", err, b.inUse())
	}
	b.release(young)
	// A claim larger than the budget takes all of it.
	huge := b.begin(5000)
	if err := b.grow(ctx, huge, 5000); err != nil || huge.held != 1000 {
		t.Fatalf("a claim over the budget: %v, held %d; want the whole budget", err, huge.held)
	}
	b.release(huge)
	if b.inUse() != 0 {
		t.Fatalf("in use after every release: %d", b.inUse())
	}
}

// TestByteBudgetNoDeadlock: bodies read at once, each growing in steps,
// with far more announced than the budget, all finish: the oldest is
// always able to.
func TestByteBudgetNoDeadlock(t *testing.T) {
	b := newByteBudget(1 << 20)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			c := b.begin(512 << 10)
			defer b.release(c)
			for size := int64(64 << 10); ; size *= 2 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := b.grow(ctx, c, size)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				if size >= c.need {
					break
				}
			}
			b.read(c)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a body could not finish: %v", err)
	}
	if b.inUse() != 0 {
		t.Fatalf("in use after every release: %d", b.inUse())
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

	// a's request takes 900 bytes (its whole body fits the first chunk) as
	// its header arrives, and keeps them while its body trickles in.
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
	if st := srv.Stats(); st.Overloaded != 1 || st.Blocked != 0 || st.BlockedTotal != 1 {
		t.Errorf("stats after the Overloaded answer: %+v; want 1 overloaded, 1 blocked once, none now", st)
	}

	// Backpressure: b's next request waits until a's is done, then runs.
	b.send(2, opQuery, paddedQuery(t, 200))
	waitFor(t, "b's request blocked", func() bool { return srv.Stats().Blocked == 1 })
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

// TestSlowBodiesHoldWhatTheySent: connections that announce large frames
// and send their bodies slowly hold in the in-flight budget what has
// arrived (the first chunk), not the size announced: they no longer lock
// every other client out. Once their bodies arrive they run.
func TestSlowBodiesHoldWhatTheySent(t *testing.T) {
	const frame = 512 << 10
	cfg := testConfig()
	cfg.MaxFrameSize = frame + 1<<10
	cfg.MaxRequestDataInFlight = 2 * frame // two announced frames fill it
	cfg.RequestTimeout = 5 * time.Second
	srv, addr := startServer(t, cfg, newFakeExec())
	big := paddedQuery(t, frame)
	hdr := make([]byte, headerSize)
	putHeader(hdr, header{version: protoVersion, stream: 1, op: opQuery, length: uint32(len(big))})
	const slow = 8
	var slowConns []*rawClient
	for range slow {
		c := dial(t, addr)
		c.startup("")
		c.write(append(slices.Clone(hdr), big[:10]...))
		slowConns = append(slowConns, c)
	}
	waitFor(t, "the slow requests' first chunks", func() bool { return srv.Stats().RequestBytes == slow*firstBodyChunk })

	// Another client is answered at once.
	b := dial(t, addr)
	b.startup("")
	start := time.Now()
	echoRow(t, b.query(1, "ECHO"))
	if d := time.Since(start); d > cfg.RequestTimeout/2 {
		t.Errorf("a small query took %v behind the slow bodies", d)
	}

	// The slow bodies arrive: each request runs.
	for _, c := range slowConns {
		c.write(big[10:])
	}
	for i, c := range slowConns {
		if f := c.recv(); f.op != opResult || f.stream != 1 {
			t.Fatalf("slow request %d: %s", i, describe(f))
		}
	}
	waitFor(t, "no bytes in flight", func() bool { return srv.Stats().RequestBytes == 0 })
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
			// Raw writes: the last ones may meet the expected close (a
			// late one gets a broken pipe), which is not a failure.
			hdr := make([]byte, headerSize)
			putHeader(hdr, header{version: protoVersion, op: opOptions})
			for range 5 {
				if _, err := options.nc.Write(hdr); err != nil {
					return
				}
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
