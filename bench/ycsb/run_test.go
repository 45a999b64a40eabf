package ycsb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memDB keeps records in a map; failEvery > 0 makes every failEvery-th
// read fail with failWith.
type memDB struct {
	mu        sync.Mutex
	recs      map[string]map[string]string
	reads     int
	failEvery int
	failWith  error
}

func newMemDB() *memDB { return &memDB{recs: map[string]map[string]string{}} }

func (m *memDB) Client(context.Context) (Client, error) { return memClient{m}, nil }
func (m *memDB) Facts(context.Context) map[string]string {
	return map[string]string{"kind": "memory"}
}
func (m *memDB) Close() error { return nil }

type memClient struct{ m *memDB }

func (c memClient) Insert(_ context.Context, key string, fields []Field) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if _, ok := c.m.recs[key]; ok {
		return fmt.Errorf("duplicate key %s", key)
	}
	r := map[string]string{}
	for _, f := range fields {
		r[f.Name] = strings.Clone(f.Value)
	}
	c.m.recs[key] = r
	return nil
}

func (c memClient) Read(_ context.Context, key string) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.reads++
	if c.m.failEvery > 0 && c.m.reads%c.m.failEvery == 0 {
		return c.m.failWith
	}
	if len(c.m.recs[key]) == 0 {
		return ErrNotFound
	}
	return nil
}

func (c memClient) Update(_ context.Context, key string, fields []Field) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	r, ok := c.m.recs[key]
	if !ok {
		return ErrNotFound
	}
	for _, f := range fields {
		r[f.Name] = strings.Clone(f.Value)
	}
	return nil
}

func (c memClient) Scan(_ context.Context, key string, n int) (int, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	rows := 0
	for k := range c.m.recs {
		if k >= key {
			rows++
		}
	}
	return min(rows, n), nil
}

func (c memClient) Close() error { return nil }

func TestRunAllWorkloadsInMemory(t *testing.T) {
	db := newMemDB()
	cfg := DefaultConfig()
	cfg.DBName = "memory"
	cfg.Records = 500
	cfg.Operations = 1000
	cfg.Threads = 3
	res, err := Run(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, ph := range res.Phases {
		names = append(names, ph.Name)
		if ph.Failed != 0 {
			t.Errorf("%s: %d failed (%v), want 0", ph.Name, ph.Failed, ph.Errors)
		}
		if len(ph.TimeSeries) == 0 {
			t.Errorf("%s: empty time series", ph.Name)
		}
		var series int64
		for _, p := range ph.TimeSeries {
			series += p.OK
		}
		if series != ph.OK {
			t.Errorf("%s: time series sums to %d ops, want %d", ph.Name, series, ph.OK)
		}
	}
	if !slices.Equal(names, cfg.Workloads) {
		t.Errorf("phases %v, want %v", names, cfg.Workloads)
	}
	// Inserts of d and e continue the sequence: no duplicate keys, and the
	// records counted are the records stored.
	last := res.Phases[len(res.Phases)-1]
	if got := int64(len(db.recs)); got != last.RecordsAfter {
		t.Errorf("stored %d records, result says %d", got, last.RecordsAfter)
	}
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"settings", "machine", "phases", "db_facts"} {
		if m[k] == nil {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

// TestErrorsCounted: failures are counted by kind, in the phase and per
// operation, and not as successes.
func TestErrorsCounted(t *testing.T) {
	db := newMemDB()
	cfg := DefaultConfig()
	cfg.Workloads = []string{"load", "c"}
	cfg.Records = 100
	cfg.Operations = 1000
	cfg.Threads = 2
	cfg.OpTimeout = 0
	if _, err := Run(context.Background(), db, cfg); err != nil {
		t.Fatal(err)
	}
	db.failEvery, db.failWith = 10, fmt.Errorf("%w: injected", ErrTimeout)
	cfg.Workloads = []string{"c"}
	res, err := Run(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Phases[0]
	if c.Failed != 100 || c.OK != 900 || c.Errors["timeout"] != 100 || c.Ops["READ"].Errors["timeout"] != 100 {
		t.Errorf("got ok %d failed %d errors %v, want 900, 100, 100 timeouts", c.OK, c.Failed, c.Errors)
	}
	if c.Ops["READ"].FailedLatency == nil || c.Ops["READ"].FailedLatency.Count != 100 {
		t.Errorf("failed latency %+v, want 100 values", c.Ops["READ"].FailedLatency)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), "timeout 100") {
		t.Errorf("text output does not count the timeouts:\n%s", text.String())
	}
}

// TestTargetAndDuration runs at a target rate for a bounded time: the
// throughput is the target's, and the phase ends by its duration.
func TestTargetAndDuration(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for seconds")
	}
	db := newMemDB()
	var progress bytes.Buffer
	cfg := DefaultConfig()
	cfg.Workloads = []string{"load", "a"}
	cfg.Records = 100
	cfg.Operations = 0
	cfg.Duration = 2500 * time.Millisecond
	cfg.Target = 400
	cfg.Threads = 4
	cfg.Progress = &progress
	res, err := Run(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Phases[1]
	if a.StoppedBy != "duration" {
		t.Errorf("stopped by %s, want duration", a.StoppedBy)
	}
	if a.OK < 950 || a.OK > 1000 {
		t.Errorf("got %d operations in 2.5 s at 400/s, want about 1000", a.OK)
	}
	if a.ElapsedS < 2.4 || a.ElapsedS > 3.5 {
		t.Errorf("phase took %.2f s, want about 2.5", a.ElapsedS)
	}
	if len(a.TimeSeries) < 2 || a.TimeSeries[0].OpsPerS < 250 || a.TimeSeries[0].OpsPerS > 550 {
		t.Errorf("time series %+v, want points of about 400 ops/s", a.TimeSeries)
	}
	if !strings.Contains(progress.String(), "ycsb a ") || !strings.Contains(progress.String(), "p99 so far") {
		t.Errorf("progress %q, want a line per second", progress.String())
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Workloads = []string{"a", "load"} }, "load must be the first"},
		{func(c *Config) { c.Workloads = []string{"g"} }, "unknown workload"},
		{func(c *Config) { c.Operations, c.Duration = 0, 0 }, "needs operations or a duration"},
		{func(c *Config) { c.FieldLength = 1 << 20 }, "field length"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
