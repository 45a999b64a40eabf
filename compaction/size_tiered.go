package compaction

import (
	"fmt"
	"slices"
	"time"
)

// sizeTieredConfig holds the options of size-tiered bucketing.
type sizeTieredConfig struct {
	minThreshold   int     // min_threshold: files a bucket needs to be compacted
	maxThreshold   int     // max_threshold: most files in one compaction
	bucketLow      float64 // bucket_low
	bucketHigh     float64 // bucket_high
	minSSTableSize int64   // min_sstable_size: files below share one bucket
}

// bucket is a group of similar-sized tables, sorted by size.
type bucket struct {
	tables []*Table
	avg    float64
}

// buckets groups ts by size as Cassandra does: in ascending size order, a
// table joins the first bucket whose average size is within
// [bucket_low·avg, bucket_high·avg] of its own, or, when both the table and
// the bucket's average are below min_sstable_size, the bucket of small files.
// Otherwise it starts a bucket.
func (c sizeTieredConfig) buckets(ts []*Table) []bucket {
	sorted := slices.Clone(ts)
	slices.SortFunc(sorted, bySize)
	var bs []bucket
	for _, t := range sorted {
		size := float64(t.Size)
		small := t.Size < c.minSSTableSize
		joined := false
		for i := range bs {
			b := &bs[i]
			if (size >= c.bucketLow*b.avg && size <= c.bucketHigh*b.avg) ||
				(small && b.avg < float64(c.minSSTableSize)) {
				n := float64(len(b.tables))
				b.avg = (b.avg*n + size) / (n + 1)
				b.tables = append(b.tables, t)
				joined = true
				break
			}
		}
		if !joined {
			bs = append(bs, bucket{tables: []*Table{t}, avg: size})
		}
	}
	return bs
}

// pick returns the bucket Cassandra would compact: among the buckets with at
// least min_threshold tables, each trimmed to its max_threshold smallest, the
// hottest. Cassandra ranks by read hotness and breaks ties by the smallest
// average size; we track no read rates, so every bucket ties and the one of
// the smallest files wins, which also clears the many small flushes first.
func (c sizeTieredConfig) pick(ts []*Table) (bucket, bool) {
	var best bucket
	found := false
	for _, b := range c.buckets(ts) {
		if len(b.tables) < c.minThreshold {
			continue
		}
		if len(b.tables) > c.maxThreshold {
			b.tables = b.tables[:c.maxThreshold]
			b.avg = float64(totalSize(b.tables)) / float64(len(b.tables))
		}
		if !found || b.avg < best.avg {
			best, found = b, true
		}
	}
	return best, found
}

// sizeTiered is Cassandra's SizeTieredCompactionStrategy, the default: it
// merges files of similar size, so each byte is rewritten about
// log(data/flush size) times.
type sizeTiered struct {
	common commonConfig
	cfg    sizeTieredConfig
}

func newSizeTiered(opts map[string]string) (*sizeTiered, error) {
	p := newOptionParser(SizeTiered, opts, commonOptions, sizeTieredOptions)
	s := &sizeTiered{common: p.common(), cfg: p.sizeTiered()}
	if p.err != nil {
		return nil, p.err
	}
	return s, nil
}

func (s *sizeTiered) Name() string { return SizeTiered }

func (s *sizeTiered) Pick(tables []Table, now time.Time) *Task {
	if !s.common.enabled {
		return nil
	}
	all := pointers(tables)
	if b, ok := s.cfg.pick(idle(all)); ok {
		return newTask(0, 0, fmt.Sprintf("size-tiered: %d files of average %s",
			len(b.tables), formatBytes(int64(b.avg))), b.tables)
	}
	return s.common.tombstones.pickSmallestTombstone(all, now)
}

// Major merges every table into one.
func (s *sizeTiered) Major(tables []Table) []*Task {
	if len(tables) == 0 || anyCompacting(tables) {
		return nil
	}
	return []*Task{newTask(0, 0, "major", pointers(tables))}
}
