// Package sststats accumulates an SSTable's statistics (timestamps,
// tombstones, deletion times) from the data written to it, for the
// engine's flush, compaction, cleanup and import.
package sststats

import (
	"math"

	"wcdb/mutation"
	"wcdb/sstable"
)

// Acc computes an SSTable's statistics from the data written to it.
type Acc struct {
	// Stats is what was accounted so far.
	Stats sstable.Stats
	hdr   mutation.Header
}

// Init starts an empty accumulation.
func (a *Acc) Init() {
	a.Stats = sstable.Stats{MinTimestamp: math.MaxInt64, MaxTimestamp: math.MinInt64,
		MaxLocalDeletionTime: math.MinInt64, MaxTombstoneTime: math.MinInt64}
}

func (a *Acc) ts(ts int64) {
	a.Stats.MinTimestamp = min(a.Stats.MinTimestamp, ts)
	a.Stats.MaxTimestamp = max(a.Stats.MaxTimestamp, ts)
}

func (a *Acc) deletion(d mutation.Deletion) {
	if d.IsLive() {
		return
	}
	a.ts(d.Timestamp)
	a.Stats.Tombstones++
	a.deletionTime(d.LocalDeletionTime)
}

// deletionTime accounts for a tombstone's deletion time or an expiry.
func (a *Acc) deletionTime(t int64) {
	a.Stats.MaxLocalDeletionTime = max(a.Stats.MaxLocalDeletionTime, t)
	a.Stats.MaxTombstoneTime = max(a.Stats.MaxTombstoneTime, t)
}

// Header accounts for an encoded partition header.
func (a *Acc) Header(b []byte) error {
	if len(b) == 0 || len(b) == 1 && b[0] == 0 { // empty header
		return nil
	}
	if err := mutation.DecodeHeader(b, &a.hdr); err != nil {
		return err
	}
	a.deletion(a.hdr.Deletion)
	for _, rt := range a.hdr.RangeTombstones {
		a.deletion(rt.Deletion)
	}
	if a.hdr.Static != nil {
		a.RowStats(a.hdr.Static)
	}
	return nil
}

// Row accounts for an encoded row (as RowStats would for it decoded,
// without decoding its cells).
func (a *Acc) Row(b []byte) error {
	s, err := mutation.ScanRow(b)
	if err != nil {
		return err
	}
	a.Stats.Rows++
	if s.Timestamps > 0 {
		a.ts(s.MinTimestamp)
		a.ts(s.MaxTimestamp)
	}
	a.Stats.Tombstones += int64(s.Tombstones)
	if s.HasDeletionTimes {
		a.deletionTime(s.MaxDeletionTime)
	}
	if s.NeverExpires {
		a.Stats.MaxLocalDeletionTime = mutation.NoDeletionTime
	}
	return nil
}

// RowStats accounts for a decoded row.
func (a *Acc) RowStats(r *mutation.Row) {
	if !r.Liveness.IsEmpty() {
		a.ts(r.Liveness.Timestamp)
		if r.Liveness.ExpiresAt != mutation.NoDeletionTime {
			a.deletionTime(r.Liveness.ExpiresAt)
		} else {
			a.Stats.MaxLocalDeletionTime = mutation.NoDeletionTime
		}
	}
	a.deletion(r.Deletion)
	for i := range r.Cells {
		c := &r.Cells[i]
		a.ts(c.Timestamp)
		if c.IsTombstone() {
			a.Stats.Tombstones++
		}
		if c.LocalDeletionTime != mutation.NoDeletionTime {
			a.deletionTime(c.LocalDeletionTime)
		} else {
			a.Stats.MaxLocalDeletionTime = mutation.NoDeletionTime
		}
	}
}
