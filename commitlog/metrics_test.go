package commitlog

import (
	"testing"

	"wcdb/internal/vfs"
)

func TestMetrics(t *testing.T) {
	l, _ := openReplay(t, Options{FS: vfs.NewMem(), Dir: testDir, Sync: Batch})
	defer l.Close()
	want := int64(0)
	for i := range 3 {
		if _, err := l.Append(payload(i)); err != nil {
			t.Fatal(err)
		}
		want += int64(recordHeaderSize + len(payload(i)))
	}
	m := l.Metrics()
	// The segment header is written when the segment is opened, apart.
	if got := m.BytesWritten.Load(); got != want {
		t.Errorf("bytes written %d, want %d", got, want)
	}
	if got := m.SyncLatency.Snapshot().Count; got < 1 || got > 3 {
		t.Errorf("%d fsyncs timed, want 1 to 3 (batch mode, one per batch)", got)
	}
}
