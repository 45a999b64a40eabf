// Package localcluster is the local multi-process cluster behind wcdb
// cluster: wcdb server processes on one machine, one loopback address each
// (127.0.0.1, 127.0.0.2, ...), so that every node keeps the default ports,
// as ccm does for Cassandra. It is for trying replication and failures out
// and for tests, not for production.
//
// It drives the nodes through their command line (the binary, wcdb by
// default, started as wcdb server) and reaches running nodes through an
// Admin the caller passes (cmd/wcdb passes its wcdb admin client); it
// imports none of the node's packages.
//
// The cluster lives in one directory:
//
//	DIR/cluster.json      what Up started (see State)
//	DIR/nodeI/data/       node I's data directory
//	DIR/nodeI/wcdb.log    its stdout and stderr (appended to by every start)
//	DIR/nodeI/pid         its process id while it runs
//
// The processes run in sessions of their own, so they outlive the command
// and a Ctrl-C at the terminal that started them; Down stops them.
//
// Errors: a *UsageError is a mistake in the options (wcdb exits 2 for it);
// an error made by errors.Join holds several, one message each.
package localcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"time"

	"wcdb/internal/vfs"
)

// Limits and defaults of a local cluster: one address per node, within
// 127.0.0.1-127.0.0.9 (addresses every Linux machine has; macOS needs
// aliases on lo0 beyond 127.0.0.1).
const (
	MaxNodes            = 9
	DefaultDir          = "./wcdb-cluster"
	DefaultStopTimeout  = 30 * time.Second
	DefaultStartTimeout = 60 * time.Second
)

// UsageError is an option the cluster commands refuse before doing
// anything.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErr(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// State is DIR/cluster.json, written by Up and Remove and read by Status
// (Down needs only the pid files). JSON, indented:
//
//	{"version": 1, "binary": "/usr/local/bin/wcdb", "num_tokens": 16,
//	 "cql_port": 9042, "gossip_port": 7946, "internode_port": 7000,
//	 "nodes": [{"name": "node1", "address": "127.0.0.1",
//	            "datacenter": "dc1", "rack": "rack1"}, ...]}
//
// Every node uses the same three ports on its own address. A version
// other than StateVersion is refused rather than guessed at.
type State struct {
	Version       int    `json:"version"`
	Binary        string `json:"binary"`
	NumTokens     int    `json:"num_tokens"`
	CQLPort       int    `json:"cql_port"`
	GossipPort    int    `json:"gossip_port"`
	InternodePort int    `json:"internode_port"`
	Nodes         []Node `json:"nodes"`
	// TLS: the cluster was started with TLS (tls.go).
	TLS bool `json:"tls,omitempty"`
}

// StateVersion is the version of cluster.json this package writes.
const StateVersion = 1

// Node is one node of a State.
type Node struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	DataCenter string `json:"datacenter"`
	Rack       string `json:"rack"`
	// Removed: the node was decommissioned (Remove) and its data
	// deleted; Up starts it afresh, as a new node.
	Removed bool `json:"removed,omitempty"`
}

// Plan lays n nodes out on consecutive addresses from first: with one
// datacenter all are in datacenter1 (the single-node default), with two
// odd nodes go to dc1 and even ones to dc2.
func Plan(n, dcs int, first netip.Addr) ([]Node, error) {
	switch {
	case n < 1 || n > MaxNodes:
		return nil, fmt.Errorf("--nodes %d: a local cluster has 1 to %d nodes", n, MaxNodes)
	case dcs != 1 && dcs != 2:
		return nil, fmt.Errorf("--dcs %d: want 1 or 2", dcs)
	case dcs == 2 && n < 2:
		return nil, errors.New("--dcs 2 needs at least 2 nodes")
	case !first.Is4() || first.As4()[0] != 127 || first.As4()[1] != 0 || first.As4()[2] != 0 || first.As4()[3] == 0:
		return nil, fmt.Errorf("first address %s is not one of 127.0.0.1-127.0.0.%d", first, MaxNodes)
	case int(first.As4()[3])+n-1 > MaxNodes:
		return nil, fmt.Errorf("%d nodes from %s run past 127.0.0.%d", n, first, MaxNodes)
	}
	nodes := make([]Node, n)
	addr := first
	for i := range nodes {
		dc := "datacenter1"
		if dcs == 2 {
			dc = "dc" + strconv.Itoa(i%2+1)
		}
		nodes[i] = Node{Name: "node" + strconv.Itoa(i+1), Address: addr.String(), DataCenter: dc, Rack: "rack1"}
		addr = addr.Next()
	}
	return nodes, nil
}

// serverArgs are the arguments node i is started with: its own address,
// node 1 as the seed, gossip timings for one machine and a short ring
// delay, so that a local cluster forms in seconds.
func (st *State) serverArgs(dir string, i int) []string {
	n := st.Nodes[i]
	args := []string{"server",
		"--data-dir", filepath.Join(dir, n.Name, "data"),
		"--listen-address", n.Address,
		"--cql-port", strconv.Itoa(st.CQLPort),
		"--gossip-port", strconv.Itoa(st.GossipPort),
		"--internode-port", strconv.Itoa(st.InternodePort),
		"--seeds", net.JoinHostPort(st.Nodes[0].Address, strconv.Itoa(st.GossipPort)),
		"--gossip-profile", "local",
		"--ring-delay", "1s",
		"--dc", n.DataCenter,
		"--rack", n.Rack,
		"--num-tokens", strconv.Itoa(st.NumTokens),
	}
	if st.TLS {
		args = append(args, "--config", nodeConfigPath(dir, n))
	}
	return args
}

// CQLAddress is node i's CQL address, host:port.
func (st *State) CQLAddress(i int) string {
	return net.JoinHostPort(st.Nodes[i].Address, strconv.Itoa(st.CQLPort))
}

// InternodeAddress is node i's internode address, host:port (where wcdb
// admin reaches it).
func (st *State) InternodeAddress(i int) string {
	return net.JoinHostPort(st.Nodes[i].Address, strconv.Itoa(st.InternodePort))
}

func writeState(dir string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(vfs.Default, filepath.Join(dir, "cluster.json"), append(b, '\n'))
}

// readState reads dir's cluster.json; for a TLS cluster it also makes
// this process reach the nodes through the cluster's certificates
// (useTLS).
func readState(dir string) (*State, error) {
	b, err := vfs.ReadFile(vfs.Default, filepath.Join(dir, "cluster.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no cluster in %s (no cluster.json; wcdb cluster up makes one)", dir)
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, "cluster.json"), err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("%s: version %d, this wcdb reads version %d", filepath.Join(dir, "cluster.json"), st.Version, StateVersion)
	}
	if st.TLS {
		if err := useTLS(dir); err != nil {
			return nil, fmt.Errorf("the cluster's certificates: %w", err)
		}
	}
	return &st, nil
}
