package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCompatPythonExpressions: the Python driver decodes what CAST,
// arithmetic and GROUP BY return (with Cassandra's column names), pages a
// GROUP BY by whole groups, reads back an ISO 8601 duration and a uuid
// written with now(), and raises FunctionFailure and InvalidRequest with
// Cassandra's messages.
func TestCompatPythonExpressions(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	out := runPython(t, n, "expressions.py", time.Minute)
	var r struct {
		Names       []string  `json:"names"`
		Values      []string  `json:"values"`
		Groups      [][]int64 `json:"groups"`
		FineGroups  int       `json:"fine_groups"`
		Duration    []int64   `json:"duration"`
		UUIDVersion int       `json:"uuid_version"`
		DivZero     []string  `json:"div_zero"`
		ReAdd       []string  `json:"readd"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("expressions.py output %q: %v", string(out), err)
	}
	t.Logf("%s", string(out))
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("names", r.Names, []string{"v + 1", "c * f", "d / 2", "cast(v as text)", "cast(f as int)", "ts + 1h", "-v", "(v - c) % 7"})
	check("values", r.Values, []string{"41", "6.0", "4.25", "40", "1", "2016-09-27 17:15:00", "-40", "1"})
	check("groups", r.Groups, [][]int64{{0, 4, 180, 90}, {1, 3, 120, 70}, {2, 3, 150, 80}})
	check("fine groups", r.FineGroups, 4)
	check("duration", r.Duration, []int64{14, 3, int64(4*time.Hour + 5*time.Minute + 6*time.Second)})
	check("uuid version", r.UUIDVersion, 1)
	if len(r.DivZero) != 2 || r.DivZero[0] != "FunctionFailure" || !strings.Contains(r.DivZero[1], "the operation 'int / int' failed: / by zero") {
		t.Errorf("division by zero: %v, want FunctionFailure", r.DivZero)
	}
	if len(r.ReAdd) != 2 || r.ReAdd[0] != "InvalidRequest" ||
		!strings.Contains(r.ReAdd[1], "Cannot re-add previously dropped column 'f' of type text, incompatible with previous type float") {
		t.Errorf("re-added column: %v", r.ReAdd)
	}
}
