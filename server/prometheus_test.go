package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// requireProgram returns the path of a Debian server program a test runs
// (prometheus, haproxy), or skips the test when it is not installed;
// with env set to 1 (CI installs them), it fails instead.
func requireProgram(t *testing.T, name, env string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	msg := name + " is not installed (apt-get install " + name + "; .ci/run does): " + err.Error()
	if os.Getenv(env) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// startProgram runs a server program until the test ends; its output is
// shown if the test fails.
func startProgram(t *testing.T, path string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), out.String())
		}
	})
}

// TestPrometheusScrapesNode runs Debian's prometheus server against a
// node and reads a metric back through its HTTP API.
func TestPrometheusScrapesNode(t *testing.T) {
	prom := requireProgram(t, "prometheus", "WCDB_REQUIRE_PROMETHEUS")
	n := metricsNode(t)
	dir := t.TempDir()
	cfg := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
		"scrape_configs:\n  - job_name: wcdb\n    static_configs:\n      - targets: ['" + n.MetricsAddr() + "']\n"
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	api := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startProgram(t, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+api, "--log.level=warn")

	// The node took 21 writes of ks.t (metricsNode): Prometheus has them
	// once it has scraped.
	q := `sum(wcdb_table_write_latency_seconds_count{job="wcdb",keyspace="ks",table="t"})`
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := promQuery(api, q)
		if err == nil && got >= 21 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus' %s: got %v (%v), want at least 21", q, got, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promQuery runs an instant query whose answer is one number.
func promQuery(api, q string) (float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + api + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" || len(r.Data.Result) != 1 {
		return 0, fmt.Errorf("status %q, %d results", r.Status, len(r.Data.Result))
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}
