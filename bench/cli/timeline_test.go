package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/bench/timeline"
	"wcdb/bench/ycsb"
)

// TestBenchTimeline runs wcdb bench timeline against a node started here
// and reads back its JSON.
func TestBenchTimeline(t *testing.T) {
	host, port := startNode(t)
	file := filepath.Join(t.TempDir(), "out.json")
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "timeline", "--hosts", host, "--port", port, "--users", "100", "--follows", "5",
		"--initial-posts", "200", "--operations", "300", "--duration", "20s", "--threads", "2", "--post-rate", "20",
		"--json", file, "--quiet", "--fresh"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "TIMELINE") || !strings.Contains(out.String(), "users=100") {
		t.Errorf("output lacks TIMELINE rows or the parameters:\n%s", out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res ycsb.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ph := range res.Phases {
		names = append(names, ph.Name)
	}
	want := []string{timeline.PhaseFollows, timeline.PhasePosts, timeline.PhaseMix, timeline.PhaseReads}
	if res.Format != ycsb.ResultFormat || strings.Join(names, ",") != strings.Join(want, ",") || res.Settings.DB != "wcdb" {
		t.Errorf("got format %q, phases %v, db %q; want %q, %v, wcdb", res.Format, names, res.Settings.DB, ycsb.ResultFormat, want)
	}
	if r := res.Phases[3].Ops["TIMELINE"]; r == nil || r.Count != 300 {
		t.Errorf("timeline-reads: got %+v, want 300 reads", r)
	}
}

func TestBenchTimelineFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--db", "nosuch"},
		{"--phases", "timeline,load"},
		{"--follows", "0", "--users", "1"},
		{"--server-pids", "x"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(append([]string{"bench", "timeline"}, args...), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
