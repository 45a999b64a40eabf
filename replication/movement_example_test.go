package replication_test

import (
	"errors"
	"fmt"

	"wcdb/replication"
	"wcdb/ring"
)

// A node joining a ring of three at RF 2: the ranges it takes, and where
// it streams them from.
func ExampleStreamSources() {
	current, err := ring.New([]ring.Node{
		{ID: "a", DC: "dc1", Rack: "r1", Tokens: []ring.Token{-100}},
		{ID: "b", DC: "dc1", Rack: "r1", Tokens: []ring.Token{0}},
		{ID: "c", DC: "dc1", Rack: "r1", Tokens: []ring.Token{100}},
	})
	if err != nil {
		panic(err)
	}
	future, err := current.With(ring.Node{ID: "d", DC: "dc1", Rack: "r1", Tokens: []ring.Token{50}})
	if err != nil {
		panic(err)
	}
	st := replication.SimpleStrategy{RF: 2}
	for _, mv := range replication.Movements(st, current, future) {
		fmt.Println(mv.Range, "from", mv.From, "to", mv.To, "stay", mv.Stay)
	}
	srcs, _ := replication.StreamSources(st, current, future, "d", "dc1", nil, true)
	for _, s := range srcs {
		fmt.Println(s.Range, "<-", s.Nodes)
	}
	// With c down, a consistent range movement cannot take (-100, 0].
	alive := func(id ring.NodeID) bool { return id != "c" }
	_, err = replication.StreamSources(st, current, future, "d", "dc1", alive, true)
	var down *replication.SourceDownError
	fmt.Println(errors.As(err, &down), down.Range, down.Down)
	// Output:
	// (-100, 0] from [c] to [d] stay [b]
	// (0, 50] from [a] to [d] stay [c]
	// (-100, 0] <- [c]
	// (0, 50] <- [a]
	// true (-100, 0] [c]
}
