package cluster

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"wcdb/ring"
)

// NodeInfo is what the local node knows of a member: what it advertises,
// and the failure detector's verdict.
type NodeInfo struct {
	ID ring.NodeID
	// GossipAddr, CQLAddr and InternodeAddr are host:port addresses.
	GossipAddr    string
	CQLAddr       string
	InternodeAddr string
	DC, Rack      string
	// Tokens are the node's tokens, ascending; nil while it has none, or
	// while they travel (external tokens, see the package documentation)
	// and have not arrived. Shared: do not modify.
	Tokens         []ring.Token
	Status         Status
	SchemaVersion  [16]byte
	ReleaseVersion string
	// Movement is what the node announces it does to another node's place
	// on the ring (removenode, replace); Kind 0 when nothing.
	Movement Movement
	// Alive is the failure detector's verdict: false once memberlist has
	// declared the node dead (after suspicion) or it left.
	Alive bool
	// DownSince is when the node was last seen going down (dead or left);
	// zero while it is alive.
	DownSince time.Time
}

// EventType says what happened to a node.
type EventType uint8

const (
	// NodeJoined: a node is seen for the first time, or again after it
	// left.
	NodeJoined EventType = iota + 1
	// NodeUp: a node that was down is alive again.
	NodeUp
	// NodeDown: the failure detector declared a node dead.
	NodeDown
	// NodeLeft: a node left the cluster gracefully (Leave); it is out of
	// the ring.
	NodeLeft
	// NodeUpdated: a node's metadata changed: status, tokens, schema
	// version, addresses, release version. Event.Prev has the old values.
	NodeUpdated
)

func (t EventType) String() string {
	switch t {
	case NodeJoined:
		return "NodeJoined"
	case NodeUp:
		return "NodeUp"
	case NodeDown:
		return "NodeDown"
	case NodeLeft:
		return "NodeLeft"
	case NodeUpdated:
		return "NodeUpdated"
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// Event is a change of a node, the local one included.
type Event struct {
	Type EventType
	// Node is the node after the change.
	Node NodeInfo
	// Prev is the node before a NodeUpdated.
	Prev NodeInfo
}

func (e Event) String() string {
	return fmt.Sprintf("%v %s (%v)", e.Type, e.Node.ID, e.Node.Status)
}

// eventQueue hands events to subscribers from one goroutine, in the order
// they were pushed. push never blocks: past cap waiting events, it drops
// and counts.
type eventQueue struct {
	mu struct {
		sync.Mutex
		q       []Event
		subs    []*subscriber
		dropped uint64
		closed  bool
	}
	wake chan struct{} // capacity 1
	cap  int
}

type subscriber struct{ fn func(Event) }

func newEventQueue(capacity int) *eventQueue {
	return &eventQueue{wake: make(chan struct{}, 1), cap: capacity}
}

func (q *eventQueue) push(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	q.mu.Lock()
	if q.mu.closed || len(q.mu.subs) == 0 {
		// Nobody to tell; Nodes gives the state to whoever subscribes later.
		q.mu.Unlock()
		return
	}
	for _, e := range evs {
		if len(q.mu.q) >= q.cap {
			q.mu.dropped++
			continue
		}
		q.mu.q = append(q.mu.q, e)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) subscribe(fn func(Event)) func() {
	s := &subscriber{fn: fn}
	q.mu.Lock()
	q.mu.subs = append(q.mu.subs, s)
	q.mu.Unlock()
	return func() {
		q.mu.Lock()
		q.mu.subs = slices.DeleteFunc(q.mu.subs, func(x *subscriber) bool { return x == s })
		q.mu.Unlock()
	}
}

func (q *eventQueue) dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.mu.dropped
}

// run delivers events until quit is closed; events still waiting then are
// dropped.
func (q *eventQueue) run(quit <-chan struct{}) {
	defer func() {
		q.mu.Lock()
		q.mu.closed = true
		q.mu.q = nil
		q.mu.Unlock()
	}()
	for {
		select {
		case <-quit:
			return
		case <-q.wake:
		}
		for {
			select {
			case <-quit:
				return
			default:
			}
			q.mu.Lock()
			if len(q.mu.q) == 0 {
				q.mu.Unlock()
				break
			}
			e := q.mu.q[0]
			q.mu.q[0] = Event{}
			q.mu.q = q.mu.q[1:]
			subs := slices.Clone(q.mu.subs)
			q.mu.Unlock()
			for _, s := range subs {
				s.fn(e)
			}
		}
	}
}
