package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"wcdb/internal/localnode"
	"wcdb/mutation"
	"wcdb/replication"
	"wcdb/ring"
)

// truncateTimeout bounds a TRUNCATE's wait for every node (Cassandra's
// truncate_request_timeout).
const truncateTimeout = 60 * time.Second

// clusterBackend is the executor's Backend: the local one, with TRUNCATE
// made cluster-wide. Table storage (create, alter, drop) follows schema
// changes on each node by itself.
type clusterBackend struct {
	localnode.Backend
	c *clusterState
}

// Truncate empties the table on every node, as Cassandra's TRUNCATE: it
// needs every node of the ring up (else Unavailable at ALL, nothing
// truncated) and waits for each to answer.
func (b clusterBackend) Truncate(ctx context.Context, id mutation.TableID) error {
	c := b.c
	m := c.m.Load()
	if m == nil {
		return b.Backend.Truncate(ctx, id)
	}
	var others []ring.NodeID
	alive := 0
	nodes := m.Nodes()
	for _, info := range nodes {
		if info.Alive || info.ID == c.hostID {
			alive++
		}
		if info.ID != c.hostID {
			others = append(others, info.ID)
		}
	}
	if alive < len(nodes) {
		return &replication.UnavailableError{Consistency: replication.All, Required: len(nodes), Alive: alive}
	}
	ctx, cancel := context.WithTimeout(ctx, truncateTimeout)
	defer cancel()
	errs := make([]error, len(others)+1)
	var wg sync.WaitGroup
	for i, id2 := range others {
		wg.Go(func() {
			p, err := c.peer(id2)
			if err == nil {
				_, err = p.Admin(ctx, []string{"truncate", hex.EncodeToString(id[:])})
			}
			if err != nil {
				errs[i] = fmt.Errorf("node %s: %w", id2, err)
			}
		})
	}
	errs[len(others)] = b.Backend.Truncate(ctx, id)
	wg.Wait()
	return errors.Join(errs...)
}

// truncateLocal serves a peer's ["truncate", table id in hex].
func (c *clusterState) truncateLocal(ctx context.Context, arg string) error {
	b, err := hex.DecodeString(arg)
	var id mutation.TableID
	if err != nil || len(b) != len(id) {
		return fmt.Errorf("truncate: %q is not a table id", arg)
	}
	copy(id[:], b)
	return localnode.Backend{E: c.engine}.Truncate(ctx, id)
}
