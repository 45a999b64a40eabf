// Package schema is wcdb's CQL type system and schema metadata: the CQL types
// (ParseType, the native protocol [option] encoding), codecs for values in
// their native-protocol serialization (Validate, Encode, Decode, Compare,
// Format), the byte-comparable encoding that turns clustering keys and
// collection element keys into the byte strings the storage engine sorts
// (AppendComparable, ClusteringKey), the cell layout of non-frozen collections
// (CollectionElements, CollectionFromElements), timeuuid functions, and the
// keyspace, table and column definitions.
//
// Values are carried as their native protocol v4 serialization everywhere:
// bound values arrive that way, cells store them that way and results leave
// that way. Go values (Encode, Decode) are only for literals, functions and
// tests.
//
// # Empty values
//
// The protocol lets most types carry an "empty" value (zero bytes), distinct
// from null. As Cassandra 4: ascii, text, blob, varint, int, bigint, counter,
// float, double, boolean, decimal, timestamp, uuid, timeuuid, inet and tuples
// accept it; tinyint, smallint, date, time, duration and the collections do
// not. An empty value sorts before every other value of its type. Decode
// returns Empty for it (an empty string or byte slice for text, ascii and
// blob) and Encode accepts Empty.
//
// # Order
//
// Compare is Cassandra's comparator for each type, with two refinements that
// make it a total order on distinct values: decimals that are numerically
// equal but differ in scale (1.0 and 1.00) order by scale, smaller first
// (Cassandra says equal); and, as Cassandra, serializations that denote the
// same value compare equal (a varint with redundant sign bytes, a boolean
// byte other than 0 or 1, NaNs with different payloads).
package schema
