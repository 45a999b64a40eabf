package server

import (
	"context"
	"errors"
	"fmt"

	"wcdb/replication"
	"wcdb/ring"
)

// AdminCleanup answers ["cleanup", keyspace?, table?]: what cleanup did to
// each table (nodetool cleanup).
type AdminCleanup struct {
	Tables []AdminCleanupTable `json:"tables"`
}

// AdminCleanupTable is one table's cleanup.
type AdminCleanupTable struct {
	Keyspace          string `json:"keyspace"`
	Table             string `json:"table"`
	Files             int    `json:"files"`
	FilesRewritten    int    `json:"files_rewritten"`
	FilesDropped      int    `json:"files_dropped"`
	BytesBefore       int64  `json:"bytes_before"`
	BytesAfter        int64  `json:"bytes_after"`
	PartitionsDropped int64  `json:"partitions_dropped"`
}

// ownedTokens returns whether this node holds a replica of a token of
// keyspace strategy st on ring r: per ring token index, whether the range
// it ends is this node's.
func ownedTokens(st replication.Strategy, r *ring.Metadata, self ring.NodeID) func(int64) bool {
	mine := make([]bool, r.Len())
	for i := range r.Len() {
		for _, id := range st.Replicas(r, r.TokenAt(i)) {
			if id == self {
				mine[i] = true
				break
			}
		}
	}
	return func(t int64) bool { return mine[r.Search(t)] }
}

// cleanup drops from this node's SSTables the partitions of ranges it no
// longer replicates (after other nodes joined), table by table; keyspace
// and table, if set, narrow it. Refused while a range movement is in
// progress, as Cassandra refuses it: pending ranges may still be needed.
func (c *clusterState) cleanup(ctx context.Context, keyspace, table string) (*AdminCleanup, error) {
	m := c.m.Load()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	r := m.Ring()
	if m.FutureRing() != r {
		return nil, errors.New("a node is joining, leaving or being replaced: cleanup is not safe until it is done")
	}
	if _, ok := r.Node(c.hostID); !ok {
		return nil, errors.New("this node owns no ranges")
	}
	cat := c.exec.Catalog()
	names := cat.Keyspaces()
	if keyspace != "" {
		if cat.Keyspace(keyspace) == nil {
			return nil, fmt.Errorf("keyspace %q does not exist", keyspace)
		}
		names = []string{keyspace}
	}
	out := &AdminCleanup{}
	found := false
	for _, name := range names {
		st, err := replication.ParseStrategy(cat.Keyspace(name).Replication)
		if err != nil {
			return nil, err
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		owned := ownedTokens(st, r, c.hostID)
		for _, t := range cat.Tables(name) {
			if table != "" && t.Name != table {
				continue
			}
			found = true
			s := c.engine.Table(t.ID)
			if s == nil {
				continue
			}
			cs, err := s.Cleanup(ctx, owned)
			if err != nil {
				return out, fmt.Errorf("cleanup of %s.%s: %w", name, t.Name, err)
			}
			out.Tables = append(out.Tables, AdminCleanupTable{Keyspace: name, Table: t.Name, Files: cs.Files,
				FilesRewritten: cs.FilesRewritten, FilesDropped: cs.FilesDropped, BytesBefore: cs.BytesBefore,
				BytesAfter: cs.BytesAfter, PartitionsDropped: cs.PartitionsDropped})
		}
	}
	if table != "" && !found {
		return nil, fmt.Errorf("table %s.%s does not exist", keyspace, table)
	}
	return out, nil
}
