package messaging

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"wcdb/mutation"
	"wcdb/replication"
)

// Network is an in-memory transport between nodes, for coordinator tests
// that need partitions, slow links and lost messages without sockets.
//
// Every request and response is encoded and decoded with the wire format,
// so a caller and a replica never share memory (aliasing bugs show) and the
// format is exercised. Each leg of a call (request, then response) takes
// its link's delay and may be lost: to a node that is down, across a
// partition or an isolation, or by the drop rate. A call that loses a leg
// blocks until its deadline and fails with KindTimeout, as a real network
// looks to a coordinator; with SetFailFast it fails at once with
// KindUnavailable. A node's handler runs as a gRPC server's would: with the
// caller's deadline, and its errors reaching the caller as *Error.
//
// Settings apply to messages sent after they change. The drop rate's
// random numbers come from one seeded source: a test that makes its calls
// one at a time sees the same losses on every run.
//
// A Network's methods are safe for concurrent use.
type Network struct {
	closed chan struct{}
	wg     sync.WaitGroup
	mu     struct {
		sync.Mutex
		closed    bool
		nodes     map[string]*handler
		down      map[string]bool
		isolated  map[string]bool
		cut       map[link]bool
		delay     time.Duration
		linkDelay map[link]time.Duration
		delayFunc func(from, to string) time.Duration
		drop      float64
		rng       *rand.Rand
		failFast  bool
		timeout   time.Duration
	}
}

type link struct{ from, to string }

// NewNetwork returns a network with no nodes, no delay, no losses, and a
// default call timeout of 10 s.
func NewNetwork() *Network {
	n := &Network{closed: make(chan struct{})}
	n.mu.nodes = map[string]*handler{}
	n.mu.down = map[string]bool{}
	n.mu.isolated = map[string]bool{}
	n.mu.cut = map[link]bool{}
	n.mu.linkDelay = map[link]time.Duration{}
	n.mu.rng = rand.New(rand.NewPCG(1, 1))
	n.mu.timeout = 10 * time.Second
	return n
}

// Register makes local reachable as node id, served as a Server with opts
// would serve it (SchemaPull, Node, Release, MaxInFlight apply). It
// replaces an earlier registration of id: a restarted node.
func (n *Network) Register(id string, local replication.Replica, opts ServerOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.nodes[id] = newHandler(local, &opts)
	return nil
}

// Replica returns node to as node from calls it. from need not be
// registered (a client, say), but is subject to partitions and Down.
func (n *Network) Replica(from, to string) Peer { return &netPeer{n: n, from: from, to: to} }

// Partition cuts the link between a and b, both ways.
func (n *Network) Partition(a, b string) {
	n.PartitionOneWay(a, b)
	n.PartitionOneWay(b, a)
}

// PartitionOneWay loses the messages from from to to, not the other way:
// requests arrive but their answers do not, say.
func (n *Network) PartitionOneWay(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.cut[link{from, to}] = true
}

// Heal restores the link between a and b, both ways.
func (n *Network) Heal(a, b string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.mu.cut, link{a, b})
	delete(n.mu.cut, link{b, a})
}

// Isolate cuts node from every other node (it still reaches itself).
func (n *Network) Isolate(node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.isolated[node] = true
}

// Rejoin undoes Isolate.
func (n *Network) Rejoin(node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.mu.isolated, node)
}

// HealAll undoes every Partition and Isolate (not Down).
func (n *Network) HealAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.mu.cut)
	clear(n.mu.isolated)
}

// Down makes node unreachable, as a stopped process: nothing reaches it
// and nothing it sends leaves it. Up undoes it.
func (n *Network) Down(node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.down[node] = true
}

// Up undoes Down.
func (n *Network) Up(node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.mu.down, node)
}

// SetDelay sets the delay of every leg of every call (a round trip takes
// twice it), where SetLinkDelay does not say otherwise.
func (n *Network) SetDelay(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.delay = d
}

// SetLinkDelay sets the delay of messages from from to to.
func (n *Network) SetLinkDelay(from, to string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.linkDelay[link{from, to}] = d
}

// SetDelayFunc makes f decide every message's delay, overriding SetDelay
// and SetLinkDelay; nil restores them. f is called without the network's
// lock held, from many goroutines at once.
func (n *Network) SetDelayFunc(f func(from, to string) time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.delayFunc = f
}

// SetDrop makes each message lost with probability p, drawing from a
// source seeded with seed.
func (n *Network) SetDrop(p float64, seed uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.drop = p
	n.mu.rng = rand.New(rand.NewPCG(seed, seed))
}

// SetFailFast makes calls that lose a message fail at once with
// KindUnavailable instead of waiting for their deadline.
func (n *Network) SetFailFast(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.failFast = on
}

// SetTimeout sets the timeout of calls whose ctx has no deadline.
func (n *Network) SetTimeout(d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.mu.timeout = d
}

// Close fails calls in flight and later with ErrClosed, and waits for the
// handlers running to return.
func (n *Network) Close() {
	n.mu.Lock()
	if !n.mu.closed {
		n.mu.closed = true
		close(n.closed)
	}
	n.mu.Unlock()
	n.wg.Wait()
}

// reachableLocked reports whether a message from from can reach to now,
// leaving the drop rate aside.
func (n *Network) reachableLocked(from, to string) bool {
	if n.mu.down[from] || n.mu.down[to] || n.mu.cut[link{from, to}] {
		return false
	}
	return from == to || !n.mu.isolated[from] && !n.mu.isolated[to]
}

func (n *Network) delayOf(from, to string) time.Duration {
	n.mu.Lock()
	f := n.mu.delayFunc
	d, ok := n.mu.linkDelay[link{from, to}]
	if !ok {
		d = n.mu.delay
	}
	n.mu.Unlock()
	if f != nil {
		return f(from, to)
	}
	return d
}

// transit carries one message from from to to: it waits out the link's
// delay and reports whether the message arrived.
func (n *Network) transit(ctx context.Context, from, to string) bool {
	if d := n.delayOf(from, to); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-n.closed:
			return false
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.closed || !n.reachableLocked(from, to) {
		return false
	}
	return n.mu.drop <= 0 || n.mu.rng.Float64() >= n.mu.drop
}

// delivery is a call's outcome as the caller receives it.
type delivery struct {
	lost bool
	resp []byte
	code codes.Code
	msg  string
}

type netPeer struct {
	n        *Network
	from, to string
}

var _ Peer = (*netPeer)(nil)

func (p *netPeer) call(ctx context.Context, op string, req, resp message) error {
	n := p.n
	n.mu.Lock()
	closed, failFast, timeout := n.mu.closed, n.mu.failFast, n.mu.timeout
	up := n.reachableLocked(p.from, p.to) && n.mu.nodes[p.to] != nil
	if !closed {
		n.wg.Add(1)
	}
	n.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if failFast && !up {
		n.wg.Done()
		return callError(op, p.to, codes.Unavailable, "unreachable")
	}
	// The handler's ctx ends when the call returns, as a gRPC server's
	// does when its client gives up.
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	// Encoded here, before the call returns: the caller may change what
	// it sent once it has the answer, or its deadline.
	reqb := encodeMessage(nil, req)
	done := make(chan delivery, 1)
	go func() {
		defer n.wg.Done()
		done <- n.deliver(ctx, p.from, p.to, op, reqb)
	}()
	select {
	case d := <-done:
		switch {
		case d.lost && failFast:
			return callError(op, p.to, codes.Unavailable, "message lost")
		case d.lost:
			select {
			case <-ctx.Done():
			case <-n.closed:
				return ErrClosed
			}
		case d.resp == nil:
			return callError(op, p.to, d.code, d.msg)
		default:
			if err := decodeMessage(d.resp, resp); err != nil {
				return callError(op, p.to, codes.Internal, err.Error())
			}
			return nil
		}
	case <-ctx.Done():
	case <-n.closed:
		return ErrClosed
	}
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return callError(op, p.to, codes.DeadlineExceeded, err.Error())
	}
	return callError(op, p.to, codes.Canceled, err.Error())
}

func (n *Network) deliver(ctx context.Context, from, to, op string, reqb []byte) delivery {
	if !n.transit(ctx, from, to) {
		return delivery{lost: true}
	}
	n.mu.Lock()
	h := n.mu.nodes[to]
	n.mu.Unlock()
	if h == nil {
		return delivery{lost: true} // no such node: as an address nobody listens on
	}
	var out delivery
	req, _ := newRequest(op)
	if err := decodeMessage(reqb, req); err != nil {
		out.code, out.msg = codes.Internal, err.Error()
	} else if resp, err := h.serve(ctx, op, req, true /* the nodes of a Network run one version */); err != nil {
		out.code, out.msg = errorCode(err), err.Error()
	} else {
		out.resp = encodeMessage(nil, resp)
	}
	if !n.transit(ctx, to, from) {
		return delivery{lost: true}
	}
	return out
}

func (p *netPeer) Apply(ctx context.Context, m *mutation.Mutation) error {
	return p.call(ctx, opApply, &mutationMsg{m: m}, &emptyMsg{})
}

func (p *netPeer) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	var resp partitionMsg
	if err := p.call(ctx, opRead, &readMsg{cmd: cmd}, &resp); err != nil {
		return nil, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.p, nil
}

func (p *netPeer) Digest(ctx context.Context, cmd replication.ReadCommand) ([]byte, error) {
	var resp digestMsg
	if err := p.call(ctx, opDigest, &readMsg{cmd: cmd}, &resp); err != nil {
		return nil, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.digest, nil
}

func (p *netPeer) ReadRange(ctx context.Context, cmd replication.RangeCommand) (replication.RangeResult, error) {
	var resp rangeResultMsg
	if err := p.call(ctx, opReadRange, &rangeMsg{cmd: cmd}, &resp); err != nil {
		return replication.RangeResult{}, err
	}
	passWarnings(ctx, resp.warnings)
	return resp.res, nil
}

func (p *netPeer) ApplyHints(ctx context.Context, ms []mutation.Mutation) error {
	return p.call(ctx, opApplyHints, &mutationsMsg{ms: ms}, &emptyMsg{})
}

func (p *netPeer) SchemaPull(ctx context.Context) ([]mutation.Mutation, error) {
	var resp mutationsMsg
	if err := p.call(ctx, opSchemaPull, &emptyMsg{}, &resp); err != nil {
		return nil, err
	}
	return resp.ms, nil
}

func (p *netPeer) Ping(ctx context.Context) (Version, error) {
	var resp versionMsg
	if err := p.call(ctx, opPing, &emptyMsg{}, &resp); err != nil {
		return Version{}, err
	}
	return resp.v, nil
}

func (p *netPeer) SchemaPush(ctx context.Context, ms []mutation.Mutation) error {
	return p.call(ctx, opSchemaPush, &mutationsMsg{ms: ms}, &emptyMsg{})
}

func (p *netPeer) Call(ctx context.Context, method string, req []byte) ([]byte, error) {
	var resp blobMsg
	if err := p.call(ctx, opCall, &argsMsg{args: []string{method, string(req)}}, &resp); err != nil {
		return nil, err
	}
	return resp.b, nil
}

func (p *netPeer) Admin(ctx context.Context, args []string) ([]byte, error) {
	var resp blobMsg
	if err := p.call(ctx, opAdmin, &argsMsg{args: args}, &resp); err != nil {
		return nil, err
	}
	return resp.b, nil
}
