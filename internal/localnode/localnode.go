// Package localnode adapts the local storage engine to what the layers
// above ask of a node: replication's Replica (reads and writes of this
// node's data) and the query executor's Backend (tables' storage as DDL
// creates, alters and drops them). It imports neither query nor server, so
// their tests can run on a real engine.
package localnode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"wcdb/internal/tracing"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/storage"
)

// Replica serves the coordinator's reads and writes from the local engine.
type Replica struct {
	E *storage.Engine
	// Guardrails limit the reads of clients' tables; nil: no limits.
	Guardrails *Guardrails
	// Pools count the work served, for wcdb admin tpstats; nil: not
	// counted.
	Pools *Pools
	// Paxos keeps lightweight transactions' state (paxos.go); nil: the
	// replica takes no part in them.
	Paxos *Paxos
	// Counters make the replica a counter leader (counter.go): its
	// counter id (the host id) and its counter locks; nil: it leads no
	// counter writes.
	Counters *Counters
}

// Pools count the mutations applied and the reads served (Digest's
// included) by a Replica: the coordinator's local calls and the internode
// ones alike. Reads and mutations run on their callers' goroutines, so
// nothing queues: a call whose deadline passed before it began is
// dropped, as Cassandra drops a message that timed out in its queue.
type Pools struct{ Mutations, Reads Stage }

// Stage counts one kind of call. Safe for concurrent use.
type Stage struct{ active, completed, dropped atomic.Int64 }

// StageStats is a snapshot of a Stage.
type StageStats struct{ Active, Completed, Dropped int64 }

// Stats returns the stage's counters.
func (s *Stage) Stats() StageStats {
	return StageStats{Active: s.active.Load(), Completed: s.completed.Load(), Dropped: s.dropped.Load()}
}

func (p *Pools) mutations() *Stage {
	if p == nil {
		return nil
	}
	return &p.Mutations
}

func (p *Pools) reads() *Stage {
	if p == nil {
		return nil
	}
	return &p.Reads
}

// start begins a call, unless ctx is done (the call is dropped). s may be
// nil.
func (s *Stage) start(ctx context.Context) error {
	err := ctx.Err()
	if s != nil {
		if err != nil {
			s.dropped.Add(1)
		} else {
			s.active.Add(1)
		}
	}
	return err
}

func (s *Stage) done() {
	if s != nil {
		s.active.Add(-1)
		s.completed.Add(1)
	}
}

// Guardrails are the limits a replica puts on reads, with Cassandra's
// settings. They apply to every read of a table but the node's own
// (keyspaces system and system_schema, which Cassandra leaves out too).
type Guardrails struct {
	// TombstoneWarnThreshold: a read (of a partition, or a page of a range
	// read) that goes through more tombstones than this (as
	// storage.ReadStats counts them) is logged, and the client warned
	// through the read's context (replication.Warn; for a remote
	// coordinator, messaging carries the warning back in the answer).
	// Cassandra's tombstone_warn_threshold; 0: none.
	TombstoneWarnThreshold int
	// TombstoneFailureThreshold: a read going through more tombstones than
	// this is aborted with replication.ErrTooManyTombstones, which the
	// client gets as ReadFailure. Cassandra's tombstone_failure_threshold;
	// 0: none.
	TombstoneFailureThreshold int
	// Describe, if set, names a table and formats one of its partition
	// keys for messages; otherwise they show as hex.
	Describe func(table mutation.TableID, key []byte) (name, keyText string)
	// Log receives the reads over a threshold, at WARN; nil: not logged.
	Log *slog.Logger
}

// guard returns the guardrails of a read of keyspace ks (nil when a
// remote coordinator asks), or nil for none.
func (r Replica) guard(ks *schema.Keyspace) *Guardrails {
	if g := r.Guardrails; g != nil && (ks == nil || ks.Name != "system" && ks.Name != "system_schema") {
		return g
	}
	return nil
}

// describe names the table and formats key ("" for a range read).
func (g *Guardrails) describe(table mutation.TableID, key []byte) (string, string) {
	if g.Describe != nil {
		return g.Describe(table, key)
	}
	return fmt.Sprintf("table %x", table), fmt.Sprintf("%x", key)
}

// finish returns a read's error as the coordinator must see it, and warns
// of a read over the warn threshold. key is the partition read, nil for a
// range read.
func (g *Guardrails) finish(ctx context.Context, table mutation.TableID, key []byte, st *storage.ReadStats, err error) error {
	over := errors.Is(err, storage.ErrTombstoneOverwhelming)
	if !over && (err != nil || g.TombstoneWarnThreshold <= 0 || st.Tombstones <= g.TombstoneWarnThreshold) {
		return err
	}
	name, what := g.describe(table, key)
	if key == nil {
		what = "a range read of " + name
	} else {
		what = name + ", partition " + what
	}
	if over {
		if g.Log != nil {
			g.Log.Warn("read aborted: too many tombstones (tombstone_failure_threshold)", "read", what,
				"tombstones", st.Tombstones, "live_rows", st.LiveRows, "threshold", g.TombstoneFailureThreshold)
		}
		return fmt.Errorf("%w: scanned over %d tombstones in %s; query aborted (see tombstone_failure_threshold)",
			replication.ErrTooManyTombstones, g.TombstoneFailureThreshold, what)
	}
	if g.Log != nil {
		g.Log.Warn("read over tombstone_warn_threshold", "read", what,
			"tombstones", st.Tombstones, "live_rows", st.LiveRows, "threshold", g.TombstoneWarnThreshold)
	}
	replication.Warn(ctx, fmt.Sprintf("Read %d live rows and %d tombstone cells in %s (see tombstone_warn_threshold)",
		st.LiveRows, st.Tombstones, what))
	return nil
}

var _ replication.Replica = Replica{}

func (r Replica) table(id mutation.TableID) (*storage.Table, error) {
	t := r.E.Table(id)
	if t == nil {
		return nil, fmt.Errorf("localnode: no storage for table %x", id)
	}
	return t, nil
}

// Apply writes the mutation.
func (r Replica) Apply(ctx context.Context, m *mutation.Mutation) error {
	sg := r.Pools.mutations()
	if err := sg.start(ctx); err != nil {
		return err
	}
	defer sg.done()
	if m.HasCounterUpdates() {
		return errors.New("localnode: counter updates are applied by a counter leader (ApplyCounter), not as a mutation")
	}
	tr := tracing.From(ctx)
	if tr != nil {
		tr.Eventf(tracing.Mutation, "Appending to commitlog")
	}
	err := r.E.Apply(m)
	if tr != nil && err == nil {
		tr.Eventf(tracing.Mutation, "Added to %s memtable", r.tableName(m.Table))
	}
	return err
}

// ApplyAll writes the mutations (a batch's that only this node holds) as
// Apply would each, with one pass through the mutation stage: each is a
// task completed. The first error is returned, after the others were
// tried, as separate Apply calls would have.
func (r Replica) ApplyAll(ctx context.Context, ms []*mutation.Mutation) error {
	sg := r.Pools.mutations()
	if err := sg.start(ctx); err != nil {
		return err
	}
	defer sg.done()
	var first error
	for _, m := range ms {
		var err error
		if m.HasCounterUpdates() {
			err = errors.New("localnode: counter updates are applied by a counter leader (ApplyCounter), not as a mutation")
		} else {
			err = r.E.Apply(m)
		}
		if first == nil {
			first = err
		}
	}
	if sg != nil {
		sg.completed.Add(int64(len(ms) - 1))
	}
	return first
}

var _ replication.BatchReplica = Replica{}

// tableName names a table in traces.
func (r Replica) tableName(id mutation.TableID) string {
	if r.Guardrails != nil && r.Guardrails.Describe != nil {
		name, _ := r.Guardrails.Describe(id, nil)
		return name
	}
	return fmt.Sprintf("table %x", id)
}

// Read reads one partition.
func (r Replica) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	sg := r.Pools.reads()
	if err := sg.start(ctx); err != nil {
		return nil, err
	}
	defer sg.done()
	t, err := r.table(cmd.Table)
	if err != nil {
		return nil, err
	}
	q := storage.Query{Key: cmd.Key, Start: cmd.Start, End: cmd.End, Reverse: cmd.Reverse,
		Limit: cmd.Limit, Columns: cmd.Columns, Raw: cmd.Raw}
	g := r.guard(cmd.Keyspace)
	tr := tracing.From(ctx)
	if g == nil && tr == nil {
		return t.Read(q)
	}
	if tr != nil {
		tr.Eventf(tracing.Read, "Executing single-partition query on %s", r.tableName(cmd.Table))
	}
	var st storage.ReadStats
	if g != nil {
		q.MaxTombstones = g.TombstoneFailureThreshold
	}
	p, err := t.ReadCounted(q, &st)
	if tr != nil && err == nil {
		tr.Eventf(tracing.Read, "Read %d live rows and %d tombstone cells", st.LiveRows, st.Tombstones)
	}
	if g != nil {
		err = g.finish(ctx, cmd.Table, cmd.Key.Bytes, &st, err)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Digest hashes what Read returns.
func (r Replica) Digest(ctx context.Context, cmd replication.ReadCommand) ([]byte, error) {
	p, err := r.Read(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return replication.PartitionDigest(cmd.Table, p), nil
}

// ReadRange reads a page of partitions.
func (r Replica) ReadRange(ctx context.Context, cmd replication.RangeCommand) (replication.RangeResult, error) {
	sg := r.Pools.reads()
	if err := sg.start(ctx); err != nil {
		return replication.RangeResult{}, err
	}
	defer sg.done()
	t, err := r.table(cmd.Table)
	if err != nil {
		return replication.RangeResult{}, err
	}
	q := storage.ScanQuery{From: cmd.From, To: cmd.To, Start: cmd.Start, End: cmd.End, Columns: cmd.Columns,
		Limit: cmd.Limit, PerPartitionLimit: cmd.PerPartitionLimit, Raw: cmd.Raw}
	if cmd.After != nil {
		q.After = &storage.ScanPosition{Key: cmd.After.Key, Clustering: cmd.After.Clustering}
	}
	g := r.guard(cmd.Keyspace)
	var st storage.ReadStats
	if g != nil {
		q.Stats, q.MaxTombstones = &st, g.TombstoneFailureThreshold
	}
	if cmd.Index != nil {
		res, err := readIndexed(ctx, t, cmd, q)
		if g != nil {
			err = g.finish(ctx, cmd.Table, nil, &st, err)
		}
		return res, err
	}
	var res replication.RangeResult
	next, err := t.Scan(q, func(p *mutation.Partition) bool {
		res.Partitions = append(res.Partitions, p)
		return ctx.Err() == nil
	})
	if g != nil {
		err = g.finish(ctx, cmd.Table, nil, &st, err)
	}
	if err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if next != nil {
		res.Next = &replication.Position{Key: next.Key, Clustering: next.Clustering}
	}
	return res, nil
}

// Backend creates, alters, drops and truncates tables' storage.
type Backend struct{ E *storage.Engine }

// StorageOptions maps a table's CQL options to the engine's.
func StorageOptions(t *schema.Table) storage.TableOptions {
	o := storage.TableOptions{
		Compaction:    t.Compaction["class"],
		BloomFPChance: t.BloomFilterFPChance,
		// The engine reads 0 as "default"; -1 is its spelling of zero.
		GCGraceSeconds: int64(t.GCGrace),
	}
	if o.GCGraceSeconds == 0 {
		o.GCGraceSeconds = -1
	}
	o.TombstoneGC = t.TombstoneGC
	o.Versions = t.CellVersions.Mutation()
	if o.PropagationDelaySeconds = int64(t.PropagationDelay); o.PropagationDelaySeconds == 0 {
		o.PropagationDelaySeconds = -1
	}
	o.CompactionOptions = map[string]string{}
	for k, v := range t.Compaction {
		if k != "class" {
			o.CompactionOptions[k] = v
		}
	}
	compressionOptions(&o, t.Compression)
	return o
}

// compressionOptions maps CQL's compression map (as the catalog validated
// and stored it: class in full, chunk_length_in_kb, the class's options)
// to the engine's: the SSTable blocks are written with what it names.
func compressionOptions(o *storage.TableOptions, m map[string]string) {
	if enabled, ok := m["enabled"]; ok {
		if b, err := strconv.ParseBool(enabled); err == nil && !b {
			o.Compression = "none"
			return
		}
	}
	if m["class"] == "" {
		o.Compression = "none"
		if len(m) == 0 {
			o.Compression = "" // the engine's default, LZ4
		}
		return
	}
	o.Compression = m["class"]
	atoi := func(k string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(m[k]))
		return n
	}
	o.ChunkLengthKB = atoi("chunk_length_in_kb")
	if f, err := strconv.ParseFloat(strings.TrimSpace(m["min_compress_ratio"]), 64); err == nil && f > 0 {
		o.MinCompressRatio = f
	}
	switch strings.TrimPrefix(m["class"], "org.apache.cassandra.io.compress.") {
	case "ZstdCompressor":
		o.CompressionLevel = atoi("compression_level")
	case "LZ4Compressor":
		if strings.EqualFold(strings.TrimSpace(m["lz4_compressor_type"]), "high") {
			o.LZ4High = true
			o.CompressionLevel = atoi("lz4_high_compressor_level")
		}
	}
}

// CreateTable creates the table's storage unless it exists. A table that
// exists (a node restarting) takes the schema's options if they changed:
// the schema says what new SSTables are written with (an engine that
// wrote snappy whatever CQL named now writes the schema's compressor).
func (b Backend) CreateTable(t *schema.Table) error {
	if err := b.createTable(t); err != nil {
		return err
	}
	b.setIndexes(t)
	return nil
}

func (b Backend) createTable(t *schema.Table) error {
	if st := b.E.Table(t.ID); st != nil {
		want := StorageOptions(t)
		a, err1 := json.Marshal(st.Options())
		w, err2 := json.Marshal(want)
		if err1 == nil && err2 == nil && bytes.Equal(a, w) {
			return nil
		}
		return b.E.AlterTable(t.ID, want)
	}
	_, err := b.E.CreateTable(t.ID, StorageOptions(t))
	if errors.Is(err, storage.ErrTableExists) {
		return nil
	}
	return err
}

// AlterTable applies the table's options.
func (b Backend) AlterTable(t *schema.Table) error {
	if err := b.E.AlterTable(t.ID, StorageOptions(t)); err != nil {
		return err
	}
	b.setIndexes(t)
	return nil
}

// DropTable removes the table's storage.
func (b Backend) DropTable(id mutation.TableID) error {
	err := b.E.DropTable(id)
	if errors.Is(err, storage.ErrNoTable) {
		return nil
	}
	return err
}

// SyncSchema makes the schema changes applied so far durable: the commit
// log is synced, whatever its mode.
func (b Backend) SyncSchema() error { return b.E.SyncLog() }

// Truncate removes the table's data.
func (b Backend) Truncate(ctx context.Context, id mutation.TableID) error {
	t := b.E.Table(id)
	if t == nil {
		return fmt.Errorf("localnode: no storage for table %x", id)
	}
	return t.Truncate()
}
