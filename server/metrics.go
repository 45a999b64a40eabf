package server

// This file wires the node's metrics and health HTTP listener
// (internal/metrics): the collector's sources, and what readiness means
// for a node.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"wcdb/cluster"
	"wcdb/cql"
	"wcdb/internal/hints"
	"wcdb/internal/metrics"
	"wcdb/mutation"
	"wcdb/replication"
)

// monitor is the node's HTTP listener of /metrics, /healthz and /readyz.
type monitor struct {
	requests metrics.ClientRequests
	handler  http.Handler
	srv      *http.Server // nil: metrics.port 0, or the port was taken
	ln       net.Listener
}

// startMonitor builds the node's metrics and starts its HTTP listener,
// and returns coord wrapped to time client requests. The listener starts
// before the node joins its cluster, so that /healthz answers and /readyz
// says why not yet during a long bootstrap; a port already taken is logged
// and the node goes on without it (a node is more use without its metrics
// than not running).
func (n *Node) startMonitor(coord *replication.Distributed, names *tableNames) replication.Coordinator {
	mon := &monitor{}
	cl := n.cl
	src := metrics.Sources{
		Engine:   n.engine,
		Requests: &mon.requests,
		TableName: func(id mutation.TableID) (string, string, bool) {
			if x := names.exec.Load(); x != nil {
				if t := x.Catalog().TableByID(id); t != nil {
					return t.Keyspace, t.Name, true
				}
			}
			return "", "", false
		},
		Coordinator: coord.Metrics,
		CQL: func() (cql.Stats, bool) {
			if s := cl.cqlS.Load(); s != nil {
				return s.Stats(), true
			}
			return cql.Stats{}, false
		},
	}
	if h := cl.hints; h != nil {
		src.Hints = func() (hints.Metrics, bool) { return h.Metrics(), true }
	}
	mon.handler = metrics.Handler(metrics.NewCollector(src), n.readiness())
	n.mon = mon
	if port := n.cfg.Metrics.Port; port != 0 {
		host := n.cfg.Metrics.Address
		if host == "" {
			host = n.cfg.CQLListen()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			n.log.Error("metrics and health listener not started: /metrics, /healthz and /readyz are not served (set metrics.port)", "addr", addr, "err", err)
		} else {
			mon.ln = ln
			mon.srv = &http.Server{Handler: mon.handler, ReadHeaderTimeout: 10 * time.Second}
			go mon.srv.Serve(ln)
		}
	}
	return metrics.Coordinator{C: coord, M: &mon.requests}
}

// stop closes the listener, if any.
func (m *monitor) stop() {
	if m != nil && m.srv != nil {
		m.srv.Close()
	}
}

// MetricsAddr is the address of the metrics and health listener, "" when
// there is none.
func (n *Node) MetricsAddr() string {
	if n.mon == nil || n.mon.ln == nil {
		return ""
	}
	return n.mon.ln.Addr().String()
}

// MetricsHandler serves /metrics, /healthz and /readyz, as the listener
// does (for tests, and for a process that serves them elsewhere).
func (n *Node) MetricsHandler() http.Handler { return n.mon.handler }

// readiness is what /readyz checks: the node serves CQL, is NORMAL in the
// ring and not leaving it, agrees on the schema with every live node, and
// was not stopped by a failure policy.
func (n *Node) readiness() []metrics.Check {
	cl := n.cl
	return []metrics.Check{
		{Name: "cql", Check: func() error {
			switch s := cl.cqlS.Load(); {
			case s == nil:
				return errors.New("not serving yet")
			case s.Closing():
				return errors.New("closed")
			}
			return nil
		}},
		{Name: "ring", Check: func() error {
			m := cl.m.Load()
			switch {
			case m == nil:
				return errors.New("not joined yet")
			case cl.leaving.Load():
				return errors.New("decommissioning")
			case m.Local().Status != cluster.StatusNormal:
				return fmt.Errorf("status %v, not NORMAL", m.Local().Status)
			}
			return nil
		}},
		{Name: "schema", Check: func() error {
			m := cl.m.Load()
			if m == nil {
				return errors.New("not joined yet")
			}
			mine := cl.exec.SchemaVersion() // set before the membership
			var differ []string
			for _, info := range m.Nodes() {
				if info.ID != cl.hostID && info.Alive && info.Status != cluster.StatusLeft &&
					info.SchemaVersion != ([16]byte{}) && info.SchemaVersion != mine {
					differ = append(differ, string(info.ID))
				}
			}
			if len(differ) > 0 {
				return fmt.Errorf("version differs from live nodes %s", strings.Join(differ, ", "))
			}
			return nil
		}},
		{Name: "failure_policy", Check: func() error {
			if n.fail.stopped() {
				return errors.New("node stopped after a disk or commit log failure")
			}
			return nil
		}},
	}
}
