package localcluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The cluster test's nodes listen on 127.0.0.2 and 127.0.0.3 with ports
// beside the defaults, so that a wcdb on the defaults, and other tests,
// are left alone.
func testOptions(nodes int, dir, bin string) UpOptions {
	o := DefaultUpOptions()
	o.Nodes, o.Dir, o.Binary = nodes, dir, bin
	o.FirstAddress, o.CQLPort, o.GossipPort, o.InternodePort = "127.0.0.2", 19142, 17946, 17100
	return o
}

// up, down and status run Up, Down and Status as wcdb cluster does, and
// return an exit status (0, 1, or 2 for a usage error) with what they
// printed.
func up(o UpOptions, admin Admin) (code int, stdout, stderr string) {
	var out bytes.Buffer
	return exit(Up(o, admin, &out), &out, nil)
}

func down(o DownOptions) (code int, stdout, stderr string) {
	if o.Timeout == 0 {
		o.Timeout = DefaultStopTimeout
	}
	var out, errOut bytes.Buffer
	return exit(Down(o, &out, &errOut), &out, &errOut)
}

func status(dir string, admin Admin) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	return exit(Status(dir, admin, &out, &errOut), &out, &errOut)
}

func exit(err error, out, errOut *bytes.Buffer) (int, string, string) {
	if errOut == nil {
		errOut = &bytes.Buffer{}
	}
	if err == nil {
		return 0, out.String(), errOut.String()
	}
	errOut.WriteString("wcdb: " + err.Error() + "\n")
	var u *UsageError
	if errors.As(err, &u) {
		return 2, out.String(), errOut.String()
	}
	return 1, out.String(), errOut.String()
}

// binAdmin reaches nodes through the wcdb binary's admin command.
type binAdmin struct{ bin string }

func (a binAdmin) Ring(ctx context.Context, addr string) (string, error) {
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, a.bin, "admin", "status", "--host", addr)
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New(strings.TrimSpace(err.Error() + ": " + errOut.String()))
	}
	return string(out), nil
}

func (binAdmin) Receiving(context.Context, string) (Streams, error) {
	return Streams{}, errors.New("not in these tests")
}

func (a binAdmin) Decommission(addr string, force bool, out io.Writer) error {
	cmd := exec.Command(a.bin, "admin", "decommission", "--host", addr)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

func TestClusterPlan(t *testing.T) {
	first := netip.MustParseAddr("127.0.0.1")
	nodes, err := Plan(3, 2, first)
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{
		{Name: "node1", Address: "127.0.0.1", DataCenter: "dc1", Rack: "rack1"},
		{Name: "node2", Address: "127.0.0.2", DataCenter: "dc2", Rack: "rack1"},
		{Name: "node3", Address: "127.0.0.3", DataCenter: "dc1", Rack: "rack1"},
	}
	if !slices.Equal(nodes, want) {
		t.Errorf("Plan(3, 2) = %v, want %v", nodes, want)
	}
	nodes, _ = Plan(2, 1, first)
	if nodes[0].DataCenter != "datacenter1" || nodes[1].DataCenter != "datacenter1" {
		t.Errorf("Plan(2, 1): datacenters %v, want datacenter1 for all", nodes)
	}
	for _, tc := range []struct {
		n, dcs int
		first  string
	}{{0, 1, "127.0.0.1"}, {10, 1, "127.0.0.1"}, {1, 2, "127.0.0.1"}, {3, 3, "127.0.0.1"},
		{2, 1, "127.0.0.9"}, {1, 1, "10.0.0.1"}, {1, 1, "127.0.1.1"}, {1, 1, "127.0.0.0"}, {1, 1, "::1"}} {
		if _, err := Plan(tc.n, tc.dcs, netip.MustParseAddr(tc.first)); err == nil {
			t.Errorf("Plan(%d, %d, %s): no error", tc.n, tc.dcs, tc.first)
		}
	}

	st := &State{NumTokens: 8, CQLPort: 9042, GossipPort: 7946, InternodePort: 7000, Nodes: want}
	got := strings.Join(st.serverArgs("/c", 1), " ")
	wantArgs := "server --data-dir /c/node2/data --listen-address 127.0.0.2 --cql-port 9042 --gossip-port 7946 " +
		"--internode-port 7000 --seeds 127.0.0.1:7946 --gossip-profile local --ring-delay 1s --dc dc2 --rack rack1 --num-tokens 8"
	if got != wantArgs {
		t.Errorf("serverArgs:\ngot  %s\nwant %s", got, wantArgs)
	}
}

// TestClusterOptions checks the options Up, Down and Status refuse
// before doing anything.
func TestClusterOptions(t *testing.T) {
	for _, tc := range []struct {
		edit     func(*UpOptions)
		inStderr string
	}{
		{func(o *UpOptions) { o.Nodes = 0 }, "needs --nodes N"},
		{func(o *UpOptions) { o.Nodes = 10 }, "1 to 9 nodes"},
		{func(o *UpOptions) { o.DCs = 3 }, "--dcs 3"},
		{func(o *UpOptions) { o.CQLPort = 7000; o.InternodePort = 7000 }, "ports must differ"},
		{func(o *UpOptions) { o.Wait = 0 }, "--wait must be positive"},
	} {
		o := DefaultUpOptions()
		o.Nodes = 2
		tc.edit(&o)
		if code, out, errOut := up(o, nil); code != 2 || out != "" || !strings.Contains(errOut, tc.inStderr) {
			t.Errorf("%+v: exit %d, stdout %q, stderr %q; want exit 2 and %q", o, code, out, errOut, tc.inStderr)
		}
	}
	if code, _, errOut := down(DownOptions{Dir: t.TempDir(), Timeout: -time.Second}); code != 2 || !strings.Contains(errOut, "--timeout must be positive") {
		t.Errorf("Down with a negative timeout: exit %d, stderr %q", code, errOut)
	}
	dir := t.TempDir()
	if code, _, errOut := status(dir, nil); code != 1 || !strings.Contains(errOut, "no cluster in") {
		t.Errorf("Status of an empty directory: exit %d, stderr %q", code, errOut)
	}
	// Wipe deletes only a cluster's directory.
	if code, _, errOut := down(DownOptions{Dir: dir, Wipe: true}); code != 1 || !strings.Contains(errOut, "not deleting it") {
		t.Errorf("Down with Wipe of a directory without cluster.json: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("directory gone after a refused wipe: %v", err)
	}
}

// TestClusterStalePidFile checks that down and up leave alone a process
// whose pid a node's stale pid file happens to hold (this test's own).
func TestClusterStalePidFile(t *testing.T) {
	dir := t.TempDir()
	st := &State{Version: StateVersion, NumTokens: 16, CQLPort: 19142, GossipPort: 17946, InternodePort: 17100,
		Nodes: []Node{{Name: "node1", Address: "127.0.0.2", DataCenter: "datacenter1", Rack: "rack1"}}}
	if err := os.MkdirAll(filepath.Join(dir, "node1", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	pidPath := filepath.Join(dir, "node1", "pid")
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if running, err := runningNodes(dir); (err != nil || len(running) > 0) && isLinux() {
		t.Errorf("runningNodes with a pid file naming another program: %v, %v", running, err)
	}
	code, out, errOut := status(dir, nil)
	if code != 0 || (isLinux() && !strings.Contains(out, "stale pid file")) {
		t.Errorf("cluster status: exit %d, stderr %q, got\n%s", code, errOut, out)
	}
	if !isLinux() {
		t.Skip("telling our nodes from other programs needs /proc")
	}
	code, out, errOut = down(DownOptions{Dir: dir})
	if code != 0 || !strings.Contains(out, "is another program now") {
		t.Errorf("cluster down: exit %d, stderr %q, got\n%s", code, errOut, out)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Errorf("stale pid file still there: %v", err)
	}
}

func isLinux() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// TestClusterFailedStart checks that a node that exits at once fails
// cluster up with its log's end, and leaves no pid file.
func TestClusterFailedStart(t *testing.T) {
	skipUnlessAddresses(t, "127.0.0.2")
	dir := t.TempDir()
	bin := filepath.Join(dir, "broken")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho cannot start: $2 >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cdir := filepath.Join(dir, "c")
	code, out, errOut := up(testOptions(2, cdir, bin), nil)
	if code != 1 || !strings.Contains(out, "starting node1") || strings.Contains(out, "node2") ||
		!strings.Contains(errOut, "exited before serving CQL (exit status 3)") ||
		!strings.Contains(errOut, "cannot start: --data-dir") {
		t.Errorf("cluster up with a broken binary: exit %d, stdout\n%s\nstderr\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(cdir, "node1", "pid")); !os.IsNotExist(err) {
		t.Errorf("pid file of a node that failed to start: %v", err)
	}
}

// skipUnlessAddresses skips the test where the loopback addresses cannot
// be bound (macOS without lo0 aliases).
func skipUnlessAddresses(t *testing.T, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		l, err := net.Listen("tcp", net.JoinHostPort(a, "0"))
		if err != nil {
			t.Skipf("cannot bind %s: %v", a, err)
		}
		l.Close()
	}
}

// TestClusterUpStatusDown runs a two-node cluster of real wcdb processes
// (the binary built from cmd/wcdb) through up, status and down.
func TestClusterUpStatusDown(t *testing.T) {
	bin, dir := localClusterTest(t)
	admin := binAdmin{bin}

	began := time.Now()
	o := testOptions(2, dir, bin)
	o.Wait = 20 * time.Second
	code, out, errOut := up(o, admin)
	if code != 0 {
		t.Fatalf("cluster up: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("cluster up in %v:\n%s", time.Since(began).Round(time.Millisecond), out)
	if !strings.Contains(out, "connect: cqlsh-lite 127.0.0.2:19142") {
		t.Errorf("cluster up does not say how to connect:\n%s", out)
	}
	pids, err := pidFiles(dir)
	if err != nil || len(pids) != 2 {
		t.Fatalf("pid files: %v, %v; want two", pids, err)
	}
	for i, p := range pids {
		if alive, ours := nodeProcess(p.pid, p.dataDir); !alive || !ours {
			t.Errorf("%s (pid %d): alive %v, ours %v", p.name, p.pid, alive, ours)
		}
		addr := net.JoinHostPort("127.0.0."+strconv.Itoa(i+2), "19142")
		if err := cqlAnswers(addr, 2*time.Second); err != nil {
			t.Errorf("%s: CQL on %s: %v", p.name, addr, err)
		}
	}

	// A killed node: up again restarts it and leaves the other alone.
	if err := syscall.Kill(pids[1].pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		alive, _ := nodeProcess(pids[1].pid, pids[1].dataDir)
		if !alive && checkFree("127.0.0.3", []int{19142, 17946, 17100}) == nil || time.Now().After(deadline) {
			break
		}
	}
	code, out, errOut = up(testOptions(2, dir, bin), admin)
	if code != 0 || !strings.Contains(out, "node1 on 127.0.0.2 is running") || !strings.Contains(out, "starting node2") {
		t.Errorf("cluster up with node2 killed: exit %d, stderr %q, stdout\n%s", code, errOut, out)
	}
	if pids, err = pidFiles(dir); err != nil || len(pids) != 2 {
		t.Fatalf("pid files after the restart: %v, %v", pids, err)
	}
	if err := cqlAnswers(net.JoinHostPort("127.0.0.3", "19142"), 2*time.Second); err != nil {
		t.Errorf("restarted node2: CQL: %v", err)
	}

	code, out, errOut = status(dir, admin)
	if code != 0 {
		t.Errorf("cluster status: exit %d, stderr %q", code, errOut)
	}
	for i, p := range pids {
		addr := "127.0.0." + strconv.Itoa(i+2)
		line := lineWith(out, p.name+" ")
		if !strings.Contains(line, addr) || !strings.Contains(line, strconv.Itoa(p.pid)) ||
			!strings.Contains(line, "running") || !strings.Contains(line, "19142 reachable") {
			t.Errorf("cluster status: %s's line %q lacks its address, pid, running or reachable:\n%s", p.name, line, out)
		}
	}
	// The ring view comes from node1's admin status, or a warning.
	if !strings.Contains(out, "Datacenter: datacenter1") && !strings.Contains(errOut, "warning: admin status") {
		t.Errorf("cluster status: neither the ring nor a warning:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	t.Logf("cluster status:\n%s%s", out, errOut)

	began = time.Now()
	code, out, errOut = down(DownOptions{Dir: dir, Timeout: 20 * time.Second})
	if code != 0 || strings.Contains(errOut, "killing") || strings.Count(out, "stopped after") != 2 {
		t.Errorf("cluster down: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if d := time.Since(began); d > 20*time.Second {
		t.Errorf("cluster down took %v", d)
	}
	for _, p := range pids {
		if alive, _ := nodeProcess(p.pid, p.dataDir); alive {
			t.Errorf("%s (pid %d) still running after cluster down", p.name, p.pid)
		}
		if _, err := os.Stat(p.path); !os.IsNotExist(err) {
			t.Errorf("%s: pid file left: %v", p.name, err)
		}
		if _, err := os.Stat(p.dataDir); err != nil {
			t.Errorf("%s: data gone without --wipe: %v", p.name, err)
		}
	}
	code, out, _ = status(dir, admin)
	if code != 0 || strings.Count(out, "stopped") != 2 || !strings.Contains(out, "no node serves CQL") {
		t.Errorf("cluster status after down: exit %d, got\n%s", code, out)
	}
	if code, out, errOut := down(DownOptions{Dir: dir, Wipe: true}); code != 0 {
		t.Errorf("cluster down --wipe: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory after --wipe: %v", err)
	}
}

// lineWith returns the first line of s that starts with prefix.
func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestNodeEnv checks how local nodes split the cores.
func TestNodeEnv(t *testing.T) {
	for _, c := range []struct {
		n, cpus int
		want    string
	}{{3, 2, "GOMAXPROCS=1"}, {3, 8, "GOMAXPROCS=3"}, {1, 8, "GOMAXPROCS=8"}, {9, 4, "GOMAXPROCS=1"}} {
		env := nodeEnv([]string{"PATH=/bin"}, c.n, c.cpus)
		if len(env) != 2 || env[1] != c.want {
			t.Errorf("%d nodes on %d cores: %q, want %s", c.n, c.cpus, env, c.want)
		}
	}
	if env := nodeEnv([]string{"GOMAXPROCS=4"}, 3, 2); len(env) != 1 || env[0] != "GOMAXPROCS=4" {
		t.Errorf("GOMAXPROCS set by the user: %q", env)
	}
}

// localClusterTest prepares a test of a local cluster of real wcdb
// processes on 127.0.0.2-3: it builds the binary from cmd/wcdb and
// returns it with the cluster's directory; whatever happens, no node
// outlives the test. It skips under -short, without those addresses or
// without a go command.
func localClusterTest(t *testing.T) (bin, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds wcdb and starts processes")
	}
	skipUnlessAddresses(t, "127.0.0.2", "127.0.0.3")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build wcdb with")
	}
	tmp := t.TempDir()
	bin = filepath.Join(tmp, "wcdb")
	if b, err := exec.Command(goTool, "build", "-o", bin, "wcdb/cmd/wcdb").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	dir = filepath.Join(tmp, "cluster")
	t.Cleanup(func() {
		pids, _ := pidFiles(dir)
		for _, p := range pids {
			if alive, ours := nodeProcess(p.pid, p.dataDir); alive && ours {
				t.Logf("killing %s (pid %d) left running", p.name, p.pid)
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
	})
	return bin, dir
}
