// Package cluster is a node's membership of a wcdb cluster: who the other
// nodes are, where they live, what they advertise, whether they are up,
// and the token ring all of that makes. It runs over hashicorp/memberlist
// (SWIM gossip and failure detection) and imports only ring.
//
// A node calls Join with a Config; the Membership it gets answers Ring,
// Alive, DownSince, Nodes and Local, changes what the node advertises
// (SetSchemaVersion, SetStatus), reports changes to subscribers
// (Subscribe), and leaves (Leave) or stops (Shutdown).
//
// # Serving the coordinator
//
// replication.Cluster takes Ring, Alive and DownSince from here as they
// are, and Replica from messaging; server adapts the two:
//
//	type clusterView struct {
//		*cluster.Membership
//		replicas *messaging.Pool
//	}
//
//	func (c clusterView) Local() ring.NodeID { return c.ID() }
//	func (c clusterView) Replica(id ring.NodeID) replication.Replica { ... }
//
// Ring returns a shared immutable ring, replaced only when gossip changes
// it; Alive and DownSince read an atomic snapshot. None takes a lock.
//
// # What a node advertises
//
// Each node's memberlist metadata carries, in a compact versioned encoding
// (see nodeMeta): its status, schema version, cluster name, datacenter,
// rack, release version, CQL and internode addresses, and its tokens.
// memberlist limits metadata to 512 bytes; 16 tokens take 128 and the whole
// about 220. Tokens that would not fit (a NumTokens of about 30 or more,
// or unusually long names) are "external": the metadata then holds their
// count and a hash, and the tokens travel in memberlist's push/pull state
// (Delegate.LocalState and MergeRemoteState), from the owner and from
// every node holding a copy. A node that sees a hash it has no tokens for
// asks the owner for a push/pull at once, so they arrive in a round trip,
// and leaves the node out of its ring until they do. Metadata was chosen
// for the common case because every alive message carries it: a node's
// tokens reach everyone with no extra exchange. The push/pull state also
// carries nodes that are down (memberlist forgets a dead node after a
// while and never tells a newcomer, but a down node keeps its tokens) and,
// for a while, nodes that left.
//
// # Status and the ring
//
// A node is JOINING until it owns tokens, then NORMAL; LEAVING while it
// hands them over; LEFT just before it leaves memberlist (Leave), which is
// how the others tell a leave from a failure: memberlist reports both
// alike. The ring (Ring) holds the NORMAL and LEAVING nodes, down or not;
// a node that left, or JOINING, is not in it. Should two nodes claim a
// token, every node resolves it alike from gossip alone: owners before
// JOINING nodes, then the smaller id, and the other node is left out of
// the ring (and, if JOINING, allocates again).
//
// # Token allocation
//
// A node joining without tokens allocates them with ring.AllocateTokens,
// balanced against every token already claimed. Two nodes allocating
// against the same ring would get the same tokens (the allocation is
// deterministic), so allocation takes turns:
//
//  1. The node waits until its gossip view has been still (no node joining,
//     leaving, dying, or changing status or tokens) for SettlePeriod, so
//     that it knows every node about to allocate.
//  2. Among the alive nodes that are JOINING without tokens, the one of
//     smallest host id goes first; the others wait until it announces its
//     tokens, which changes their view and so restarts step 1.
//  3. The node allocates against the ring of every claimed token (NORMAL,
//     LEAVING and JOINING nodes with tokens), announces its tokens as
//     JOINING, waits RingDelay (Cassandra's ring_delay), and turns NORMAL.
//
// The settle period is what makes step 2 safe: it must exceed the time
// gossip takes to reach every node (a few GossipIntervals). If it did not,
// the collision rule above would still keep the rings consistent. A node
// with no seeds but itself and no one else in sight skips both waits.
//
// A restarted node keeps its host id and tokens (LoadState, SaveState; the
// caller persists State after Join) and is NORMAL at once.
//
// # Failure detection
//
// The verdict is memberlist's: a node that misses a probe is suspect, and
// dead when no one refutes the suspicion in time (see Config's
// ProbeInterval). A suspect node still counts as alive, as memberlist
// counts it; DownSince is set when it is declared dead, or leaves. With
// DefaultLocalConfig a stopped node is down within about half a second.
//
// # Events
//
// NodeJoined, NodeUp, NodeDown, NodeLeft and NodeUpdated (status, tokens,
// schema version, addresses) reach subscribers in order, from one
// goroutine. Gossip never waits for them: events queue up to EventBuffer
// and past that are dropped and counted (DroppedEvents); a subscriber that
// falls behind can resynchronize from Nodes.
package cluster
