package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocql/gocql"
)

// TestDockerCluster builds the wcdb image (Dockerfile at the repo root),
// starts the three-node cluster of deploy/docker-compose.yml and drives it
// with gocql from the host, on the nodes' container addresses.
//
// It has two parts. "nodes" checks the packaging: each container serves CQL
// on the address it was given, and node1's published port answers. It
// needs nothing of clustering. "cluster" checks that the three containers
// form one cluster: every node lists the other two in system.peers, and rows
// written at QUORUM through node1 into an RF 3 keyspace read back at QUORUM
// through node2 and at ALL through node3. It fails on nodes that run
// standalone.
//
// It needs docker (a daemon that answers) and docker-compose on PATH, and is
// skipped under -short. The compose project (wcdbtest) and the network's
// fixed subnet mean one run at a time per Docker host.
func TestDockerCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster in Docker; skipped under -short")
	}
	requireDocker(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "Dockerfile")); err != nil {
		t.Fatalf("repo root: %v", err)
	}

	// Compiling is the slow, machine-dependent part; it has its own bound,
	// so that the cluster's bound below measures the cluster.
	buildCtx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	buildImage(t, buildCtx, root)
	t.Logf("image %s built in %s (%s)", image, time.Since(start).Round(time.Second), imageSize(t, buildCtx))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start = time.Now()
	composeUp(t, ctx, root)
	sessions := map[string]*gocql.Session{}
	for _, name := range []string{"node1", "node2", "node3"} {
		sessions[name] = waitForCQL(t, ctx, nodes[name])
		t.Logf("%s answers CQL %s after compose up", name, time.Since(start).Round(100*time.Millisecond))
	}

	t.Run("nodes", func(t *testing.T) {
		for _, name := range []string{"node1", "node2", "node3"} {
			var rpc string
			if err := sessions[name].Query("SELECT rpc_address FROM system.local").WithContext(ctx).Scan(&rpc); err != nil {
				t.Errorf("%s: system.local: %v", name, err)
			} else if rpc != nodes[name] {
				t.Errorf("%s: system.local rpc_address: got %s, want %s (its --listen-address)", name, rpc, nodes[name])
			}
		}
		// The published port, as a client on the host without a route to
		// the containers would use it.
		c := clusterConfig("127.0.0.1:19042")
		c.DisableInitialHostLookup = true
		s, err := c.CreateSession()
		if err != nil {
			t.Fatalf("published port 127.0.0.1:19042: %v", err)
		}
		defer s.Close()
		var version string
		if err := s.Query("SELECT release_version FROM system.local").WithContext(ctx).Scan(&version); err != nil {
			t.Errorf("published port 127.0.0.1:19042: %v", err)
		}
	})

	// Everything below needs the nodes to form one cluster (gossip, schema
	// propagation, replication between nodes).
	t.Run("cluster", func(t *testing.T) {
		peersCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		for _, name := range []string{"node1", "node2", "node3"} {
			var want []string
			for other, ip := range nodes {
				if other != name {
					want = append(want, ip)
				}
			}
			slices.Sort(want)
			got, err := waitForPeers(peersCtx, sessions[name], want)
			if err != nil {
				t.Fatalf("%s: system.peers rpc_address: got %v, want %v (%v)", name, got, want, err)
			}
		}
		t.Logf("every node lists the other two in system.peers %s after compose up", time.Since(start).Round(100*time.Millisecond))

		s1 := nodeSession(t, "node1")
		for _, stmt := range []string{
			"CREATE KEYSPACE dockertest WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
			"CREATE TABLE dockertest.kv (k int, c int, v text, PRIMARY KEY (k, c))",
		} {
			if err := s1.Query(stmt).WithContext(ctx).Exec(); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		const keys, perKey = 20, 3
		for k := range keys {
			for c := range perKey {
				q := s1.Query("INSERT INTO dockertest.kv (k, c, v) VALUES (?, ?, ?)", k, c, fmt.Sprintf("v%d.%d", k, c))
				if err := q.Consistency(gocql.Quorum).WithContext(ctx).Exec(); err != nil {
					t.Fatalf("insert (%d, %d) at QUORUM through node1: %v", k, c, err)
				}
			}
		}
		for _, read := range []struct {
			node string
			cl   gocql.Consistency
		}{{"node2", gocql.Quorum}, {"node3", gocql.All}} {
			s := nodeSession(t, read.node)
			// The table may reach this node's schema a moment after node1
			// reports agreement to the driver.
			if err := retry(ctx, 10*time.Second, func() error {
				return s.Query("SELECT v FROM dockertest.kv WHERE k = 0").WithContext(ctx).Exec()
			}); err != nil {
				t.Fatalf("%s: table dockertest.kv: %v", read.node, err)
			}
			for k := range keys {
				iter := s.Query("SELECT c, v FROM dockertest.kv WHERE k = ?", k).Consistency(read.cl).WithContext(ctx).Iter()
				var got []string
				var c int
				var v string
				for iter.Scan(&c, &v) {
					got = append(got, fmt.Sprintf("%d=%s", c, v))
				}
				if err := iter.Close(); err != nil {
					t.Fatalf("read k=%d at %v through %s: %v", k, read.cl, read.node, err)
				}
				want := fmt.Sprintf("[0=v%d.0 1=v%d.1 2=v%d.2]", k, k, k)
				if fmt.Sprint(got) != want {
					t.Errorf("read k=%d at %v through %s: got %v, want %s", k, read.cl, read.node, got, want)
				}
			}
		}
	})
}

const (
	// image is the tag the test builds, runs (through WCDB_IMAGE) and
	// removes.
	image = "wcdb:test"
	// project is the compose project name: containers, network and
	// volumes are prefixed with it.
	project = "wcdbtest"
)

// nodes are the containers' addresses, as deploy/docker-compose.yml fixes
// them.
var nodes = map[string]string{
	"node1": "172.28.5.11",
	"node2": "172.28.5.12",
	"node3": "172.28.5.13",
}

// requireDocker skips the test unless docker and docker-compose are on PATH
// and the daemon answers.
func requireDocker(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"docker", "docker-compose"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
		t.Skipf("docker info: %v: %s", err, lastLine(out))
	}
}

// buildImage builds the static binary and the image from a build context of
// its own (the Dockerfile and deploy/wcdb-linux in a temporary directory),
// so nothing is written into the source tree; the image is removed when the
// test ends.
func buildImage(t *testing.T, ctx context.Context, root string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
		t.Fatal(err)
	}
	// As the Dockerfile says; -buildvcs=false because the test may run in a
	// checkout whose VCS state go cannot read.
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-buildvcs=false",
		"-o", filepath.Join(dir, "deploy", "wcdb-linux"), "./cmd/wcdb")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "docker", "rmi", "-f", image).CombinedOutput(); err != nil {
			t.Logf("docker rmi %s: %v: %s", image, err, out)
		}
	})
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", image, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
}

// imageSize is the image's size as docker reports it.
func imageSize(t *testing.T, ctx context.Context) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", "image", "ls", "--format", "{{.Size}}", image).Output()
	if err != nil {
		return "size unknown: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// composeUp starts the cluster from deploy/docker-compose.yml with the
// test's image. When the test ends it prints the containers' logs if the
// test failed, then removes containers, network and volumes.
func composeUp(t *testing.T, ctx context.Context, root string) {
	t.Helper()
	env := []string{"WCDB_IMAGE=" + image}
	compose := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "docker-compose",
			append([]string{"-f", filepath.Join(root, "deploy", "docker-compose.yml"), "-p", project}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		return cmd
	}
	down := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if out, err := compose(ctx, "down", "-v", "--timeout", "10").CombinedOutput(); err != nil {
			t.Logf("docker-compose down: %v\n%s", err, out)
		}
	}
	down() // what a killed run may have left
	t.Cleanup(down)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _ := compose(ctx, "logs", "--no-color", "--timestamps").CombinedOutput()
		t.Logf("container logs:\n%s", out)
	})
	if out, err := compose(ctx, "up", "-d").CombinedOutput(); err != nil {
		t.Fatalf("docker-compose up: %v\n%s", err, out)
	}
}

// clusterConfig is a gocql configuration for hosts, with short timeouts:
// the nodes are on this machine.
func clusterConfig(hosts ...string) *gocql.ClusterConfig {
	c := gocql.NewCluster(hosts...)
	c.ProtoVersion = 4
	c.Timeout = 10 * time.Second
	c.ConnectTimeout = 3 * time.Second
	c.MaxWaitSchemaAgreement = 30 * time.Second
	c.Logger = log.New(io.Discard, "", 0) // connection errors while nodes start are expected; queries return theirs
	return c
}

// waitForCQL connects to the node at ip until it answers a query, and
// returns a session that sends every query to that node (closed when the
// test ends).
func waitForCQL(t *testing.T, ctx context.Context, ip string) *gocql.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var s *gocql.Session
	err := retry(ctx, 90*time.Second, func() error {
		var err error
		if s, err = onlyHost(ip).CreateSession(); err != nil {
			return err
		}
		if err = s.Query("SELECT release_version FROM system.local").WithContext(ctx).Exec(); err != nil {
			s.Close()
		}
		return err
	})
	if err != nil {
		t.Fatalf("CQL on %s:9042: %v", ip, err)
	}
	t.Cleanup(s.Close)
	return s
}

// nodeSession is a session whose queries all go to the named node as
// coordinator.
func nodeSession(t *testing.T, name string) *gocql.Session {
	t.Helper()
	s, err := onlyHost(nodes[name]).CreateSession()
	if err != nil {
		t.Fatalf("session on %s: %v", name, err)
	}
	t.Cleanup(s.Close)
	return s
}

// onlyHost configures a session that learns the ring but coordinates every
// query on ip.
func onlyHost(ip string) *gocql.ClusterConfig {
	c := clusterConfig(ip)
	c.HostFilter = gocql.WhiteListHostFilter(ip)
	return c
}

// waitForPeers polls system.peers through s until its rpc addresses are
// want (sorted), and returns the last ones read.
func waitForPeers(ctx context.Context, s *gocql.Session, want []string) ([]string, error) {
	var got []string
	err := retry(ctx, time.Hour, func() error {
		iter := s.Query("SELECT rpc_address FROM system.peers").WithContext(ctx).Iter()
		var rows []string
		var ip string
		for iter.Scan(&ip) {
			rows = append(rows, ip)
		}
		if err := iter.Close(); err != nil {
			return err
		}
		slices.Sort(rows)
		got = rows
		if !slices.Equal(rows, want) {
			return errors.New("peers differ")
		}
		return nil
	})
	return got, err
}

// retry calls f every half second until it succeeds, ctx ends or limit
// passes, and returns f's last error.
func retry(ctx context.Context, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", limit, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// lastLine is the last non-empty line of out, for skip messages.
func lastLine(out []byte) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return string(lines[len(lines)-1])
}
