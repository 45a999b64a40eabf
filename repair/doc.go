// Package repair is anti-entropy repair: it brings the replicas of a token
// range back to the same data, and keeps every table repaired by itself.
//
// A range's repair (Service.RepairRange) runs on one replica, the
// initiator, with the range's other replicas as peers. Each replica reads
// its data of the range raw (memtables and SSTables merged, tombstones
// kept, what tombstone_gc lets go left out) and hashes each partition into
// a Tree whose leaves split the range into equal token intervals. The
// initiator compares its tree with each peer's from the root down, asking
// for the hashes of the nodes below those that differ (wire.go), gets the
// peers' listings of the leaves that differ, pulls every version of a
// partition it lacks, and pushes its merged version to every replica that
// holds another: only the differing partitions travel, through streaming
// (streaming.Request.Keys), both ways. A replica that succeeds records the
// range in its History, which tombstone_gc's repair mode reads.
//
// The Scheduler repairs a node's primary ranges of every table, a range at
// a time, each table within its interval (IntervalFor), most overdue first.
package repair
