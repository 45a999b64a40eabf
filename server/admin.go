package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"wcdb/replication"
	"wcdb/ring"
	"wcdb/streaming"
)

// Operators' requests (wcdb admin), served over the internode port's Admin
// call. Answers are JSON of the types below, so that the command line (and
// scripts) decode them without sharing code with the node's internals. The
// same call carries the orders nodes give each other during range
// movements and TRUNCATE (fetch, storehints, truncate): rare, small, and
// opaque to messaging.

// AdminStatus answers ["status"] or ["status", keyspace]: every node the
// answering node knows, as nodetool status shows them.
type AdminStatus struct {
	ClusterName string `json:"cluster_name"`
	// Keyspace is the keyspace Ownership is computed for (effective
	// ownership, replicas included); "" means raw token ownership.
	Keyspace string      `json:"keyspace,omitempty"`
	Nodes    []AdminNode `json:"nodes"`
}

// AdminNode is one node in AdminStatus.
type AdminNode struct {
	HostID string `json:"host_id"`
	// Address is the node's listen address; CQLAddress and
	// InternodeAddress are host:port.
	Address          string `json:"address"`
	CQLAddress       string `json:"cql_address"`
	InternodeAddress string `json:"internode_address"`
	DataCenter       string `json:"datacenter"`
	Rack             string `json:"rack"`
	// Up is the failure detector's verdict; State is NORMAL, JOINING,
	// LEAVING or LEFT.
	Up    bool   `json:"up"`
	State string `json:"state"`
	// LoadBytes is the size of the node's SSTables, -1 when the node
	// could not be asked (down).
	LoadBytes int64 `json:"load_bytes"`
	Tokens    int   `json:"tokens"`
	// Ownership is the fraction of the ring (0-1) the node owns, or for a
	// keyspace holds replicas of.
	Ownership float64 `json:"ownership"`
}

// AdminEndpoints answers ["getendpoints", keyspace, table, key]: the
// replicas of the partition whose key is given as CQL text (for a
// composite partition key, the components separated by ':'), as nodetool
// getendpoints.
type AdminEndpoints struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	Key      string `json:"key"`
	Token    int64  `json:"token"`
	// Endpoints are the replicas' listen addresses, in placement order.
	Endpoints []string `json:"endpoints"`
	HostIDs   []string `json:"host_ids"`
}

// AdminNetstats answers ["netstats"], as nodetool netstats: the node's
// mode and its streaming sessions, running then recently finished.
type AdminNetstats struct {
	// Mode is the node's status: JOINING, NORMAL, LEAVING.
	Mode string `json:"mode"`
	// ThroughputOutbound is the cap on what the node sends, bytes per
	// second; 0 is none.
	ThroughputOutbound int64                   `json:"throughput_outbound"`
	Sessions           []streaming.SessionInfo `json:"sessions"`
}

// Admin requests.

func (c *clusterState) admin(ctx context.Context, args []string) ([]byte, error) {
	if len(args) == 0 {
		return nil, errors.New("empty admin request")
	}
	switch args[0] {
	case "load":
		return json.Marshal(c.load())
	case "status":
		if len(args) > 2 {
			return nil, errors.New("usage: status [keyspace]")
		}
		ks := ""
		if len(args) == 2 {
			ks = args[1]
		}
		st, err := c.status(ctx, ks)
		if err != nil {
			return nil, err
		}
		return json.Marshal(st)
	case "netstats":
		return json.Marshal(c.netstats())
	case "decommission":
		force := len(args) == 2 && args[1] == "force"
		if len(args) > 2 || len(args) == 2 && !force {
			return nil, errors.New("usage: decommission [force]")
		}
		if err := c.decommission(ctx, force); err != nil {
			return nil, err
		}
		return json.Marshal("decommissioned")
	case "removenode":
		if len(args) != 2 {
			return nil, errors.New("usage: removenode HOST_ID|status|force")
		}
		r, err := c.removenode(ctx, args[1])
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	case "cleanup":
		if len(args) > 3 {
			return nil, errors.New("usage: cleanup [KEYSPACE [TABLE]]")
		}
		ks, tbl := "", ""
		if len(args) > 1 {
			ks = args[1]
		}
		if len(args) > 2 {
			tbl = args[2]
		}
		r, err := c.cleanup(ctx, ks, tbl)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	case "rebuild":
		if len(args) != 2 {
			return nil, errors.New("usage: rebuild SOURCE_DC")
		}
		n, err := c.rebuild(ctx, args[1])
		if err != nil {
			return nil, err
		}
		return json.Marshal(n)
	case "storehints":
		if len(args) != 3 {
			return nil, errors.New("usage: storehints TARGET DATA")
		}
		if err := c.storeHints(args[1], args[2]); err != nil {
			return nil, err
		}
		return json.Marshal("stored")
	case "truncate":
		if len(args) != 2 {
			return nil, errors.New("usage: truncate TABLE_ID")
		}
		if err := c.truncateLocal(ctx, args[1]); err != nil {
			return nil, err
		}
		return json.Marshal("truncated")
	case "fetch":
		if len(args) != 2 {
			return nil, errors.New("usage: fetch ORDER")
		}
		if err := c.serveFetchOrder(ctx, args[1]); err != nil {
			return nil, err
		}
		return json.Marshal("fetched")
	case "setstreamthroughput":
		if len(args) != 2 {
			return nil, errors.New("usage: setstreamthroughput BYTES_PER_SECOND")
		}
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("setstreamthroughput: %q is not a non-negative number of bytes per second", args[1])
		}
		c.throttle.SetRate(n)
		c.log.Info("stream throughput changed", "bytes_per_sec", n)
		return json.Marshal(n)
	case "repair":
		return c.repairAdmin(args)
	case "getendpoints":
		if len(args) != 4 {
			return nil, errors.New("usage: getendpoints keyspace table key")
		}
		ep, err := c.endpoints(args[1], args[2], args[3])
		if err != nil {
			return nil, err
		}
		return json.Marshal(ep)
	}
	if b, ok, err := c.ops.Handle(ctx, args); ok {
		return b, err
	}
	return nil, fmt.Errorf("unknown admin request %q", args[0])
}

// load is the size of the node's SSTables.
func (c *clusterState) load() int64 {
	var n int64
	for _, t := range c.engine.Tables() {
		for _, f := range t.Files() {
			n += f.Meta.FileSize
		}
	}
	return n
}

func (c *clusterState) status(ctx context.Context, keyspace string) (*AdminStatus, error) {
	m := c.m.Load()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	rm := m.Ring()
	own := rm.Ownership()
	if keyspace != "" {
		ks := c.exec.Catalog().Keyspace(keyspace)
		if ks == nil {
			return nil, fmt.Errorf("keyspace %q does not exist", keyspace)
		}
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return nil, err
		}
		own = replication.EffectiveOwnership(rm, st)
	}
	nodes := m.Nodes()
	out := &AdminStatus{ClusterName: c.cfg.ClusterName, Keyspace: keyspace, Nodes: make([]AdminNode, len(nodes))}
	var wg sync.WaitGroup
	for i, info := range nodes {
		host, _, _ := net.SplitHostPort(info.InternodeAddr)
		out.Nodes[i] = AdminNode{HostID: string(info.ID), Address: host, CQLAddress: info.CQLAddr,
			InternodeAddress: info.InternodeAddr, DataCenter: info.DC, Rack: info.Rack, Up: info.Alive,
			State: info.Status.String(), LoadBytes: -1, Tokens: len(info.Tokens), Ownership: own[info.ID]}
		switch {
		case info.ID == c.hostID:
			out.Nodes[i].LoadBytes = c.load()
		case info.Alive:
			wg.Add(1)
			go func() {
				defer wg.Done()
				p, err := c.peer(info.ID)
				if err != nil {
					return
				}
				lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				b, err := p.Admin(lctx, []string{"load"})
				var n int64
				if err == nil && json.Unmarshal(b, &n) == nil {
					out.Nodes[i].LoadBytes = n
				}
			}()
		}
	}
	wg.Wait()
	slices.SortFunc(out.Nodes, func(a, b AdminNode) int {
		if a.DataCenter != b.DataCenter {
			return strings.Compare(a.DataCenter, b.DataCenter)
		}
		return compareAddr(a.Address, b.Address)
	})
	return out, nil
}

func compareAddr(a, b string) int {
	x, errA := netip.ParseAddr(a)
	y, errB := netip.ParseAddr(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return x.Compare(y)
}

func (c *clusterState) endpoints(keyspace, table, key string) (*AdminEndpoints, error) {
	m := c.m.Load()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	ks, k, err := c.exec.PartitionKey(keyspace, table, key)
	if err != nil {
		return nil, err
	}
	st, err := replication.ParseStrategy(ks.Replication)
	if err != nil {
		return nil, err
	}
	rm := m.Ring()
	var ids []ring.NodeID
	if _, local := st.(replication.LocalStrategy); local || rm.Len() == 0 {
		ids = []ring.NodeID{c.hostID}
	} else {
		ids = st.Replicas(rm, k.Token)
	}
	out := &AdminEndpoints{Keyspace: keyspace, Table: table, Key: key, Token: int64(k.Token)}
	for _, id := range ids {
		addr := ""
		if info, ok := m.Node(id); ok {
			addr, _, _ = net.SplitHostPort(info.InternodeAddr)
		}
		out.Endpoints = append(out.Endpoints, addr)
		out.HostIDs = append(out.HostIDs, string(id))
	}
	return out, nil
}
