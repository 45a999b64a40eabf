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
//     Unwrap for scans in token order.
//
// Still to come (a separate issue): vnode token allocation for a joining node,
// and token metadata (which node owns which tokens, and the ranges each
// owns), on which the replication strategies in package replication build.
//
// ring imports no other package of wcdb.
package ring
