package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/bench/ycsb"
)

// TestBenchLWT runs wcdb bench lwt's write, lwt and contention phases
// against a node started here: every uncontended CAS applies, and on the
// contended key the CAS that apply plus those that do not account for the
// operations.
func TestBenchLWT(t *testing.T) {
	host, port := startNode(t)
	file := filepath.Join(t.TempDir(), "out.json")
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "lwt", "--hosts", host, "--port", port, "--operations", "200", "--threads", "2",
		"--keys", "5", "--contention-threads", "4", "--phases", "write,lwt,contention", "--consistency", "ONE",
		"--json", file, "--quiet", "--fresh"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "CAS") {
		t.Errorf("output lacks CAS rows:\n%s", out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res ycsb.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Phases) != 3 {
		t.Fatalf("%d phases, want 3", len(res.Phases))
	}
	ops := func(ph ycsb.Phase, name string) int64 {
		if o := ph.Ops[name]; o != nil {
			return o.Count
		}
		return 0
	}
	if got := ops(res.Phases[1], "CAS"); got != 200 || res.Phases[1].Failed != 0 {
		t.Errorf("uncontended: %d CAS applied, %d failed; want 200, 0", got, res.Phases[1].Failed)
	}
	c := res.Phases[2]
	if applied, not := ops(c, "CAS"), ops(c, "CAS-NOT-APPLIED"); applied == 0 || applied+not+c.Failed != 200 {
		t.Errorf("contention: %d applied, %d not, %d failed; want some applied, 200 in all", applied, not, c.Failed)
	}
}
