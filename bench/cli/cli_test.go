package cli

import (
	"context"
	"io"
	"net"
	"testing"

	"wcdb/server"
)

// startNode starts a node for a bench to run against, on a free port of
// 127.0.0.1, stopped when the test ends; it returns the CQL host and port.
func startNode(t *testing.T) (host, port string) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ListenAddress = "127.0.0.1"
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	n, err := server.Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	host, port, _ = net.SplitHostPort(n.Addr().String())
	return host, port
}

// run runs args as wcdb does ("bench", the command, its arguments).
func run(args []string, stdout, stderr io.Writer) int {
	switch args[1] {
	case "ycsb":
		return YCSB(args[2:], stdout, stderr)
	case "timeline":
		return Timeline(args[2:], stdout, stderr)
	case "lwt":
		return LWT(args[2:], stdout, stderr)
	case "report":
		return Report(args[2:], stdout, stderr)
	}
	panic("no command " + args[1])
}
