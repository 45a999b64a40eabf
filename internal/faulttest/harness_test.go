package faulttest

// The harness: the wcdb binary, node processes, the cluster fixture
// (start, kill, pause, what each node's failure detector says) and gocql
// sessions.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocql/gocql"

	"wcdb/messaging"
	"wcdb/server"
)

// Coordinator timeouts the nodes run with (the defaults are 2 s and 5 s):
// shorter, so that the tests spend less time waiting for them.
const (
	writeTimeout = time.Second
	readTimeout  = 2 * time.Second
)

// nodeConfig is the YAML configuration every node gets; flags set the
// rest. The cluster name keeps a node from joining a cluster that another
// test run left on the same ports.
var nodeConfig = fmt.Sprintf(`cluster_name: faulttest
write_request_timeout: %v
read_request_timeout: %v
range_request_timeout: 4s
`, writeTimeout, readTimeout)

// The wcdb binary, built once per test binary and removed by TestMain.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// wcdbBinary builds cmd/wcdb on first use.
func wcdbBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build wcdb: %v", err)
	}
	buildOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "wcdb-faulttest-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "wcdb")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		out, err := exec.CommandContext(ctx, gobin, "build", "-o", binPath, "wcdb/cmd/wcdb").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build wcdb/cmd/wcdb: %v\n%s", err, out)
			return
		}
		t.Logf("built wcdb in %v", time.Since(start).Round(time.Millisecond))
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is one run of a node's process.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// nodeLog keeps what a node printed, over all its runs.
type nodeLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	awaits []logAwait
}

// logAwait is a wait for a line matching re after offset from.
type logAwait struct {
	from int
	re   *regexp.Regexp
	ch   chan string
}

func (l *nodeLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(b)
	kept := l.awaits[:0]
	for _, a := range l.awaits {
		if m := a.re.Find(l.buf.Bytes()[a.from:]); m != nil {
			a.ch <- string(m)
		} else {
			kept = append(kept, a)
		}
	}
	l.awaits = kept
	return n, err
}

// await returns a channel that receives the first match of re printed
// from now on (as soon as it is printed: the caller can act on it while
// the node goes on).
func (l *nodeLog) await(re *regexp.Regexp) <-chan string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan string, 1)
	l.awaits = append(l.awaits, logAwait{from: l.buf.Len(), re: re, ch: ch})
	return ch
}

// len is the log's length, a mark for since.
func (l *nodeLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// since returns what was printed after mark.
func (l *nodeLog) since(mark int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf.Bytes()[mark:])
}

func (l *nodeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tail returns the last n lines.
func (l *nodeLog) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// node is one member of the test cluster: its address, the network
// namespace it runs in ("" for none), its flags and its current process.
type node struct {
	i     int
	addr  string
	netns string
	args  []string
	log   *nodeLog
	p     *proc // nil when not running; a paused one is running
}

func (n *node) String() string { return fmt.Sprintf("node %d (%s)", n.i, n.addr) }

// ports are the ports every node uses, each node on its own address. They
// are below Linux's ephemeral range (32768-60999), where an outgoing
// connection of another test may hold the port.
type ports struct{ cql, gossip, internode int }

// fixture is a cluster of wcdb processes.
type fixture struct {
	t     *testing.T
	bin   string
	dir   string
	ports ports
	nodes []*node
}

// nodeSpec places a node.
type nodeSpec struct {
	addr  string
	netns string
	dc    string
}

// loopback places n nodes on 127.0.0.1, .2, ... (the same ports on each).
func loopback(n int, dcs ...string) []nodeSpec {
	specs := make([]nodeSpec, n)
	for i := range specs {
		specs[i].addr = fmt.Sprintf("127.0.0.%d", i+1)
		if i < len(dcs) {
			specs[i].dc = dcs[i]
		}
	}
	return specs
}

// newFixture prepares (does not start) one node per spec, node 1 being
// the others' seed. Processes still running when the test ends are
// killed; on failure the tail of every node's log is printed, and with
// FAULTTEST_LOGS=dir set every node's whole log is kept in dir.
func newFixture(t *testing.T, pt ports, specs []nodeSpec) *fixture {
	t.Helper()
	f := &fixture{t: t, bin: wcdbBinary(t), dir: t.TempDir(), ports: pt}
	cfg := filepath.Join(f.dir, "wcdb.yaml")
	if err := os.WriteFile(cfg, []byte(nodeConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, sp := range specs {
		n := &node{i: i + 1, addr: sp.addr, netns: sp.netns, log: &nodeLog{}}
		n.args = []string{"server", "--config", cfg,
			"--data-dir", filepath.Join(f.dir, fmt.Sprintf("node%d", n.i)),
			"--listen-address", sp.addr,
			"--cql-port", strconv.Itoa(pt.cql),
			"--gossip-port", strconv.Itoa(pt.gossip),
			"--internode-port", strconv.Itoa(pt.internode),
			"--gossip-profile", "local",
			"--ring-delay", "200ms",
			"--commitlog-sync", "batch",
			"--num-tokens", "16",
		}
		if sp.dc != "" {
			n.args = append(n.args, "--dc", sp.dc)
		}
		if i > 0 {
			n.args = append(n.args, "--seeds", net.JoinHostPort(specs[0].addr, strconv.Itoa(pt.gossip)))
		}
		f.nodes = append(f.nodes, n)
	}
	t.Cleanup(func() {
		for _, n := range f.nodes {
			if n.p != nil {
				n.p.cmd.Process.Kill()
				<-n.p.exited
			}
		}
		if t.Failed() {
			for _, n := range f.nodes {
				t.Logf("--- last lines of %s's log:\n%s", n, n.log.tail(40))
			}
		}
		if dir := os.Getenv("FAULTTEST_LOGS"); dir != "" {
			for _, n := range f.nodes {
				name := filepath.Join(dir, fmt.Sprintf("%s-node%d.log", strings.ReplaceAll(t.Name(), "/", "_"), n.i))
				if err := os.WriteFile(name, []byte(n.log.String()), 0o644); err != nil {
					t.Logf("keeping %s's log: %v", n, err)
				}
			}
		}
	})
	return f
}

// startAll starts the nodes one after the other, each joining through
// node 1, and waits until every node sees every other up.
func (f *fixture) startAll() {
	f.t.Helper()
	start := time.Now()
	for _, n := range f.nodes {
		f.start(n)
	}
	for _, n := range f.nodes {
		f.waitView(n.String()+" to see every node up", 15*time.Second, []*node{n}, f.nodes, true)
	}
	f.t.Logf("%d nodes up in %v", len(f.nodes), time.Since(start).Round(time.Millisecond))
}

// start runs n's process (again, after a kill: same flags, same data) and
// waits until it serves CQL, which it does once it is NORMAL.
func (f *fixture) start(n *node) {
	f.t.Helper()
	serving := f.spawn(n)
	p := n.p
	select {
	case <-serving:
	case <-p.exited:
		n.p = nil
		f.t.Fatalf("%s exited before serving CQL: %v\n%s", n, p.cmd.ProcessState, n.log.tail(40))
	case <-time.After(30 * time.Second):
		f.t.Fatalf("%s did not serve CQL within 30s:\n%s", n, n.log.tail(40))
	}
}

// spawn runs n's process as start does, without waiting: the channel it
// returns is closed once the node serves CQL (never, if it exits first;
// n.p.exited tells).
func (f *fixture) spawn(n *node) <-chan struct{} {
	f.t.Helper()
	if n.p != nil {
		f.t.Fatalf("%s is already running", n)
	}
	var cmd *exec.Cmd
	if n.netns != "" {
		// ip netns exec execs the command: the pid is the node's.
		cmd = exec.Command("ip", append([]string{"netns", "exec", n.netns, f.bin}, n.args...)...)
	} else {
		cmd = exec.Command(f.bin, n.args...)
	}
	// A test process that dies without its cleanups (a go test timeout)
	// takes its nodes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	cmd.Stderr = n.log
	fmt.Fprintf(n.log, "=== %s: starting %s\n", time.Now().Format("15:04:05.000"), strings.Join(n.args, " "))
	if err := cmd.Start(); err != nil {
		f.t.Fatalf("starting %s: %v", n, err)
	}
	n.p = p
	serving := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(n.log, line)
			if !once && strings.HasPrefix(line, "wcdb: serving CQL on ") {
				once = true
				close(serving)
			}
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
		close(p.exited)
	}()
	return serving
}

// kill ends n with SIGKILL and waits for the process to be gone.
func (f *fixture) kill(n *node) {
	f.t.Helper()
	if err := n.p.cmd.Process.Kill(); err != nil {
		f.t.Fatalf("killing %s: %v", n, err)
	}
	<-n.p.exited
	n.p = nil
	fmt.Fprintf(n.log, "=== %s: killed with SIGKILL\n", time.Now().Format("15:04:05.000"))
}

// pause stops n with SIGSTOP; resume continues it with SIGCONT.
func (f *fixture) pause(n *node) {
	f.t.Helper()
	if err := n.p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		f.t.Fatalf("pausing %s: %v", n, err)
	}
	fmt.Fprintf(n.log, "=== %s: paused with SIGSTOP\n", time.Now().Format("15:04:05.000"))
}

func (f *fixture) resume(n *node) {
	f.t.Helper()
	if err := n.p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		f.t.Fatalf("resuming %s: %v", n, err)
	}
	fmt.Fprintf(n.log, "=== %s: resumed with SIGCONT\n", time.Now().Format("15:04:05.000"))
}

// status asks n (over its internode port) for the nodes it knows, as
// wcdb admin status does.
func (f *fixture) status(n *node) (*server.AdminStatus, error) {
	c, err := messaging.Dial(net.JoinHostPort(n.addr, strconv.Itoa(f.ports.internode)),
		messaging.DialOptions{Timeout: 3 * time.Second, ConnectTimeout: time.Second})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	b, err := c.Admin(ctx, []string{"status"})
	if err != nil {
		return nil, err
	}
	var st server.AdminStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("status of %s: %w", n, err)
	}
	return &st, nil
}

// hostID returns n's host id, as n itself reports it.
func (f *fixture) hostID(n *node) string {
	f.t.Helper()
	st, err := f.status(n)
	if err != nil {
		f.t.Fatalf("status of %s: %v", n, err)
	}
	for _, an := range st.Nodes {
		if an.Address == n.addr {
			return an.HostID
		}
	}
	f.t.Fatalf("%s does not list itself in its status", n)
	return ""
}

// sees reports whether every observer's failure detector has every target
// up (or, with up false, down), and if not, why.
func (f *fixture) sees(observers, targets []*node, up bool) (bool, string) {
	for _, o := range observers {
		if o == nil {
			continue
		}
		st, err := f.status(o)
		if err != nil {
			return false, fmt.Sprintf("%s: %v", o, err)
		}
		for _, tg := range targets {
			if tg == o {
				continue
			}
			found := false
			for _, an := range st.Nodes {
				if an.Address != tg.addr {
					continue
				}
				found = true
				if an.Up != up {
					return false, fmt.Sprintf("%s sees %s up=%v (state %s)", o, tg, an.Up, an.State)
				}
			}
			if !found {
				return false, fmt.Sprintf("%s does not know %s", o, tg)
			}
		}
	}
	return true, ""
}

// waitView waits until every observer sees every target up (or down) and
// returns when that was first seen. A node's status call takes up to 2 s
// while it sees a peer alive that does not answer (it asks each live peer
// for its load), so a new probe starts every 50 ms without waiting for
// the ones in flight. A probe that finds the view wanted is a quick one
// (the peer seen down is not asked), so its end is within milliseconds of
// the observation.
func (f *fixture) waitView(what string, limit time.Duration, observers, targets []*node, up bool) time.Time {
	f.t.Helper()
	type verdict struct {
		ok  bool
		why string
		at  time.Time
	}
	// Every probe can answer without blocking, even after the wait ended.
	results := make(chan verdict, int(limit/(50*time.Millisecond))+2)
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	probe := func() {
		ok, why := f.sees(observers, targets, up)
		results <- verdict{ok, why, time.Now()}
	}
	go probe()
	why := "no answer"
	for {
		select {
		case v := <-results:
			if v.ok {
				return v.at
			}
			why = v.why
		case now := <-tick.C:
			if now.After(deadline) {
				f.t.Fatalf("timed out after %v waiting for %s: %s", limit, what, why)
			}
			go probe()
		}
	}
}

// waitUntil polls cond every step until it holds (true) or limit passes
// (false).
func waitUntil(limit, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(step)
	}
}

// addrs lists the nodes' addresses.
func addrs(ns ...*node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.addr
	}
	return out
}

// sessionOpts shapes a gocql session.
type sessionOpts struct {
	// only restricts the session to these nodes (a HostFilter); nil means
	// every node it discovers.
	only []*node
	// dc, if set, makes the policy token-aware over DCAwareRoundRobin(dc)
	// and filters out the other datacenters.
	dc string
}

// session connects gocql through contact and, as an application would,
// discovers the other nodes: token-aware routing, the same CQL port on
// every address, no retries (so that an error is the answer of the one
// coordinator that was asked), quick reconnection to nodes that come
// back. It is closed when the test ends.
func (f *fixture) session(contact []*node, o sessionOpts) *gocql.Session {
	f.t.Helper()
	c := gocql.NewCluster(addrs(contact...)...)
	c.Port = f.ports.cql
	c.ProtoVersion = 4
	c.Consistency = gocql.Quorum
	// Far above every server-side timeout: a request that reaches it hung.
	c.Timeout = 10 * time.Second
	c.ConnectTimeout = 2 * time.Second
	c.NumConns = 1
	c.RetryPolicy = nil
	c.ReconnectInterval = time.Second
	c.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 20, Interval: 250 * time.Millisecond}
	c.Logger = discardLogger{}
	if o.dc != "" {
		c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(o.dc))
		c.HostFilter = gocql.DataCentreHostFilter(o.dc)
	} else {
		c.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	}
	if o.only != nil {
		if o.dc != "" {
			f.t.Fatal("session: only and dc together")
		}
		c.HostFilter = gocql.WhiteListHostFilter(addrs(o.only...)...)
	}
	s, err := c.CreateSession()
	if err != nil {
		f.t.Fatalf("connecting gocql to %v: %v", addrs(contact...), err)
	}
	f.t.Cleanup(s.Close)
	return s
}

// discardLogger silences gocql, which logs every connection a fault
// breaks.
type discardLogger struct{}

func (discardLogger) Print(...any)          {}
func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// createSchema makes keyspace ft (with the replication map given) and
// table ft.kv; gocql waits for every node to agree on the schema.
func createSchema(t *testing.T, s *gocql.Session, replication string) {
	t.Helper()
	for _, stmt := range []string{
		"CREATE KEYSPACE ft WITH replication = " + replication,
		"CREATE TABLE ft.kv (k bigint PRIMARY KEY, v text)",
	} {
		if err := s.Query(stmt).Exec(); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
