package commitlog

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"wcdb/internal/vfs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testDir = "/log"

// payload returns the deterministic record number i: its number then filler,
// of a length that varies with i.
func payload(i int) []byte {
	n := 10 + (i*37)%200
	b := fmt.Appendf(nil, "rec-%06d-", i)
	for len(b) < n {
		b = append(b, byte('a'+i%26))
	}
	return b
}

// entry is one replayed record.
type entry struct {
	pos Position
	rec []byte
}

// logRecorder collects Logf output.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *logRecorder) contains(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// openReplay opens a log and replays it, returning the records.
func openReplay(t testing.TB, opts Options) (*Log, []entry) {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var got []entry
	if err := l.Replay(func(pos Position, rec []byte) error {
		got = append(got, entry{pos, bytes.Clone(rec)})
		return nil
	}); err != nil {
		l.Close()
		t.Fatalf("Replay: %v", err)
	}
	return l, got
}

// replayAll opens, replays and closes, returning the records or the error.
func replayAll(opts Options) ([]entry, error) {
	l, err := Open(opts)
	if err != nil {
		return nil, err
	}
	var got []entry
	err = l.Replay(func(pos Position, rec []byte) error {
		got = append(got, entry{pos, bytes.Clone(rec)})
		return nil
	})
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return got, err
}

// checkEntries fails unless got equals want record for record.
func checkEntries(t testing.TB, got, want []entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].pos != want[i].pos || !bytes.Equal(got[i].rec, want[i].rec) {
			t.Fatalf("record %d: got %v %q, want %v %q", i, got[i].pos, got[i].rec, want[i].pos, want[i].rec)
		}
	}
}

// appendN appends payload(from) .. payload(from+n-1) and returns them with
// their positions.
func appendN(t testing.TB, l *Log, from, n int) []entry {
	t.Helper()
	var out []entry
	for i := from; i < from+n; i++ {
		rec := payload(i)
		pos, err := l.Append(rec)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, entry{pos, rec})
	}
	return out
}

// syncCounter is an ErrorFS injector that injects nothing, counts file
// Syncs and can make each Sync slow, like a disk.
type syncCounter struct {
	syncs atomic.Int64
	delay time.Duration
}

func (c *syncCounter) MaybeError(op vfs.Op) error {
	if op.Kind == vfs.OpSync {
		c.syncs.Add(1)
		if c.delay > 0 {
			time.Sleep(c.delay) // models the latency of a real fsync
		}
	}
	return nil
}

var allModes = []SyncMode{Periodic, Batch, Group}
