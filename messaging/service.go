package messaging

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/replication"
)

// ServiceName is the gRPC service between nodes.
const ServiceName = "wcdb.Internode"

// Method names, as in "/wcdb.Internode/Apply".
const (
	opApply      = "Apply"
	opRead       = "Read"
	opDigest     = "Digest"
	opReadRange  = "ReadRange"
	opApplyHints = "ApplyHints"
	opSchemaPull = "SchemaPull"
	opPing       = "Ping"
	opSchemaPush = "SchemaPush"
	opAdmin      = "Admin"
	opApplyBatch = "ApplyBatch"
	opCall       = "Call"
)

// fullMethods holds each op's gRPC method path, "/wcdb.Internode/<op>",
// made once rather than per call.
var fullMethods = func() map[string]string {
	m := map[string]string{}
	for _, op := range []string{opApply, opRead, opDigest, opReadRange, opApplyHints, opSchemaPull, opPing,
		opSchemaPush, opAdmin, opApplyBatch, opCall, opStream, opFetch} {
		m[op] = "/" + ServiceName + "/" + op
	}
	return m
}()

// fullMethod returns op's gRPC method path.
func fullMethod(op string) string {
	if m, ok := fullMethods[op]; ok {
		return m
	}
	return "/" + ServiceName + "/" + op
}

// featuresKey is the gRPC metadata key in which a caller names the
// optional wire fields it reads (wire.go, Features); featureWarnings is the
// warnings field of read answers.
const (
	featuresKey     = "wcdb-features"
	featureWarnings = "warnings"
)

// readsWarnings reports whether the caller of the call or stream served
// with ctx announced it reads the warnings of read answers.
func readsWarnings(ctx context.Context) bool {
	return slices.Contains(metadata.ValueFromIncomingContext(ctx, featuresKey), featureWarnings)
}

// announceFeatures adds to ctx the optional fields this node reads.
func announceFeatures(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, featuresKey, featureWarnings)
}

// collectWarnings gives a read the Warnings its answer carries back, when
// the caller reads them (warn); otherwise ctx is returned as it is (a
// replica's warnings then stay in its log, as before the field) and the
// Warnings are nil.
func collectWarnings(ctx context.Context, warn bool) (context.Context, *replication.Warnings) {
	if !warn {
		return ctx, nil
	}
	// One allocation rather than WithWarnings' two: reads are hot.
	rc := new(replication.RequestContext)
	rc.Init(ctx)
	return rc, &rc.Warnings
}

// passWarnings adds a replica's warnings to the caller's request, where
// the coordinator's client gets them. Warn drops a text the request has
// already: several replicas (or one read twice, by a read repair) often
// report the same read alike, and the client needs it once.
func passWarnings(ctx context.Context, ws []string) {
	for _, w := range ws {
		replication.Warn(ctx, w)
	}
}

// handler serves requests from a node's local replica; the gRPC server and
// the in-memory network share it, so both answer alike.
type handler struct {
	local   replication.Replica
	schema  func(context.Context) ([]mutation.Mutation, error)
	push    func(context.Context, []mutation.Mutation) error
	admin   func(context.Context, []string) ([]byte, error)
	call    func(ctx context.Context, method string, req []byte) ([]byte, error)
	fetch   func(ctx context.Context, req []byte, send func([]byte) error) error
	version Version
	// inflight, when not nil, holds a token per request being served.
	inflight chan struct{}
	// applyCalls counts Apply and ApplyBatch calls served (tests).
	applyCalls atomic.Int64
	// For Stats: requests being served, served, and dropped.
	active, served, dropped atomic.Int64
	// stopping is closed when the server stops gracefully: streams end
	// once their requests are answered.
	stopping chan struct{}
	stopOnce sync.Once
	// work hands stream requests to idle workers (stream.go).
	work  chan func()
	clock clock
	// traces records the replica's part of traced requests (ServerOptions).
	traces      interface{ Record(*tracing.Trace) }
	traceSource net.IP
	tracePort   int
}

func newHandler(local replication.Replica, opts *ServerOptions) *handler {
	h := &handler{local: local, schema: opts.SchemaPull, push: opts.SchemaPush, admin: opts.Admin, call: opts.Call, fetch: opts.Fetch, stopping: make(chan struct{}),
		work:    make(chan func()),
		version: Version{Wire: WireVersion, Node: opts.Node, Release: opts.Release},
		traces:  opts.Traces, traceSource: opts.TraceSource, tracePort: opts.TracePort}
	if opts.MaxInFlight > 0 {
		h.inflight = make(chan struct{}, opts.MaxInFlight)
	}
	h.clock = opts.clock
	if h.clock == nil {
		h.clock = realClock{}
	}
	return h
}

func (h *handler) finished() {
	h.active.Add(-1)
	h.served.Add(1)
}

// serve runs one request: requests whose deadline passed on the way are
// dropped unserved (the caller has given up), and requests beyond the
// in-flight limit are refused as overloaded. warn says the caller reads
// the warnings of read answers.
func (h *handler) serve(ctx context.Context, op string, req message, warn bool) (message, error) {
	if err := ctx.Err(); err != nil {
		h.dropped.Add(1)
		return nil, err
	}
	if h.inflight != nil {
		select {
		case h.inflight <- struct{}{}:
			defer func() { <-h.inflight }()
		default:
			h.dropped.Add(1)
			return nil, fmt.Errorf("%w: %d requests in flight", ErrOverloaded, cap(h.inflight))
		}
	}
	h.active.Add(1)
	defer h.finished()
	switch op {
	case opApply:
		h.applyCalls.Add(1)
		return &emptyMsg{}, h.local.Apply(ctx, req.(*mutationMsg).m)
	case opRead:
		ctx, w := collectWarnings(ctx, warn)
		p, err := h.local.Read(ctx, req.(*readMsg).cmd)
		return &partitionMsg{p: p, warnings: w.List()}, err
	case opDigest:
		ctx, w := collectWarnings(ctx, warn)
		d, err := h.local.Digest(ctx, req.(*readMsg).cmd)
		return &digestMsg{digest: d, warnings: w.List()}, err
	case opReadRange:
		ctx, w := collectWarnings(ctx, warn)
		res, err := h.local.ReadRange(ctx, req.(*rangeMsg).cmd)
		return &rangeResultMsg{res: res, warnings: w.List()}, err
	case opApplyHints, opApplyBatch:
		if op == opApplyBatch {
			h.applyCalls.Add(1)
		}
		ms := req.(*mutationsMsg).ms
		for i := range ms {
			if err := h.local.Apply(ctx, &ms[i]); err != nil {
				return nil, err
			}
		}
		return &emptyMsg{}, nil
	case opSchemaPull:
		if h.schema == nil {
			return nil, fmt.Errorf("messaging: node serves no schema")
		}
		ms, err := h.schema(ctx)
		return &mutationsMsg{ms: ms}, err
	case opPing:
		return &versionMsg{v: h.version}, nil
	case opSchemaPush:
		if h.push == nil {
			return nil, fmt.Errorf("messaging: node takes no schema")
		}
		return &emptyMsg{}, h.push(ctx, req.(*mutationsMsg).ms)
	case opAdmin:
		if h.admin == nil {
			return nil, fmt.Errorf("messaging: node serves no admin requests")
		}
		b, err := h.admin(ctx, req.(*argsMsg).args)
		return &blobMsg{b: b}, err
	case opCall:
		args := req.(*argsMsg).args
		if len(args) != 2 {
			return nil, fmt.Errorf("%w: a call of %d arguments", ErrCorrupt, len(args))
		}
		if pr, ok := h.local.(replication.PaxosReplica); ok && strings.HasPrefix(args[0], paxosMethodPrefix) {
			b, err := servePaxos(ctx, pr, args[0], []byte(args[1]))
			return &blobMsg{b: b}, err
		}
		if cr, ok := h.local.(replication.CounterReplica); ok && args[0] == methodCounterApply {
			b, err := serveCounter(ctx, cr, []byte(args[1]))
			return &blobMsg{b: b}, err
		}
		if h.call == nil {
			return nil, fmt.Errorf("messaging: node serves no %s calls", args[0])
		}
		b, err := h.call(ctx, args[0], []byte(args[1]))
		return &blobMsg{b: b}, err
	}
	return nil, fmt.Errorf("messaging: unknown method %q", op)
}

// newRequest returns an empty request message for op, and false for an
// unknown op.
func newRequest(op string) (message, bool) {
	switch op {
	case opApply:
		return &mutationMsg{}, true
	case opRead, opDigest:
		return &readMsg{}, true
	case opReadRange:
		return &rangeMsg{}, true
	case opApplyHints, opSchemaPush, opApplyBatch:
		return &mutationsMsg{}, true
	case opAdmin, opCall:
		return &argsMsg{}, true
	case opSchemaPull, opPing:
		return &emptyMsg{}, true
	}
	return nil, false
}

// serviceDesc describes wcdb.Internode to gRPC by hand: the messages are
// this package's types, carried by the "wcdb" codec, so no generated code
// is involved.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	// Any value may be registered: the handlers check the type.
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		method(opApply), method(opRead), method(opDigest), method(opReadRange),
		method(opApplyHints), method(opSchemaPull), method(opPing), method(opSchemaPush),
		method(opAdmin), method(opApplyBatch), method(opCall),
	},
	Streams:  []grpc.StreamDesc{streamDesc(), fetchDesc()},
	Metadata: "messaging/wire.go",
}

func method(op string) grpc.MethodDesc {
	full := fullMethod(op)
	return grpc.MethodDesc{
		MethodName: op,
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			h := srv.(*handler)
			req, _ := newRequest(op)
			if err := dec(req); err != nil {
				return nil, err
			}
			call := func(ctx context.Context, req any) (any, error) {
				resp, err := h.serve(ctx, op, req.(message), readsWarnings(ctx))
				if err != nil {
					return nil, toStatus(err)
				}
				return resp, nil
			}
			if interceptor == nil {
				return call(ctx, req)
			}
			return interceptor(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, call)
		},
	}
}
