package server

import (
	"testing"

	"wcdb/internal/localnode"
	"wcdb/query/catalog"
)

// TestPaxosColumnIDs: the replica writes system.paxos's cells by the
// column ids the catalog gives its columns.
func TestPaxosColumnIDs(t *testing.T) {
	tab := catalog.SystemTable("system", "paxos")
	if tab == nil {
		t.Fatal("no system.paxos")
	}
	for name, id := range map[string]uint32{
		"in_progress_ballot": localnode.PaxosInProgressBallot, "most_recent_commit": localnode.PaxosMostRecentCommit,
		"most_recent_commit_at": localnode.PaxosMostRecentCommitAt, "most_recent_commit_version": localnode.PaxosMostRecentCommitVersion,
		"proposal": localnode.PaxosProposal, "proposal_ballot": localnode.PaxosProposalBallot, "proposal_version": localnode.PaxosProposalVersion,
	} {
		c := tab.Column(name)
		if c == nil || c.ID != id {
			t.Errorf("system.paxos.%s: catalog %+v, replica writes id %d", name, c, id)
		}
	}
}
