package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/query/catalog"
	"wcdb/repair"
	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
	"wcdb/storage"
	"wcdb/streaming"
)

// Repairs the node coordinates (wcdb admin repair, nodetool repair's
// options): every range of the asked tables the node replicates (or, with
// PrimaryRange, those it is the first replica of), each repaired among its
// replicas by repair.Service.RepairRange.

// AdminRepairRequest is the body of ["repair", "start", JSON].
type AdminRepairRequest struct {
	// Keyspace is the keyspace to repair; "" every keyspace with
	// replicas on other nodes (the local system ones never).
	Keyspace string `json:"keyspace,omitempty"`
	// Tables restricts the repair to these tables of Keyspace.
	Tables []string `json:"tables,omitempty"`
	// PrimaryRange (-pr) repairs only the ranges the node is the first
	// replica of: run on every node, it repairs each range once.
	PrimaryRange bool `json:"primary_range,omitempty"`
	// Local (-local) repairs among the replicas of the node's datacenter.
	Local bool `json:"local,omitempty"`
	// StartToken and EndToken (-st, -et) restrict the repair to the tokens
	// in (StartToken, EndToken].
	StartToken *int64 `json:"start_token,omitempty"`
	EndToken   *int64 `json:"end_token,omitempty"`
	// Jobs (-j) is how many ranges are repaired at once, 1 to 4.
	Jobs int `json:"jobs,omitempty"`
}

// AdminRepair is a repair the node coordinates: the answer to start, and
// what ["repair", "status"] lists.
type AdminRepair struct {
	ID      string             `json:"id"`
	Request AdminRepairRequest `json:"request"`
	// State is running, done or failed (some range failed: Errors says
	// why, one line per distinct reason with how many ranges it failed and
	// the first of them; the rest were repaired, and a rerun repairs all
	// again).
	State  string   `json:"state"`
	Errors []string `json:"errors,omitempty"`
	// errCount counts the ranges each reason failed, by Errors' index.
	errReasons []string
	errCount   []int
	errFirst   []string
	// HistoryID is the repair's parent_id in system_distributed's
	// repair history; parentID the same, as a UUID.
	HistoryID string `json:"history_id"`
	parentID  schema.UUID
	// Tables and Ranges count what the repair covers (a range of a table
	// is one session); RangesDone and RangesFailed what has finished.
	Tables       int `json:"tables"`
	Ranges       int `json:"ranges"`
	RangesDone   int `json:"ranges_done"`
	RangesFailed int `json:"ranges_failed"`
	// Figures summed over the finished ranges (repair.RangeStats).
	Partitions      int64     `json:"partitions"`
	DataBytes       int64     `json:"data_bytes"`
	Differing       int64     `json:"differing_partitions"`
	Pulled          int64     `json:"pulled_partitions"`
	Pushed          int64     `json:"pushed_partitions"`
	TreeBytes       int64     `json:"tree_bytes"`
	StreamBytes     int64     `json:"stream_bytes"`
	DiffBytes       int64     `json:"diff_bytes"`
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished,omitzero"`
	DurationSeconds float64   `json:"duration_seconds"`
}

// AdminRepairSchedule is one table in the answer to ["repair",
// "schedule"]: where the node's scheduler stands with it.
type AdminRepairSchedule = repair.TableStatus

// keptRepairs is how many finished repairs status still lists.
const keptRepairs = 20

// repairTask is one range of one table to repair.
type repairTask struct {
	keyspace, table string
	id              mutation.TableID
	rng             ring.Range
	peers           []ring.NodeID
}

// repairs holds the node's repairs, running and recent.
type repairs struct {
	mu     sync.Mutex
	jobs   []*AdminRepair // oldest first
	active map[string]bool
	seq    int
}

func newRepairService(c *clusterState) *repair.Service {
	return repair.New(repair.Config{
		Self:  string(c.hostID),
		Table: func(id mutation.TableID) *storage.Table { return c.engine.Table(id) },
		Peer: func(host string) (repair.Peer, error) {
			p, err := c.peer(ring.NodeID(host))
			if err != nil {
				return nil, err
			}
			return p, nil
		},
		Names: func(id mutation.TableID) (string, string) {
			if t := c.exec.Catalog().TableByID(id); t != nil {
				return t.Keyspace, t.Name
			}
			return "", fmt.Sprintf("%x", id[:])
		},
		Streams:  c.streams,
		History:  c.history,
		Throttle: streaming.NewThrottle(int64(c.cfg.Repair.Throughput)),
	})
}

// repairHistoryFile is the history of successful repairs, in the data
// directory (repair.History).
const repairHistoryFile = "repair_history.json"

// repairHorizon answers storage's RepairHorizon: when the last successful
// repair of the range of a token of a table started, and whether that
// range has a single replica (its keyspace's replication factor, or the
// ring, is 1), which no repair concerns.
func (c *clusterState) repairHorizon(table mutation.TableID, token int64) (int64, bool) {
	if c.singleReplica(table) {
		return math.MinInt64, true
	}
	return c.history.RepairedAt(table, token), false
}

// singleReplica reports whether a table's data has one replica: a
// keyspace at replication factor 1, or a ring of one node.
func (c *clusterState) singleReplica(table mutation.TableID) bool {
	if c.exec == nil {
		return false
	}
	cat := c.exec.Catalog()
	t := cat.TableByID(table)
	if t == nil {
		return false
	}
	ks := cat.Keyspace(t.Keyspace)
	m := c.m.Load()
	if ks == nil || m == nil {
		return false
	}
	rm := m.Ring()
	key := replicasKey{ks.Name, fmt.Sprint(ks.Replication)}
	n := rm.Memo(key, func() any {
		st, err := replication.ParseStrategy(ks.Replication)
		if err != nil || rm.Len() == 0 {
			return 0
		}
		return len(st.Replicas(rm, rm.TokenAt(0)))
	}).(int)
	return n == 1
}

// replicasKey memoizes a keyspace's replica count on a ring.
type replicasKey struct{ keyspace, replication string }

var _ repair.Peer = (*messaging.Client)(nil)

// repairAdmin serves ["repair", "start", JSON] and ["repair", "status"
// [ID]].
func (c *clusterState) repairAdmin(args []string) ([]byte, error) {
	switch {
	case len(args) == 3 && args[1] == "start":
		var req AdminRepairRequest
		if err := json.Unmarshal([]byte(args[2]), &req); err != nil {
			return nil, fmt.Errorf("repair: bad request: %w", err)
		}
		r, err := c.startRepair(req)
		if err != nil {
			return nil, err
		}
		return json.Marshal(r)
	case len(args) == 2 && args[1] == "schedule":
		if c.sched == nil {
			return json.Marshal([]repair.TableStatus{})
		}
		return json.Marshal(c.sched.Status())
	case (len(args) == 2 || len(args) == 3) && args[1] == "status":
		c.reps.mu.Lock()
		defer c.reps.mu.Unlock()
		var out []AdminRepair
		for _, j := range c.reps.jobs {
			if len(args) == 3 && j.ID != args[2] {
				continue
			}
			out = append(out, *j)
		}
		if len(args) == 3 && len(out) == 0 {
			return nil, fmt.Errorf("repair: no repair %q on this node", args[2])
		}
		return json.Marshal(out)
	}
	return nil, errors.New("usage: repair start JSON | repair status [ID] | repair schedule")
}

// startRepair plans a repair and runs it in the background.
func (c *clusterState) startRepair(req AdminRepairRequest) (*AdminRepair, error) {
	if req.Jobs == 0 {
		req.Jobs = 1
	}
	if req.Jobs < 1 || req.Jobs > 4 {
		return nil, fmt.Errorf("repair: -j %d: between 1 and 4 ranges at once", req.Jobs)
	}
	if (req.StartToken == nil) != (req.EndToken == nil) {
		return nil, errors.New("repair: -st and -et go together")
	}
	tasks, tables, err := c.planRepair(req)
	if err != nil {
		return nil, err
	}
	c.reps.mu.Lock()
	c.reps.seq++
	// Unique across restarts: the node, the time, a sequence number.
	j := &AdminRepair{ID: fmt.Sprintf("%s-%s-%d", c.hostID[:8], time.Now().UTC().Format("20060102T150405"), c.reps.seq),
		Request: req, State: "running", parentID: schema.NewTimeuuid(),
		Tables: tables, Ranges: len(tasks), Started: time.Now()}
	j.HistoryID = j.parentID.String()
	c.reps.jobs = append(c.reps.jobs, j)
	if len(c.reps.jobs) > keptRepairs {
		c.reps.jobs = slices.Delete(c.reps.jobs, 0, len(c.reps.jobs)-keptRepairs)
	}
	snap := *j
	c.reps.mu.Unlock()
	c.log.Info("repair started", "id", j.ID, "keyspace", req.Keyspace, "tables", tables, "ranges", len(tasks))
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.runRepair(j, tasks, req.Jobs)
	}()
	return &snap, nil
}

// planRepair lists the ranges to repair, table by table.
func (c *clusterState) planRepair(req AdminRepairRequest) ([]repairTask, int, error) {
	m := c.m.Load()
	if m == nil {
		return nil, 0, errors.New("repair: the node has not joined its cluster yet")
	}
	cat := c.exec.Catalog()
	keyspaces := cat.Keyspaces()
	if req.Keyspace != "" {
		if cat.Keyspace(req.Keyspace) == nil {
			return nil, 0, fmt.Errorf("repair: keyspace %q does not exist", req.Keyspace)
		}
		keyspaces = []string{req.Keyspace}
	} else if len(req.Tables) > 0 {
		return nil, 0, errors.New("repair: tables need their keyspace")
	}
	rm := m.Ring()
	self := c.hostID
	myDC := ""
	if n, ok := rm.Node(self); ok {
		myDC = n.DC
	}
	var tasks []repairTask
	ntables := 0
	for _, ks := range keyspaces {
		if catalog.IsLocalSystemKeyspace(ks) {
			continue
		}
		st, err := replication.ParseStrategy(cat.Keyspace(ks).Replication)
		if err != nil {
			return nil, 0, err
		}
		if _, local := st.(replication.LocalStrategy); local {
			continue
		}
		tables := cat.Tables(ks)
		if len(req.Tables) > 0 {
			tables = nil
			for _, name := range req.Tables {
				t := cat.Table(ks, name)
				if t == nil {
					return nil, 0, fmt.Errorf("repair: table %s.%s does not exist", ks, name)
				}
				tables = append(tables, t)
			}
		}
		var ranges []repairTask
		for i := range rm.Len() {
			r := rm.RangeAt(i)
			reps := st.Replicas(rm, r.End)
			if !slices.Contains(reps, self) || req.PrimaryRange && reps[0] != self {
				continue
			}
			var peers []ring.NodeID
			for _, id := range reps {
				if id == self {
					continue
				}
				if n, ok := rm.Node(id); req.Local && (!ok || n.DC != myDC) {
					continue
				}
				peers = append(peers, id)
			}
			if len(peers) == 0 {
				continue // a single replica: nothing to compare
			}
			pieces := []ring.Range{r}
			if req.StartToken != nil {
				pieces = repair.Intersect(r, ring.Range{Start: *req.StartToken, End: *req.EndToken})
			}
			for _, p := range pieces {
				ranges = append(ranges, repairTask{rng: p, peers: peers})
			}
		}
		if len(ranges) == 0 {
			continue
		}
		for _, t := range tables {
			ntables++
			for _, r := range ranges {
				r.keyspace, r.table, r.id = ks, t.Name, t.ID
				tasks = append(tasks, r)
			}
		}
	}
	return tasks, ntables, nil
}

// runRepair repairs the tasks, jobs at a time, and records the outcome.
func (c *clusterState) runRepair(j *AdminRepair, tasks []repairTask, jobs int) {
	ctx, cancel := c.untilQuit()
	defer cancel()
	c.startParentRecord(j.parentID, j.Request, tasks, j.Started)
	// rangeDone counts the tables repaired in each range: a range whose
	// every table was is a successful range.
	rangeDone := map[ring.Range]int{}
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range work {
				st, err := c.repairTask(ctx, fmt.Sprintf("%s/%d", j.ID, i), tasks[i], &j.parentID)
				c.reps.mu.Lock()
				if err != nil {
					j.RangesFailed++
					j.noteError(err.Error(), fmt.Sprintf("%s.%s %v", tasks[i].keyspace, tasks[i].table, tasks[i].rng))
				} else {
					j.RangesDone++
					rangeDone[tasks[i].rng]++
				}
				j.Partitions += int64(st.Partitions)
				j.DataBytes += st.DataBytes
				j.Differing += int64(st.Differing)
				j.Pulled += int64(st.Pulled)
				j.Pushed += int64(st.Pushed)
				j.TreeBytes += st.TreeBytes
				j.StreamBytes += st.StreamBytes
				j.DiffBytes += st.DiffBytes
				j.DurationSeconds = time.Since(j.Started).Seconds()
				c.reps.mu.Unlock()
			}
		})
	}
	for i := range tasks {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	c.reps.mu.Lock()
	j.Finished = time.Now()
	j.DurationSeconds = j.Finished.Sub(j.Started).Seconds()
	j.State = "done"
	if j.RangesFailed > 0 || j.RangesDone < j.Ranges {
		j.State = "failed"
	}
	snap := *j
	rangeTasks := map[ring.Range]int{}
	for _, t := range tasks {
		rangeTasks[t.rng]++
	}
	var succeeded []any
	for _, t := range tasks {
		if n := rangeTasks[t.rng]; n > 0 && rangeDone[t.rng] == n {
			rangeTasks[t.rng] = 0 // once
			succeeded = append(succeeded, t.rng.String())
		}
	}
	c.reps.mu.Unlock()
	c.finishParentRecord(j.parentID, succeeded, snap.Errors)
	c.log.Info("repair finished", "id", snap.ID, "state", snap.State, "ranges", snap.Ranges, "failed", snap.RangesFailed,
		"differing", snap.Differing, "pulled", snap.Pulled, "pushed", snap.Pushed,
		"tree_bytes", snap.TreeBytes, "stream_bytes", snap.StreamBytes, "seconds", snap.DurationSeconds)
	if snap.State == "failed" {
		c.log.Warn("repair failed", "id", snap.ID, "errors", strings.Join(snap.Errors, "; "))
	}
}

// maxRepairReasons bounds the distinct failure reasons a repair keeps.
const maxRepairReasons = 10

// noteError counts a range's failure under its reason and rewrites
// Errors. The caller holds the repairs' lock.
func (j *AdminRepair) noteError(reason, where string) {
	i := slices.Index(j.errReasons, reason)
	if i < 0 {
		if len(j.errReasons) == maxRepairReasons {
			return
		}
		j.errReasons = append(j.errReasons, reason)
		j.errCount = append(j.errCount, 0)
		j.errFirst = append(j.errFirst, where)
		i = len(j.errReasons) - 1
	}
	j.errCount[i]++
	j.Errors = nil // a new slice: snapshots keep theirs
	for k, r := range j.errReasons {
		j.Errors = append(j.Errors, fmt.Sprintf("%d ranges (first %s): %s", j.errCount[k], j.errFirst[k], r))
	}
}

// startRepairScheduler starts the repair scheduler (repair.scheduler),
// which stops with the node.
func (c *clusterState) startRepairScheduler() {
	rc := c.cfg.Repair
	if !rc.Scheduler {
		return
	}
	c.sched = repair.NewScheduler(repair.SchedulerConfig{
		Plan: c.repairPlan,
		Repair: func(ctx context.Context, job repair.RangeJob) (repair.RangeStats, error) {
			t := repairTask{id: job.Table, rng: job.Range}
			for _, p := range job.Peers {
				t.peers = append(t.peers, ring.NodeID(p))
			}
			return c.repairTask(ctx, job.Session, t, nil)
		},
		History:      c.history,
		Check:        time.Duration(rc.CheckInterval),
		RetryAfter:   time.Duration(rc.RetryAfter),
		InitialDelay: time.Duration(rc.InitialDelay),
		Logf:         func(format string, args ...any) { c.log.Info(fmt.Sprintf(format, args...)) },
	})
	ctx, cancel := c.untilQuit()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		c.sched.Run(ctx, nil)
	}()
}

// untilQuit returns a context done when the node stops, or a disk
// failure stops its work (halted), or cancel is called: for background
// work.
func (c *clusterState) untilQuit() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-c.quit:
			cancel()
		case <-c.halted:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// repairPlan is what the scheduler keeps repaired: what a repair -pr of
// every keyspace covers, table by table, with each table's interval.
func (c *clusterState) repairPlan() []repair.ScheduledTable {
	if c.m.Load() == nil || c.exec == nil {
		return nil
	}
	tasks, _, err := c.planRepair(AdminRepairRequest{PrimaryRange: true})
	if err != nil {
		c.log.Warn("repair scheduler: no plan", "err", err)
		return nil
	}
	rc := c.cfg.Repair
	cat := c.exec.Catalog()
	var out []repair.ScheduledTable
	for _, t := range tasks {
		if n := len(out); n == 0 || out[n-1].ID != t.id {
			st := repair.ScheduledTable{Keyspace: t.keyspace, Name: t.table, ID: t.id}
			if tb := cat.TableByID(t.id); tb != nil {
				st.Interval = repair.IntervalFor(time.Duration(tb.GCGrace)*time.Second,
					time.Duration(rc.MinInterval), time.Duration(rc.MaxInterval))
			}
			out = append(out, st)
		}
		job := repair.RangeJob{Table: t.id, Range: t.rng}
		for _, p := range t.peers {
			job.Peers = append(job.Peers, string(p))
		}
		out[len(out)-1].Ranges = append(out[len(out)-1].Ranges, job)
	}
	return out
}

// afterAbsence logs a peer's return after an absence longer than hints
// are kept, and has the scheduler repair its ranges first: writes it
// missed past the window reach it only through a repair.
func (c *clusterState) afterAbsence(id ring.NodeID) {
	c.mu.Lock()
	at, ok := c.downAt[id]
	delete(c.downAt, id)
	c.mu.Unlock()
	window := time.Duration(c.cfg.MaxHintWindow)
	if !ok || time.Since(at) <= window {
		return
	}
	c.log.Warn("a node was down longer than max_hint_window: writes it missed after the window were not hinted and need a repair",
		"node", id, "down_for", time.Since(at).Round(time.Second), "max_hint_window", window,
		"scheduler", c.sched != nil)
	if c.sched != nil {
		c.sched.Prioritize(string(id))
	}
}

// repairTask repairs one range of one table, refusing one whose replicas
// are not all up or that another repair on this node is working on.
// The attempt is recorded in system_distributed.repair_history, under
// parent (a manual repair's id) if not nil.
func (c *clusterState) repairTask(ctx context.Context, session string, t repairTask, parent *schema.UUID) (repair.RangeStats, error) {
	rec := c.startRangeRecord(t, parent)
	st, err := c.repairRange(ctx, session, t)
	c.finishRangeRecord(rec, err)
	return st, err
}

func (c *clusterState) repairRange(ctx context.Context, session string, t repairTask) (repair.RangeStats, error) {
	m := c.m.Load()
	for _, id := range t.peers {
		if !m.Alive(id) {
			return repair.RangeStats{}, fmt.Errorf("replica %s is down", id)
		}
	}
	key := fmt.Sprintf("%x/%v", t.id, t.rng)
	c.reps.mu.Lock()
	if c.reps.active == nil {
		c.reps.active = map[string]bool{}
	}
	if c.reps.active[key] {
		c.reps.mu.Unlock()
		return repair.RangeStats{}, errors.New("another repair of this range is running")
	}
	c.reps.active[key] = true
	c.reps.mu.Unlock()
	defer func() {
		c.reps.mu.Lock()
		delete(c.reps.active, key)
		c.reps.mu.Unlock()
	}()
	peers := make([]string, len(t.peers))
	for i, p := range t.peers {
		peers[i] = string(p)
	}
	return c.repair.RepairRange(ctx, repair.RangeJob{Session: session, Table: t.id, Range: t.rng, Peers: peers})
}
