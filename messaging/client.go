package messaging

import (
	"context"
	"crypto/tls"
	"errors"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"wcdb/mutation"
	"wcdb/replication"
)

// Peer is a remote node as its peers call it: its replica, and the calls
// of hint replay, schema agreement and liveness checks. A Client (gRPC)
// and a Network's links (in memory) are Peers. Methods are safe for
// concurrent use; a call whose ctx has no deadline gets the transport's
// default timeout. Errors are *Error values (KindOf tells them apart).
// The client warnings a peer's read raises (a read over its
// tombstone_warn_threshold) are added to the warnings of ctx's request
// (replication.Warn), as a local replica's would be.
type Peer interface {
	replication.Replica
	// Paxos messages (paxos.go) and counter writes the peer leads
	// (counter.go), answered by the peer's replica.
	replication.PaxosReplica
	replication.CounterReplica
	// ApplyHints applies the mutations in order (hint replay), stopping at
	// the first that fails; like Apply, replaying twice is harmless.
	ApplyHints(ctx context.Context, ms []mutation.Mutation) error
	// SchemaPull returns the peer's schema as schema mutations.
	SchemaPull(ctx context.Context) ([]mutation.Mutation, error)
	// SchemaPush sends the node's schema mutations to the peer, which
	// merges them into its own.
	SchemaPush(ctx context.Context, ms []mutation.Mutation) error
	// Admin sends an operator's request to the peer.
	Admin(ctx context.Context, args []string) ([]byte, error)
	// Call sends a request of a service above messaging (method names it;
	// the bytes are the service's) and returns the answer.
	Call(ctx context.Context, method string, req []byte) ([]byte, error)
	// Ping checks the peer answers, and returns its version.
	Ping(ctx context.Context) (Version, error)
}

// DialOptions configure a Client. The zero value dials with the defaults.
type DialOptions struct {
	// Timeout bounds a call whose ctx has no deadline. Default 10 s.
	Timeout time.Duration
	// Conns is how many connections to open to the peer; calls are spread
	// over them in turn, so one large response does not hold up the
	// small ones behind it on a single connection. Default 1.
	Conns int
	// ConnectTimeout bounds a connection attempt. Default 2 s.
	ConnectTimeout time.Duration
	// ReconnectBase and ReconnectMax bound the backoff between connection
	// attempts to a peer that is down: the first retry waits about
	// ReconnectBase, each later one 1.6 times longer, up to ReconnectMax.
	// Calls made meanwhile fail at once with KindUnavailable. Defaults
	// 100 ms and 5 s.
	ReconnectBase, ReconnectMax time.Duration
	// KeepaliveTime is how long a connection may stay idle before the
	// client pings the peer, and KeepaliveTimeout how long it waits for
	// the answer before declaring the connection dead (the calls on it
	// then fail with KindUnavailable). Defaults 10 s and 5 s; KeepaliveTime
	// may not be under 5 s, which servers enforce.
	KeepaliveTime, KeepaliveTimeout time.Duration
	// MaxMessageSize is the largest message received. Default 64 MiB.
	MaxMessageSize int
	// TLS, if set, secures the connections: the client presents its
	// certificate (mutual TLS) and checks the peer's as the config says.
	// Nil: plaintext.
	TLS *tls.Config

	clock clock // nil: the real one
}

func (o DialOptions) withDefaults() DialOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.Timeout, 10*time.Second)
	def(&o.ConnectTimeout, 2*time.Second)
	def(&o.ReconnectBase, 100*time.Millisecond)
	def(&o.ReconnectMax, 5*time.Second)
	def(&o.KeepaliveTime, 10*time.Second)
	def(&o.KeepaliveTimeout, 5*time.Second)
	if o.Conns == 0 {
		o.Conns = 1
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = defaultMaxMessageSize
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	return o
}

// Validate reports options that make no sense.
func (o DialOptions) Validate() error {
	switch {
	case o.Timeout < 0 || o.ConnectTimeout < 0 || o.ReconnectBase < 0 || o.ReconnectMax < 0 ||
		o.KeepaliveTime < 0 || o.KeepaliveTimeout < 0:
		return errors.New("messaging: durations must not be negative")
	case o.KeepaliveTime != 0 && o.KeepaliveTime < minClientKeepalive:
		return errors.New("messaging: KeepaliveTime must be at least 5s")
	case o.Conns < 0 || o.Conns > 64:
		return errors.New("messaging: Conns must be between 1 and 64")
	case o.MaxMessageSize < 0:
		return errors.New("messaging: MaxMessageSize must not be negative")
	}
	return nil
}

// Client calls one peer over gRPC. It connects lazily, on the first call,
// and reconnects by itself after the peer restarts.
type Client struct {
	addr    string
	timeout time.Duration
	clock   clock
	conns   []*grpc.ClientConn
	streams []*streamConn // one per connection
	next    atomic.Uint32
	closed  atomic.Bool
	batch   *batcher
}

var _ Peer = (*Client)(nil)

// Dial returns a client of the peer at addr (host:port). It does not
// connect: the first call does.
func Dial(addr string, opts DialOptions) (*Client, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	bo := backoff.DefaultConfig
	bo.BaseDelay, bo.MaxDelay = opts.ReconnectBase, opts.ReconnectMax
	creds := insecure.NewCredentials()
	if opts.TLS != nil {
		creds = credentials.NewTLS(opts.TLS)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: opts.ConnectTimeout}),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: opts.KeepaliveTime,
			Timeout: opts.KeepaliveTimeout, PermitWithoutStream: true}),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(CodecName),
			grpc.MaxCallRecvMsgSize(opts.MaxMessageSize), grpc.MaxCallSendMsgSize(opts.MaxMessageSize)),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}
	c := &Client{addr: addr, timeout: opts.Timeout, clock: opts.clock}
	for range opts.Conns {
		// passthrough: addr is used as given, with no resolver goroutine.
		cc, err := grpc.NewClient("passthrough:///"+addr, dopts...)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.conns = append(c.conns, cc)
		c.streams = append(c.streams, &streamConn{cc: cc, addr: addr, clock: opts.clock})
	}
	c.batch = newBatcher(c)
	return c, nil
}

// ResetBackoff makes the client reconnect at once, not after the backoff
// its failed attempts earned: for when the peer is known to be back.
func (c *Client) ResetBackoff() {
	for _, cc := range c.conns {
		cc.ResetConnectBackoff()
	}
}

// Addr returns the peer's address.
func (c *Client) Addr() string { return c.addr }

// Close closes the connections; calls in flight fail.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.batch != nil {
		c.batch.close()
	}
	for _, s := range c.streams {
		s.close()
	}
	var first error
	for _, cc := range c.conns {
		if err := cc.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (c *Client) invoke(ctx context.Context, op string, req, resp message, opts ...grpc.CallOption) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	cc := c.conns[0]
	if len(c.conns) > 1 {
		cc = c.conns[int(c.next.Add(1))%len(c.conns)]
	}
	if err := cc.Invoke(ctx, fullMethod(op), req, resp, opts...); err != nil {
		if c.closed.Load() {
			return ErrClosed
		}
		return fromStatus(op, c.addr, err)
	}
	return nil
}

// callContext gives a call the client's timeout unless ctx has a deadline.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return c.clock.WithDeadline(ctx, c.clock.Now().Add(c.timeout))
}

// ApplyAsync writes m on the peer without the caller waiting: done gets
// the outcome once, on another goroutine, and must not block. It is
// replication.AsyncReplica's: the coordinator sends a write to its
// replicas without a goroutine each.
func (c *Client) ApplyAsync(ctx context.Context, m *mutation.Mutation, done func(error)) {
	if c.closed.Load() {
		done(ErrClosed)
		return
	}
	c.batch.applyAsync(ctx, m, done)
}

// stream makes a call on one of the client's streams (stream.go).
func (c *Client) stream(ctx context.Context, op string, req, resp message) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	s := c.streams[0]
	if len(c.streams) > 1 {
		s = c.streams[int(c.next.Add(1))%len(c.streams)]
	}
	err := s.call(ctx, op, req, resp)
	if err != nil && c.closed.Load() {
		return ErrClosed
	}
	return err
}

// Apply writes m on the peer.
func (c *Client) Apply(ctx context.Context, m *mutation.Mutation) error {
	if c.closed.Load() {
		return ErrClosed
	}
	return c.batch.apply(ctx, m)
}

// Read reads a partition on the peer.
func (c *Client) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	var resp partitionMsg
	if err := c.stream(ctx, opRead, &readMsg{cmd: cmd}, &resp); err != nil {
		return nil, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.p, nil
}

// Digest returns the peer's digest of a read.
func (c *Client) Digest(ctx context.Context, cmd replication.ReadCommand) ([]byte, error) {
	var resp digestMsg
	if err := c.stream(ctx, opDigest, &readMsg{cmd: cmd}, &resp); err != nil {
		return nil, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.digest, nil
}

// ReadRange reads a page of partitions on the peer.
func (c *Client) ReadRange(ctx context.Context, cmd replication.RangeCommand) (replication.RangeResult, error) {
	var resp rangeResultMsg
	if err := c.invoke(announceFeatures(ctx), opReadRange, &rangeMsg{cmd: cmd}, &resp); err != nil {
		return replication.RangeResult{}, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.res, nil
}

// ApplyHints replays hinted mutations on the peer. Unlike the other
// calls it waits for a connection (within ctx) rather than failing at once
// while one is being made: hints are replayed just as the peer comes back.
func (c *Client) ApplyHints(ctx context.Context, ms []mutation.Mutation) error {
	return c.invoke(ctx, opApplyHints, &mutationsMsg{ms: ms}, &emptyMsg{}, grpc.WaitForReady(true))
}

// SchemaPull returns the peer's schema mutations.
func (c *Client) SchemaPull(ctx context.Context) ([]mutation.Mutation, error) {
	var resp mutationsMsg
	if err := c.invoke(ctx, opSchemaPull, &emptyMsg{}, &resp); err != nil {
		return nil, err
	}
	return resp.ms, nil
}

// Ping returns the peer's version.
func (c *Client) Ping(ctx context.Context) (Version, error) {
	var resp versionMsg
	if err := c.invoke(ctx, opPing, &emptyMsg{}, &resp); err != nil {
		return Version{}, err
	}
	return resp.v, nil
}

// SchemaPush sends schema mutations for the peer to merge.
func (c *Client) SchemaPush(ctx context.Context, ms []mutation.Mutation) error {
	return c.invoke(ctx, opSchemaPush, &mutationsMsg{ms: ms}, &emptyMsg{})
}

// Call sends a request of a service above messaging and returns the
// answer.
func (c *Client) Call(ctx context.Context, method string, req []byte) ([]byte, error) {
	var resp blobMsg
	if err := c.invoke(ctx, opCall, &argsMsg{args: []string{method, string(req)}}, &resp); err != nil {
		return nil, err
	}
	return resp.b, nil
}

// Admin sends an operator's request and returns the answer.
func (c *Client) Admin(ctx context.Context, args []string) ([]byte, error) {
	var resp blobMsg
	if err := c.invoke(ctx, opAdmin, &argsMsg{args: args}, &resp); err != nil {
		return nil, err
	}
	return resp.b, nil
}
