package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCompatPythonJSONTracingEstimates: the Python driver reads SELECT
// JSON and toJson(), writes with INSERT JSON (also prepared) and
// fromJson(), reads a request's trace with get_query_trace(), and reads
// system.size_estimates as Spark's connector does.
func TestCompatPythonJSONTracingEstimates(t *testing.T) {
	checkPythonDriver(t)
	n := compatNode(t)
	s := compatSession(t, n, nil)
	mustExec(t, s,
		"CREATE KEYSPACE pyj WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE pyj.t (k int PRIMARY KEY, v text, m map<text, int>)")
	for i := range 200 {
		if err := s.Query("INSERT INTO pyj.t (k, v, m) VALUES (?, ?, {'x': ?})", i, fmt.Sprintf("value %d", i), i).Exec(); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	if tables, err := n.cl.recordSizeEstimates(context.Background()); err != nil || tables == 0 {
		t.Fatalf("recorded %d tables: %v", tables, err)
	}
	out := runPython(t, n, "json_trace.py", time.Minute)
	t.Logf("%s", out)
	var r struct {
		JSONNames []string                     `json:"json_names"`
		JSON      map[string]any               `json:"json"`
		ToJSON    []string                     `json:"to_json"`
		Written   map[string][]json.RawMessage `json:"written"`
		Trace     struct {
			RequestType string            `json:"request_type"`
			Coordinator string            `json:"coordinator"`
			HasDuration bool              `json:"has_duration"`
			Parameters  map[string]string `json:"parameters"`
			Events      []string          `json:"events"`
			Sources     []string          `json:"sources"`
		} `json:"trace"`
		Estimates struct {
			Ranges       int  `json:"ranges"`
			Partitions   int  `json:"partitions"`
			MeanPositive bool `json:"mean_positive"`
		} `json:"estimates"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("json_trace.py output %q: %v", out, err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("SELECT JSON columns", r.JSONNames, []string{"[json]"})
	check("SELECT JSON", r.JSON, map[string]any{"k": 7.0, "v": "value 7", "m": map[string]any{"x": 7.0}})
	check("toJson", r.ToJSON, []string{`{"x": 7}`, `"value 7"`})
	check("INSERT JSON", string(r.Written["1000"][0])+" "+string(r.Written["1000"][1]), `"from json" {"a": 1, "b": 2}`)
	check("fromJson", string(r.Written["1001"][0])+" "+string(r.Written["1001"][1]), `"from fromJson" {"z": 26}`)
	check("prepared INSERT JSON", string(r.Written["1002"][0])+" "+string(r.Written["1002"][1]), `"prepared json" null`)

	tr := r.Trace
	if tr.RequestType == "" || !tr.HasDuration || len(tr.Events) == 0 {
		t.Errorf("trace: %+v, want a request type, a duration and events", tr)
	}
	if !strings.Contains(tr.Parameters["query"], "SELECT v FROM pyj.t WHERE k = 3") {
		t.Errorf("trace parameters %v, want the query", tr.Parameters)
	}
	host := strings.Split(n.Addr().String(), ":")[0]
	if tr.Coordinator != host || !slices.Contains(tr.Sources, host) {
		t.Errorf("trace coordinator %s, sources %v, want %s", tr.Coordinator, tr.Sources, host)
	}
	if !slices.ContainsFunc(tr.Events, func(e string) bool { return strings.Contains(strings.ToLower(e), "read") }) {
		t.Errorf("trace events %v: none about the read", tr.Events)
	}

	if r.Estimates.Ranges == 0 || r.Estimates.Partitions < 150 || r.Estimates.Partitions > 250 || !r.Estimates.MeanPositive {
		t.Errorf("size estimates %+v, want ranges holding about 200 partitions of positive mean size", r.Estimates)
	}
}
