package cql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/internal/reqctx"
	"wcdb/query"
)

// CQLVersion is the CQL version the server reports in SUPPORTED.
const CQLVersion = "3.4.5"

// ErrServerClosed is returned by Serve on a server already closed.
var ErrServerClosed = errors.New("cql: server closed")

// maxRejecting bounds the connections being turned away at once (each is
// given a moment to send its first frame, to be answered Overloaded).
const maxRejecting = 64

// rejectTimeout is how long a turned-away connection may take to send the
// header its Overloaded answer goes to.
const rejectTimeout = 2 * time.Second

// Server serves the native protocol to clients on behalf of an Executor.
// Its methods are safe for concurrent use.
type Server struct {
	cfg       Config
	exec      Executor
	log       *slog.Logger
	prepared  *preparedCache
	inflight  *byteBudget // bytes of requests received and executing
	supported []byte      // the SUPPORTED body

	baseCtx    context.Context // parent of request contexts
	cancelBase context.CancelFunc
	stopCtx    context.Context // done when Close begins
	cancelStop context.CancelFunc
	done       chan struct{} // closed when Close begins
	closing    atomic.Bool   // set when Close begins (read by readers)
	closeOnce  sync.Once
	closed     chan struct{} // closed when Close has finished
	closeErr   error
	rejecting  atomic.Int32
	requests   atomic.Uint64 // statements submitted, for Stats
	slow       slowLog       // rate of the slow query lines
	// traceProb is the share of requests traced without asking (nodetool
	// settraceprobability), as math.Float64bits.
	traceProb atomic.Uint64
	conns     sync.WaitGroup // connection goroutines, accepted or being rejected

	// For Stats: statements executing, requests read and waiting for a
	// slot of their connection, and requests answered Overloaded.
	active, waiting, overloaded atomic.Int64

	// work hands statements to idle workers; workers counts them.
	work    chan task
	workers sync.WaitGroup

	mu struct {
		sync.Mutex
		closed    bool
		listeners map[net.Listener]struct{}
		conns     map[*conn]struct{}
		perIP     map[netip.Addr]int // open connections by client address
		evicted   int                // conns closed to make room, not yet gone
	}
}

// New returns a server that runs statements on exec. It validates cfg.
func New(cfg Config, exec Executor) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if exec == nil {
		return nil, errors.New("cql: nil executor")
	}
	cfg.Compression = slices.Clone(cfg.Compression)
	s := &Server{
		cfg:      cfg,
		exec:     exec,
		log:      cfg.Logger,
		prepared: newPreparedCache(cfg.PreparedCacheBytes),
		inflight: newByteBudget(cfg.MaxRequestDataInFlight),
		done:     make(chan struct{}),
		work:     make(chan task),
		closed:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.stopCtx, s.cancelStop = context.WithCancel(context.Background())
	s.mu.listeners = make(map[net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	s.mu.perIP = make(map[netip.Addr]int)
	var w writer
	w.stringMultimap([]string{"CQL_VERSION", "COMPRESSION", "PROTOCOL_VERSIONS"}, map[string][]string{
		"CQL_VERSION": {CQLVersion},
		"COMPRESSION": cfg.Compression,
		// Only v4 is spoken: older and newer versions get the "unsupported
		// protocol version" error drivers negotiate down with.
		"PROTOCOL_VERSIONS": {"4/v4"},
	})
	s.supported = w.b
	return s, nil
}

// ListenAndServe listens on Config.ListenAddress and serves until ctx is
// done or Close is called.
func (s *Server) ListenAndServe(ctx context.Context) error {
	l, err := net.Listen("tcp", s.cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("cql: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve accepts connections on l until ctx is done or Close is called,
// then returns nil once the server has drained (ctx being done closes the
// server as Close does). It returns an error if l fails; the server keeps
// serving its other listeners and connections. Serve may be called for
// several listeners; it closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.mu.listeners[l] = struct{}{}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			select {
			case <-s.done:
				<-s.closed
				return nil
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				delete(s.mu.listeners, l)
				s.mu.Unlock()
				return fmt.Errorf("cql: accept: %w", err)
			}
			// Out of file descriptors and the like: wait and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("cql: accept failed; retrying", "err", err, "delay", delay)
			select {
			case <-time.After(delay):
			case <-s.done:
			}
			continue
		}
		delay = 0
		s.accept(nc)
	}
}

// accept starts serving nc, or turns it away when the server (or the
// client's address) has as many connections as it takes.
func (s *Server) accept(nc net.Conn) {
	raw, ip := nc, remoteIP(nc)
	nc = s.secure(nc)
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if why := s.admitLocked(ip); why != "" {
		s.mu.Unlock()
		s.reject(nc, why)
		return
	}
	c := newConn(s, nc)
	c.raw, c.ip = raw, ip
	s.mu.conns[c] = struct{}{}
	s.mu.perIP[ip]++
	s.conns.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.conns.Done()
		c.serve()
		s.mu.Lock()
		s.forgetLocked(c)
		s.mu.Unlock()
	}()
}

// reject answers a connection the server does not take: its first
// request gets an Overloaded error saying why, then it is closed.
func (s *Server) reject(nc net.Conn, why string) {
	if s.rejecting.Add(1) > maxRejecting {
		s.rejecting.Add(-1)
		nc.Close()
		return
	}
	s.conns.Add(1)
	go func() {
		defer s.conns.Done()
		defer s.rejecting.Add(-1)
		stop := context.AfterFunc(s.baseCtx, func() { nc.Close() })
		defer stop()
		nc.SetDeadline(time.Now().Add(min(rejectTimeout, s.cfg.FrameTimeout)))
		var hb [headerSize]byte
		if _, err := nc.Read(hb[:1]); err != nil {
			nc.Close()
			return
		}
		hlen := headerSize
		if ver := hb[0] & versionMask; ver == 1 || ver == 2 {
			hlen = headerSizeV2
		}
		if _, err := readFull(nc, hb[1:hlen]); err != nil {
			nc.Close()
			return
		}
		var w *writer
		if hb[0] != protoVersion {
			var fe *frameError
			errors.As(versionError(hb[:hlen]), &fe)
			w = encodeError(fe.version, fe.stream, fe.err)
		} else {
			w = encodeError(responseFlag|protoVersion, streamOf(hb[:]), &overloadedError{msg: why})
			s.overloaded.Add(1)
		}
		nc.SetDeadline(time.Now().Add(min(rejectTimeout, s.cfg.FrameTimeout)))
		_, err := nc.Write(w.b)
		putWriter(w)
		if err != nil {
			nc.Close()
			return
		}
		lingerClose(nc)
	}()
}

func readFull(nc net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := nc.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Close shuts the server down gracefully: it stops accepting and reading,
// lets the requests in flight finish and their responses go out for up to
// Config.DrainTimeout, then cancels what still runs and closes every
// connection. It returns once all connections are closed; later calls
// wait for the first to finish.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.shutdown()
		close(s.closed)
	})
	<-s.closed
	return s.closeErr
}

func (s *Server) shutdown() error {
	s.mu.Lock()
	s.mu.closed = true
	listeners := make([]net.Listener, 0, len(s.mu.listeners))
	for l := range s.mu.listeners {
		listeners = append(listeners, l)
	}
	conns := s.snapshotLocked()
	s.mu.Unlock()

	s.closing.Store(true)
	close(s.done)
	s.cancelStop()
	for _, l := range listeners {
		l.Close()
	}
	// Readers stop at their next read; one that re-arms its deadline after
	// this sees closing set.
	for _, c := range conns {
		c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	drained := make(chan struct{})
	go func() {
		s.conns.Wait()
		// Workers leave once done is closed and their statement is over.
		s.workers.Wait()
		close(drained)
	}()
	defer s.cancelBase()
	select {
	case <-drained:
		return nil
	case <-time.After(s.cfg.DrainTimeout):
	}
	s.cancelBase()
	for _, c := range conns {
		c.nc.Close()
	}
	grace := max(s.cfg.DrainTimeout, time.Second)
	select {
	case <-drained:
		return nil
	case <-time.After(grace):
		return fmt.Errorf("cql: requests still running %v after the drain deadline (does the executor honour its context?)", grace)
	}
}

// task is a statement request for a worker.
type task struct {
	c      *conn
	h      header
	r      reader
	charge *claim // the request's claim on the in-flight budget
}

// workerIdle is how long an idle worker waits for another statement (up
// to twice this: see worker).
const workerIdle = 10 * time.Second

// submit runs a statement on an idle worker, or on a new one. Workers live
// on between statements so that their stacks, grown by the executor, are
// reused: a goroutine per statement grew (copied) its stack every time.
func (s *Server) submit(t task) {
	s.requests.Add(1)
	s.active.Add(1)
	select {
	case s.work <- t:
	default:
		s.workers.Add(1)
		go s.worker(t)
	}
}

// run runs a statement on the calling goroutine (a connection's reader),
// and returns how long it ran.
func (s *Server) run(t task) time.Duration {
	s.requests.Add(1)
	s.active.Add(1)
	took := t.c.handle(t.h, t.r, t.charge, true)
	s.active.Add(-1)
	return took
}

func (s *Server) worker(t task) {
	defer s.workers.Done()
	// The timer is not reset per statement (that showed in profiles): a
	// worker leaves when it ran nothing in a whole period, so after
	// between one and two periods idle.
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		t.c.handle(t.h, t.r, t.charge, false)
		s.active.Add(-1)
		t = task{}
		busy := true
		for t.c == nil {
			select {
			case t = <-s.work:
			case <-idle.C:
				if !busy {
					return
				}
				busy = false
				idle.Reset(workerIdle)
			case <-s.done:
				return
			}
		}
	}
}

func (s *Server) snapshotLocked() []*conn {
	conns := make([]*conn, 0, len(s.mu.conns))
	for c := range s.mu.conns {
		conns = append(conns, c)
	}
	return conns
}

func (s *Server) snapshot() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// requestContext returns the context one request runs under; end it
// when the request is over.
func (s *Server) requestContext() *reqctx.Ctx { return reqctx.New(s.baseCtx, s.cfg.RequestTimeout) }

// PushSchemaChange sends a SCHEMA_CHANGE event to the connections
// registered for it, and drops the prepared statements the change may
// have made stale (their clients re-prepare on the Unprepared error). The
// server calls it itself for the schema changes its clients make; call it
// for changes learned otherwise (from other nodes).
func (s *Server) PushSchemaChange(ch query.SchemaChange) {
	if ch.Change == "DROPPED" || (ch.Change == "UPDATED" && ch.Target != "KEYSPACE") {
		s.prepared.invalidateKeyspace(ch.Keyspace)
	}
	var w writer
	w.string(eventSchemaChange)
	w.schemaChange(&ch)
	s.push(regSchema, w.b)
}

// PushTopologyChange sends a TOPOLOGY_CHANGE event about the node whose
// native-protocol address is addr to the connections registered for it.
func (s *Server) PushTopologyChange(change TopologyChange, addr netip.AddrPort) {
	var w writer
	w.nodeEvent(eventTopologyChange, string(change), addr)
	s.push(regTopology, w.b)
}

// PushStatusChange sends a STATUS_CHANGE event about the node whose
// native-protocol address is addr to the connections registered for it.
func (s *Server) PushStatusChange(change StatusChange, addr netip.AddrPort) {
	var w writer
	w.nodeEvent(eventStatusChange, string(change), addr)
	s.push(regStatus, w.b)
}

func (s *Server) push(bit uint8, body []byte) {
	for _, c := range s.snapshot() {
		if c.registered(bit) && !c.pushEvent(body) {
			s.log.Warn("cql: event queue full; event dropped", "remote", c.nc.RemoteAddr())
		}
	}
}

// Closing reports whether Close has begun: the server accepts no more
// connections (a node's readiness check reads it).
func (s *Server) Closing() bool { return s.closing.Load() }

// Stats is a snapshot of the server's state.
type Stats struct {
	Connections        int    // open client connections
	PreparedStatements int    // statements in the prepared cache
	PreparedBytes      int64  // the memory they hold, as the cache counts it
	RequestBytes       int64  // bytes of requests received and executing
	Requests           uint64 // requests run since the server started
	// Active counts the statements executing; Waiting the requests read
	// and waiting for a slot of their connection (MaxInFlight).
	Active, Waiting int64
	// Blocked counts the request bodies waiting now for room in
	// max_request_data_in_flight, BlockedTotal the waits since the start.
	Blocked      int
	BlockedTotal int64
	// Overloaded counts the requests answered Overloaded (refused
	// connections' first requests included).
	Overloaded int64
}

// Stats returns the server's current state.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.mu.conns)
	s.mu.Unlock()
	st := Stats{Connections: n, PreparedStatements: s.prepared.len(), PreparedBytes: s.prepared.bytes(),
		RequestBytes: s.inflight.inUse(), Requests: s.requests.Load(),
		Active: s.active.Load(), Waiting: s.waiting.Load(), Overloaded: s.overloaded.Load()}
	st.Blocked, st.BlockedTotal = s.inflight.blocked()
	return st
}
