package query

// This file builds an Executor on the catalog (package catalog holds the
// system keyspaces and the user schema in system_schema) and keeps
// system.local and system.peers (package systables) up to date.

import (
	"context"
	"errors"

	"wcdb/mutation"
	"wcdb/query/catalog"
	"wcdb/query/systables"
)

// New returns the executor of a node: it defines the system keyspaces,
// creates (or reopens) the storage of every table through cfg.Backend,
// loads the user schema from system_schema, records the system keyspaces'
// own schema there (as Cassandra rewrites it at every start), and writes
// system.local and system.peers from cfg.Topology.
func New(ctx context.Context, cfg Config) (*Executor, error) {
	if cfg.Coordinator == nil || cfg.Backend == nil || cfg.Topology == nil {
		return nil, errors.New("query: Config needs a Coordinator, a Backend and a Topology")
	}
	x := &Executor{cfg: cfg, catalog: catalog.New()}
	x.initAccess()
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	if err := x.catalog.OpenLocked(ctx, cfg.Coordinator, cfg.Backend, x.now); err != nil {
		return nil, err
	}
	if err := x.refreshTopologyLocked(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

// ddlTimestampLocked returns the timestamp of a schema change: the
// client's (opts.Timestamp, when given) or the clock's, and always above
// the last one, so that a change never loses to an earlier one. The ddl
// lock must be held.
func (x *Executor) ddlTimestampLocked(opts *Options) int64 {
	ts := x.now()
	if opts != nil && opts.Timestamp != mutation.NoTimestamp && opts.Timestamp > 0 {
		ts = opts.Timestamp
	}
	return x.catalog.NextTimestampLocked(ts)
}

// system.local and system.peers.

// RefreshTopology rewrites system.local, system.peers and system.peers_v2
// from the topology (the server calls it when the cluster's membership or
// a node's metadata changes).
func (x *Executor) RefreshTopology(ctx context.Context) error {
	x.catalog.LockDDL()
	defer x.catalog.UnlockDDL()
	return x.refreshTopologyLocked(ctx)
}

func (x *Executor) refreshTopologyLocked(ctx context.Context) error {
	ts := x.ddlTimestampLocked(nil)
	return systables.Refresh(ctx, x.cfg.Coordinator, x.cfg.Topology, ts, x.now(), x.catalog.Version())
}

// recordSchemaVersionLocked writes the catalog's version into
// system.local after a schema change.
func (x *Executor) recordSchemaVersionLocked(ctx context.Context) error {
	return systables.RecordSchemaVersion(ctx, x.cfg.Coordinator, x.cfg.Topology, x.ddlTimestampLocked(nil), x.catalog.Version())
}
