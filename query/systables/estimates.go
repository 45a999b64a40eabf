package systables

import (
	"context"
	"strconv"

	"wcdb/query/catalog"
)

// Size estimates, as Cassandra's SizeEstimatesRecorder writes them for
// bulk readers (Spark's connector splits a table's token ranges by them):
// per table and per range of this node, the partitions it holds and their
// mean size. system.size_estimates has the primary ranges;
// system.table_estimates has them again as range_type 'primary', and the
// ranges the node holds replicas of as 'local'.

// RangeEstimate is one range's estimate. Start and End are tokens: the
// range is (Start, End]; a range that wraps around the ring comes as two,
// the second starting at the ring's minimum token, as Cassandra
// normalizes them.
type RangeEstimate struct {
	Start, End int64
	// Partitions and MeanPartitionSize (bytes) in the range.
	Partitions, MeanPartitionSize int64
}

// TableEstimates are a table's estimates over the node's ranges.
type TableEstimates struct {
	Keyspace, Table string
	Primary, Local  []RangeEstimate
}

// RecordEstimates replaces the rows of each table given in
// system.size_estimates and system.table_estimates (the older ones are
// deleted at ts, the new written at ts+1).
func RecordEstimates(ctx context.Context, st catalog.Store, ts int64, tables []TableEstimates) error {
	sizeT := catalog.SystemTable("system", "size_estimates")
	tableT := catalog.SystemTable("system", "table_estimates")
	del, put := catalog.NewBatch(ts), catalog.NewBatch(ts+1)
	for _, t := range tables {
		del.DeletePrefix(sizeT, []any{t.Keyspace, t.Table})
		del.DeletePrefix(tableT, []any{t.Keyspace, t.Table})
		for _, kind := range []struct {
			name   string
			ranges []RangeEstimate
		}{{"primary", t.Primary}, {"local", t.Local}} {
			for _, r := range kind.ranges {
				start, end := strconv.FormatInt(r.Start, 10), strconv.FormatInt(r.End, 10)
				vals := map[string]any{"mean_partition_size": r.MeanPartitionSize, "partitions_count": r.Partitions}
				put.Upsert(tableT, []any{t.Keyspace, t.Table, kind.name, start, end}, vals, false)
				if kind.name == "primary" {
					put.Upsert(sizeT, []any{t.Keyspace, t.Table, start, end}, vals, false)
				}
			}
		}
	}
	if err := del.Apply(ctx, st, catalog.SystemKeyspace()); err != nil {
		return err
	}
	return put.Apply(ctx, st, catalog.SystemKeyspace())
}
