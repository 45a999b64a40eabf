package catalog

import (
	"wcdb/mutation"
	"wcdb/query/qerr"
	"wcdb/ring"
)

// This file is where query/ turns the values of a table's partition key
// columns into the decorated keys the ring places partitions by (key bytes
// and Murmur3 token), and back: no other file of query/ composes keys or
// computes tokens.

// PartitionKey builds the decorated key of a partition from the serialized
// values of its partition key columns: the value itself for a single
// column, their composite (ring.CompositeKey) for several. An empty key,
// or a value or key over the ring's 64 KiB limit, is refused with
// Cassandra's message.
func PartitionKey(vals [][]byte) (mutation.Key, error) {
	var kb []byte
	if len(vals) == 1 {
		// A single-column key is its value, not copied: bound values
		// are the request's own memory, never reused once the request
		// is decoded (the protocol layer allocates each frame's body).
		kb = vals[0]
		if kb == nil {
			kb = []byte{}
		}
	} else {
		for _, v := range vals {
			if err := CheckKeyComponent(v); err != nil {
				return mutation.Key{}, err
			}
		}
		kb = ring.CompositeKey(vals...)
	}
	if len(kb) == 0 {
		return mutation.Key{}, qerr.Invalidf("Key may not be empty")
	}
	if err := CheckKeyComponent(kb); err != nil {
		return mutation.Key{}, err
	}
	return DecoratedKey(kb), nil
}

// DecoratedKey is the partition of key bytes already composed (a paging
// state's).
func DecoratedKey(kb []byte) mutation.Key {
	return mutation.Key{Token: ring.Murmur3(kb), Bytes: kb}
}

// KeyToken is the token of the key that the values of the partition key
// columns make: CQL's token(...). Unlike partitionKey it accepts an empty
// key, as Cassandra's token function does.
func KeyToken(vals [][]byte) (int64, error) {
	if len(vals) > 1 {
		for _, v := range vals {
			if err := CheckKeyComponent(v); err != nil {
				return 0, err
			}
		}
	}
	return ring.Murmur3(ring.CompositeKey(vals...)), nil
}

// CheckKeyComponent refuses a partition key value, or key, that the ring
// cannot hold (a composite's components carry 16-bit lengths).
func CheckKeyComponent(v []byte) error {
	if len(v) > ring.MaxComponentLen {
		return qerr.Invalidf("Key length of %d is longer than maximum of %d", len(v), ring.MaxComponentLen)
	}
	return nil
}

// SplitPartitionKey returns the values of a table's n partition key
// columns from its key bytes.
func SplitPartitionKey(kb []byte, n int) ([][]byte, error) {
	return ring.SplitCompositeKey(kb, n)
}
