package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"wcdb/server"
)

// mainEnv makes the test binary run the shell itself (for the tests that
// drive it through a terminal), with the arguments after the binary's name.
const mainEnv = "CQLSH_LITE_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startNode starts a node on a free loopback port with its data in a
// temporary directory, stopped when the test ends; edit may change its
// configuration. It returns the node's address.
func startNode(t *testing.T, edit func(*server.Config)) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort = 0
	cfg.GossipPort, cfg.InternodePort = 0, 0
	cfg.CommitLog.Sync = "batch"
	cfg.MemoryLimit = -1
	cfg.Storage.MemtableFlushSize = 4 << 20
	cfg.Storage.BlockCacheSize = 4 << 20
	if edit != nil {
		edit(&cfg)
	}
	n, err := server.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n.Addr().String()
}

// runShell runs cqlsh-lite in-process with args, stdin as its input (not
// a terminal), and returns what it printed and its exit status.
func runShell(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}
