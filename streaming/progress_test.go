package streaming

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"wcdb/ring"
)

func TestRegistry(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0).UTC()}
	reg := &Registry{now: c.now, keep: 2}
	in := reg.Start("s1", "10.0.0.2", Receiving, "ks", "t")
	out := reg.Start("s2", "10.0.0.3", Sending, "", "")
	// 10 sections of 40 MiB; 3 done, the fourth half through (counting
	// entries against its estimate).
	in.plan(10, 400*mib)
	for range 3 {
		in.fileStart(40 * mib)
		in.data(40*mib+100, 40*mib)
		in.fileDone()
	}
	in.fileStart(40 * mib)
	in.data(int(20.5*mib), int(0.5*mib))
	c.advance(10 * time.Second)
	got := in.Info().String()
	// 3×40 + 0.5 MiB of 400 done; 140.5 MiB streamed in 10 s.
	want := "streaming: session s1 receiving from 10.0.0.2 (ks.t): 3/10 files, 120.5/400.0 MiB (30%), 14.1 MiB/s"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	out.plan(0, 0)
	if got, want := out.Info().String(), "streaming: session s2 sending to 10.0.0.3: 0/0 files, 0.0/0.0 MiB (0%), 0.0 MiB/s"; got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	// A section that fails does not count.
	in.endCurrent()
	if i := in.Info(); i.BytesDone != 120*mib || i.FilesDone != 3 {
		t.Fatalf("after an abandoned section: %+v", i)
	}
	snap := reg.Snapshot()
	if len(snap) != 2 || snap[0].ID != "s1" || snap[1].ID != "s2" || snap[0].State != Running {
		t.Fatalf("snapshot %+v", snap)
	}
	c.advance(time.Second)
	in.Finish(errors.New("peer gone"))
	in.Finish(nil) // later calls do nothing
	out.Finish(nil)
	third := reg.Start("s3", "p", Receiving, "ks", "t")
	snap = reg.Snapshot()
	if len(snap) != 3 || snap[0].ID != "s3" || snap[1].ID != "s1" || snap[2].ID != "s2" {
		t.Fatalf("snapshot %+v, want s3 running, then s1 and s2 finished", snap)
	}
	if s := snap[1]; s.State != Failed || s.Error != "peer gone" || !s.End.Equal(c.now()) || !strings.HasSuffix(s.String(), ", failed: peer gone") {
		t.Fatalf("failed session %+v: %s", s, s)
	}
	if s := snap[2]; s.State != Done || !strings.HasSuffix(s.String(), ", done") || s.Percent() != 100 {
		t.Fatalf("done session %+v: %s", s, s)
	}
	b, err := json.Marshal(snap[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"id":"s1"`, `"direction":"receiving"`, `"state":"failed"`, `"files_total":10`, `"files_done":3`, `"error":"peer gone"`, `"keyspace":"ks"`} {
		if !strings.Contains(string(b), w) {
			t.Fatalf("JSON %s lacks %s", b, w)
		}
	}
	if strings.Contains(string(mustJSON(t, snap[0])), `"end"`) {
		t.Fatalf("a running session has an end: %s", mustJSON(t, snap[0]))
	}
	// Only the last `keep` finished sessions are remembered.
	third.Finish(nil)
	snap = reg.Snapshot()
	if len(snap) != 2 || snap[0].ID != "s2" || snap[1].ID != "s3" {
		t.Fatalf("snapshot %+v, want s2 and s3", snap)
	}
	// The counts outlive the sessions remembered.
	if running, finished, failed := reg.Counts(); running != 0 || finished != 3 || failed != 1 {
		t.Fatalf("counts: %d running, %d finished, %d failed; want 0, 3, 1", running, finished, failed)
	}
	var none *Progress
	none.plan(1, 1)
	none.Finish(nil)
	if none.Info().ID != "" {
		t.Fatal("nil progress has info")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProgressOfASession: a real session's progress ends complete on both
// sides, and the bytes streamed are the frames' bytes.
func TestProgressOfASession(t *testing.T) {
	_, src := openEngine(t)
	fill(t, src, 200)
	_, dst := openEngine(t)
	reg := NewRegistry()
	sp := reg.Start("x", "dst", Sending, "ks", "t")
	rp := reg.Start("x", "src", Receiving, "ks", "t")
	var frames [][]byte
	ranges := []ring.Range{{Start: -3e18, End: 6e18}}
	sst, err := SendWithProgress(context.Background(), src, Request{Session: "x", Table: testTable, Ranges: ranges}, nil, sp, func(f []byte) error {
		frames = append(frames, append([]byte(nil), f...))
		return nil
	})
	sp.Finish(err)
	if err != nil {
		t.Fatal(err)
	}
	rst, err := Receive(context.Background(), dst, replay(frames), rp)
	rp.Finish(err)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range reg.Snapshot() {
		if s.State != Done || s.FilesDone != int64(sst.Files) || s.FilesTotal != s.FilesDone || s.BytesDone != s.BytesTotal || s.BytesTotal == 0 || s.BytesStreamed != sst.FrameBytes || s.BytesStreamed != rst.FrameBytes {
			t.Fatalf("%s progress %+v; sender %+v", s.Direction, s, sst)
		}
		if !strings.Contains(s.String(), fmt.Sprintf("%d/%d files", sst.Files, sst.Files)) || !strings.Contains(s.String(), "(100%)") {
			t.Fatalf("log line %q", s)
		}
	}
}

// TestRegistryConcurrent: sessions start, progress and finish while
// snapshots are taken (run with -race).
func TestRegistryConcurrent(t *testing.T) {
	reg := NewRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := reg.Start(fmt.Sprint("s", i), "peer", Direction(i%2), "ks", "t")
			p.plan(100, 100<<10)
			for range 100 {
				p.fileStart(1 << 10)
				p.data(1<<10+6, 1<<10)
				p.fileDone()
			}
			p.Finish(nil)
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			for _, s := range reg.Snapshot() {
				_ = s.String()
			}
		}
	}()
	wg.Wait()
	<-done
	snap := reg.Snapshot()
	if len(snap) != 8 {
		t.Fatalf("%d sessions, want 8", len(snap))
	}
	for _, s := range snap {
		if s.State != Done || s.FilesDone != 100 || s.BytesDone != s.BytesTotal {
			t.Fatalf("session %+v", s)
		}
	}
}
