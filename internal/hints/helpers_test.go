package hints

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"wcdb/internal/vfs"
	"wcdb/mutation"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testDir = "/hints"

// testMut returns the deterministic hint number i: a one-row mutation whose
// key names i and whose value length varies with i.
func testMut(i int) *mutation.Mutation {
	row := mutation.NewRow(fmt.Appendf(nil, "c%03d", i%7))
	row.Liveness = mutation.Liveness{Timestamp: int64(1000 + i), ExpiresAt: mutation.NoDeletionTime}
	row.Cells = []mutation.Cell{{
		Column:            1,
		Timestamp:         int64(1000 + i),
		LocalDeletionTime: mutation.NoDeletionTime,
		Value:             bytes.Repeat([]byte{byte('a' + i%26)}, 10+(i*37)%150),
	}}
	return &mutation.Mutation{
		Table: mutation.TableID{1, 2, 3},
		Partition: mutation.Partition{
			Key:      mutation.Key{Token: int64(i) * 7919, Bytes: fmt.Appendf(nil, "key-%06d", i)},
			Deletion: mutation.Live,
			Rows:     []mutation.Row{row},
		},
	}
}

// hintID returns the number testMut gave m, checking that m is exactly
// testMut(i): a replayed hint that differs in any byte fails the test.
func hintID(t testing.TB, m *mutation.Mutation) int {
	t.Helper()
	s, ok := strings.CutPrefix(string(m.Partition.Key.Bytes), "key-")
	i, err := strconv.Atoi(s)
	if !ok || err != nil {
		t.Fatalf("replayed mutation with key %q, want key-<n>", m.Partition.Key.Bytes)
	}
	got, want := mutation.AppendMutation(nil, m), mutation.AppendMutation(nil, testMut(i))
	if !bytes.Equal(got, want) {
		t.Fatalf("replayed hint %d: got encoding % x, want % x", i, got, want)
	}
	return i
}

// fakeClock is a settable clock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

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

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// testOptions are small options on fs: files rotate and buffers fill after
// a few hints; the background job stays out of the way.
func testOptions(fs vfs.FS) Options {
	return Options{
		FS:          fs,
		Dir:         testDir,
		MaxFileSize: 2048,
		BufferSize:  512,
		SyncPeriod:  time.Hour,
	}
}

func mustOpen(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustClose(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// addRange adds hints from..to-1 for target.
func addRange(t testing.TB, s *Store, target string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Add(target, testMut(i)); err != nil {
			t.Fatalf("Add(%q, %d): %v", target, i, err)
		}
	}
}

// replayIDs replays target with a send that always succeeds and returns the
// hint numbers in the order sent.
func replayIDs(t testing.TB, s *Store, target string) []int {
	t.Helper()
	var ids []int
	n, err := s.Replay(context.Background(), target, func(_ context.Context, batch []*mutation.Mutation) error {
		for _, m := range batch {
			ids = append(ids, hintID(t, m))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%q): %v", target, err)
	}
	if n != len(ids) {
		t.Fatalf("Replay(%q) reported %d sent, send saw %d", target, n, len(ids))
	}
	return ids
}

// seq returns from, from+1, ..., to-1.
func seq(from, to int) []int {
	out := make([]int, 0, max(0, to-from))
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func checkIDs(t testing.TB, what string, got, want []int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d hints %v, want %d %v", what, len(got), short(got), len(want), short(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: hint %d: got %d, want %d (got %v, want %v)", what, i, got[i], want[i], short(got), short(want))
		}
	}
}

func short(ids []int) string {
	if len(ids) <= 12 {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v...%v", ids[:6], ids[len(ids)-6:])
}

// hintFiles returns the names of the hint files in fs's testDir.
func hintFiles(t testing.TB, fs vfs.FS) []string {
	t.Helper()
	names, err := fs.List(testDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, fileSuffix) {
			out = append(out, n)
		}
	}
	return out
}

// fileRecs returns, for each file of target in order, its pending count.
func fileRecs(s *Store, target string) []int64 {
	t, _ := s.lookup(target)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for _, f := range t.mu.files {
		out = append(out, f.recs)
	}
	return out
}
