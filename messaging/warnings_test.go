package messaging

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"wcdb/mutation"
	"wcdb/replication"
)

// warningReplica is a replica whose reads warn as a read over
// tombstone_warn_threshold does: each op its own text, and every op the
// one text all replicas share.
func warningReplica(name string) *replicaFunc {
	warn := func(ctx context.Context, op string) {
		replication.Warn(ctx, fmt.Sprintf("%s on %s", op, name))
		replication.Warn(ctx, "shared")
	}
	return &replicaFunc{
		read: func(ctx context.Context, _ replication.ReadCommand) (*mutation.Partition, error) {
			warn(ctx, "read")
			return nil, nil
		},
		digest: func(ctx context.Context, _ replication.ReadCommand) ([]byte, error) {
			warn(ctx, "digest")
			return []byte{1}, nil
		},
		readRange: func(ctx context.Context, _ replication.RangeCommand) (replication.RangeResult, error) {
			warn(ctx, "range")
			return replication.RangeResult{}, nil
		},
	}
}

// readAll reads, digests and range-reads through each peer with one
// request's Warnings, and returns them.
func readAll(t *testing.T, peers ...replication.Replica) []string {
	t.Helper()
	ctx, w := replication.WithWarnings(context.Background())
	cmd := replication.ReadCommand{Table: testTable, Key: key("k")}
	for _, p := range peers {
		if _, err := p.Read(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Digest(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		if _, err := p.ReadRange(ctx, replication.RangeCommand{Table: testTable}); err != nil {
			t.Fatal(err)
		}
	}
	return w.List()
}

// TestRemoteWarnings checks that a replica's read warnings reach the
// caller's request, over gRPC (stream for Read and Digest, unary for
// ReadRange) and over a Network, each text once however many replicas
// send it.
func TestRemoteWarnings(t *testing.T) {
	_, addrA := startServer(t, warningReplica("a"), ServerOptions{})
	_, addrB := startServer(t, warningReplica("b"), ServerOptions{})
	a, b := dial(t, addrA, DialOptions{}), dial(t, addrB, DialOptions{})
	want := []string{"read on a", "shared", "digest on a", "range on a", "read on b", "digest on b", "range on b"}
	if got := readAll(t, a, b); !slices.Equal(got, want) {
		t.Errorf("gRPC: got %q, want %q", got, want)
	}

	n := NewNetwork()
	defer n.Close()
	for _, id := range []string{"a", "b"} {
		if err := n.Register(id, warningReplica(id), ServerOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readAll(t, n.Replica("c", "a"), n.Replica("c", "b")); !slices.Equal(got, want) {
		t.Errorf("network: got %q, want %q", got, want)
	}

	// A caller without Warnings in its context reads as before.
	if _, err := a.Read(context.Background(), replication.ReadCommand{Table: testTable, Key: key("k")}); err != nil {
		t.Fatal(err)
	}
}

// TestWarningsOnlyWhenAnnounced checks that a replica sends warnings only
// to a caller that announced it reads them: a node that predates the field
// would reject the answer's extra bytes.
func TestWarningsOnlyWhenAnnounced(t *testing.T) {
	_, addr := startServer(t, warningReplica("a"), ServerOptions{})
	c := dial(t, addr, DialOptions{})
	ctx := context.Background()
	req := &rangeMsg{cmd: replication.RangeCommand{Table: testTable}}
	var old rangeResultMsg
	if err := c.invoke(ctx, opReadRange, req, &old); err != nil {
		t.Fatal(err)
	}
	if old.warnings != nil {
		t.Errorf("unannounced: got warnings %q, want none", old.warnings)
	}
	var cur rangeResultMsg
	if err := c.invoke(announceFeatures(ctx), opReadRange, req, &cur); err != nil {
		t.Fatal(err)
	}
	if want := []string{"range on a", "shared"}; !slices.Equal(cur.warnings, want) {
		t.Errorf("announced: got warnings %q, want %q", cur.warnings, want)
	}
}
