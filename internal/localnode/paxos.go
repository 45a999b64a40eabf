package localnode

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema"
	"wcdb/schema/timeuuid"
	"wcdb/storage"
)

// The replica's side of Paxos (replication.PaxosReplica): each partition's
// state is a row of system.paxos, as Cassandra keeps it,
//
//	CREATE TABLE system.paxos (row_key blob, cf_id uuid,
//	    in_progress_ballot timeuuid, most_recent_commit blob,
//	    most_recent_commit_at timeuuid, most_recent_commit_version int,
//	    proposal blob, proposal_ballot timeuuid, proposal_version int,
//	    PRIMARY KEY ((row_key), cf_id))
//
// row_key is the partition's key, cf_id its table; the proposal and the
// most recent commit are updates in the mutation encoding
// (mutation.AppendMutation), version 1. Every cell is written at its
// ballot's timestamp, so that a lower ballot's write never shadows a
// higher one's, and a commit deletes the proposal at its own; cells
// expire paxosTTL after they are written, so the table holds only the
// partitions used by transactions recently. A state
// change is synced to disk before the replica answers, whatever the
// commit log's sync mode (a commit is not: what it completes was
// accepted, durably, by a quorum).

// Column ids of system.paxos (their positions in the CREATE TABLE above,
// which query/catalog declares; a server test checks they agree).
const (
	PaxosInProgressBallot = iota + 2
	PaxosMostRecentCommit
	PaxosMostRecentCommitAt
	PaxosMostRecentCommitVersion
	PaxosProposal
	PaxosProposalBallot
	PaxosProposalVersion
)

// paxosVersion is the encoding version of the updates kept.
const paxosVersion = 1

// paxosTTL is how long a partition's Paxos state is kept after its last
// change (seconds): Cassandra's max(3 hours, gc_grace_seconds) with the
// default gc_grace_seconds, 10 days. A proposer delayed longer than that
// is long gone; what it completed is in the table.
const paxosTTL = 10 * 24 * 3600

// Paxos is a node's Paxos state store: system.paxos's table id, and the
// locks that make each partition's read-decide-write atomic.
type Paxos struct {
	Table mutation.TableID
	seed  maphash.Seed
	locks [256]sync.Mutex
}

// NewPaxos returns the store over the table system.paxos has.
func NewPaxos(table mutation.TableID) *Paxos {
	return &Paxos{Table: table, seed: maphash.MakeSeed()}
}

func (p *Paxos) lock(k replication.PaxosKey) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(p.seed)
	h.Write(k.Table[:])
	h.Write(k.Key.Bytes)
	return &p.locks[h.Sum64()%uint64(len(p.locks))]
}

// paxosState is a partition's state as read.
type paxosState struct {
	promised         replication.Ballot
	accepted         *replication.Proposal
	mostRecentCommit replication.Proposal
}

var errNoPaxos = errors.New("localnode: the replica keeps no Paxos state (no system.paxos)")

// stateKey is the system.paxos partition and clustering of k.
func stateKey(k replication.PaxosKey) (mutation.Key, []byte, error) {
	ck, err := schema.ClusteringKey([]schema.Type{{Kind: schema.KindUUID}}, []bool{false}, [][]byte{k.Table[:]})
	// row_key is a blob: the partition's own key bytes, so the same
	// token.
	return mutation.Key{Token: k.Key.Token, Bytes: k.Key.Bytes}, ck, err
}

func (r Replica) paxosState(k replication.PaxosKey) (paxosState, error) {
	var st paxosState
	key, ck, err := stateKey(k)
	if err != nil {
		return st, err
	}
	t, err := r.table(r.Paxos.Table)
	if err != nil {
		return st, err
	}
	p, err := t.Read(storage.Query{Key: key})
	if err != nil || p == nil {
		return st, err
	}
	var row *mutation.Row
	for i := range p.Rows {
		if string(p.Rows[i].Clustering) == string(ck) {
			row = &p.Rows[i]
		}
	}
	if row == nil {
		return st, nil
	}
	var accepted replication.Proposal
	var hasProposal, hasBallot bool
	for _, c := range row.Cells {
		if c.IsTombstone() {
			continue
		}
		switch c.Column {
		case PaxosInProgressBallot:
			copy(st.promised[:], c.Value)
		case PaxosMostRecentCommitAt:
			copy(st.mostRecentCommit.Ballot[:], c.Value)
		case PaxosMostRecentCommit:
			if st.mostRecentCommit.Update, err = mutation.DecodeMutation(c.Value); err != nil {
				return st, fmt.Errorf("localnode: system.paxos most_recent_commit: %w", err)
			}
		case PaxosProposalBallot:
			copy(accepted.Ballot[:], c.Value)
			hasBallot = true
		case PaxosProposal:
			if accepted.Update, err = mutation.DecodeMutation(c.Value); err != nil {
				return st, fmt.Errorf("localnode: system.paxos proposal: %w", err)
			}
			hasProposal = true
		}
	}
	if hasProposal && hasBallot {
		st.accepted = &accepted
	}
	return st, nil
}

// saveState writes cells of a partition's state row at ts, and with sync
// makes them durable whatever the commit log's mode.
func (r Replica) saveState(k replication.PaxosKey, ts int64, sync bool, cells []mutation.Cell) error {
	key, ck, err := stateKey(k)
	if err != nil {
		return err
	}
	now := time.Now().Unix()
	for i := range cells {
		cells[i].Timestamp = ts
		if cells[i].Flags&mutation.CellTombstone == 0 {
			cells[i].Flags |= mutation.CellExpiring
			cells[i].TTL = paxosTTL
			cells[i].LocalDeletionTime = now + paxosTTL
		}
	}
	row := mutation.NewRow(ck)
	row.Cells = cells
	m := &mutation.Mutation{Table: r.Paxos.Table, Partition: mutation.Partition{Key: key, Rows: []mutation.Row{row}}}
	if err := r.E.Apply(m); err != nil {
		return err
	}
	if !sync || r.E.SyncsEachWrite() {
		return nil
	}
	return r.E.SyncLog()
}

func valueCell(col uint32, v []byte) mutation.Cell { return mutation.Cell{Column: col, Value: v} }

func intValue(v int32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// PaxosPrepare promises ballot if it is the highest seen for the
// partition.
func (r Replica) PaxosPrepare(ctx context.Context, k replication.PaxosKey, ballot replication.Ballot, read *replication.ReadCommand) (replication.Promise, error) {
	if r.Paxos == nil {
		return replication.Promise{}, errNoPaxos
	}
	if err := ctx.Err(); err != nil {
		return replication.Promise{}, err
	}
	mu := r.Paxos.lock(k)
	mu.Lock()
	defer mu.Unlock()
	st, err := r.paxosState(k)
	if err != nil {
		return replication.Promise{}, err
	}
	pr := replication.Promise{Accepted: st.accepted, MostRecentCommit: st.mostRecentCommit}
	if replication.CompareBallots(ballot, st.promised) <= 0 {
		pr.Ballot = st.promised
		return pr, nil
	}
	if err := r.saveState(k, timeuuid.Micros(ballot), true, []mutation.Cell{valueCell(PaxosInProgressBallot, ballot[:])}); err != nil {
		return replication.Promise{}, err
	}
	pr.Promised, pr.Ballot = true, ballot
	if read != nil {
		// Under the lock: no commit of this partition lands between the
		// state read above and this data.
		rc := *read
		rc.Table, rc.Key, rc.Raw, rc.Limit = k.Table, k.Key, true, 0
		if pr.Data, err = r.Read(ctx, rc); err != nil {
			return replication.Promise{}, err
		}
		pr.HasData = true
	}
	return pr, nil
}

// PaxosPropose accepts p unless a higher ballot was promised.
func (r Replica) PaxosPropose(ctx context.Context, k replication.PaxosKey, p replication.Proposal) (bool, error) {
	if r.Paxos == nil {
		return false, errNoPaxos
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	mu := r.Paxos.lock(k)
	mu.Lock()
	defer mu.Unlock()
	st, err := r.paxosState(k)
	if err != nil {
		return false, err
	}
	if replication.CompareBallots(p.Ballot, st.promised) < 0 {
		return false, nil
	}
	err = r.saveState(k, timeuuid.Micros(p.Ballot), true, []mutation.Cell{
		valueCell(PaxosInProgressBallot, p.Ballot[:]),
		valueCell(PaxosProposal, mutation.AppendMutation(nil, &p.Update)),
		valueCell(PaxosProposalBallot, p.Ballot[:]),
		valueCell(PaxosProposalVersion, intValue(paxosVersion)),
	})
	return err == nil, err
}

// PaxosCommit applies p's update and records it as the most recent
// commit, deleting the accepted proposal it completes.
func (r Replica) PaxosCommit(ctx context.Context, k replication.PaxosKey, p replication.Proposal) error {
	if r.Paxos == nil {
		return errNoPaxos
	}
	if err := r.Apply(ctx, &p.Update); err != nil {
		return err
	}
	mu := r.Paxos.lock(k)
	mu.Lock()
	defer mu.Unlock()
	tomb := func(col uint32) mutation.Cell {
		return mutation.Cell{Column: col, Flags: mutation.CellTombstone, LocalDeletionTime: time.Now().Unix()}
	}
	// Not synced: a commit lost to a power loss leaves the proposal it
	// completes accepted, synced, on a quorum, and the next round commits
	// it again; the update itself is as durable as any write.
	return r.saveState(k, timeuuid.Micros(p.Ballot), false, []mutation.Cell{
		valueCell(PaxosMostRecentCommit, mutation.AppendMutation(nil, &p.Update)),
		valueCell(PaxosMostRecentCommitAt, p.Ballot[:]),
		valueCell(PaxosMostRecentCommitVersion, intValue(paxosVersion)),
		tomb(PaxosProposal), tomb(PaxosProposalBallot), tomb(PaxosProposalVersion),
	})
}
