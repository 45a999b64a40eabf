package nodeops

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"wcdb/internal/histogram"
	"wcdb/internal/metrics"
	"wcdb/storage"
)

// TableStats is one table in tablestats (nodetool tablestats' fields that
// wcdb keeps). Latencies are in microseconds.
type TableStats struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	// SSTables and LiveBytes: the live SSTables and their size on disk.
	SSTables  int   `json:"sstable_count"`
	LiveBytes int64 `json:"space_used_live"`
	// Partitions sums the SSTables' partitions: an estimate, as
	// Cassandra's, since a partition may be in several.
	Partitions    int64 `json:"number_of_partitions_estimate"`
	Rows          int64 `json:"rows_estimate"`
	Tombstones    int64 `json:"tombstones_estimate"`
	MemtableBytes int64 `json:"memtable_data_size"`
	// MeanPartitionBytes: stored data per partition (compressed).
	MeanPartitionBytes int64 `json:"compacted_partition_mean_bytes"`
	CompactionPending  bool  `json:"compaction_pending"`

	Reads             uint64  `json:"local_read_count"`
	ReadLatencyMean   float64 `json:"local_read_latency_mean_us"`
	Writes            uint64  `json:"local_write_count"`
	WriteLatencyMean  float64 `json:"local_write_latency_mean_us"`
	RangeReads        uint64  `json:"local_range_count"`
	BloomFalsePos     int64   `json:"bloom_filter_false_positives"`
	BloomFalseRatio   float64 `json:"bloom_filter_false_ratio"`
	TombstonesPerRead float64 `json:"average_tombstones_per_read"`
	MaxTombstones     uint64  `json:"maximum_tombstones_per_read"`
}

// tablestats serves tablestats [KEYSPACE [TABLE...]].
func (o *Ops) tablestats(args []string) ([]TableStats, error) {
	refs, err := o.tables(args)
	if err != nil {
		return nil, err
	}
	out := make([]TableStats, 0, len(refs))
	for _, r := range refs {
		st := r.t.Status()
		ts := TableStats{Keyspace: r.ks, Table: r.name, SSTables: st.LiveSSTables, LiveBytes: st.LiveBytes,
			MemtableBytes: st.MemtableBytes, CompactionPending: st.CompactionPending}
		var data int64
		for _, f := range r.t.Files() {
			ts.Partitions += f.Meta.Partitions
			ts.Rows += f.Meta.Rows
			ts.Tombstones += f.Meta.Tombstones
			data += f.Meta.DataSize
		}
		if ts.Partitions > 0 {
			ts.MeanPartitionBytes = data / ts.Partitions
		}
		m := r.t.Metrics()
		reads, writes, ranges := m.ReadLatency.Snapshot(), m.WriteLatency.Snapshot(), m.RangeLatency.Snapshot()
		ts.Reads, ts.Writes, ts.RangeReads = reads.Count, writes.Count, ranges.Count
		ts.ReadLatencyMean, ts.WriteLatencyMean = mean(&reads), mean(&writes)
		ts.BloomFalsePos = m.BloomFalsePositives.Load()
		if per := m.SSTablesPerRead.Snapshot(); per.Sum > 0 {
			// Every SSTable a read looked into was a filter positive.
			ts.BloomFalseRatio = float64(ts.BloomFalsePos) / float64(per.Sum)
		}
		tomb := m.TombstonesPerRead.Snapshot()
		ts.TombstonesPerRead, ts.MaxTombstones = mean(&tomb), tomb.Max()
		out = append(out, ts)
	}
	return out, nil
}

func mean(s *histogram.Snapshot) float64 {
	if s.Count == 0 {
		return 0
	}
	return float64(s.Sum) / float64(s.Count)
}

// Histograms answers tablehistograms: percentiles of a table's local
// reads and writes (microseconds), SSTables per read and tombstones per
// read, as nodetool tablehistograms. The values are bucket bounds: at
// most twice the true value.
type Histograms struct {
	Keyspace    string    `json:"keyspace"`
	Table       string    `json:"table"`
	Percentiles []float64 `json:"percentiles"`
	ReadUS      []uint64  `json:"read_latency_us"`
	WriteUS     []uint64  `json:"write_latency_us"`
	SSTables    []uint64  `json:"sstables_per_read"`
	Tombstones  []uint64  `json:"tombstones_per_read"`
}

// percentiles are nodetool's rows: 50%, 75%, 95%, 98%, 99%, then Min
// and Max are printed apart.
var percentiles = []float64{0.5, 0.75, 0.95, 0.98, 0.99, 1}

// tablehistograms serves tablehistograms KEYSPACE TABLE.
func (o *Ops) tablehistograms(args []string) (*Histograms, error) {
	if len(args) == 1 && strings.Contains(args[0], ".") {
		args = strings.SplitN(args[0], ".", 2)
	}
	if len(args) != 2 {
		return nil, errors.New("usage: tablehistograms KEYSPACE TABLE")
	}
	refs, err := o.tables(args)
	if err != nil {
		return nil, err
	}
	if len(refs) != 1 {
		return nil, fmt.Errorf("table %s.%s has no storage on this node", args[0], args[1])
	}
	m := refs[0].t.Metrics()
	h := &Histograms{Keyspace: args[0], Table: args[1], Percentiles: percentiles}
	for _, p := range []struct {
		dst *[]uint64
		h   *histogram.Histogram
	}{{&h.ReadUS, &m.ReadLatency}, {&h.WriteUS, &m.WriteLatency}, {&h.SSTables, &m.SSTablesPerRead}, {&h.Tombstones, &m.TombstonesPerRead}} {
		s := p.h.Snapshot()
		for _, q := range percentiles {
			*p.dst = append(*p.dst, s.Quantile(q))
		}
	}
	return h, nil
}

// Compaction is one running compaction in compactionstats.
type Compaction struct {
	Keyspace string  `json:"keyspace"`
	Table    string  `json:"table"`
	Reason   string  `json:"reason"`
	Files    int     `json:"files"`
	Bytes    int64   `json:"total_bytes"`
	Done     float64 `json:"done"`
	Seconds  float64 `json:"seconds"`
}

// CompactionStats answers compactionstats.
type CompactionStats struct {
	// PendingTables counts the tables whose strategy has work waiting.
	PendingTables int          `json:"pending_tasks"`
	Running       []Compaction `json:"running"`
	// ThroughputBytes is the cap on compaction's reading (0: none).
	ThroughputBytes int64 `json:"throughput_bytes_per_sec"`
}

func (o *Ops) compactionstats() (*CompactionStats, error) {
	cat := o.Catalog()
	out := &CompactionStats{Running: []Compaction{}, ThroughputBytes: o.Engine.CompactionThroughput()}
	for _, t := range o.Engine.Tables() {
		if t.Status().CompactionPending {
			out.PendingTables++
		}
	}
	now := o.now()
	for _, c := range o.Engine.Compactions() {
		ks, name := "?", hex.EncodeToString(c.Table[:])
		if t := cat.TableByID(c.Table); t != nil {
			ks, name = t.Keyspace, t.Name
		}
		out.Running = append(out.Running, Compaction{Keyspace: ks, Table: name, Reason: c.Reason, Files: c.Files,
			Bytes: c.Bytes, Done: c.Done, Seconds: now.Sub(c.Started).Seconds()})
	}
	return out, nil
}

// ProxyHistograms answers proxyhistograms: percentiles of the latency of
// the client requests this node coordinated (microseconds), as nodetool
// proxyhistograms; bucket bounds, at most twice the true value.
type ProxyHistograms struct {
	Percentiles []float64 `json:"percentiles"`
	ReadUS      []uint64  `json:"read_latency_us"`
	WriteUS     []uint64  `json:"write_latency_us"`
	RangeUS     []uint64  `json:"range_latency_us"`
}

func (o *Ops) proxyhistograms() (*ProxyHistograms, error) {
	if o.Requests == nil {
		return nil, errors.New("this node keeps no client request metrics")
	}
	h := &ProxyHistograms{Percentiles: percentiles}
	for _, p := range []struct {
		dst *[]uint64
		r   metrics.Request
	}{{&h.ReadUS, metrics.Read}, {&h.WriteUS, metrics.Write}, {&h.RangeUS, metrics.Range}} {
		s := o.Requests.Latency(p.r)
		for _, q := range percentiles {
			*p.dst = append(*p.dst, s.Quantile(q))
		}
	}
	return h, nil
}

// CompactionBacklog is how far compaction is behind, for compaction.Share:
// the most live SSTables of a table whose strategy has work waiting.
func CompactionBacklog(e *storage.Engine) int {
	n := 0
	for _, t := range e.Tables() {
		if st := t.Status(); st.CompactionPending {
			n = max(n, st.LiveSSTables)
		}
	}
	return n
}
