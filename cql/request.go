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
// run on its reader took longer than inlineSlow.
const (
	inlineCooldown = 64
	inlineSlow     = 2 * time.Millisecond
)

// The states of conn.inline.
const (
	inlineNone      int32 = iota // no request runs on the reader
	inlineRunning                // one runs; takeOver may hand the reading over
	inlineAnswered               // its response is being sent: it ends on the reader
	inlineHandedOff              // it ran past inlineSlow: another goroutine reads
)

// runsInline reports whether the request being dispatched runs on the
// reader itself, sparing the hand-offs to a worker and back, with its
// response written by the reader and flushed with those of the requests
// read with it (send). Requests sent meanwhile wait for it: those of a
// client that multiplexes its requests (gocql's threads share a
// connection) run one after the other, which costs least when they are
// short. One that runs past inlineSlow has the reading handed to a new
// goroutine (takeOver), so it holds the others up for inlineSlow at most,
// and the connection's next inlineCooldown requests go to workers. With
// SerialOverlapping only a request alone on its connection runs inline.
func (c *conn) runsInline() bool {
	if c.inline.Load() != inlineNone {
		return false // the last one handed the reading over and is still finishing
	}
	if c.srv.cfg.SerialOverlapping && (len(c.slots) != 1 || c.br.Buffered() != 0) {
		c.cooldown = inlineCooldown // another is pending: this client overlaps
		return false
	}
	if c.cooldown > 0 {
		c.cooldown--
		return false
	}
	return true
}

// runInline runs t on the reader; false if it ran so long that the
// reading moved to another goroutine, which the caller then leaves it to.
func (c *conn) runInline(t task) bool {
	c.inline.Store(inlineRunning)
	if c.takeover == nil {
		c.takeover = time.AfterFunc(inlineSlow, c.takeOver)
	} else {
		c.takeover.Reset(inlineSlow)
	}
	took := c.srv.run(t)
	c.takeover.Stop()
	if !c.inline.CompareAndSwap(inlineAnswered, inlineNone) && !c.inline.CompareAndSwap(inlineRunning, inlineNone) {
		// Handed off: the new reader runs nothing inline until this is
		// stored, so no one else has touched the state.
		c.inline.Store(inlineNone)
		return false
	}
	if took > inlineSlow {
		c.cooldown = inlineCooldown
	}
	return true
}

// takeOver runs (on the timer's goroutine) when a request has run on the
// reader for inlineSlow: unless its response is already on its way, this
// goroutine becomes the reader.
func (c *conn) takeOver() {
	if !c.inline.CompareAndSwap(inlineRunning, inlineHandedOff) {
		return
	}
	c.cooldown = inlineCooldown
	c.read()
}
