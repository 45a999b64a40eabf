package cql

import (
	"sync"
	"time"

	"wcdb/query"
)

// request is a QUERY's or EXECUTE's decoded parameters and session,
// pooled: the executor gets pointers into it (an allocation each when they
// escaped from the stack), and it goes back once the response is encoded.
type request struct {
	s    query.Session
	p    queryParams
	vals [16][]byte // the bound values of most statements
}

var requestPool = sync.Pool{New: func() any { return new(request) }}

func putRequest(rq *request) {
	*rq = request{} // drop the references into the request's body
	requestPool.Put(rq)
}

// params reads the request's parameters from r into rq.
func (rq *request) params(r *reader) *queryParams {
	r.readQueryParams(&rq.p, rq.vals[:0])
	return &rq.p
}

// A connection sends its next inlineCooldown requests to workers after one
// arrived while another was pending, or one run on its reader took longer
// than inlineSlow.
const (
	inlineCooldown = 64
	inlineSlow     = 2 * time.Millisecond
)

// runsInline reports whether the request being dispatched runs on the
// reader itself, sparing the hand-off to a worker: when it is the only one
// pending (no other awaits its response, no more bytes have arrived) and
// none overlapped or ran slow in the last inlineCooldown. A request sent
// meanwhile waits for it, so a client that multiplexes its requests stays
// on the workers and a synchronous one on the reader.
func (c *conn) runsInline() bool {
	if len(c.slots) != 1 || c.br.Buffered() != 0 {
		c.cooldown = inlineCooldown
		return false
	}
	if c.cooldown > 0 {
		c.cooldown--
		return false
	}
	return true
}

// runInline runs t on the reader (a request sent meanwhile waits for it).
func (c *conn) runInline(t task) {
	if c.srv.run(t) > inlineSlow {
		c.cooldown = inlineCooldown
	}
}
