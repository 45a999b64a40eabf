package main

// wcdb cluster: a cluster of wcdb server processes on one machine, one
// loopback address each (127.0.0.1, 127.0.0.2, ...), so that every node
// keeps the default ports, as ccm does for Cassandra. It is for trying
// replication and failures out and for tests, not for production.
//
// The cluster lives in one directory:
//
//	DIR/cluster.json      what cluster up started (see clusterState)
//	DIR/nodeI/data/       node I's data directory
//	DIR/nodeI/wcdb.log    its stdout and stderr (appended to by every start)
//	DIR/nodeI/pid         its process id while it runs
//
// The processes run in sessions of their own, so they outlive the command
// and a Ctrl-C at the terminal that started them; cluster down stops them.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"wcdb/internal/vfs"
	"wcdb/server"
)

const clusterUsage = `usage: wcdb cluster up --nodes N [--dcs 1|2] [--dir DIR] [--tls] [flags]
       wcdb cluster down [--dir DIR] [--wipe]
       wcdb cluster status [--dir DIR]
       wcdb cluster remove --node I [--dir DIR] [--force]

commands (a local cluster: node I listens on 127.0.0.I with the default
ports, its data and log in DIR/nodeI; DIR is ./wcdb-cluster unless given):
  up       start N nodes (at most 9), node 1 first, each once the one
           before serves CQL; with --dcs 2, odd nodes are in dc1 and even
           ones in dc2 (wcdb cluster up -h for flags); the nodes share the
           machine's cores: each runs with GOMAXPROCS = cores / N, rounded
           up (unless GOMAXPROCS is set); --tls secures the cluster:
           certificates and a gossip key made in DIR/tls (wcdb tls gen),
           TLS for clients, mutual TLS between nodes, encrypted gossip
           (cqlsh-lite --ssl --cqlshrc DIR/tls/cqlshrc connects)
  down     stop the nodes (SIGTERM, SIGKILL after --timeout); the data
           stays unless --wipe
  status   each node's process and CQL port, and the ring as a running
           node sees it (wcdb admin status)
  remove   decommission node I: it streams its ranges to the nodes taking
           them over and leaves; its process exits and its data is deleted

Growing and shrinking: up --nodes N on a running cluster of fewer nodes
starts the missing ones one at a time, each fetching the data of the
ranges it takes before it serves (a progress bar shows the streams);
remove --node I shrinks it (node1, every node's seed, stays).
`

// Limits and defaults of a local cluster: one address per node, within
// 127.0.0.1-127.0.0.9 (addresses every Linux machine has; macOS needs
// aliases on lo0 beyond 127.0.0.1).
const (
	maxClusterNodes     = 9
	defaultClusterDir   = "./wcdb-cluster"
	defaultStopTimeout  = 30 * time.Second
	defaultStartTimeout = 60 * time.Second
)

// clusterState is DIR/cluster.json, written by cluster up and read by
// status (down needs only the pid files). JSON, indented:
//
//	{"version": 1, "binary": "/usr/local/bin/wcdb", "num_tokens": 16,
//	 "cql_port": 9042, "gossip_port": 7946, "internode_port": 7000,
//	 "nodes": [{"name": "node1", "address": "127.0.0.1",
//	            "datacenter": "dc1", "rack": "rack1"}, ...]}
//
// Every node uses the same three ports on its own address. A version
// other than clusterStateVersion is refused rather than guessed at.
type clusterState struct {
	Version       int           `json:"version"`
	Binary        string        `json:"binary"`
	NumTokens     int           `json:"num_tokens"`
	CQLPort       int           `json:"cql_port"`
	GossipPort    int           `json:"gossip_port"`
	InternodePort int           `json:"internode_port"`
	Nodes         []clusterNode `json:"nodes"`
	// TLS: the cluster was started with --tls (cluster_tls.go).
	TLS bool `json:"tls,omitempty"`
}

const clusterStateVersion = 1

// clusterNode is one node of a clusterState.
type clusterNode struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	DataCenter string `json:"datacenter"`
	Rack       string `json:"rack"`
	// Removed: the node was decommissioned (wcdb cluster remove) and its
	// data deleted; cluster up starts it afresh, as a new node.
	Removed bool `json:"removed,omitempty"`
}

// planCluster lays n nodes out on consecutive addresses from first: with
// one datacenter all are in datacenter1 (the single-node default), with two
// odd nodes go to dc1 and even ones to dc2.
func planCluster(n, dcs int, first netip.Addr) ([]clusterNode, error) {
	switch {
	case n < 1 || n > maxClusterNodes:
		return nil, fmt.Errorf("--nodes %d: a local cluster has 1 to %d nodes", n, maxClusterNodes)
	case dcs != 1 && dcs != 2:
		return nil, fmt.Errorf("--dcs %d: want 1 or 2", dcs)
	case dcs == 2 && n < 2:
		return nil, errors.New("--dcs 2 needs at least 2 nodes")
	case !first.Is4() || first.As4()[0] != 127 || first.As4()[1] != 0 || first.As4()[2] != 0 || first.As4()[3] == 0:
		return nil, fmt.Errorf("first address %s is not one of 127.0.0.1-127.0.0.%d", first, maxClusterNodes)
	case int(first.As4()[3])+n-1 > maxClusterNodes:
		return nil, fmt.Errorf("%d nodes from %s run past 127.0.0.%d", n, first, maxClusterNodes)
	}
	nodes := make([]clusterNode, n)
	addr := first
	for i := range nodes {
		dc := "datacenter1"
		if dcs == 2 {
			dc = "dc" + strconv.Itoa(i%2+1)
		}
		nodes[i] = clusterNode{Name: "node" + strconv.Itoa(i+1), Address: addr.String(), DataCenter: dc, Rack: "rack1"}
		addr = addr.Next()
	}
	return nodes, nil
}

// serverArgs are the arguments node i is started with: its own address,
// node 1 as the seed, gossip timings for one machine and a short ring
// delay, so that a local cluster forms in seconds.
func (st *clusterState) serverArgs(dir string, i int) []string {
	n := st.Nodes[i]
	args := []string{"server",
		"--data-dir", filepath.Join(dir, n.Name, "data"),
		"--listen-address", n.Address,
		"--cql-port", strconv.Itoa(st.CQLPort),
		"--gossip-port", strconv.Itoa(st.GossipPort),
		"--internode-port", strconv.Itoa(st.InternodePort),
		"--seeds", net.JoinHostPort(st.Nodes[0].Address, strconv.Itoa(st.GossipPort)),
		"--gossip-profile", "local",
		"--ring-delay", "1s",
		"--dc", n.DataCenter,
		"--rack", n.Rack,
		"--num-tokens", strconv.Itoa(st.NumTokens),
	}
	if st.TLS {
		args = append(args, "--config", nodeConfigPath(dir, n))
	}
	return args
}

func (st *clusterState) cqlAddress(i int) string {
	return net.JoinHostPort(st.Nodes[i].Address, strconv.Itoa(st.CQLPort))
}

func (st *clusterState) internodeAddress(i int) string {
	return net.JoinHostPort(st.Nodes[i].Address, strconv.Itoa(st.InternodePort))
}

func writeClusterState(dir string, st *clusterState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(vfs.Default, filepath.Join(dir, "cluster.json"), append(b, '\n'))
}

func readClusterState(dir string) (*clusterState, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no cluster in %s (no cluster.json; wcdb cluster up makes one)", dir)
	}
	if err != nil {
		return nil, err
	}
	var st clusterState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, "cluster.json"), err)
	}
	if st.Version != clusterStateVersion {
		return nil, fmt.Errorf("%s: version %d, this wcdb reads version %d", filepath.Join(dir, "cluster.json"), st.Version, clusterStateVersion)
	}
	if st.TLS {
		if err := useClusterTLS(dir); err != nil {
			return nil, fmt.Errorf("the cluster's certificates: %w", err)
		}
	}
	return &st, nil
}

// cluster runs wcdb cluster up|down|status.
func cluster(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	switch args[0] {
	case "up":
		return clusterUp(args[1:], stdout, stderr)
	case "down":
		return clusterDown(args[1:], stdout, stderr)
	case "status":
		return clusterStatus(args[1:], stdout, stderr)
	case "remove":
		return clusterRemove(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, clusterUsage)
		return 0
	}
	fmt.Fprintf(stderr, "wcdb: unknown cluster command %q\n\n%s", args[0], clusterUsage)
	return 2
}

// hideFlags makes fs's help leave out the named flags (knobs for tests).
func hideFlags(fs *flag.FlagSet, head string, hidden ...string) {
	fs.Usage = func() {
		shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		shown.SetOutput(fs.Output())
		fs.VisitAll(func(f *flag.Flag) {
			if !slices.Contains(hidden, f.Name) {
				shown.Var(f.Value, f.Name, f.Usage)
				shown.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		fmt.Fprint(fs.Output(), head)
		shown.PrintDefaults()
	}
}

func clusterUp(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb cluster up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("nodes", 0, "how many nodes (1-9); node I listens on 127.0.0.I")
	dcs := fs.Int("dcs", 1, "datacenters: 1 (all nodes in datacenter1) or 2 (odd nodes in dc1, even nodes in dc2)")
	dirFlag := fs.String("dir", defaultClusterDir, "the cluster's directory: DIR/nodeI holds node I's data, log and pid file")
	numTokens := fs.Int("num-tokens", 16, "vnode tokens per node")
	binary := fs.String("binary", "", "the wcdb binary the nodes run (default: this one)")
	wait := fs.Duration("wait", defaultStartTimeout, "how long each node may take to serve CQL")
	// Hidden: tests run clusters beside the default ports and 127.0.0.1.
	cqlPort := fs.Int("cql-port", 9042, "CQL port of every node")
	gossipPort := fs.Int("gossip-port", 7946, "gossip port of every node")
	internodePort := fs.Int("internode-port", 7000, "internode port of every node")
	firstAddr := fs.String("first-address", "127.0.0.1", "node 1's address; the others follow it")
	withTLS := fs.Bool("tls", false, "client TLS, internode mutual TLS and gossip encryption, with certificates and a key made in DIR/tls")
	hideFlags(fs, "usage: wcdb cluster up --nodes N [flags]\n", "cql-port", "gossip-port", "internode-port", "first-address")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "wcdb: "+format+"\n", a...)
		return 2
	}
	if *nodes == 0 {
		return usageErr("cluster up needs --nodes N (1-%d)", maxClusterNodes)
	}
	first, err := netip.ParseAddr(*firstAddr)
	if err != nil {
		return usageErr("--first-address: %v", err)
	}
	plan, err := planCluster(*nodes, *dcs, first)
	if err != nil {
		return usageErr("%v", err)
	}
	if *numTokens < 1 || *numTokens > 256 {
		return usageErr("--num-tokens %d: want 1-256", *numTokens)
	}
	ports := []int{*cqlPort, *gossipPort, *internodePort}
	for _, p := range ports {
		if p < 1 || p > 65535 {
			return usageErr("port %d is not a port number (1-65535)", p)
		}
	}
	if *cqlPort == *gossipPort || *cqlPort == *internodePort || *gossipPort == *internodePort {
		return usageErr("the CQL, gossip and internode ports must differ")
	}
	if *wait <= 0 {
		return usageErr("--wait must be positive")
	}
	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	bin, err := resolveBinary(*binary)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	st := &clusterState{Version: clusterStateVersion, Binary: bin, NumTokens: *numTokens,
		CQLPort: *cqlPort, GossipPort: *gossipPort, InternodePort: *internodePort, Nodes: plan, TLS: *withTLS}

	// Check all that can be checked before starting anything, so that a
	// failure leaves nothing behind. Nodes still running are left as they
	// are: up on a cluster with a stopped (or killed) node restarts it.
	running, err := runningNodes(dir)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if len(running) > 0 {
		old, err := readClusterState(dir)
		switch {
		case err != nil:
		case len(old.Nodes) > len(st.Nodes):
			fmt.Fprintf(stderr, "wcdb: the cluster in %s has %d nodes, some running; to shrink it, "+
				"wcdb cluster remove --node I decommissions node I (wcdb cluster down --dir %s stops them all)\n",
				*dirFlag, len(old.Nodes), *dirFlag)
			return 1
		default:
			// Growing a running cluster: the nodes it has keep their
			// places and ports, and the new ones join it one at a time,
			// each fetching the data of the ranges it takes.
			st.NumTokens, st.CQLPort, st.GossipPort, st.InternodePort = old.NumTokens, old.CQLPort, old.GossipPort, old.InternodePort
			st.TLS = old.TLS
			ports = []int{st.CQLPort, st.GossipPort, st.InternodePort}
			copy(st.Nodes, old.Nodes)
		}
	}
	for i := range st.Nodes {
		if _, ok := running[st.Nodes[i].Name]; ok {
			continue
		}
		if err := checkFree(st.Nodes[i].Address, ports); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
	}
	for _, n := range st.Nodes {
		if err := os.MkdirAll(filepath.Join(dir, n.Name, "data"), 0o755); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
	}
	if err := writeClusterState(dir, st); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if st.TLS {
		err := setupClusterTLS(dir, st)
		if err == nil {
			err = useClusterTLS(dir)
		}
		if err != nil {
			fmt.Fprintln(stderr, "wcdb: --tls:", err)
			return 1
		}
	}

	for i, n := range st.Nodes {
		if pid, ok := running[n.Name]; ok {
			fmt.Fprintf(stdout, "wcdb: %s on %s is running (pid %d)\n", n.Name, n.Address, pid)
			continue
		}
		fmt.Fprintf(stdout, "wcdb: starting %s on %s (%s, %s)... ", n.Name, n.Address, n.DataCenter, n.Rack)
		began := time.Now()
		pid, err := startNode(st, dir, i, *wait, stdout)
		if err != nil {
			fmt.Fprintln(stdout, "failed")
			fmt.Fprintf(stderr, "wcdb: %s: %v\n", n.Name, err)
			if i > 0 {
				fmt.Fprintf(stderr, "wcdb: node1 to node%d are running; wcdb cluster down --dir %s stops them\n", i, *dirFlag)
			}
			return 1
		}
		fmt.Fprintf(stdout, "serving CQL on %s (pid %d, %.1fs)\n", st.cqlAddress(i), pid, time.Since(began).Seconds())
		if st.Nodes[i].Removed {
			st.Nodes[i].Removed = false
			if err := writeClusterState(dir, st); err != nil {
				fmt.Fprintln(stderr, "wcdb:", err)
				return 1
			}
		}
	}
	connect := st.Nodes[0].Address
	if st.CQLPort != 9042 {
		connect = st.cqlAddress(0)
	}
	dirArg := ""
	if *dirFlag != defaultClusterDir {
		dirArg = " --dir " + *dirFlag
	}
	fmt.Fprintf(stdout, "wcdb: %d nodes up; data and logs in %s/nodeI\n", len(st.Nodes), dir)
	if st.TLS {
		connect += " --ssl --cqlshrc " + filepath.Join(clusterTLSDir(dir), "cqlshrc")
	}
	fmt.Fprintf(stdout, "  connect: cqlsh-lite %s\n", connect)
	fmt.Fprintf(stdout, "  status:  wcdb cluster status%s\n", dirArg)
	fmt.Fprintf(stdout, "  stop:    wcdb cluster down%s (--wipe deletes the data too)\n", dirArg)
	return 0
}

// resolveBinary returns the absolute path of the binary the nodes run:
// flag, or else this program.
func resolveBinary(flagValue string) (string, error) {
	if flagValue == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("cannot find this program's path (--binary names it): %w", err)
		}
		return exe, nil
	}
	path := flagValue
	if !strings.ContainsRune(path, filepath.Separator) {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("--binary %s: %w", flagValue, err)
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("--binary: %w", err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("--binary %s is not an executable file", flagValue)
	}
	return abs, nil
}

// runningNodes returns the nodes of dir whose pid file names a process
// still running, by name.
func runningNodes(dir string) (map[string]int, error) {
	pids, err := pidFiles(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, p := range pids {
		if alive, ours := nodeProcess(p.pid, p.dataDir); alive && ours {
			out[p.name] = p.pid
		}
	}
	return out, nil
}

// checkFree fails if a port the node needs on addr is taken, or addr is not
// an address of this machine, and says what to do.
func checkFree(addr string, ports []int) error {
	for _, p := range ports {
		hp := net.JoinHostPort(addr, strconv.Itoa(p))
		l, err := net.Listen("tcp", hp)
		if err == nil {
			l.Close()
			continue
		}
		switch {
		case errors.Is(err, syscall.EADDRNOTAVAIL):
			return fmt.Errorf("%s is not an address of this machine (on macOS: sudo ifconfig lo0 alias %s up)", addr, addr)
		case errors.Is(err, syscall.EADDRINUSE):
			return fmt.Errorf("%s is in use by another program (a wcdb server outside this cluster?)", hp)
		}
		return err
	}
	return nil
}

// nodeEnv is the environment of a node of an n-node local cluster: the
// nodes split the machine's cores, as containers with CPU limits would
// (the Go runtime sizes GOMAXPROCS by a container's limit). Each with all
// the cores would run n schedulers that spin for work on the same cores:
// on 2 cores, 3 nodes at RF 1 served 13-15% more with 1 each than with 2.
func nodeEnv(env []string, n, cpus int) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "GOMAXPROCS=") {
			return env
		}
	}
	procs := max(1, (cpus+n-1)/n)
	return append(slices.Clone(env), "GOMAXPROCS="+strconv.Itoa(procs))
}

// startNode starts node i, writes its pid file, and waits until it
// accepts connections on its CQL port. A node that exits or does not serve
// within wait is stopped, and the error quotes the end of its log. While
// the node fetches its ranges' data (a node joining a cluster that holds
// data), progress goes to out, and wait counts from the last progress.
func startNode(st *clusterState, dir string, i int, wait time.Duration, out io.Writer) (int, error) {
	n := st.Nodes[i]
	nodeDir := filepath.Join(dir, n.Name)
	logPath := filepath.Join(nodeDir, "wcdb.log")
	pidPath := filepath.Join(nodeDir, "pid")
	args := st.serverArgs(dir, i)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s wcdb cluster up: %s %s\n", time.Now().Format(time.RFC3339), st.Binary, strings.Join(args, " "))
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(st.Binary, args...)
	cmd.Dir = nodeDir
	cmd.Env = nodeEnv(os.Environ(), len(st.Nodes), runtime.NumCPU())
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own: the node outlives this command and ignores
	// the terminal's Ctrl-C.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// Reap the node if it exits while this process lives (a test, or a
	// failed start), so that it does not linger as a zombie that looks
	// alive.
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	fail := func(err error) (int, error) {
		select {
		case <-exited:
			if waitErr != nil {
				err = fmt.Errorf("%w (%v)", err, waitErr)
			}
		default:
			cmd.Process.Kill()
			<-exited
		}
		os.Remove(pidPath)
		return 0, fmt.Errorf("%w; the end of %s:\n%s", err, logPath, logTail(logPath, logStart, 20))
	}
	if err := vfs.WriteFileAtomic(vfs.Default, pidPath, []byte(strconv.Itoa(pid)+"\n")); err != nil {
		return fail(err)
	}
	bar := &bootstrapBar{addr: st.internodeAddress(i), out: out}
	if err := waitServing(st.cqlAddress(i), exited, wait, bar.poll); err != nil {
		bar.end()
		return fail(err)
	}
	bar.end()
	return pid, nil
}

// waitServing waits until a CQL server answers at addr, the process
// exits, or wait passes without progress (progress reports whether the
// node moved on since its last call; nil: never).
func waitServing(addr string, exited <-chan struct{}, wait time.Duration, progress func() bool) error {
	deadline := time.Now().Add(wait)
	for {
		err := cqlAnswers(addr, time.Second)
		if err == nil {
			return nil
		}
		if progress != nil && progress() {
			deadline = time.Now().Add(wait)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not serving CQL on %s after %s (%v)", addr, wait, err)
		}
		select {
		case <-exited:
			return errors.New("exited before serving CQL")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cqlAnswers checks that a CQL server answers at addr: it sends the native
// protocol's OPTIONS request and waits for SUPPORTED. A connection alone
// proves little: a node binds its CQL port before it joins the ring, and
// serves only once it owns its tokens.
func cqlAnswers(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	if cqlTLS != nil {
		c = tls.Client(c, cqlTLS)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	// A v4 request header: version, flags, stream (2 bytes), opcode
	// (OPTIONS 0x05), body length (4 bytes, 0).
	if _, err := c.Write([]byte{0x04, 0, 0, 0, 0x05, 0, 0, 0, 0}); err != nil {
		return err
	}
	var h [9]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return errors.New("no answer to OPTIONS yet")
		}
		return err
	}
	// A v4 response (0x84) with opcode SUPPORTED (0x06).
	if h[0] != 0x84 || h[4] != 0x06 {
		return fmt.Errorf("answered OPTIONS with version %#x opcode %#x, not a v4 SUPPORTED", h[0], h[4])
	}
	return nil
}

// logTail returns the last lines of the log written since offset.
func logTail(path string, offset int64, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "  (" + err.Error() + ")"
	}
	var tail []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		tail = append(tail, "  "+sc.Text())
		if len(tail) > lines {
			tail = tail[1:]
		}
	}
	if len(tail) == 0 {
		return "  (empty)"
	}
	return strings.Join(tail, "\n")
}

// pidFile is a node's pid file found in a cluster directory.
type pidFile struct {
	name, path, dataDir string
	pid                 int // 0 if the file does not hold a pid
}

// pidFiles returns the pid files under dir, in node order.
func pidFiles(dir string) ([]pidFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "node*", "pid"))
	if err != nil {
		return nil, err
	}
	var out []pidFile
	for _, p := range paths {
		nodeDir := filepath.Dir(p)
		pf := pidFile{name: filepath.Base(nodeDir), path: p, dataDir: filepath.Join(nodeDir, "data")}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			pf.pid = pid
		}
		out = append(out, pf)
	}
	slices.SortFunc(out, func(a, b pidFile) int { return compareNodeNames(a.name, b.name) })
	return out, nil
}

// compareNodeNames orders node2 before node10.
func compareNodeNames(a, b string) int {
	na, errA := strconv.Atoi(strings.TrimPrefix(a, "node"))
	nb, errB := strconv.Atoi(strings.TrimPrefix(b, "node"))
	if errA == nil && errB == nil && na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// nodeProcess reports whether pid is a live process and whether it is
// the node whose data directory is dataDir: a pid file left behind by a
// crash may name a process that reused the pid, which must not be
// signalled. Where /proc is missing, a live pid is taken to be the node.
func nodeProcess(pid int, dataDir string) (alive, ours bool) {
	if pid <= 0 {
		return false, false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		err := syscall.Kill(pid, 0)
		alive = err == nil || errors.Is(err, syscall.EPERM)
		return alive, alive
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false, false
	}
	// The state follows the command name, which is in parentheses and
	// may itself hold spaces and parentheses. A zombie has exited; only
	// its parent's wait is missing.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true, false
	}
	args := strings.Split(string(cmdline), "\x00")
	for i := 0; i+1 < len(args); i++ {
		if (args[i] == "--data-dir" || args[i] == "-data-dir") && args[i+1] == dataDir {
			return true, true
		}
	}
	return true, false
}

func clusterDown(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb cluster down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dirFlag := fs.String("dir", defaultClusterDir, "the cluster's directory")
	wipe := fs.Bool("wipe", false, "delete the cluster's directory (data, logs) once the nodes are stopped")
	timeout := fs.Duration("timeout", defaultStopTimeout, "how long the nodes may take to stop (flushing memtables) before they are killed")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "wcdb: --timeout must be positive")
		return 2
	}
	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "wcdb: no cluster in %s\n", *dirFlag)
		return 1
	}
	// Refuse --wipe early on a directory that is not a cluster's, so that
	// a wrong --dir deletes nothing.
	if _, err := os.Stat(filepath.Join(dir, "cluster.json")); *wipe && err != nil {
		fmt.Fprintf(stderr, "wcdb: %s has no cluster.json, so it is not a cluster's directory; not deleting it\n", *dirFlag)
		return 1
	}
	pids, err := pidFiles(dir)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	type stopping struct {
		pidFile
		began time.Time
	}
	var live []stopping
	for _, p := range pids {
		alive, ours := nodeProcess(p.pid, p.dataDir)
		switch {
		case !alive:
			fmt.Fprintf(stdout, "wcdb: %s was not running\n", p.name)
			os.Remove(p.path)
		case !ours:
			fmt.Fprintf(stdout, "wcdb: %s was not running (pid %d is another program now)\n", p.name, p.pid)
			os.Remove(p.path)
		default:
			if err := syscall.Kill(p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				fmt.Fprintf(stderr, "wcdb: %s (pid %d): %v\n", p.name, p.pid, err)
				return 1
			}
			live = append(live, stopping{p, time.Now()})
		}
	}
	if len(live) > 0 {
		fmt.Fprintf(stdout, "wcdb: stopping %d nodes (SIGTERM; killed if still running after %s)\n", len(live), *timeout)
	}
	// gone waits until every node in live has exited or the deadline
	// passes, and returns those still running.
	gone := func(deadline time.Time, verb string) []stopping {
		for len(live) > 0 {
			live = slices.DeleteFunc(live, func(s stopping) bool {
				if alive, ours := nodeProcess(s.pid, s.dataDir); alive && ours {
					return false
				}
				os.Remove(s.path)
				fmt.Fprintf(stdout, "wcdb: %s (pid %d) %s after %.1fs\n", s.name, s.pid, verb, time.Since(s.began).Seconds())
				return true
			})
			if len(live) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return live
	}
	if len(gone(time.Now().Add(*timeout), "stopped")) > 0 {
		for _, s := range live {
			fmt.Fprintf(stderr, "wcdb: %s (pid %d) still running after %s; killing it\n", s.name, s.pid, *timeout)
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
		if len(gone(time.Now().Add(5*time.Second), "killed")) > 0 {
			for _, s := range live {
				fmt.Fprintf(stderr, "wcdb: %s (pid %d) survived SIGKILL\n", s.name, s.pid)
			}
			return 1
		}
	}
	if *wipe {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(stderr, "wcdb:", err)
			return 1
		}
		fmt.Fprintf(stdout, "wcdb: deleted %s\n", dir)
		return 0
	}
	fmt.Fprintf(stdout, "wcdb: cluster in %s stopped; its data is kept (wcdb cluster up starts it again)\n", dir)
	return 0
}

func clusterStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wcdb cluster status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dirFlag := fs.String("dir", defaultClusterDir, "the cluster's directory")
	if code, stop := parseFlags(fs, args, stderr); stop {
		return code
	}
	dir, err := filepath.Abs(*dirFlag)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	st, err := readClusterState(dir)
	if err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Node\tAddress\tDatacenter\tRack\tPID\tProcess\tCQL")
	asked := -1
	for i, n := range st.Nodes {
		pid, process := "-", "stopped"
		if n.Removed {
			process = "removed"
		}
		if b, err := os.ReadFile(filepath.Join(dir, n.Name, "pid")); err == nil {
			pid = strings.TrimSpace(string(b))
			p, _ := strconv.Atoi(pid)
			switch alive, ours := nodeProcess(p, filepath.Join(dir, n.Name, "data")); {
			case alive && ours:
				process = "running"
			default:
				process = "stopped (stale pid file)"
			}
		}
		cql := "unreachable"
		if cqlAnswers(st.cqlAddress(i), time.Second) == nil {
			cql = "reachable"
			if asked < 0 {
				asked = i
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s %s\n", n.Name, n.Address, n.DataCenter, n.Rack, pid, process, st.cqlAddress(i), cql)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	if asked < 0 {
		fmt.Fprintln(stdout, "\nno node serves CQL")
		return 0
	}
	// The ring as one node sees it; a node that serves CQL but not (yet)
	// admin requests is worth a warning, not a failure.
	addr := st.internodeAddress(asked)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	b, err := adminCall(ctx, addr, []string{"status"})
	var ring server.AdminStatus
	if err == nil {
		err = json.Unmarshal(b, &ring)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wcdb: warning: admin status from %s: %v\n", addr, err)
		return 0
	}
	fmt.Fprintf(stdout, "\nas %s sees the cluster (wcdb admin status --host %s):\n\n", st.Nodes[asked].Name, addr)
	if err := writeStatus(stdout, &ring); err != nil {
		fmt.Fprintln(stderr, "wcdb:", err)
		return 1
	}
	return 0
}
