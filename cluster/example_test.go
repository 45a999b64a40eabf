package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"wcdb/cluster"
)

// A single node with no seeds starts a cluster of its own, allocates its
// tokens at once and is NORMAL when Join returns.
func ExampleJoin() {
	cfg := cluster.DefaultLocalConfig() // loopback, a free gossip port, fast timings
	cfg.NodeID = cluster.NewHostID()    // or LoadState's, on a restart
	cfg.Logger = slog.New(slog.DiscardHandler)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := cluster.Join(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Shutdown()

	self := m.Local()
	fmt.Println(self.Status, len(self.Tokens), m.Ring().NumNodes(), m.Alive(self.ID))
	// Output: NORMAL 16 1 true
}
