package server

import (
	"fmt"
	"testing"
	"time"
)

// testNodes is an in-process cluster of a test, node i+1 at index i on
// 127.0.0.(i+1). The nodes still held at the end are closed; a test that
// closes one itself sets its entry to nil.
type testNodes struct {
	dir   string
	nodes []*Node
}

// startNodes starts n nodes one after the other, node 1 the others' seed,
// each with clusterConfig changed by mod (if set), and waits until each
// sees them all alive.
func startNodes(t *testing.T, n int, mod func(i int, cfg *Config)) *testNodes {
	t.Helper()
	c := &testNodes{dir: t.TempDir()}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			if n != nil {
				n.Close()
			}
		}
	})
	for i := 1; i <= n; i++ {
		c.add(t, i, mod)
	}
	for i, nd := range c.nodes {
		waitFor(t, fmt.Sprintf("node %d to see %d nodes", i+1, n), 10*time.Second, func() bool { return aliveOf(nd) == n })
	}
	return c
}

// config returns node i's configuration (1-based), node 1 as its seed.
func (c *testNodes) config(i int) Config {
	if i == 1 || len(c.nodes) == 0 || c.nodes[0] == nil {
		return clusterConfig(c.dir, i)
	}
	return clusterConfig(c.dir, i, c.nodes[0].GossipAddr())
}

// add starts node i (it joins through node 1) and keeps it.
func (c *testNodes) add(t *testing.T, i int, mod func(i int, cfg *Config)) *Node {
	t.Helper()
	cfg := c.config(i)
	if mod != nil {
		mod(i, &cfg)
	}
	return c.keep(startConfigured(t, cfg))
}

// keep holds a node the test started, for closing at the end.
func (c *testNodes) keep(n *Node) *Node {
	c.nodes = append(c.nodes, n)
	return n
}
