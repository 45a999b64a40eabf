package cluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"time"

	"wcdb/ring"
)

// Default ports, as Cassandra's.
const (
	DefaultGossipPort    = 7946
	DefaultCQLPort       = 9042
	DefaultInternodePort = 7000
)

// Config configures a node's membership. Start from DefaultConfig (or
// DefaultLocalConfig for tests on one machine) and set NodeID; Join
// validates the rest.
type Config struct {
	// NodeID is the node's host id, a UUID in text form
	// ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"), which names the node in
	// gossip, on the ring and in system.peers. It must outlive restarts
	// and address changes: make one with NewHostID the first time and keep
	// it with SaveState. Required.
	NodeID ring.NodeID

	// ClusterName is the name every node of the cluster shares (Cassandra's
	// cluster_name). A node refuses to merge with, and to accept gossip
	// from, a node advertising another name, so two clusters sharing a
	// network cannot join by mistake. Default "Test Cluster", as
	// Cassandra's. At most 64 bytes.
	ClusterName string

	// DataCenter and Rack place the node for replica placement
	// (NetworkTopologyStrategy) and token allocation, as a snitch would.
	// Defaults "datacenter1" and "rack1". At most 64 bytes each.
	DataCenter string
	Rack       string

	// BindAddr is the IP address gossip listens on (UDP and TCP), and
	// GossipPort its port. The default, 127.0.0.1, suits a single node, as
	// Cassandra's listen_address: localhost does; a cluster across hosts
	// sets the host's address (or 0.0.0.0 with AdvertiseAddr). GossipPort
	// 0 picks a free port, which Local().GossipAddr reports (for tests).
	// Default port 7946.
	BindAddr   string
	GossipPort int

	// AdvertiseAddr and AdvertisePort are the address other nodes reach
	// this one's gossip at, when it differs from the bind address (NAT, or
	// binding 0.0.0.0). Empty and 0 mean BindAddr (or, for 0.0.0.0, a
	// private address of the host) and GossipPort.
	AdvertiseAddr string
	AdvertisePort int

	// Seeds are the gossip addresses (host:port) of nodes to join through.
	// A node keeps retrying its seeds while Join's context allows, and
	// starts a cluster of its own only if it has no seeds or is one of
	// them; a seed that started alone keeps contacting the other seeds
	// every PushPullInterval, so that seeds started apart merge.
	Seeds []string

	// NumTokens is how many vnode tokens the node takes when it joins the
	// ring for the first time (num_tokens). Default 16. Ignored when
	// Tokens is set.
	NumTokens int

	// Tokens are the node's tokens when it already has some: a restarted
	// node keeps its tokens (LoadState gives them back) and goes NORMAL at
	// once, unless Joining. Empty means allocate NumTokens tokens on
	// joining.
	Tokens []ring.Token

	// Bootstrap makes Join leave a node that takes tokens in an existing
	// cluster JOINING, its tokens announced and RingDelay waited, so that
	// the caller can fetch the data of its new ranges (Cassandra's
	// bootstrap) and then call SetStatus(StatusNormal). Without it the
	// node turns NORMAL by itself after RingDelay. A node that starts a
	// cluster alone has nothing to fetch and is NORMAL either way.
	Bootstrap bool

	// Joining, with Tokens, restarts a node whose bootstrap did not
	// finish: it comes back JOINING with its tokens (and, with Bootstrap,
	// Join returns it JOINING after RingDelay) instead of NORMAL.
	Joining bool

	// ReplaceAddress, for a node starting without tokens, names a dead
	// node (by its address, gossip or internode host) whose tokens this
	// one takes (Cassandra's replace_address): it joins JOINING with them,
	// a pending replica of the dead node's ranges, and once NORMAL the dead
	// node is out of the ring. Refused if the node there is alive.
	ReplaceAddress string

	// Replacing, with Tokens and Joining, resumes a replacement that did
	// not finish: the host id of the node replaced.
	Replacing ring.NodeID

	// BeforeTokens, if set, runs once the node is in gossip and before it
	// announces tokens as JOINING (allocated ones, or those of a join it
	// resumes); an error stops the join. The server takes the cluster's
	// schema there, so that the node can apply writes for every table from
	// the moment coordinators count it a pending replica.
	BeforeTokens func(ctx context.Context, m *Membership) error

	// AllocationRF is the replication factor token allocation balances
	// the replicated load for (Cassandra's
	// allocate_tokens_for_local_replication_factor). Default 3.
	AllocationRF int

	// CQLAddress and InternodeAddress are advertised for clients (system.
	// peers' rpc_address) and for the internode gRPC service, as host:port.
	// An empty host means the advertised gossip address. Defaults ":9042"
	// and ":7000".
	CQLAddress       string
	InternodeAddress string

	// ReleaseVersion is the software version advertised (system.peers'
	// release_version). Default DefaultReleaseVersion. At most 64 bytes.
	ReleaseVersion string

	// SchemaVersion is the node's schema version at start; see
	// Membership.SetSchemaVersion for changes.
	SchemaVersion [16]byte

	// ProbeInterval is how often the failure detector probes a random
	// node, and ProbeTimeout how long it waits for the ack before probing
	// indirectly through other nodes. A node that fails a probe is
	// suspect; if no one refutes the suspicion within SuspicionMult *
	// log10(nodes) * ProbeInterval (at least SuspicionMult *
	// ProbeInterval), it is dead: Alive turns false and DownSince is set.
	// Defaults, from memberlist's LAN configuration: 1 s, 500 ms, 4.
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
	SuspicionMult int

	// GossipInterval is how often a node gossips recent changes (status,
	// schema version, deaths) to a few random nodes; changes reach
	// everyone within a few intervals. Default 200 ms.
	GossipInterval time.Duration

	// PushPullInterval is how often a node exchanges its full state with a
	// random node (anti-entropy), and contacts seeds it is not connected
	// to. Default 30 s.
	PushPullInterval time.Duration

	// TCPTimeout bounds a stream connection (join, push/pull, TCP probe).
	// Default 10 s.
	TCPTimeout time.Duration

	// BroadcastTimeout bounds how long SetSchemaVersion, SetStatus and
	// Leave wait for their change to be sent to another node. Default 5 s.
	BroadcastTimeout time.Duration

	// SettlePeriod is how long the gossip view must stay unchanged (no node
	// joining, leaving, or changing status or tokens) before a joining
	// node allocates its tokens. It must exceed a few GossipIntervals, so
	// that two nodes joining at once see each other before either
	// allocates (see the package documentation). Default 5 s.
	SettlePeriod time.Duration

	// RingDelay is how long a joining node advertises its new tokens in
	// status JOINING before turning NORMAL (Cassandra's ring_delay), so
	// that every node knows them before it takes writes. Default 30 s,
	// as Cassandra's. A node alone (no seeds but possibly itself) skips
	// both waits.
	RingDelay time.Duration

	// EventBuffer is how many events may wait for subscribers. Gossip
	// never waits for a subscriber: when the buffer is full, new events
	// are dropped and counted (Membership.DroppedEvents). Default 4096.
	EventBuffer int

	// EncryptionKeys encrypt and authenticate gossip (memberlist's
	// keyring: AES-GCM, with ClusterName as the packets' authenticated
	// label). The first key encrypts what the node sends; every key is
	// tried on what it receives, so a key is rotated by adding the new
	// one second on every node, then moving it first, then dropping the
	// old one. Each is 16, 24 or 32 bytes (AES-128, -192, -256). Empty:
	// gossip travels in clear and anyone who reaches the port may join.
	EncryptionKeys [][]byte

	// Logger receives membership and memberlist logs. Default
	// slog.Default().
	Logger *slog.Logger
}

// DefaultReleaseVersion is the release version advertised by default.
const DefaultReleaseVersion = "wcdb-0.1"

// DefaultConfig returns the defaults for a node on a LAN: memberlist's LAN
// timings, Cassandra's names and ports. NodeID is left for the caller.
func DefaultConfig() Config {
	return Config{
		ClusterName:      "Test Cluster",
		DataCenter:       "datacenter1",
		Rack:             "rack1",
		BindAddr:         "127.0.0.1",
		GossipPort:       DefaultGossipPort,
		NumTokens:        ring.DefaultNumTokens,
		AllocationRF:     3,
		CQLAddress:       ":" + strconv.Itoa(DefaultCQLPort),
		InternodeAddress: ":" + strconv.Itoa(DefaultInternodePort),
		ReleaseVersion:   DefaultReleaseVersion,
		ProbeInterval:    time.Second,
		ProbeTimeout:     500 * time.Millisecond,
		SuspicionMult:    4,
		GossipInterval:   200 * time.Millisecond,
		PushPullInterval: 30 * time.Second,
		TCPTimeout:       10 * time.Second,
		BroadcastTimeout: 5 * time.Second,
		SettlePeriod:     5 * time.Second,
		RingDelay:        30 * time.Second,
		EventBuffer:      4096,
	}
}

// DefaultLocalConfig returns DefaultConfig with timings for nodes on one
// machine (tests, a laptop cluster): failures are detected in well under a
// second, changes spread in tens of milliseconds, and a joining node turns
// NORMAL within about half a second. GossipPort is 0 (a free port).
func DefaultLocalConfig() Config {
	c := DefaultConfig()
	c.GossipPort = 0
	c.ProbeInterval = 100 * time.Millisecond
	c.ProbeTimeout = 50 * time.Millisecond
	c.SuspicionMult = 3
	c.GossipInterval = 20 * time.Millisecond
	c.PushPullInterval = time.Second
	c.TCPTimeout = time.Second
	c.BroadcastTimeout = time.Second
	c.SettlePeriod = 250 * time.Millisecond
	c.RingDelay = 100 * time.Millisecond
	return c
}

// NewHostID returns a new random host id (a version 4 UUID).
func NewHostID() ring.NodeID {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return ring.NodeID(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}

// validHostID reports whether id is a UUID in canonical text form.
func validHostID(id ring.NodeID) bool {
	if len(id) != 36 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Validate reports the first problem with c, or nil.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("cluster: config: "+format, args...)
	}
	hostPort := func(name, s string, hostRequired bool) error {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			return bad("%s %q: %v", name, s, err)
		}
		if hostRequired && host == "" {
			return bad("%s %q has no host", name, s)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return bad("%s %q: port must be 1-65535", name, s)
		}
		if len(s) > maxString {
			return bad("%s %q longer than %d bytes", name, s, maxString)
		}
		return nil
	}
	switch {
	case c.NodeID == "":
		return bad("NodeID is required (see NewHostID)")
	case !validHostID(c.NodeID):
		return bad("NodeID %q is not a UUID", c.NodeID)
	case c.ClusterName == "" || len(c.ClusterName) > maxString:
		return bad("ClusterName must be 1-%d bytes", maxString)
	case c.DataCenter == "" || len(c.DataCenter) > maxString:
		return bad("DataCenter must be 1-%d bytes", maxString)
	case c.Rack == "" || len(c.Rack) > maxString:
		return bad("Rack must be 1-%d bytes", maxString)
	case len(c.ReleaseVersion) > maxString:
		return bad("ReleaseVersion longer than %d bytes", maxString)
	case net.ParseIP(c.BindAddr) == nil:
		return bad("BindAddr %q is not an IP address", c.BindAddr)
	case c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil:
		return bad("AdvertiseAddr %q is not an IP address", c.AdvertiseAddr)
	case c.GossipPort < 0 || c.GossipPort > 65535:
		return bad("GossipPort %d out of range 0-65535", c.GossipPort)
	case c.AdvertisePort < 0 || c.AdvertisePort > 65535:
		return bad("AdvertisePort %d out of range 0-65535", c.AdvertisePort)
	case len(c.Tokens) == 0 && (c.NumTokens < 1 || c.NumTokens > ring.MaxNumTokens):
		return bad("NumTokens %d out of range 1-%d", c.NumTokens, ring.MaxNumTokens)
	case len(c.Tokens) > ring.MaxNumTokens:
		return bad("%d tokens, more than %d", len(c.Tokens), ring.MaxNumTokens)
	case c.AllocationRF < 1:
		return bad("AllocationRF %d must be at least 1", c.AllocationRF)
	case c.ProbeInterval <= 0 || c.ProbeTimeout <= 0:
		return bad("ProbeInterval and ProbeTimeout must be positive")
	case c.ProbeTimeout >= c.ProbeInterval:
		return bad("ProbeTimeout %v must be shorter than ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval)
	case c.SuspicionMult < 1:
		return bad("SuspicionMult %d must be at least 1", c.SuspicionMult)
	case c.GossipInterval <= 0 || c.PushPullInterval <= 0 || c.TCPTimeout <= 0 || c.BroadcastTimeout <= 0:
		return bad("GossipInterval, PushPullInterval, TCPTimeout and BroadcastTimeout must be positive")
	case c.SettlePeriod < 0 || c.RingDelay < 0:
		return bad("SettlePeriod and RingDelay must not be negative")
	case c.EventBuffer < 1:
		return bad("EventBuffer %d must be at least 1", c.EventBuffer)
	}
	for i, k := range c.EncryptionKeys {
		if n := len(k); n != 16 && n != 24 && n != 32 {
			return bad("encryption key %d is %d bytes, not 16, 24 or 32", i+1, n)
		}
	}
	if err := hostPort("CQLAddress", c.CQLAddress, false); err != nil {
		return err
	}
	if err := hostPort("InternodeAddress", c.InternodeAddress, false); err != nil {
		return err
	}
	for _, s := range c.Seeds {
		if err := hostPort("seed", s, true); err != nil {
			return err
		}
	}
	if len(c.Tokens) > 0 {
		ts := slices.Sorted(slices.Values(c.Tokens))
		for i, t := range ts {
			if t == ring.MinToken {
				return bad("token %d is reserved", t)
			}
			if i > 0 && ts[i-1] == t {
				return bad("token %d appears twice", t)
			}
		}
	}
	return nil
}
