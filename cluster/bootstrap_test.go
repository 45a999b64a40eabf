package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/ring"
)

// inRing reports whether id owns tokens on r.
func inRing(r *ring.Metadata, id ring.NodeID) bool {
	_, ok := r.Node(id)
	return ok
}

// TestBootstrapHoldsJoining follows a join with Bootstrap set: Join
// returns with the node JOINING, on the seed's future ring but not its
// ring; BeforeTokens ran before any token was announced; a second node
// is refused while the first is joining; once the first turns NORMAL the
// rings agree again and the second may join.
func TestBootstrapHoldsJoining(t *testing.T) {
	t.Parallel()
	seed := joinNode(t, testConfig("127.0.0.1"))
	if seed.FutureRing() != seed.Ring() {
		t.Fatal("a lone NORMAL node: the future ring is not the ring itself")
	}

	cfg := testConfig("127.0.0.1", seed.Local().GossipAddr)
	cfg.Bootstrap = true
	var hookTokens []ring.Token
	hookRan := false
	cfg.BeforeTokens = func(ctx context.Context, m *Membership) error {
		hookRan = true
		hookTokens = m.Local().Tokens
		return nil
	}
	j := joinNode(t, cfg)
	if !hookRan || len(hookTokens) != 0 {
		t.Fatalf("BeforeTokens ran %v, with tokens %v announced; want it run before any", hookRan, hookTokens)
	}
	if st := j.Local().Status; st != StatusJoining {
		t.Fatalf("after Join with Bootstrap: status %v, want JOINING", st)
	}
	if s := j.State(); !s.Joining || len(s.Tokens) != cfg.NumTokens {
		t.Fatalf("state %+v: want joining with %d tokens", s, cfg.NumTokens)
	}
	waitFor(t, 3*time.Second, "the seed to see the joining node pending", func() error {
		if inRing(seed.Ring(), j.ID()) {
			return errors.New("the joining node is on the seed's ring")
		}
		if !inRing(seed.FutureRing(), j.ID()) {
			return errors.New("the joining node is not on the seed's future ring")
		}
		return nil
	})

	// Another node may not join meanwhile.
	other := testConfig("127.0.0.1", seed.Local().GossipAddr)
	other.Bootstrap = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if m, err := Join(ctx, other); !errors.Is(err, ErrRangeMovement) {
		if m != nil {
			m.Shutdown()
		}
		t.Fatalf("second join while one is in progress: got %v, want ErrRangeMovement", err)
	} else if !containsAll(err.Error(), string(j.ID()), "JOINING") {
		t.Fatalf("refusal %q does not name the joining node and its state", err)
	}

	if err := j.SetStatus(StatusNormal); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "the seed to see the node NORMAL", func() error {
		if !inRing(seed.Ring(), j.ID()) || seed.FutureRing() != seed.Ring() {
			return errors.New("not yet on the ring, or the rings still differ")
		}
		return nil
	})
	other.NodeID = NewHostID()
	joinNode(t, other)
}

// TestResumeJoin restarts a node whose join did not finish: it comes
// back JOINING with the tokens it had, announced only after BeforeTokens.
func TestResumeJoin(t *testing.T) {
	t.Parallel()
	seed := joinNode(t, testConfig("127.0.0.1"))
	cfg := testConfig("127.0.0.1", seed.Local().GossipAddr)
	cfg.Bootstrap = true
	first := joinNode(t, cfg)
	tokens := first.Local().Tokens
	first.Shutdown()

	cfg.GossipPort = 0
	cfg.Tokens, cfg.Joining = tokens, true
	var seen []ring.Token
	cfg.BeforeTokens = func(ctx context.Context, m *Membership) error {
		seen = m.Local().Tokens
		if m.Local().Status != StatusJoining {
			return fmt.Errorf("status %v before tokens", m.Local().Status)
		}
		return nil
	}
	again := joinNode(t, cfg)
	if len(seen) != 0 {
		t.Fatalf("tokens %v announced before BeforeTokens", seen)
	}
	if l := again.Local(); l.Status != StatusJoining || !slices.Equal(l.Tokens, tokens) {
		t.Fatalf("resumed: status %v tokens %d, want JOINING with the %d tokens it had", l.Status, len(l.Tokens), len(tokens))
	}
	waitFor(t, 3*time.Second, "the seed to see the resumed node pending", func() error {
		if n, ok := seed.FutureRing().Node(again.ID()); !ok || !slices.Equal(n.Tokens, tokens) {
			return errors.New("not on the future ring with its tokens")
		}
		return nil
	})
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
