package repair

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"wcdb/mutation"
)

// The scheduler: every node repairs its primary ranges (those it is the
// first replica of) of every table, a range at a time, so that each table
// is fully repaired within its interval; with every node doing so, every
// range of every table is. What it has done is the History, so it resumes
// where it stopped after a restart.

// ScheduledTable is a table the scheduler keeps repaired: its primary
// ranges here (Session unset) and the interval it must be repaired within.
type ScheduledTable struct {
	Keyspace, Name string
	ID             mutation.TableID
	Interval       time.Duration
	Ranges         []RangeJob
}

// IntervalFor is a table's repair interval: 90% of its gc_grace_seconds,
// within [min, max] (Cassandra's guidance: repair within gc_grace; 1 hour
// and 7 days by default). 0 means the table is not scheduled
// (gc_grace_seconds 0: nothing to protect).
func IntervalFor(gcGrace time.Duration, lo, hi time.Duration) time.Duration {
	if gcGrace <= 0 {
		return 0
	}
	return min(max(gcGrace*9/10, lo), hi)
}

// SchedulerConfig connects a Scheduler to its node.
type SchedulerConfig struct {
	// Plan returns the tables to keep repaired and their primary ranges,
	// as the schema and the ring are now.
	Plan func() []ScheduledTable
	// Repair repairs one range (the node's checks, then RepairRange).
	Repair func(ctx context.Context, job RangeJob) (RangeStats, error)
	// History is where successful repairs are recorded (by Repair).
	History *History
	// Check is how often the scheduler looks for due ranges when none is;
	// RetryAfter how long a range that failed waits before it is tried
	// again; InitialDelay how long after Run the first look comes (a node
	// just started has other work).
	Check, RetryAfter, InitialDelay time.Duration
	// Now is the clock; nil: time.Now.
	Now  func() time.Time
	Logf func(format string, args ...any)
}

// Scheduler runs the scheduled repairs. Run drives it; its other methods
// are safe for concurrent use.
type Scheduler struct {
	cfg SchedulerConfig

	mu       sync.Mutex
	failed   map[string]time.Time // range key -> when it last failed
	urgent   map[string]time.Time // peers whose ranges go first, since when
	repaired int
	last     time.Time
}

// NewScheduler returns a scheduler; Run starts it.
func NewScheduler(cfg SchedulerConfig) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Scheduler{cfg: cfg, failed: map[string]time.Time{}, urgent: map[string]time.Time{}}
}

// Prioritize puts the ranges a peer replicates first, until each is
// repaired again: the peer was down longer than hints are kept, and missed
// writes only a repair brings back.
func (s *Scheduler) Prioritize(peer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urgent[peer] = s.cfg.Now()
}

// candidate is a range that may be due.
type candidate struct {
	table  *ScheduledTable
	job    RangeJob
	age    time.Duration // since its oldest part was repaired; MaxInt64: never
	urgent bool
}

func rangeKey(id mutation.TableID, job RangeJob) string {
	return fmt.Sprintf("%x/%v", id, job.Range)
}

// next returns the most pressing due range, if any: urgent ones first,
// then the longest unrepaired. A range is due once half its table's
// interval has passed since its last repair, so that, a range at a time,
// each is repaired again before its interval runs out.
func (s *Scheduler) next(plan []ScheduledTable) *candidate {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *candidate
	for i := range plan {
		t := &plan[i]
		if t.Interval <= 0 {
			continue
		}
		for _, job := range t.Ranges {
			c := candidate{table: t, job: job, age: math.MaxInt64}
			at := s.cfg.History.OldestIn(t.ID, job.Range)
			if at != math.MinInt64 {
				c.age = now.Sub(time.Unix(at, 0))
			}
			for _, p := range job.Peers {
				if since, ok := s.urgent[p]; ok && at < since.Unix() {
					c.urgent = true
				}
			}
			if f, ok := s.failed[rangeKey(t.ID, job)]; ok && now.Sub(f) < s.cfg.RetryAfter {
				continue
			}
			if !c.urgent && c.age < t.Interval/2 {
				continue
			}
			if best == nil || c.urgent && !best.urgent || c.urgent == best.urgent && c.age > best.age {
				best = &c
			}
		}
	}
	return best
}

// Run repairs due ranges one after the other until ctx is done, checking
// every Check when none is due.
func (s *Scheduler) Run(ctx context.Context, wait func(ctx context.Context, d time.Duration) error) {
	if wait == nil {
		wait = sleep
	}
	if s.cfg.InitialDelay > 0 && wait(ctx, s.cfg.InitialDelay) != nil {
		return
	}
	for ctx.Err() == nil {
		c := s.next(s.cfg.Plan())
		if c == nil {
			s.clearUrgent()
			if wait(ctx, s.cfg.Check) != nil {
				return
			}
			continue
		}
		job := c.job
		job.Session = fmt.Sprintf("auto/%x/%d/%d", c.table.ID[:4], job.Range.End, s.cfg.Now().UnixNano())
		st, err := s.cfg.Repair(ctx, job)
		s.mu.Lock()
		key := rangeKey(c.table.ID, c.job)
		if err != nil {
			s.failed[key] = s.cfg.Now()
		} else {
			delete(s.failed, key)
			s.repaired++
			s.last = s.cfg.Now()
		}
		s.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.cfg.Logf("repair scheduler: %s.%s %v failed (retried in %v): %v", c.table.Keyspace, c.table.Name, job.Range, s.cfg.RetryAfter, err)
			continue
		}
		if st.Differing > 0 {
			s.cfg.Logf("repair scheduler: %s.%s %v: %d partitions differed, %d pulled, %d pushed", c.table.Keyspace, c.table.Name,
				job.Range, st.Differing, st.Pulled, st.Pushed)
		}
	}
}

// clearUrgent drops the priorities once no range is due: the ranges of
// the peers that returned are repaired.
func (s *Scheduler) clearUrgent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.urgent)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// TableStatus is what the scheduler says of one table.
type TableStatus struct {
	Keyspace        string  `json:"keyspace"`
	Table           string  `json:"table"`
	IntervalSeconds float64 `json:"interval_seconds"`
	// Ranges are the node's primary ranges of the table; Repaired those
	// repaired within the interval.
	Ranges   int `json:"ranges"`
	Repaired int `json:"repaired_within_interval"`
	// OldestSeconds is the age of the least recently repaired range, -1
	// if one never was.
	OldestSeconds float64 `json:"oldest_seconds"`
	// Failing counts ranges whose last attempt failed.
	Failing int `json:"failing"`
}

// Status reports every scheduled table, in plan order.
func (s *Scheduler) Status() []TableStatus {
	plan := s.cfg.Plan()
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TableStatus
	for i := range plan {
		t := &plan[i]
		ts := TableStatus{Keyspace: t.Keyspace, Table: t.Name, IntervalSeconds: t.Interval.Seconds(), Ranges: len(t.Ranges)}
		oldest := time.Duration(0)
		never := false
		for _, job := range t.Ranges {
			at := s.cfg.History.OldestIn(t.ID, job.Range)
			if at == math.MinInt64 {
				never = true
			} else {
				age := now.Sub(time.Unix(at, 0))
				oldest = max(oldest, age)
				if age <= t.Interval {
					ts.Repaired++
				}
			}
			if _, ok := s.failed[rangeKey(t.ID, job)]; ok {
				ts.Failing++
			}
		}
		ts.OldestSeconds = oldest.Seconds()
		if never {
			ts.OldestSeconds = -1
		}
		out = append(out, ts)
	}
	slices.SortStableFunc(out, func(a, b TableStatus) int {
		return cmp.Or(cmp.Compare(a.Keyspace, b.Keyspace), cmp.Compare(a.Table, b.Table))
	})
	return out
}
