package cql

import (
	"net"

	"wcdb/internal/tracing"
)

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
