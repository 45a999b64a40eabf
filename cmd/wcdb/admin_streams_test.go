package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/server"
	"wcdb/streaming"
)

// TestAdminMovementCommands runs the commands of range movements against
// a node that answers as a real one would, and checks what they ask and
// print.
func TestAdminMovementCommands(t *testing.T) {
	start := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	n := startAdminNode(t, func(args []string) ([]byte, error) {
		switch args[0] {
		case "netstats":
			return json.Marshal(server.AdminNetstats{Mode: "JOINING", ThroughputOutbound: 24 << 20,
				Sessions: []streaming.SessionInfo{{ID: "s1", Peer: "p1", Direction: streaming.Receiving, Keyspace: "ks", Table: "t",
					FilesTotal: 4, FilesDone: 1, BytesTotal: 4 << 20, BytesDone: 1 << 20, BytesStreamed: 1 << 20, Rate: 1 << 20, Start: start}}})
		case "setstreamthroughput", "decommission":
			return json.Marshal("ok")
		case "removenode":
			if args[1] == "status" {
				return json.Marshal(server.AdminRemoval{})
			}
			return json.Marshal(server.AdminRemoval{Node: args[1], State: "removed"})
		case "rebuild":
			return json.Marshal(int64(3 << 20))
		case "cleanup":
			return json.Marshal(server.AdminCleanup{Tables: []server.AdminCleanupTable{{Keyspace: "ks", Table: "t",
				Files: 4, FilesRewritten: 3, FilesDropped: 1, BytesBefore: 4 << 20, BytesAfter: 3 << 20, PartitionsDropped: 10}}})
		}
		return nil, fmt.Errorf("bad request %q", args)
	})
	for _, tc := range []struct {
		args []string
		want []string // in stdout
		req  []string
	}{
		{[]string{"netstats"}, []string{"Mode: JOINING", "Stream throughput outbound: 24.00 MiB/s", "s1", "receiving", "ks.t", "1/4", "25%"}, []string{"netstats"}},
		{[]string{"setstreamthroughput", "1.5"}, []string{"1.5 MiB/s"}, []string{"setstreamthroughput", "1572864"}},
		{[]string{"decommission", "--force"}, []string{"left the cluster"}, []string{"decommission", "force"}},
		{[]string{"removenode", "33333333-0000-0000-0000-000000000003"}, []string{"RemovalStatus: removed 33333333-0000-0000-0000-000000000003"},
			[]string{"removenode", "33333333-0000-0000-0000-000000000003"}},
		{[]string{"removenode", "status"}, []string{"No removals in process"}, []string{"removenode", "status"}},
		{[]string{"rebuild", "dc1"}, []string{"rebuilt from dc1: 3.00 MiB received"}, []string{"rebuild", "dc1"}},
		{[]string{"cleanup", "ks"}, []string{"ks.t", "4.00 MiB -> 3.00 MiB"}, []string{"cleanup", "ks"}},
	} {
		args := append([]string{"admin", tc.args[0], "--host", n.addr}, tc.args[1:]...)
		code, out, errOut := runCmd(args...)
		if code != 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: stdout lacks %q:\n%s", args, w, out)
			}
		}
		reqs := n.requests()
		if got := reqs[len(reqs)-1]; !slices.Equal(got, tc.req) {
			t.Errorf("%q: asked %q, want %q", args, got, tc.req)
		}
	}
	for _, bad := range [][]string{
		{"admin", "setstreamthroughput", "--host", n.addr, "-1"},
		{"admin", "setstreamthroughput", "--host", n.addr},
		{"admin", "removenode", "--host", n.addr},
		{"admin", "rebuild", "--host", n.addr, "a", "b"},
	} {
		if code, _, _ := runCmd(bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}
