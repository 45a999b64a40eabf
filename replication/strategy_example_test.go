package replication_test

import (
	"fmt"

	"wcdb/replication"
	"wcdb/ring"
)

// Placing a key's replicas with the keyspace's replication options.
func ExampleParseStrategy() {
	m, err := ring.New([]ring.Node{
		{ID: "a", DC: "dc1", Rack: "r1", Tokens: []ring.Token{-200}},
		{ID: "b", DC: "dc1", Rack: "r1", Tokens: []ring.Token{-100}},
		{ID: "c", DC: "dc1", Rack: "r2", Tokens: []ring.Token{0}},
		{ID: "x", DC: "dc2", Rack: "r1", Tokens: []ring.Token{100}},
	})
	if err != nil {
		panic(err)
	}
	s, err := replication.ParseStrategy(map[string]string{
		"class": "NetworkTopologyStrategy", "dc1": "2", "dc2": "1",
	})
	if err != nil {
		panic(err)
	}
	// The walk from -250 meets a (rack r1), b (r1 again: passed by), c
	// (r2), x (dc2).
	fmt.Println(s.Replicas(m, -250))

	simple := replication.SimpleStrategy{RF: 2}
	fmt.Println(simple.Replicas(m, -250))
	// Output:
	// [a c x]
	// [a b]
}
