package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"wcdb/cluster"
	"wcdb/internal/testutil"
	"wcdb/ring"
	"wcdb/storage"
)

// TestFailurePolicyConfig: commitlog.failure_policy and
// storage.disk_failure_policy, by their sectioned and flat (cassandra.yaml)
// names, and clear errors for the policies wcdb does not have.
func TestFailurePolicyConfig(t *testing.T) {
	load := func(doc string) (Config, error) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err == nil {
			err = cfg.Validate()
		}
		return cfg, err
	}
	for _, tc := range []struct {
		doc            string
		commit, disk   string
		wantErr, wants string
	}{
		{doc: "", commit: "stop", disk: "stop"},
		{doc: "commit_failure_policy: ignore\ndisk_failure_policy: die", commit: "ignore", disk: "die"},
		{doc: "commitlog:\n  failure_policy: die\nstorage:\n  disk_failure_policy: ignore", commit: "die", disk: "ignore"},
		{doc: "commit_failure_policy: stop_commit", wantErr: "commitlog.failure_policy (commit_failure_policy): stop_commit is not supported", wants: "supported: stop, die, ignore"},
		{doc: "disk_failure_policy: best_effort", wantErr: "storage.disk_failure_policy (disk_failure_policy): best_effort is not supported", wants: "supported: stop, die, ignore"},
		{doc: "storage:\n  disk_failure_policy: stop_paranoid", wantErr: "stop_paranoid is not supported", wants: "supported: stop, die, ignore"},
		{doc: "disk_failure_policy: sometimes", wantErr: `"sometimes" is not a policy`, wants: "supported: stop, die, ignore"},
		{doc: "commit_failure_policy: die\ncommitlog:\n  failure_policy: stop", wantErr: "both set"},
	} {
		cfg, err := load(tc.doc)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wants) {
				t.Errorf("%q: got error %v, want one with %q and %q", tc.doc, err, tc.wantErr, tc.wants)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.doc, err)
			continue
		}
		if cfg.CommitLog.FailurePolicy != tc.commit || cfg.Storage.DiskFailurePolicy != tc.disk {
			t.Errorf("%q: got commit %q, disk %q; want %q, %q", tc.doc, cfg.CommitLog.FailurePolicy, cfg.Storage.DiskFailurePolicy, tc.commit, tc.disk)
		}
	}
}

// cqlRefused reports whether the node's CQL port refuses connections.
func cqlRefused(n *Node) bool {
	c, err := net.DialTimeout("tcp", n.Addr().String(), time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// TestFailurePolicies tells a node of a failed flush (as the engine does,
// with ENOSPC) under each disk_failure_policy, and of a failed commit log
// write under each commit_failure_policy: the failure is logged at ERROR
// with the file and the error; stop stops the CQL server and gossip and
// keeps the process (the node closes normally later); die does the same
// and closes Fatal; ignore goes on serving.
func TestFailurePolicies(t *testing.T) {
	for _, commit := range []bool{false, true} {
		for _, policy := range []string{"stop", "die", "ignore"} {
			setting := "disk_failure_policy"
			if commit {
				setting = "commit_failure_policy"
			}
			name := setting + "=" + policy
			t.Run(name, func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.DataDir = t.TempDir()
				cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
				cfg.Storage.DiskFailurePolicy, cfg.CommitLog.FailurePolicy = "ignore", "ignore"
				if commit {
					cfg.CommitLog.FailurePolicy = policy
				} else {
					cfg.Storage.DiskFailurePolicy = policy
				}
				var logs testutil.SyncBuffer
				n, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(cfg.DataDir, "data", "0123", "00000007.sst")
				enospc := &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
				if commit {
					path = filepath.Join(cfg.DataDir, "commitlog", "CommitLog-1-0000000000000003.log")
					enospc.Path = path
					n.fail.CommitFailure(enospc)
				} else {
					n.fail.DiskFailure(storage.OpFlush, filepath.Dir(path), enospc)
				}
				if policy == "ignore" {
					time.Sleep(100 * time.Millisecond)
					if n.Stopped() || cqlRefused(n) || n.cl.isHalted() {
						t.Errorf("with %s the node stopped serving", name)
					}
				} else {
					waitFor(t, "the transports to stop", 15*time.Second, n.Stopped)
					// Stopped turns true as the stop begins: the port closes
					// right after.
					waitFor(t, "the CQL port to refuse connections", 15*time.Second, func() bool { return cqlRefused(n) })
					// The background work (repair, hint replay) stops too.
					waitFor(t, "the background work to stop", 15*time.Second, n.cl.isHalted)
				}
				select {
				case <-n.Fatal():
					if policy != "die" {
						t.Errorf("with %s Fatal was closed", name)
					} else if err := n.FatalError(); !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
						t.Errorf("FatalError: got %v, want ENOSPC naming %s", err, path)
					}
				default:
					if policy == "die" {
						t.Errorf("with %s Fatal is open", name)
					}
				}
				var line string
				for _, l := range strings.Split(logs.String(), "\n") {
					if strings.Contains(l, "level=ERROR") && strings.Contains(l, "failed") && strings.Contains(l, path) {
						line = l
					}
				}
				if line == "" || !strings.Contains(line, "no space left on device") || !strings.Contains(line, "setting="+setting+" policy="+policy) {
					t.Errorf("no ERROR line naming the failure, the file and the policy; log:\n%s", logs.String())
				}
				if err := n.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
		}
	}
}

// TestStopPolicySeenDown: a node that stops after a disk failure is seen
// DOWN by its peer, still NORMAL (it keeps its tokens: a LEFT node would
// lose them), and the peer hints the writes meant for it.
func TestStopPolicySeenDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two nodes")
	}
	c := startNodes(t, 2, nil)
	n1, n2 := c.nodes[0], c.nodes[1]
	n1.fail.DiskFailure(storage.OpFlush, n1.cfg.DataDir, &fs.PathError{Op: "write", Path: "x.sst", Err: syscall.ENOSPC})
	waitFor(t, "node 1 to stop", 15*time.Second, n1.Stopped)
	id := ring.NodeID(n1.HostID())
	waitFor(t, "node 2 to see node 1 down", 10*time.Second, func() bool { return !n2.cl.Alive(id) })
	info, ok := n2.cl.m.Load().Node(id)
	if !ok || info.Status != cluster.StatusNormal {
		t.Fatalf("node 2 sees node 1 as %+v (known %v), want NORMAL and down", info, ok)
	}
}
