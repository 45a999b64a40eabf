// Package cql is the server side of the Cassandra native protocol, version 4
// (apache/cassandra doc/native_protocol_v4.spec), so gocql, the DataStax
// drivers and cqlsh talk to wcdb unchanged. It decodes frames, keeps each
// connection's state (startup, compression, authentication, keyspace,
// event registrations), caches prepared statements, and hands statements
// to an Executor (the query package); it never parses CQL itself.
//
// # Frames
//
// Every message is one frame: a 9-byte header, then the body.
//
//	 0         8        16        24        32         40
//	+---------+---------+---------+---------+---------+
//	| version |  flags  |      stream       | opcode  |
//	+---------+---------+---------+---------+---------+
//	|                length                 |
//	+---------+---------+---------+---------+
//	|                 body ...              |
//
// version is 0x04 in a request, 0x84 in a response; flags: 0x01 the body
// is compressed (lz4 or snappy, chosen in STARTUP), 0x02 tracing, 0x04 a
// custom payload ([bytes map]) opens the body, 0x08 a response's body
// opens with warnings ([string list]); stream is the client's request id
// (a response carries its request's stream; events use -1); length is the
// body's length, at most Config.MaxFrameSize. An lz4 body is a 4-byte
// big-endian uncompressed length followed by one raw LZ4 block; a snappy
// body is one snappy block.
//
// For example, STARTUP with CQL_VERSION 3.0.0 on stream 1 is
//
//	04 00 0001 01 00000016   header: v4 request, no flags, stream 1, STARTUP, 22 bytes
//	0001                     [string map] of 1 entry
//	000b "CQL_VERSION"       [string]
//	0005 "3.0.0"             [string]
//
// and the server's answer is 84 00 0001 02 00000000 (READY, empty body).
//
// # Connections
//
// One goroutine reads a connection's frames; each QUERY, PREPARE, EXECUTE
// and BATCH runs on that reader while requests run quickly, and on a
// worker goroutine of its own once one ran longer than 2 ms (whose reading
// then moves to a new goroutine, so it holds the others up no longer;
// with Config.SerialOverlapping, set when writes wait for a commit-log
// sync, only a request alone on its connection runs on the reader); at
// most Config.MaxInFlight run at a time (beyond that the reader waits), so
// responses come back in any order. The goroutine that produced a response
// writes it, unless another write is in progress (then a writer goroutine
// does); the reader flushes the responses to the requests it read in one
// go in a single write. STARTUP, OPTIONS, AUTH_RESPONSE and REGISTER are
// answered by the reader itself, in order. Frame errors that leave the
// stream unreadable (a bad version or opcode, an oversize length) are
// answered with a protocol error and the connection is closed; a bad body
// is answered and the connection kept.
//
// # Limits
//
// No client can exhaust the server (limits.go). Connections are bounded
// in number, overall and per client address (Config.MaxConnections,
// MaxConnectionsPerIP); one that has not finished its handshake (TLS,
// STARTUP, login) within IdleUnauthenticatedTimeout is closed, and gives
// its place to a new connection sooner when the server is full. The bytes
// of requests being received and executed are bounded across connections
// (MaxRequestDataInFlight: over it readers wait, then answer Overloaded),
// the requests of one connection by MaxInFlight, and the prepared
// statements by the bytes they hold (PreparedCacheBytes).
package cql
