package localnode

import (
	"context"
	"testing"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/schema/timeuuid"
	"wcdb/storage"
)

var paxosTID = mutation.TableID{'p'}

// openPaxosReplica opens a replica with a Paxos store on fs, its commit
// log in periodic mode: nothing but the Paxos store's own syncs makes a
// write durable.
func openPaxosReplica(t *testing.T, fs vfs.FS) (Replica, func()) {
	t.Helper()
	o := storage.DefaultOptions("/db")
	o.FS = fs
	o.CommitLogSync = commitlog.Periodic
	e, err := storage.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []mutation.TableID{tid, paxosTID} {
		if e.Table(id) == nil {
			if _, err := e.CreateTable(id, storage.TableOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return Replica{E: e, Paxos: NewPaxos(paxosTID)}, func() { e.Close() }
}

// TestPaxosStateSurvivesPowerLoss: in periodic mode, a promise, an
// accepted proposal and a commit are on disk when the replica answers: a
// power loss right after does not make it promise a lower ballot, forget
// the proposal, or the commit.
func TestPaxosStateSurvivesPowerLoss(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	r, _ := openPaxosReplica(t, fs)
	k := replication.PaxosKey{Table: tid, Key: key("user")}
	low, high := timeuuid.New(), timeuuid.New()
	if pr, err := r.PaxosPrepare(ctx, k, high, nil); err != nil || !pr.Promised {
		t.Fatalf("prepare: %+v, %v", pr, err)
	}
	fs1 := fs.Crash()
	r2, close2 := openPaxosReplica(t, fs1)
	if pr, err := r2.PaxosPrepare(ctx, k, low, nil); err != nil || pr.Promised || pr.Ballot != high {
		t.Errorf("after a power loss, a lower ballot got %+v, %v; want refused for %x", pr, err, high)
	}
	upd := mutation.Mutation{Table: tid, Partition: mutation.Partition{Key: key("user"), Deletion: mutation.Live}}
	row := mutation.NewRow([]byte{})
	row.Cells = []mutation.Cell{{Column: 1, Timestamp: timeuuid.Micros(high), LocalDeletionTime: mutation.NoDeletionTime, Value: []byte("v")}}
	upd.Partition.Rows = []mutation.Row{row}
	if ok, err := r2.PaxosPropose(ctx, k, replication.Proposal{Ballot: high, Update: upd}); err != nil || !ok {
		t.Fatalf("propose: %v, %v", ok, err)
	}
	if ok, err := r2.PaxosPropose(ctx, k, replication.Proposal{Ballot: low, Update: upd}); err != nil || ok {
		t.Errorf("a proposal below the promise was accepted (%v, %v)", ok, err)
	}
	fs2 := fs1.Crash()
	close2()
	r3, close3 := openPaxosReplica(t, fs2)
	higher := timeuuid.New()
	pr, err := r3.PaxosPrepare(ctx, k, higher, nil)
	if err != nil || !pr.Promised || pr.Accepted == nil || pr.Accepted.Ballot != high || len(pr.Accepted.Update.Partition.Rows) != 1 {
		t.Fatalf("after a power loss the accepted proposal is %+v (%v)", pr, err)
	}
	// The round completes the proposal: it accepts it with its ballot and
	// commits. A commit is not synced: after a power loss the replica has
	// either the commit or the accepted proposal, to be committed again.
	redo := replication.Proposal{Ballot: higher, Update: pr.Accepted.Update}
	if ok, err := r3.PaxosPropose(ctx, k, redo); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := r3.PaxosCommit(ctx, k, redo); err != nil {
		t.Fatal(err)
	}
	fs3 := fs2.Crash()
	close3()
	r4, close4 := openPaxosReplica(t, fs3)
	defer close4()
	pr, err = r4.PaxosPrepare(ctx, k, timeuuid.New(), nil)
	committed := pr.MostRecentCommit.Ballot == higher && pr.Accepted == nil
	pending := pr.Accepted != nil && pr.Accepted.Ballot == higher && len(pr.Accepted.Update.Partition.Rows) == 1
	if err != nil || !pr.Promised || !committed && !pending {
		t.Errorf("after the commit and a power loss: %+v (%v); want the commit %x, or its proposal still accepted", pr, err, higher)
	}
}
