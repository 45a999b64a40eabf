// Package counter holds Cassandra's rules for the CQL statements of
// counter tables (tables whose non-key columns are all counters), and
// their writes through the coordinator's counter leader:
//
//   - UPDATE increments or decrements (c = c + v, c = c - v, c += v); a
//     counter cannot be set, and no other column can be incremented
//     (package query analyzes the assignments).
//   - INSERT is refused; so are USING TTL and USING TIMESTAMP.
//   - DELETE of a counter or of rows works as for any table; a deleted
//     counter cannot be used again (see mutation/counter.go).
//   - Counter updates go in an UNLOGGED or COUNTER batch, never a logged
//     one, and a batch holding them holds nothing else.
//   - Increments are written through replication.CounterCoordinator (a
//     leader replica turns each delta into its own shard); ANY and the
//     serial levels are refused.
//
// A counter reads as a bigint, the sum of its shards (package plan).
package counter

import (
	"context"
	"encoding/binary"
	"errors"

	"wcdb/mutation"
	"wcdb/query/ast"
	"wcdb/query/qerr"
	"wcdb/replication"
	"wcdb/schema"
)

// CheckStatement refuses what a counter table's statements may not have:
// INSERT, USING TIMESTAMP, USING TTL. Other tables pass.
func CheckStatement(t *schema.Table, st ast.Statement) error {
	if !t.IsCounter() {
		return nil
	}
	var u ast.Using
	switch st := st.(type) {
	case *ast.InsertStmt:
		return qerr.Invalidf("INSERT statements are not allowed on counter tables, use UPDATE instead")
	case *ast.UpdateStmt:
		u = st.Using
	case *ast.DeleteStmt:
		u = st.Using
	}
	if u.Timestamp != nil {
		return qerr.Invalidf("Cannot provide custom timestamp for counter updates")
	}
	if u.TTL != nil {
		return qerr.Invalidf("Cannot provide custom TTL for counter updates")
	}
	return nil
}

// CheckConsistency refuses the levels a write of a counter table cannot
// use (Cassandra's validateCounterForWrite); other tables pass.
func CheckConsistency(t *schema.Table, cl replication.Consistency) error {
	if !t.IsCounter() {
		return nil
	}
	switch cl {
	case replication.Any:
		return qerr.Invalidf("Consistency level ANY is not yet supported for counter table %s", t.Name)
	case replication.Serial, replication.LocalSerial:
		return qerr.Invalidf("Counter operations are inherently non-serializable")
	}
	return nil
}

// CheckBatchStatement applies the rules on counters in a batch of type typ
// (with a USING TIMESTAMP of its own if batchTS) to its statement on t.
func CheckBatchStatement(typ ast.BatchType, batchTS bool, t *schema.Table) error {
	counter := t.IsCounter()
	switch {
	case typ == ast.CounterBatch && !counter:
		return qerr.Invalidf("Cannot include non-counter statement in a counter batch")
	case typ == ast.LoggedBatch && counter:
		return qerr.Invalidf("Cannot include a counter statement in a logged batch")
	case batchTS && counter:
		return qerr.Invalidf("Cannot provide custom timestamp for counter BATCH")
	}
	return nil
}

// CheckBatch refuses a batch whose statements' tables mix counter tables
// and others, or a batch of counters at a level they cannot use; it
// reports whether it is a batch of counters.
func CheckBatch(tables []*schema.Table, cl replication.Consistency) (bool, error) {
	counter, other := false, false
	for _, t := range tables {
		if t.IsCounter() {
			counter = true
		} else {
			other = true
		}
	}
	if counter && other {
		return false, qerr.Invalidf("Counter and non-counter mutations cannot exist in the same batch")
	}
	if counter {
		return true, CheckConsistency(tables[0], cl)
	}
	return false, nil
}

// Delta returns the increment a bound value (not null, not unset) makes,
// negated for c = c - v.
func Delta(v []byte, negate bool) (int64, error) {
	if len(v) != 8 {
		return 0, qerr.Invalidf("Expected 8 bytes for a counter increment (%d)", len(v))
	}
	d := int64(binary.BigEndian.Uint64(v))
	if negate {
		d = -d
	}
	return d, nil
}

// Write writes the mutations of keyspace ks through coord: those carrying
// increments (mutation.CellCounterUpdate) one by one through the counter
// leader, the others (deletions) as any write.
func Write(ctx context.Context, coord replication.Coordinator, ks *schema.Keyspace, ms []mutation.Mutation, cl replication.Consistency) error {
	cc, ok := coord.(replication.CounterCoordinator)
	if !ok {
		return errors.New("query: the coordinator cannot write counters")
	}
	for i := range ms {
		var err error
		if ms[i].HasCounterUpdates() {
			err = cc.WriteCounter(ctx, ks, &ms[i], cl)
		} else {
			err = coord.Write(ctx, ks, ms[i:i+1], cl)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
