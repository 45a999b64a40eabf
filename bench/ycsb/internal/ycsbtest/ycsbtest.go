// Package ycsbtest runs every workload against a driver in a test.
package ycsbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"wcdb/bench/ycsb"
)

// Records and Operations are the sizes RunAll uses.
const (
	Records    = 300
	Operations = 400
)

// RunAll loads Records records into db and runs workloads a-f against
// them, Operations each, with 4 workers: every phase must do all its work
// and none may fail (a read of a missing key is a failure). It returns the
// result after checking that it survives a JSON round trip.
func RunAll(t *testing.T, db ycsb.DB, name string) *ycsb.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	cfg := ycsb.DefaultConfig()
	cfg.DBName = name
	cfg.Workloads = []string{"load", "a", "b", "c", "d", "e", "f"}
	cfg.Records = Records
	cfg.Operations = Operations
	cfg.Duration = 20 * time.Second
	cfg.Threads = 4
	cfg.Progress = &progress
	res, err := ycsb.Run(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Phases), 7; got != want {
		t.Fatalf("got %d phases, want %d", got, want)
	}
	for _, ph := range res.Phases {
		if ph.Failed != 0 {
			t.Errorf("%s: got %d failed operations (%v), want 0", ph.Name, ph.Failed, ph.Errors)
		}
		want := int64(Operations)
		if ph.Name == "load" {
			want = Records
		}
		if ph.OK != want {
			t.Errorf("%s: got %d operations, want %d (stopped by %s)", ph.Name, ph.OK, want, ph.StoppedBy)
		}
		if ph.CPU == nil {
			t.Errorf("%s: got no CPU figures (%s)", ph.Name, ph.CPUError)
		}
	}
	if e := res.Phases[5].Ops["SCAN"]; e == nil || e.Rows < e.Count {
		t.Errorf("e: got scan result %+v, want at least a row per scan", e)
	}
	if f := res.Phases[6]; f.Ops["READ-MODIFY-WRITE"] == nil || f.Ops["UPDATE"] == nil {
		t.Errorf("f: got ops %v, want READ-MODIFY-WRITE and UPDATE among them", f.Ops)
	}
	if d := res.Phases[4]; d.RecordsAfter <= d.RecordsBefore {
		t.Errorf("d: records %d -> %d, want growth from inserts", d.RecordsBefore, d.RecordsAfter)
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back ycsb.Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Phases[0].Ops["INSERT"].Latency.Count != Records {
		t.Errorf("got %d inserts after a JSON round trip, want %d", back.Phases[0].Ops["INSERT"].Latency.Count, Records)
	}
	buf.Reset()
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", buf.Bytes())
	if progress.Len() == 0 {
		t.Logf("no progress lines (every phase under a second)")
	}
	return res
}
