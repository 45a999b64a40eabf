package replication

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"wcdb/ring"
)

// TestMovementsDataDriven runs testdata/movements: joins, leaves and
// replacements under SimpleStrategy and NetworkTopologyStrategy, with the
// movements and stream sources computed by hand.
func TestMovementsDataDriven(t *testing.T) {
	var current, future *ring.Metadata
	printRing := func(m *ring.Metadata) string {
		if m.Len() == 0 {
			return "(empty)\n"
		}
		var parts []string
		for i := range m.Len() {
			parts = append(parts, fmt.Sprintf("%d:%s", m.TokenAt(i), m.NodeAt(m.OwnerAt(i)).ID))
		}
		return strings.Join(parts, " ") + "\n"
	}
	datadriven.RunTest(t, "testdata/movements", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "current":
			current, future = parseRing(t, d.Input), nil
			return printRing(current)
		case "future":
			future = changeRing(t, current, d.Input)
			return printRing(future)
		case "movements":
			var out strings.Builder
			for _, mv := range Movements(parseStrategyArgs(t, d.CmdArgs), current, future) {
				fmt.Fprintf(&out, "%s from %s to %s stay %s\n", mv.Range, idList(mv.From), idList(mv.To), idList(mv.Stay))
			}
			return out.String()
		case "sources":
			var (
				node, dc string
				down     []ring.NodeID
				strict   bool
				args     []datadriven.CmdArg
			)
			for _, a := range d.CmdArgs {
				switch a.Key {
				case "node":
					node = a.Vals[0]
				case "dc":
					dc = a.Vals[0]
				case "down":
					for _, v := range a.Vals {
						down = append(down, ring.NodeID(v))
					}
				case "strict":
					strict = true
				default:
					args = append(args, a)
				}
			}
			alive := func(id ring.NodeID) bool { return !slices.Contains(down, id) }
			srcs, err := StreamSources(parseStrategyArgs(t, args), current, future, ring.NodeID(node), dc, alive, strict)
			if err != nil {
				var sd *SourceDownError
				if !errors.As(err, &sd) {
					t.Fatalf("got %v, want a *SourceDownError", err)
				}
				return "error: " + err.Error() + "\n"
			}
			var out strings.Builder
			for _, s := range srcs {
				fmt.Fprintf(&out, "%s <- %s\n", s.Range, strings.ReplaceAll(idList(s.Nodes), ",", ""))
			}
			return out.String()
		}
		d.Fatalf(t, "unknown command %q", d.Cmd)
		return ""
	})
}

// changeRing applies the lines of input (join, leave, replace) to m.
func changeRing(t *testing.T, m *ring.Metadata, input string) *ring.Metadata {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		f := strings.Fields(line)
		var err error
		switch {
		case len(f) >= 5 && f[0] == "join":
			m, err = m.With(parseRing(t, strings.Join(f[1:], " ")).Nodes()[0])
		case len(f) == 2 && f[0] == "leave":
			m = m.Without(ring.NodeID(f[1]))
		case len(f) == 3 && f[0] == "replace":
			m, err = replaceNode(m, ring.NodeID(f[1]), ring.NodeID(f[2]))
		default:
			t.Fatalf("bad change %q", line)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// replaceNode returns m with node new in old's place: its datacenter, rack
// and tokens.
func replaceNode(m *ring.Metadata, old, new ring.NodeID) (*ring.Metadata, error) {
	n, ok := m.Node(old)
	if !ok {
		return nil, fmt.Errorf("no node %s", old)
	}
	n.ID = new
	return m.Without(old).With(n)
}

func idList(ids []ring.NodeID) string {
	if len(ids) == 0 {
		return "-"
	}
	return joinIDs(ids)
}

// TestMovementsProperties checks, on random rings and random joins,
// leaves and replacements, that the movements account for every change of
// replicas: for every token, the future replicas are the current ones less
// From plus To, and those outside every movement are the same on both
// rings; that the ranges a joining node takes add up to its effective
// ownership on the future ring (those a leaving node gives up, to its
// ownership on the current one); and that strict stream sources are the
// nodes giving the range up.
func TestMovementsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for iter := range 300 {
		vnodes := 1 + 7*(iter%2)
		current := randomRing(t, rng, vnodes)
		st := randomStrategy(t, rng)
		nodes := current.Nodes()
		var future *ring.Metadata
		var taker, giver ring.NodeID // the node taking ranges, giving them up
		switch op := rng.IntN(3); {
		case op == 0 || len(nodes) < 2: // join
			n := ring.Node{ID: "new", DC: nodes[rng.IntN(len(nodes))].DC, Rack: fmt.Sprintf("r%d", 1+rng.IntN(3))}
			for len(n.Tokens) == 0 || rng.IntN(vnodes) > 0 {
				tok := ring.Token(rng.Uint64())
				if rng.IntN(2) == 0 {
					tok = ring.Token(rng.IntN(4000) - 2000) // among randomRing's crowded tokens
				}
				if tok != ring.MinToken && !slices.Contains(current.Tokens(), tok) && !slices.Contains(n.Tokens, tok) {
					n.Tokens = append(n.Tokens, tok)
				}
			}
			var err error
			if future, err = current.With(n); err != nil {
				t.Fatal(err)
			}
			taker = n.ID
		case op == 1: // leave
			giver = nodes[rng.IntN(len(nodes))].ID
			future = current.Without(giver)
		default: // replace
			giver = nodes[rng.IntN(len(nodes))].ID
			taker = "new"
			var err error
			if future, err = replaceNode(current, giver, taker); err != nil {
				t.Fatal(err)
			}
		}
		mvs := Movements(st, current, future)
		checkMovements(t, st, current, future, mvs, rng)
		if taker != "" {
			got := 0.0
			for _, mv := range mvs {
				if slices.Contains(mv.To, taker) {
					got += mv.Range.Fraction()
				}
			}
			if want := EffectiveOwnership(future, st)[taker]; !near(got, want) {
				t.Fatalf("iter %d, %v: %s takes %.12f of the ring, want its effective ownership %.12f", iter, st, taker, got, want)
			}
			srcs, err := StreamSources(st, current, future, taker, "dc1", nil, true)
			if err != nil {
				t.Fatalf("iter %d, %v: all alive: %v", iter, st, err)
			}
			checkSources(t, mvs, taker, srcs)
		}
		if giver != "" {
			got := 0.0
			for _, mv := range mvs {
				if slices.Contains(mv.From, giver) {
					got += mv.Range.Fraction()
				}
			}
			if want := EffectiveOwnership(current, st)[giver]; !near(got, want) {
				t.Fatalf("iter %d, %v: %s gives up %.12f of the ring, want its effective ownership %.12f", iter, st, giver, got, want)
			}
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// checkMovements checks mvs against the replicas of both rings at every
// token of either ring, just after it, and at random tokens.
func checkMovements(t *testing.T, st Strategy, current, future *ring.Metadata, mvs []Movement, rng *rand.Rand) {
	t.Helper()
	for i, mv := range mvs {
		if len(mv.From) == 0 && len(mv.To) == 0 {
			t.Fatalf("%v: movement %v changes nothing", st, mv)
		}
		if i > 0 && mvs[i-1].Range.Start >= mv.Range.Start {
			t.Fatalf("%v: movements not sorted by start: %v then %v", st, mvs[i-1].Range, mv.Range)
		}
	}
	toks := slices.Concat(current.Tokens(), future.Tokens())
	for _, tok := range slices.Clone(toks) {
		toks = append(toks, tok+1)
	}
	for range 50 {
		toks = append(toks, ring.Token(rng.Uint64()))
	}
	for _, tok := range toks {
		if tok == ring.MinToken {
			continue
		}
		cur, fut := st.Replicas(current, tok), st.Replicas(future, tok)
		var in []Movement
		for _, mv := range mvs {
			if mv.Range.Contains(tok) {
				in = append(in, mv)
			}
		}
		switch {
		case len(in) > 1:
			t.Fatalf("%v: token %d in %d movements: %v", st, tok, len(in), in)
		case len(in) == 0:
			if !sameSet(cur, fut) {
				t.Fatalf("%v: token %d in no movement, but its replicas go from %v to %v", st, tok, cur, fut)
			}
			continue
		}
		mv := in[0]
		// future == (current - From) + To, with Stay the current less From.
		var kept []ring.NodeID
		for _, id := range cur {
			if !slices.Contains(mv.From, id) {
				kept = append(kept, id)
			}
		}
		if !slices.Equal(kept, mv.Stay) {
			t.Fatalf("%v: token %d: current %v less From %v is %v, want Stay %v", st, tok, cur, mv.From, kept, mv.Stay)
		}
		if want := slices.Concat(kept, mv.To); !sameSet(fut, want) {
			t.Fatalf("%v: token %d: future replicas %v, want (current %v - From %v) + To %v", st, tok, fut, cur, mv.From, mv.To)
		}
		for _, id := range mv.From {
			if !slices.Contains(cur, id) || slices.Contains(fut, id) {
				t.Fatalf("%v: token %d: From %v is not current %v less future %v", st, tok, mv.From, cur, fut)
			}
		}
	}
}

// checkSources checks the strict, all-alive sources of taker: one per
// movement to it that has a replica on the current ring, from the nodes
// giving the range up (those staying if none does).
func checkSources(t *testing.T, mvs []Movement, taker ring.NodeID, srcs []Source) {
	t.Helper()
	var want []Source
	for _, mv := range mvs {
		if !slices.Contains(mv.To, taker) {
			continue
		}
		from := mv.From
		if len(from) == 0 {
			from = mv.Stay
		}
		if len(from) > 0 {
			want = append(want, Source{Range: mv.Range, Nodes: from})
		}
	}
	if len(srcs) != len(want) {
		t.Fatalf("%s: got %d sources %v, want %d %v", taker, len(srcs), srcs, len(want), want)
	}
	for i := range srcs {
		if srcs[i].Range != want[i].Range || !sameSet(srcs[i].Nodes, want[i].Nodes) {
			t.Fatalf("%s: source %d: got %v, want %v", taker, i, srcs[i], want[i])
		}
	}
}

// TestMovementsSameRing: no change, no movement; and the merge of
// adjacent ranges leaves no two neighbours with the same movement.
func TestMovementsSameRing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		m := randomRing(t, rng, 8)
		st := randomStrategy(t, rng)
		if mvs := Movements(st, m, m); len(mvs) != 0 {
			t.Fatalf("%v: same ring: got %v, want no movements", st, mvs)
		}
		n := ring.Node{ID: "new", DC: "dc1", Rack: "r1"}
		for len(n.Tokens) < 8 {
			if tok := ring.Token(rng.Uint64()); tok != ring.MinToken && !slices.Contains(m.Tokens(), tok) {
				n.Tokens = append(n.Tokens, tok)
			}
		}
		future, err := m.With(n)
		if err != nil {
			t.Fatal(err)
		}
		mvs := Movements(st, m, future)
		for i, mv := range mvs {
			next := mvs[(i+1)%len(mvs)]
			if len(mvs) > 1 && mv.Range.End == next.Range.Start && mv.same(&next) {
				t.Fatalf("%v: adjacent movements %v and %v not joined", st, mv, next)
			}
		}
	}
}
