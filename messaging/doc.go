// Package messaging carries a coordinator's requests to the replicas on
// other nodes. It implements replication.Replica twice:
//
//   - over gRPC: a Server serves a node's local replica as the service
//     wcdb.Internode (Apply, Read, Digest, ReadRange, ApplyHints,
//     SchemaPull, Ping), and Dial returns a Client of a peer. The messages
//     are this package's own types in a small binary format (wire.go)
//     carried by a gRPC codec named "wcdb"; the service descriptor is
//     written by hand, so no generated code is involved.
//   - in memory: a Network routes calls between registered nodes with
//     partitions, delays, losses and nodes down, for fast deterministic
//     coordinator tests.
//
// Both give errors as *Error with a Kind (timeout, unavailable,
// overloaded, other) for the coordinator to tell apart, and both apply a
// default timeout to a call whose ctx has none; the deadline travels with
// the request, and a replica drops a request whose deadline has passed.
// Applying a mutation twice is harmless, so a caller may retry an Apply
// that timed out.
package messaging
