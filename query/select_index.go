package query

import (
	"wcdb/mutation"
	"wcdb/replication"
)

// rereadIndexed returns a partition a scan through a secondary index gave
// (docs/INDEXES.md), read again at the consistency level when that asks
// for more than one replica: a replica answers only what its own index
// lists, so one holding a newer, non-matching value would not answer the
// partition and the old value from another would pass the filters
// (Cassandra's replica filtering protection). The whole partition is read
// once; its later pieces in the scan are skipped (nil).
func (e *selectExec) rereadIndexed(part *mutation.Partition) (*mutation.Partition, error) {
	switch e.cl {
	case replication.One, replication.LocalOne, replication.Any:
		return part, nil
	}
	if e.reread != nil && e.reread.Equal(part.Key) {
		return nil, nil
	}
	k := part.Key
	e.reread = &k
	cmd := replication.ReadOf(e.p.Keyspace, e.p.Table, part.Key)
	cmd.Start, cmd.End = e.bounds.Start, e.bounds.End
	return e.x.cfg.Coordinator.Read(e.ctx, cmd, e.cl)
}
