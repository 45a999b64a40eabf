package report

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wcdb/bench/ycsb"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/report.md from the fixtures")

var fixtures = []string{
	"testdata/wcdb-ycsb.json", "testdata/postgres-ycsb.json", "testdata/redis-ycsb.json",
	"testdata/wcdb-timeline.json", "testdata/postgres-timeline.json",
}

func fixtureReport(t *testing.T) *Report {
	t.Helper()
	in, err := ReadFiles(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(in, Options{
		ChartsLink: "bench",
		Commands:   "wcdb bench ycsb --db wcdb --json wcdb-ycsb.json\nwcdb bench timeline --db wcdb --json wcdb-timeline.json\n",
		Notes:      []string{"A fixture: the figures are made up."},
		Facts:      map[string]map[string]string{"wcdb": {"commitlog_sync": "periodic", "commitlog_sync_period": "10s"}, "nosuch": {"x": "y"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMarkdownGolden compares the report of the fixtures with
// testdata/report.md; -rewrite refreshes it.
func TestMarkdownGolden(t *testing.T) {
	r := fixtureReport(t)
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "report.md")
	if *rewrite {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("report differs from %s (go test -rewrite refreshes it); got:\n%s", golden, got)
	}
}

// TestMarkdownContent checks the figures the golden file holds, so that a
// careless -rewrite cannot bless wrong ones.
func TestMarkdownContent(t *testing.T) {
	r := fixtureReport(t)
	if got := strings.Join(r.DBs(), ","); got != "wcdb,postgres,redis" {
		t.Errorf("got databases %s, want wcdb,postgres,redis", got)
	}
	if got := strings.Join(r.Phases(), ","); got != "load,c,timeline-reads" {
		t.Errorf("got phases %s, want load,c,timeline-reads", got)
	}
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		// load 20000 vs 8000 ops/s, c 30000 vs 15000.
		"wcdb ÷ PostgreSQL throughput: load 2.50×, c 2.00×",
		// timeline reads: 9,000 of wcdb's 9,100 ops/s, 4,000 of PostgreSQL's 4,100.
		"wcdb ÷ PostgreSQL timeline reads/s at equal post rates: 2.25×",
		// Redis has no server PIDs: machine-based 16.5 µs/op for c, 22 for load.
		"wcdb ÷ Redis server CPU per operation: reads (workload C) 1.52×, inserts (load) 1.82×",
		"| redis | 35,000 | 16.5* | 7.5 | 50% | 3.0 s | timeout 2 |",
		"commitlog_sync=periodic, commitlog_sync_period=10s",
		"synchronous_commit=off",
		"appendonly=yes, appendfsync=everysec, save=\"\"",
		"![c: latency by percentile](bench/latency-c.png)",
		"wcdb bench timeline --db wcdb --json wcdb-timeline.json",
		"bench1: 2 cores (Test CPU @ 2.0GHz)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestCharts writes the charts and decodes each as a PNG.
func TestCharts(t *testing.T) {
	r := fixtureReport(t)
	dir := t.TempDir()
	files, err := r.WriteCharts(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{RatioThroughputChart: true, RatioCPUChart: true}
	for _, p := range r.Phases() {
		want[ThroughputChart(p)], want[LatencyChart(p)] = true, true
	}
	if len(files) != len(want) {
		t.Errorf("got %d charts, want %d", len(files), len(want))
	}
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("unexpected chart %s", f)
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
			t.Errorf("%s: %v, want at least 400x200", f, b)
		}
	}
}

func TestReadFilesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format": "other/1", "settings": {"db": "x"}}`), 0o644)
	if _, err := ReadFiles([]string{bad}); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("wrong format: got %v, want a format error", err)
	}
	if _, err := ReadFiles([]string{filepath.Join(dir, "missing.json")}); err == nil {
		t.Errorf("missing file: got nil, want an error")
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Errorf("no results: got nil, want an error")
	}
}

// TestVariantsAndTargets checks that a labelled wcdb run (a cluster) gets
// its own column compared with the single node, not with the peers, and
// that a phase run at a target rate is reported apart, with the p99 of its
// reads in the headline.
func TestVariantsAndTargets(t *testing.T) {
	in, err := ReadFiles(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	// The cluster: wcdb's YCSB result at half the single node's throughput.
	cluster, err := ReadFiles([]string{"testdata/wcdb-ycsb.json"})
	if err != nil {
		t.Fatal(err)
	}
	cl := cluster[0].Result
	cl.Settings.Label = "wcdb-3node"
	for i := range cl.Phases {
		cl.Phases[i].ThroughputOpsPerS /= 2
	}
	// Workload C again, at a target of 80% of its peak.
	targeted, err := ReadFiles([]string{"testdata/wcdb-ycsb.json"})
	if err != nil {
		t.Fatal(err)
	}
	tr := targeted[0].Result
	var c *ycsb.Phase
	for i := range tr.Phases {
		if tr.Phases[i].Name == "c" {
			c = &tr.Phases[i]
		}
	}
	if c == nil {
		t.Fatal("fixture has no phase c")
	}
	c.TargetOpsPerS = 0.8 * c.ThroughputOpsPerS
	tr.Phases = []ycsb.Phase{*c}
	r, err := New(append(append(in, cluster...), targeted...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.DBs(), ","); got != "wcdb,postgres,redis,wcdb-3node" {
		t.Errorf("got databases %s", got)
	}
	if got := strings.Join(r.peers(), ","); got != "postgres,redis" {
		t.Errorf("got peers %s, want postgres,redis", got)
	}
	if got := strings.Join(r.Phases(), ","); got != "load,c,timeline-reads,c-target" {
		t.Errorf("got phases %s", got)
	}
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"## wcdb run other ways, against the single node",
		"| load | 0.50× |",
		"| c | 0.50× |",
		"## Workload C: 100% read, zipfian, at a target rate",
		"throughput ÷ postgres | server CPU/op ÷ postgres | throughput ÷ redis | server CPU/op ÷ redis |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "throughput ÷ wcdb-3node") {
		t.Errorf("the cluster is compared as a peer")
	}
}
