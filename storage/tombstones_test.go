package storage

import (
	"math"
	"sync/atomic"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
	"wcdb/mutation"
)

// TestTombstoneGCModes: a partition deleted at T, then read raw and
// compacted at later times, in each tombstone_gc mode: the deletion stays
// exactly as long as the mode says, in raw reads and through compaction
// alike.
func TestTombstoneGCModes(t *testing.T) {
	const T = 1_800_000_000 // the deletion's local time
	const grace = 1000
	type at struct {
		now  int64
		kept bool
	}
	cases := []struct {
		mode    string
		horizon func(token int64) (int64, bool)
		checks  []at
	}{
		{TombstoneGCTimeout, nil, []at{{T + grace - 1, true}, {T + grace + 1, false}}},
		{TombstoneGCDisabled, nil, []at{{T + grace + 1, true}, {T + 100*grace, true}}},
		{TombstoneGCImmediate, nil, []at{{T + 1, false}}},
		// Never repaired: kept past gc_grace.
		{TombstoneGCRepair, func(int64) (int64, bool) { return math.MinInt64, false }, []at{{T + 100*grace, true}}},
		// Repaired, but the repair started within the propagation delay
		// of the deletion: kept.
		{TombstoneGCRepair, func(int64) (int64, bool) { return T + 3600 - 1, false }, []at{{T + 100*grace, true}}},
		// A repair that started after the propagation delay: gone, even
		// before gc_grace.
		{TombstoneGCRepair, func(int64) (int64, bool) { return T + 3600 + 1, false }, []at{{T + 3600 + 2, false}}},
		// A range of one replica follows gc_grace.
		{TombstoneGCRepair, func(int64) (int64, bool) { return math.MinInt64, true }, []at{{T + grace - 1, true}, {T + grace + 1, false}}},
	}
	for _, c := range cases {
		for _, chk := range c.checks {
			var now atomic.Int64 // background work reads the clock too
			now.Store(T)
			e := openTest(t, vfs.NewMem(), func(o *Options) {
				o.CommitLogSync = commitlog.Batch
				o.DisableAutoCompaction = true // the test compacts when it checks
				o.Now = func() time.Time { return time.Unix(now.Load(), 0) }
				if c.horizon != nil {
					o.RepairHorizon = func(_ mutation.TableID, tok int64) (int64, bool) { return c.horizon(tok) }
				}
			})
			tb, err := e.CreateTable(testTable, TableOptions{GCGraceSeconds: grace, TombstoneGC: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Apply(rowMut(1, 1, 10, "x")); err != nil {
				t.Fatal(err)
			}
			if err := e.Apply(&mutation.Mutation{Table: testTable, Partition: mutation.Partition{Key: pk(1),
				Deletion: mutation.Deletion{Timestamp: 20, LocalDeletionTime: T}}}); err != nil {
				t.Fatal(err)
			}
			if err := tb.Flush(); err != nil {
				t.Fatal(err)
			}
			now.Store(chk.now)
			p, err := tb.Read(Query{Key: pk(1), Raw: true})
			if err != nil {
				t.Fatal(err)
			}
			if kept := p != nil && p.Deletion.Timestamp == 20; kept != chk.kept {
				t.Errorf("%s (horizon %v) at T+%d: raw read keeps the deletion: %v, want %v", c.mode, c.horizon != nil, chk.now-T, kept, chk.kept)
			}
			if err := tb.Compact(); err != nil {
				t.Fatal(err)
			}
			var tombstones int64
			for _, f := range tb.Files() {
				tombstones += f.Meta.Tombstones
			}
			if kept := tombstones > 0; kept != chk.kept {
				t.Errorf("%s at T+%d: compaction kept the deletion: %v (%d tombstones), want %v", c.mode, chk.now-T, kept, tombstones, chk.kept)
			}
			if p, _ := tb.Read(Query{Key: pk(1)}); p != nil {
				t.Errorf("%s: the deleted row is visible: %+v", c.mode, p)
			}
			e.Close()
		}
	}
}

// TestZeroOptionsSurviveARestart: options whose zero is spelled -1
// (gc_grace_seconds, propagation_delay_in_seconds) read back as zero
// after a restart, not as their defaults.
func TestZeroOptionsSurviveARestart(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, nil)
	if _, err := e.CreateTable(testTable, TableOptions{GCGraceSeconds: -1, PropagationDelaySeconds: -1, TombstoneGC: TombstoneGCRepair}); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = openTest(t, fs, nil)
	defer e.Close()
	o := e.Table(testTable).cfg.Load().opts
	if o.GCGraceSeconds != 0 || o.PropagationDelaySeconds != 0 || o.TombstoneGC != TombstoneGCRepair {
		t.Fatalf("after a restart: gc grace %d, propagation delay %d, mode %q; want 0, 0, repair", o.GCGraceSeconds, o.PropagationDelaySeconds, o.TombstoneGC)
	}
}
