// Package localnode adapts the local storage engine to what the layers
// above ask of a node: replication's Replica (reads and writes of this
// node's data) and the query executor's Backend (tables' storage as DDL
// creates, alters and drops them). It imports neither query nor server, so
// their tests can run on a real engine.
package localnode

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/storage"
)

// Replica serves the coordinator's reads and writes from the local engine.
type Replica struct{ E *storage.Engine }

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
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.E.Apply(m)
}

// Read reads one partition.
func (r Replica) Read(ctx context.Context, cmd replication.ReadCommand) (*mutation.Partition, error) {
	t, err := r.table(cmd.Table)
	if err != nil {
		return nil, err
	}
	return t.Read(storage.Query{Key: cmd.Key, Start: cmd.Start, End: cmd.End, Reverse: cmd.Reverse,
		Limit: cmd.Limit, Columns: cmd.Columns, Raw: cmd.Raw})
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
	t, err := r.table(cmd.Table)
	if err != nil {
		return replication.RangeResult{}, err
	}
	q := storage.ScanQuery{From: cmd.From, To: cmd.To, Start: cmd.Start, End: cmd.End, Columns: cmd.Columns,
		Limit: cmd.Limit, PerPartitionLimit: cmd.PerPartitionLimit, Raw: cmd.Raw}
	if cmd.After != nil {
		q.After = &storage.ScanPosition{Key: cmd.After.Key, Clustering: cmd.After.Clustering}
	}
	var res replication.RangeResult
	next, err := t.Scan(q, func(p *mutation.Partition) bool {
		res.Partitions = append(res.Partitions, p)
		return ctx.Err() == nil
	})
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
	if o.PropagationDelaySeconds = int64(t.PropagationDelay); o.PropagationDelaySeconds == 0 {
		o.PropagationDelaySeconds = -1
	}
	o.CompactionOptions = map[string]string{}
	for k, v := range t.Compaction {
		if k != "class" {
			o.CompactionOptions[k] = v
		}
	}
	// Blocks are compressed with snappy whatever compressor CQL names
	// (LZ4 is Cassandra's default; the engine has one block codec), and
	// not at all when compression is disabled.
	o.Compression = "snappy"
	if enabled, ok := t.Compression["enabled"]; ok {
		if b, err := strconv.ParseBool(enabled); err == nil && !b {
			o.Compression = "none"
		}
	}
	if t.Compression["class"] == "" && len(t.Compression) > 0 {
		o.Compression = "none"
	}
	return o
}

// CreateTable creates the table's storage unless it exists.
func (b Backend) CreateTable(t *schema.Table) error {
	if b.E.Table(t.ID) != nil {
		return nil
	}
	_, err := b.E.CreateTable(t.ID, StorageOptions(t))
	if errors.Is(err, storage.ErrTableExists) {
		return nil
	}
	return err
}

// AlterTable applies the table's options.
func (b Backend) AlterTable(t *schema.Table) error { return b.E.AlterTable(t.ID, StorageOptions(t)) }

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
