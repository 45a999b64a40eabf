package cql

import (
	"net"

	"wcdb/internal/tracing"
)

// newTrace starts the trace of a request that asked for one (the tracing
// flag): its session is recorded with the connection's two ends.
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

// requestNames are the sessions table's request column, Cassandra's.
var requestNames = map[opcode]string{
	opQuery: "Execute CQL3 query", opExecute: "Execute CQL3 prepared query",
	opPrepare: "Preparing CQL3 query", opBatch: "Execute batch of CQL3 queries",
}

// traceRequest records what a traced request was and how it ended.
func traceRequest(tr *tracing.Trace, op opcode, info *reqInfo, err error) {
	if tr == nil {
		return
	}
	params := map[string]string{}
	if info.stmt != "" {
		params["query"] = info.stmt
	}
	if op != opPrepare {
		params["consistency_level"] = info.cl.String()
	}
	if err != nil {
		tr.Event(tracing.Native, "Request failed: "+err.Error())
	}
	tr.SetRequest(op.String(), requestNames[op], params)
}
