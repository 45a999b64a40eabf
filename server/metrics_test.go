package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"wcdb/internal/testutil"
	"wcdb/messaging"
)

// freePort returns a port nothing listens on now (for a listener whose
// port 0 would mean off).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// metricsNode starts a node with its metrics listener on a free port and
// gives it some traffic: writes, a deletion, a flush, partition and
// range reads.
func metricsNode(t *testing.T) *Node {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
	cfg.CommitLog.Sync = "batch"
	cfg.Metrics.Port = freePort(t)
	n, err := Start(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	s := connect(t, n, "")
	t.Cleanup(s.Close) // open while the test scrapes: a connection to count
	mustExec(t, s, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c))")
	for i := range 20 {
		mustExec(t, s, "INSERT INTO ks.t (k, c, v) VALUES ("+strconv.Itoa(i%4)+", "+strconv.Itoa(i)+", 'x')")
	}
	mustExec(t, s, "DELETE FROM ks.t WHERE k = 0 AND c = 0")
	if err := n.engine.FlushAll(); err != nil {
		t.Fatal(err)
	}
	var v string
	for i := range 4 {
		s.Query("SELECT v FROM ks.t WHERE k = ?", i).Scan(&v)
	}
	if err := s.Query("SELECT * FROM ks.t").Exec(); err != nil {
		t.Fatal(err)
	}
	return n
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// scrape reads a node's /metrics.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: status %d: %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// find returns the sample of fam whose labels include want, or nil.
func find(fam *dto.MetricFamily, want map[string]string) *dto.Metric {
	if fam == nil {
		return nil
	}
next:
	for _, m := range fam.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// TestMetricsAndHealth scrapes a node that served some traffic, and
// checks /healthz and /readyz, ready and then with CQL closed.
func TestMetricsAndHealth(t *testing.T) {
	n := metricsNode(t)
	addr := n.MetricsAddr()
	if addr == "" {
		t.Fatal("no metrics listener")
	}
	// One internode request: wcdb admin's.
	mc, err := messaging.Dial(n.InternodeAddr(), messaging.DialOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = mc.Admin(actx, []string{"version"})
	cancel()
	mc.Close()
	if err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, addr)
	table := map[string]string{"keyspace": "ks", "table": "t"}
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64 // the least value (count, for a histogram)
	}{
		{"wcdb_client_request_latency_seconds", map[string]string{"request": "write"}, 21},
		{"wcdb_client_request_latency_seconds", map[string]string{"request": "read"}, 4},
		{"wcdb_client_request_latency_seconds", map[string]string{"request": "range"}, 1},
		{"wcdb_client_request_timeouts_total", map[string]string{"request": "write"}, 0},
		{"wcdb_table_write_latency_seconds", table, 21},
		{"wcdb_table_read_latency_seconds", table, 4},
		{"wcdb_table_range_latency_seconds", table, 1},
		{"wcdb_table_sstables_per_read", table, 4},
		{"wcdb_table_tombstones_scanned", table, 4},
		{"wcdb_table_live_sstables", table, 1},
		{"wcdb_table_live_disk_space_used_bytes", table, 1},
		{"wcdb_table_bloom_filter_false_positives_total", table, 0},
		{"wcdb_memtable_flushes_total", nil, 1},
		{"wcdb_commitlog_written_bytes_total", nil, 1},
		{"wcdb_commitlog_sync_latency_seconds", nil, 1},
		{"wcdb_block_cache_misses_total", nil, 1},
		{"wcdb_hints_stored_total", nil, 0},
		{"wcdb_hints_dropped_total", map[string]string{"reason": "expired"}, 0},
		{"wcdb_read_repairs_total", nil, 0},
		{"wcdb_client_connections", nil, 1},
		{"wcdb_internode_requests_total", nil, 1},
		{"wcdb_internode_requests_active", nil, 0},
		{"wcdb_internode_dropped_total", nil, 0},
		{"go_goroutines", nil, 1},
	} {
		m := find(fams[c.name], c.labels)
		if m == nil {
			t.Errorf("%s%v: missing", c.name, c.labels)
			continue
		}
		var v float64
		switch {
		case m.Histogram != nil:
			v = float64(m.Histogram.GetSampleCount())
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		}
		if v < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, v, c.min)
		}
	}
	if fam := fams["wcdb_table_write_latency_seconds"]; fam != nil && fam.GetHelp() == "" {
		t.Error("wcdb_table_write_latency_seconds has no HELP")
	}

	if code, body := httpGet(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", code, body)
	}
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 ready", code, body)
	}
	n.cql.Close()
	if code, body := httpGet(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable || body != "not ready: cql: closed\n" {
		t.Errorf("/readyz with CQL closed: %d %q, want 503 naming the cql check", code, body)
	}
	if code, _ := httpGet(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("/healthz with CQL closed: %d, want 200 (the process is alive)", code)
	}
}

// TestMetricsPortTaken: a node whose metrics port is taken runs without
// the listener; metrics.port 0 has none.
func TestMetricsPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, port := range []int{l.Addr().(*net.TCPAddr).Port, 0} {
		cfg := DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.CQLPort, cfg.GossipPort, cfg.InternodePort = 0, 0, 0
		cfg.Metrics.Port = port
		var logs testutil.SyncBuffer
		n, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if a := n.MetricsAddr(); a != "" {
			t.Errorf("metrics.port %d: listener at %s, want none", port, a)
		}
		n.Close()
		logged := strings.Contains(logs.String(), "level=ERROR msg=\"metrics and health listener not started")
		if logged != (port != 0) {
			t.Errorf("metrics.port %d: logged the listener's failure: %v, want %v", port, logged, port != 0)
		}
	}
}

// promQLName matches the metric names in a PromQL expression: the
// node's (wcdb_), the Go runtime's (go_) and the process's (process_).
var promQLName = regexp.MustCompile(`\b(?:wcdb|go|process)_[a-zA-Z0-9_]+`)

// TestGrafanaDashboard checks that every query of the dashboard in
// deploy/ names metrics a node exports.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct{ Name, Definition string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	n := metricsNode(t)
	fams := scrape(t, n.MetricsAddr())
	queries := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				continue
			}
			queries++
			names := promQLName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no metric", p.Title, tg.Expr)
			}
			for _, name := range names {
				if !exported(fams, name) {
					t.Errorf("panel %q: %s is not exported by a node", p.Title, name)
				}
			}
		}
	}
	for _, v := range dash.Templating.List {
		for _, name := range promQLName.FindAllString(v.Definition, -1) {
			if !exported(fams, name) {
				t.Errorf("variable %s: %s is not exported by a node", v.Name, name)
			}
		}
	}
	if queries < 10 {
		t.Errorf("the dashboard has %d queries, want its panels' (10 or more)", queries)
	}
}

// exported says whether name is a family of the scrape, or a histogram's
// _bucket, _sum or _count series.
func exported(fams map[string]*dto.MetricFamily, name string) bool {
	if fams[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f := fams[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
	}
	return false
}
