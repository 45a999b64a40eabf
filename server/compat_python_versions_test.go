package server

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestCompatPythonVersions: the Python driver reads versions() as a map
// whose entries arrive oldest first (its maps keep the wire order), a
// prepared versions(col, ?) with its count bound, and AS OF by a bound
// TIMESTAMP and by a timestamp literal.
func TestCompatPythonVersions(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	out := runPython(t, n, "versions.py", time.Minute)
	var r struct {
		Contents       string  `json:"contents"`
		Versions       [][]any `json:"versions"`
		AnchorVersions [][]any `json:"anchor_versions"`
		NewestTwo      [][]any `json:"newest_two"`
		AsOf5          []any   `json:"as_of_5"`
		AsOfLiteral    []any   `json:"as_of_literal"`
		AsOf2Rows      int     `json:"as_of_2_rows"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("versions.py output %q: %v", string(out), err)
	}
	t.Logf("%s", out)
	for _, c := range []struct {
		what string
		got  any
		want string
	}{
		{"plain read", r.Contents, "<html>6"},
		{"versions(contents)", r.Versions, "[[3 <html>3] [5 <html>5] [6 <html>6]]"},
		{"versions(anchor)", r.AnchorVersions, "[[9 CNN]]"},
		{"versions(contents, 2)", r.NewestTwo, "[[5 <html>5] [6 <html>6]]"},
		{"AS OF TIMESTAMP 5", r.AsOf5, "[<html>5 <nil>]"},
		// 1 ms is 1000 µs: after every write.
		{"AS OF '1970-01-01 00:00:00.001'", r.AsOfLiteral, "[<html>6 CNN]"},
		{"rows AS OF 2", r.AsOf2Rows, "0"},
	} {
		if got := fmt.Sprint(c.got); got != c.want {
			t.Errorf("%s: %s, want %s", c.what, got, c.want)
		}
	}
}
