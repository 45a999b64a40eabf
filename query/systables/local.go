// Package systables writes the node-local system tables drivers read to
// learn the cluster: system.local (this node: its address, tokens,
// datacenter, schema version, ...) and system.peers and system.peers_v2
// (the other nodes), from the Topology the node describes itself with.
// The tables themselves are defined with the other system tables in
// package catalog, and written through its Store at consistency ONE.
package systables

import (
	"context"
	"fmt"
	"net"

	"wcdb/query/catalog"
	"wcdb/schema"
)

// What system.local reports.
const (
	// ReleaseVersion is the Cassandra release wcdb presents itself as
	// (system.local and system.peers release_version when the topology
	// gives none): drivers parse it as 4.0.0 and pick their Cassandra 4
	// code paths.
	ReleaseVersion = "4.0.0-wcdb"
	// CQLVersion is the CQL language version.
	CQLVersion            = "3.4.5"
	nativeProtocolVersion = "4"
	partitionerClass      = "org.apache.cassandra.dht.Murmur3Partitioner"
	// defaultStoragePort is reported as the internode port (broadcast_port,
	// listen_port, peers_v2.peer_port).
	defaultStoragePort = 7000
	defaultNativePort  = 9042
)

// Node describes a node for system.local and system.peers.
type Node struct {
	HostID         [16]byte
	Address        []byte // IPv4 or IPv6, 4 or 16 bytes
	RPCAddress     []byte
	RPCPort        int
	DataCenter     string
	Rack           string
	Tokens         []string // decimal tokens
	ReleaseVersion string
	SchemaVersion  [16]byte
	// Down is the failure detector's verdict on a peer. system.peers then
	// shows this node's schema version as the peer's: gocql (1.7) waits
	// after every DDL statement, up to a minute, until every listed peer
	// reports the same version, down ones included, and reads a null
	// version as the zero UUID, so that neither the peer's last version
	// nor null would let DDL finish while a node is down. A down node
	// takes the schema when it is back (it pulls what differs).
	Down bool
}

// Topology tells about the cluster, for system.local and system.peers (the
// executor reads it too: cluster name, datacenters). Implemented by
// server/.
type Topology interface {
	ClusterName() string
	Local() Node
	Peers() []Node
}

// Refresh rewrites system.local, system.peers and system.peers_v2 from
// topo, with the schema version version, at timestamp ts; now is the
// clock in microseconds (gossip_generation). The catalog's DDL lock must
// be held, so that rewrites happen one at a time.
func Refresh(ctx context.Context, st catalog.Store, topo Topology, ts, now int64, version [16]byte) error {
	local := topo.Local()
	peers := topo.Peers()
	localT := catalog.SystemTable("system", "local")
	peersT := catalog.SystemTable("system", "peers")
	peersV2T := catalog.SystemTable("system", "peers_v2")
	b := catalog.NewBatch(ts)
	b.Upsert(localT, []any{"local"}, map[string]any{
		"bootstrapped":            "COMPLETED",
		"broadcast_address":       inetValue(local.Address),
		"broadcast_port":          int32(defaultStoragePort),
		"cluster_name":            topo.ClusterName(),
		"cql_version":             CQLVersion,
		"data_center":             local.DataCenter,
		"gossip_generation":       int32(now / 1e6),
		"host_id":                 schema.UUID(local.HostID),
		"listen_address":          inetValue(local.Address),
		"listen_port":             int32(defaultStoragePort),
		"native_protocol_version": nativeProtocolVersion,
		"partitioner":             partitionerClass,
		"rack":                    local.Rack,
		"release_version":         releaseVersion(local),
		"rpc_address":             inetValue(local.RPCAddress),
		"rpc_port":                int32(nativePort(local)),
		"schema_version":          schema.UUID(version),
		"tokens":                  tokenSet(local.Tokens),
	}, true)
	current := map[string]bool{}
	for _, n := range peers {
		if len(n.Address) == 0 {
			continue
		}
		addr := net.IP(n.Address)
		current[addr.String()] = true
		var sv any
		switch {
		case n.Down:
			sv = schema.UUID(version)
		case n.SchemaVersion != ([16]byte{}):
			sv = schema.UUID(n.SchemaVersion)
		}
		common := map[string]any{
			"data_center":     n.DataCenter,
			"host_id":         schema.UUID(n.HostID),
			"rack":            n.Rack,
			"release_version": releaseVersion(n),
			"schema_version":  sv,
			"tokens":          tokenSet(n.Tokens),
		}
		v1 := map[string]any{"rpc_address": inetValue(n.RPCAddress)}
		v2 := map[string]any{"native_address": inetValue(n.RPCAddress), "native_port": int32(nativePort(n))}
		for k, v := range common {
			v1[k], v2[k] = v, v
		}
		b.Upsert(peersT, []any{addr}, v1, true)
		b.Upsert(peersV2T, []any{addr, int32(defaultStoragePort)}, v2, true)
	}
	// Peers that left.
	for _, t := range []*schema.Table{peersT, peersV2T} {
		rows, _, err := catalog.ReadTable(ctx, st, catalog.SystemKeyspace(), t)
		if err != nil {
			return fmt.Errorf("query: read %s: %w", t.Name, err)
		}
		for _, r := range rows {
			if ip, ok := r["peer"].(net.IP); ok && !current[ip.String()] {
				b.DeletePartition(t, []any{ip})
			}
		}
	}
	if err := b.Apply(ctx, st, catalog.SystemKeyspace()); err != nil {
		return fmt.Errorf("query: write system.local and system.peers: %w", err)
	}
	return nil
}

// RecordSchemaVersion writes the schema version into system.local after a
// schema change, at timestamp ts, and into the rows of the peers topo
// (which may be nil) says are down (see Node.Down). The catalog's DDL lock
// must be held.
func RecordSchemaVersion(ctx context.Context, st catalog.Store, topo Topology, ts int64, v [16]byte) error {
	b := catalog.NewBatch(ts)
	version := schema.UUID(v)
	b.Update(catalog.SystemTable("system", "local"), []any{"local"}, map[string]any{"schema_version": version})
	// Down peers show this node's version (see Node.Down), the new one.
	if topo != nil {
		for _, n := range topo.Peers() {
			if !n.Down || len(n.Address) == 0 {
				continue
			}
			addr := net.IP(n.Address)
			b.Update(catalog.SystemTable("system", "peers"), []any{addr}, map[string]any{"schema_version": version})
			b.Update(catalog.SystemTable("system", "peers_v2"), []any{addr, int32(defaultStoragePort)}, map[string]any{"schema_version": version})
		}
	}
	return b.Apply(ctx, st, catalog.SystemKeyspace())
}

// inetValue is an address as an inet value, null if it is not one.
func inetValue(b []byte) any {
	if len(b) != 4 && len(b) != 16 {
		return nil
	}
	return net.IP(b)
}

// tokenSet is a node's tokens as a set<varchar>, null if none.
func tokenSet(tokens []string) any {
	if len(tokens) == 0 {
		return nil
	}
	out := make([]any, len(tokens))
	for i, t := range tokens {
		out[i] = t
	}
	return out
}

// releaseVersion is what n reports as its release_version.
func releaseVersion(n Node) string {
	if n.ReleaseVersion != "" {
		return n.ReleaseVersion
	}
	return ReleaseVersion
}

// nativePort is the CQL port n reports.
func nativePort(n Node) int {
	if n.RPCPort != 0 {
		return n.RPCPort
	}
	return defaultNativePort
}
