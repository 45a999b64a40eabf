package server

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"wcdb/replication"
	"wcdb/ring"
	"wcdb/schema"
)

// The repair history operators query, as Cassandra's repair coordinator
// writes it (SystemDistributedKeyspace): in system_distributed.
// repair_history a row per table and range, written when the range's
// repair starts (status STARTED) and completed when it ends (SUCCESS, or
// FAILED with exception_message); in parent_repair_history a row per
// `wcdb admin repair`, whose id is the ranges' parent_id (the scheduler's
// ranges have none). Rows are written by the node that coordinates the
// repair, through CQL at consistency ONE, and expire after the tables'
// default_time_to_live (30 days). This is the record; what tombstone GC
// relies on is the node's own durable history (repair.History), so a
// failure to write here is logged and does not fail the repair.

const (
	repairHistoryInsert = `INSERT INTO system_distributed.repair_history (keyspace_name, columnfamily_name, id,
		parent_id, range_begin, range_end, coordinator, coordinator_port, participants, participants_v2,
		status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	repairHistoryFinish = `UPDATE system_distributed.repair_history SET status = ?, finished_at = ?,
		exception_message = ? WHERE keyspace_name = ? AND columnfamily_name = ? AND id = ?`
	parentRepairInsert = `INSERT INTO system_distributed.parent_repair_history (parent_id, keyspace_name,
		columnfamily_names, requested_ranges, started_at, options) VALUES (?, ?, ?, ?, ?, ?)`
	parentRepairFinish = `UPDATE system_distributed.parent_repair_history SET finished_at = ?,
		successful_ranges = successful_ranges + ?, exception_message = ? WHERE parent_id = ?`
)

// Statuses of repair_history, Cassandra's.
const (
	repairStarted = "STARTED"
	repairSuccess = "SUCCESS"
	repairFailed  = "FAILED"
)

// repairRecordTimeout bounds a history write: the repair does not wait
// long for its record.
const repairRecordTimeout = 10 * time.Second

// recordRepair runs a statement of the repair history with its values
// (query.Executor.Internal), logging a failure.
func (c *clusterState) recordRepair(stmt string, values ...any) {
	if c.exec == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), repairRecordTimeout)
	defer cancel()
	err := c.exec.Internal(ctx, replication.One, stmt, values...)
	if err != nil {
		c.log.Warn("repair history not recorded", "err", err)
	}
}

// rangeRecord is a range's row in repair_history.
type rangeRecord struct {
	keyspace, table string
	id              schema.UUID
}

// startRangeRecord writes a range's STARTED row.
func (c *clusterState) startRangeRecord(t repairTask, parent *schema.UUID) rangeRecord {
	rec := rangeRecord{keyspace: t.keyspace, table: t.table, id: schema.NewTimeuuid()}
	if rec.keyspace == "" {
		if tb := c.exec.Catalog().TableByID(t.id); tb != nil {
			rec.keyspace, rec.table = tb.Keyspace, tb.Name
		}
	}
	var parentID any
	if parent != nil {
		parentID = *parent
	}
	coord, port := c.internodeAddr(c.hostID)
	var ips, addrs []any
	for _, p := range t.peers {
		ip, port := c.internodeAddr(p)
		if ip != nil {
			ips = append(ips, ip)
			addrs = append(addrs, net.JoinHostPort(ip.String(), strconv.Itoa(port)))
		}
	}
	var coordIP any
	if coord != nil {
		coordIP = coord
	}
	c.recordRepair(repairHistoryInsert, rec.keyspace, rec.table, rec.id, parentID,
		strconv.FormatInt(t.rng.Start, 10), strconv.FormatInt(t.rng.End, 10), coordIP, port,
		ips, addrs, repairStarted, time.Now())
	return rec
}

// finishRangeRecord completes a range's row with its outcome.
func (c *clusterState) finishRangeRecord(rec rangeRecord, err error) {
	status, msg := repairSuccess, any(nil)
	if err != nil {
		status, msg = repairFailed, err.Error()
	}
	c.recordRepair(repairHistoryFinish, status, time.Now(), msg, rec.keyspace, rec.table, rec.id)
}

// startParentRecord writes a manual repair's parent_repair_history row.
func (c *clusterState) startParentRecord(id schema.UUID, req AdminRepairRequest, tasks []repairTask, started time.Time) {
	byKeyspace := map[string][]repairTask{}
	var order []string
	for _, t := range tasks {
		if _, ok := byKeyspace[t.keyspace]; !ok {
			order = append(order, t.keyspace)
		}
		byKeyspace[t.keyspace] = append(byKeyspace[t.keyspace], t)
	}
	opts := []schema.MapEntry{
		{Key: "primary_range", Value: strconv.FormatBool(req.PrimaryRange)},
		{Key: "local", Value: strconv.FormatBool(req.Local)},
		{Key: "jobs", Value: strconv.Itoa(max(req.Jobs, 1))},
		{Key: "incremental", Value: "false"},
	}
	if req.StartToken != nil {
		opts = append(opts, schema.MapEntry{Key: "ranges", Value: ring.Range{Start: *req.StartToken, End: *req.EndToken}.String()})
	}
	// The row's key is the parent id alone (Cassandra's), so a repair of
	// several keyspaces is recorded under the first with every table.
	var ks string
	var tables, ranges []any
	seenT, seenR := map[string]bool{}, map[string]bool{}
	for _, k := range order {
		if ks == "" {
			ks = k
		}
		for _, t := range byKeyspace[k] {
			name := t.table
			if k != ks {
				name = k + "." + t.table
			}
			if !seenT[name] {
				seenT[name] = true
				tables = append(tables, name)
			}
			if r := t.rng.String(); !seenR[r] {
				seenR[r] = true
				ranges = append(ranges, r)
			}
		}
	}
	c.recordRepair(parentRepairInsert, id, ks, tables, ranges, started, opts)
}

// finishParentRecord completes a manual repair's row: when it ended, the
// ranges repaired in every table, and its errors.
func (c *clusterState) finishParentRecord(id schema.UUID, succeeded []any, errs []string) {
	var msg any
	if len(errs) > 0 {
		msg = strings.Join(errs, "; ")
	}
	c.recordRepair(parentRepairFinish, time.Now(), succeeded, msg, id)
}

// internodeAddr is a node's internode address, or nil.
func (c *clusterState) internodeAddr(id ring.NodeID) (net.IP, int) {
	m := c.m.Load()
	if m == nil {
		return nil, 0
	}
	info, ok := m.Node(id)
	if !ok {
		return nil, 0
	}
	host, port, err := net.SplitHostPort(info.InternodeAddr)
	if err != nil {
		return nil, 0
	}
	p, _ := strconv.Atoi(port)
	return net.ParseIP(host), p
}
