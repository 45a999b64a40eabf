// Package ring places partitions on the token ring, the way Apache Cassandra
// does, so that drivers' token-aware routing reaches the replicas that
// actually hold a key.
//
// It holds now:
//
//   - the Murmur3 partitioner: Murmur3 turns a serialized partition key into
//     its int64 token, identical to Cassandra's Murmur3Partitioner (quirks
//     included); CompositeKey and SplitCompositeKey serialize and split
//     multi-column partition keys as Cassandra does before hashing;
//   - token ranges: Range is (Start, End] with wrap-around, with Contains and
//     Unwrap for scans in token order, Size and Fraction, and Merge;
//   - token metadata: Metadata, an immutable ring of nodes (id, datacenter,
//     rack, vnode tokens) answering who owns a token, the ranges a node
//     owns and each node's share, on which the replication strategies in
//     package replication build;
//   - vnode token allocation: AllocateTokens picks a joining node's tokens
//     so that ownership, and replicated load for a given replication
//     factor, stay balanced.
//
// ring imports no other package of wcdb.
package ring
