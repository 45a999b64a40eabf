package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/internal/testutil"
)

// TestServeDiesOnDiskFailure runs `wcdb server` with commit_failure_policy
// and disk_failure_policy die on a 4 MiB tmpfs and writes until the disk is
// full: the failure is logged at ERROR and serve returns the exit status 1
// (main passes it to os.Exit), having said why.
func TestServeDiesOnDiskFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a disk")
	}
	dir := testutil.MountTmpfs(t, "4m")
	config := filepath.Join(t.TempDir(), "wcdb.yaml")
	yaml := fmt.Sprintf(`data_dir: %s
listen_address: 127.0.0.1
cql_port: 0
gossip_port: 0
internode_port: 0
metrics:
  port: 0
commitlog:
  sync: batch
  segment_size: 1MiB
  failure_policy: die
storage:
  memtable_flush_size: 1MiB
  disk_failure_policy: die
`, filepath.Join(dir, "data"))
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr testutil.SyncBuffer
	code := make(chan int, 1)
	// --metrics-port overrides the file's metrics.port 0.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	go func() {
		code <- serve([]string{"--config", config, "--metrics-port", strconv.Itoa(metricsPort)}, &stdout, &stderr)
	}()

	serving := regexp.MustCompile(`serving CQL on (\S+) `)
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := serving.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
		select {
		case c := <-code:
			t.Fatalf("serve returned %d before serving: %s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node did not start: %s", stderr.String())
		}
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", metricsPort))
	if err != nil {
		t.Fatalf("--metrics-port %d: %v", metricsPort, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz on --metrics-port: %s", resp.Status)
	}
	cl := gocql.NewCluster(addr)
	cl.DisableInitialHostLookup = true
	cl.Timeout = 5 * time.Second
	cl.Logger = log.New(io.Discard, "", 0) // the node going away is the point
	s, err := cl.CreateSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{
		"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE ks.t (k int PRIMARY KEY, v blob)",
	} {
		if err := s.Query(q).Exec(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Incompressible values, until the node exits.
	v := make([]byte, 8<<10)
	deadline := time.Now().Add(60 * time.Second)
	for k := 0; ; k++ {
		select {
		case c := <-code:
			if c != 1 {
				t.Errorf("serve returned %d after the disk failure, want 1", c)
			}
			log := stderr.String()
			if !regexp.MustCompile(`level=ERROR msg="[^"]* failed" setting=\w+_failure_policy policy=die`).MatchString(log) ||
				!strings.Contains(log, "; exiting") {
				t.Errorf("the log does not say, at ERROR, that the node dies:\n%s", log)
			}
			t.Logf("exited after %d writes; last lines:\n%s", k, lastLines(log, 4))
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node still runs after %d writes of 8 KiB on a 4 MiB disk: %s", k, stderr.String())
		}
		rand.Read(v)
		s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, v).Exec()
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
