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

// TestBenchYCSB runs wcdb bench ycsb against a node started here and
// reads back its JSON.
func TestBenchYCSB(t *testing.T) {
	host, port := startNode(t)
	file := filepath.Join(t.TempDir(), "out.json")
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "ycsb", "--hosts", host, "--port", port, "--records", "200", "--operations", "300",
		"--workloads", "load,c,e", "--threads", "2", "--json", file, "--quiet", "--fresh"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "READ") || !strings.Contains(out.String(), "SCAN") {
		t.Errorf("output lacks READ and SCAN rows:\n%s", out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res ycsb.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Format != ycsb.ResultFormat || len(res.Phases) != 3 || res.Phases[1].OK != 300 || res.Settings.Driver["consistency"] != "ONE" {
		t.Errorf("got format %q, %d phases, c ok %d, driver %v; want %q, 3, 300, consistency ONE",
			res.Format, len(res.Phases), res.Phases[1].OK, res.Settings.Driver, ycsb.ResultFormat)
	}
}

func TestBenchYCSBFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--db", "nosuch", "--records", "1"},
		{"--workloads", "a,load"},
		{"--server-pids", "x"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(append([]string{"bench", "ycsb"}, args...), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}
