package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/internal/localcluster"
	"wcdb/server"
	"wcdb/streaming"
)

// The cluster itself is tested in internal/localcluster; these tests
// check the commands' flags, exit codes and admin client.

func TestClusterUsage(t *testing.T) {
	code, out, errOut := runCmd("cluster", "up", "-h")
	if code != 0 || !strings.Contains(errOut, "-nodes") || !strings.Contains(errOut, "even nodes in dc2") ||
		strings.Contains(errOut, "cql-port") || strings.Contains(errOut, "first-address") {
		t.Errorf("cluster up -h: exit %d, stdout %q, help (hidden flags must not show):\n%s", code, out, errOut)
	}
	for _, tc := range []struct {
		args     []string
		inStderr string
	}{
		{[]string{"cluster"}, "usage: wcdb cluster up"},
		{[]string{"cluster", "restart"}, `unknown cluster command "restart"`},
		{[]string{"cluster", "up"}, "needs --nodes N"},
		{[]string{"cluster", "up", "--nodes", "10"}, "1 to 9 nodes"},
		{[]string{"cluster", "up", "--nodes", "2", "--dcs", "3"}, "--dcs 3"},
		{[]string{"cluster", "up", "--nodes", "2", "--cql-port", "7000"}, "ports must differ"},
		{[]string{"cluster", "status", "extra"}, "unexpected arguments"},
		{[]string{"cluster", "down", "--timeout", "0s"}, "--timeout must be positive"},
	} {
		code, out, errOut := runCmd(tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.inStderr)
		}
	}
	dir := t.TempDir()
	if code, _, errOut := runCmd("cluster", "status", "--dir", dir); code != 1 || !strings.Contains(errOut, "no cluster in") {
		t.Errorf("cluster status of an empty directory: exit %d, stderr %q", code, errOut)
	}
	// --wipe deletes only a cluster's directory.
	if code, _, errOut := runCmd("cluster", "down", "--dir", dir, "--wipe"); code != 1 || !strings.Contains(errOut, "not deleting it") {
		t.Errorf("cluster down --wipe of a directory without cluster.json: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("directory gone after a refused --wipe: %v", err)
	}
}

// TestClusterExit checks how the cluster's errors become messages and
// exit codes.
func TestClusterExit(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{nil, 0, ""},
		{&localcluster.UsageError{Msg: "--dcs 3: want 1 or 2"}, 2, "wcdb: --dcs 3: want 1 or 2\n"},
		{errors.New("no cluster in x"), 1, "wcdb: no cluster in x\n"},
		{errors.Join(errors.New("node2: failed"), errors.New("node1 to node1 are running")), 1,
			"wcdb: node2: failed\nwcdb: node1 to node1 are running\n"},
		{fmt.Errorf("decommission: %w", exitCode(2)), 2, ""},
	} {
		var errOut bytes.Buffer
		if code := clusterExit(tc.err, &errOut); code != tc.code || errOut.String() != tc.msg {
			t.Errorf("clusterExit(%v) = %d, %q; want %d, %q", tc.err, code, errOut.String(), tc.code, tc.msg)
		}
	}
}

// TestClusterAdmin runs the cluster's admin client against a node that
// answers as a real one would.
func TestClusterAdmin(t *testing.T) {
	n := startAdminNode(t, func(args []string) ([]byte, error) {
		switch args[0] {
		case "status":
			return testNodeAnswers(args)
		case "netstats":
			return json.Marshal(server.AdminNetstats{Mode: "JOINING", Sessions: []streaming.SessionInfo{
				{ID: "s1", Direction: streaming.Receiving, State: streaming.Running, FilesTotal: 4, FilesDone: 1,
					BytesTotal: 4 << 20, BytesDone: 1 << 20, BytesStreamed: 1 << 20, Rate: 1 << 20, Start: time.Now()},
				{ID: "s2", Direction: streaming.Sending, FilesTotal: 9, BytesTotal: 9 << 20}}})
		case "decommission":
			return json.Marshal("ok")
		}
		return nil, fmt.Errorf("bad request %q", args)
	})
	a := clusterAdmin{stderr: &bytes.Buffer{}}
	ring, err := a.Ring(context.Background(), n.addr)
	if err != nil || ring != wantStatus {
		t.Errorf("Ring: %v, got\n%s\nwant\n%s", err, ring, wantStatus)
	}
	s, err := a.Receiving(context.Background(), n.addr)
	want := localcluster.Streams{Mode: "JOINING", Sessions: 2, Running: 1, Rate: 1 << 20, Files: 4, FilesDone: 1,
		Bytes: 4 << 20, BytesDone: 1 << 20, BytesStreamed: 1 << 20}
	if err != nil || s != want {
		t.Errorf("Receiving: %+v, %v; want %+v", s, err, want)
	}
	var out bytes.Buffer
	if err := a.Decommission(n.addr, true, &out); err != nil || !strings.Contains(out.String(), "left the cluster") {
		t.Errorf("Decommission: %v, out %q", err, out.String())
	}
	if reqs := n.requests(); !slices.ContainsFunc(reqs, func(r []string) bool { return slices.Equal(r, []string{"decommission", "force"}) }) {
		t.Errorf("requests %q lack decommission force", reqs)
	}
}
