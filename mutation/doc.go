// Package mutation is wcdb's data model: cells, rows, partitions, the four
// kinds of tombstone (cell, row, clustering range, partition), and the
// reconciliation rules that decide which of two versions wins. It also holds
// the binary encoding of rows and partition updates, which is the one encoding
// the commit log, the memtable and the SSTables share: a row is encoded once
// when it is written and its bytes are carried, not rebuilt, down the write
// path.
//
// The package knows nothing of CQL types. Columns are small integers assigned
// by the schema, clustering keys and collection cell paths are byte-comparable
// strings (bytes.Compare gives the table's order), and values are opaque.
//
// Reconciliation matches Cassandra: the higher timestamp wins; on a tie a
// tombstone or expiring cell beats a live one, a tombstone beats an expiring
// cell, the later local deletion time wins, and finally the greater value.
// A deletion with timestamp T shadows data whose timestamp is <= T.
//
// Merges drop shadowed data, as Cassandra's do, and keep the deletions that
// shadow it: MergeRows and MergeHeaders return a canonical form (Row.Shadow
// with Live, Header.Canonical), so that merging the same writes once or
// twice, in any order or grouping, gives the same bytes. Replicas compare
// digests of those bytes; any other difference is a needless read repair.
package mutation
