package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 {
		t.Errorf("run(help) = %d, want 0", code)
	}
	if !strings.Contains(out.String(), "bench engine") || !strings.Contains(out.String(), "server") {
		t.Errorf("usage lacks a command:\n%s", out.String())
	}
	errOut.Reset()
	if code := run([]string{"server", "--commitlog-sync", "sometimes"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "commitlog.sync") {
		t.Errorf("run(server --commitlog-sync sometimes) = %d, %q; want 2 and the setting named", code, errOut.String())
	}
}

func TestBenchEngineJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"bench", "engine", "--dir", t.TempDir(), "--records", "300", "--operations", "300",
		"--workloads", "c,slice", "--slice-partitions", "2", "--slice-rows", "100", "--json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// load, c, slice-load, slice for each of two engines.
	if len(lines) != 8 {
		t.Errorf("%d JSON lines, want 8:\n%s", len(lines), out.String())
	}
	if !strings.Contains(errOut.String(), "ops/s") {
		t.Errorf("table not on stderr:\n%s", errOut.String())
	}
}
