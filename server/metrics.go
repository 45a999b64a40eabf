package server

import (
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"wcdb/internal/metrics"
	"wcdb/messaging"
	"wcdb/mutation"
	"wcdb/replication"
)

// monitor is the node's HTTP listener of /metrics, /healthz and /readyz
// (internal/metrics).
type monitor struct {
	requests  metrics.ClientRequests
	handler   http.Handler
	srv       *metrics.Server                  // nil: metrics.port 0, or the port was taken
	internode atomic.Pointer[messaging.Server] // set once the internode service exists
}

// startMonitor starts the node's metrics and health listener and returns
// coord timing client requests. It starts before the node joins, so that
// /readyz tells why not yet during a bootstrap. A taken port is logged and
// the node runs on: it is more use without its metrics than stopped.
func (n *Node) startMonitor(coord *replication.Distributed, names *tableNames) replication.Coordinator {
	cl, mon := n.cl, &monitor{}
	src := metrics.Sources{Engine: n.engine, Requests: &mon.requests, Coordinator: coord.Metrics,
		Hints: cl.hints, CQL: cl.cqlS.Load,
		Internode: func() (messaging.Stats, bool) {
			if s := mon.internode.Load(); s != nil {
				return s.Stats(), true
			}
			return messaging.Stats{}, false
		},
		TableName: func(id mutation.TableID) (string, string, bool) {
			if x := names.exec.Load(); x != nil {
				if t := x.Catalog().TableByID(id); t != nil {
					return t.Keyspace, t.Name, true
				}
			}
			return "", "", false
		}}
	ready := metrics.Readiness(metrics.Node{CQL: cl.cqlS.Load, Membership: cl.m.Load, Leaving: cl.leaving.Load,
		SchemaVersion: func() [16]byte { return cl.exec.SchemaVersion() }, Stopped: n.fail.Stopped})
	mon.handler = metrics.Handler(metrics.NewCollector(src), ready)
	n.mon = mon
	if port := n.cfg.Metrics.Port; port != 0 {
		host := n.cfg.Metrics.Address
		if host == "" {
			host = n.cfg.CQLListen()
		}
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		var err error
		if mon.srv, err = metrics.Listen(addr, mon.handler); err != nil {
			n.log.Error("metrics and health listener not started: /metrics, /healthz and /readyz are not served (set metrics.port)", "addr", addr, "err", err)
		}
	}
	return metrics.Coordinator{C: coord, M: &mon.requests}
}

func (m *monitor) stop() {
	if m != nil {
		m.srv.Close()
	}
}

// MetricsAddr is the metrics and health listener's address, "" if none.
func (n *Node) MetricsAddr() string { return n.mon.srv.Addr() }

// ClientRequests are the node's client request metrics (as a coordinator).
func (n *Node) ClientRequests() *metrics.ClientRequests { return &n.mon.requests }

// MetricsHandler serves /metrics, /healthz and /readyz as the listener does.
func (n *Node) MetricsHandler() http.Handler { return n.mon.handler }
