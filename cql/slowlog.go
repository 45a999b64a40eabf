package cql

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"wcdb/internal/tracing"
	"wcdb/query"
	"wcdb/replication"
)

// Request logs: the statements slower than Config.SlowQueryLogTimeout
// (Cassandra's slow_query_log_timeout), at WARN, and every schema change a
// client makes, at INFO, with who made it.

// slowLogBurst bounds the slow queries logged per second: when a node is
// overloaded every request is slow, and the log must not make it worse.
// The ones left out are counted in the next line.
const slowLogBurst = 10

// maxLoggedStatement bounds the statement text a log line carries.
const maxLoggedStatement = 1000

// reqInfo is what a request's log line says of it, filled in by the
// handler that runs it.
type reqInfo struct {
	stmt     string
	cl       replication.Consistency
	keyspace string
}

// slowLog rate-limits the slow query lines.
type slowLog struct {
	now        func() time.Time // time.Now if nil; tests freeze it
	mu         sync.Mutex
	second     time.Time
	logged     int
	suppressed int
}

// logSlow logs a request that took d, if over the threshold.
func (c *conn) logSlow(info *reqInfo, reps *tracing.Replicas, d time.Duration, err error) {
	limit := c.srv.cfg.SlowQueryLogTimeout
	if limit <= 0 || d < limit || info.stmt == "" {
		return
	}
	sl := &c.srv.slow
	now := time.Now()
	if sl.now != nil {
		now = sl.now()
	}
	sl.mu.Lock()
	if now.Sub(sl.second) >= time.Second {
		sl.second, sl.logged = now, 0
	}
	if sl.logged >= slowLogBurst {
		sl.suppressed++
		sl.mu.Unlock()
		return
	}
	sl.logged++
	left := sl.suppressed
	sl.suppressed = 0
	sl.mu.Unlock()
	stmt := info.stmt
	if len(stmt) > maxLoggedStatement {
		stmt = stmt[:maxLoggedStatement] + "..."
	}
	args := []any{"millis", d.Milliseconds(), "statement", stmt, "consistency", info.cl.String(),
		"keyspace", info.keyspace, "replicas", c.replicaNames(reps), "client", c.nc.RemoteAddr().String(),
		"threshold", limit.String()}
	if err != nil {
		args = append(args, "err", err)
	}
	if left > 0 {
		args = append(args, "slow_queries_not_logged", left)
	}
	c.srv.log.Warn("slow query (slow_query_log_timeout)", args...)
}

// replicaNames lists the nodes a request contacted, named by
// Config.NodeName.
func (c *conn) replicaNames(reps *tracing.Replicas) string {
	ids := reps.List()
	for i, id := range ids {
		if c.srv.cfg.NodeName != nil {
			if n := c.srv.cfg.NodeName(id); n != "" {
				ids[i] = n
			}
		}
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// logSchemaChange logs a schema change made through this connection.
func (c *conn) logSchemaChange(ch *query.SchemaChange) {
	s := c.session()
	user := s.User
	if user == "" {
		user = "(no login)"
	}
	c.srv.log.LogAttrs(c.srv.baseCtx, slog.LevelInfo, "schema change",
		slog.String("change", ch.Change), slog.String("target", ch.Target), slog.String("keyspace", ch.Keyspace),
		slog.String("name", ch.Name), slog.String("user", user), slog.String("client", c.nc.RemoteAddr().String()))
}
