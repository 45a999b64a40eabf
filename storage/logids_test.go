package storage

import (
	"fmt"
	"testing"
	"time"

	"wcdb/commitlog"
	"wcdb/internal/vfs"
)

// TestLogIDsNeverGoBack: in periodic mode a flush can record a replay
// point in a segment whose header never reached the disk; a power loss
// then takes that segment, and replay removes it as unfinished. The
// segments of the next life must still come after the replay point, or
// the replay after a second crash skips their acknowledged writes.
func TestLogIDsNeverGoBack(t *testing.T) {
	fs := vfs.NewMem()
	e := openTest(t, fs, func(o *Options) {
		o.CommitLogSync = commitlog.Periodic
		o.CommitLogSyncPeriod = time.Hour
		o.CommitLogSegmentSize = 16 << 10
	})
	tb, err := e.CreateTable(testTable, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SyncLog(); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if err := e.Apply(rowMut(1, i, int64(i+1), fmt.Sprint("a", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Flush(); err != nil {
		t.Fatal(err)
	}
	before := tb.replayFrom()
	fs = fs.Crash()
	batch := func(o *Options) { o.CommitLogSync = commitlog.Batch }
	e2 := openTest(t, fs, batch)
	if got := e2.log.Current(); got.Less(before) {
		t.Errorf("after the crash the log writes at %v, before the replay point %v", got, before)
	}
	for i := range 10 {
		if err := e2.Apply(rowMut(2, i, int64(i+1), fmt.Sprint("b", i))); err != nil {
			t.Fatal(err)
		}
	}
	e3 := openTest(t, fs.Crash(), batch)
	defer e3.Close()
	if got, want := readVals(t, e3.Table(testTable), 2), "0=b0 1=b1 2=b2 3=b3 4=b4 5=b5 6=b6 7=b7 8=b8 9=b9 "; got != want {
		t.Fatalf("after the second crash: got %q, want %q", got, want)
	}
	e2.Close()
	e.Close()
}
