package server

import (
	"context"
	"errors"
	"slices"
	"time"

	"wcdb/query/catalog"
	"wcdb/query/systables"
	"wcdb/replication"
	"wcdb/ring"
)

// sizeEstimatesInterval is how often system.size_estimates and
// system.table_estimates are rewritten (Cassandra's recorder runs every
// 5 minutes); wcdb admin refreshsizeestimates rewrites them at once.
const sizeEstimatesInterval = 5 * time.Minute

// sizeEstimates computes, for every table of a replicated keyspace, the
// partitions this node holds and their mean size (its SSTables', as
// Cassandra counts them: memtables are left out), spread over the ranges
// it holds replicas of in proportion to their widths; the primary ranges
// (those ending at its own tokens) are among them.
func (c *clusterState) sizeEstimates() ([]systables.TableEstimates, error) {
	m := c.m.Load()
	if m == nil {
		return nil, errors.New("the node has not joined its cluster yet")
	}
	r := m.Ring()
	var primary []ring.Range
	for _, rg := range r.Ranges(c.hostID) {
		primary = append(primary, rg.Unwrap()...)
	}
	cat := c.exec.Catalog()
	var out []systables.TableEstimates
	for _, name := range cat.Keyspaces() {
		ks := cat.Keyspace(name)
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil {
			return nil, err
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		var held []ring.Range
		width := 0.0
		for i := range r.Len() {
			if slices.Contains(st.Replicas(r, r.TokenAt(i)), c.hostID) {
				for _, rg := range r.RangeAt(i).Unwrap() {
					held = append(held, rg)
					width += rg.Fraction()
				}
			}
		}
		for _, t := range cat.Tables(name) {
			est := systables.TableEstimates{Keyspace: name, Table: t.Name}
			var parts, data int64
			if st := c.engine.Table(t.ID); st != nil {
				for _, f := range st.Files() {
					parts += f.Meta.Partitions
					data += f.Meta.DataSize
				}
			}
			var mean int64
			if parts > 0 {
				mean = data / parts
			}
			share := func(rgs []ring.Range) []systables.RangeEstimate {
				out := make([]systables.RangeEstimate, 0, len(rgs))
				for _, rg := range rgs {
					n := int64(0)
					if width > 0 {
						n = int64(float64(parts)*rg.Fraction()/width + 0.5)
					}
					out = append(out, systables.RangeEstimate{Start: rg.Start, End: rg.End, Partitions: n, MeanPartitionSize: mean})
				}
				return out
			}
			est.Local = share(held)
			est.Primary = share(primary)
			out = append(out, est)
		}
	}
	return out, nil
}

// recordSizeEstimates rewrites system.size_estimates and
// system.table_estimates; it returns how many tables they cover.
func (c *clusterState) recordSizeEstimates(ctx context.Context) (int, error) {
	est, err := c.sizeEstimates()
	if err != nil {
		return 0, err
	}
	st := catalog.Store(c.store)
	if st == nil {
		return 0, errors.New("the node has no coordinator yet")
	}
	return len(est), systables.RecordEstimates(ctx, st, time.Now().UnixMicro(), est)
}
