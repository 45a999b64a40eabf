package replication

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

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

// Caller is a remote replica that carries requests of services above
// messaging (messaging's Peer): Paxos travels through it, encoded here.
type Caller interface {
	Call(ctx context.Context, method string, req []byte) ([]byte, error)
}

// Method names of the Paxos messages (Caller.Call).
const (
	MethodPaxosPrepare = "paxos.prepare"
	MethodPaxosPropose = "paxos.propose"
	MethodPaxosCommit  = "paxos.commit"
)

// paxosOf returns the Paxos side of a replica: its own methods, or
// messages through Call.
func paxosOf(r Replica) (PaxosReplica, bool) {
	switch r := r.(type) {
	case PaxosReplica:
		return r, true
	case Caller:
		return remotePaxos{r}, true
	}
	return nil, false
}

// Paxos messages, each the method's request or answer:
//
//	prepare request:  table[16] key ballot[16] hasRead[1] [read]
//	propose request:  table[16] key proposal
//	commit request:   table[16] key proposal
//	prepare answer:   promised[1] ballot[16] hasAccepted[1] [proposal] proposal(most recent commit)
//	                  hasData[1] [mutation(the data)]
//	propose answer:   accepted[1]
//	commit answer:    empty
//
// key is the partition key: uvarint length, bytes, then the token as
// 8 bytes big endian; proposal is ballot[16], then the update's mutation;
// a mutation is its encoding (mutation.AppendMutation) behind a uvarint
// length. read is a slice of the partition: start and end (each a flag
// byte, 1 for a bound, then uvarint length and bytes), reverse[1], and the
// columns (uvarint count, uvarint each); its Limit is not sent (prepares
// only read without one).

func appendPaxosKey(b []byte, k PaxosKey) []byte {
	b = append(b, k.Table[:]...)
	b = binary.AppendUvarint(b, uint64(len(k.Key.Bytes)))
	b = append(b, k.Key.Bytes...)
	return binary.BigEndian.AppendUint64(b, uint64(k.Key.Token))
}

func appendRead(b []byte, r *ReadCommand) []byte {
	for _, bound := range [][]byte{r.Start, r.End} {
		if bound == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(bound)))
		b = append(b, bound...)
	}
	rev := byte(0)
	if r.Reverse {
		rev = 1
	}
	b = append(b, rev)
	b = binary.AppendUvarint(b, uint64(len(r.Columns)))
	for _, c := range r.Columns {
		b = binary.AppendUvarint(b, uint64(c))
	}
	return b
}

func (d *paxosDecoder) read(k PaxosKey) *ReadCommand {
	r := &ReadCommand{Table: k.Table, Key: k.Key, Raw: true}
	for _, bound := range []*[]byte{&r.Start, &r.End} {
		if f := d.take(1); f != nil && f[0] == 1 {
			*bound = bytes.Clone(d.take(d.uvarint()))
			if *bound == nil {
				*bound = []byte{}
			}
		}
	}
	if f := d.take(1); f != nil {
		r.Reverse = f[0] == 1
	}
	n := d.uvarint()
	for range n {
		v, w := binary.Uvarint(d.b)
		if w <= 0 {
			d.err = errors.New("replication: bad column in a Paxos read")
			return r
		}
		d.b = d.b[w:]
		r.Columns = append(r.Columns, uint32(v))
	}
	return r
}

func appendMutationBlob(b []byte, m *mutation.Mutation) []byte {
	enc := mutation.AppendMutation(nil, m)
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...)
}

func appendProposal(b []byte, p *Proposal) []byte {
	b = append(b, p.Ballot[:]...)
	enc := mutation.AppendMutation(nil, &p.Update)
	b = binary.AppendUvarint(b, uint64(len(enc)))
	return append(b, enc...)
}

// paxosDecoder reads a message; the first error sticks.
type paxosDecoder struct {
	b   []byte
	err error
}

func (d *paxosDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = errors.New("replication: truncated Paxos message")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *paxosDecoder) uvarint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)) {
		d.err = errors.New("replication: bad length in a Paxos message")
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *paxosDecoder) ballot() (b Ballot) {
	copy(b[:], d.take(16))
	return b
}

func (d *paxosDecoder) key() (k PaxosKey) {
	copy(k.Table[:], d.take(16))
	k.Key.Bytes = bytes.Clone(d.take(d.uvarint()))
	if t := d.take(8); t != nil {
		k.Key.Token = int64(binary.BigEndian.Uint64(t))
	}
	return k
}

func (d *paxosDecoder) proposal() (p Proposal) {
	p.Ballot = d.ballot()
	enc := d.take(d.uvarint())
	if d.err != nil {
		return p
	}
	m, err := mutation.DecodeMutation(enc)
	if err != nil {
		d.err = fmt.Errorf("replication: Paxos proposal: %w", err)
		return p
	}
	p.Update = m
	return p
}

func (d *paxosDecoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errors.New("replication: trailing bytes in a Paxos message")
	}
	return d.err
}

// remotePaxos sends Paxos messages through a Caller.
type remotePaxos struct{ c Caller }

func (r remotePaxos) PaxosPrepare(ctx context.Context, k PaxosKey, ballot Ballot, read *ReadCommand) (Promise, error) {
	req := append(appendPaxosKey(nil, k), ballot[:]...)
	if read != nil {
		req = appendRead(append(req, 1), read)
	} else {
		req = append(req, 0)
	}
	b, err := r.c.Call(ctx, MethodPaxosPrepare, req)
	if err != nil {
		return Promise{}, err
	}
	d := paxosDecoder{b: b}
	var pr Promise
	flag := d.take(1)
	pr.Promised = flag != nil && flag[0] == 1
	pr.Ballot = d.ballot()
	if has := d.take(1); has != nil && has[0] == 1 {
		a := d.proposal()
		pr.Accepted = &a
	}
	pr.MostRecentCommit = d.proposal()
	if has := d.take(1); has != nil && has[0] == 1 {
		pr.HasData = true
		enc := d.take(d.uvarint())
		if d.err == nil && len(enc) > 0 {
			m, err := mutation.DecodeMutation(enc)
			if err != nil {
				return pr, fmt.Errorf("replication: Paxos promise data: %w", err)
			}
			pr.Data = &m.Partition
		}
	}
	return pr, d.done()
}

func (r remotePaxos) PaxosPropose(ctx context.Context, k PaxosKey, p Proposal) (bool, error) {
	b, err := r.c.Call(ctx, MethodPaxosPropose, appendProposal(appendPaxosKey(nil, k), &p))
	if err != nil {
		return false, err
	}
	if len(b) != 1 {
		return false, errors.New("replication: bad Paxos propose answer")
	}
	return b[0] == 1, nil
}

func (r remotePaxos) PaxosCommit(ctx context.Context, k PaxosKey, p Proposal) error {
	_, err := r.c.Call(ctx, MethodPaxosCommit, appendProposal(appendPaxosKey(nil, k), &p))
	return err
}

// ServePaxos answers a Paxos message (a Caller.Call of one of the Paxos
// methods) with the node's own replica.
func ServePaxos(ctx context.Context, local PaxosReplica, method string, req []byte) ([]byte, error) {
	d := paxosDecoder{b: req}
	k := d.key()
	switch method {
	case MethodPaxosPrepare:
		ballot := d.ballot()
		var read *ReadCommand
		if has := d.take(1); has != nil && has[0] == 1 {
			read = d.read(k)
		}
		if err := d.done(); err != nil {
			return nil, err
		}
		pr, err := local.PaxosPrepare(ctx, k, ballot, read)
		if err != nil {
			return nil, err
		}
		b := []byte{0}
		if pr.Promised {
			b[0] = 1
		}
		b = append(b, pr.Ballot[:]...)
		if pr.Accepted != nil {
			b = appendProposal(append(b, 1), pr.Accepted)
		} else {
			b = append(b, 0)
		}
		b = appendProposal(b, &pr.MostRecentCommit)
		switch {
		case !pr.HasData:
			b = append(b, 0)
		case pr.Data == nil:
			b = append(b, 1, 0) // an empty partition: a zero-length mutation
		default:
			b = appendMutationBlob(append(b, 1), &mutation.Mutation{Table: k.Table, Partition: *pr.Data})
		}
		return b, nil
	case MethodPaxosPropose:
		p := d.proposal()
		if err := d.done(); err != nil {
			return nil, err
		}
		ok, err := local.PaxosPropose(ctx, k, p)
		if err != nil {
			return nil, err
		}
		if ok {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case MethodPaxosCommit:
		p := d.proposal()
		if err := d.done(); err != nil {
			return nil, err
		}
		return []byte{}, local.PaxosCommit(ctx, k, p)
	}
	return nil, fmt.Errorf("replication: unknown Paxos method %q", method)
}
