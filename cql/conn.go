package cql

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"wcdb/internal/tracing"
	"wcdb/query"
	"wcdb/replication"
)

// connState is where a connection is in its handshake.
type connState uint8

const (
	stateNew   connState = iota // before STARTUP
	stateAuth                   // STARTUP answered with AUTHENTICATE
	stateReady                  // ready for queries
)

// Event registration bits.
const (
	regTopology uint8 = 1 << iota
	regStatus
	regSchema
)

// I/O buffer sizes and the size of body chunks read as they arrive.
const (
	readBufferSize  = 64 << 10
	writeBufferSize = 64 << 10
	// firstBodyChunk is the buffer a frame body is first read into (and
	// takes from the in-flight budget); it doubles as the body arrives.
	firstBodyChunk = 64 << 10
	// eventQueue is how many pushed events may wait for the writer; more
	// are dropped (drivers also poll for schema agreement).
	eventQueue = 64
	// lingerTimeout bounds how long a connection closed for an error
	// keeps reading (and discarding) the client's bytes so that the error
	// reaches the client before the close.
	lingerTimeout = time.Second
	// maxPooledBuffer is the largest response buffer kept for reuse.
	maxPooledBuffer = 1 << 20
	// minCompressSize is the smallest response body compressed; smaller
	// ones gain nothing (the spec lets a server compress only some frames,
	// and drivers look at each frame's flag).
	minCompressSize = 64
)

// errClosing stops a reader when the server shuts down.
var errClosing = errors.New("cql: server closing")

// conn is one client connection. The reader goroutine (serve) owns the
// fields above mu; handlers only read comp and srv, set before they start.
type conn struct {
	srv *Server
	nc  net.Conn
	br  *bufio.Reader
	bw  *bufio.Writer

	// raw is the accepted socket under nc's TLS (or nc): closing it ends
	// the connection even in the middle of a TLS handshake. ip is the
	// client's address and accepted the time the server took it; evicted
	// (under srv.mu) marks a connection closed to make room for another.
	raw      net.Conn
	ip       netip.Addr
	accepted time.Time
	evicted  bool
	// authed is set once the handshake is done (stateReady); stopWatch
	// stops the handshake timeout.
	authed    atomic.Bool
	stopWatch func() bool
	// charge is the frame being dispatched's claim on the server's
	// in-flight budget, handed to its handler or released by the reader.
	charge *claim

	state       connState
	comp        compressor // nil until STARTUP chose one
	deadlineSet bool
	linger      bool // close after an error: drain the client's bytes first
	cooldown    int  // requests before one may run on the reader (runsInline)
	deferred    bool // the reader wrote to bw without flushing (send)
	// inline is where the request run on the reader is (runInline), and
	// takeover the timer that hands the reading to another goroutine.
	inline   atomic.Int32
	takeover *time.Timer
	driver   string

	// slots bounds the requests in flight: taken by the reader for each
	// frame, given back once the response is written to bw.
	slots    chan struct{}
	out      chan *writer // responses for the writer goroutine; each holds a slot
	events   chan *writer // pushed events; hold no slot
	handlers sync.WaitGroup
	finish   chan struct{} // closed when no more responses will come
	done     chan struct{} // closed when the writer has closed the socket

	mu struct {
		sync.Mutex
		keyspace string
		user     string // the role logged in as ("" without authentication)
		events   uint8
	}

	// wmu guards bw and werr (connwrite.go).
	wmu  sync.Mutex
	werr error
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		srv:      s,
		nc:       nc,
		raw:      nc,
		ip:       remoteIP(nc),
		accepted: time.Now(),
		br:       bufio.NewReaderSize(nc, readBufferSize),
		bw:       bufio.NewWriterSize(nc, writeBufferSize),
		slots:    make(chan struct{}, s.cfg.MaxInFlight),
		out:      make(chan *writer, s.cfg.MaxInFlight),
		events:   make(chan *writer, eventQueue),
		finish:   make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// serve runs the connection to its end: reading, then waiting for the
// requests in flight, then letting the writer flush and close.
func (c *conn) serve() {
	c.stopWatch = c.watchHandshake()
	defer c.stopWatch()
	go c.writeLoop()
	c.read()
	<-c.done
}

// read reads the requests until the connection ends, then waits for
// those in flight and lets the writer finish; unless the reading moved to
// another goroutine meanwhile (runInline), which then does this.
func (c *conn) read() {
	if !c.readLoop() {
		return
	}
	c.handlers.Wait()
	close(c.finish)
}

// session returns a copy of the connection's session for one request.
func (c *conn) session() query.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return query.Session{Keyspace: c.mu.keyspace, User: c.mu.user}
}

func (c *conn) setKeyspace(ks string) {
	c.mu.Lock()
	c.mu.keyspace = ks
	c.mu.Unlock()
}

func (c *conn) registered(bit uint8) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.events&bit != 0
}

// frameError is a frame the reader cannot go past: answered (on the given
// version and stream) and the connection closed.
type frameError struct {
	version byte // the response version byte
	stream  int16
	err     error
}

func (e *frameError) Error() string { return e.err.Error() }

// readLoop reads frames until the client leaves, a frame is unreadable, or
// the server closes (true), or until another goroutine took the reading
// over (false).
func (c *conn) readLoop() bool {
	for {
		h, body, err := c.readFrame()
		if err != nil {
			var oe *overloadError
			if errors.As(err, &oe) {
				if !c.acquire() {
					return true
				}
				c.srv.overloaded.Add(1)
				c.reply(oe.stream, opError, errorBody(oe.err, 0))
				continue
			}
			var fe *frameError
			if errors.As(err, &fe) && c.acquire() {
				c.srv.log.Debug("cql: closing connection after a frame error", "remote", c.nc.RemoteAddr(), "err", fe.err)
				c.linger = true
				c.out <- encodeError(fe.version, fe.stream, fe.err)
			}
			return true
		}
		if !c.acquire() {
			c.srv.inflight.release(c.charge)
			return true
		}
		if !c.dispatch(h, body) {
			return false
		}
		// A statement's handler took the charge; the other messages are done.
		c.srv.inflight.release(c.charge)
		c.charge = nil
		if c.state == stateReady {
			c.noteReady()
		}
	}
}

// acquire takes an in-flight slot, waiting for one; false if the server
// is closing.
func (c *conn) acquire() bool {
	select {
	case c.slots <- struct{}{}:
		return true
	default:
	}
	c.flushDeferred()
	c.srv.waiting.Add(1)
	defer c.srv.waiting.Add(-1)
	select {
	case c.slots <- struct{}{}:
		return true
	case <-c.srv.done:
		return false
	}
}

// armDeadline gives the rest of a frame FrameTimeout to make progress.
func (c *conn) armDeadline() error {
	c.flushDeferred() // the read may wait
	c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.FrameTimeout))
	c.deadlineSet = true
	if c.srv.closing.Load() {
		return errClosing
	}
	return nil
}

// readFrame reads the next frame's header and body. Between frames it
// waits without a deadline (idle clients are fine); once a frame has begun,
// each read must progress within FrameTimeout.
func (c *conn) readFrame() (header, []byte, error) {
	if c.br.Buffered() == 0 {
		c.flushDeferred()
		if c.deadlineSet {
			c.nc.SetReadDeadline(time.Time{})
			c.deadlineSet = false
			if c.srv.closing.Load() {
				return header{}, nil, errClosing
			}
		}
		if _, err := c.br.Peek(1); err != nil {
			return header{}, nil, err
		}
	}
	first, _ := c.br.Peek(1)
	v := first[0]
	hlen := headerSize
	if ver := v & versionMask; ver == 1 || ver == 2 {
		hlen = headerSizeV2
	}
	if c.br.Buffered() < hlen {
		if err := c.armDeadline(); err != nil {
			return header{}, nil, err
		}
	}
	hb, err := c.br.Peek(hlen)
	if err != nil {
		return header{}, nil, err
	}
	if v != protoVersion {
		return header{}, nil, versionError(hb)
	}
	h := parseHeader(hb)
	c.br.Discard(hlen)
	respVersion := byte(responseFlag | protoVersion)
	if !h.op.isRequest() {
		return h, nil, &frameError{respVersion, h.stream, &protocolError{msg: fmt.Sprintf("Unknown or unexpected request opcode %s", h.op)}}
	}
	if h.stream < 0 {
		return h, nil, &frameError{respVersion, h.stream, &protocolError{msg: fmt.Sprintf("Invalid negative stream id %d in a request", h.stream)}}
	}
	if int64(h.length) > int64(c.srv.cfg.MaxFrameSize) {
		return h, nil, &frameError{respVersion, h.stream, &protocolError{
			msg: fmt.Sprintf("Request is too big: length %d exceeds maximum allowed length %d.", h.length, c.srv.cfg.MaxFrameSize),
		}}
	}
	// The body's bytes are taken from the in-flight budget as they are
	// read (byteBudget): over it, the client waits.
	cl := c.srv.inflight.begin(int64(h.length))
	body, err := c.readBody(int(h.length), cl)
	if err != nil {
		c.srv.inflight.release(cl)
		var oe *overloadedError
		if errors.As(err, &oe) {
			return h, nil, &overloadError{h.stream, oe}
		}
		return h, nil, err
	}
	c.srv.inflight.read(cl)
	c.charge = cl
	return h, body, nil
}

// discardBody reads n body bytes and drops them.
func (c *conn) discardBody(n int) error {
	for n > 0 {
		if c.br.Buffered() == 0 {
			if err := c.armDeadline(); err != nil {
				return err
			}
		}
		m, err := c.br.Discard(min(n, max(c.br.Buffered(), 1)))
		n -= m
		if err != nil {
			return err
		}
	}
	return nil
}

// versionError answers a frame whose version byte is not a v4 request.
// The answer uses the client's version when it is an older one it can
// parse, v4 otherwise (as Cassandra does), on the client's stream; its
// message is worded as Cassandra's so drivers step their version down
// (the Python driver looks for "unsupported protocol version", gocql for
// "the lowest supported version is N and the greatest is M").
func versionError(hb []byte) error {
	v := hb[0]
	ver := v & versionMask
	if v&responseFlag != 0 {
		return &frameError{responseFlag | protoVersion, streamOf(hb), &protocolError{
			msg: "Invalid frame: the response direction flag is set in a request"}}
	}
	resp := byte(protoVersion)
	if ver >= 1 && ver < protoVersion {
		resp = ver
	}
	return &frameError{responseFlag | resp, streamOf(hb), &protocolError{
		msg: fmt.Sprintf("Invalid or unsupported protocol version (%d); the lowest supported version is %d and the greatest is %d",
			ver, protoVersion, protoVersion),
	}}
}

// streamOf returns the stream id of a header of either size.
func streamOf(hb []byte) int16 {
	if ver := hb[0] & versionMask; ver == 1 || ver == 2 {
		return int16(int8(hb[2]))
	}
	return int16(uint16(hb[2])<<8 | uint16(hb[3]))
}

// readBody reads n body bytes. The buffer grows as bytes arrive, so a
// header announcing a huge body costs nothing until the body comes.
func (c *conn) readBody(n int, cl *claim) ([]byte, error) {
	// The buffer grows as the body arrives, and takes its bytes from the
	// budget before reading into them. Over the budget for RequestTimeout,
	// the request is answered Overloaded; the rest of its body is read and
	// dropped, so the connection goes on.
	grow := func(done, size int) error {
		if c.deferred && !c.srv.inflight.tryGrow(cl, int64(size)) {
			c.flushDeferred() // it may wait for the budget
		}
		if err := c.srv.growBody(cl, int64(size)); err != nil {
			if derr := c.discardBody(n - done); derr != nil {
				return derr
			}
			return err
		}
		return nil
	}
	if err := grow(0, min(n, firstBodyChunk)); err != nil {
		return nil, err
	}
	body := make([]byte, min(n, firstBodyChunk))
	off := 0
	for off < n {
		if off == len(body) {
			size := min(n, 2*len(body))
			if err := grow(off, size); err != nil {
				return nil, err
			}
			body = slices.Grow(body, size-len(body))
			body = body[:size]
		}
		if c.br.Buffered() == 0 {
			if err := c.armDeadline(); err != nil {
				return nil, err
			}
		}
		m, err := c.br.Read(body[off:])
		off += m
		if err != nil && off < n {
			return nil, err
		}
	}
	return body[:n], nil
}

// dispatch handles one frame: the handshake messages inline, statements on
// the reader or a worker. The caller holds a slot, which the response
// takes over. False if the reading moved to another goroutine.
func (c *conn) dispatch(h header, body []byte) bool {
	if h.flags&flagCompressed != 0 {
		if c.comp == nil {
			c.reply(h.stream, opError, errorBody(protoErrorf("Received a compressed frame but no compression was negotiated in STARTUP"), 0))
			return true
		}
		var err error
		if body, err = c.comp.decompress(body, c.srv.cfg.MaxFrameSize); err != nil {
			c.reply(h.stream, opError, errorBody(err, 0))
			return true
		}
	}
	r := reader{b: body}
	if h.flags&flagCustomPayload != 0 {
		r.bytesMap() // for custom query handlers; ignored, as Cassandra's default one does
	}
	switch h.op {
	case opOptions:
		w := getWriter()
		w.b = append(w.b, c.srv.supported...)
		c.reply(h.stream, opSupported, w)
		return true
	case opStartup:
		if c.state != stateNew {
			c.reply(h.stream, opError, errorBody(protoErrorf("Unexpected message STARTUP, the connection is already initialized"), 0))
			return true
		}
		c.startup(h, &r)
		return true
	case opAuthResponse:
		if c.state != stateAuth {
			c.reply(h.stream, opError, errorBody(protoErrorf("Unexpected message AUTH_RESPONSE, no authentication is in progress"), 0))
			return true
		}
		c.authResponse(h, &r)
		return true
	}
	switch c.state {
	case stateNew:
		c.reply(h.stream, opError, errorBody(protoErrorf("Unexpected message %s, expecting STARTUP or OPTIONS", h.op), 0))
		return true
	case stateAuth:
		c.reply(h.stream, opError, errorBody(protoErrorf("Unexpected message %s, expecting AUTH_RESPONSE", h.op), 0))
		return true
	}
	if h.op == opRegister {
		c.register(h, &r)
		return true
	}
	c.handlers.Add(1)
	t := task{c: c, h: h, r: r, charge: c.charge}
	c.charge = nil
	if c.runsInline() {
		return c.runInline(t)
	}
	c.srv.submit(t)
	return true
}

// reply sends a response from the reader, built from body (a pooled
// writer holding the body after headerSize bytes of room).
func (c *conn) reply(stream int16, op opcode, w *writer) {
	c.send(c.frame(w, stream, op), true)
}

// frame fills w's header, compressing its body first when the connection
// negotiated compression.
func (c *conn) frame(w *writer, stream int16, op opcode) *writer {
	flags := w.flags
	if c.comp != nil && len(w.b)-headerSize >= minCompressSize {
		cw := getWriter()
		if b, ok := c.comp.compress(cw.b, w.b[headerSize:]); ok {
			cw.b = b
			putWriter(w)
			w = cw
			flags |= flagCompressed
		} else {
			putWriter(cw)
		}
	}
	if len(w.b)-headerSize > math.MaxInt32 {
		w.b = w.b[:headerSize]
		w.errorBody(errors.New("response too large for a frame"), 0)
		op, flags = opError, 0
	}
	putHeader(w.b, header{
		version: responseFlag | protoVersion,
		flags:   flags,
		stream:  stream,
		op:      op,
		length:  uint32(len(w.b) - headerSize),
	})
	return w
}

// startup handles STARTUP: the CQL version, compression and driver
// options, then READY or AUTHENTICATE.
func (c *conn) startup(h header, r *reader) {
	opts := r.stringMap()
	if r.err != nil {
		c.reply(h.stream, opError, errorBody(r.err, 0))
		return
	}
	if err := checkCQLVersion(opts); err != nil {
		c.reply(h.stream, opError, errorBody(err, 0))
		return
	}
	var comp compressor
	if name, ok := opts["COMPRESSION"]; ok && name != "" {
		name = strings.ToLower(name)
		if !slices.Contains(c.srv.cfg.Compression, name) {
			c.reply(h.stream, opError, errorBody(protoErrorf("Unknown compression algorithm: %s", name), 0))
			return
		}
		comp = compressors[name]
	}
	c.driver = opts["DRIVER_NAME"]
	if v := opts["DRIVER_VERSION"]; v != "" {
		c.driver += " " + v
	}
	// The answer to STARTUP goes uncompressed; everything after may not.
	if c.srv.cfg.Credentials != nil || c.srv.cfg.Authenticator != nil {
		w := getWriter()
		w.string(passwordAuthenticator)
		c.reply(h.stream, opAuthenticate, w)
		c.state = stateAuth
	} else {
		c.reply(h.stream, opReady, getWriter())
		c.state = stateReady
	}
	c.comp = comp
}

// checkCQLVersion checks STARTUP's mandatory CQL_VERSION: any 3.x or
// later is accepted (drivers send 3.0.0), as Cassandra does.
func checkCQLVersion(opts map[string]string) error {
	v, ok := opts["CQL_VERSION"]
	if !ok {
		return protoErrorf("Missing value CQL_VERSION in STARTUP message")
	}
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil || !strings.Contains(v, ".") {
		return protoErrorf("Invalid CQL version %q", v)
	}
	if n < 3 {
		return protoErrorf("CQL version %s is not supported by the binary protocol (supported version are >= 3.0.0)", v)
	}
	return nil
}

// passwordAuthenticator is the authenticator class AUTHENTICATE names;
// drivers pick their SASL PLAIN exchange by it.
const passwordAuthenticator = "org.apache.cassandra.auth.PasswordAuthenticator"

// authResponse checks a SASL PLAIN token: [authzid] NUL user NUL password.
func (c *conn) authResponse(h header, r *reader) {
	token := r.bytes()
	if r.err != nil {
		c.reply(h.stream, opError, errorBody(r.err, 0))
		return
	}
	user, pass, err := decodePlain(token)
	role := user
	if a := c.srv.cfg.Authenticator; err == nil && a != nil {
		host, _, _ := net.SplitHostPort(c.nc.RemoteAddr().String())
		role, err = a.Authenticate(c.srv.baseCtx, host, user, pass)
		var bc *BadCredentials
		if errors.As(err, &bc) {
			err = &authError{msg: bc.Msg}
		}
	} else if err == nil {
		want, ok := c.srv.cfg.Credentials[user]
		// Compare even for unknown users so timing does not tell them apart.
		match := subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
		if !ok || !match {
			err = &authError{msg: fmt.Sprintf("Provided username %s and/or password are incorrect", user)}
		}
	}
	if err != nil {
		c.reply(h.stream, opError, errorBody(err, 0))
		return
	}
	c.mu.Lock()
	c.mu.user = role
	c.mu.Unlock()
	w := getWriter()
	w.bytes(nil)
	c.reply(h.stream, opAuthSuccess, w)
	c.state = stateReady
}

// decodePlain splits a SASL PLAIN message into user and password, reading
// from the end as Cassandra does (the authorization id is ignored).
func decodePlain(b []byte) (user, pass string, err error) {
	i := strings.LastIndexByte(string(b), 0)
	if i < 0 {
		return "", "", &authError{msg: "Credential format error: username or password is empty or contains NUL(\\0) character"}
	}
	pass = string(b[i+1:])
	rest := b[:i]
	user = string(rest[strings.LastIndexByte(string(rest), 0)+1:])
	switch {
	case pass == "":
		return "", "", &authError{msg: "Password must not be null"}
	case user == "":
		return "", "", &authError{msg: "Authentication ID must not be null"}
	}
	return user, pass, nil
}

// register handles REGISTER: records the event types, answers READY.
func (c *conn) register(h header, r *reader) {
	types := r.stringList()
	if r.err != nil {
		c.reply(h.stream, opError, errorBody(r.err, 0))
		return
	}
	var bits uint8
	for _, t := range types {
		switch t {
		case eventTopologyChange:
			bits |= regTopology
		case eventStatusChange:
			bits |= regStatus
		case eventSchemaChange:
			bits |= regSchema
		default:
			c.reply(h.stream, opError, errorBody(protoErrorf("Invalid value '%s' for Event.Type", t), 0))
			return
		}
	}
	c.mu.Lock()
	c.mu.events |= bits
	c.mu.Unlock()
	c.reply(h.stream, opReady, getWriter())
}

// handle runs a QUERY, PREPARE, EXECUTE or BATCH and sends its response;
// onReader is true when it runs on the connection's reader. It returns
// how long the statement ran.
func (c *conn) handle(h header, r reader, charge *claim, onReader bool) time.Duration {
	defer c.handlers.Done()
	if f := c.srv.cfg.OnRequest; f != nil {
		f()
	}
	var tr *tracing.Trace
	asked := h.flags&flagTracing != 0
	if asked || c.srv.sampled() {
		tr = c.newTrace()
	}
	w, cl, took, err := c.run(h, &r, tr)
	c.srv.inflight.release(charge)
	op := opResult
	if err != nil {
		w, op = errorBody(err, cl), opError
	}
	if tr != nil {
		// The session id opens the body, before any warnings (spec
		// section 2.2), on errors as on results; a request traced by
		// sampling did not ask for it.
		if asked {
			w.b = slices.Insert(w.b, headerSize, tr.ID[:]...)
			w.flags |= flagTracing
		}
		if c.srv.cfg.Traces != nil {
			c.srv.cfg.Traces.Record(tr)
		}
	}
	// Once its response is sent, a request run on the reader finishes
	// there; if the reading was handed over, the response is sent as a
	// worker's.
	if onReader && !c.inline.CompareAndSwap(inlineRunning, inlineAnswered) {
		onReader = false
	}
	c.send(c.frame(w, h.stream, op), onReader)
	return took
}

// run executes a statement request and encodes its result; a panic in the
// executor or the encoding becomes a Server error.
func (c *conn) run(h header, r *reader, tr *tracing.Trace) (w *writer, cl replication.Consistency, took time.Duration, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.srv.log.Error("cql: request panicked", "op", h.op, "driver", c.driver, "panic", v, "stack", string(debug.Stack()))
			w, err = nil, &panicError{v}
		}
	}()
	rc := c.srv.requestContext()
	defer rc.End()
	ctx := tracing.With(rc, tr)
	var info reqInfo
	var reps *tracing.Replicas
	if c.srv.cfg.SlowQueryLogTimeout > 0 { // only the slow query log reads them
		reps = tracing.GetReplicas()
		defer reps.Release()
		rc.Set(reps.Entry()) // rc carries them: no context to allocate
	}
	start := time.Now()
	switch h.op {
	case opQuery:
		w, cl, err = c.query(ctx, r, &info)
	case opPrepare:
		w, err = c.prepare(ctx, r, &info)
		traceRequest(tr, h.op, &info, err)
		return w, 0, time.Since(start), err
	case opExecute:
		w, cl, err = c.execute(ctx, r, &info)
	case opBatch:
		w, cl, err = c.batch(ctx, r, &info)
	default:
		return nil, 0, 0, fmt.Errorf("cql: no handler for %s", h.op)
	}
	traceRequest(tr, h.op, &info, err)
	took = time.Since(start)
	c.logSlow(&info, reps, took, err)
	return w, cl, took, err
}

func (c *conn) query(ctx context.Context, r *reader, info *reqInfo) (*writer, replication.Consistency, error) {
	q := r.longString()
	rq := requestPool.Get().(*request)
	defer putRequest(rq)
	p := rq.params(r)
	if r.err != nil {
		return nil, 0, r.err
	}
	rq.s = c.session()
	*info = reqInfo{stmt: q, cl: p.opts.Consistency, keyspace: rq.s.Keyspace}
	res, err := c.srv.exec.Query(ctx, &rq.s, q, &p.opts)
	if err != nil {
		return nil, p.opts.Consistency, err
	}
	c.applied(res)
	w := getWriter()
	w.warnings(res)
	w.resultBody(res, p.skipMetadata)
	return w, p.opts.Consistency, nil
}

func (c *conn) prepare(ctx context.Context, r *reader, info *reqInfo) (*writer, error) {
	q := r.longString()
	if r.err != nil {
		return nil, r.err
	}
	s := c.session()
	*info = reqInfo{stmt: q, keyspace: s.Keyspace}
	if tr := tracing.From(ctx); tr != nil {
		tr.Eventf(tracing.Native, "Preparing statement")
	}
	p, err := c.srv.exec.Prepare(&s, q)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("cql: executor prepared no statement")
	}
	if err := c.srv.prepared.put(p); err != nil {
		return nil, err
	}
	w := getWriter()
	w.preparedBody(p)
	return w, nil
}

func (c *conn) execute(ctx context.Context, r *reader, info *reqInfo) (*writer, replication.Consistency, error) {
	id := r.shortBytes()
	rq := requestPool.Get().(*request)
	defer putRequest(rq)
	p := rq.params(r)
	if r.err != nil {
		return nil, 0, r.err
	}
	prep := c.srv.prepared.get(id)
	if prep == nil {
		return nil, p.opts.Consistency, &unpreparedError{id: id}
	}
	rq.s = c.session()
	*info = reqInfo{stmt: prep.Query, cl: p.opts.Consistency, keyspace: rq.s.Keyspace}
	res, err := c.srv.exec.Execute(ctx, &rq.s, prep, &p.opts)
	if err != nil {
		return nil, p.opts.Consistency, err
	}
	c.applied(res)
	// The client skips metadata it got at PREPARE time; only when that
	// metadata describes these rows.
	skip := p.skipMetadata && res != nil && len(res.Columns) == len(prep.Columns)
	w := getWriter()
	w.warnings(res)
	w.resultBody(res, skip)
	return w, p.opts.Consistency, nil
}

func (c *conn) batch(ctx context.Context, r *reader, info *reqInfo) (*writer, replication.Consistency, error) {
	b := r.batch()
	if r.err != nil {
		return nil, 0, r.err
	}
	entries := make([]query.BatchEntry, len(b.entries))
	for i, e := range b.entries {
		entries[i] = query.BatchEntry{Query: e.query, Values: e.values}
		if e.id != nil {
			p := c.srv.prepared.get(e.id)
			if p == nil {
				return nil, b.opts.Consistency, &unpreparedError{id: e.id}
			}
			entries[i].Prepared = p
			entries[i].Query = p.Query
		}
	}
	s := c.session()
	if len(entries) > 0 {
		*info = reqInfo{stmt: fmt.Sprintf("BATCH of %d statements, the first: %s", len(entries), entries[0].Query),
			cl: b.opts.Consistency, keyspace: s.Keyspace}
	}
	res, err := c.srv.exec.Batch(ctx, &s, b.typ, entries, &b.opts)
	if err != nil {
		return nil, b.opts.Consistency, err
	}
	c.applied(res)
	w := getWriter()
	w.warnings(res)
	w.resultBody(res, false)
	return w, b.opts.Consistency, nil
}

// applied carries a result's effects beyond the response: USE changes the
// connection's keyspace; a schema change invalidates prepared statements
// and is pushed to the connections registered for it.
func (c *conn) applied(res *query.Result) {
	if res == nil {
		return
	}
	switch res.Kind {
	case query.ResultSetKeyspace:
		c.setKeyspace(res.Keyspace)
	case query.ResultSchemaChange:
		if res.Change != nil {
			c.logSchemaChange(res.Change)
			c.srv.PushSchemaChange(*res.Change)
		}
	}
}

// pushEvent queues an event frame (stream -1) without waiting; false if
// the connection's event queue is full.
func (c *conn) pushEvent(body []byte) bool {
	w := getWriter()
	w.b = append(w.b, body...)
	w = c.frame(w, -1, opEvent)
	select {
	case c.events <- w:
		return true
	default:
		putWriter(w)
		return false
	}
}

// Response buffers: a writer whose first headerSize bytes are room for the
// header.
var writerPool = sync.Pool{New: func() any { return &writer{b: make([]byte, headerSize, 1024)} }}

func getWriter() *writer {
	w := writerPool.Get().(*writer)
	w.b = w.b[:headerSize]
	w.flags = 0
	return w
}

func putWriter(w *writer) {
	if cap(w.b) <= maxPooledBuffer {
		writerPool.Put(w)
	}
}

// errorBody returns a pooled writer holding an ERROR body for err.
func errorBody(err error, cl replication.Consistency) *writer {
	w := getWriter()
	w.errorBody(err, cl)
	return w
}

// encodeError builds a complete, uncompressed ERROR frame with the given
// response version byte (v1 and v2 have the shorter header).
func encodeError(version byte, stream int16, err error) *writer {
	w := errorBody(err, 0)
	if ver := version & versionMask; ver == 1 || ver == 2 {
		body := w.b[headerSize:]
		hdr := []byte{version, 0, byte(stream), byte(opError), 0, 0, 0, 0}
		hdr[4], hdr[5], hdr[6], hdr[7] = byte(len(body)>>24), byte(len(body)>>16), byte(len(body)>>8), byte(len(body))
		w.b = append(hdr, body...)
		return w
	}
	putHeader(w.b, header{version: version, stream: stream, op: opError, length: uint32(len(w.b) - headerSize)})
	return w
}
