package messaging

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"wcdb/internal/reqctx"
	"wcdb/internal/tracing"
)

// The hot calls — Apply, ApplyBatch, Read and Digest — travel on one
// long-lived bidirectional gRPC stream per connection rather than as unary
// calls: a unary call opens a stream (header frames both ways, trailers, a
// server goroutine and context), which on loopback costs several times the
// work of the request itself. On the stream each request and answer is one
// frame message (kind 12 in wire.go) carrying a request id; answers come
// back in any order. The other calls (range reads, hints, schema, admin)
// stay unary: they are rare or large.
//
// A broken stream fails the requests waiting on it as unavailable, and the
// next request opens a new one. A server stopping gracefully ends its
// streams once their requests are answered.

// opStream is the streaming method.
const opStream = "Stream"

// maxFrameTimeout bounds the timeout a request frame may carry.
const maxFrameTimeout = 24 * time.Hour

// streamOps number the ops a frame may carry.
var streamOps = [...]string{1: opApply, 2: opRead, 3: opDigest, 4: opApplyBatch, 5: opCall}

func streamOpCode(op string) byte {
	for i, o := range streamOps {
		if o == op && i > 0 {
			return byte(i)
		}
	}
	return 0
}

// frameMsg is a request or an answer on the stream.
type frameMsg struct {
	id uint64
	op byte
	// code is an answer's status (codes.OK, or the error's code, as a
	// unary call's), msg its error text. A request's msg, empty unless the
	// request is traced, is its session id (16 bytes): the replica records
	// its part of the trace (older nodes ignore it).
	code byte
	// timeout is how long the caller waits (requests; 0: no deadline).
	timeout time.Duration
	msg     string
	// body is the request or answer message (envelope included): out is
	// encoded when sending, in keeps the received bytes.
	out message
	in  []byte
}

func (*frameMsg) kind() byte { return kindFrame }

func (f *frameMsg) appendBody(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, f.id)
	dst = append(dst, f.op, f.code)
	dst = binary.AppendUvarint(dst, uint64(f.timeout/time.Microsecond))
	dst = appendBytes(dst, []byte(f.msg))
	if f.out == nil {
		return appendBytes(dst, f.in)
	}
	return appendPrefixed(dst, func(dst []byte) []byte { return encodeMessage(dst, f.out) })
}

func (f *frameMsg) decodeBody(b []byte) error {
	d := newDecoder(b)
	f.id = d.Uvarint()
	f.op = d.Byte()
	f.code = d.Byte()
	f.timeout = time.Duration(min(d.Uvarint(), uint64(maxFrameTimeout/time.Microsecond))) * time.Microsecond
	f.msg = string(d.Bytes())
	f.in = d.Bytes()
	return d.finish()
}

// streamDesc describes the bidirectional streaming method.
func streamDesc() grpc.StreamDesc {
	return grpc.StreamDesc{StreamName: opStream, Handler: serveStream, ServerStreams: true, ClientStreams: true}
}

// serveStream answers a client's stream: the receiving goroutine hands
// each request to a worker, which answers when done.
func serveStream(srv any, stream grpc.ServerStream) error {
	h := srv.(*handler)
	warn := readsWarnings(stream.Context())
	var (
		sendMu sync.Mutex
		failed error
		// mu guards closed and the WaitGroup's Add against the Wait at
		// the end: no request starts once the handler is returning.
		mu     sync.Mutex
		closed bool
		wg     sync.WaitGroup
	)
	recvErr := make(chan error, 1)
	go func() {
		for {
			f := new(frameMsg)
			if err := stream.RecvMsg(f); err != nil {
				recvErr <- err
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				return
			}
			wg.Add(1)
			mu.Unlock()
			h.submit(func() {
				defer wg.Done()
				out := h.serveFrame(stream.Context(), f, warn)
				sendMu.Lock()
				defer sendMu.Unlock()
				if failed == nil {
					failed = stream.SendMsg(out)
				}
			})
		}
	}()
	var err error
	select {
	case err = <-recvErr:
		if errors.Is(err, io.EOF) {
			err = nil
		}
	case <-h.stopping:
		// Requests received are answered, then the stream ends; the
		// client opens a new one elsewhere or fails.
	}
	mu.Lock()
	closed = true
	mu.Unlock()
	wg.Wait()
	return err
}

// workerIdle is how long an idle stream worker waits for another request.
const workerIdle = 10 * time.Second

// submit runs a stream request on an idle worker, or on a new one.
// Workers live on between requests so that their stacks, grown by the
// storage engine, are reused: a goroutine per request grew (copied) its
// stack every time.
func (h *handler) submit(fn func()) {
	select {
	case h.work <- fn:
	default:
		go h.worker(fn)
	}
}

func (h *handler) worker(fn func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		fn()
		idle.Reset(workerIdle)
		select {
		case fn = <-h.work:
		case <-idle.C:
			return
		case <-h.stopping:
			return
		}
	}
}

// serveFrame runs one request frame and returns its answer; warn says the
// caller reads the warnings of read answers.
func (h *handler) serveFrame(ctx context.Context, f *frameMsg, warn bool) *frameMsg {
	out := &frameMsg{id: f.id, op: f.op}
	fail := func(code codes.Code, err error) *frameMsg {
		out.code, out.msg = byte(code), err.Error()
		return out
	}
	if int(f.op) >= len(streamOps) || f.op == 0 {
		return fail(codes.Unimplemented, fmt.Errorf("messaging: unknown stream op %d", f.op))
	}
	op := streamOps[f.op]
	req, _ := newRequest(op)
	if err := decodeMessage(f.in, req); err != nil {
		return fail(codes.Internal, err)
	}
	if f.timeout > 0 {
		// No timer unless the request waits on its context.
		rc := reqctx.At(ctx, h.clock.Now().Add(f.timeout), h.clock)
		defer rc.End()
		ctx = rc
	}
	if len(f.msg) == 16 && h.traces != nil {
		tr := tracing.NewRemote([16]byte([]byte(f.msg)), h.traceSource, h.tracePort)
		tr.Eventf(tracing.Messaging, "%s message received", traceOpName(op))
		ctx = tracing.With(ctx, tr)
		defer func() {
			tr.Event(tracing.Messaging, "Enqueuing response")
			h.traces.Record(tr)
		}()
	}
	resp, err := h.serve(ctx, op, req, warn)
	if err != nil {
		return fail(errorCode(err), err)
	}
	out.out = resp
	return out
}

// streamConn is a client's stream on one connection.
type streamConn struct {
	cc    *grpc.ClientConn
	addr  string
	clock clock

	mu      sync.Mutex
	cur     *clientStream
	nextID  uint64
	closing bool
}

// clientStream is one open stream and the requests waiting on it.
type clientStream struct {
	st     grpc.ClientStream
	cancel context.CancelFunc
	sendMu sync.Mutex

	mu      sync.Mutex
	pending map[uint64]chan *frameMsg
	broken  bool
}

// open returns the current stream, opening one if there is none.
func (s *streamConn) open() (*clientStream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, ErrClosed
	}
	if s.cur != nil {
		s.cur.mu.Lock()
		broken := s.cur.broken
		s.cur.mu.Unlock()
		if !broken {
			return s.cur, nil
		}
	}
	// The features travel once, with the stream: its requests share them.
	ctx, cancel := context.WithCancel(announceFeatures(context.Background()))
	desc := streamDesc()
	st, err := s.cc.NewStream(ctx, &desc, fullMethod(opStream))
	if err != nil {
		cancel()
		return nil, err
	}
	cs := &clientStream{st: st, cancel: cancel, pending: map[uint64]chan *frameMsg{}}
	s.cur = cs
	go cs.read()
	return cs, nil
}

// read delivers answers until the stream breaks, then fails the rest.
func (cs *clientStream) read() {
	for {
		f := new(frameMsg)
		if err := cs.st.RecvMsg(f); err != nil {
			cs.fail()
			return
		}
		cs.mu.Lock()
		ch := cs.pending[f.id]
		delete(cs.pending, f.id)
		cs.mu.Unlock()
		if ch != nil {
			ch <- f
		}
	}
}

// fail marks the stream broken and answers its waiting requests as
// unavailable.
func (cs *clientStream) fail() {
	cs.mu.Lock()
	cs.broken = true
	pending := cs.pending
	cs.pending = map[uint64]chan *frameMsg{}
	cs.mu.Unlock()
	cs.cancel()
	for _, ch := range pending {
		ch <- &frameMsg{code: byte(codes.Unavailable), msg: "stream closed"}
	}
}

// call sends one request on the stream and waits for its answer.
func (s *streamConn) call(ctx context.Context, op string, req, resp message) error {
	cs, err := s.open()
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		return fromStatus(op, s.addr, err)
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.mu.Unlock()
	ch := make(chan *frameMsg, 1)
	cs.mu.Lock()
	if cs.broken {
		cs.mu.Unlock()
		return callError(op, s.addr, codes.Unavailable, "stream closed")
	}
	cs.pending[id] = ch
	cs.mu.Unlock()
	f := &frameMsg{id: id, op: streamOpCode(op), out: req}
	if tr := tracing.From(ctx); tr != nil {
		f.msg = string(tr.ID[:])
	}
	if d, ok := ctx.Deadline(); ok {
		f.timeout = max(d.Sub(s.clock.Now()), time.Microsecond)
	}
	cs.sendMu.Lock()
	err = cs.st.SendMsg(f)
	cs.sendMu.Unlock()
	if err != nil {
		cs.fail()
		return callError(op, s.addr, codes.Unavailable, err.Error())
	}
	select {
	case a := <-ch:
		if codes.Code(a.code) != codes.OK {
			return callError(op, s.addr, codes.Code(a.code), a.msg)
		}
		if err := decodeMessage(a.in, resp); err != nil {
			return callError(op, s.addr, codes.Internal, err.Error())
		}
		return nil
	case <-ctx.Done():
		cs.mu.Lock()
		delete(cs.pending, id)
		cs.mu.Unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return callError(op, s.addr, codes.DeadlineExceeded, ctx.Err().Error())
		}
		return callError(op, s.addr, codes.Canceled, ctx.Err().Error())
	}
}

// close ends the stream; requests waiting fail.
func (s *streamConn) close() {
	s.mu.Lock()
	s.closing = true
	cur := s.cur
	s.mu.Unlock()
	if cur != nil {
		cur.fail()
	}
}

// traceOpName names a stream op in traces as Cassandra names its verbs.
func traceOpName(op string) string {
	switch op {
	case opApply, opApplyBatch:
		return "MUTATION"
	case opRead:
		return "READ"
	case opDigest:
		return "READ (digest)"
	}
	return strings.ToUpper(op)
}
