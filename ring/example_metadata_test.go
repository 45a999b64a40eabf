package ring_test

import (
	"fmt"

	"wcdb/ring"
)

// A ring of three nodes: each owns the range ending at its token, the
// first also the part past the last token.
func ExampleMetadata() {
	m, err := ring.New([]ring.Node{
		{ID: "a", DC: "dc1", Rack: "r1", Tokens: []ring.Token{-100}},
		{ID: "b", DC: "dc1", Rack: "r1", Tokens: []ring.Token{0}},
		{ID: "c", DC: "dc1", Rack: "r1", Tokens: []ring.Token{100}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Owner(-50), m.Owner(0), m.Owner(1), m.Owner(500))
	fmt.Println(m.Ranges("a"))
	// Output:
	// b b c a
	// [(100, -100]]
}

// Nodes joining one at a time, each taking 16 tokens balanced for
// replication factor 3: each owns close to a quarter of the ring.
func ExampleAllocateTokens() {
	m, _ := ring.New(nil)
	for _, id := range []ring.NodeID{"a", "b", "c", "d"} {
		toks, err := ring.AllocateTokens(m, "dc1", ring.DefaultNumTokens, 3, 1)
		if err != nil {
			panic(err)
		}
		if m, err = m.With(ring.Node{ID: id, DC: "dc1", Rack: "r1", Tokens: toks}); err != nil {
			panic(err)
		}
	}
	own := m.Ownership()
	for _, id := range []ring.NodeID{"a", "b", "c", "d"} {
		fmt.Printf("%s %.2f\n", id, own[id])
	}
	// Output:
	// a 0.26
	// b 0.26
	// c 0.24
	// d 0.24
}
