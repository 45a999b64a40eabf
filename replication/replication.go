// Package replication holds what the query layer asks of the cluster: the
// Coordinator interface, consistency levels, the read and write commands,
// and the errors the native protocol reports (Unavailable, timeouts). This
// first implementation, Local, serves a single node: one replica, this one.
// The cluster's coordinator (replica placement, hints, read repair) puts
// itself behind the same interface.
package replication

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"wcdb/mutation"
	"wcdb/schema"
)

// Consistency is a consistency level, numbered as in the native protocol.
type Consistency uint16

// Consistency levels.
const (
	Any         Consistency = 0x0000
	One         Consistency = 0x0001
	Two         Consistency = 0x0002
	Three       Consistency = 0x0003
	Quorum      Consistency = 0x0004
	All         Consistency = 0x0005
	LocalQuorum Consistency = 0x0006
	EachQuorum  Consistency = 0x0007
	Serial      Consistency = 0x0008
	LocalSerial Consistency = 0x0009
	LocalOne    Consistency = 0x000A
)

var consistencyNames = [...]string{"ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL",
	"LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"}

// String returns the level's name as CQL spells it (LOCAL_QUORUM).
func (c Consistency) String() string {
	if int(c) < len(consistencyNames) {
		return consistencyNames[c]
	}
	return "UNKNOWN_CONSISTENCY_" + strconv.Itoa(int(c))
}

// ParseConsistency reads a level's name, in any case.
func ParseConsistency(s string) (Consistency, error) {
	for i, n := range consistencyNames {
		if strings.EqualFold(s, n) {
			return Consistency(i), nil
		}
	}
	return 0, fmt.Errorf("replication: unknown consistency level %q", s)
}

// Valid reports whether c is a level the protocol defines.
func (c Consistency) Valid() bool { return int(c) < len(consistencyNames) }

// ReadOf is the read of partition key of table t (keyspace ks) with the
// table's cell versions rule, which every read of a versioned table must
// carry: the coordinator ranks the replicas' versions by it.
func ReadOf(ks *schema.Keyspace, t *schema.Table, key mutation.Key) ReadCommand {
	return ReadCommand{Keyspace: ks, Table: t.ID, Key: key, Versions: t.CellVersions.Mutation()}
}

// RangeOf is a range read of table t (keyspace ks) with its cell versions
// rule (ReadOf).
func RangeOf(ks *schema.Keyspace, t *schema.Table) RangeCommand {
	return RangeCommand{Keyspace: ks, Table: t.ID, Versions: t.CellVersions.Mutation()}
}

// ReadCommand reads one partition, or a clustering slice of it.
type ReadCommand struct {
	Keyspace *schema.Keyspace
	Table    mutation.TableID
	Key      mutation.Key
	// Start <= clustering < End; nil bounds are open.
	Start, End []byte
	Reverse    bool
	// Limit is the most live rows (0: none).
	Limit int
	// Columns, if set, are the column ids wanted, ascending.
	Columns []uint32
	// Raw asks for the data as the replica has it, tombstones included,
	// for a coordinator that reconciles several replicas' answers: in the
	// canonical form (data shadowed by a deletion left out, expired cells
	// as tombstones), so that replicas holding the same writes answer the
	// same bytes however they applied them. Limit then counts rows of any
	// kind.
	Raw bool
	// Versions is the table's cell versions rule (the coordinator applies
	// it to what it reconciles, which may hold more versions than it
	// keeps); not sent to replicas, which know it.
	Versions mutation.VersionRule
}

// RangeCommand reads partitions in ring order: From <= key < To (nil is
// open), resuming after After when set.
type RangeCommand struct {
	Keyspace          *schema.Keyspace
	Table             mutation.TableID
	From, To          *mutation.Key
	After             *Position
	Start, End        []byte
	Columns           []uint32
	Limit             int
	PerPartitionLimit int
	// Raw and Versions are as in ReadCommand.
	Raw      bool
	Versions mutation.VersionRule
	// Index, if set, reads only the partitions the replica's local
	// secondary index lists under a term of the query (their rows in
	// Start..End, as without it); the caller re-checks the rows.
	Index *IndexQuery
}

// IndexQuery selects the terms of a secondary index: Lo <= term <= Hi
// (schema/indexing terms; nil bounds open), either bound exclusive by its
// flag.
type IndexQuery struct {
	Name                     string
	Lo, Hi                   []byte
	LoExclusive, HiExclusive bool
}

// Position is where a range read stopped: the last partition returned and
// the clustering key of its last row (nil if none).
type Position struct {
	Key        mutation.Key
	Clustering []byte
}

// RangeResult is a page of partitions; Next is where to resume, nil when
// the range is exhausted.
type RangeResult struct {
	Partitions []*mutation.Partition
	Next       *Position
}

// Coordinator executes reads and writes at a consistency level. Its
// methods are safe for concurrent use.
type Coordinator interface {
	// Write applies mutations of the keyspace (one partition each; they
	// may be of different tables) at the level.
	Write(ctx context.Context, ks *schema.Keyspace, ms []mutation.Mutation, cl Consistency) error
	// Read returns the partition's visible content, or nil if none.
	Read(ctx context.Context, cmd ReadCommand, cl Consistency) (*mutation.Partition, error)
	// ReadRange returns a page of partitions of a key range.
	ReadRange(ctx context.Context, cmd RangeCommand, cl Consistency) (RangeResult, error)
}

// Replica is one node's store as the coordinator sees it. Its methods are
// safe for concurrent use.
type Replica interface {
	// Apply writes the mutation; applying it twice is harmless.
	Apply(ctx context.Context, m *mutation.Mutation) error
	// Read returns the partition's content the command selects, or nil.
	Read(ctx context.Context, cmd ReadCommand) (*mutation.Partition, error)
	// Digest returns a hash of what Read returns for the command, so that
	// replicas holding the same data give the same digest.
	Digest(ctx context.Context, cmd ReadCommand) ([]byte, error)
	ReadRange(ctx context.Context, cmd RangeCommand) (RangeResult, error)
}

// BatchReplica is a Replica that can apply several mutations in one call
// (this node's: a batch's mutations it alone holds). Each is applied as
// Apply would; the first error is returned, after the others were tried.
type BatchReplica interface {
	ApplyAll(ctx context.Context, ms []*mutation.Mutation) error
}

// AsyncReplica is a Replica that can start a write without the caller
// waiting (a remote one, whose writes travel in batches): done gets the
// outcome exactly once, on another goroutine, before ctx's deadline has
// long passed, and must not block. The coordinator uses it to send a write
// to its replicas without a goroutine per replica.
type AsyncReplica interface {
	ApplyAsync(ctx context.Context, m *mutation.Mutation, done func(error))
}

// ErrNotDelivered is matched (errors.Is) by a replica error that says the
// request never reached the replica: no connection to it, or it is
// stopping. A pending replica that fails so is taken as one the failure
// detector holds down, which it is about to: left out of what the write
// waits for, and hinted (a joining node killed before the others notice
// must not fail RF 1 writes; it streams again when it is back).
var ErrNotDelivered = errors.New("replication: not delivered to the replica")

// PartitionDigest is the digest replicas give of a read's answer: the
// SHA-256 of the partition's mutation encoding (all-zero input for none).
func PartitionDigest(table mutation.TableID, p *mutation.Partition) []byte {
	var b []byte
	if p != nil {
		b = mutation.AppendMutation(nil, &mutation.Mutation{Table: table, Partition: *p})
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// UnavailableError says too few replicas were alive to try the request;
// nothing was written.
type UnavailableError struct {
	Consistency     Consistency
	Required, Alive int
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("Cannot achieve consistency level %s (required %d, alive %d)", e.Consistency, e.Required, e.Alive)
}

// WriteType is the kind of write that timed out, as the protocol names it.
type WriteType string

// Write types.
const (
	WriteSimple        WriteType = "SIMPLE"
	WriteBatch         WriteType = "BATCH"
	WriteUnloggedBatch WriteType = "UNLOGGED_BATCH"
	WriteBatchLog      WriteType = "BATCH_LOG"
)

// WriteTimeoutError says too few replicas acknowledged a write in time.
type WriteTimeoutError struct {
	Consistency        Consistency
	Received, BlockFor int
	WriteType          WriteType
}

func (e *WriteTimeoutError) Error() string {
	return fmt.Sprintf("Operation timed out - received only %d responses (%s, block for %d)", e.Received, e.Consistency, e.BlockFor)
}

// WriteFailureError says replicas answered a write with an error (rather
// than not in time), so the level could not be met; the write may have
// been applied on the others (Cassandra's WriteFailure).
type WriteFailureError struct {
	Consistency        Consistency
	Received, BlockFor int
	Failures           int
	WriteType          WriteType
	// Err is the first replica's error.
	Err error
}

func (e *WriteFailureError) Error() string { return e.Message() + ": " + fmt.Sprint(e.Err) }

// Message is what a client is told: Cassandra's words, without the
// replica's error (which may name the node's files); Error adds it, for
// the node's own logs.
func (e *WriteFailureError) Message() string {
	return fmt.Sprintf("Operation failed - received %d responses and %d failures (%s, block for %d)",
		e.Received, e.Failures, e.Consistency, e.BlockFor)
}

func (e *WriteFailureError) Unwrap() error { return e.Err }

// ReadFailureError says replicas answered a read with an error, so the
// level could not be met (Cassandra's ReadFailure).
type ReadFailureError struct {
	Consistency        Consistency
	Received, BlockFor int
	Failures           int
	DataPresent        bool
	Err                error
}

func (e *ReadFailureError) Error() string { return e.Message() + ": " + fmt.Sprint(e.Err) }

// Message is what a client is told (WriteFailureError.Message).
func (e *ReadFailureError) Message() string {
	return fmt.Sprintf("Operation failed - received %d responses and %d failures (%s, block for %d)",
		e.Received, e.Failures, e.Consistency, e.BlockFor)
}

func (e *ReadFailureError) Unwrap() error { return e.Err }

// ReadTimeoutError says too few replicas answered a read in time.
type ReadTimeoutError struct {
	Consistency        Consistency
	Received, BlockFor int
	DataPresent        bool
}

func (e *ReadTimeoutError) Error() string {
	return fmt.Sprintf("Operation timed out - received only %d responses (%s, block for %d)", e.Received, e.Consistency, e.BlockFor)
}

// ReplicationFactor returns the keyspace's total replication factor and its
// factor in datacenter dc (for SimpleStrategy both are the factor; for
// LocalStrategy, 1).
func ReplicationFactor(ks *schema.Keyspace, dc string) (total, local int) {
	opts := ks.Replication
	switch opts["class"] {
	case schema.SimpleStrategy:
		n, _ := strconv.Atoi(opts["replication_factor"])
		return n, n
	case schema.NetworkTopologyStrategy:
		for k, v := range opts {
			if k == "class" || k == "replication_factor" {
				continue
			}
			n, _ := strconv.Atoi(v)
			total += n
			if k == dc {
				local = n
			}
		}
		return total, local
	}
	return 1, 1
}

// BlockFor returns how many replica acknowledgements level cl needs, given
// the keyspace's total and local replication factors (as Cassandra's
// ConsistencyLevel.blockFor; EACH_QUORUM is counted over all datacenters
// here, the cluster coordinator checks each).
func BlockFor(cl Consistency, total, local int) int {
	switch cl {
	case Any, One, LocalOne:
		return 1
	case Two:
		return 2
	case Three:
		return 3
	case Quorum, Serial, EachQuorum:
		return total/2 + 1
	case LocalQuorum, LocalSerial:
		return local/2 + 1
	case All:
		return total
	}
	return total
}
