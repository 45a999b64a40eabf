// Package sstable implements wcdb's immutable sorted table files.
//
// An SSTable holds partitions in partition-key order (mutation.Key.Compare:
// token, then key bytes). Each partition has an opaque header (the engine
// stores the partition deletion, range tombstones and static row there) and
// rows in ascending clustering order; a row is a byte-comparable clustering
// key and opaque row bytes. The package never interprets headers or rows.
//
// A Writer streams partitions into data blocks of about BlockSize bytes,
// cut at entry boundaries and compressed with the table's codec
// (sstable/codec: snappy, lz4, zstd, deflate) when that saves space, and
// writes alongside them a partition index (one entry per partition),
// a row index for every partition spanning several blocks (the first
// clustering and handle of each of its blocks), a summary of the index, a
// bloom filter on partition keys, a stats block and a fixed-size footer.
// Finish syncs the file and publishes it atomically under its final name.
// The byte layout is documented beside the encoder in format.go.
//
// A Reader keeps the summary and bloom filter in memory. Get consults the
// bloom filter, binary-searches the summary, then reads one index block and
// the data block holding the partition's start; Partition.Rows reads only
// the data blocks holding the requested clustering slice, in either order.
// Blocks go through a shared LRU Cache, and iterators return slices into the
// cached blocks, so rows are neither copied nor decoded unless asked for.
//
// Every block carries a CRC-32C, and the footer its own: damage anywhere in
// the file is reported as an error wrapping ErrCorrupt that names the file
// (and the offset of the damaged block), never as wrong data. Reader.Verify
// reads the whole file and checks its internal consistency.
//
// Concurrency: a Writer is used by one goroutine; a Reader, its Partitions
// and the Cache are safe for concurrent use, each iterator by one goroutine.
// Readers are reference-counted by the caller and closed only once their
// iterators are done.
package sstable
