package repair

import (
	"context"
	"errors"
	"testing"
	"time"

	"wcdb/internal/vfs"
	"wcdb/mutation"
	"wcdb/ring"
)

// schedEnv drives a Scheduler on a fake clock: each wait advances it.
type schedEnv struct {
	now     time.Time
	hist    *History
	runs    []RangeJob
	fail    func(RangeJob) bool
	waits   int
	maxWait int
	cancel  context.CancelFunc
}

func (e *schedEnv) scheduler(plan []ScheduledTable) *Scheduler {
	return NewScheduler(SchedulerConfig{
		Plan: func() []ScheduledTable { return plan },
		Repair: func(_ context.Context, job RangeJob) (RangeStats, error) {
			e.now = e.now.Add(time.Minute) // a range takes a minute
			e.runs = append(e.runs, job)
			if e.fail != nil && e.fail(job) {
				return RangeStats{}, errors.New("replica down")
			}
			return RangeStats{}, e.hist.Record(job.Table, job.Range, e.now.Add(-time.Minute).Unix())
		},
		History:    e.hist,
		Check:      5 * time.Minute,
		RetryAfter: 30 * time.Minute,
		Now:        func() time.Time { return e.now },
	})
}

func (e *schedEnv) run(s *Scheduler, waits int) {
	ctx, cancel := context.WithCancel(context.Background())
	e.waits, e.maxWait, e.cancel = 0, waits, cancel
	s.Run(ctx, func(ctx context.Context, d time.Duration) error {
		e.now = e.now.Add(d)
		if e.waits++; e.waits >= e.maxWait {
			e.cancel()
		}
		return ctx.Err()
	})
}

func quarters(peers ...string) []RangeJob {
	q := int64(1) << 62
	return []RangeJob{
		{Table: testTable, Range: ring.Range{Start: ring.MinToken, End: -q}, Peers: peers},
		{Table: testTable, Range: ring.Range{Start: -q, End: 0}, Peers: peers},
		{Table: testTable, Range: ring.Range{Start: 0, End: q}, Peers: peers},
		{Table: testTable, Range: ring.Range{Start: q, End: ring.MinToken}, Peers: peers},
	}
}

// TestSchedulerKeepsTablesRepaired: over ten simulated hours, every range
// of a table with a one-hour interval is always within its interval once
// first repaired; a table with gc_grace_seconds 0 is never repaired; a
// scheduler started again on the history does not redo what was just
// done.
func TestSchedulerKeepsTablesRepaired(t *testing.T) {
	fs := vfs.NewMem()
	hist, err := OpenHistory(fs, "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	e := &schedEnv{now: time.Unix(1_800_000_000, 0), hist: hist}
	other := mutation.TableID{9}
	plan := []ScheduledTable{
		{Keyspace: "ks", Name: "t", ID: testTable, Interval: IntervalFor(4000*time.Second, time.Hour, 7*24*time.Hour), Ranges: quarters("b", "c")},
		{Keyspace: "ks", Name: "nograce", ID: other, Interval: IntervalFor(0, time.Hour, 7*24*time.Hour), Ranges: quarters("b", "c")},
	}
	if plan[0].Interval != time.Hour {
		t.Fatalf("interval %v, want 1h (90%% of 4000 s, at least 1 h)", plan[0].Interval)
	}
	s := e.scheduler(plan)
	start := e.now
	for e.now.Sub(start) < 10*time.Hour {
		e.run(s, 1)
		if e.now.Sub(start) < 10*time.Minute {
			continue // the first pass
		}
		for _, job := range plan[0].Ranges {
			if age := e.now.Sub(time.Unix(hist.OldestIn(testTable, job.Range), 0)); age > time.Hour {
				t.Fatalf("at +%v range %v last repaired %v ago, past its interval", e.now.Sub(start), job.Range, age)
			}
		}
	}
	for _, job := range e.runs {
		if job.Table == other {
			t.Fatal("a table with gc_grace_seconds 0 was repaired")
		}
	}
	t.Logf("%d range repairs in 10 hours (4 ranges, 1 h interval)", len(e.runs))
	if st := s.Status(); len(st) != 2 || st[1].Table != "t" || st[1].Repaired != 4 || st[0].OldestSeconds != -1 {
		t.Errorf("status: %+v", st)
	}

	// Restarted on its history: nothing is due at once.
	hist2, err := OpenHistory(fs.Crash(), "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	e2 := &schedEnv{now: e.now, hist: hist2}
	s2 := e2.scheduler(plan)
	if c := s2.next(plan); c != nil && c.age < time.Hour/2 {
		t.Fatalf("after a restart, range %v is repaired again %v after its last repair", c.job.Range, c.age)
	}
}

// TestSchedulerRetriesAndPriorities: a range whose repair fails waits
// RetryAfter before it is tried again; a peer back from a long absence
// puts its ranges first, due or not.
func TestSchedulerRetriesAndPriorities(t *testing.T) {
	hist, err := OpenHistory(vfs.NewMem(), "/h.json")
	if err != nil {
		t.Fatal(err)
	}
	e := &schedEnv{now: time.Unix(1_800_000_000, 0), hist: hist}
	ranges := append(quarters("b"), quarters("c")[:1]...)
	ranges[4].Range = ring.Range{Start: 5, End: 6}
	plan := []ScheduledTable{{Keyspace: "ks", Name: "t", ID: testTable, Interval: 2 * time.Hour, Ranges: ranges}}
	bad := ranges[1].Range
	e.fail = func(j RangeJob) bool { return j.Range == bad }
	s := e.scheduler(plan)
	e.run(s, 1) // the first pass: all five tried, one fails
	tries := func() (n int) {
		for _, j := range e.runs {
			if j.Range == bad {
				n++
			}
		}
		return n
	}
	if tries() != 1 {
		t.Fatalf("the failing range was tried %d times in the first pass", tries())
	}
	e.run(s, 5) // 25 minutes: not yet retried
	if tries() != 1 {
		t.Fatalf("the failing range was retried within %v", 30*time.Minute)
	}
	e.run(s, 2)
	if tries() != 2 {
		t.Fatalf("the failing range was tried %d times after %v, want 2", tries(), 30*time.Minute)
	}
	e.fail = nil
	// Nothing is due now; node c returns from a long absence.
	e.runs = nil
	s.Prioritize("c")
	e.run(s, 1)
	if len(e.runs) != 1 || e.runs[0].Range != ranges[4].Range {
		t.Fatalf("after Prioritize(c): repaired %v, want only c's range %v", e.runs, ranges[4].Range)
	}
}
