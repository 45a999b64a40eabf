package storage

import (
	"math"

	"wcdb/mutation"
	"wcdb/sstable"
)

// statsAcc computes an SSTable's statistics from the data written to it.
type statsAcc struct {
	stats sstable.Stats
	hdr   mutation.Header
}

func (a *statsAcc) init() {
	a.stats = sstable.Stats{MinTimestamp: math.MaxInt64, MaxTimestamp: math.MinInt64,
		MaxLocalDeletionTime: math.MinInt64, MaxTombstoneTime: math.MinInt64}
}

func (a *statsAcc) ts(ts int64) {
	a.stats.MinTimestamp = min(a.stats.MinTimestamp, ts)
	a.stats.MaxTimestamp = max(a.stats.MaxTimestamp, ts)
}

func (a *statsAcc) deletion(d mutation.Deletion) {
	if d.IsLive() {
		return
	}
	a.ts(d.Timestamp)
	a.stats.Tombstones++
	a.deletionTime(d.LocalDeletionTime)
}

// deletionTime accounts for a tombstone's deletion time or an expiry.
func (a *statsAcc) deletionTime(t int64) {
	a.stats.MaxLocalDeletionTime = max(a.stats.MaxLocalDeletionTime, t)
	a.stats.MaxTombstoneTime = max(a.stats.MaxTombstoneTime, t)
}

func (a *statsAcc) header(b []byte) error {
	if isEmptyHeader(b) {
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
		a.rowStats(a.hdr.Static)
	}
	return nil
}

// row accounts for an encoded row (as rowStats would for it decoded,
// without decoding its cells).
func (a *statsAcc) row(b []byte) error {
	s, err := mutation.ScanRow(b)
	if err != nil {
		return err
	}
	a.stats.Rows++
	if s.Timestamps > 0 {
		a.ts(s.MinTimestamp)
		a.ts(s.MaxTimestamp)
	}
	a.stats.Tombstones += int64(s.Tombstones)
	if s.HasDeletionTimes {
		a.deletionTime(s.MaxDeletionTime)
	}
	if s.NeverExpires {
		a.stats.MaxLocalDeletionTime = mutation.NoDeletionTime
	}
	return nil
}

func (a *statsAcc) rowStats(r *mutation.Row) {
	if !r.Liveness.IsEmpty() {
		a.ts(r.Liveness.Timestamp)
		if r.Liveness.ExpiresAt != mutation.NoDeletionTime {
			a.deletionTime(r.Liveness.ExpiresAt)
		} else {
			a.stats.MaxLocalDeletionTime = mutation.NoDeletionTime
		}
	}
	a.deletion(r.Deletion)
	for i := range r.Cells {
		c := &r.Cells[i]
		a.ts(c.Timestamp)
		if c.IsTombstone() {
			a.stats.Tombstones++
		}
		if c.LocalDeletionTime != mutation.NoDeletionTime {
			a.deletionTime(c.LocalDeletionTime)
		} else {
			a.stats.MaxLocalDeletionTime = mutation.NoDeletionTime
		}
	}
}
