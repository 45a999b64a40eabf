// Package guardrails holds the query layer's limits on what one request
// may write, with Cassandra's settings. A request over a warn threshold is carried out, the client
// warned (Result.Warnings) and the crossing logged; one over a fail
// threshold is refused with an Invalid error, as Cassandra refuses it. The
// read guardrails (tombstones) are the replicas' (internal/localnode); the
// warnings their reads on this node give reach the result through the
// request's context (replication.Warnings).
package guardrails

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"wcdb/mutation"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// Guardrails are the executor's limits on writes. A threshold of 0 is
// off; the zero value puts no limit at all.
type Guardrails struct {
	// BatchSizeWarnThreshold and BatchSizeFailThreshold bound the data of
	// a batch that spans more than one partition (Cassandra's
	// batch_size_warn_threshold and batch_size_fail_threshold: 5 KiB and
	// 50 KiB): a batch over the warn threshold is warned of and logged,
	// one over the fail threshold refused ("Batch too large"). A batch
	// whose statements all write one partition (of one or several tables
	// of a keyspace: one mutation, to Cassandra) is exempt, as in
	// Cassandra: it is applied as one write, however large. The size is
	// what Cassandra's IMutation.dataSize counts (see batchDataSize).
	BatchSizeWarnThreshold int64
	BatchSizeFailThreshold int64
	// CollectionSizeWarnThreshold and CollectionSizeFailThreshold bound
	// the serialized size of a collection value a statement writes
	// (Cassandra 5's collection_size_warn_threshold and
	// collection_size_fail_threshold guardrails): for a non-frozen
	// collection, the part the statement writes (an append, say), as
	// Cassandra checks it without reading what is there already. A value
	// over the fail threshold is refused before it is expanded into cells.
	CollectionSizeWarnThreshold int64
	CollectionSizeFailThreshold int64
	// MaxMutationSize refuses a write whose collection alone would encode
	// larger, before its elements are expanded into cells (Cassandra's
	// max_mutation_size, half a commit log segment): a bound list of a
	// million ints is 8 MB as a value but a million cells, which the
	// commit log would refuse only after they were built. 0: no check.
	MaxMutationSize int64
	// Log, if set, receives the guardrails crossed: at WARN those warned
	// of, at ERROR batches refused.
	Log *slog.Logger
}

// Default returns the node's defaults: Cassandra's batch size
// thresholds (5 KiB, 50 KiB) and a collection size warning at 1 MiB
// (Cassandra ships its collection_size guardrail off; a collection that
// large is read whole on every access), without a collection size limit.
func Default() Guardrails {
	return Guardrails{
		BatchSizeWarnThreshold:      5 << 10,
		BatchSizeFailThreshold:      50 << 10,
		CollectionSizeWarnThreshold: 1 << 20,
		MaxMutationSize:             16 << 20, // the commit log's record limit
	}
}

// CheckMutationSize refuses a non-frozen collection value v of column c
// whose cells would encode larger than MaxMutationSize. It counts a lower
// bound of their encoding from v's element count (its first 4 bytes) and
// size, without decoding it: each element becomes a cell of at least 3
// bytes of header plus its path (a list's 16-byte timeuuid, a set's
// element, a map's key) and value, and sheds v's 4-byte length prefixes.
func (g *Guardrails) CheckMutationSize(t *schema.Table, c *schema.Column, v []byte) error {
	if g == nil || g.MaxMutationSize <= 0 || len(v) < 4 {
		return nil
	}
	n := int64(binary.BigEndian.Uint32(v))
	if n < 0 || n > int64(len(v))/4 {
		return nil // malformed: the decoder says why
	}
	prefixes := 4 * n
	if c.Type.Kind == schema.KindMap {
		prefixes *= 2
	}
	est := int64(len(v)) - 4 - prefixes + 3*n
	if c.Type.Kind == schema.KindList {
		est += 16 * n
	}
	if est > g.MaxMutationSize {
		return qerr.Invalidf("Rejected an oversized mutation (%d/%d) for keyspace: %s. Top keys are: %s.%s (column %s, %d elements)",
			est, g.MaxMutationSize, t.Keyspace, t.Keyspace, t.Name, c.Name, n)
	}
	return nil
}

// CheckCollection applies the collection size thresholds to the
// serialized collection value v written to column c of table t.
func (g *Guardrails) CheckCollection(t *schema.Table, c *schema.Column, v []byte, w *replication.Warnings) error {
	if g == nil {
		return nil
	}
	n := int64(len(v))
	if g.CollectionSizeFailThreshold > 0 && n > g.CollectionSizeFailThreshold {
		return qerr.Invalidf("Guardrail collection_size violated: Detected collection %s of size %s, this exceeds the failure threshold of %s.",
			c.Name, formatSize(n), formatSize(g.CollectionSizeFailThreshold))
	}
	if g.CollectionSizeWarnThreshold > 0 && n > g.CollectionSizeWarnThreshold {
		w.Add(fmt.Sprintf("Guardrail collection_size violated: Detected collection %s of size %s, this exceeds the warning threshold of %s.",
			c.Name, formatSize(n), formatSize(g.CollectionSizeWarnThreshold)))
		if g.Log != nil {
			g.Log.Warn("collection over collection_size_warn_threshold", "keyspace", t.Keyspace, "table", t.Name,
				"column", c.Name, "size", n, "threshold", g.CollectionSizeWarnThreshold)
		}
	}
	return nil
}

// CheckBatch applies the batch size thresholds to a batch's mutations,
// grouped by keyspace; tables names its statements' tables (ks.t), for
// messages, when one is crossed.
func (g *Guardrails) CheckBatch(groups [][]mutation.Mutation, tables func() []string, w *replication.Warnings) error {
	if g == nil || g.BatchSizeWarnThreshold <= 0 && g.BatchSizeFailThreshold <= 0 {
		return nil
	}
	// One mutation to Cassandra is one partition key of one keyspace,
	// whatever the tables.
	partitions := 0
	for _, ms := range groups {
		keys := make(map[string]bool, len(ms))
		for i := range ms {
			keys[string(ms[i].Partition.Key.Bytes)] = true
		}
		partitions += len(keys)
	}
	if partitions <= 1 {
		return nil
	}
	var size int64
	for _, ms := range groups {
		for i := range ms {
			size += batchDataSize(&ms[i].Partition)
		}
	}
	over := func(limit int64) bool { return limit > 0 && size > limit }
	if !over(g.BatchSizeWarnThreshold) && !over(g.BatchSizeFailThreshold) {
		return nil
	}
	names := tables()
	if over(g.BatchSizeFailThreshold) {
		if g.Log != nil {
			g.Log.Error("batch refused: over batch_size_fail_threshold", "tables", names, "size", size,
				"threshold", g.BatchSizeFailThreshold, "partitions", partitions)
		}
		return qerr.Invalidf("Batch too large")
	}
	msg := fmt.Sprintf("Batch for [%s] is of size %d, exceeding specified threshold of %d by %d.",
		strings.Join(names, ", "), size, g.BatchSizeWarnThreshold, size-g.BatchSizeWarnThreshold)
	w.Add(msg)
	if g.Log != nil {
		g.Log.Warn(msg, "partitions", partitions)
	}
	return nil
}

// batchDataSize returns the size of a partition's update as Cassandra's
// PartitionUpdate.dataSize counts it for the batch thresholds: the data
// and what each piece of it costs, not its encoding. A partition counts 28
// bytes (its deletion's timestamp, and an empty static row's 20); each row
// (the static row too) 20 (marker timestamp and deletion) plus 8 for a
// TTL'd marker, plus its clustering key (here in its byte-comparable
// encoding, within a few bytes of Cassandra's values); each cell 16
// (timestamp, TTL, local deletion time) plus its value and path; each
// collection column of a row 12 (its deletion); each range tombstone its
// bounds plus 12, and 4 for the partition's list of them.
func batchDataSize(p *mutation.Partition) int64 {
	n := int64(8 + 20)
	if len(p.RangeTombstones) > 0 {
		n += 4
		for i := range p.RangeTombstones {
			rt := &p.RangeTombstones[i]
			n += int64(len(rt.Start) + len(rt.End) + 12)
		}
	}
	row := func(r *mutation.Row) int64 {
		n := int64(len(r.Clustering) + 20)
		if r.Liveness.TTL > 0 {
			n += 8
		}
		complexCol, hasComplex := uint32(0), false
		for i := range r.Cells {
			c := &r.Cells[i]
			n += int64(16 + len(c.Value) + len(c.Path))
			if len(c.Path) > 0 || c.IsColumnDeletion() {
				if !hasComplex || c.Column != complexCol {
					n += 12
				}
				complexCol, hasComplex = c.Column, true
			}
		}
		return n
	}
	if p.Static != nil {
		n += row(p.Static) - 20 // the empty static row is counted above
	}
	for i := range p.Rows {
		n += row(&p.Rows[i])
	}
	return n
}

// formatSize prints a size in bytes as Cassandra prints its data sizes in
// guardrail messages: with the largest unit that keeps a whole number, or
// in bytes.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
