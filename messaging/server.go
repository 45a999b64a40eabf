package messaging

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/replication"
)

// ServerOptions configure a Server (and a node of a Network). The zero
// value serves with the defaults.
type ServerOptions struct {
	// SchemaPull answers peers' SchemaPull calls with the node's schema as
	// mutations of the schema tables; the query layer supplies it. Nil:
	// SchemaPull fails.
	SchemaPull func(ctx context.Context) ([]mutation.Mutation, error)
	// SchemaPush takes a peer's schema mutations (after a schema change
	// there) and merges them into the node's schema. Nil: SchemaPush
	// fails.
	SchemaPush func(ctx context.Context, ms []mutation.Mutation) error
	// Admin answers operators' requests (wcdb admin): args name the
	// request, the answer is opaque to messaging. Nil: Admin fails.
	Admin func(ctx context.Context, args []string) ([]byte, error)
	// Call answers a peer's Client.Call: services above messaging (repair)
	// name a method and carry their own request and answer bytes. Nil:
	// Call fails.
	Call func(ctx context.Context, method string, req []byte) ([]byte, error)
	// Fetch answers a peer's Client.Fetch: it gets the request's bytes and
	// sends the answer as frames, each a message; gRPC's flow control
	// blocks send while the peer is behind. Nil: Fetch fails.
	Fetch func(ctx context.Context, req []byte, send func(frame []byte) error) error
	// Node and Release identify the node in Ping answers (its host id and
	// software version, say).
	Node, Release string
	// MaxInFlight is the most requests served at once; more are refused
	// as overloaded (KindOverloaded) rather than queued behind a slow
	// disk. 0: no limit.
	MaxInFlight int
	// MaxMessageSize is the largest message received. Default 64 MiB.
	MaxMessageSize int
	// KeepaliveTime is how long a connection may stay idle before the
	// server pings the client, and KeepaliveTimeout how long it waits for
	// the answer before closing it. Defaults 30 s and 10 s.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// TLS, if set, serves over TLS only; with ClientAuth
	// RequireAndVerifyClientCert a caller without a certificate the config
	// trusts is refused in the handshake, before any call. Nil:
	// plaintext.
	TLS *tls.Config
	// Traces, if set, receives the node's part of the traced requests that
	// reach it (a request frame that carries its session id): its events,
	// with TraceSource and TracePort (its internode address) as their
	// source. It must not block.
	Traces      interface{ Record(*tracing.Trace) }
	TraceSource net.IP
	TracePort   int

	clock clock // nil: the real one
}

// minClientKeepalive is the shortest interval a client may ping at; the
// server closes connections that ping more often. DialOptions.Validate
// holds clients to it.
const minClientKeepalive = 5 * time.Second

const defaultMaxMessageSize = 64 << 20

// Flow-control windows of internode connections (see NewServer).
const (
	streamWindow = 8 << 20
	connWindow   = 32 << 20
)

func (o ServerOptions) withDefaults() ServerOptions {
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = defaultMaxMessageSize
	}
	if o.KeepaliveTime == 0 {
		o.KeepaliveTime = 30 * time.Second
	}
	if o.KeepaliveTimeout == 0 {
		o.KeepaliveTimeout = 10 * time.Second
	}
	return o
}

// Validate reports options that make no sense.
func (o ServerOptions) Validate() error {
	switch {
	case o.MaxInFlight < 0:
		return errors.New("messaging: MaxInFlight must not be negative")
	case o.MaxMessageSize < 0:
		return errors.New("messaging: MaxMessageSize must not be negative")
	case o.KeepaliveTime < 0 || o.KeepaliveTimeout < 0:
		return errors.New("messaging: keepalive durations must not be negative")
	}
	return nil
}

// Server serves a node's local replica to its peers over gRPC.
type Server struct {
	g *grpc.Server
	h *handler
}

// NewServer returns a server of local's data; Serve starts it.
func NewServer(local replication.Replica, opts ServerOptions) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	var creds []grpc.ServerOption
	if opts.TLS != nil {
		creds = append(creds, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}
	g := grpc.NewServer(append(creds,
		grpc.MaxRecvMsgSize(opts.MaxMessageSize),
		grpc.MaxSendMsgSize(opts.MaxMessageSize),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: opts.KeepaliveTime, Timeout: opts.KeepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minClientKeepalive, PermitWithoutStream: true}),
		// Fixed, large flow-control windows: the default dynamic window
		// sends a PING (and a write) per burst of data to estimate the
		// bandwidth-delay product, which between nodes of one cluster
		// buys nothing.
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
	)...)
	h := newHandler(local, &opts)
	g.RegisterService(&serviceDesc, h)
	return &Server{g: g, h: h}, nil
}

// Stats counts the requests a Server served: Active now, Completed
// since it started, and Dropped (their deadline passed on the way, or
// refused over MaxInFlight).
type Stats struct{ Active, Completed, Dropped int64 }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Active: s.h.active.Load(), Completed: s.h.served.Load(), Dropped: s.h.dropped.Load()}
}

// Serve accepts connections on l until Stop or GracefulStop, and then
// returns nil; it returns an error if accepting fails otherwise.
func (s *Server) Serve(l net.Listener) error {
	err := s.g.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Stop closes the listeners and every connection at once; calls in flight
// fail with KindUnavailable on the client side.
func (s *Server) Stop() {
	s.h.stopOnce.Do(func() { close(s.h.stopping) })
	s.g.Stop()
}

// GracefulStop stops accepting connections and calls, waits for the calls
// in flight to finish, and stops. If ctx ends first, it stops at once and
// returns ctx's error.
func (s *Server) GracefulStop(ctx context.Context) error {
	s.h.stopOnce.Do(func() { close(s.h.stopping) })
	done := make(chan struct{})
	go func() {
		s.g.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.g.Stop()
		<-done
		return ctx.Err()
	}
}
