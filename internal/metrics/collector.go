// Package metrics exposes a node's metrics in Prometheus' format, and its
// health (/healthz, /readyz), over HTTP. Its collector reads the counters
// the node's parts keep anyway (storage, commit log, block cache, hints,
// the CQL server, the coordinator) when Prometheus scrapes, so that the
// request paths pay nothing for it; the one thing it adds to them is
// Coordinator, which times client requests. Every metric is listed, with
// its meaning, in docs/METRICS.md.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"wcdb/cql"
	"wcdb/internal/hints"
	"wcdb/internal/histogram"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/storage"
)

// Sources are what the collector reads. Engine, Requests and TableName
// are required; the metrics of a nil source are left out.
type Sources struct {
	Engine *storage.Engine
	// TableName names a table; tables it does not know (being created or
	// dropped) are left out.
	TableName func(mutation.TableID) (keyspace, table string, ok bool)
	// Requests are the client requests timed by Coordinator.
	Requests *ClientRequests
	// Coordinator returns the coordinator's counters.
	Coordinator func() replication.Metrics
	// Hints is the hint store, nil when hinted handoff is off.
	Hints *hints.Store
	// CQL returns the CQL server, nil before it starts.
	CQL func() *cql.Server
	// Internode returns the internode service's counters; false before it
	// starts.
	Internode func() (messaging.Stats, bool)
}

// Latency histograms export the buckets from 16 µs to 2^24 µs (16.8 s):
// finer or coarser ones add series, not insight.
const (
	latencyFirst = 5  // 2^4 µs
	latencyLast  = 25 // 2^24 µs
	countFirst   = 0  // 0
	countLast    = 17 // 65536: SSTables or tombstones per read
)

var (
	tableLabels = []string{"keyspace", "table"}

	descClientLatency = prometheus.NewDesc("wcdb_client_request_latency_seconds",
		"Coordinator latency of client requests (read: a partition, range: a page of a range or index scan, write: a statement or batch), by consistency level, as Cassandra's ClientRequest Latency.",
		[]string{"request", "consistency"}, nil)
	descClientTimeouts = prometheus.NewDesc("wcdb_client_request_timeouts_total",
		"Client requests that timed out waiting for replicas (ReadTimeout, WriteTimeout).", []string{"request"}, nil)
	descClientUnavailables = prometheus.NewDesc("wcdb_client_request_unavailables_total",
		"Client requests refused because too few replicas were alive for the consistency level (Unavailable).", []string{"request"}, nil)
	descClientFailures = prometheus.NewDesc("wcdb_client_request_failures_total",
		"Client requests that failed otherwise (ReadFailure, WriteFailure, a replica's error).", []string{"request"}, nil)
	descReadRepairs = prometheus.NewDesc("wcdb_read_repairs_total",
		"Replicas a coordinator's read wrote the reconciled data to because their answer differed (blocking read repair).", nil, nil)
	descSpeculative = prometheus.NewDesc("wcdb_speculative_retries_total",
		"Reads that asked one more replica because the first were slow (speculative retry).", nil, nil)

	descTableRead = prometheus.NewDesc("wcdb_table_read_latency_seconds",
		"Local partition read latency of a table on this replica (Cassandra's table ReadLatency).", tableLabels, nil)
	descTableRange = prometheus.NewDesc("wcdb_table_range_latency_seconds",
		"Local range read latency of a table on this replica, per page (Cassandra's table RangeLatency).", tableLabels, nil)
	descTableWrite = prometheus.NewDesc("wcdb_table_write_latency_seconds",
		"Local write latency of a table on this replica: commit log append and memtable insert (Cassandra's table WriteLatency).", tableLabels, nil)
	descSSTablesPerRead = prometheus.NewDesc("wcdb_table_sstables_per_read",
		"SSTables each partition read looked into, past their key range and bloom filter (Cassandra's SSTablesPerReadHistogram).", tableLabels, nil)
	descTombstones = prometheus.NewDesc("wcdb_table_tombstones_scanned",
		"Tombstones each replica read went through (Cassandra's TombstoneScannedHistogram); the sum is the total.", tableLabels, nil)
	descBloomFP = prometheus.NewDesc("wcdb_table_bloom_filter_false_positives_total",
		"SSTables a read looked into, on its bloom filter's word, for a partition they do not hold.", tableLabels, nil)
	descLiveSSTables = prometheus.NewDesc("wcdb_table_live_sstables",
		"Live SSTables of a table (Cassandra's LiveSSTableCount).", tableLabels, nil)
	descSpaceUsed = prometheus.NewDesc("wcdb_table_live_disk_space_used_bytes",
		"Bytes of a table's live SSTables (Cassandra's LiveDiskSpaceUsed).", tableLabels, nil)
	descMemtable = prometheus.NewDesc("wcdb_table_memtable_bytes",
		"Data in a table's memtables, active and waiting for flush (Cassandra's AllMemtablesLiveDataSize).", tableLabels, nil)
	descPendingCompactions = prometheus.NewDesc("wcdb_table_pending_compactions",
		"1 when a table's compaction strategy has work (running or due), else 0 (Cassandra's PendingCompactions, as 0 or 1).", tableLabels, nil)

	descFlushes = prometheus.NewDesc("wcdb_memtable_flushes_total",
		"Memtables flushed to SSTables.", nil, nil)
	descBytesFlushed = prometheus.NewDesc("wcdb_memtable_flushed_bytes_total",
		"Bytes of SSTables written by flushes.", nil, nil)
	descWriteStalls = prometheus.NewDesc("wcdb_storage_write_stalls_total",
		"Writes that waited for flushes to catch up (too many memtables waiting).", nil, nil)
	descBytesWritten = prometheus.NewDesc("wcdb_storage_written_bytes_total",
		"Bytes of mutations applied to the local storage (encoded).", nil, nil)
	descCompactions = prometheus.NewDesc("wcdb_compaction_completed_total",
		"Compactions completed (Cassandra's Compaction CompletedTasks).", nil, nil)
	descBytesCompacted = prometheus.NewDesc("wcdb_compaction_bytes_compacted_total",
		"Bytes of SSTables written by compactions (Cassandra's Compaction BytesCompacted).", nil, nil)
	descCommitLogBytes = prometheus.NewDesc("wcdb_commitlog_written_bytes_total",
		"Bytes written to commit log segments.", nil, nil)
	descCommitLogSync = prometheus.NewDesc("wcdb_commitlog_sync_latency_seconds",
		"Commit log fsync latency (what writes wait for in batch and group modes; Cassandra's WaitingOnCommit).", nil, nil)
	descCommitLogSegments = prometheus.NewDesc("wcdb_commitlog_segments",
		"Live commit log segments (not yet recycled).", nil, nil)
	descCacheHits = prometheus.NewDesc("wcdb_block_cache_hits_total",
		"SSTable block reads served by the block cache.", nil, nil)
	descCacheMisses = prometheus.NewDesc("wcdb_block_cache_misses_total",
		"SSTable block reads that missed the block cache.", nil, nil)
	descCacheBytes = prometheus.NewDesc("wcdb_block_cache_bytes",
		"Bytes of blocks held by the block cache.", nil, nil)

	descHintsStored = prometheus.NewDesc("wcdb_hints_stored_total",
		"Hints written for replicas that were down or did not answer (Cassandra's TotalHints).", nil, nil)
	descHintsReplayed = prometheus.NewDesc("wcdb_hints_replayed_total",
		"Hints delivered to their replica (Cassandra's HintsSucceeded).", nil, nil)
	descHintsDropped = prometheus.NewDesc("wcdb_hints_dropped_total",
		"Hints lost or discarded, by reason: expired (older than max_hint_window), target_left (the node left the cluster), lost (a failed write), corrupt.",
		[]string{"reason"}, nil)
	descHintsBytes = prometheus.NewDesc("wcdb_hints_disk_bytes",
		"Bytes of hint files on disk.", nil, nil)

	descInternodeServed = prometheus.NewDesc("wcdb_internode_requests_total",
		"Requests of other nodes (and wcdb admin) the internode service answered.", nil, nil)
	descInternodeActive = prometheus.NewDesc("wcdb_internode_requests_active",
		"Requests of other nodes being served now.", nil, nil)
	descInternodeDropped = prometheus.NewDesc("wcdb_internode_dropped_total",
		"Requests of other nodes dropped: their deadline passed before they were served, or over the service's limit of calls in flight (Cassandra's dropped messages).", nil, nil)
	descConnections = prometheus.NewDesc("wcdb_client_connections",
		"Open native protocol (CQL) client connections (Cassandra's connectedNativeClients).", nil, nil)
	descCQLRequests = prometheus.NewDesc("wcdb_cql_requests_total",
		"Native protocol requests run (statements, prepares, batches, and the rest).", nil, nil)
	descPrepared = prometheus.NewDesc("wcdb_prepared_statements",
		"Statements in the prepared statement cache.", nil, nil)
	descInFlight = prometheus.NewDesc("wcdb_cql_request_bytes_in_flight",
		"Bytes of client requests received and executing (bounded by native_transport.max_request_data_in_flight).", nil, nil)
)

// Collector is a prometheus.Collector of a node's metrics.
type Collector struct{ s Sources }

// NewCollector returns a collector reading s.
func NewCollector(s Sources) *Collector { return &Collector{s: s} }

var allDescs = []*prometheus.Desc{
	descClientLatency, descClientTimeouts, descClientUnavailables, descClientFailures, descReadRepairs, descSpeculative,
	descTableRead, descTableRange, descTableWrite, descSSTablesPerRead, descTombstones, descBloomFP,
	descLiveSSTables, descSpaceUsed, descMemtable, descPendingCompactions,
	descFlushes, descBytesFlushed, descWriteStalls, descBytesWritten, descCompactions, descBytesCompacted,
	descCommitLogBytes, descCommitLogSync, descCommitLogSegments, descCacheHits, descCacheMisses, descCacheBytes,
	descHintsStored, descHintsReplayed, descHintsDropped, descHintsBytes,
	descConnections, descCQLRequests, descPrepared, descInFlight,
	descInternodeServed, descInternodeActive, descInternodeDropped,
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.clientRequests(ch)
	c.tables(ch)
	c.engine(ch)
	if c.s.Hints != nil {
		m := c.s.Hints.Metrics()
		counter(ch, descHintsStored, m.Written)
		counter(ch, descHintsReplayed, m.Replayed)
		counter(ch, descHintsDropped, m.Expired, "expired")
		counter(ch, descHintsDropped, m.Dropped, "target_left")
		counter(ch, descHintsDropped, m.Lost, "lost")
		counter(ch, descHintsDropped, m.Corrupt, "corrupt")
		gauge(ch, descHintsBytes, float64(m.DiskBytes))
	}
	if c.s.CQL != nil {
		if srv := c.s.CQL(); srv != nil {
			st := srv.Stats()
			gauge(ch, descConnections, float64(st.Connections))
			counter(ch, descCQLRequests, int64(st.Requests))
			gauge(ch, descPrepared, float64(st.PreparedStatements))
			gauge(ch, descInFlight, float64(st.RequestBytes))
		}
	}
	if c.s.Internode != nil {
		if st, ok := c.s.Internode(); ok {
			counter(ch, descInternodeServed, st.Completed)
			gauge(ch, descInternodeActive, float64(st.Active))
			counter(ch, descInternodeDropped, st.Dropped)
		}
	}
}

func (c *Collector) clientRequests(ch chan<- prometheus.Metric) {
	m := c.s.Requests
	for r := range numRequests {
		name := r.String()
		for lvl := range numLevels {
			s := m.latency[r][lvl].Snapshot()
			if s.Count > 0 {
				histo(ch, descClientLatency, &s, 1e-6, latencyFirst, latencyLast, name, replication.Consistency(lvl).String())
			}
		}
		counter(ch, descClientTimeouts, m.timeouts[r].Load(), name)
		counter(ch, descClientUnavailables, m.unavailables[r].Load(), name)
		counter(ch, descClientFailures, m.failures[r].Load(), name)
	}
	if c.s.Coordinator != nil {
		cm := c.s.Coordinator()
		counter(ch, descReadRepairs, cm.ReadRepairs)
		counter(ch, descSpeculative, cm.SpeculativeRetries)
	}
}

func (c *Collector) tables(ch chan<- prometheus.Metric) {
	for _, t := range c.s.Engine.Tables() {
		ks, name, ok := c.s.TableName(t.ID())
		if !ok {
			continue
		}
		m, st := t.Metrics(), t.Status()
		for _, h := range []struct {
			d     *prometheus.Desc
			h     *histogram.Histogram
			scale float64
			first int
			last  int
		}{
			{descTableRead, &m.ReadLatency, 1e-6, latencyFirst, latencyLast},
			{descTableRange, &m.RangeLatency, 1e-6, latencyFirst, latencyLast},
			{descTableWrite, &m.WriteLatency, 1e-6, latencyFirst, latencyLast},
			{descSSTablesPerRead, &m.SSTablesPerRead, 1, countFirst, countLast},
			{descTombstones, &m.TombstonesPerRead, 1, countFirst, countLast},
		} {
			// Tables never read or written (most of the system ones)
			// would add a score of empty series each.
			if s := h.h.Snapshot(); s.Count > 0 {
				histo(ch, h.d, &s, h.scale, h.first, h.last, ks, name)
			}
		}
		counter(ch, descBloomFP, m.BloomFalsePositives.Load(), ks, name)
		gauge(ch, descLiveSSTables, float64(st.LiveSSTables), ks, name)
		gauge(ch, descSpaceUsed, float64(st.LiveBytes), ks, name)
		gauge(ch, descMemtable, float64(st.MemtableBytes), ks, name)
		pending := 0.0
		if st.CompactionPending {
			pending = 1
		}
		gauge(ch, descPendingCompactions, pending, ks, name)
	}
}

func (c *Collector) engine(ch chan<- prometheus.Metric) {
	e := c.s.Engine
	em := e.Metrics()
	counter(ch, descFlushes, em.Flushes.Load())
	counter(ch, descBytesFlushed, em.BytesFlushed.Load())
	counter(ch, descWriteStalls, em.WriteStalls.Load())
	counter(ch, descBytesWritten, em.BytesWritten.Load())
	counter(ch, descCompactions, em.Compactions.Load())
	counter(ch, descBytesCompacted, em.BytesCompacted.Load())
	cl := e.CommitLogMetrics()
	counter(ch, descCommitLogBytes, cl.BytesWritten.Load())
	s := cl.SyncLatency.Snapshot()
	histo(ch, descCommitLogSync, &s, 1e-6, latencyFirst, latencyLast)
	gauge(ch, descCommitLogSegments, float64(e.CommitLogSegments()))
	cs := e.CacheStats()
	counter(ch, descCacheHits, cs.Hits)
	counter(ch, descCacheMisses, cs.Misses)
	gauge(ch, descCacheBytes, float64(cs.Size))
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v int64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// histo exports a snapshot's buckets first to last (each counting
// everything below it too, as Prometheus' buckets do), their upper
// bounds times scale; the buckets above last are in +Inf only.
func histo(ch chan<- prometheus.Metric, d *prometheus.Desc, s *histogram.Snapshot, scale float64, first, last int, labels ...string) {
	buckets := make(map[float64]uint64, last-first+1)
	var cum uint64
	for i := 0; i <= last; i++ {
		cum += s.Counts[i]
		if i >= first {
			buckets[float64(histogram.UpperBound(i))*scale] = cum
		}
	}
	ch <- prometheus.MustNewConstHistogram(d, s.Count, float64(s.Sum)*scale, buckets, labels...)
}
