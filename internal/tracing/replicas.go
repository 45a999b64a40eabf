package tracing

import (
	"context"
	"sync"
)

// Replicas records which nodes a request's coordinator sent messages to,
// for the slow query log, which names them whether or not the request was
// traced. The native transport puts one in every statement request's
// context (WithReplicas); the coordinator calls NoteReplica as it sends.
type Replicas struct {
	mu    sync.Mutex
	ids   []string
	local [4]string // backs ids for the usual replication factors
}

type replicasKey struct{}

// WithReplicas returns ctx carrying r.
func WithReplicas(ctx context.Context, r *Replicas) context.Context {
	r.ids = r.local[:0]
	return context.WithValue(ctx, replicasKey{}, r)
}

var replicasPool = sync.Pool{New: func() any { return new(Replicas) }}

// GetReplicas returns an empty Replicas from a pool; Release gives it back
// once nothing reads it.
func GetReplicas() *Replicas {
	r := replicasPool.Get().(*Replicas)
	r.ids = r.local[:0]
	return r
}

// Release clears r and puts it back in the pool.
func (r *Replicas) Release() {
	clear(r.local[:])
	r.ids = nil
	replicasPool.Put(r)
}

// Entry returns the key and value WithReplicas adds to a context, for a
// context that carries them itself (internal/reqctx's Set).
func (r *Replicas) Entry() (key, val any) { return replicasKey{}, r }

// NoteReplica records that the request ctx carries contacted node id (a
// node's host id; a node noted again is kept once). It does nothing on a
// context without Replicas.
func NoteReplica(ctx context.Context, id string) {
	r, _ := ctx.Value(replicasKey{}).(*Replicas)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.ids {
		if s == id {
			return
		}
	}
	r.ids = append(r.ids, id)
}

// List returns the nodes noted, in the order they were first contacted.
func (r *Replicas) List() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}
