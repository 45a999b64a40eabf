package server

// Guardrails: the settings that bound what one request may do, with
// Cassandra's names and defaults, flat at the top of the configuration as
// Cassandra keeps them (its guardrails are cassandra.yaml settings, not a
// section). Where each applies:
//
//	batch_size_warn_threshold, batch_size_fail_threshold,
//	collection_size_warn_threshold, collection_size_fail_threshold
//	                        the executor, on writes (query.Guardrails)
//	tombstone_warn_threshold, tombstone_failure_threshold
//	                        each replica, on reads (localnode.Guardrails)
//	compaction_large_partition_warning_threshold
//	                        the storage engine, at compaction
//
// A warning reaches the client with the result (read on a remote replica,
// it stays in that node's log) and the node's log; a failure is Invalid
// (writes) or ReadFailure (reads).

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"wcdb/commitlog"
	"wcdb/internal/localnode"
	"wcdb/mutation"
	"wcdb/query"
	"wcdb/query/catalog"
	"wcdb/schema"
)

// queryGuardrails returns the executor's guardrails.
func queryGuardrails(c *Config, log *slog.Logger) query.Guardrails {
	return query.Guardrails{
		BatchSizeWarnThreshold:      int64(c.BatchSizeWarnThreshold),
		BatchSizeFailThreshold:      int64(c.BatchSizeFailThreshold),
		CollectionSizeWarnThreshold: int64(c.CollectionSizeWarnThreshold),
		CollectionSizeFailThreshold: int64(c.CollectionSizeFailThreshold),
		// What the commit log takes in one record (Cassandra's
		// max_mutation_size is half a segment; ours is the record limit).
		MaxMutationSize: commitlog.DefaultMaxRecordSize,
		Log:             log,
	}
}

// replicaGuardrails returns the local replica's guardrails.
func replicaGuardrails(c *Config, log *slog.Logger, names *tableNames) *localnode.Guardrails {
	return &localnode.Guardrails{
		TombstoneWarnThreshold:    c.TombstoneWarnThreshold,
		TombstoneFailureThreshold: c.TombstoneFailureThreshold,
		Describe:                  names.describe,
		Log:                       log,
	}
}

// tableNames names tables and formats their partition keys for the
// guardrails' messages, from the executor's schema once there is one
// (storage may compact before it is loaded: ids and hex keys then).
type tableNames struct {
	exec atomic.Pointer[query.Executor]
}

// describe returns "keyspace.table" and the key as cqlsh shows it (the
// components of a composite key joined by ':', as Cassandra logs keys).
func (n *tableNames) describe(table mutation.TableID, key []byte) (string, string) {
	ks, name, keyText := n.parts(table, key)
	if ks == "" {
		return name, keyText
	}
	return ks + "." + name, keyText
}

// parts returns the keyspace, table and key text.
func (n *tableNames) parts(table mutation.TableID, key []byte) (ks, name, keyText string) {
	var t *schema.Table
	if x := n.exec.Load(); x != nil {
		t = x.Catalog().TableByID(table)
	}
	if t == nil {
		return "", fmt.Sprintf("table %x", table), fmt.Sprintf("%x", key)
	}
	cols := t.PartitionKey()
	vals := [][]byte{key}
	if len(cols) > 1 {
		var err error
		if vals, err = catalog.SplitPartitionKey(key, len(cols)); err != nil {
			return t.Keyspace, t.Name, fmt.Sprintf("%x", key)
		}
	}
	texts := make([]string, len(vals))
	for i, v := range vals {
		texts[i] = schema.Display(cols[i].Type, v)
	}
	return t.Keyspace, t.Name, strings.Join(texts, ":")
}

// largePartition logs a partition a compaction wrote over
// compaction_large_partition_warning_threshold, as Cassandra's "Writing
// large partition ks/t:key (size) to sstable ..." at WARN.
func (n *tableNames) largePartition(log *slog.Logger, threshold int64) func(mutation.TableID, mutation.Key, int64, string) {
	return func(table mutation.TableID, key mutation.Key, size int64, sstable string) {
		ks, name, keyText := n.parts(table, key.Bytes)
		log.Warn(fmt.Sprintf("writing large partition %s/%s:%s (%.1fMiB) to sstable %s (compaction_large_partition_warning_threshold %s)",
			ks, name, keyText, float64(size)/(1<<20), sstable, ByteSize(threshold)),
			"keyspace", ks, "table", name, "key", keyText, "size", size, "sstable", sstable)
	}
}
