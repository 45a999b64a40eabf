package localnode

import (
	"context"
	"errors"
	"strings"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
)

// deleteKeys writes a partition deletion for each key.
func deleteKeys(t *testing.T, r Replica, keys ...string) {
	t.Helper()
	for _, k := range keys {
		m := &mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key(k),
			Deletion: mutation.Deletion{Timestamp: 5, LocalDeletionTime: 1000}}}
		if err := r.Apply(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTombstoneGuardrails: reads over tombstone_warn_threshold warn the
// client (through the request's context) and go on; over
// tombstone_failure_threshold they fail, which the coordinator answers
// ReadFailure; the node's own keyspaces are left alone.
func TestTombstoneGuardrails(t *testing.T) {
	r := openReplica(t)
	r.Guardrails = &Guardrails{TombstoneWarnThreshold: 2, TombstoneFailureThreshold: 4,
		Describe: func(table mutation.TableID, key []byte) (string, string) { return "ks.t", string(key) }}
	ks := &schema.Keyspace{Name: "ks", Replication: map[string]string{"class": schema.SimpleStrategy, "replication_factor": "1"}}
	coord := replication.NewLocal(r, "dc1")
	// Three deleted partitions, then a fourth and fifth.
	deleteKeys(t, r, "a", "b", "c")
	rng := replication.RangeCommand{Keyspace: ks, Table: tid}
	ctx, w := replication.WithWarnings(context.Background())
	if _, err := coord.ReadRange(ctx, rng, replication.One); err != nil {
		t.Fatal(err)
	}
	if got := w.List(); len(got) != 1 || got[0] != "Read 0 live rows and 3 tombstone cells in a range read of ks.t (see tombstone_warn_threshold)" {
		t.Errorf("warnings %q", got)
	}
	// A point read of one deleted partition is under the threshold.
	ctx, w = replication.WithWarnings(context.Background())
	if _, err := coord.Read(ctx, replication.ReadCommand{Keyspace: ks, Table: tid, Key: key("a")}, replication.One); err != nil || w.List() != nil {
		t.Errorf("point read: %v, warnings %q", err, w.List())
	}
	deleteKeys(t, r, "d", "e")
	_, err := coord.ReadRange(context.Background(), rng, replication.One)
	var rf *replication.ReadFailureError
	if !errors.As(err, &rf) || rf.Failures != 1 || !errors.Is(err, replication.ErrTooManyTombstones) ||
		!strings.Contains(err.Error(), "ks.t") {
		t.Errorf("range read of 5 deleted partitions: got %v, want a ReadFailure for too many tombstones", err)
	}
	// A remote coordinator's command (no keyspace) is limited too.
	if _, err := r.ReadRange(context.Background(), replication.RangeCommand{Table: tid}); !errors.Is(err, replication.ErrTooManyTombstones) {
		t.Errorf("range read without keyspace: got %v, want ErrTooManyTombstones", err)
	}
	// The node's own keyspaces are not.
	sys := &schema.Keyspace{Name: "system", Replication: map[string]string{"class": schema.LocalStrategy}}
	ctx, w = replication.WithWarnings(context.Background())
	if _, err := r.ReadRange(ctx, replication.RangeCommand{Keyspace: sys, Table: tid}); err != nil || w.List() != nil {
		t.Errorf("system keyspace: %v, warnings %q", err, w.List())
	}
}
