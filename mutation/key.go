package mutation

import "bytes"

// Key is a decorated partition key: the partitioner's token and the
// serialized key bytes (for a composite key, per component a 2-byte big-endian
// length, the bytes, and a 0 byte, as Cassandra serializes it).
//
// Storage orders partitions by (Token, Bytes) so that a token-range scan reads
// files sequentially. The token is computed by the caller (ring.Murmur3), so
// storage needs no partitioner.
type Key struct {
	Token int64
	Bytes []byte
}

// Compare orders keys by token, then by key bytes.
func (k Key) Compare(o Key) int {
	switch {
	case k.Token < o.Token:
		return -1
	case k.Token > o.Token:
		return 1
	}
	return bytes.Compare(k.Bytes, o.Bytes)
}

// Equal reports whether two keys are the same partition.
func (k Key) Equal(o Key) bool { return k.Token == o.Token && bytes.Equal(k.Bytes, o.Bytes) }
