package server

import "wcdb/streaming"

// Operators' requests (wcdb admin), served over the internode port's Admin
// call. Answers are JSON of the types below, so that the command line (and
// scripts) decode them without sharing code with the node's internals.

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
