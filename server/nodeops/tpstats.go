package nodeops

import (
	"encoding/json"
	"fmt"
	"io"

	"wcdb/cql"
	"wcdb/internal/hints"
	"wcdb/internal/localnode"
	"wcdb/messaging"
	"wcdb/streaming"
)

// PoolSources are the counters tpstats reads; each may be nil (the node
// has no such work, or does not count it), and its pool then reads 0.
type PoolSources struct {
	// CQL is the CQL server, nil before it serves.
	CQL func() *cql.Server
	// Replica counts the local replica's mutations and reads.
	Replica *localnode.Pools
	// Internode counts the requests the internode server served.
	Internode func() messaging.Stats
	Hints     *hints.Store // nil: hinted handoff off
	Streams   *streaming.Registry
}

// Pool is one of the node's pools in tpstats, as nodetool tpstats prints
// them. wcdb has no thread pools: most work runs on the goroutine of its
// caller, so each pool counts a kind of work where it is done. Active is
// the work in progress now; Pending the work queued for it; Completed the
// work done since the node started; Blocked what waits now for room
// (backpressure), AllTimeBlocked how often anything did. A column that
// cannot apply to a pool reads 0 (see docs/METRICS.md):
//
//   - RequestWorkers, the CQL server's statements (QUERY, PREPARE,
//     EXECUTE, BATCH): a worker is started whenever none is idle, so
//     Pending counts the requests read and waiting for a slot of their
//     connection (native_transport.max_requests_per_connection); Blocked
//     the request bodies waiting for room in
//     native_transport.max_request_data_in_flight.
//   - MutationApply and Reads, the local replica's writes and reads
//     (point, digest, range), for this node's coordinator and for other
//     nodes alike: they run on the caller's goroutine, so nothing is
//     pending or blocked; a writer waiting for a flush is counted by
//     MemtableFlush.
//   - MemtableFlush: Pending counts the tables queued for the background
//     flusher, Blocked the writers stalled now behind memtables not yet
//     flushed (storage's WriteStalls is AllTimeBlocked).
//   - Compaction: Pending counts the tables whose strategy has work
//     waiting; nothing blocks (the throughput cap slows it down).
//   - HintReplay: Active counts the hint replays sending now, Pending the
//     hints stored for nodes not yet sent them.
//   - Internode: the requests of other nodes served now and since the
//     start (their mutations and reads are in MutationApply and Reads
//     too); each runs on its own goroutine, so nothing is pending.
//   - Streaming: the streaming sessions (sending and receiving) running
//     now and finished.
type Pool struct {
	Name           string `json:"name"`
	Active         int64  `json:"active"`
	Pending        int64  `json:"pending"`
	Completed      int64  `json:"completed"`
	Blocked        int64  `json:"blocked"`
	AllTimeBlocked int64  `json:"all_time_blocked"`
}

// DroppedMessages counts a kind of work the node gave up since it
// started: NATIVE_REQUEST, the CQL requests answered Overloaded; MUTATION
// and READ, the replica's calls whose deadline passed before they began;
// INTERNODE, other nodes' requests whose deadline passed on the way or
// which were over the in-flight limit; HINT, the hints that expired
// (max_hint_window) or were lost to a write error or corruption;
// STREAM_SESSION, the streaming sessions that failed.
type DroppedMessages struct {
	Type    string `json:"type"`
	Dropped int64  `json:"dropped"`
}

// TPStats answers tpstats.
type TPStats struct {
	Pools   []Pool            `json:"pools"`
	Dropped []DroppedMessages `json:"dropped"`
}

func (o *Ops) tpstats() (*TPStats, error) {
	src := &o.Pools
	workers := Pool{Name: "RequestWorkers"}
	var overloaded int64
	if src.CQL != nil {
		if s := src.CQL(); s != nil {
			st := s.Stats()
			workers.Active, workers.Pending = st.Active, st.Waiting
			workers.Completed = max(0, int64(st.Requests)-st.Active)
			workers.Blocked, workers.AllTimeBlocked = int64(st.Blocked), st.BlockedTotal
			overloaded = st.Overloaded
		}
	}
	var muts, reads localnode.StageStats
	if src.Replica != nil {
		muts, reads = src.Replica.Mutations.Stats(), src.Replica.Reads.Stats()
	}
	m := o.Engine.Metrics()
	flush := Pool{Name: "MemtableFlush", Active: m.Flushing.Load(), Pending: int64(o.Engine.PendingFlushes()),
		Completed: m.Flushes.Load(), Blocked: m.Stalled.Load(), AllTimeBlocked: m.WriteStalls.Load()}
	comp := Pool{Name: "Compaction", Active: int64(len(o.Engine.Compactions())), Completed: m.Compactions.Load()}
	for _, t := range o.Engine.Tables() {
		if t.Status().CompactionPending {
			comp.Pending++
		}
	}
	hint := Pool{Name: "HintReplay"}
	var hintsDropped int64
	if src.Hints != nil {
		hm := src.Hints.Metrics()
		hint.Active, hint.Completed = hm.Replaying, hm.Replayed
		for _, t := range src.Hints.Targets() {
			n, _ := src.Hints.Pending(t)
			hint.Pending += int64(n)
		}
		hintsDropped = hm.Expired + hm.Lost + hm.Corrupt
	}
	var internode messaging.Stats
	if src.Internode != nil {
		internode = src.Internode()
	}
	streams := Pool{Name: "Streaming"}
	var streamsFailed int64
	if src.Streams != nil {
		running, finished, failed := src.Streams.Counts()
		streams.Active, streams.Completed, streamsFailed = int64(running), finished, failed
	}
	return &TPStats{
		Pools: []Pool{workers,
			{Name: "MutationApply", Active: muts.Active, Completed: muts.Completed},
			{Name: "Reads", Active: reads.Active, Completed: reads.Completed},
			flush, comp, hint,
			{Name: "Internode", Active: internode.Active, Completed: internode.Completed},
			streams},
		Dropped: []DroppedMessages{{"NATIVE_REQUEST", overloaded}, {"MUTATION", muts.Dropped}, {"READ", reads.Dropped},
			{"INTERNODE", internode.Dropped}, {"HINT", hintsDropped}, {"STREAM_SESSION", streamsFailed}},
	}, nil
}

func printTPStats(w io.Writer, b []byte) error {
	var s TPStats
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	// nodetool's layout: names left, counts right.
	fmt.Fprintf(w, "%-24s%8s%9s%12s%9s%18s\n", "Pool Name", "Active", "Pending", "Completed", "Blocked", "All time blocked")
	for _, p := range s.Pools {
		fmt.Fprintf(w, "%-24s%8d%9d%12d%9d%18d\n", p.Name, p.Active, p.Pending, p.Completed, p.Blocked, p.AllTimeBlocked)
	}
	fmt.Fprintf(w, "\n%-24s%8s\n", "Message type", "Dropped")
	for _, d := range s.Dropped {
		fmt.Fprintf(w, "%-24s%8d\n", d.Type, d.Dropped)
	}
	return nil
}
