package cql

import (
	"sync"

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

func getRequest() *request { return requestPool.Get().(*request) }

func putRequest(rq *request) {
	*rq = request{} // drop the references into the request's body
	requestPool.Put(rq)
}

// params reads the request's parameters from r into rq.
func (rq *request) params(r *reader) *queryParams {
	r.readQueryParams(&rq.p, rq.vals[:0])
	return &rq.p
}
