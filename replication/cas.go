package replication

import (
	"bytes"
	"context"
	"errors"

	"wcdb/mutation"
	"wcdb/schema"
	"wcdb/schema/timeuuid"
)

// Lightweight transactions: a conditional update of one partition, agreed
// on by its replicas with Cassandra's Paxos (paxos.go runs it). This file
// holds what the query layer and the replicas see of it: the request, the
// replica's side of the protocol, and its messages' encoding.

// CASRequest is a lightweight transaction on one partition.
type CASRequest struct {
	Keyspace *schema.Keyspace
	// Read selects what the conditions need of the partition (Raw false).
	// The coordinator reads it at the serial level's quorum once the
	// Paxos round has its promises.
	Read ReadCommand
	// Decide is given the partition as read (nil if empty) and the write
	// timestamp (µs) the update must carry, the ballot's, and returns the
	// update when the conditions hold, nil when they do not. A contended
	// round is retried with a new read, so it may be called more than
	// once; it must not keep state between calls.
	Decide func(current *mutation.Partition, timestamp int64) (*mutation.Mutation, error)
}

// CASResult is a lightweight transaction's outcome.
type CASResult struct {
	Applied bool
	// Current is the partition as Decide saw it last.
	Current *mutation.Partition
	// RoundTrips counts the message exchanges with the replicas (prepare,
	// read, propose, commit and any repeated after contention).
	RoundTrips int
}

// CASCoordinator is a Coordinator that runs lightweight transactions.
// Reads at Serial or LocalSerial (Coordinator.Read) see every transaction
// that completed before them, finishing one left in progress.
type CASCoordinator interface {
	// CAS runs req: the Paxos phases at serial (Serial or LocalSerial),
	// the commit at commit (any non-serial level but ANY's hints only).
	CAS(ctx context.Context, req CASRequest, serial, commit Consistency) (CASResult, error)
}

// WriteCAS is the write type of a lightweight transaction's timeout.
const WriteCAS WriteType = "CAS"

// ErrCASContention is wrapped in the WriteTimeout of a transaction that
// could not win a ballot within cas_contention_timeout.
var ErrCASContention = errors.New("replication: contention on the partition's Paxos state")

// Ballot is a Paxos ballot: a timeuuid, ordered by its time and then by
// its other bytes (the proposer's clock sequence and node).
type Ballot = timeuuid.UUID

// CompareBallots orders ballots; the zero ballot is the least.
func CompareBallots(a, b Ballot) int {
	if ta, tb := timeuuid.Ticks(a), timeuuid.Ticks(b); ta != tb {
		if ta < tb {
			return -1
		}
		return 1
	}
	return bytes.Compare(a[8:], b[8:])
}

// Proposal is a ballot and the update it carries (an empty update, a
// Partition with no content, for a round that only reads).
type Proposal struct {
	Ballot Ballot
	Update mutation.Mutation
}

// Promise is a replica's answer to a prepare.
type Promise struct {
	// Promised: the ballot was the highest the replica had seen, and it
	// promised to accept no lower one. Otherwise Ballot is the one it had
	// promised, for the proposer to go above.
	Promised bool
	Ballot   Ballot
	// Accepted is the last proposal the replica accepted and has not seen
	// committed (nil: none), MostRecentCommit the last it saw committed
	// (zero ballot: none).
	Accepted         *Proposal
	MostRecentCommit Proposal
	// Data is the partition as the replica held it when it promised
	// (raw, tombstones included), when the prepare asked for a read;
	// HasData tells an empty partition from no read.
	Data    *mutation.Partition
	HasData bool
}

// PaxosKey names a partition's Paxos state: the table and the key.
type PaxosKey struct {
	Table mutation.TableID
	Key   mutation.Key
}

// PaxosReplica is a replica's side of Paxos. A promise and an accept are
// durable (on disk, synced) before they are answered, whatever the commit
// log's sync mode: a replica that forgot one after a power loss could let
// two proposals win. A commit is as durable as a write: the proposal it
// completes stays accepted until it is, and a later round commits it
// again.
type PaxosReplica interface {
	// PaxosPrepare promises ballot if it is higher than any the replica
	// has promised for the partition; with a read (of k's partition, Raw),
	// a promise carries the data read under the same lock.
	PaxosPrepare(ctx context.Context, k PaxosKey, ballot Ballot, read *ReadCommand) (Promise, error)
	// PaxosPropose accepts p unless the replica promised a higher ballot.
	PaxosPropose(ctx context.Context, k PaxosKey, p Proposal) (bool, error)
	// PaxosCommit applies p's update to the table and records p as the
	// partition's most recent commit.
	PaxosCommit(ctx context.Context, k PaxosKey, p Proposal) error
}

// paxosOf returns the Paxos side of a replica (messaging's peers and the
// local replica implement it).
func paxosOf(r Replica) (PaxosReplica, bool) {
	pr, ok := r.(PaxosReplica)
	return pr, ok
}
