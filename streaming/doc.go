// Package streaming copies the SSTable data of token ranges from one node to
// another: what a joining node receives for the ranges it takes over, and
// what a leaving (decommissioned or removed) node hands to the new owners.
// The transport is not this package's business: frames are opaque byte
// slices, carried in order by whatever the caller has (messaging's gRPC
// server-streaming call in a node, a function call in tests).
//
// # Protocol
//
// The receiver sends a Request (Request.Encode, DecodeRequest): a session
// id, a table, token ranges and the SSTable format it reads, in a small
// versioned, checksummed format.
// The sender (Send) flushes the table, so that memtable data is included,
// and holds its live SSTables (storage.Table.WithFiles) for the session, so
// that compaction cannot delete them under it. It then sends, per file
// that meets the ranges, that file's section: the partitions whose tokens
// lie in the ranges, in ring order, read block by block past the block
// cache (sstable.BlockIter). A data block that holds nothing but partitions
// of the ranges goes as it is stored (compressed, checksummed), if the
// receiver reads the file's SSTable format, and the receiver adds it to its
// new file as it is (sstable.Writer.AddBlock): with vnodes, a range is
// thousands of blocks wide, so nearly all of a section is neither decoded
// nor compressed again. The other blocks' partitions go as entries, copied
// as raw bytes (partition keys, headers, clustering keys, rows: nothing is
// decoded). The frames (format in frame.go) are
//
//	session start       how many sections follow, about how many bytes
//	per section:
//	  file start        source file number, estimated bytes
//	  data ...          entries: partition start, row, partition end,
//	                    data block; ~512 KiB per frame
//	  file end          partitions, rows, bytes of the section
//	session end         sections and bytes sent
//
// A file whose whole key span lies in one of the ranges, and whose SSTable
// format the receiver reads, is sent whole instead: its bytes as they are on
// disk, in the data frames, imported as the file it is (storage.FileImport),
// which costs little more than copying it (Cassandra's entire-SSTable
// streaming). Other files are sent entry by entry and rewritten by the
// receiver with its table's options.
//
// # Verification and atomic import
//
// Every frame carries a version and a CRC-32C of its contents; Receive
// checks the CRC before it uses anything of a frame, and fails with an
// error wrapping ErrCorrupt on a mismatch or any break of the protocol. It
// feeds each section into one storage.Import (or storage.FileImport), a new
// SSTable that the table adds atomically only at Commit, which Receive calls
// at the file-end frame once the counts there match what arrived (for a
// file sent whole: what the file, once opened, says of itself). A commit
// syncs the whole file, so it runs in the background while the next section
// arrives (one at a time; Receive waits for the last before it returns).
// A corrupt or truncated stream
// (ErrTruncated: the stream ended before session end), a transport error
// or a cancelled context aborts the section under way: no partial file is
// ever added, and a crash mid-section leaves a file no manifest names,
// deleted at the next start.
//
// # Retry
//
// Receive reports the source file numbers whose sections it committed.
// Fetch drives a whole transfer: it opens a session, receives it, and on a
// retryable failure (Retryable) opens another after a bounded exponential
// backoff, with Request.Skip listing the sections already received, so only
// the rest is sent again.
//
// # Throttle and progress
//
// A node shares one Throttle among all its outgoing sessions: a token
// bucket in bytes per second (stream_throughput_outbound, DefaultThroughput
// 24 MiB/s, 0 unlimited) that every frame passes before it is sent; SetRate
// changes it while sessions run. A Registry holds the running and recently
// finished sessions, each a Progress updated as frames go by, for `wcdb
// admin netstats` (Snapshot, JSON-friendly) and log lines
// (SessionInfo.String).
package streaming
