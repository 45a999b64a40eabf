package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wcdb/server"
)

// TestAdminRepairCommands runs wcdb admin repair, repair status and
// repair schedule against a node that answers as a real one would: the
// request the flags make, the progress until done, the exit status of a
// failed repair, the tables.
func TestAdminRepairCommands(t *testing.T) {
	start := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	defer func(p time.Duration) { repairPoll = p }(repairPoll)
	repairPoll = 10 * time.Millisecond
	var polls int
	fail := false
	n := startAdminNode(t, func(args []string) ([]byte, error) {
		if args[0] != "repair" {
			return nil, fmt.Errorf("bad request %q", args)
		}
		switch args[1] {
		case "start":
			var req server.AdminRepairRequest
			if err := json.Unmarshal([]byte(args[2]), &req); err != nil {
				return nil, err
			}
			polls = 0
			return json.Marshal(server.AdminRepair{ID: "r1", Request: req, State: "running", Tables: 1, Ranges: 4, Started: start})
		case "status":
			polls++
			r := server.AdminRepair{ID: "r1", State: "running", Tables: 1, Ranges: 4, RangesDone: min(polls, 4), Started: start,
				Differing: 7, Pulled: 7, StreamBytes: 7 << 10, TreeBytes: 1 << 10}
			if polls >= 2 {
				r.State, r.RangesDone = "done", 4
				if fail {
					r.State, r.RangesDone, r.RangesFailed = "failed", 3, 1
					r.Errors = []string{"1 ranges (first ks.t (0, 5]): replica x is down"}
				}
			}
			return json.Marshal([]server.AdminRepair{r})
		case "schedule":
			return json.Marshal([]server.AdminRepairSchedule{{Keyspace: "ks", Table: "t", IntervalSeconds: 3600, Ranges: 16,
				Repaired: 12, OldestSeconds: 5400, Failing: 1}})
		}
		return nil, fmt.Errorf("bad request %q", args)
	})
	code, out, errOut := runCmd("admin", "repair", "--host", n.addr, "-pr", "-j", "2", "-st", "-5", "-et", "9", "ks", "t")
	if code != 0 {
		t.Fatalf("repair: exit %d, stderr %q", code, errOut)
	}
	for _, w := range []string{"repair r1 of 1 tables, 4 ranges", "4/4 ranges, 7 partitions differed, 7 pulled", "done"} {
		if !strings.Contains(out, w) {
			t.Errorf("repair: stdout lacks %q:\n%s", w, out)
		}
	}
	var req server.AdminRepairRequest
	if err := json.Unmarshal([]byte(n.requests()[0][2]), &req); err != nil {
		t.Fatal(err)
	}
	if !req.PrimaryRange || req.Jobs != 2 || req.Keyspace != "ks" || !slices.Equal(req.Tables, []string{"t"}) ||
		req.StartToken == nil || *req.StartToken != -5 || *req.EndToken != 9 {
		t.Errorf("repair asked %+v", req)
	}
	fail = true
	if code, _, errOut := runCmd("admin", "repair", "--host", n.addr, "ks"); code != 1 || !strings.Contains(errOut, "replica x is down") {
		t.Errorf("a failed repair: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runCmd("admin", "repair", "status", "--host", n.addr); code != 0 || !strings.Contains(out, "r1") {
		t.Errorf("repair status: exit %d:\n%s", code, out)
	}
	if code, out, _ := runCmd("admin", "repair", "schedule", "--host", n.addr); code != 0 || !strings.Contains(out, "ks.t") ||
		!strings.Contains(out, "1h30m0s") {
		t.Errorf("repair schedule: exit %d:\n%s", code, out)
	}
	if code, _, _ := runCmd("admin", "repair", "--host", n.addr, "-j", "x"); code != 2 {
		t.Errorf("a bad -j: exit %d, want 2", code)
	}
	if code, _, _ := runCmd("admin", "repair", "--host", n.addr, "-st", "a", "-et", "1"); code != 2 {
		t.Errorf("a bad -st: exit %d, want 2", code)
	}
}
