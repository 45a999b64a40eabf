package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchReport turns the report package's fixtures into a report with
// charts, files and flags interleaved.
func TestBenchReport(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "docs", "BENCHMARKS.md")
	charts := filepath.Join(dir, "docs", "bench")
	cmds := filepath.Join(dir, "commands.txt")
	if err := os.WriteFile(cmds, []byte("scripts/bench-compare.sh --quick\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(md), 0o755); err != nil {
		t.Fatal(err)
	}
	fixtures := "../report/testdata/"
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "report", "--out", md, fixtures + "wcdb-ycsb.json", "--charts", charts,
		fixtures + "postgres-ycsb.json", "--fact", "wcdb:commitlog_sync=periodic", "--commands", cmds,
		"--note", "One node each.", fixtures + "redis-ycsb.json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"](bench/latency-c.png)", "commitlog_sync=periodic", "scripts/bench-compare.sh --quick", "One node each.", "| redis |"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	f, err := os.Open(filepath.Join(charts, "throughput-load.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("throughput-load.png: %v", err)
	}
}

func TestBenchReportFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--fact", "nocolon", "x.json"},
		{"--fact", "wcdb:noequals", "x.json"},
	} {
		var out, errOut bytes.Buffer
		if code := run(append([]string{"bench", "report"}, args...), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"bench", "report", filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
