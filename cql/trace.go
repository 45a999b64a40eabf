package cql

import (
	"math"
	"math/rand/v2"
	"net"

	"wcdb/internal/tracing"
)

// SetTraceProbability makes the server trace a share p (0 to 1) of the
// statement requests that did not ask for it, as Cassandra's nodetool
// settraceprobability: their traces are recorded in system_traces, and
// the client, which did not ask, is not sent the session id.
func (s *Server) SetTraceProbability(p float64) {
	s.traceProb.Store(math.Float64bits(min(max(p, 0), 1)))
}

// TraceProbability returns the share set by SetTraceProbability.
func (s *Server) TraceProbability() float64 { return math.Float64frombits(s.traceProb.Load()) }

// sampled reports whether a request that did not ask to be traced is.
func (s *Server) sampled() bool {
	p := s.traceProb.Load()
	return p != 0 && rand.Float64() < math.Float64frombits(p)
}

// newTrace starts the trace of a request that asked for one (the tracing
// flag), with the connection's two ends.
func (c *conn) newTrace() *tracing.Trace {
	var client, coord net.IP
	port := 0
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
		client = a.IP
	}
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		coord, port = a.IP, a.Port
	}
	return tracing.New(client, coord, port)
}

// traceRequest records what a traced request was and how it ended.
func traceRequest(tr *tracing.Trace, op opcode, info *reqInfo, err error) {
	if tr == nil {
		return
	}
	cl := ""
	if op != opPrepare {
		cl = info.cl.String()
	}
	tr.Done(op.String(), info.stmt, cl, err)
}
