package ring_test

import (
	"encoding/binary"
	"fmt"

	"wcdb/ring"
)

// The token of a partition key of CQL type int with value 1: the key is the
// value's serialization, 4 bytes big-endian.
func ExampleMurmur3() {
	key := binary.BigEndian.AppendUint32(nil, 1)
	fmt.Println(ring.Murmur3(key))
	fmt.Println(ring.Murmur3([]byte("hello")))
	// Output:
	// -4069959284402364209
	// -3758069500696749310
}

// A table with PRIMARY KEY ((id, name)) hashes both columns together.
func ExampleCompositeKey() {
	id := binary.BigEndian.AppendUint32(nil, 1) // int 1
	name := []byte("a")                         // text 'a'
	key := ring.CompositeKey(id, name)
	fmt.Printf("% x\n", key)
	fmt.Println(ring.Murmur3(key))

	parts, err := ring.SplitCompositeKey(key, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x | %s\n", parts[0], parts[1])
	// Output:
	// 00 04 00 00 00 01 00 00 01 61 00
	// 6516349416904725244
	// 00 00 00 01 | a
}

// A node whose token is 100, with the previous node at -100, owns (-100, 100].
// The first node of the ring owns the range that wraps past the end.
func ExampleRange() {
	owned := ring.Range{Start: -100, End: 100}
	fmt.Println(owned.Contains(-100), owned.Contains(0), owned.Contains(100))

	first := ring.Range{Start: 100, End: -100}
	fmt.Println(first.Contains(ring.MaxToken), first.Contains(0))
	fmt.Println(first.Unwrap())
	// Output:
	// false true true
	// true false
	// [(100, -9223372036854775808] (-9223372036854775808, -100]]
}
